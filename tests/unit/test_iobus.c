// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdlib.h>

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

static Suite *suite(void)
{
	Suite *s = suite_create("iobus");
	TCase *tc = tcase_create("dispatch");
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, many_in_random_order);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
