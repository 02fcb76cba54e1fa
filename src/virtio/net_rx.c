// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net receive, per queue pair.
 *
 * With io_uring: when the tap queue is readable, up to VTNET_RX_BATCH
 * chains (as many as the ring has, at most half of it) each get an
 * IORING_OP_READV, all sent with one submit. Each reads a frame straight
 * into its chain: the tap's 12-byte header into a small buffer of the slot,
 * the frame into the guest's buffers after the header, and whatever does
 * not fit into the slot's bounce buffer. The reads carry RWF_NOWAIT, so they
 * run at submission, in order, and those that find no frame complete with
 * -EAGAIN at once (without it io_uring would wait in each for a frame of its
 * own, in no set order): their chains stay held, in order, for the next
 * batch. A tap that refuses RWF_NOWAIT (EOPNOTSUPP) is read without it.
 *
 * Completions are kept by slot and delivered in slot order (a later slot
 * that completes first waits for the earlier), with one interrupt for what
 * a run of completions delivered. The header (num_buffers set) is copied in
 * at delivery. A frame that overflowed continues from its bounce buffer
 * into more chains with MRG_RXBUF (held chains that got no frame first,
 * then the ring's), so each frame's chains are together in the used ring;
 * without MRG_RXBUF it is dropped. A batch that filled every slot is
 * followed at once by the next (the tap most likely holds more), else the
 * pair waits for the tap to be readable; while reads are in flight the tap
 * is not watched.
 *
 * Without io_uring: readv into the bounce buffer, then copies into the
 * guest's chains (several with MRG_RXBUF, num_buffers set).
 *
 * Either way, with no buffers the frame waits and the tap is no longer
 * watched until the driver adds some (a kick on the receive queue).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "khyve/uring.h"
#include "net_priv.h"

static struct virtqueue *rx_vq(struct vtnet *s, const struct vtnet_pair *P)
{
	return &s->vd.q[2 * P->idx].vq;
}

/* A slot holding a chain with nothing in it: held, or its READV found no frame. */
static bool rx_empty(const struct vtnet_rx_slot *t)
{
	return t->state == VTNET_RX_HELD ||
	       (t->state == VTNET_RX_DONE && t->res < 0 && !vtnet_io_gone(-t->res));
}

/*
 * The next chain for the pending frame: an empty slot's (taken from the
 * ring before the others), else the ring's next. 1 with *c and *w (its writable
 * buffers), 0 none, -1 the queue broke.
 */
static int rx_more(struct vtnet *s, struct vtnet_pair *P, struct vq_chain *c,
		   const struct iovec **w)
{
	for (unsigned i = 0; i < P->rx_n; i++) {
		struct vtnet_rx_slot *t = &P->rx_slot[P->rx_ord[i]];
		if (!rx_empty(t))
			continue;
		/* Its buffers stay put: slots are refilled only once no frame is pending. */
		t->state = VTNET_RX_FREE;
		memmove(P->rx_ord + i, P->rx_ord + i + 1, P->rx_n - i - 1);
		P->rx_n--;
		*c = t->chain;
		*w = t->iov + c->nread;
		return 1;
	}
	for (;;) {
		int rc = virtio_get_chain(&s->vd, 2 * P->idx, s->iov, VTNET_QUEUE_SIZE, c);
		if (rc == -ENOBUFS)
			continue;
		if (rc <= 0)
			return rc < 0 ? -1 : 0;
		*w = s->iov + c->nread;
		return 1;
	}
}

/*
 * Put the pending frame into the receive queue: 1 done (delivered or
 * dropped), 0 no buffers (it stays pending), -1 the queue broke.
 */
static int rx_deliver(struct vtnet *s, struct vtnet_pair *P)
{
	struct virtqueue *vq = rx_vq(s, P);
	size_t len = P->pend_len, h = vtnet_hdr_len(s);
	bool mrg = vtnet_has(s, VIRTIO_NET_F_MRG_RXBUF);
	while (P->pend_off < len) {
		struct vq_chain c;
		const struct iovec *w;
		int rc = rx_more(s, P, &c, &w);
		if (rc <= 0)
			return rc;
		unsigned nw = c.niov - c.nread;
		if (!mrg) {
			/* One chain a frame: one too small gets the frame dropped. */
			if (c.write_len < len || P->pend_base) {
				vq_put_chain(vq, c.head, 0);
				s->c.rx_dropped++;
				return 1;
			}
			buf_to_iov(w, nw, 0, P->pend_data, len);
			vq_put_chain(vq, c.head, (uint32_t)len);
			return 1;
		}
		/* Mergeable buffers: each must hold a header (section 5.1.6.3.1). */
		if (c.write_len < h) {
			vq_put_chain(vq, c.head, 0);
			continue;
		}
		if (P->nheld == 0) {
			memcpy(P->first, w, nw * sizeof(*w));
			P->nfirst = nw;
		}
		size_t n = len - P->pend_off;
		if (n > c.write_len)
			n = (size_t)c.write_len;
		buf_to_iov(w, nw, 0, P->pend_data + (P->pend_off - P->pend_base), n);
		P->held[P->nheld].head = c.head;
		P->held[P->nheld].len = (uint32_t)n;
		P->nheld++;
		P->pend_off += n;
	}
	if (mrg) {
		uint8_t nb[2];
		vtnet_put_le16(nb, (uint16_t)P->nheld);
		buf_to_iov(P->first, P->nfirst, 10, nb, 2);
		for (unsigned i = 0; i < P->nheld; i++)
			vq_put_chain(vq, P->held[i].head, P->held[i].len);
		P->nheld = 0;
	}
	return 1;
}

/* readv: one frame from the tap into rxbuf: 1, 0 nothing to read, -1 the tap is gone. */
static int rx_read(struct vtnet *s, struct vtnet_pair *P)
{
	for (;;) {
		struct iovec v = {P->rxbuf, VTNET_RX_BUF};
		ssize_t n = tap_readv(s->tap, P->idx, &v, 1);
		if (n < 0) {
			int e = errno;
			if (!vtnet_io_gone(e))
				return 0;
			vtnet_link_down(s, e);
			return -1;
		}
		if (n == 0) {
			vtnet_link_down(s, 0);
			return -1;
		}
		if ((size_t)n <= TAP_VNET_HDR_LEN) {
			s->c.rx_dropped++;
			continue;
		}
		if (!vtnet_rx_wanted(s, P->rxbuf + TAP_VNET_HDR_LEN, (size_t)n - TAP_VNET_HDR_LEN))
			continue;
		/* The tap leaves num_buffers as it was: 1 unless MRG_RXBUF fixes it later. */
		vtnet_put_le16(P->rxbuf + 10, 1);
		size_t start = TAP_VNET_HDR_LEN - vtnet_hdr_len(s);
		if (start) /* the legacy 10-byte header: the first 10 bytes of the tap's */
			memmove(P->rxbuf + start, P->rxbuf, VIRTIO_NET_HDR_LEN_LEGACY);
		P->pend_data = P->rxbuf + start;
		P->pend_len = (size_t)n - start;
		P->pend_off = P->pend_base = 0;
		return 1;
	}
}

/*
 * The most slots a batch uses: VTNET_RX_BATCH, leaving half the ring for
 * the rest of a frame. Without RWF_NOWAIT one: a read that finds no frame
 * might wait for one in flight, and only one right after readiness cannot.
 */
static unsigned rx_batch(const struct vtnet *s, const struct virtqueue *vq)
{
	unsigned k = vq->size / 2;
	if (!s->rx_nowait || k == 0)
		return 1;
	return k < VTNET_RX_BATCH ? k : VTNET_RX_BATCH;
}

/* Chains from the ring into free slots. 0, or -1: the queue broke. */
static int rx_fill(struct vtnet *s, struct vtnet_pair *P, bool *any)
{
	struct virtqueue *vq = rx_vq(s, P);
	size_t h = vtnet_hdr_len(s);
	unsigned k = rx_batch(s, vq), i = 0;
	while (P->rx_n < k) {
		while (i < VTNET_RX_BATCH && P->rx_slot[i].state != VTNET_RX_FREE)
			i++; /* rx_n < k <= VTNET_RX_BATCH: there is one */
		if (i == VTNET_RX_BATCH)
			break;
		struct vtnet_rx_slot *t = &P->rx_slot[i];
		int rc = virtio_get_chain(&s->vd, 2 * P->idx, t->iov, VTNET_QUEUE_SIZE, &t->chain);
		if (rc == -ENOBUFS)
			continue;
		if (rc <= 0)
			return rc < 0 ? -1 : 0;
		if (t->chain.write_len < h) {
			vq_put_chain(vq, t->chain.head, 0); /* no room for a header */
			*any = true;
			continue;
		}
		t->state = VTNET_RX_HELD;
		P->rx_ord[P->rx_n++] = (uint8_t)i;
	}
	return 0;
}

/* io_uring: a READV into each held chain, one submit. 1 posted, 0 no buffers, -1 broken. */
static int rx_post(struct vtnet *s, struct vtnet_pair *P, bool *any)
{
	size_t h = vtnet_hdr_len(s);
	if (rx_fill(s, P, any) < 0)
		return -1;
	unsigned posted = 0, most = rx_batch(s, rx_vq(s, P));
	if (P->rx_want && P->rx_want < most)
		most = P->rx_want;
	for (unsigned i = 0; i < P->rx_n && posted < most; i++) {
		unsigned slot = P->rx_ord[i];
		struct vtnet_rx_slot *t = &P->rx_slot[slot];
		if (t->state != VTNET_RX_HELD)
			continue;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
		if (sqe == NULL)
			break; /* not expected: the ring has room for every pair's batches */
		const struct vq_chain *c = &t->chain;
		t->v[0].iov_base = t->hdr;
		t->v[0].iov_len = TAP_VNET_HDR_LEN;
		unsigned n = 1 + vtnet_iov_tail(t->iov + c->nread, c->niov - c->nread, h, t->v + 1);
		t->v[n].iov_base = t->bounce;
		t->v[n].iov_len = VTNET_RX_BUF;
		t->nv = n + 1;
		io_uring_prep_readv(sqe, (int)P->idx, t->v, t->nv, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->rw_flags = s->rx_nowait ? RWF_NOWAIT : 0;
		t->nowait = s->rx_nowait;
		io_uring_sqe_set_data64(sqe, vtnet_tag(VTNET_OP_RX, P->idx, slot));
		t->state = VTNET_RX_POSTED;
		virtio_io_start(&s->vd);
		posted++;
	}
	if (posted == 0)
		return P->rx_n ? -1 : 0;
	P->rx_inflight = P->rx_posted = posted;
	s->c.rx_reads += posted;
	P->rx_got = 0;
	/* Only for a readable tap: the callers reap next (vtnet_tap_readable, vtnet_reap). */
	uring_submit_reaped(&s->ring);
	return 1;
}

/*
 * A completed READV into slot t: true when its chain was used (put, or
 * holding the start of a frame now pending), false when it stays held.
 */
static bool rx_frame(struct vtnet *s, struct vtnet_pair *P, struct vtnet_rx_slot *t, bool *any)
{
	int res = t->res;
	if (res <= 0) {
		if (res == 0 || vtnet_io_gone(-res))
			vtnet_link_down(s, -res);
		return false; /* EAGAIN and such: no frame, the chain waits */
	}
	if ((size_t)res <= TAP_VNET_HDR_LEN) {
		s->c.rx_dropped++;
		return false;
	}
	size_t n = (size_t)res - TAP_VNET_HDR_LEN, h = vtnet_hdr_len(s);
	/* The frame's first bytes are in the guest's buffers (or the bounce buffer). */
	uint8_t eth[VTNET_FILTER_PEEK];
	size_t k =
	    iov_to_buf(t->v, t->nv, TAP_VNET_HDR_LEN, eth, n < sizeof(eth) ? n : sizeof(eth));
	if (!vtnet_rx_wanted(s, eth, k))
		return false; /* filtered: the chain waits for the next frame */
	struct virtqueue *vq = rx_vq(s, P);
	const struct vq_chain *c = &t->chain;
	const struct iovec *w = t->iov + c->nread;
	unsigned nw = c->niov - c->nread;
	size_t room = (size_t)c->write_len - h;
	vtnet_put_le16(t->hdr + 10, 1);
	buf_to_iov(w, nw, 0, t->hdr, h); /* a legacy 10-byte header: the first 10 */
	if (n <= room) {
		vq_put_chain(vq, c->head, (uint32_t)(h + n));
		s->c.rx_frames++;
		s->c.rx_direct++;
		s->c.rx_bytes += n;
		*any = true;
	} else if (!vtnet_has(s, VIRTIO_NET_F_MRG_RXBUF)) {
		vq_put_chain(vq, c->head, 0);
		s->c.rx_dropped++;
		*any = true;
	} else {
		/* The rest of the frame is in the bounce buffer: on into more chains. */
		P->held[0].head = c->head;
		P->held[0].len = (uint32_t)c->write_len;
		P->nheld = 1;
		memcpy(P->first, w, nw * sizeof(*w));
		P->nfirst = nw;
		P->pend_data = t->bounce;
		P->pend_base = P->pend_off = (size_t)c->write_len;
		P->pend_len = h + n;
	}
	return true;
}

/* Completed READVs in slot order, up to one still in flight or a frame that overflowed. */
static void rx_complete(struct vtnet *s, struct vtnet_pair *P, bool *any)
{
	unsigned i = 0, keep = 0;
	while (i < P->rx_n && P->pend_len == 0) {
		unsigned slot = P->rx_ord[i];
		struct vtnet_rx_slot *t = &P->rx_slot[slot];
		if (t->state == VTNET_RX_POSTED)
			break;
		i++;
		if (t->state == VTNET_RX_DONE && rx_frame(s, P, t, any)) {
			t->state = VTNET_RX_FREE;
			continue;
		}
		t->state = VTNET_RX_HELD;
		P->rx_ord[keep++] = (uint8_t)slot;
	}
	memmove(P->rx_ord + keep, P->rx_ord + i, P->rx_n - i);
	P->rx_n = keep + (P->rx_n - i);
}

void vtnet_rx_process(struct vtnet *s, struct vtnet_pair *P, bool readable, bool any)
{
	struct virtio_dev *vd = &s->vd;
	struct virtqueue *vq = rx_vq(s, P);
	bool more = true;
	if (!virtio_live(vd) || s->link_down || !vq->ready || vq->broken || P->idx >= s->active) {
		more = false; /* a kick on the receive queue, or a completion, brings it back */
		goto out;
	}
	vtnet_apply_offloads(s);
	for (;;) {
		if (P->pend_len == 0 && s->uring) {
			rx_complete(s, P, &any);
			if (P->pend_len)
				continue;
			if (s->link_down || P->rx_inflight) {
				more = false; /* the last completion goes on */
				break;
			}
			if (!readable)
				break; /* the loop tells when there is a frame */
			int r = rx_post(s, P, &any);
			if (r == 0 && vq_notify_on(vq))
				continue;
			more = false; /* posted: the completions go on */
			break;
		}
		if (P->pend_len == 0) {
			int r = rx_read(s, P);
			if (r <= 0) {
				more = r == 0;
				break;
			}
		}
		int rc = rx_deliver(s, P);
		if (rc < 0) {
			more = false;
			break;
		}
		if (rc == 1) {
			s->c.rx_frames++;
			s->c.rx_bytes += P->pend_len - vtnet_hdr_len(s);
			P->pend_len = 0;
			any = true;
			continue;
		}
		/* No buffers: ask for a kick; buffers that came meanwhile are used now. */
		if (vq_notify_on(vq))
			continue;
		more = false;
		break;
	}
out:
	vtnet_watch(P, more && !s->link_down);
	if (any && virtio_live(vd))
		virtio_queue_done(vd, 2 * P->idx);
}

void vtnet_rx_done(struct vtnet *s, struct vtnet_pair *P, unsigned slot, int res)
{
	if (P->rx_inflight)
		P->rx_inflight--;
	if (res > 0)
		P->rx_got++;
	/* A reset is pending: the chain belongs to the old rings (the reset forgets it). */
	if (virtio_io_end(&s->vd) || slot >= VTNET_RX_BATCH ||
	    P->rx_slot[slot].state != VTNET_RX_POSTED)
		return;
	struct vtnet_rx_slot *t = &P->rx_slot[slot];
	if (res == -EOPNOTSUPP && t->nowait) {
		s->rx_nowait = false; /* the tap does not take RWF_NOWAIT: no frame read */
		res = -EAGAIN;
	}
	t->state = VTNET_RX_DONE;
	t->res = res;
}

void vtnet_rx_reaped(struct vtnet *s, struct vtnet_pair *P, bool again)
{
	/* Every slot got a frame: the tap most likely holds more, read on without waiting. */
	bool full = P->rx_inflight == 0 && P->rx_got == P->rx_posted;
	/*
	 * The next batch is sized by this one: twice as many READVs after a full
	 * one, one more than found a frame otherwise. A trickle (the ACKs of a
	 * transfer the guest sends) costs one or two READVs a wake-up, not a
	 * whole batch of reads that find the tap empty.
	 */
	if (P->rx_inflight == 0 && P->rx_posted)
		P->rx_want = full ? 2 * P->rx_posted : P->rx_got + 1;
	vtnet_rx_process(s, P, full && again, false);
}

void vtnet_rx_reset(struct vtnet_pair *P)
{
	/* Chains held for a frame belong to the old rings: forget them and the frame. */
	P->nheld = 0;
	P->pend_len = 0;
	for (unsigned i = 0; i < VTNET_RX_BATCH; i++)
		P->rx_slot[i].state = VTNET_RX_FREE;
	P->rx_n = 0;
	P->rx_inflight = 0;
	P->rx_posted = P->rx_got = P->rx_want = 0;
}
