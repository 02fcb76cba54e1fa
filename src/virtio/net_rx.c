// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net receive, per queue pair.
 *
 * With io_uring: when the tap queue is readable and the receive queue has
 * a chain, one IORING_OP_READV reads the frame straight into that chain:
 * the tap's 12-byte header into a small buffer of the pair, the frame into
 * the guest's buffers after the header, and whatever does not fit into the
 * bounce buffer. The header (num_buffers set) is copied in on completion.
 * A frame that overflowed continues from the bounce buffer into more
 * chains with MRG_RXBUF, and is dropped without it. One read is in flight
 * a pair; the tap is not watched meanwhile.
 *
 * Without io_uring: readv into the bounce buffer, then copies into the
 * guest's chains (several with MRG_RXBUF, num_buffers set).
 *
 * Either way, with no buffers the frame waits and the tap is no longer
 * watched until the driver adds some (a kick on the receive queue).
 */
#include <errno.h>
#include <string.h>

#include "khyve/uring.h"
#include "net_priv.h"

static struct virtqueue *rx_vq(struct vtnet *s, const struct vtnet_pair *P)
{
	return &s->vd.q[2 * P->idx].vq;
}

/*
 * Put the pending frame into the receive queue: 1 done (delivered or
 * dropped), 0 no buffers (it stays pending), -1 the queue broke.
 */
static int rx_deliver(struct vtnet *s, struct vtnet_pair *P)
{
	struct virtio_dev *vd = &s->vd;
	unsigned q = 2 * P->idx;
	struct virtqueue *vq = rx_vq(s, P);
	size_t len = P->pend_len, h = vtnet_hdr_len(s);
	bool mrg = vtnet_has(s, VIRTIO_NET_F_MRG_RXBUF);
	while (P->pend_off < len) {
		struct vq_chain c;
		int rc = virtio_get_chain(vd, q, s->iov, VTNET_QUEUE_SIZE, &c);
		if (rc == -ENOBUFS)
			continue;
		if (rc <= 0)
			return rc < 0 ? -1 : 0;
		const struct iovec *w = s->iov + c.nread;
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

/* io_uring: a READV into the next chain. 1 posted, 0 no buffers, -1 the queue broke. */
static int rx_post(struct vtnet *s, struct vtnet_pair *P, bool *any)
{
	struct virtio_dev *vd = &s->vd;
	size_t h = vtnet_hdr_len(s);
	while (!P->rx_have) {
		int rc =
		    virtio_get_chain(vd, 2 * P->idx, P->rx_iov, VTNET_QUEUE_SIZE, &P->rx_chain);
		if (rc == -ENOBUFS)
			continue;
		if (rc <= 0)
			return rc < 0 ? -1 : 0;
		if (P->rx_chain.write_len >= h) {
			P->rx_have = true;
			break;
		}
		vq_put_chain(rx_vq(s, P), P->rx_chain.head, 0); /* no room for a header */
		*any = true;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
	if (sqe == NULL)
		return -1; /* not expected: SQEs are submitted as soon as they are filled */
	const struct vq_chain *c = &P->rx_chain;
	P->rx_v[0].iov_base = P->rx_hdr;
	P->rx_v[0].iov_len = TAP_VNET_HDR_LEN;
	unsigned n = 1 + vtnet_iov_tail(P->rx_iov + c->nread, c->niov - c->nread, h, P->rx_v + 1);
	P->rx_v[n].iov_base = P->rxbuf;
	P->rx_v[n].iov_len = VTNET_RX_BUF;
	io_uring_prep_readv(sqe, (int)P->idx, P->rx_v, n + 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, vtnet_tag(VTNET_OP_RX, P->idx, 0));
	P->rx_busy = true;
	virtio_io_start(vd);
	uring_submit_all(&s->ring);
	return 1;
}

void vtnet_rx_process(struct vtnet *s, struct vtnet_pair *P, bool readable, bool any)
{
	struct virtio_dev *vd = &s->vd;
	struct virtqueue *vq = rx_vq(s, P);
	bool more = true;
	if (!virtio_live(vd) || s->link_down || !vq->ready || vq->broken || P->idx >= s->active ||
	    P->rx_busy) {
		more = false; /* a kick on the receive queue, or the completion, brings it back */
		goto out;
	}
	vtnet_apply_offloads(s);
	for (;;) {
		if (P->pend_len == 0) {
			int r;
			if (s->uring) {
				if (!readable)
					break; /* the loop tells when there is a frame */
				r = rx_post(s, P, &any);
				if (r == 0 && vq_notify_on(vq))
					continue;
				more = false; /* posted: the completion goes on */
				break;
			}
			r = rx_read(s, P);
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

/* Completion of the pair's READV (res: bytes or -errno). */
void vtnet_rx_done(struct vtnet *s, struct vtnet_pair *P, int res)
{
	P->rx_busy = false;
	/* A reset is pending: the chain belongs to the old rings (the reset forgets it). */
	if (virtio_io_end(&s->vd) || !P->rx_have)
		return;
	if (res <= 0) {
		if (res == 0 || vtnet_io_gone(-res)) {
			vtnet_link_down(s, -res);
			return;
		}
		vtnet_rx_process(s, P, false, false); /* EAGAIN and such: the chain waits */
		return;
	}
	if ((size_t)res <= TAP_VNET_HDR_LEN) {
		s->c.rx_dropped++;
		vtnet_rx_process(s, P, false, false);
		return;
	}
	struct virtqueue *vq = rx_vq(s, P);
	const struct vq_chain *c = &P->rx_chain;
	const struct iovec *w = P->rx_iov + c->nread;
	unsigned nw = c->niov - c->nread;
	size_t n = (size_t)res - TAP_VNET_HDR_LEN, h = vtnet_hdr_len(s);
	size_t room = (size_t)c->write_len - h;
	P->rx_have = false;
	vtnet_put_le16(P->rx_hdr + 10, 1);
	buf_to_iov(w, nw, 0, P->rx_hdr, h); /* a legacy 10-byte header: the first 10 */
	if (n <= room) {
		vq_put_chain(vq, c->head, (uint32_t)(h + n));
		s->c.rx_frames++;
		s->c.rx_direct++;
		s->c.rx_bytes += n;
	} else if (!vtnet_has(s, VIRTIO_NET_F_MRG_RXBUF)) {
		vq_put_chain(vq, c->head, 0);
		s->c.rx_dropped++;
	} else {
		/* The rest of the frame is in rxbuf: on into more chains. */
		P->held[0].head = c->head;
		P->held[0].len = (uint32_t)c->write_len;
		P->nheld = 1;
		memcpy(P->first, w, nw * sizeof(*w));
		P->nfirst = nw;
		P->pend_data = P->rxbuf;
		P->pend_base = P->pend_off = (size_t)c->write_len;
		P->pend_len = h + n;
		vtnet_rx_process(s, P, false, false);
		return;
	}
	vtnet_rx_process(s, P, false, true);
}

void vtnet_rx_reset(struct vtnet_pair *P)
{
	/* Chains held for a frame belong to the old rings: forget them and the frame. */
	P->nheld = 0;
	P->pend_len = 0;
	P->rx_have = false;
	P->rx_busy = false;
}
