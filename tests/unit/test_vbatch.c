// SPDX-License-Identifier: BSD-2-Clause
/*
 * Adaptive batching (vbatch.h) on made-up timelines: a driver that waits for
 * each completion is never held but for rare probes; one that keeps adding
 * is held for about twice its gap, in batches that grow; holds stay bounded.
 */
#include <check.h>

#include "check_main.h"
#include "khyve/vbatch.h"

#define US 1000ull

/* One request at a time: arrives, goes, completes 400 µs later, the next arrives. */
START_TEST(depth_one_is_not_held)
{
	struct vbatch b;
	vbatch_init(&b, 0, 1000 * US);
	uint64_t t = 1, held_ns = 0;
	unsigned probes = 0;
	for (unsigned i = 0; i < 1000; i++) {
		vbatch_arrive(&b, t, 1);
		uint64_t start = t;
		if (b.hold)
			probes++;
		while (!vbatch_due(&b, t))
			t += US;
		held_ns += t - start;
		vbatch_flushed(&b);
		ck_assert(!vbatch_held(&b));
		t += 400 * US;
	}
	ck_assert_uint_eq(b.batches, 1000);
	ck_assert_uint_eq(b.requests, 1000);
	/* A probe every VBATCH_PROBE_EVERY batches, given up after VBATCH_MISSES. */
	ck_assert_uint_le(probes, 1000 / VBATCH_PROBE_EVERY * VBATCH_MISSES + VBATCH_MISSES);
	ck_assert_uint_gt(probes, 0);
	/* What the probes cost: under 5 % of the 400 ms the requests took. */
	ck_assert_uint_lt(held_ns, 1000 * 400 * US / 20);
}
END_TEST

/*
 * A driver with 32 requests to give, one every 50 µs, that waits once all 32
 * are out: after the first probe, batches carry them all.
 */
START_TEST(a_busy_driver_is_batched)
{
	struct vbatch b;
	vbatch_init(&b, 0, 1000 * US);
	uint64_t t = 1;
	unsigned out = 0, last_batch = 0;
	for (unsigned round = 0; round < 4000 && b.batches < 400; round++) {
		if (out < 32) {
			vbatch_arrive(&b, t, 1);
			out++;
		}
		t += 50 * US;
		/* the device's poll loop between two arrivals */
		for (uint64_t p = t - 50 * US; p < t; p += 5 * US) {
			if (vbatch_due(&b, p)) {
				last_batch = b.n;
				vbatch_flushed(&b);
				out = 0; /* all completed, one interrupt */
				break;
			}
		}
		ck_assert_uint_le(b.hold, 1000 * US);
	}
	ck_assert_uint_eq(last_batch, 32);
	ck_assert_uint_ge(b.hold, 100 * US); /* twice the 50 µs gap */
	ck_assert_uint_le(b.hold, 110 * US);
	ck_assert_uint_gt(b.requests, 8 * b.batches);
}
END_TEST

/* Holds end: after `hold` of quiet, VBATCH_SPAN × hold_max after the first arrival, or when the clock went back. */
START_TEST(holds_are_bounded)
{
	struct vbatch b;
	vbatch_init(&b, 0, 100 * US);
	ck_assert(!vbatch_due(&b, 5));
	b.hold = 80 * US;
	b.hold_min = 10 * US;
	uint64_t t = 1000;
	vbatch_arrive(&b, t, 1);
	ck_assert(!vbatch_due(&b, t + 79 * US));
	ck_assert(vbatch_due(&b, t + 80 * US));
	unsigned n = 1;
	for (uint64_t a = t + 50 * US; a < t + VBATCH_SPAN * 100 * US; a += 50 * US, n++)
		vbatch_arrive(&b, a, 1); /* keeps adding */
	ck_assert(!vbatch_due(&b, t + VBATCH_SPAN * 100 * US - 1));
	ck_assert(vbatch_due(&b, t + VBATCH_SPAN * 100 * US)); /* VBATCH_SPAN holds at most */
	ck_assert(vbatch_due(&b, t)); /* the clock went back: go */
	vbatch_flushed(&b);
	ck_assert_uint_eq(b.requests, n);
	ck_assert_uint_le(b.hold, 100 * US);
	/* hold_max 0: nothing is ever probed for */
	vbatch_init(&b, 0, 0);
	for (unsigned i = 0; i < 3 * VBATCH_PROBE_EVERY; i++) {
		vbatch_arrive(&b, 1 + i * 10 * US, 1);
		ck_assert(vbatch_due(&b, 1 + i * 10 * US));
		vbatch_flushed(&b);
		ck_assert_uint_eq(b.hold, 0);
	}
}
END_TEST

/* hold_min: every batch waits that long after its last arrival, probes or not. */
START_TEST(hold_min_is_kept)
{
	struct vbatch b;
	vbatch_init(&b, 50 * US, 1000 * US);
	uint64_t t = 1;
	for (unsigned i = 0; i < 3 * VBATCH_PROBE_EVERY; i++) {
		vbatch_arrive(&b, t, 1);
		ck_assert(!vbatch_due(&b, t + 49 * US));
		while (!vbatch_due(&b, t))
			t += US;
		vbatch_flushed(&b);
		ck_assert_uint_ge(b.hold, 50 * US);
		t += 400 * US; /* one at a time */
	}
	ck_assert_uint_eq(b.hold, 50 * US); /* the probes gave up */
	vbatch_init(&b, 2000 * US, 1000 * US); /* the floor never passes the ceiling */
	ck_assert_uint_eq(b.hold, 1000 * US);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vbatch");
	TCase *t = tcase_create("vbatch");
	tcase_add_test(t, depth_one_is_not_held);
	tcase_add_test(t, a_busy_driver_is_batched);
	tcase_add_test(t, holds_are_bounded);
	tcase_add_test(t, hold_min_is_kept);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
