// SPDX-License-Identifier: BSD-2-Clause
/*
 * Split virtqueue engine: interrupt decisions and notification suppression
 * (with and without EVENT_IDX), 16-bit index wrap, reset (R1), the legacy
 * layout, and the iovec copy helpers.
 */
#include <check.h>

#include "check_main.h"

#include "vqring.h"

/* The driver makes k one-buffer chains (heads 0..k-1) available; the device takes and returns them.
 */
static void cycle(struct tring *r, unsigned k)
{
	struct iovec iov[1];
	for (unsigned i = 0; i < k; i++) {
		tr_desc(r, i, BUF_GPA, 8, W, 0);
		tr_publish(r, (uint16_t)i);
	}
	for (unsigned i = 0; i < k; i++)
		tr_expect_chain(r, iov, 1, (uint16_t)i, 1, 0);
	for (unsigned i = 0; i < k; i++)
		vq_put_chain(&r->vq, (uint16_t)i, 8);
}

/* ---- interrupts ---- */

START_TEST(event_idx_interrupt)
{
	struct tring r;
	tr_init(&r, 8, F_EVENT_IDX);
	ck_assert(!vq_should_interrupt(&r.vq)); /* nothing returned yet */
	/* the first decision interrupts, whatever used_event says */
	vring_used_event(&r.vr) = 5;
	cycle(&r, 1);
	ck_assert(vq_should_interrupt(&r.vq));

	static const struct {
		int16_t event_off; /* used_event - old used idx */
		unsigned k;	   /* chains returned in the batch */
		bool expect;
	} cases[] = {
	    {0, 1, true},   {1, 1, false}, {1, 2, true},  {2, 2, false},
	    {-1, 3, false}, {7, 8, true},  {8, 8, false}, {-100, 8, false},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t old = r.vq.used_idx;
		uint16_t event = (uint16_t)(old + cases[i].event_off);
		vring_used_event(&r.vr) = event;
		cycle(&r, cases[i].k);
		uint16_t new_idx = tr_used_idx(&r);
		bool got = vq_should_interrupt(&r.vq);
		ck_assert_msg(got == cases[i].expect, "case %u: got %d", i, got);
		/* the driver's own formula agrees */
		ck_assert_int_eq(got, vring_need_event(event, new_idx, old));
	}
	/* NO_INTERRUPT is not looked at with EVENT_IDX */
	r.vr.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vring_used_event(&r.vr) = r.vq.used_idx;
	cycle(&r, 1);
	ck_assert(vq_should_interrupt(&r.vq));
	/* nothing new since the last decision: no interrupt */
	vring_used_event(&r.vr) = (uint16_t)(r.vq.used_idx - 1);
	ck_assert(!vq_should_interrupt(&r.vq));
	tr_fini(&r);
}
END_TEST

START_TEST(interrupt_without_event_idx)
{
	struct tring r;
	tr_init(&r, 8, 0);
	ck_assert(!vq_should_interrupt(&r.vq));
	cycle(&r, 1);
	ck_assert(vq_should_interrupt(&r.vq));
	r.vr.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	cycle(&r, 2);
	ck_assert(!vq_should_interrupt(&r.vq));
	r.vr.avail->flags = 0;
	ck_assert(!vq_should_interrupt(&r.vq)); /* nothing new */
	cycle(&r, 1);
	ck_assert(vq_should_interrupt(&r.vq));
	/* used_event is not looked at without EVENT_IDX */
	vring_used_event(&r.vr) = 0x1234;
	cycle(&r, 1);
	ck_assert(vq_should_interrupt(&r.vq));
	tr_fini(&r);
}
END_TEST

/* ---- notification suppression ---- */

START_TEST(notify_flags_without_event_idx)
{
	struct tring r;
	tr_init(&r, 8, 0);
	vq_notify_off(&r.vq);
	ck_assert_uint_eq(r.vr.used->flags, VRING_USED_F_NO_NOTIFY);
	ck_assert_uint_eq(vring_avail_event(&r.vr), 0);
	ck_assert(!vq_notify_on(&r.vq));
	ck_assert_uint_eq(r.vr.used->flags, 0);
	/* a chain arrives while notifications are off: notify_on says so */
	vq_notify_off(&r.vq);
	tr_desc(&r, 0, BUF_GPA, 8, W, 0);
	tr_publish(&r, 0);
	ck_assert(vq_notify_on(&r.vq));
	ck_assert_uint_eq(r.vr.used->flags, 0);
	struct iovec iov[1];
	tr_expect_chain(&r, iov, 1, 0, 1, 0);
	ck_assert(!vq_notify_on(&r.vq));
	ck_assert_uint_eq(vring_avail_event(&r.vr), 0);
	tr_fini(&r);
}
END_TEST

/* Would the driver kick after moving avail->idx from old to new? (its own formula) */
static bool driver_kicks(struct tring *r, uint16_t old, uint16_t new_idx)
{
	return vring_need_event(vring_avail_event(&r->vr), new_idx, old);
}

START_TEST(notify_event_idx)
{
	struct tring r;
	tr_init(&r, 8, F_EVENT_IDX);
	cycle(&r, 3);
	ck_assert(!vq_notify_on(&r.vq));
	ck_assert_uint_eq(vring_avail_event(&r.vr), 3);
	/* notifications on: the next chain made available is kicked */
	tr_desc(&r, 3, BUF_GPA, 8, W, 0);
	tr_publish(&r, 3);
	ck_assert(driver_kicks(&r, 3, 4));
	/* off: no kick for any later chain */
	vq_notify_off(&r.vq);
	for (uint16_t h = 4; h < 8; h++) {
		tr_desc(&r, h, BUF_GPA, 8, W, 0);
		tr_publish(&r, h);
		ck_assert(!driver_kicks(&r, h, (uint16_t)(h + 1)));
	}
	ck_assert_uint_eq(r.vr.used->flags, 0); /* flags are not used with EVENT_IDX */
	/* on again, with chains pending: told so */
	ck_assert(vq_notify_on(&r.vq));
	ck_assert_uint_eq(vring_avail_event(&r.vr), 3);
	struct iovec iov[1];
	for (uint16_t h = 3; h < 8; h++)
		tr_expect_chain(&r, iov, 1, h, 1, 0);
	ck_assert(!vq_notify_on(&r.vq));
	ck_assert_uint_eq(vring_avail_event(&r.vr), 8);
	ck_assert(driver_kicks(&r, 8, 9));
	/* off with nothing pending: not even the very next chain is kicked */
	vq_notify_off(&r.vq);
	ck_assert(!driver_kicks(&r, 8, 9));
	ck_assert(!driver_kicks(&r, 8, 16));
	tr_fini(&r);
}
END_TEST

/* ---- 16-bit index wrap ---- */

START_TEST(wrap_at_ffff)
{
	struct tring r;
	tr_init(&r, 4, F_EVENT_IDX);
	/* as if 65534 chains had gone through already */
	r.vq.last_avail = r.vq.used_idx = r.vq.signalled = 0xfffe;
	r.vq.signalled_valid = true;
	r.vr.used->idx = 0xfffe;
	tr_set_avail_idx(&r, 0xfffe);
	vring_used_event(&r.vr) = 0xffff;
	for (uint16_t h = 0; h < 4; h++) {
		tr_desc(&r, h, BUF_GPA + 16 * h, 16, W, 0);
		tr_publish(&r, h);
	}
	ck_assert_uint_eq(r.vr.avail->idx, 2);
	struct iovec iov[1];
	for (uint16_t h = 0; h < 4; h++) {
		tr_expect_chain(&r, iov, 1, h, 1, 0);
		ck_assert_ptr_eq(iov[0].iov_base, hptr(&r, BUF_GPA + 16 * h, 16));
	}
	ck_assert(!vq_has_avail(&r.vq));
	vq_put_chain(&r.vq, 0, 1);
	vq_put_chain(&r.vq, 1, 2);
	ck_assert_uint_eq(tr_used_idx(&r), 0);
	ck_assert(vq_should_interrupt(&r.vq)); /* used idx went 0xfffe -> 0 past 0xffff */
	vq_put_chain(&r.vq, 2, 3);
	vq_put_chain(&r.vq, 3, 4);
	ck_assert_uint_eq(tr_used_idx(&r), 2);
	ck_assert(!vq_should_interrupt(&r.vq)); /* 0 -> 2 does not pass 0xffff */
	tr_assert_used(&r, 0xfffe, 0, 1);
	tr_assert_used(&r, 0xffff, 1, 2);
	tr_assert_used(&r, 0, 2, 3);
	tr_assert_used(&r, 1, 3, 4);
	ck_assert(!r.vq.broken);
	tr_fini(&r);
}
END_TEST

START_TEST(wrap_long_run)
{
	struct tring r;
	tr_init(&r, 2, 0);
	tr_desc(&r, 0, BUF_GPA, 8, W, 0);
	tr_desc(&r, 1, BUF_GPA + 8, 8, W, 0);
	struct iovec iov[1];
	for (unsigned i = 0; i < 70000; i++) {
		uint16_t h = i & 1;
		tr_publish(&r, h);
		tr_publish(&r, h ^ 1);
		tr_expect_chain(&r, iov, 1, h, 1, 0);
		tr_expect_chain(&r, iov, 1, h ^ 1, 1, 0);
		vq_put_chain(&r.vq, h ^ 1, 2);
		vq_put_chain(&r.vq, h, 1);
		ck_assert_uint_eq(tr_used_idx(&r), (uint16_t)(2 * (i + 1)));
	}
	ck_assert(!r.vq.broken);
	ck_assert(!vq_has_avail(&r.vq));
	tr_fini(&r);
}
END_TEST

/* ---- R1: reset ---- */

START_TEST(r1_reset_clears_everything)
{
	struct tring r;
	tr_init(&r, 8, F_INDIRECT | F_EVENT_IDX);
	tr_desc(&r, 0, BUF_GPA, 8, W, 0);
	tr_publish(&r, 0);
	struct iovec iov[1];
	tr_expect_chain(&r, iov, 1, 0, 1, 0); /* head 0 in flight */
	tr_publish(&r, 9);
	tr_expect_violation(&r, "head index out of range");

	uint8_t used_before[6 + 8 * 8];
	memcpy(used_before, r.vr.used, sizeof(used_before));
	vq_reset(&r.vq);
	struct virtqueue zero;
	memset(&zero, 0, sizeof(zero));
	ck_assert_int_eq(memcmp(&r.vq, &zero, sizeof(zero)), 0);
	/* a reset queue does nothing, and never touches guest memory */
	struct vq_chain c;
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 1, &c), 0);
	ck_assert(!vq_has_avail(&r.vq));
	vq_put_chain(&r.vq, 0, 8); /* the I/O in flight at reset completes late */
	ck_assert(!vq_should_interrupt(&r.vq));
	vq_notify_off(&r.vq);
	ck_assert(!vq_notify_on(&r.vq));
	ck_assert_int_eq(memcmp(r.vr.used, used_before, sizeof(used_before)), 0);

	/* the driver starts over with fresh rings: the queue works again */
	memset(r.vr.avail, 0, vq_avail_bytes(8));
	memset(r.vr.used, 0, vq_used_bytes(8));
	r.avail_idx = 0;
	ck_assert_int_eq(vq_setup(&r.vq, &r.fm.gmem, 8, r.desc, r.avail, r.used, F_EVENT_IDX), 0);
	ck_assert(!r.vq.broken);
	ck_assert_ptr_null(r.vq.error);
	tr_publish(&r, 0);
	tr_expect_chain(&r, iov, 1, 0, 1, 0);
	vq_put_chain(&r.vq, 0, 8);
	ck_assert_uint_eq(tr_used_idx(&r), 1);
	tr_assert_used(&r, 0, 0, 8);
	ck_assert(vq_should_interrupt(&r.vq));
	tr_fini(&r);
}
END_TEST

START_TEST(not_set_up_queue_is_inert)
{
	struct virtqueue vq;
	memset(&vq, 0, sizeof(vq));
	struct iovec iov[1];
	struct vq_chain c;
	ck_assert_int_eq(vq_get_chain(&vq, iov, 1, &c), 0);
	ck_assert(!vq_has_avail(&vq));
	vq_put_chain(&vq, 0, 1);
	ck_assert(!vq_should_interrupt(&vq));
	vq_notify_off(&vq);
	ck_assert(!vq_notify_on(&vq));
	ck_assert_uint_eq(vq.used_idx, 0);
}
END_TEST

/* ---- legacy layout ---- */

START_TEST(legacy_layout)
{
	/* 1365 is no queue size, but its avail ring ends on a page boundary */
	static const unsigned sizes[] = {1, 2, 8, 128, 256, 1024, 1365};
	static const uint32_t pfns[] = {0, 1, 0x1234, UINT32_MAX};
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (unsigned j = 0; j < sizeof(pfns) / sizeof(pfns[0]); j++) {
			unsigned n = sizes[i];
			uint64_t d, a, u, base = (uint64_t)pfns[j] * 4096;
			vq_legacy_layout(pfns[j], n, &d, &a, &u);
			ck_assert_uint_eq(d, base);
			ck_assert_uint_eq(a, base + 16ull * n);
			/* the driver's vring_size(): used ring offset + used ring */
			ck_assert_uint_eq(u + vq_used_bytes(n),
					  base + vring_size(n, VQ_LEGACY_ALIGN));
			ck_assert_uint_eq(u % VQ_LEGACY_ALIGN, 0);
		}
	}
	uint64_t d, a, u;
	vq_legacy_layout(1, 256, &d, &a, &u);
	ck_assert_uint_eq(d, 0x1000);
	ck_assert_uint_eq(a, 0x2000);
	ck_assert_uint_eq(u, 0x3000);
	/* a tiny ring still puts its used ring on the next page */
	uint64_t d4, a4, u4;
	vq_legacy_layout(0, 4, &d4, &a4, &u4);
	ck_assert_uint_eq(u4, 0x1000);

	/* a legacy-placed queue sets up and runs */
	struct tring r;
	tr_init(&r, 8, 0);
	ck_assert_int_eq(vq_setup(&r.vq, &r.fm.gmem, 256, d, a, u, 0), 0);
	struct vring_desc *desc = hptr(&r, d, 16);
	struct vring_avail *avail = hptr(&r, a, vq_avail_bytes(256));
	desc[0] = (struct vring_desc){.addr = BUF_GPA, .len = 8, .flags = W};
	avail->ring[0] = 0;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	struct iovec iov[1];
	struct vq_chain c;
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 1, &c), 1);
	vq_put_chain(&r.vq, 0, 8);
	ck_assert_uint_eq(((struct vring_used *)hptr(&r, u, 6))->idx, 1);
	tr_fini(&r);
}
END_TEST

/* ---- iovec copy helpers ---- */

START_TEST(iov_copy_helpers)
{
	char a[3] = {'a', 'b', 'c'}, c[5] = {'d', 'e', 'f', 'g', 'h'};
	struct iovec iov[3] = {{a, 3}, {NULL, 0}, {c, 5}};
	char buf[16];
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(iov_to_buf(iov, 3, 0, buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "abcdefgh");
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(iov_to_buf(iov, 3, 2, buf, 4), 4);
	ck_assert_str_eq(buf, "cdef");
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(iov_to_buf(iov, 3, 3, buf, 2), 2);
	ck_assert_str_eq(buf, "de");
	ck_assert_uint_eq(iov_to_buf(iov, 3, 8, buf, 4), 0);
	ck_assert_uint_eq(iov_to_buf(iov, 3, 100, buf, 4), 0);
	ck_assert_uint_eq(iov_to_buf(iov, 3, 0, buf, 0), 0);
	ck_assert_uint_eq(iov_to_buf(iov, 0, 0, buf, 4), 0);
	ck_assert_uint_eq(iov_to_buf(iov, 1, 0, buf, 8), 3); /* only niov are looked at */

	ck_assert_uint_eq(buf_to_iov(iov, 3, 2, "XYZ", 3), 3);
	ck_assert_int_eq(memcmp(a, "abX", 3), 0);
	ck_assert_int_eq(memcmp(c, "YZfgh", 5), 0);
	ck_assert_uint_eq(buf_to_iov(iov, 3, 6, "0123456789", 10), 2);
	ck_assert_int_eq(memcmp(c, "YZf01", 5), 0);
	ck_assert_uint_eq(buf_to_iov(iov, 3, 8, "Q", 1), 0);
	ck_assert_int_eq(memcmp(a, "abX", 3), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtqueue_events");
	TCase *tc = tcase_create("interrupts");
	tcase_add_test(tc, event_idx_interrupt);
	tcase_add_test(tc, interrupt_without_event_idx);
	tcase_add_test(tc, notify_flags_without_event_idx);
	tcase_add_test(tc, notify_event_idx);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_test(tc, wrap_at_ffff);
	tcase_add_test(tc, wrap_long_run);
	tcase_add_test(tc, r1_reset_clears_everything);
	tcase_add_test(tc, not_set_up_queue_is_inert);
	tcase_add_test(tc, legacy_layout);
	tcase_add_test(tc, iov_copy_helpers);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
