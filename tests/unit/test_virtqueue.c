// SPDX-License-Identifier: BSD-2-Clause
/*
 * Split virtqueue engine: setup checks (Q1), chain walks, and every
 * guest-controlled bad input of BAD-INPUTS.md rows V1-V9.
 */
#include <check.h>

#include "check_main.h"
#include <limits.h>

#include "vqring.h"

/* ---- setup (Q1) ---- */

START_TEST(setup_ok_and_ring_sizes)
{
	ck_assert_uint_eq(vq_desc_bytes(256), 4096);
	ck_assert_uint_eq(vq_avail_bytes(256), 6 + 512);
	ck_assert_uint_eq(vq_used_bytes(256), 6 + 2048);
	struct tring r;
	tr_init(&r, 256, F_INDIRECT | F_EVENT_IDX);
	ck_assert(r.vq.ready);
	ck_assert(!r.vq.broken);
	ck_assert_uint_eq(r.vq.size, 256);
	ck_assert(r.vq.indirect && r.vq.event_idx);
	ck_assert_uint_eq(r.vq.desc_gpa, r.desc);
	ck_assert_uint_eq(r.vq.avail_gpa, r.avail);
	ck_assert_uint_eq(r.vq.used_gpa, r.used);
	ck_assert_ptr_eq((void *)r.vq.desc, r.vr.desc);
	ck_assert_ptr_eq((void *)r.vq.avail, r.vr.avail);
	ck_assert_ptr_eq((void *)r.vq.used, r.vr.used);
	/* other feature bits do not switch either on */
	ck_assert_int_eq(
	    vq_setup(&r.vq, &r.fm.gmem, 256, r.desc, r.avail, r.used, ~(F_INDIRECT | F_EVENT_IDX)),
	    0);
	ck_assert(!r.vq.indirect && !r.vq.event_idx);
	/* every power of two up to the maximum */
	for (unsigned s = 1; s <= VQ_MAX_SIZE; s *= 2)
		ck_assert_int_eq(vq_setup(&r.vq, &r.fm.gmem, s, r.desc, 0x5000, 0x6000, 0), 0);
	tr_fini(&r);
}
END_TEST

/* A rejected setup returns -EINVAL and leaves the queue exactly as it was. */
static void expect_setup_refused(struct tring *r, unsigned size, uint64_t desc, uint64_t avail,
				 uint64_t used)
{
	struct virtqueue before = r->vq;
	ck_assert_int_eq(vq_setup(&r->vq, &r->fm.gmem, size, desc, avail, used, 0), -EINVAL);
	ck_assert_int_eq(memcmp(&before, &r->vq, sizeof(before)), 0);
}

START_TEST(q1_setup_bad_size)
{
	struct tring r;
	tr_init(&r, 8, 0);
	static const unsigned bad[] = {
	    0, 3, 6, 100, 1000, VQ_MAX_SIZE + 1, 2 * VQ_MAX_SIZE, 32768, 65536, UINT_MAX};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_setup_refused(&r, bad[i], r.desc, r.avail, r.used);
	/* the queue still works */
	tr_desc(&r, 0, BUF_GPA, 4, R, 0);
	tr_publish(&r, 0);
	struct iovec iov[1];
	tr_expect_chain(&r, iov, 1, 0, 1, 1);
	tr_fini(&r);
}
END_TEST

START_TEST(q1_setup_misaligned)
{
	struct tring r;
	tr_init(&r, 8, 0);
	expect_setup_refused(&r, 8, r.desc + 8, r.avail, r.used);
	expect_setup_refused(&r, 8, r.desc + 1, r.avail, r.used);
	expect_setup_refused(&r, 8, r.desc, r.avail + 1, r.used);
	expect_setup_refused(&r, 8, r.desc, r.avail, r.used + 2);
	/* the minimum alignments themselves are accepted */
	ck_assert_int_eq(vq_setup(&r.vq, &r.fm.gmem, 8, 0x2010, 0x3002, 0x4004, 0), 0);
	tr_fini(&r);
}
END_TEST

START_TEST(q1_setup_rings_outside_ram)
{
	struct tring r;
	tr_init(&r, 256, 0);
	uint64_t a = r.avail, u = r.used, d = r.desc;
	/* in the hole */
	expect_setup_refused(&r, 256, 0x20000, a, u);
	expect_setup_refused(&r, 256, d, 0x20000, u);
	expect_setup_refused(&r, 256, d, a, 0x20000);
	/* spanning the end of region 0 into the hole */
	expect_setup_refused(&r, 256, LO - 2048, a, u);
	expect_setup_refused(&r, 256, d, LO - 256, u);
	expect_setup_refused(&r, 256, d, a, LO - 1024);
	/* past the end of region 1, and wrapping 2^64 */
	expect_setup_refused(&r, 256, HI_GPA + HI - 4096 + 16, a, u);
	expect_setup_refused(&r, 256, d, HI_GPA + HI - 516, u);
	expect_setup_refused(&r, 256, d, a, HI_GPA + HI - 2052);
	expect_setup_refused(&r, 256, (UINT64_MAX - 4095) & ~15ull, a, u);
	expect_setup_refused(&r, 256, d, UINT64_MAX - 1, u);
	expect_setup_refused(&r, 256, d, a, UINT64_MAX - 3);
	/* rings ending exactly at the top of a region are fine */
	ck_assert_int_eq(
	    vq_setup(&r.vq, &r.fm.gmem, 256, LO - 4096, HI_GPA + HI - 518, HI_GPA + HI - 2056, 0),
	    0);
	ck_assert_uint_eq(r.vq.desc_gpa, LO - 4096);
	tr_fini(&r);
}
END_TEST

/* ---- chains ---- */

START_TEST(happy_several_chains)
{
	struct tring r;
	tr_init(&r, 8, 0);
	/* A: head 0, readable 16 then writable 32 */
	tr_desc(&r, 0, BUF_GPA, 16, R | N, 1);
	tr_desc(&r, 1, BUF_GPA + 0x100, 32, W, 0);
	/* B: head 5, one writable buffer in region 1 */
	tr_desc(&r, 5, HIBUF_GPA, 64, W, 0);
	/* C: head 2, two readable then one writable, next out of table order */
	tr_desc(&r, 2, BUF_GPA + 0x200, 8, R | N, 7);
	tr_desc(&r, 7, BUF_GPA + 0x300, 8, R | N, 4);
	tr_desc(&r, 4, BUF_GPA + 0x400, 4, W, 0);
	tr_publish(&r, 0);
	tr_publish(&r, 5);
	tr_publish(&r, 2);
	ck_assert(vq_has_avail(&r.vq));

	struct iovec iov[4];
	struct vq_chain a = tr_expect_chain(&r, iov, 4, 0, 2, 1);
	ck_assert_uint_eq(a.read_len, 16);
	ck_assert_uint_eq(a.write_len, 32);
	ck_assert_ptr_eq(iov[0].iov_base, hptr(&r, BUF_GPA, 16));
	ck_assert_uint_eq(iov[0].iov_len, 16);
	ck_assert_ptr_eq(iov[1].iov_base, hptr(&r, BUF_GPA + 0x100, 32));
	ck_assert_uint_eq(iov[1].iov_len, 32);
	/* the iovecs are guest memory: what the device writes, the guest reads */
	ck_assert_uint_eq(buf_to_iov(&iov[a.nread], a.niov - a.nread, 0, "hello", 5), 5);
	char got[6] = {0};
	ck_assert_int_eq(gmem_read(&r.fm.gmem, BUF_GPA + 0x100, got, 5), 0);
	ck_assert_str_eq(got, "hello");

	struct vq_chain b = tr_expect_chain(&r, iov, 4, 5, 1, 0);
	ck_assert_uint_eq(b.read_len, 0);
	ck_assert_uint_eq(b.write_len, 64);
	ck_assert_ptr_eq(iov[0].iov_base, hptr(&r, HIBUF_GPA, 64));

	struct vq_chain c = tr_expect_chain(&r, iov, 4, 2, 3, 2);
	ck_assert_uint_eq(c.read_len, 16);
	ck_assert_uint_eq(c.write_len, 4);
	ck_assert_ptr_eq(iov[1].iov_base, hptr(&r, BUF_GPA + 0x300, 8));
	ck_assert_ptr_eq(iov[2].iov_base, hptr(&r, BUF_GPA + 0x400, 4));

	struct vq_chain none;
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 4, &none), 0);
	ck_assert(!vq_has_avail(&r.vq));

	/* completions in any order, each in the next used slot */
	vq_put_chain(&r.vq, 5, 64);
	vq_put_chain(&r.vq, 0, 5);
	vq_put_chain(&r.vq, 2, 4);
	ck_assert_uint_eq(tr_used_idx(&r), 3);
	tr_assert_used(&r, 0, 5, 64);
	tr_assert_used(&r, 1, 0, 5);
	tr_assert_used(&r, 2, 2, 4);
	ck_assert(!r.vq.broken);
	tr_fini(&r);
}
END_TEST

START_TEST(zero_length_skipped)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 0, R | N, 1);
	tr_desc(&r, 1, BUF_GPA, 16, R | N, 2);
	tr_desc(&r, 2, 0x20000 /* hole: never touched */, 0, W | N, 3);
	tr_desc(&r, 3, BUF_GPA + 0x100, 8, W, 0);
	tr_publish(&r, 0);
	/* only the empty descriptors: a chain with no buffers */
	tr_desc(&r, 4, BUF_GPA, 0, R | N, 5);
	tr_desc(&r, 5, BUF_GPA, 0, W, 0);
	tr_publish(&r, 4);
	struct iovec iov[2];
	struct vq_chain c = tr_expect_chain(&r, iov, 2, 0, 2, 1);
	ck_assert_uint_eq(c.read_len, 16);
	ck_assert_uint_eq(c.write_len, 8);
	ck_assert_ptr_eq(iov[0].iov_base, hptr(&r, BUF_GPA, 16));
	ck_assert_ptr_eq(iov[1].iov_base, hptr(&r, BUF_GPA + 0x100, 8));
	c = tr_expect_chain(&r, NULL, 0, 4, 0, 0);
	ck_assert_uint_eq(c.read_len + c.write_len, 0);
	tr_fini(&r);
}
END_TEST

/* A chain exactly as long as the queue is the longest allowed, zero-length entries counted. */
START_TEST(chain_as_long_as_queue)
{
	struct tring r;
	tr_init(&r, 4, 0);
	tr_desc(&r, 2, BUF_GPA, 1, R | N, 0);
	tr_desc(&r, 0, BUF_GPA, 0, R | N, 3);
	tr_desc(&r, 3, BUF_GPA, 1, R | N, 1);
	tr_desc(&r, 1, BUF_GPA, 1, W, 0);
	tr_publish(&r, 2);
	struct iovec iov[4];
	tr_expect_chain(&r, iov, 4, 2, 3, 2);
	tr_fini(&r);
}
END_TEST

/* ---- V1: loops, chains longer than the queue, iov never overrun ---- */

START_TEST(v1_loop_direct)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 16, R | N, 1);
	tr_desc(&r, 1, BUF_GPA, 16, R | N, 0);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "loops");
	tr_fini(&r);
}
END_TEST

START_TEST(v1_self_loop_zero_length)
{
	/* empty descriptors produce no iovec, yet still count toward the bound */
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 3, BUF_GPA, 0, W | N, 3);
	tr_publish(&r, 3);
	tr_expect_violation(&r, "loops");
	tr_fini(&r);
}
END_TEST

START_TEST(v1_loop_in_indirect)
{
	struct tring r;
	tr_init(&r, 8, F_INDIRECT);
	tr_desc(&r, 0, ITAB_GPA, 3 * 16, I, 0);
	tr_idesc(&r, ITAB_GPA, 0, BUF_GPA, 8, R | N, 1);
	tr_idesc(&r, ITAB_GPA, 1, BUF_GPA, 8, R | N, 2);
	tr_idesc(&r, ITAB_GPA, 2, BUF_GPA, 8, R | N, 1);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "loops");
	tr_fini(&r);
}
END_TEST

START_TEST(v1_indirect_longer_than_queue)
{
	struct tring r;
	tr_init(&r, 4, F_INDIRECT);
	/* a table of queue-size entries is fine ... */
	for (unsigned i = 0; i < 4; i++)
		tr_idesc(&r, ITAB_GPA, i, BUF_GPA, 8, W | (i < 3 ? N : 0), i + 1);
	tr_desc(&r, 0, ITAB_GPA, 4 * 16, I, 0);
	tr_publish(&r, 0);
	struct iovec iov[8];
	struct vq_chain c = tr_expect_chain(&r, iov, 8, 0, 4, 0);
	ck_assert_uint_eq(c.write_len, 32);
	/* ... one more entry, without any loop, is not */
	for (unsigned i = 0; i < 5; i++)
		tr_idesc(&r, ITAB_GPA + 0x100, i, BUF_GPA, 8, W | (i < 4 ? N : 0), i + 1);
	tr_desc(&r, 1, ITAB_GPA + 0x100, 5 * 16, I, 0);
	tr_publish(&r, 1);
	tr_expect_violation(&r, "longer than the queue size");
	tr_fini(&r);
}
END_TEST

START_TEST(v1_direct_and_indirect_count_together)
{
	struct tring r;
	tr_init(&r, 4, F_INDIRECT);
	tr_desc(&r, 0, BUF_GPA, 8, R | N, 1);
	tr_desc(&r, 1, ITAB_GPA, 4 * 16, I, 0);
	for (unsigned i = 0; i < 4; i++)
		tr_idesc(&r, ITAB_GPA, i, BUF_GPA, 8, W | (i < 3 ? N : 0), i + 1);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "longer than the queue size");
	tr_fini(&r);
}
END_TEST

START_TEST(v1_iov_never_overrun)
{
	struct tring r;
	tr_init(&r, 8, 0);
	for (unsigned i = 0; i < 6; i++)
		tr_desc(&r, i, BUF_GPA + 16 * i, 16, R | (i < 5 ? N : 0), i + 1);
	tr_publish(&r, 0);
	struct iovec iov[8];
	memset(iov, 0x5a, sizeof(iov));
	struct iovec sentinel;
	memset(&sentinel, 0x5a, sizeof(sentinel));
	struct vq_chain c;
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 2, &c), -ENOBUFS);
	for (unsigned i = 2; i < 8; i++)
		ck_assert_int_eq(memcmp(&iov[i], &sentinel, sizeof(sentinel)), 0);
	tr_fini(&r);
}
END_TEST

/* ---- V2: indexes out of range ---- */

START_TEST(v2_head_out_of_range)
{
	static const uint16_t heads[] = {8, 9, 0x8000, 0xffff};
	for (unsigned i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		struct tring r;
		tr_init(&r, 8, 0);
		tr_publish(&r, heads[i]);
		tr_expect_violation(&r, "head index out of range");
		tr_fini(&r);
	}
}
END_TEST

START_TEST(v2_next_out_of_range)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 8, R | N, 8);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "next index out of range");
	tr_fini(&r);
}
END_TEST

START_TEST(v2_indirect_next_out_of_table)
{
	/* next is bounded by the table's entries, not by the queue size */
	struct tring r;
	tr_init(&r, 8, F_INDIRECT);
	tr_desc(&r, 0, ITAB_GPA, 2 * 16, I, 0);
	tr_idesc(&r, ITAB_GPA, 0, BUF_GPA, 8, R | N, 2);
	tr_idesc(&r, ITAB_GPA, 2, BUF_GPA, 8, R, 0);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "next index out of range");
	tr_fini(&r);
}
END_TEST

/* ---- V3: avail index jumps ---- */

START_TEST(v3_avail_idx_too_far)
{
	struct tring r;
	tr_init(&r, 8, 0);
	/* a full ring (exactly size pending) is fine */
	for (unsigned i = 0; i < 8; i++) {
		tr_desc(&r, i, BUF_GPA, 8, W, 0);
		tr_publish(&r, i);
	}
	struct iovec iov[1];
	for (unsigned i = 0; i < 8; i++)
		tr_expect_chain(&r, iov, 1, i, 1, 0);
	/* size + 1 pending at once is not */
	tr_set_avail_idx(&r, 8 + 9);
	tr_expect_violation(&r, "moved by more than the queue size");
	tr_fini(&r);
}
END_TEST

START_TEST(v3_avail_idx_backwards)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 8, W, 0);
	tr_desc(&r, 1, BUF_GPA, 8, W, 0);
	tr_publish(&r, 0);
	tr_publish(&r, 1);
	struct iovec iov[1];
	tr_expect_chain(&r, iov, 1, 0, 1, 0);
	tr_expect_chain(&r, iov, 1, 1, 1, 0);
	tr_set_avail_idx(&r, 1);
	ck_assert(vq_has_avail(&r.vq)); /* the caller will look, and see the violation */
	tr_expect_violation(&r, "moved by more than the queue size");
	tr_fini(&r);
}
END_TEST

/* ---- V4: a head made available again while in flight ---- */

START_TEST(v4_head_twice_in_flight)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 8, W, 0);
	tr_publish(&r, 0);
	tr_publish(&r, 0);
	struct iovec iov[1];
	tr_expect_chain(&r, iov, 1, 0, 1, 0);
	tr_expect_violation(&r, "again while in flight");
	/* the first one completes once */
	vq_put_chain(&r.vq, 0, 8);
	vq_put_chain(&r.vq, 0, 8);
	ck_assert_uint_eq(tr_used_idx(&r), 1);
	tr_fini(&r);
}
END_TEST

START_TEST(v4_head_reused_after_put)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 8, W, 0);
	struct iovec iov[1];
	for (unsigned i = 0; i < 3; i++) {
		tr_publish(&r, 0);
		tr_expect_chain(&r, iov, 1, 0, 1, 0);
		vq_put_chain(&r.vq, 0, i);
		tr_assert_used(&r, (uint16_t)i, 0, i);
	}
	ck_assert_uint_eq(tr_used_idx(&r), 3);
	tr_fini(&r);
}
END_TEST

START_TEST(v4_put_not_in_flight_ignored)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 8, W, 0);
	tr_publish(&r, 0);
	struct iovec iov[1];
	tr_expect_chain(&r, iov, 1, 0, 1, 0);
	vq_put_chain(&r.vq, 3, 1);	/* never taken */
	vq_put_chain(&r.vq, 8, 1);	/* out of range */
	vq_put_chain(&r.vq, 0xffff, 1); /* out of range */
	ck_assert_uint_eq(tr_used_idx(&r), 0);
	vq_put_chain(&r.vq, 0, 8);
	vq_put_chain(&r.vq, 0, 8); /* no double completion */
	ck_assert_uint_eq(tr_used_idx(&r), 1);
	ck_assert(!r.vq.broken);
	tr_fini(&r);
}
END_TEST

/* ---- V5: bad indirect descriptors; and the happy path ---- */

START_TEST(indirect_happy)
{
	struct tring r;
	tr_init(&r, 4, F_INDIRECT);
	/* a direct readable buffer, then a table (unaligned, out of order, in region 1) */
	uint64_t t = ITAB_GPA + 4;
	tr_desc(&r, 1, BUF_GPA, 8, R | N, 3);
	tr_desc(&r, 3, t, 3 * 16, I, 0);
	tr_idesc(&r, t, 0, BUF_GPA + 0x100, 16, R | N, 2);
	tr_idesc(&r, t, 2, BUF_GPA + 0x200, 0, W | N, 1);
	tr_idesc(&r, t, 1, HIBUF_GPA, 32, W, 0);
	tr_publish(&r, 1);
	struct iovec iov[4];
	struct vq_chain c = tr_expect_chain(&r, iov, 4, 1, 3, 2);
	ck_assert_uint_eq(c.read_len, 24);
	ck_assert_uint_eq(c.write_len, 32);
	ck_assert_ptr_eq(iov[0].iov_base, hptr(&r, BUF_GPA, 8));
	ck_assert_ptr_eq(iov[1].iov_base, hptr(&r, BUF_GPA + 0x100, 16));
	ck_assert_ptr_eq(iov[2].iov_base, hptr(&r, HIBUF_GPA, 32));
	ck_assert_uint_eq(iov[2].iov_len, 32);
	vq_put_chain(&r.vq, 1, 32);
	tr_assert_used(&r, 0, 1, 32);
	tr_fini(&r);
}
END_TEST

/* One chain whose head is descriptor 0 = {addr, len, flags}, indirect feature on. */
static void expect_bad_indirect(uint64_t addr, uint32_t len, uint16_t flags, uint64_t features,
				const char *rule)
{
	struct tring r;
	tr_init(&r, 8, features);
	for (unsigned i = 0; i < 4; i++)
		tr_idesc(&r, ITAB_GPA, i, BUF_GPA, 8, W, 0);
	tr_desc(&r, 1, BUF_GPA, 8, W, 0);
	tr_desc(&r, 0, addr, len, flags, 1);
	tr_publish(&r, 0);
	tr_expect_violation(&r, rule);
	tr_fini(&r);
}

START_TEST(v5_indirect_without_feature)
{
	expect_bad_indirect(ITAB_GPA, 32, I, 0, "without VIRTIO_RING_F_INDIRECT_DESC");
}
END_TEST

START_TEST(v5_indirect_with_next)
{
	expect_bad_indirect(ITAB_GPA, 32, I | N, F_INDIRECT, "with NEXT");
}
END_TEST

START_TEST(v5_indirect_bad_length)
{
	expect_bad_indirect(ITAB_GPA, 0, I, F_INDIRECT, "multiple of 16");
	expect_bad_indirect(ITAB_GPA, 24, I, F_INDIRECT, "multiple of 16");
	expect_bad_indirect(ITAB_GPA, 15, I, F_INDIRECT, "multiple of 16");
}
END_TEST

START_TEST(v5_indirect_table_outside_ram)
{
	const char *rule = "indirect table outside";
	expect_bad_indirect(0x20000, 32, I, F_INDIRECT, rule);		/* hole */
	expect_bad_indirect(LO - 16, 32, I, F_INDIRECT, rule);		/* spans into the hole */
	expect_bad_indirect(HI_GPA + HI - 16, 32, I, F_INDIRECT, rule); /* past the top */
	expect_bad_indirect(UINT64_MAX - 15, 32, I, F_INDIRECT, rule);	/* wraps 2^64 */
	expect_bad_indirect(HI_GPA, 0xfffffff0u, I, F_INDIRECT, rule);	/* huge */
}
END_TEST

START_TEST(v5_nested_indirect)
{
	struct tring r;
	tr_init(&r, 8, F_INDIRECT);
	tr_desc(&r, 0, ITAB_GPA, 2 * 16, I, 0);
	tr_idesc(&r, ITAB_GPA, 0, BUF_GPA, 8, R | N, 1);
	tr_idesc(&r, ITAB_GPA, 1, ITAB_GPA + 0x100, 16, I, 0);
	tr_idesc(&r, ITAB_GPA + 0x100, 0, BUF_GPA, 8, W, 0);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "inside an indirect table");
	tr_fini(&r);
}
END_TEST

/* ---- V6: buffers outside guest memory ---- */

START_TEST(v6_buffer_outside_ram)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
	    {0x20000, 16},		     /* in the hole */
	    {HI_GPA - 8, 8},		     /* the end of the hole */
	    {LO - 8, 16},		     /* spans region 0 into the hole */
	    {HI_GPA + HI - 8, 16},	     /* past the top of region 1 */
	    {HI_GPA + HI, 1},		     /* just past it */
	    {UINT64_MAX - 7, 16},	     /* addr + len wraps 2^64 */
	    {UINT64_MAX, 1},		     /* last byte of the space */
	    {0xfffffffffffff000ull, 0x2000}, /* wraps */
	    {0xc0000000ull, 4096},	     /* a PCI BAR window: not RAM */
	    {BUF_GPA, 0xffffffffu},	     /* huge */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tring r;
		tr_init(&r, 8, 0);
		tr_desc(&r, 0, BUF_GPA, 8, R | N, 1);
		tr_desc(&r, 1, bad[i].addr, bad[i].len, W, 0);
		tr_publish(&r, 0);
		tr_expect_violation(&r, "buffer outside guest memory");
		tr_fini(&r);
	}
}
END_TEST

START_TEST(v6_buffer_spanning_two_regions)
{
	/* a third region right after region 0: adjacent in guest, not in host memory */
	static uint8_t extra[4096];
	struct tring r;
	tr_init(&r, 8, 0);
	ck_assert_int_eq(gmem_add(&r.fm.gmem, LO, sizeof(extra), extra), 0);
	tr_desc(&r, 0, LO + 16, 16, W, 0); /* inside the new region: fine */
	tr_desc(&r, 1, LO - 8, 16, W, 0);  /* across the boundary: not */
	tr_publish(&r, 0);
	tr_publish(&r, 1);
	struct iovec iov[1];
	tr_expect_chain(&r, iov, 1, 0, 1, 0);
	ck_assert_ptr_eq(iov[0].iov_base, extra + 16);
	tr_expect_violation(&r, "buffer outside guest memory");
	tr_fini(&r);
}
END_TEST

START_TEST(v6_buffer_ending_at_top_of_region)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, LO - 16, 16, R | N, 1);
	tr_desc(&r, 1, HI_GPA + HI - 32, 32, W | N, 2);
	tr_desc(&r, 2, HI_GPA, HI, W, 0);
	tr_publish(&r, 0);
	struct iovec iov[3];
	struct vq_chain c = tr_expect_chain(&r, iov, 3, 0, 3, 1);
	ck_assert_uint_eq(c.write_len, 32 + HI);
	/* the last byte is reachable; the guard page after it is not touched by the engine */
	((uint8_t *)iov[1].iov_base)[31] = 0xee;
	uint8_t b;
	ck_assert_int_eq(gmem_read(&r.fm.gmem, HI_GPA + HI - 1, &b, 1), 0);
	ck_assert_uint_eq(b, 0xee);
	tr_fini(&r);
}
END_TEST

/* ---- section 2.7.4.2: readable before writable ---- */

START_TEST(readable_after_writable)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 8, W | N, 1);
	tr_desc(&r, 1, BUF_GPA, 8, R, 0);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "readable descriptor after a device-writable");
	tr_fini(&r);

	/* inside an indirect table */
	tr_init(&r, 8, F_INDIRECT);
	tr_desc(&r, 0, ITAB_GPA, 2 * 16, I, 0);
	tr_idesc(&r, ITAB_GPA, 0, BUF_GPA, 8, W | N, 1);
	tr_idesc(&r, ITAB_GPA, 1, BUF_GPA, 8, R, 0);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "readable descriptor after a device-writable");
	tr_fini(&r);

	/* from the direct part into the table, even when the writable one is empty */
	tr_init(&r, 8, F_INDIRECT);
	tr_desc(&r, 0, BUF_GPA, 0, W | N, 1);
	tr_desc(&r, 1, ITAB_GPA, 16, I, 0);
	tr_idesc(&r, ITAB_GPA, 0, BUF_GPA, 8, R, 0);
	tr_publish(&r, 0);
	tr_expect_violation(&r, "readable descriptor after a device-writable");
	tr_fini(&r);
}
END_TEST

/* ---- -ENOBUFS: more buffers than the caller's iovec array ---- */

START_TEST(enobufs_returns_chain)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 3, BUF_GPA, 8, R | N, 4);
	tr_desc(&r, 4, BUF_GPA, 8, R | N, 5);
	tr_desc(&r, 5, BUF_GPA, 8, W, 0);
	tr_publish(&r, 3);
	tr_desc(&r, 6, BUF_GPA, 8, W, 0);
	tr_publish(&r, 6);
	struct iovec iov[2];
	struct vq_chain c;
	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 2, &c), -ENOBUFS);
	ck_assert_uint_eq(c.niov, 0);
	ck_assert(!r.vq.broken);
	/* back to the driver, empty, and no longer in flight */
	ck_assert_uint_eq(tr_used_idx(&r), 1);
	tr_assert_used(&r, 0, 3, 0);
	vq_put_chain(&r.vq, 3, 8);
	ck_assert_uint_eq(tr_used_idx(&r), 1);
	/* the queue goes on */
	tr_expect_chain(&r, iov, 2, 6, 1, 0);
	/* the same chain taken again with room enough: zero-length needs no iovec */
	tr_desc(&r, 4, BUF_GPA, 0, R | N, 5);
	tr_publish(&r, 3);
	tr_expect_chain(&r, iov, 2, 3, 2, 1);
	tr_fini(&r);
}
END_TEST

/* ---- V7/V8: totals exact, overlaps reported as they are ---- */

START_TEST(v7_v8_totals_exact_overlaps_as_is)
{
	struct tring r;
	tr_init(&r, 8, 0);
	tr_desc(&r, 0, BUF_GPA, 0x100, R | N, 1);
	tr_desc(&r, 1, BUF_GPA, 0x100, R | N, 2);	 /* the same bytes twice */
	tr_desc(&r, 2, BUF_GPA + 0x80, 0x100, W | N, 3); /* overlaps both */
	tr_desc(&r, 3, HI_GPA, HI, W | N, 4);
	tr_desc(&r, 4, HI_GPA, HI, W, 0); /* region 1 twice over */
	tr_publish(&r, 0);
	struct iovec iov[5];
	struct vq_chain c = tr_expect_chain(&r, iov, 5, 0, 5, 2);
	ck_assert_uint_eq(c.read_len, 0x200);
	ck_assert_uint_eq(c.write_len, 0x100 + 2ull * HI);
	ck_assert_ptr_eq(iov[0].iov_base, iov[1].iov_base);
	ck_assert_ptr_eq(iov[3].iov_base, iov[4].iov_base);
	uint64_t sum = 0;
	for (unsigned i = 0; i < c.niov; i++)
		sum += iov[i].iov_len;
	ck_assert_uint_eq(sum, c.read_len + c.write_len);
	tr_fini(&r);
}
END_TEST

/* ---- V9: a failed fetch leaves nothing a caller could use ---- */

START_TEST(v9_failed_fetch_reports_nothing)
{
	struct tring r;
	tr_init(&r, 8, 0);
	struct iovec iov[2];
	struct vq_chain c, zero;
	memset(&zero, 0, sizeof(zero));
	/* nothing available */
	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 2, &c), 0);
	ck_assert_int_eq(memcmp(&c, &zero, sizeof(c)), 0);
	/* a violation halfway through the chain */
	tr_desc(&r, 0, BUF_GPA, 8, R | N, 1);
	tr_desc(&r, 1, 0x20000, 8, W, 0);
	tr_publish(&r, 0);
	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 2, &c), -EPROTO);
	ck_assert_int_eq(memcmp(&c, &zero, sizeof(c)), 0);
	/* a broken queue */
	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(vq_get_chain(&r.vq, iov, 2, &c), 0);
	ck_assert_int_eq(memcmp(&c, &zero, sizeof(c)), 0);
	tr_fini(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc = tcase_create("setup");
	tcase_add_test(tc, setup_ok_and_ring_sizes);
	tcase_add_test(tc, q1_setup_bad_size);
	tcase_add_test(tc, q1_setup_misaligned);
	tcase_add_test(tc, q1_setup_rings_outside_ram);
	suite_add_tcase(s, tc);

	tc = tcase_create("chains");
	tcase_add_test(tc, happy_several_chains);
	tcase_add_test(tc, zero_length_skipped);
	tcase_add_test(tc, chain_as_long_as_queue);
	tcase_add_test(tc, indirect_happy);
	tcase_add_test(tc, readable_after_writable);
	tcase_add_test(tc, enobufs_returns_chain);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-inputs");
	tcase_add_test(tc, v1_loop_direct);
	tcase_add_test(tc, v1_self_loop_zero_length);
	tcase_add_test(tc, v1_loop_in_indirect);
	tcase_add_test(tc, v1_indirect_longer_than_queue);
	tcase_add_test(tc, v1_direct_and_indirect_count_together);
	tcase_add_test(tc, v1_iov_never_overrun);
	tcase_add_test(tc, v2_head_out_of_range);
	tcase_add_test(tc, v2_next_out_of_range);
	tcase_add_test(tc, v2_indirect_next_out_of_table);
	tcase_add_test(tc, v3_avail_idx_too_far);
	tcase_add_test(tc, v3_avail_idx_backwards);
	tcase_add_test(tc, v4_head_twice_in_flight);
	tcase_add_test(tc, v4_head_reused_after_put);
	tcase_add_test(tc, v4_put_not_in_flight_ignored);
	tcase_add_test(tc, v5_indirect_without_feature);
	tcase_add_test(tc, v5_indirect_with_next);
	tcase_add_test(tc, v5_indirect_bad_length);
	tcase_add_test(tc, v5_indirect_table_outside_ram);
	tcase_add_test(tc, v5_nested_indirect);
	tcase_add_test(tc, v6_buffer_outside_ram);
	tcase_add_test(tc, v6_buffer_spanning_two_regions);
	tcase_add_test(tc, v6_buffer_ending_at_top_of_region);
	tcase_add_test(tc, v7_v8_totals_exact_overlaps_as_is);
	tcase_add_test(tc, v9_failed_fetch_reports_nothing);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
