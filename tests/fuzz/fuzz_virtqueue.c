// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the split virtqueue engine. The input is a hostile
 * guest: a header with the queue parameters, a list of operations (device
 * takes and returns chains, the guest rewrites ring words in between), and
 * an image of guest memory: all of region 1 first (so its top edge is in
 * reach of short inputs), then region 0 from address 0. Guest memory is fakemem (two regions, a
 * hole, PROT_NONE guards), so any access outside it faults; every chain handed out is also checked
 * to lie inside one region before it is read and written.
 *
 * Built with -DFUZZ_SEED_WRITER instead, the same file is a small program
 * that writes a seed corpus of well-formed inputs into the directory it is
 * given (see tests/fuzz.cmake).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakemem.h"
#include "khyve/virtqueue.h"

/* Guest memory: region 0 [0, LO), a hole, region 1 [HI_GPA, HI_GPA + HI). */
#define LO 0x4000u
#define HI_GPA 0x8000u
#define HI 0x1000u
#define MAX_IOV 64
#define MAX_OPS 64

/* The input: header, nops operations, guest memory image. */
struct hdr {
	uint8_t size_log2;	    /* queue size 1 << (size_log2 % 16): 2048 and up are refused */
	uint8_t flags;		    /* HF_* */
	uint8_t max_iov;	    /* % (MAX_IOV + 1) */
	uint8_t nops;		    /* % (MAX_OPS + 1) */
	uint32_t desc, avail, used; /* ring addresses; desc is the PFN with HF_LEGACY */
};
#define HF_INDIRECT 1
#define HF_EVENT_IDX 2
#define HF_LEGACY 4

struct op {
	uint8_t code; /* OP_* (modulo OP_COUNT) */
	uint8_t arg;
	uint16_t val;
};

enum {
	OP_GET,	       /* device takes one chain */
	OP_PUT_OLDEST, /* device returns its oldest chain in flight, val bytes written */
	OP_PUT_NEWEST, /* ... its newest */
	OP_PUT_ANY,    /* device returns head val, in flight or not */
	OP_AVAIL_IDX,  /* guest stores avail->idx = val */
	OP_AVAIL_SLOT, /* guest stores avail->ring[arg] = val */
	OP_POKE,       /* guest stores val at region 0 offset arg * 64 */
	OP_INTERRUPT,  /* vq_should_interrupt */
	OP_NOTIFY_OFF, /* vq_notify_off */
	OP_NOTIFY_ON,  /* vq_notify_on */
	OP_DRAIN,      /* take and return everything available */
	OP_RESET,      /* device reset, then the same setup again */
	OP_COUNT
};

#ifndef FUZZ_SEED_WRITER

static struct fakemem fm;
static struct virtqueue vq;
static uint16_t inflight[VQ_MAX_SIZE];
static unsigned ninflight;
static uint8_t scratch[LO + HI];

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant broken: %s (line %d)\n", #cond, __LINE__);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* p..p+len lies inside one guest region's host mapping. */
static bool in_guest(const void *p, size_t len)
{
	for (unsigned i = 0; i < fm.gmem.nr; i++) {
		const struct gmem_region *r = &fm.gmem.region[i];
		const uint8_t *b = p;
		if (b >= r->host && len <= r->size && (size_t)(b - r->host) <= r->size - len)
			return true;
	}
	return false;
}

static int setup(const struct hdr *h)
{
	unsigned size = 1u << (h->size_log2 % 16);
	uint64_t features = 0, d = h->desc, a = h->avail, u = h->used;
	if (h->flags & HF_INDIRECT)
		features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (h->flags & HF_EVENT_IDX)
		features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (h->flags & HF_LEGACY)
		vq_legacy_layout(h->desc, size, &d, &a, &u);
	return vq_setup(&vq, &fm.gmem, size, d, a, u, features);
}

/* Take one chain and use it as a device would: read it all, write its writable part. */
static int get_one(unsigned max_iov)
{
	struct iovec iov[MAX_IOV];
	struct vq_chain c;
	bool was_broken = vq.broken;
	int rc = vq_get_chain(&vq, iov, max_iov, &c);
	CHECK(rc == 0 || rc == 1 || rc == -EPROTO || rc == -ENOBUFS);
	CHECK(!was_broken || rc == 0);
	if (rc == -EPROTO)
		CHECK(vq.broken && vq.error != NULL);
	if (rc != 1) {
		CHECK(c.niov == 0);
		return rc;
	}
	CHECK(c.head < vq.size && c.niov <= max_iov && c.nread <= c.niov);
	uint64_t rd = 0, wr = 0;
	for (unsigned i = 0; i < c.niov; i++) {
		CHECK(iov[i].iov_len > 0 && in_guest(iov[i].iov_base, iov[i].iov_len));
		*(i < c.nread ? &rd : &wr) += iov[i].iov_len;
	}
	CHECK(rd == c.read_len && wr == c.write_len);
	size_t n = iov_to_buf(iov, c.nread, 0, scratch, sizeof(scratch));
	CHECK(n == (rd < sizeof(scratch) ? rd : sizeof(scratch)));
	memset(scratch, 0x5a, sizeof(scratch));
	n = buf_to_iov(&iov[c.nread], c.niov - c.nread, 1, scratch, sizeof(scratch));
	CHECK(n <= wr);
	/* no head is handed out twice before it is returned */
	for (unsigned i = 0; i < ninflight; i++)
		CHECK(inflight[i] != c.head);
	CHECK(ninflight < VQ_MAX_SIZE);
	inflight[ninflight++] = c.head;
	return rc;
}

static void put_at(unsigned i, uint32_t written)
{
	vq_put_chain(&vq, inflight[i], written);
	memmove(&inflight[i], &inflight[i + 1], (ninflight - i - 1) * sizeof(inflight[0]));
	ninflight--;
}

/* The guest writes a 16-bit word at gpa; outside its memory, nothing happens. */
static void poke16(uint64_t gpa, uint16_t v)
{
	gmem_write(&fm.gmem, gpa, &v, sizeof(v));
}

static void run_op(const struct hdr *h, const struct op *o, unsigned max_iov)
{
	switch (o->code % OP_COUNT) {
	case OP_GET:
		get_one(max_iov);
		break;
	case OP_PUT_OLDEST:
		if (ninflight)
			put_at(0, o->val);
		break;
	case OP_PUT_NEWEST:
		if (ninflight)
			put_at(ninflight - 1, o->val);
		break;
	case OP_PUT_ANY:
		vq_put_chain(&vq, o->val, o->arg);
		for (unsigned i = 0; i < ninflight; i++)
			if (inflight[i] == o->val) {
				memmove(&inflight[i], &inflight[i + 1],
					(ninflight - i - 1) * sizeof(inflight[0]));
				ninflight--;
				break;
			}
		break;
	case OP_AVAIL_IDX:
		if (vq.ready)
			poke16(vq.avail_gpa + 2, o->val);
		break;
	case OP_AVAIL_SLOT:
		if (vq.ready)
			poke16(vq.avail_gpa + 4 + 2ull * (o->arg % (vq.size + 1u)), o->val);
		break;
	case OP_POKE:
		poke16(o->arg * 64ull, o->val);
		break;
	case OP_INTERRUPT:
		vq_should_interrupt(&vq);
		break;
	case OP_NOTIFY_OFF:
		vq_notify_off(&vq);
		break;
	case OP_NOTIFY_ON:
		vq_notify_on(&vq);
		break;
	case OP_DRAIN:
		/* each round consumes an avail entry or ends: at most size rounds */
		for (unsigned n = 0; n <= VQ_MAX_SIZE; n++) {
			int rc = get_one(max_iov);
			while (ninflight)
				put_at(0, n);
			if (rc == 0 || rc == -EPROTO)
				break;
		}
		break;
	case OP_RESET:
		vq_reset(&vq);
		ninflight = 0;
		setup(h);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr h;
	if (size < sizeof(h))
		return 0;
	if (fm.map == NULL && fakemem_init(&fm, LO, HI_GPA, HI) != 0)
		abort();
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	unsigned nops = h.nops % (MAX_OPS + 1);
	if (size < nops * sizeof(struct op))
		nops = (unsigned)(size / sizeof(struct op));
	struct op ops[MAX_OPS];
	memcpy(ops, data, nops * sizeof(struct op));
	data += nops * sizeof(struct op);
	size -= nops * sizeof(struct op);

	uint8_t *lo = gmem_ptr(&fm.gmem, 0, LO), *hi = gmem_ptr(&fm.gmem, HI_GPA, HI);
	memset(lo, 0, LO);
	memset(hi, 0, HI);
	size_t n = size < HI ? size : HI;
	memcpy(hi, data, n);
	data += n;
	size -= n;
	memcpy(lo, data, size < LO ? size : LO);

	vq_reset(&vq);
	ninflight = 0;
	setup(&h);
	unsigned max_iov = h.max_iov % (MAX_IOV + 1);
	for (unsigned i = 0; i < nops; i++)
		run_op(&h, &ops[i], max_iov);
	/* the rest of the run: whatever is available, then every chain in flight */
	run_op(&h, &(struct op){.code = OP_DRAIN}, max_iov);
	while (ninflight)
		put_at(0, 0);
	vq_should_interrupt(&vq);
	return 0;
}

#else		       /* FUZZ_SEED_WRITER */

/* Seeds: guest memory laid out as the image maps it, plus header and operations. */
#define SEED_LO 0x800u /* region 0 bytes a seed carries: rings at 0, buffers from 0x200 */
struct seed {
	struct hdr h;
	struct op ops[MAX_OPS];
	uint8_t hi[HI];	     /* region 1 from HI_GPA */
	uint8_t lo[SEED_LO]; /* region 0 from 0 */
};

#define R 0 /* device-readable */
#define N 1 /* VRING_DESC_F_NEXT */
#define W 2 /* VRING_DESC_F_WRITE */
#define I 4 /* VRING_DESC_F_INDIRECT */

static void put_bytes(struct seed *s, uint64_t gpa, const void *p, size_t len)
{
	if (gpa >= HI_GPA && gpa - HI_GPA + len <= HI)
		memcpy(&s->hi[gpa - HI_GPA], p, len);
	else if (gpa + len <= SEED_LO)
		memcpy(&s->lo[gpa], p, len);
	else
		abort(); /* a seed that does not fit its image */
}

static void put_desc(struct seed *s, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} d = {addr, len, flags, next};
	put_bytes(s, table + 16ull * i, &d, sizeof(d));
}

static void add_op(struct seed *s, uint8_t code, uint8_t arg, uint16_t val)
{
	s->ops[s->h.nops++] = (struct op){code, arg, val};
}

/* Make head available in avail slot `slot` (the driver's idx becomes slot + 1). */
static void publish(struct seed *s, uint16_t slot, uint16_t head)
{
	uint16_t idx = (uint16_t)(slot + 1);
	put_bytes(s, s->h.avail + 4 + 2u * slot, &head, 2);
	put_bytes(s, s->h.avail + 2, &idx, 2);
}

/* A queue of 8: desc 0, avail 0x80, used 0x100; buffers from 0x200. */
static void base(struct seed *s, uint8_t flags)
{
	memset(s, 0, sizeof(*s));
	s->h = (struct hdr){
	    .size_log2 = 3, .flags = flags, .max_iov = 8, .avail = 0x80, .used = 0x100};
}

static int write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	fwrite(&s->h, sizeof(s->h), 1, f);
	fwrite(s->ops, sizeof(struct op), s->h.nops, f);
	fwrite(s->hi, sizeof(s->hi), 1, f);
	fwrite(s->lo, sizeof(s->lo), 1, f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	struct seed s;
	int rc = 0;

	/* three direct chains, taken and returned out of order */
	base(&s, 0);
	put_desc(&s, 0, 0, 0x200, 16, R | N, 1);
	put_desc(&s, 0, 1, 0x300, 32, W, 0);
	put_desc(&s, 0, 5, HI_GPA + 0x400, 64, W, 0);
	put_desc(&s, 0, 2, 0x400, 8, R | N, 7);
	put_desc(&s, 0, 7, 0x500, 0, R | N, 4);
	put_desc(&s, 0, 4, 0x600, 4, W, 0);
	publish(&s, 0, 0);
	publish(&s, 1, 5);
	publish(&s, 2, 2);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_PUT_NEWEST, 0, 64);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_PUT_OLDEST, 0, 32);
	add_op(&s, OP_INTERRUPT, 0, 0);
	add_op(&s, OP_AVAIL_SLOT, 3, 5);
	add_op(&s, OP_AVAIL_IDX, 0, 4);
	add_op(&s, OP_GET, 0, 0);
	rc |= write_seed(argv[1], "direct", &s);

	/* an indirect table in region 1, with EVENT_IDX and notification suppression */
	base(&s, HF_INDIRECT | HF_EVENT_IDX);
	put_desc(&s, 0, 0, 0x200, 8, R | N, 1);
	put_desc(&s, 0, 1, HI_GPA, 3 * 16, I, 0);
	put_desc(&s, HI_GPA, 0, 0x300, 16, R | N, 2);
	put_desc(&s, HI_GPA, 2, 0x400, 0, W | N, 1);
	put_desc(&s, HI_GPA, 1, HI_GPA + 0x400, 32, W, 0);
	publish(&s, 0, 0);
	add_op(&s, OP_NOTIFY_OFF, 0, 0);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_NOTIFY_ON, 0, 0);
	add_op(&s, OP_PUT_OLDEST, 0, 32);
	add_op(&s, OP_INTERRUPT, 0, 0);
	add_op(&s, OP_AVAIL_SLOT, 1, 0);
	add_op(&s, OP_AVAIL_IDX, 0, 2);
	add_op(&s, OP_DRAIN, 0, 0);
	add_op(&s, OP_RESET, 0, 0);
	add_op(&s, OP_AVAIL_IDX, 0, 1);
	add_op(&s, OP_GET, 0, 0);
	rc |= write_seed(argv[1], "indirect", &s);

	/* an indirect table in the last bytes of region 1, buffers ending at region tops */
	base(&s, HF_INDIRECT);
	uint64_t t = HI_GPA + HI - 2 * 16;
	put_desc(&s, 0, 0, LO - 16, 16, R | N, 1);
	put_desc(&s, 0, 1, t, 2 * 16, I, 0);
	put_desc(&s, t, 0, 0x200, 8, R | N, 1);
	put_desc(&s, t, 1, HI_GPA + HI - 8, 8, W, 0);
	publish(&s, 0, 0);
	add_op(&s, OP_GET, 0, 0);
	rc |= write_seed(argv[1], "edge-table", &s);

	/* the rings themselves at the top of region 1 */
	base(&s, HF_EVENT_IDX);
	s.h.desc = HI_GPA + HI - 8 * 16;
	s.h.avail = HI_GPA + HI - 8 * 16 - 0x40;
	s.h.used = HI_GPA + HI - 8 * 16 - 0x100;
	put_desc(&s, s.h.desc, 7, 0x200, 8, R | N, 6);
	put_desc(&s, s.h.desc, 6, HI_GPA, 8, W, 0);
	publish(&s, 0, 7);
	add_op(&s, OP_NOTIFY_OFF, 0, 0);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_PUT_OLDEST, 0, 8);
	add_op(&s, OP_INTERRUPT, 0, 0);
	add_op(&s, OP_NOTIFY_ON, 0, 0);
	rc |= write_seed(argv[1], "edge-rings", &s);

	/* a loop, and a head made available again while in flight */
	base(&s, 0);
	put_desc(&s, 0, 0, 0x200, 8, R | N, 1);
	put_desc(&s, 0, 1, 0x200, 8, R | N, 0);
	put_desc(&s, 0, 3, 0x200, 8, W, 0);
	publish(&s, 0, 3);
	publish(&s, 1, 3);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_RESET, 0, 0);
	add_op(&s, OP_AVAIL_SLOT, 0, 0);
	add_op(&s, OP_GET, 0, 0);
	rc |= write_seed(argv[1], "violations", &s);

	/* legacy layout from PFN 0: desc 0, avail 0x80, used 0x1000; iov room for one */
	base(&s, HF_LEGACY);
	s.h.max_iov = 1;
	put_desc(&s, 0, 0, 0x200, 16, R | N, 1);
	put_desc(&s, 0, 1, 0x300, 16, W, 0);
	publish(&s, 0, 0);
	add_op(&s, OP_GET, 0, 0);
	add_op(&s, OP_PUT_ANY, 7, 0);
	rc |= write_seed(argv[1], "legacy", &s);
	return rc ? 1 : 0;
}

#endif
