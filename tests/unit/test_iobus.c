// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "khyve/iobus.h"

static uint64_t last_off;
static int hits;

static void h(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	last_off = off;
	hits++;
	if (!is_write)
		data[0] = (uint8_t)(uintptr_t)opaque;
}

START_TEST(ranges)
{
	struct iobus b;
	uint8_t d[8];
	iobus_init(&b);
	ck_assert_int_eq(iobus_register(&b, 0x3f8, 8, h, (void *)1), 0);
	ck_assert_int_eq(iobus_register(&b, 0x3f0, 8, h, (void *)2), 0);
	ck_assert_int_eq(iobus_register(&b, 0x3fc, 1, h, NULL), -EEXIST);
	ck_assert_int_eq(iobus_register(&b, 0x3f7, 2, h, NULL), -EEXIST);
	ck_assert_int_eq(iobus_register(&b, 0, 0, h, NULL), -EINVAL);
	ck_assert_int_eq(iobus_register(&b, UINT64_MAX, 2, h, NULL), -EINVAL);
	ck_assert_int_eq(iobus_access(&b, 0x3ff, d, 1, false), 0);
	ck_assert_uint_eq(last_off, 7);
	ck_assert_uint_eq(d[0], 1);
	ck_assert_int_eq(iobus_access(&b, 0x3f0, d, 1, false), 0);
	ck_assert_uint_eq(d[0], 2);
	/* straddling the end, or nothing there: all ones */
	ck_assert_int_eq(iobus_access(&b, 0x3fe, d, 4, false), -ENOENT);
	ck_assert_uint_eq(d[3], 0xff);
	ck_assert_int_eq(iobus_access(&b, 0x400, d, 2, false), -ENOENT);
	ck_assert_int_eq(iobus_access(&b, UINT64_MAX, d, 2, false), -ENOENT);
	ck_assert_int_eq(iobus_unregister(&b, 0x3f8), 0);
	ck_assert_int_eq(iobus_access(&b, 0x3f8, d, 1, true), -ENOENT);
	ck_assert_int_eq(iobus_unregister(&b, 0x3f8), -ENOENT);
	iobus_fini(&b);
}
END_TEST

START_TEST(many_in_random_order)
{
	struct iobus b;
	iobus_init(&b);
	srand(7);
	int order[200];
	for (int i = 0; i < 200; i++)
		order[i] = i;
	for (int i = 199; i > 0; i--) {
		int j = rand() % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(iobus_register(&b, 0x1000 + order[i] * 16, 16, h,
					       (void *)(uintptr_t)order[i]), 0);
	for (int i = 0; i < 200; i++) {
		uint8_t d = 0;
		ck_assert_int_eq(iobus_access(&b, 0x1000 + i * 16 + 15, &d, 1, false), 0);
		ck_assert_uint_eq(d, (uint8_t)i);
	}
	iobus_fini(&b);
}
END_TEST

struct rec_access {
	uint64_t off;
	unsigned size, calls;
	bool is_write;
	uint8_t data[8];
};

static void rec_h(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct rec_access *r = opaque;
	r->off = off;
	r->size = size;
	r->is_write = is_write;
	r->calls++;
	if (is_write)
		memcpy(r->data, data, size);
	else
		memset(data, 0xa0 + (int)off, size);
}

START_TEST(boundaries)
{
	struct iobus b;
	struct rec_access lo = {0}, hi = {0};
	uint8_t d[8];
	ck_assert_int_eq(iobus_init(&b), 0);
	ck_assert_int_eq(iobus_register(&b, 0x100, 0x10, rec_h, &lo), 0);
	ck_assert_int_eq(iobus_register(&b, 0x110, 0x10, rec_h, &hi), 0); /* adjacent */
	/* containing, contained and end-touching overlaps */
	ck_assert_int_eq(iobus_register(&b, 0xf0, 0x100, rec_h, NULL), -EEXIST);
	ck_assert_int_eq(iobus_register(&b, 0x104, 4, rec_h, NULL), -EEXIST);
	ck_assert_int_eq(iobus_register(&b, 0xf0, 0x11, rec_h, NULL), -EEXIST);
	ck_assert_int_eq(iobus_register(&b, 0x11f, 1, rec_h, NULL), -EEXIST);
	ck_assert_int_eq(iobus_register(&b, 0x120, 1, NULL, NULL), -EINVAL); /* no handler */
	/* first and last byte; one past on either side */
	ck_assert_int_eq(iobus_access(&b, 0x100, d, 1, false), 0);
	ck_assert_uint_eq(lo.off, 0);
	ck_assert_uint_eq(d[0], 0xa0);
	ck_assert_int_eq(iobus_access(&b, 0x10f, d, 1, false), 0);
	ck_assert_uint_eq(lo.off, 0xf);
	ck_assert_uint_eq(lo.calls, 2);
	memset(d, 0, sizeof(d));
	ck_assert_int_eq(iobus_access(&b, 0xff, d, 1, false), -ENOENT);
	ck_assert_uint_eq(d[0], 0xff);
	ck_assert_int_eq(iobus_access(&b, 0x120, d, 1, false), -ENOENT);
	/* a dword ending exactly at the end is inside */
	ck_assert_int_eq(iobus_access(&b, 0x10c, d, 4, false), 0);
	ck_assert_uint_eq(lo.off, 0xc);
	ck_assert_uint_eq(lo.size, 4);
	/* one byte past the end is a miss */
	ck_assert_int_eq(iobus_access(&b, 0x11d, d, 4, false), -ENOENT);
	ck_assert_uint_eq(hi.calls, 0);
	/* straddling into the neighbour is not delivered to either */
	memset(d, 0, sizeof(d));
	ck_assert_int_eq(iobus_access(&b, 0x10e, d, 4, false), -ENOENT);
	ck_assert_mem_eq(d, "\xff\xff\xff\xff\x00", 5);
	ck_assert_uint_eq(lo.calls, 3);
	ck_assert_uint_eq(hi.calls, 0);
	/* writes pass the bytes and their offset; a missed write leaves data alone */
	memcpy(d, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	ck_assert_int_eq(iobus_access(&b, 0x118, d, 8, true), 0);
	ck_assert_uint_eq(hi.off, 8);
	ck_assert(hi.is_write);
	ck_assert_mem_eq(hi.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	ck_assert_int_eq(iobus_access(&b, 0x300, d, 8, true), -ENOENT);
	ck_assert_mem_eq(d, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	/* sizes the bus does not carry */
	ck_assert_int_eq(iobus_access(&b, 0x100, d, 0, false), -ENOENT);
	ck_assert_int_eq(iobus_access(&b, 0x100, d, 9, false), -ENOENT);
	ck_assert_uint_eq(lo.calls, 3);
	/* unregister needs the exact base */
	ck_assert_int_eq(iobus_unregister(&b, 0x108), -ENOENT);
	ck_assert_int_eq(iobus_unregister(&b, 0x100), 0);
	ck_assert_int_eq(iobus_access(&b, 0x100, d, 1, false), -ENOENT);
	ck_assert_int_eq(iobus_access(&b, 0x110, d, 1, false), 0);
	ck_assert_uint_eq(hi.calls, 2);
	/* the freed space can be taken again */
	ck_assert_int_eq(iobus_register(&b, 0x100, 0x10, rec_h, &lo), 0);
	iobus_fini(&b);
}
END_TEST

START_TEST(top_of_address_space)
{
	struct iobus b;
	struct rec_access r = {0};
	uint8_t d[8];
	ck_assert_int_eq(iobus_init(&b), 0);
	ck_assert_int_eq(iobus_register(&b, UINT64_MAX - 7, 8, rec_h, &r), 0);
	ck_assert_int_eq(iobus_register(&b, UINT64_MAX, 1, rec_h, NULL), -EEXIST);
	ck_assert_int_eq(iobus_access(&b, UINT64_MAX, d, 1, false), 0);
	ck_assert_uint_eq(r.off, 7);
	ck_assert_int_eq(iobus_access(&b, UINT64_MAX - 7, d, 8, false), 0);
	ck_assert_int_eq(iobus_access(&b, UINT64_MAX - 3, d, 8, false), -ENOENT); /* wraps */
	ck_assert_uint_eq(r.calls, 2);
	ck_assert_int_eq(iobus_unregister(&b, UINT64_MAX - 7), 0);
	ck_assert_int_eq(iobus_register(&b, UINT64_MAX, 1, rec_h, &r), 0);
	iobus_fini(&b);
}
END_TEST

START_TEST(unregister_in_random_order)
{
	struct iobus b;
	ck_assert_int_eq(iobus_init(&b), 0);
	enum { N = 300 };
	int order[N];
	for (int i = 0; i < N; i++)
		order[i] = i;
	srand(11);
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/* ranges of varying length with gaps: [0x10000 + 64 i, + 1 + i % 32) */
	for (int i = 0; i < N; i++) {
		int k = order[i];
		ck_assert_int_eq(iobus_register(&b, 0x10000 + 64 * k, 1 + k % 32, h,
						(void *)(uintptr_t)k), 0);
	}
	ck_assert_uint_eq(b.nr, N);
	for (int i = 1; i < N; i++)
		ck_assert_uint_lt(b.range[i - 1].base, b.range[i].base);
	/* drop the odd ones, in shuffled order */
	for (int i = 0; i < N; i++)
		if (order[i] % 2)
			ck_assert_int_eq(iobus_unregister(&b, 0x10000 + 64 * order[i]), 0);
	ck_assert_uint_eq(b.nr, N / 2);
	for (int k = 0; k < N; k++) {
		uint8_t d = 0;
		uint64_t last = 0x10000 + 64 * k + k % 32;
		int rc = iobus_access(&b, last, &d, 1, false);
		if (k % 2) {
			ck_assert_int_eq(rc, -ENOENT);
			ck_assert_uint_eq(d, 0xff);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(d, (uint8_t)k);
			ck_assert_uint_eq(last_off, (uint64_t)(k % 32));
		}
		ck_assert_int_eq(iobus_access(&b, last + 1, &d, 1, false), -ENOENT);
	}
	iobus_fini(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("iobus");
	TCase *tc = tcase_create("dispatch");
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, many_in_random_order);
	tcase_add_test(tc, boundaries);
	tcase_add_test(tc, top_of_address_space);
	tcase_add_test(tc, unregister_in_random_order);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
