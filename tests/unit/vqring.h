/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Driver side of a split virtqueue for the virtqueue tests: lays out the
 * descriptor table and the rings in fake guest memory (two regions, a hole
 * between them, PROT_NONE guards around) and plays the guest. Ring layouts
 * and vring_need_event() come from <linux/virtio_ring.h>, the driver's own
 * definitions, so the engine is checked against an independent source.
 */
#ifndef KHYVE_TEST_VQRING_H
#define KHYVE_TEST_VQRING_H

#include <check.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "fakemem.h"
#include "khyve/virtqueue.h"

/* Region 0: [0, LO); hole; region 1: [HI_GPA, HI_GPA + HI). */
#define LO (64 * 1024)
#define HI_GPA 0x100000ull
#define HI (64 * 1024)
#define DESC_GPA 0x1000ull
#define BUF_GPA 0x8000ull	    /* data buffers, region 0 */
#define ITAB_GPA (HI_GPA + 0x1000)  /* indirect tables, region 1 */
#define HIBUF_GPA (HI_GPA + 0x4000) /* data buffers, region 1 */
#define F_INDIRECT (1ull << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX (1ull << VIRTIO_RING_F_EVENT_IDX)
#define R 0		     /* device-readable */
#define W VRING_DESC_F_WRITE /* device-writable */
#define N VRING_DESC_F_NEXT
#define I VRING_DESC_F_INDIRECT

struct tring {
	struct fakemem fm;
	struct virtqueue vq;
	unsigned size;
	uint64_t desc, avail, used;
	struct vring vr;    /* host views, driver's layout */
	uint16_t avail_idx; /* driver's next avail index */
};

static inline void *hptr(struct tring *r, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(&r->fm.gmem, gpa, len);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Lay the rings out from DESC_GPA (desc, avail, used back to back) and set the queue up. */
static inline void tr_init(struct tring *r, unsigned size, uint64_t features)
{
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(fakemem_init(&r->fm, LO, HI_GPA, HI), 0);
	r->size = size;
	r->desc = DESC_GPA;
	r->avail = r->desc + vq_desc_bytes(size);
	r->used = (r->avail + vq_avail_bytes(size) + 3) & ~3ull;
	ck_assert_uint_le(r->used + vq_used_bytes(size), BUF_GPA);
	r->vr.num = size;
	r->vr.desc = hptr(r, r->desc, vq_desc_bytes(size));
	r->vr.avail = hptr(r, r->avail, vq_avail_bytes(size));
	r->vr.used = hptr(r, r->used, vq_used_bytes(size));
	ck_assert_int_eq(vq_setup(&r->vq, &r->fm.gmem, size, r->desc, r->avail, r->used, features),
			 0);
}

static inline void tr_fini(struct tring *r)
{
	fakemem_fini(&r->fm);
}

/* Descriptor idx of the queue's table. */
static inline void tr_desc(struct tring *r, unsigned idx, uint64_t addr, uint32_t len,
			   uint16_t flags, uint16_t next)
{
	ck_assert_uint_lt(idx, r->size);
	r->vr.desc[idx] =
	    (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

/* Entry idx of an indirect table at gpa `table` (any alignment). */
static inline void tr_idesc(struct tring *r, uint64_t table, unsigned idx, uint64_t addr,
			    uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = {.addr = addr, .len = len, .flags = flags, .next = next};
	ck_assert_int_eq(gmem_write(&r->fm.gmem, table + 16ull * idx, &d, sizeof(d)), 0);
}

static inline void tr_set_avail_idx(struct tring *r, uint16_t idx)
{
	r->avail_idx = idx;
	__atomic_store_n(&r->vr.avail->idx, idx, __ATOMIC_RELEASE);
}

/* Make head available: ring entry first, then the index (release). */
static inline void tr_publish(struct tring *r, uint16_t head)
{
	r->vr.avail->ring[r->avail_idx & (r->size - 1)] = head;
	tr_set_avail_idx(r, (uint16_t)(r->avail_idx + 1));
}

static inline uint16_t tr_used_idx(struct tring *r)
{
	return __atomic_load_n(&r->vr.used->idx, __ATOMIC_ACQUIRE);
}

/* The used element written for the n-th completion (free-running n). */
static inline void tr_used_elem(struct tring *r, uint16_t n, uint32_t *id, uint32_t *len)
{
	struct vring_used_elem *e = &r->vr.used->ring[n & (r->size - 1)];
	*id = e->id;
	*len = e->len;
}

static inline void tr_assert_used(struct tring *r, uint16_t n, uint32_t id, uint32_t len)
{
	uint32_t got_id, got_len;
	tr_used_elem(r, n, &got_id, &got_len);
	ck_assert_uint_eq(got_id, id);
	ck_assert_uint_eq(got_len, len);
}

/*
 * The next get_chain breaks the queue for the rule whose message contains
 * `rule`; the chain is not reported, nothing is completed, and the queue
 * yields nothing afterwards.
 */
static inline void tr_expect_violation(struct tring *r, const char *rule)
{
	struct iovec iov[8];
	struct vq_chain c;
	uint16_t used = tr_used_idx(r);
	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(vq_get_chain(&r->vq, iov, 8, &c), -EPROTO);
	ck_assert(r->vq.broken);
	ck_assert_ptr_nonnull(r->vq.error);
	ck_assert_msg(strstr(r->vq.error, rule), "error \"%s\", expected \"%s\"", r->vq.error,
		      rule);
	ck_assert_uint_eq(c.niov, 0);
	ck_assert_uint_eq(tr_used_idx(r), used);
	ck_assert_int_eq(vq_get_chain(&r->vq, iov, 8, &c), 0);
	ck_assert(!vq_has_avail(&r->vq));
}

/* The next get_chain returns a chain with head `head`, niov buffers, nread readable. */
static inline struct vq_chain tr_expect_chain(struct tring *r, struct iovec *iov, unsigned max_iov,
					      uint16_t head, unsigned niov, unsigned nread)
{
	struct vq_chain c;
	int rc = vq_get_chain(&r->vq, iov, max_iov, &c);
	ck_assert_msg(rc == 1, "get_chain %d (%s)", rc, r->vq.error ? r->vq.error : "");
	ck_assert_uint_eq(c.head, head);
	ck_assert_uint_eq(c.niov, niov);
	ck_assert_uint_eq(c.nread, nread);
	return c;
}

#endif
