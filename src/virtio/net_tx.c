// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net transmit: each chain's readable part is checked (BAD-INPUTS
 * N1) and written to the tap queue as one frame, the tap's 12-byte header
 * first.
 *
 * With io_uring, one pass over the transmit queue takes up to
 * VTNET_TX_BATCH chains and writes each frame with an IORING_OP_WRITEV, all
 * with one submit. A frame of up to VTNET_TX_COPY_MAX bytes (an ACK, a
 * ping) is copied into a slot of the pair and its chain goes back to the
 * driver at once, with the pass's interrupt, before anything is written: a
 * write to a tap runs the host's receive of the frame (for a local socket,
 * its TCP receive and the wake-up of its reader, which then often preempts
 * the writer), and a short frame's driver need not wait for it. A longer
 * frame is written from guest memory and its chain goes back when the write
 * completes: a copy of every byte would cost the loop more than the wait
 * costs the driver. The next pass runs when the writes are reaped (net.c),
 * so a pair has one batch in flight at most. Without io_uring each frame is
 * one writev straight from guest memory and the pass completes after it.
 *
 * A pair that VQ_PAIRS_SET left unused has its tap queue detached: what
 * the driver still sends there goes out through queue 0.
 */
#include <errno.h>
#include <string.h>

#include "khyve/uring.h"
#include "net_priv.h"

/*
 * N1: the header's fields against the frame and the negotiated features.
 * hdr: the guest's header (10 bytes used), flen: the frame after it.
 */
static bool tx_header_ok(const struct vtnet *s, const uint8_t *hdr, uint64_t flen)
{
	uint8_t flags = hdr[0], gso = hdr[1];
	uint16_t gso_size = vtnet_get_le16(hdr + 4), cstart = vtnet_get_le16(hdr + 6),
		 coff = vtnet_get_le16(hdr + 8);
	if (flen < ETH_HLEN || flen > VTNET_MAX_FRAME)
		return false;
	if (flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return false;
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!vtnet_has(s, VIRTIO_NET_F_CSUM) || (uint64_t)cstart + coff + 2 > flen)
			return false;
	}
	if (gso & VIRTIO_NET_HDR_GSO_ECN) {
		if (!vtnet_has(s, VIRTIO_NET_F_HOST_ECN))
			return false;
		gso &= (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
		if (gso == VIRTIO_NET_HDR_GSO_NONE)
			return false;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!vtnet_has(s, VIRTIO_NET_F_HOST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!vtnet_has(s, VIRTIO_NET_F_HOST_TSO6))
			return false;
		break;
	default:
		return false; /* UDP fragmentation is not offered */
	}
	/* Segmentation needs a segment size and the checksum to complete. */
	return gso_size != 0 && (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
}

/* The tap queue a pair's frames go out on. */
static unsigned tx_queue(const struct vtnet_pair *P)
{
	return P->attached ? P->idx : 0;
}

/*
 * The next chain worth sending: 1 with c filled and the tap's header in
 * hdr (the guest's, num_buffers 0), 0 none left. Chains that are dropped
 * (malformed, link down) go back at once; *any tells.
 */
static int tx_next(struct vtnet *s, struct vtnet_pair *P, struct vq_chain *c, uint8_t *hdr,
		   uint64_t *flen, bool *any)
{
	struct virtio_dev *vd = &s->vd;
	unsigned q = 2 * P->idx + 1;
	struct virtqueue *vq = &vd->q[q].vq;
	size_t h = vtnet_hdr_len(s);
	for (;;) {
		int rc = virtio_get_chain(vd, q, s->iov, VTNET_QUEUE_SIZE, c);
		if (rc == -ENOBUFS) {
			s->c.tx_malformed++;
			*any = true;
			continue;
		}
		if (rc <= 0)
			return 0;
		*any = true;
		memset(hdr, 0, TAP_VNET_HDR_LEN);
		*flen = c->read_len - (c->read_len < h ? 0 : h);
		if (c->read_len < h || iov_to_buf(s->iov, c->nread, 0, hdr, h) != h ||
		    !tx_header_ok(s, hdr, *flen)) {
			s->c.tx_malformed++; /* N1: dropped, the chain goes back */
			vq_put_chain(vq, c->head, 0);
			continue;
		}
		vtnet_put_le16(hdr + 10, 0);
		if (s->link_down) {
			s->c.tx_errors++;
			vq_put_chain(vq, c->head, 0);
			continue;
		}
		return 1;
	}
}

/* A frame went out (res: bytes) or failed (-errno). */
static void tx_result(struct vtnet *s, uint64_t flen, int res)
{
	if (res < 0) {
		s->c.tx_errors++;
		if (vtnet_io_gone(-res))
			vtnet_link_down(s, -res);
	} else {
		s->c.tx_frames++;
		s->c.tx_bytes += flen;
	}
}

/* Without io_uring: every chain available, one writev each. */
static void tx_pass_plain(struct vtnet *s, struct vtnet_pair *P, bool *any)
{
	struct virtqueue *vq = &s->vd.q[2 * P->idx + 1].vq;
	size_t h = vtnet_hdr_len(s);
	struct vq_chain c;
	uint8_t hdr[TAP_VNET_HDR_LEN];
	uint64_t flen;
	while (tx_next(s, P, &c, hdr, &flen, any) == 1) {
		s->txv[0].iov_base = hdr;
		s->txv[0].iov_len = sizeof(hdr);
		unsigned n = 1 + vtnet_iov_tail(s->iov, c.nread, h, s->txv + 1);
		ssize_t w = tap_writev(s->tap, tx_queue(P), s->txv, (int)n);
		tx_result(s, flen, w < 0 ? -errno : (int)w);
		vq_put_chain(vq, c.head, 0);
	}
}

/* A frame written from guest memory: its chain goes back at the completion. */
static bool tx_in_place(const struct vtnet_tx_slot *t)
{
	return t->flen > VTNET_TX_COPY_MAX;
}

/*
 * With io_uring: up to a batch of frames, a WRITEV SQE each (submitted by the
 * caller). Short frames are copied into the pair's slots and their chains
 * given back; longer ones are written from guest memory and their chains
 * held until the write completes (vtnet_tx_done).
 */
static void tx_pass_uring(struct vtnet *s, struct vtnet_pair *P, bool *any)
{
	struct virtqueue *vq = &s->vd.q[2 * P->idx + 1].vq;
	size_t h = vtnet_hdr_len(s);
	P->tx_n = 0;
	while (P->tx_n < VTNET_TX_BATCH) {
		struct vtnet_tx_slot *t = &P->tx_slot[P->tx_n];
		struct vq_chain c;
		if (tx_next(s, P, &c, t->buf, &t->flen, any) != 1)
			break;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
		if (sqe == NULL) { /* the ring holds every pair's batch: not expected */
			s->c.tx_errors++;
			vq_put_chain(vq, c.head, 0);
			break;
		}
		unsigned nv = 1;
		t->v[0].iov_base = t->buf;
		t->head = c.head;
		if (tx_in_place(t)) {
			/* v has room for the header and every buffer of a chain (s->iov's size). */
			nv += vtnet_iov_tail(s->iov, c.nread, h, t->v + 1);
			t->v[0].iov_len = TAP_VNET_HDR_LEN;
		} else {
			iov_to_buf(s->iov, c.nread, h, t->buf + TAP_VNET_HDR_LEN, t->flen);
			vq_put_chain(vq, c.head, 0);
			t->v[0].iov_len = TAP_VNET_HDR_LEN + t->flen;
		}
		io_uring_prep_writev(sqe, (int)tx_queue(P), t->v, nv, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data64(sqe, vtnet_tag(VTNET_OP_TX, P->idx, P->tx_n));
		P->tx_n++;
		virtio_io_start(&s->vd);
	}
	P->tx_inflight = P->tx_n;
}

/*
 * A kick, or the last completion of a pass: send what the driver queued.
 * The chains of an io_uring pass are back, with their interrupt, before its
 * writes are submitted. A write to a tap completes within the submit, so the
 * pass's completions are reaped here at once and the next pass follows
 * without a trip through the event loop.
 */
void vtnet_tx_notify(struct vtnet *s, struct vtnet_pair *P)
{
	struct virtio_dev *vd = &s->vd;
	unsigned q = 2 * P->idx + 1;
	if (P->tx_inflight || P->tx_busy)
		return; /* its last completion, or the loop below, comes back here */
	P->tx_busy = true;
	vtnet_apply_offloads(s);
	for (unsigned round = 0; virtio_live(vd); round++) {
		bool any = false;
		if (s->uring)
			tx_pass_uring(s, P, &any);
		else
			tx_pass_plain(s, P, &any);
		if (any)
			virtio_queue_done(vd, q);
		if (P->tx_inflight) {
			uring_submit_reaped(&s->ring); /* vtnet_reap below takes the completions */
			vtnet_reap(s);
		}
		if (P->tx_inflight || !virtio_queue_rearm(vd, q, round))
			break;
	}
	P->tx_busy = false;
}

/*
 * Completion of slot's WRITEV (res: bytes or -errno). A chain written in
 * place goes back now (vtnet_reap interrupts); a copied one went back at
 * submission.
 */
void vtnet_tx_done(struct vtnet *s, struct vtnet_pair *P, unsigned slot, int res)
{
	if (P->tx_inflight)
		P->tx_inflight--;
	if (virtio_io_end(&s->vd) || slot >= P->tx_n)
		return; /* a reset is pending: the last completion completes it */
	struct vtnet_tx_slot *t = &P->tx_slot[slot];
	tx_result(s, t->flen, res);
	if (tx_in_place(t))
		vq_put_chain(&s->vd.q[2 * P->idx + 1].vq, t->head, 0);
}
