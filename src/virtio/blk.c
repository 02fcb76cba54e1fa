// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-blk (virtio 1.x section 5.2) on the block backend (blockif: io_uring,
 * or threads). Requests are parsed here, bounded and checked (BAD-INPUTS
 * B1-B4), queued to the backend during one pass over the ring and submitted
 * together; completions arrive on the event loop thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/evloop.h"
#include "khyve/vbatch.h"
#include "khyve/virtio_blk.h"
#include "khyve/virtio_pci.h"

#define SECTOR 512u
#define BLK_ANSWERED 0xff /* parse(): completed without the backend */

struct blk_req {
	struct blockif_req br; /* first: the completion finds its request */
	struct vtblk *s;
	uint16_t head;
	uint8_t q;
	bool busy;
	uint8_t *status;   /* the status byte in guest memory */
	uint32_t written;  /* used length on success: data read + the status byte */
	uint64_t expect;   /* bytes the backend must report for success */
	struct iovec iov[BLK_SEG_MAX];
};

struct vtblk {
	struct virtio_dev vd;
	struct virtio_pci vp;
	struct vtblk_params p;
	struct blockif *bif;
	struct virtio_ops ops; /* per device: the number of queues varies */
	uint64_t capacity;     /* 512-byte sectors */
	struct iovec iov[BLK_QUEUE_SIZE];
	struct blk_req *req; /* nqueues × BLK_QUEUE_SIZE, indexed by queue and head */
	struct vtblk_counters c;
	/*
	 * Polled (blk_poll): requests queued to the backend and not yet
	 * submitted, and queues whose interrupt decision waits, while a batch
	 * is held (vbatch.h). Loop thread.
	 */
	struct vbatch batch;
	unsigned unsent;
	uint64_t unsignalled;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void put_le64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* [skip, skip + len) of iov as a new iovec array; returns the count, -1 when over max. */
static int iov_slice(const struct iovec *iov, unsigned n, uint64_t skip, uint64_t len,
		     struct iovec *out, unsigned max)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n && len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		if (k == max)
			return -1;
		size_t take = iov[i].iov_len - skip;
		if (take > len)
			take = (size_t)len;
		out[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[k].iov_len = take;
		k++;
		len -= take;
		skip = 0;
	}
	return (int)k;
}

static bool writeback(const struct vtblk *s)
{
	/* Without FLUSH (or with WCE off) every write must be durable when it completes. */
	if (!(s->vd.guest_features & 1ull << VIRTIO_BLK_F_FLUSH))
		return false;
	return s->vd.config[VTBLK_CFG_WRITEBACK] != 0;
}

static void finish(struct vtblk *s, struct blk_req *r, uint8_t status, uint32_t written)
{
	*r->status = status;
	vq_put_chain(&s->vd.q[r->q].vq, r->head, written);
	r->busy = false;
	if (status == VIRTIO_BLK_S_OK)
		s->c.ok++;
	else
		s->c.errors++;
}

/* Chains were put on queue q: interrupt now, or with the held batch. vd->lock held. */
static void signal_queue(struct vtblk *s, unsigned q)
{
	if (vbatch_held(&s->batch))
		s->unsignalled |= 1ull << q;
	else
		virtio_queue_done(&s->vd, q);
}

/* Event loop thread: the backend finished a request. */
static void blk_done(struct blockif_req *br, int res)
{
	struct blk_req *r = (struct blk_req *)br;
	struct vtblk *s = r->s;
	pthread_mutex_lock(&s->vd.lock);
	if (virtio_io_end(&s->vd)) {
		r->busy = false; /* a reset dropped it: nothing goes to the guest */
	} else {
		bool ok = res >= 0 && (uint64_t)res >= r->expect;
		finish(s, r, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR, ok ? r->written : 1);
		signal_queue(s, r->q);
	}
	pthread_mutex_unlock(&s->vd.lock);
}

/* Sectors [sector, sector + bytes/512) inside the disk, bytes a multiple of 512 (B1). */
static bool in_range(const struct vtblk *s, uint64_t sector, uint64_t bytes)
{
	if (bytes % SECTOR)
		return false;
	uint64_t n = bytes / SECTOR;
	return sector <= s->capacity && n <= s->capacity - sector;
}

/* One discard / write-zeroes segment (max_discard_seg = 1). */
static uint8_t range_op(struct vtblk *s, struct blk_req *r, enum blockif_op op,
			const struct iovec *iov, unsigned nread, uint64_t read_len)
{
	uint8_t seg[16];
	if (read_len != 16 + sizeof(seg) || iov_to_buf(iov, nread, 16, seg, 16) != 16)
		return VIRTIO_BLK_S_IOERR;
	uint64_t sector;
	uint32_t num, flags;
	memcpy(&sector, seg, 8);
	memcpy(&num, seg + 8, 4);
	memcpy(&flags, seg + 12, 4);
	uint32_t max = BLK_MAX_DISCARD_SECTORS;
	/* Only the unmap flag of write-zeroes is defined (section 5.2.6.2). */
	uint32_t allowed = op == BLOCKIF_WRITE_ZEROES ? 1u : 0u;
	if (num == 0 || num > max || (flags & ~allowed) ||
	    !in_range(s, sector, (uint64_t)num * SECTOR))
		return VIRTIO_BLK_S_IOERR;
	r->br.op = op;
	r->br.offset = sector * SECTOR;
	r->br.len = (uint64_t)num * SECTOR;
	r->br.iov = NULL;
	r->br.niov = 0;
	return VIRTIO_BLK_S_OK;
}

/*
 * Parse one chain into r: returns VIRTIO_BLK_S_OK when it goes to the
 * backend, another status to complete it at once.
 */
static uint8_t parse(struct vtblk *s, struct blk_req *r, const struct iovec *iov,
		     const struct vq_chain *c)
{
	uint8_t hdr[16];
	if (c->read_len < 16 || iov_to_buf(iov, c->nread, 0, hdr, 16) != 16)
		return VIRTIO_BLK_S_IOERR;
	uint32_t type;
	uint64_t sector;
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	const struct iovec *w = iov + c->nread;
	unsigned nw = c->niov - c->nread;
	uint64_t wdata = c->write_len - 1; /* the last writable byte is the status */
	uint64_t rdata = c->read_len - 16;
	memset(&r->br, 0, sizeof(r->br));
	r->br.done = blk_done;
	r->written = 1;
	r->expect = 0;
	int n;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (rdata || wdata > BLK_MAX_REQUEST || !in_range(s, sector, wdata) ||
		    (n = iov_slice(w, nw, 0, wdata, r->iov, BLK_SEG_MAX)) < 0)
			return VIRTIO_BLK_S_IOERR;
		r->br.op = BLOCKIF_READ;
		r->br.offset = sector * SECTOR;
		r->br.iov = r->iov;
		r->br.niov = (unsigned)n;
		r->written = (uint32_t)wdata + 1;
		r->expect = wdata;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (s->p.ro)
			return VIRTIO_BLK_S_IOERR; /* B2, negotiated RO or not */
		if (wdata || rdata > BLK_MAX_REQUEST || !in_range(s, sector, rdata) ||
		    (n = iov_slice(iov, c->nread, 16, rdata, r->iov, BLK_SEG_MAX)) < 0)
			return VIRTIO_BLK_S_IOERR;
		r->br.op = BLOCKIF_WRITE;
		r->br.offset = sector * SECTOR;
		r->br.iov = r->iov;
		r->br.niov = (unsigned)n;
		r->br.dsync = !writeback(s);
		r->expect = rdata;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		if (!(s->vd.guest_features & 1ull << VIRTIO_BLK_F_FLUSH))
			return VIRTIO_BLK_S_UNSUPP;
		if (rdata || wdata)
			return VIRTIO_BLK_S_IOERR; /* B3: a flush carries no data */
		r->br.op = BLOCKIF_FLUSH;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID: {
		if (rdata)
			return VIRTIO_BLK_S_IOERR;
		size_t len = strnlen(s->p.serial, VIRTIO_BLK_ID_BYTES);
		if (wdata < len)
			len = (size_t)wdata; /* B3: a short buffer gets what fits */
		buf_to_iov(w, nw, 0, s->p.serial, len);
		r->written = (uint32_t)len + 1;
		return BLK_ANSWERED;
	}
	case VIRTIO_BLK_T_DISCARD:
		if (s->p.ro || s->p.nodelete || !(s->vd.guest_features & 1ull << VIRTIO_BLK_F_DISCARD))
			return s->p.ro ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_UNSUPP;
		return wdata ? VIRTIO_BLK_S_IOERR
			     : range_op(s, r, BLOCKIF_DISCARD, iov, c->nread, c->read_len);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (s->p.ro)
			return VIRTIO_BLK_S_IOERR;
		if (!(s->vd.guest_features & 1ull << VIRTIO_BLK_F_WRITE_ZEROES))
			return VIRTIO_BLK_S_UNSUPP;
		return wdata ? VIRTIO_BLK_S_IOERR
			     : range_op(s, r, BLOCKIF_WRITE_ZEROES, iov, c->nread, c->read_len);
	}
	return VIRTIO_BLK_S_UNSUPP;
}

static void blk_notify(struct virtio_dev *vd, unsigned q)
{
	struct vtblk *s = vd->priv;
	struct virtqueue *vq = &vd->q[q].vq;
	bool done_here = false;
	unsigned queued = 0, taken = 0;
	vq_notify_off(vq);
	for (;;) {
		struct vq_chain c;
		int rc = virtio_get_chain(vd, q, s->iov, BLK_QUEUE_SIZE, &c);
		if (rc == -ENOBUFS)
			continue;
		if (rc <= 0) {
			if (rc == 0 && virtio_queue_idle(vd, q))
				continue;
			break;
		}
		s->c.requests++;
		taken++;
		/* B3: a status byte must exist, in a device-writable buffer; else drop, length 0. */
		if (c.write_len == 0) {
			vq_put_chain(vq, c.head, 0);
			s->c.dropped++;
			done_here = true;
			continue;
		}
		struct blk_req *r = &s->req[q * BLK_QUEUE_SIZE + c.head];
		const struct iovec *last = &s->iov[c.niov - 1];
		r->s = s;
		r->q = (uint8_t)q;
		r->head = c.head;
		r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
		r->busy = true;
		uint8_t st = parse(s, r, s->iov, &c);
		if (st == BLK_ANSWERED) { /* GET_ID */
			finish(s, r, VIRTIO_BLK_S_OK, r->written);
			done_here = true;
		} else if (st != VIRTIO_BLK_S_OK) {
			finish(s, r, st, 1);
			done_here = true;
		} else if (blockif_queue(s->bif, &r->br) < 0) {
			finish(s, r, VIRTIO_BLK_S_IOERR, 1);
			done_here = true;
		} else {
			virtio_io_start(vd);
			queued++;
		}
	}
	/* Polled: the pass joins the held batch (blk_poll submits it). */
	if (taken && vd->polling && s->batch.hold_max)
		vbatch_arrive(&s->batch, evloop_now_ns(), taken);
	if (queued && vbatch_held(&s->batch))
		s->unsent += queued;
	else if (queued)
		blockif_submit(s->bif); /* one system call for the whole pass */
	if (done_here)
		signal_queue(s, q);
}

static void blk_config_write(struct virtio_dev *vd, size_t off, const uint8_t *data,
			     unsigned size)
{
	/* Only `writeback`, and only with CONFIG_WCE (section 5.2.6.1). */
	if (!(vd->guest_features & 1ull << VIRTIO_BLK_F_CONFIG_WCE))
		return;
	for (unsigned i = 0; i < size; i++)
		if (off + i == VTBLK_CFG_WRITEBACK)
			vd->config[VTBLK_CFG_WRITEBACK] = data[i] ? 1 : 0;
}

static void blk_reset(struct virtio_dev *vd)
{
	struct vtblk *s = vd->priv;
	vd->config[VTBLK_CFG_WRITEBACK] = 1;
	s->unsignalled = 0; /* the queues are gone; requests held still complete (dropped) */
}

static void fill_config(struct vtblk *s)
{
	uint8_t *c = s->vd.config;
	put_le64(c + 0, s->capacity);
	put_le32(c + 8, BLK_SIZE_MAX);
	put_le32(c + 12, BLK_SEG_MAX);
	put_le32(c + 20, s->p.logical);
	unsigned exp = 0;
	while ((s->p.logical << exp) < s->p.physical)
		exp++;
	c[24] = (uint8_t)exp;                              /* physical_block_exp */
	put_le16(c + 26, 1);                               /* min_io_size, in blocks */
	put_le32(c + 28, 0);                               /* opt_io_size */
	c[VTBLK_CFG_WRITEBACK] = 1;
	put_le16(c + 34, (uint16_t)s->ops.nqueues);        /* num_queues */
	put_le32(c + 36, BLK_MAX_DISCARD_SECTORS);         /* max_discard_sectors */
	put_le32(c + 40, 1);                               /* max_discard_seg */
	put_le32(c + 44, s->p.logical / SECTOR);           /* discard_sector_alignment */
	put_le32(c + 48, BLK_MAX_DISCARD_SECTORS);         /* max_write_zeroes_sectors */
	put_le32(c + 52, 1);                               /* max_write_zeroes_seg */
	c[56] = s->p.nodelete ? 0 : 1;                     /* write_zeroes_may_unmap */
}

struct virtio_dev *vtblk_new(const struct gmem *mem, struct blockif *bif,
			     const struct vtblk_params *p)
{
	if (p->nqueues == 0 || p->nqueues > VTBLK_MAX_QUEUES)
		return NULL;
	struct vtblk *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->req = calloc((size_t)p->nqueues * BLK_QUEUE_SIZE, sizeof(*s->req));
	if (s->req == NULL) {
		free(s);
		return NULL;
	}
	s->p = *p;
	s->bif = bif;
	s->capacity = blockif_size(bif) / SECTOR;
	s->ops = (struct virtio_ops){
		.name = "virtio-blk",
		.type = VIRTIO_ID_BLOCK,
		.pci_class = 0x01, /* mass storage */
		.pci_subclass = 0x00,
		.nqueues = p->nqueues,
		.queue_size = BLK_QUEUE_SIZE,
		.config_size = VTBLK_CFG_SIZE,
		.queue_notify = blk_notify,
		.config_write = blk_config_write,
		.reset = blk_reset,
	};
	uint64_t f = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
		     1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_TOPOLOGY |
		     1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_CONFIG_WCE;
	if (p->nqueues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	if (p->ro)
		f |= 1ull << VIRTIO_BLK_F_RO;
	else if (blockif_can_write_zeroes(bif))
		f |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	if (!p->ro && !p->nodelete && blockif_can_discard(bif))
		f |= 1ull << VIRTIO_BLK_F_DISCARD;
	if (virtio_dev_init(&s->vd, &s->ops, mem, f, s) < 0) {
		free(s->req);
		free(s);
		return NULL;
	}
	fill_config(s);
	return &s->vd;
}

/* The held batch goes: one submission, then one interrupt decision a queue. */
static void flush(struct vtblk *s)
{
	if (s->unsent) {
		s->unsent = 0;
		blockif_submit(s->bif);
		blockif_poll(s->bif); /* what completed at once joins the interrupt */
	}
	pthread_mutex_lock(&s->vd.lock);
	vbatch_flushed(&s->batch);
	s->c.batches = s->batch.batches;
	s->c.batched = s->batch.requests;
	uint64_t qs = s->unsignalled;
	s->unsignalled = 0;
	for (unsigned q = 0; qs; q++, qs >>= 1)
		if ((qs & 1) && virtio_live(&s->vd))
			virtio_queue_done(&s->vd, q);
	pthread_mutex_unlock(&s->vd.lock);
}

/* Event loop poller: the request queues and the backend's completions, without kicks. */
static bool blk_poll(void *arg)
{
	struct vtblk *s = arg;
	bool found = virtio_dev_poll(&s->vd);
	found = blockif_poll(s->bif) || found;
	if (vbatch_held(&s->batch) && vbatch_due(&s->batch, evloop_now_ns()))
		flush(s);
	return found;
}

static bool blk_poll_sleep(void *arg)
{
	struct vtblk *s = arg;
	if (vbatch_held(&s->batch))
		flush(s); /* nothing waits while the loop sleeps */
	bool found = virtio_dev_poll_sleep(&s->vd);
	return blockif_poll_sleep(s->bif) || found;
}

static const struct ev_poller_ops blk_poller = {.poll = blk_poll, .sleep = blk_poll_sleep};

int vtblk_add_poller(struct virtio_dev *vd, struct evloop *loop, uint64_t hold_max)
{
	struct vtblk *s = vd->priv;
	vbatch_init(&s->batch, hold_max / VTBLK_HOLD_MIN_DIV, hold_max);
	return evloop_add_poller(loop, &blk_poller, s);
}

struct virtio_pci *vtblk_pci(struct virtio_dev *vd)
{
	return &((struct vtblk *)vd->priv)->vp;
}

const struct vtblk_counters *vtblk_counters(struct virtio_dev *vd)
{
	return &((struct vtblk *)vd->priv)->c;
}

void vtblk_free(struct virtio_dev *vd)
{
	if (vd == NULL)
		return;
	struct vtblk *s = vd->priv;
	virtio_dev_fini(vd);
	free(s->req);
	free(s);
}
