/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside virtio-net: the device and its queue pairs, shared by net.c (the
 * device, control queue, io_uring ring), net_rx.c and net_tx.c.
 *
 * Queue layout (virtio 1.x section 5.1.2): pair p receives on 2p and
 * transmits on 2p + 1; the control queue is 2 * npairs with VIRTIO_NET_F_MQ
 * and 2 without it. Everything runs on the event loop thread with vd->lock
 * held (vCPU threads take it for register accesses).
 */
#ifndef KHYVE_VIRTIO_NET_PRIV_H
#define KHYVE_VIRTIO_NET_PRIV_H

#include <liburing.h>

#include "khyve/virtio_net.h"
#include "khyve/virtio_pci.h"
#include "net_filter.h"

#define ETH_HLEN 14
/* io_uring transmit: chains one pass sends at most (the slots of a pair). */
#define VTNET_TX_BATCH 64
/*
 * io_uring transmit: frames up to this many bytes are copied and their chains
 * go back before the write; longer ones are written from guest memory.
 */
#define VTNET_TX_COPY_MAX 4096
/* io_uring receive: READVs a pair posts at once at most (also at most half its ring). */
#define VTNET_RX_BATCH 8
/* Reaped batches in a row a pair re-posts at once before it waits for readiness again. */
#define VTNET_RX_ROUNDS 16

/* What a completion belongs to: user_data = kind | pair << 8 | slot << 16. */
enum { VTNET_OP_RX = 1, VTNET_OP_TX = 2, VTNET_OP_CANCEL = 3 };

struct vtnet;

/*
 * A transmit slot (io_uring): the tap's header, then either the frame copied
 * out of the guest's chain (up to VTNET_TX_COPY_MAX bytes, the chain already
 * back) or, for a longer one, the chain itself: v points into guest memory
 * and the chain (head) goes back when the WRITEV completes.
 */
struct vtnet_tx_slot {
	uint64_t flen;
	uint8_t *buf;	 /* TAP_VNET_HDR_LEN + VTNET_TX_COPY_MAX bytes, in the pair's txbuf */
	struct iovec *v; /* the WRITEV's: VTNET_QUEUE_SIZE + 1 of them, in the pair's txiov */
	uint16_t head;	 /* written in place (flen > VTNET_TX_COPY_MAX): the chain to give back */
};

/*
 * A receive slot: one guest chain and the READV into it. FREE: no chain;
 * HELD: a chain, nothing posted (a READV that found no frame puts it back
 * here); POSTED: the READV is in flight; DONE: its result waits to be
 * delivered in slot order.
 */
enum { VTNET_RX_FREE, VTNET_RX_HELD, VTNET_RX_POSTED, VTNET_RX_DONE };

struct vtnet_rx_slot {
	uint8_t state;
	bool nowait; /* posted with RWF_NOWAIT */
	int res;     /* DONE: bytes read or -errno */
	struct vq_chain chain;
	uint8_t *bounce; /* VTNET_RX_BUF bytes: what does not fit the chain */
	uint8_t hdr[TAP_VNET_HDR_LEN];
	struct iovec iov[VTNET_QUEUE_SIZE];
	struct iovec v[VTNET_QUEUE_SIZE + 2]; /* the READV's: header, the chain's, bounce */
	unsigned nv;
};

struct vtnet_pair {
	struct vtnet *s;
	unsigned idx;
	struct ev_fd *ev; /* the tap queue's descriptor on the loop; NULL in tests */
	bool watching;	  /* it is watched (tests: vtnet_poll looks at it) */
	bool attached;	  /* the tap queue is attached (TUNSETQUEUE) */

	/*
	 * A frame not yet all in the guest: its guest-view bytes (header of
	 * hdr_len(), then the frame) [0, pend_len), pend_off of them delivered;
	 * byte x >= pend_base is at pend_data[x - pend_base].
	 */
	uint8_t *rxbuf; /* VTNET_RX_BATCH bounce buffers of VTNET_RX_BUF bytes, one a slot */
	uint8_t *pend_data;
	size_t pend_len, pend_off, pend_base;
	/* MRG_RXBUF: chains holding the first pend_off bytes, and the first one's buffers. */
	struct {
		uint16_t head;
		uint32_t len;
	} held[VTNET_QUEUE_SIZE];
	unsigned nheld;
	struct iovec first[VTNET_QUEUE_SIZE];
	unsigned nfirst;

	/*
	 * io_uring receive: a batch of READVs, one a slot. rx_ord[0, rx_n): the
	 * slots holding chains, in the order the chains were taken and read.
	 */
	struct vtnet_rx_slot rx_slot[VTNET_RX_BATCH];
	uint8_t rx_ord[VTNET_RX_BATCH];
	unsigned rx_n;
	unsigned rx_inflight; /* READVs posted and not reaped */
	/* The last batch: READVs posted, how many found a frame; the next one's size (0: most). */
	unsigned rx_posted, rx_got, rx_want;

	/* io_uring transmit: the pass's WRITEVs, from copies (txbuf) or guest memory. */
	unsigned tx_n, tx_inflight;
	bool tx_busy; /* vtnet_tx_notify runs: a completion reaped inside it comes back there */
	struct vtnet_tx_slot tx_slot[VTNET_TX_BATCH];
	uint8_t *txbuf;
	struct iovec *txiov;
};

struct vtnet {
	struct virtio_dev vd;
	struct virtio_pci vp;
	struct vtnet_params p;
	struct virtio_ops ops;
	struct tap *tap;
	unsigned npairs; /* offered: max_virtqueue_pairs */
	unsigned active; /* in use: 1 until VQ_PAIRS_SET */
	bool link_down;
	unsigned offloads;			/* TAP_OFF_* last given to the tap; ~0u: none yet */
	struct iovec iov[VTNET_QUEUE_SIZE];	/* one chain's buffers */
	struct iovec txv[VTNET_QUEUE_SIZE + 1]; /* readv/writev: header and frame */
	struct vtnet_pair *pair;		/* npairs */

	bool uring;
	bool rx_nowait;	      /* READVs carry RWF_NOWAIT (the tap queues allow it) */
	struct io_uring ring; /* fixed file p: the tap's queue p */
	int efd;	      /* completions: the ring's eventfd */
	struct ev_fd *ring_ev;

	struct vtnet_filter filter; /* what the control queue set; reset with the device */
	struct vtnet_counters c;
};

static inline bool vtnet_has(const struct vtnet *s, unsigned bit)
{
	return (s->vd.guest_features >> bit) & 1;
}

/* The header the guest uses: 12 bytes with VERSION_1 or MRG_RXBUF, else 10. */
static inline size_t vtnet_hdr_len(const struct vtnet *s)
{
	return vtnet_has(s, VIRTIO_F_VERSION_1) || vtnet_has(s, VIRTIO_NET_F_MRG_RXBUF)
		   ? VIRTIO_NET_HDR_LEN
		   : VIRTIO_NET_HDR_LEN_LEGACY;
}

static inline uint16_t vtnet_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void vtnet_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline uint64_t vtnet_tag(unsigned kind, unsigned pair, unsigned slot)
{
	return (uint64_t)kind | (uint64_t)pair << 8 | (uint64_t)slot << 16;
}

/* The frame (Ethernet header first, len bytes) passes the receive filter; else counted. */
static inline bool vtnet_rx_wanted(struct vtnet *s, const uint8_t *frame, size_t len)
{
	if (vtnet_filter_accept(&s->filter, s->vd.guest_features, frame, len))
		return true;
	s->c.rx_filtered++;
	return false;
}

/* net.c */
void vtnet_watch(struct vtnet_pair *P, bool on);
void vtnet_apply_offloads(struct vtnet *s);
/* The tap is gone (EBADFD, EIO, ENODEV, ...; 0: end of file): link down, a config interrupt. */
void vtnet_link_down(struct vtnet *s, int err);
/* An error that means the tap is gone, not a frame that failed. */
bool vtnet_io_gone(int e);
/* [skip, end) of iov into out; returns the count. */
unsigned vtnet_iov_tail(const struct iovec *iov, unsigned n, size_t skip, struct iovec *out);

/* net_rx.c: readable: the tap queue is known to hold a frame. any: chains were put. */
void vtnet_rx_process(struct vtnet *s, struct vtnet_pair *P, bool readable, bool any);
/* Completion of slot's READV (res: bytes or -errno): kept until vtnet_rx_reaped. */
void vtnet_rx_done(struct vtnet *s, struct vtnet_pair *P, unsigned slot, int res);
/* After a run of completions: frames in slot order, one interrupt; again: may post at once. */
void vtnet_rx_reaped(struct vtnet *s, struct vtnet_pair *P, bool again);
void vtnet_rx_reset(struct vtnet_pair *P);

/* net.c: every completion in the ring, one interrupt a queue; the number reaped. */
unsigned vtnet_reap(struct vtnet *s);

/* net_tx.c */
void vtnet_tx_notify(struct vtnet *s, struct vtnet_pair *P);
void vtnet_tx_done(struct vtnet *s, struct vtnet_pair *P, unsigned slot, int res);

#endif
