// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net (virtio 1.x section 5.1) on the tap backend: queue 0 receives,
 * queue 1 transmits, queue 2 is the control queue (receive-mode commands,
 * acknowledged). The tap carries the same 12-byte virtio-net header as the
 * guest, so checksum and segmentation offloads pass through unchanged.
 *
 * Transmit: each chain's readable part is checked (BAD-INPUTS N1) and
 * written to the tap with one writev, the header first. Receive: when the
 * tap is readable a frame is read into one buffer and copied into the guest's
 * chains (several with MRG_RXBUF, num_buffers set); with no buffers the frame
 * waits there and the tap is no longer watched until the driver adds some.
 * Everything runs on the event loop thread with plain readv/writev.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/evloop.h"
#include "khyve/virtio_net.h"
#include "khyve/virtio_pci.h"

#define RXQ 0
#define TXQ 1
#define CTLQ 2
#define ETH_HLEN 14

struct vtnet {
	struct virtio_dev vd;
	struct virtio_pci vp;
	struct vtnet_params p;
	struct virtio_ops ops;
	struct tap *tap;
	struct ev_fd *ev; /* the tap's descriptor on the loop; NULL in tests */
	bool watching;	  /* ev not paused */
	bool link_down;
	unsigned offloads; /* TAP_OFF_* last given to the tap; ~0u: none yet */
	struct iovec iov[VTNET_QUEUE_SIZE];
	struct iovec txv[VTNET_QUEUE_SIZE + 1];
	/* The frame read from the tap and not yet in the guest: rxbuf[start, len). */
	uint8_t *rxbuf;
	size_t pend_len, pend_start, pend_off;
	/* MRG_RXBUF: chains holding the first pend_off bytes, and the first one's buffers. */
	struct {
		uint16_t head;
		uint32_t len;
	} held[VTNET_QUEUE_SIZE];
	unsigned nheld;
	struct iovec first[VTNET_QUEUE_SIZE];
	unsigned nfirst;
	struct vtnet_counters c;
};

static bool has(const struct vtnet *s, unsigned bit)
{
	return (s->vd.guest_features >> bit) & 1;
}

/* The header the guest uses: 12 bytes with VERSION_1 or MRG_RXBUF, else 10. */
static size_t hdr_len(const struct vtnet *s)
{
	return has(s, VIRTIO_F_VERSION_1) || has(s, VIRTIO_NET_F_MRG_RXBUF)
		   ? VIRTIO_NET_HDR_LEN
		   : VIRTIO_NET_HDR_LEN_LEGACY;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void watch(struct vtnet *s, bool on)
{
	if (s->ev == NULL || s->watching == on)
		return;
	if (on)
		evloop_fd_resume(s->ev);
	else
		evloop_fd_pause(s->ev);
	s->watching = on;
}

/* The offloads the guest accepts on receive become the tap's (TUNSETOFFLOAD). */
static void apply_offloads(struct vtnet *s)
{
	unsigned f = 0;
	if (has(s, VIRTIO_NET_F_GUEST_CSUM))
		f |= TAP_OFF_CSUM;
	if (has(s, VIRTIO_NET_F_GUEST_TSO4))
		f |= TAP_OFF_TSO4;
	if (has(s, VIRTIO_NET_F_GUEST_TSO6))
		f |= TAP_OFF_TSO6;
	if (has(s, VIRTIO_NET_F_GUEST_ECN))
		f |= TAP_OFF_TSO_ECN;
	if (f == s->offloads)
		return;
	if (tap_set_offload(s->tap, f) < 0)
		fprintf(stderr, "virtio-net: %s: TUNSETOFFLOAD 0x%x failed\n", tap_name(s->tap), f);
	s->offloads = f;
}

/* The tap is gone (EBADFD, EIO, ENODEV, ...): link down, a config interrupt. */
static void link_down(struct vtnet *s, int err)
{
	if (s->link_down)
		return;
	fprintf(stderr, "virtio-net: %s: %s; link down\n", tap_name(s->tap),
		err ? strerror(err) : "end of file");
	s->link_down = true;
	s->c.link_down++;
	watch(s, false);
	put_le16(s->vd.config + VTNET_CFG_STATUS, 0);
	virtio_config_changed(&s->vd);
}

static bool io_gone(int e)
{
	return e != EAGAIN && e != EWOULDBLOCK && e != EINTR && e != ENOBUFS && e != EINVAL &&
	       e != EMSGSIZE && e != ENOMEM;
}

/*
 * N1: the header's fields against the frame and the negotiated features.
 * hdr: the guest's header (10 bytes used), flen: the frame after it.
 */
static bool tx_header_ok(const struct vtnet *s, const uint8_t *hdr, uint64_t flen)
{
	uint8_t flags = hdr[0], gso = hdr[1];
	uint16_t gso_size = get_le16(hdr + 4), cstart = get_le16(hdr + 6), coff = get_le16(hdr + 8);
	if (flen < ETH_HLEN || flen > VTNET_MAX_FRAME)
		return false;
	if (flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return false;
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!has(s, VIRTIO_NET_F_CSUM) || (uint64_t)cstart + coff + 2 > flen)
			return false;
	}
	if (gso & VIRTIO_NET_HDR_GSO_ECN) {
		if (!has(s, VIRTIO_NET_F_HOST_ECN))
			return false;
		gso &= (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
		if (gso == VIRTIO_NET_HDR_GSO_NONE)
			return false;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!has(s, VIRTIO_NET_F_HOST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!has(s, VIRTIO_NET_F_HOST_TSO6))
			return false;
		break;
	default:
		return false; /* UDP fragmentation is not offered */
	}
	/* Segmentation needs a segment size and the checksum to complete. */
	return gso_size != 0 && (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
}

/* [skip, end) of iov into out; returns the count. */
static unsigned iov_tail(const struct iovec *iov, unsigned n, size_t skip, struct iovec *out)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		out[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[k].iov_len = iov[i].iov_len - skip;
		k++;
		skip = 0;
	}
	return k;
}

static void tx_notify(struct vtnet *s)
{
	struct virtio_dev *vd = &s->vd;
	struct virtqueue *vq = &vd->q[TXQ].vq;
	size_t h = hdr_len(s);
	bool any = false;
	apply_offloads(s);
	for (;;) {
		struct vq_chain c;
		int rc = virtio_get_chain(vd, TXQ, s->iov, VTNET_QUEUE_SIZE, &c);
		if (rc == -ENOBUFS) {
			s->c.tx_malformed++;
			any = true;
			continue;
		}
		if (rc <= 0)
			break;
		any = true;
		/* The tap's header: the guest's, num_buffers 0 (and 0 for a 10-byte one). */
		uint8_t hdr[TAP_VNET_HDR_LEN] = {0};
		uint64_t flen = c.read_len - (c.read_len < h ? 0 : h);
		if (c.read_len < h || iov_to_buf(s->iov, c.nread, 0, hdr, h) != h ||
		    !tx_header_ok(s, hdr, flen)) {
			s->c.tx_malformed++; /* N1: dropped, the chain goes back */
			vq_put_chain(vq, c.head, 0);
			continue;
		}
		put_le16(hdr + 10, 0);
		if (s->link_down) {
			s->c.tx_errors++;
			vq_put_chain(vq, c.head, 0);
			continue;
		}
		s->txv[0].iov_base = hdr;
		s->txv[0].iov_len = sizeof(hdr);
		unsigned n = 1 + iov_tail(s->iov, c.nread, h, s->txv + 1);
		ssize_t w = tap_writev(s->tap, s->txv, (int)n);
		if (w < 0) {
			int e = errno;
			s->c.tx_errors++;
			if (io_gone(e))
				link_down(s, e);
		} else {
			s->c.tx_frames++;
			s->c.tx_bytes += flen;
		}
		vq_put_chain(vq, c.head, 0);
	}
	if (any)
		virtio_queue_done(vd, TXQ);
}

/*
 * Put the pending frame into the receive queue: 1 done (delivered or
 * dropped), 0 no buffers (it stays pending), -1 the queue broke.
 */
static int rx_deliver(struct vtnet *s)
{
	struct virtio_dev *vd = &s->vd;
	struct virtqueue *vq = &vd->q[RXQ].vq;
	const uint8_t *pkt = s->rxbuf + s->pend_start;
	size_t len = s->pend_len - s->pend_start, h = hdr_len(s);
	bool mrg = has(s, VIRTIO_NET_F_MRG_RXBUF);
	while (s->pend_off < len) {
		struct vq_chain c;
		int rc = virtio_get_chain(vd, RXQ, s->iov, VTNET_QUEUE_SIZE, &c);
		if (rc == -ENOBUFS)
			continue;
		if (rc <= 0)
			return rc < 0 ? -1 : 0;
		const struct iovec *w = s->iov + c.nread;
		unsigned nw = c.niov - c.nread;
		if (!mrg) {
			/* One chain a frame: one too small gets the frame dropped. */
			if (c.write_len < len) {
				vq_put_chain(vq, c.head, 0);
				s->c.rx_dropped++;
				return 1;
			}
			buf_to_iov(w, nw, 0, pkt, len);
			vq_put_chain(vq, c.head, (uint32_t)len);
			return 1;
		}
		/* Mergeable buffers: each must hold a header (section 5.1.6.3.1). */
		if (c.write_len < h) {
			vq_put_chain(vq, c.head, 0);
			continue;
		}
		if (s->nheld == 0) {
			memcpy(s->first, w, nw * sizeof(*w));
			s->nfirst = nw;
		}
		size_t n = len - s->pend_off;
		if (n > c.write_len)
			n = (size_t)c.write_len;
		buf_to_iov(w, nw, 0, pkt + s->pend_off, n);
		s->held[s->nheld].head = c.head;
		s->held[s->nheld].len = (uint32_t)n;
		s->nheld++;
		s->pend_off += n;
	}
	if (mrg) {
		uint8_t nb[2];
		put_le16(nb, (uint16_t)s->nheld);
		buf_to_iov(s->first, s->nfirst, 10, nb, 2);
		for (unsigned i = 0; i < s->nheld; i++)
			vq_put_chain(vq, s->held[i].head, s->held[i].len);
		s->nheld = 0;
	}
	return 1;
}

/* Read one frame from the tap into rxbuf: 1, 0 nothing to read, -1 the tap is gone. */
static int rx_read(struct vtnet *s)
{
	for (;;) {
		struct iovec v = {s->rxbuf, VTNET_RX_BUF};
		ssize_t n = tap_readv(s->tap, &v, 1);
		if (n < 0) {
			int e = errno;
			if (!io_gone(e))
				return 0;
			link_down(s, e);
			return -1;
		}
		if (n == 0) {
			link_down(s, 0);
			return -1;
		}
		if ((size_t)n <= TAP_VNET_HDR_LEN) {
			s->c.rx_dropped++;
			continue;
		}
		/* The tap leaves num_buffers as it was: 1 unless MRG_RXBUF fixes it later. */
		put_le16(s->rxbuf + 10, 1);
		s->pend_start = 0;
		if (hdr_len(s) == VIRTIO_NET_HDR_LEN_LEGACY) {
			memmove(s->rxbuf + 2, s->rxbuf, VIRTIO_NET_HDR_LEN_LEGACY);
			s->pend_start = 2;
		}
		s->pend_len = (size_t)n;
		s->pend_off = 0;
		return 1;
	}
}

/* vd->lock held: frames from the tap into the guest, as long as both have some. */
static void rx_process(struct vtnet *s)
{
	struct virtio_dev *vd = &s->vd;
	struct virtqueue *vq = &vd->q[RXQ].vq;
	if (!virtio_live(vd) || s->link_down || !vq->ready || vq->broken) {
		watch(s, false); /* a kick on the receive queue brings it back */
		return;
	}
	apply_offloads(s);
	bool any = false, more = true;
	for (;;) {
		if (s->pend_len == 0) {
			int r = rx_read(s);
			if (r <= 0) {
				more = r == 0;
				break;
			}
		}
		int rc = rx_deliver(s);
		if (rc < 0) {
			more = false;
			break;
		}
		if (rc == 1) {
			s->c.rx_frames++;
			s->c.rx_bytes += s->pend_len - s->pend_start - hdr_len(s);
			s->pend_len = 0;
			any = true;
			continue;
		}
		/* No buffers: ask for a kick; buffers that came meanwhile are used now. */
		if (vq_notify_on(vq))
			continue;
		more = false;
		break;
	}
	watch(s, more && !s->link_down);
	if (any)
		virtio_queue_done(vd, RXQ);
}

static void ctl_notify(struct vtnet *s)
{
	struct virtio_dev *vd = &s->vd;
	struct virtqueue *vq = &vd->q[CTLQ].vq;
	bool any = false;
	for (;;) {
		struct vq_chain c;
		int rc = virtio_get_chain(vd, CTLQ, s->iov, VTNET_QUEUE_SIZE, &c);
		if (rc == -ENOBUFS)
			continue;
		if (rc <= 0)
			break;
		any = true;
		uint8_t cmd[2];
		if (c.write_len == 0 || iov_to_buf(s->iov, c.nread, 0, cmd, 2) != 2) {
			vq_put_chain(vq, c.head, 0);
			continue;
		}
		s->c.ctrl++;
		/* Receive modes (promiscuous, all-multicast, ...): the tap gets everything anyway.
		 */
		uint8_t ack = cmd[0] == VIRTIO_NET_CTRL_RX ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
		const struct iovec *last = &s->iov[c.niov - 1];
		*((uint8_t *)last->iov_base + last->iov_len - 1) = ack;
		vq_put_chain(vq, c.head, 1);
	}
	if (any)
		virtio_queue_done(vd, CTLQ);
}

static void net_notify(struct virtio_dev *vd, unsigned q)
{
	struct vtnet *s = vd->priv;
	if (q == RXQ)
		rx_process(s);
	else if (q == TXQ)
		tx_notify(s);
	else if (q == CTLQ)
		ctl_notify(s);
}

static void net_reset(struct virtio_dev *vd)
{
	struct vtnet *s = vd->priv;
	/* Chains held for a frame belong to the old rings: forget them and the frame. */
	s->nheld = 0;
	s->pend_len = 0;
}

/* Event loop thread: the tap is readable. */
static void on_tap(void *arg)
{
	struct vtnet *s = arg;
	pthread_mutex_lock(&s->vd.lock);
	rx_process(s);
	pthread_mutex_unlock(&s->vd.lock);
}

void vtnet_rx_poll(struct virtio_dev *vd)
{
	on_tap(vd->priv);
}

struct virtio_dev *vtnet_new(const struct gmem *mem, struct tap *tap, struct evloop *loop,
			     const struct vtnet_params *p)
{
	struct vtnet *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->rxbuf = malloc(VTNET_RX_BUF);
	if (s->rxbuf == NULL) {
		free(s);
		return NULL;
	}
	s->p = *p;
	s->tap = tap;
	s->offloads = ~0u;
	s->ops = (struct virtio_ops){
	    .name = "virtio-net",
	    .type = VIRTIO_ID_NET,
	    .pci_class = 0x02, /* network controller */
	    .pci_subclass = 0x00,
	    .nqueues = 3,
	    .queue_size = VTNET_QUEUE_SIZE,
	    .config_size = VTNET_CFG_SIZE,
	    .queue_notify = net_notify,
	    .passive_queues = 1u << RXQ,
	    .reset = net_reset,
	};
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		     1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CSUM |
		     1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_NET_F_HOST_TSO4 |
		     1ull << VIRTIO_NET_F_HOST_TSO6 | 1ull << VIRTIO_NET_F_HOST_ECN |
		     1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6 |
		     1ull << VIRTIO_NET_F_GUEST_ECN | 1ull << VIRTIO_NET_F_CTRL_VQ |
		     1ull << VIRTIO_NET_F_CTRL_RX;
	if (p->mtu)
		f |= 1ull << VIRTIO_NET_F_MTU;
	if (virtio_dev_init(&s->vd, &s->ops, mem, f, s) < 0) {
		free(s->rxbuf);
		free(s);
		return NULL;
	}
	uint8_t *cfg = s->vd.config;
	memcpy(cfg + VTNET_CFG_MAC, p->mac, 6);
	put_le16(cfg + VTNET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put_le16(cfg + VTNET_CFG_MAX_PAIRS, 1);
	put_le16(cfg + VTNET_CFG_MTU, p->mtu ? p->mtu : 1500);
	if (loop) {
		s->ev = evloop_add_fd(loop, tap_fd(tap), on_tap, s);
		if (s->ev == NULL) {
			virtio_dev_fini(&s->vd);
			free(s->rxbuf);
			free(s);
			return NULL;
		}
		s->watching = true;
	}
	s->tap = tap;
	return &s->vd;
}

struct virtio_pci *vtnet_pci(struct virtio_dev *vd)
{
	return &((struct vtnet *)vd->priv)->vp;
}

const struct vtnet_counters *vtnet_counters(struct virtio_dev *vd)
{
	return &((struct vtnet *)vd->priv)->c;
}

void vtnet_free(struct virtio_dev *vd)
{
	if (vd == NULL)
		return;
	struct vtnet *s = vd->priv;
	virtio_dev_fini(vd);
	tap_close(s->tap);
	free(s->rxbuf);
	free(s);
}
