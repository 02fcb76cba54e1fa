// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net (virtio 1.x section 5.1) on the tap backend: queue pairs
 * (receive 2p, transmit 2p + 1; net_rx.c, net_tx.c) and the control queue
 * (the receive filter's commands, net_filter.c; VQ_PAIRS_SET). The tap carries the
 * same 12-byte virtio-net header as the guest, so checksum and segmentation
 * offloads pass through unchanged.
 *
 * Multiqueue (queues=N > 1): VIRTIO_NET_F_MQ, max_virtqueue_pairs N, a tap
 * queue (descriptor) a pair. One pair is in use after reset; VQ_PAIRS_SET
 * picks 1..N. The tap queues of the pairs not in use are detached
 * (TUNSETQUEUE), so the kernel steers received frames only to pairs that
 * are served, and attached again when the driver asks for more pairs.
 *
 * Packet I/O runs on the event loop thread through one io_uring for the
 * device (the tap queues registered, restricted to READV and WRITEV on
 * them, completions signalled on an eventfd the loop watches), or with
 * readv/writev where io_uring is unavailable. All queues are passive
 * (virtio.h): each handler asks for kicks again itself.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "khyve/evloop.h"
#include "khyve/uring.h"
#include "net_priv.h"

void vtnet_watch(struct vtnet_pair *P, bool on)
{
	if (P->watching == on)
		return;
	P->watching = on;
	if (P->ev == NULL)
		return;
	if (on)
		evloop_fd_resume(P->ev);
	else
		evloop_fd_pause(P->ev);
}

/* The offloads the guest accepts on receive become the tap's (TUNSETOFFLOAD). */
void vtnet_apply_offloads(struct vtnet *s)
{
	unsigned f = 0;
	if (vtnet_has(s, VIRTIO_NET_F_GUEST_CSUM))
		f |= TAP_OFF_CSUM;
	if (vtnet_has(s, VIRTIO_NET_F_GUEST_TSO4))
		f |= TAP_OFF_TSO4;
	if (vtnet_has(s, VIRTIO_NET_F_GUEST_TSO6))
		f |= TAP_OFF_TSO6;
	if (vtnet_has(s, VIRTIO_NET_F_GUEST_ECN))
		f |= TAP_OFF_TSO_ECN;
	if (f == s->offloads)
		return;
	if (tap_set_offload(s->tap, f) < 0)
		fprintf(stderr, "virtio-net: %s: TUNSETOFFLOAD 0x%x failed\n", tap_name(s->tap), f);
	s->offloads = f;
}

void vtnet_link_down(struct vtnet *s, int err)
{
	if (s->link_down)
		return;
	fprintf(stderr, "virtio-net: %s: %s; link down\n", tap_name(s->tap),
		err ? strerror(err) : "end of file");
	s->link_down = true;
	s->c.link_down++;
	for (unsigned p = 0; p < s->npairs; p++)
		vtnet_watch(&s->pair[p], false);
	vtnet_put_le16(s->vd.config + VTNET_CFG_STATUS, 0);
	virtio_config_changed(&s->vd);
}

bool vtnet_io_gone(int e)
{
	/*
	 * EIO: a write to a tap whose interface is not up (yet): the frame is
	 * lost, as on a cable nobody listens to, and the link stays up.
	 */
	return e != EAGAIN && e != EWOULDBLOCK && e != EINTR && e != ENOBUFS && e != EINVAL &&
	       e != EMSGSIZE && e != ENOMEM && e != EIO;
}

unsigned vtnet_iov_tail(const struct iovec *iov, unsigned n, size_t skip, struct iovec *out)
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

/*
 * Pairs [0, n) in use: their tap queues attached, the others' detached and
 * no longer served. A queue that cannot be detached stays attached (what
 * the kernel steers there waits); one that cannot be attached back sends
 * through queue 0 and receives nothing.
 */
static void set_active(struct vtnet *s, unsigned n)
{
	s->active = n;
	for (unsigned p = 1; p < s->npairs; p++) {
		struct vtnet_pair *P = &s->pair[p];
		bool want = p < n;
		if (P->attached != want) {
			int rc = tap_set_queue(s->tap, p, want);
			if (rc == 0)
				P->attached = want;
			else
				fprintf(stderr, "virtio-net: %s: %s queue %u: %s\n",
					tap_name(s->tap), want ? "attaching" : "detaching", p,
					strerror(-rc));
		}
		if (!want)
			vtnet_watch(P, false);
	}
}

static unsigned ctl_queue(const struct vtnet *s)
{
	return vtnet_has(s, VIRTIO_NET_F_MQ) ? 2 * s->npairs : 2;
}

/*
 * One command: class, command, then its data; cmd holds its first bytes
 * (len of them), the chain's readable part is in s->iov.
 */
static uint8_t ctl_command(struct vtnet *s, const uint8_t *cmd, size_t len,
			   const struct vq_chain *c)
{
	switch (cmd[0]) {
	case VIRTIO_NET_CTRL_RX:
	case VIRTIO_NET_CTRL_MAC:
	case VIRTIO_NET_CTRL_VLAN: {
		uint8_t ack = vtnet_filter_command(&s->filter, s->vd.guest_features, s->iov,
						   c->nread, c->read_len);
		/* Section 5.1.6.5.2: config space shows the address before the answer. */
		if (ack == VIRTIO_NET_OK && cmd[0] == VIRTIO_NET_CTRL_MAC &&
		    cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET)
			memcpy(s->vd.config + VTNET_CFG_MAC, s->filter.mac, 6);
		return ack;
	}
	case VIRTIO_NET_CTRL_MQ: {
		if (cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || !vtnet_has(s, VIRTIO_NET_F_MQ) ||
		    len < 4)
			return VIRTIO_NET_ERR;
		uint16_t n = vtnet_get_le16(cmd + 2);
		if (n < 1 || n > s->npairs)
			return VIRTIO_NET_ERR;
		set_active(s, n);
		/* Pairs now in use start receiving (buffers may be waiting). */
		for (unsigned p = 1; p < n; p++)
			vtnet_rx_process(s, &s->pair[p], false, false);
		return VIRTIO_NET_OK;
	}
	default:
		return VIRTIO_NET_ERR;
	}
}

static void ctl_notify(struct vtnet *s, unsigned q)
{
	struct virtio_dev *vd = &s->vd;
	struct virtqueue *vq = &vd->q[q].vq;
	for (unsigned round = 0; virtio_live(vd); round++) {
		bool any = false;
		for (;;) {
			struct vq_chain c;
			int rc = virtio_get_chain(vd, q, s->iov, VTNET_QUEUE_SIZE, &c);
			if (rc == -ENOBUFS)
				continue;
			if (rc <= 0)
				break;
			any = true;
			uint8_t cmd[4] = {0};
			size_t len = iov_to_buf(s->iov, c.nread, 0, cmd, sizeof(cmd));
			if (c.write_len == 0 || len < 2) {
				vq_put_chain(vq, c.head, 0);
				continue;
			}
			s->c.ctrl++;
			uint8_t ack = ctl_command(s, cmd, len, &c);
			const struct iovec *last = &s->iov[c.niov - 1];
			*((uint8_t *)last->iov_base + last->iov_len - 1) = ack;
			vq_put_chain(vq, c.head, 1);
		}
		if (any)
			virtio_queue_done(vd, q);
		if (!virtio_queue_rearm(vd, q, round))
			return;
	}
}

static void net_notify(struct virtio_dev *vd, unsigned q)
{
	struct vtnet *s = vd->priv;
	if (q == ctl_queue(s)) {
		ctl_notify(s, q);
		return;
	}
	/* Without MQ only pair 0 exists (queue 2 is the control queue). */
	unsigned p = q / 2;
	if (p >= s->npairs || (p > 0 && !vtnet_has(s, VIRTIO_NET_F_MQ)))
		return;
	if (q & 1)
		vtnet_tx_notify(s, &s->pair[p]);
	else
		vtnet_rx_process(s, &s->pair[p], false, false);
}

/* The command line's address in config space, and a promiscuous filter around it. */
static void reset_mac(struct vtnet *s)
{
	memcpy(s->vd.config + VTNET_CFG_MAC, s->p.mac, 6);
	vtnet_filter_reset(&s->filter, s->p.mac);
}

/* vd->lock held, nothing in flight (the core waits for it). */
static void net_reset(struct virtio_dev *vd)
{
	struct vtnet *s = vd->priv;
	if (s->pair == NULL)
		return; /* virtio_dev_init's reset */
	for (unsigned p = 0; p < s->npairs; p++) {
		vtnet_rx_reset(&s->pair[p]);
		s->pair[p].tx_inflight = s->pair[p].tx_n = 0;
	}
	set_active(s, 1);
	reset_mac(s);
}

/*
 * Legacy drivers without VIRTIO_NET_F_CTRL_MAC_ADDR write the address into
 * config space (section 5.1.6.5.2.1), first byte to last: each byte counts
 * at once. The rest of config space, and all of it for modern drivers, is
 * read-only.
 */
static void net_config_write(struct virtio_dev *vd, size_t off, const uint8_t *data, unsigned size)
{
	struct vtnet *s = vd->priv;
	if (vtnet_has(s, VIRTIO_F_VERSION_1) || off >= VTNET_CFG_MAC + 6)
		return;
	size_t n = size < VTNET_CFG_MAC + 6 - off ? size : VTNET_CFG_MAC + 6 - off;
	memcpy(vd->config + off, data, n);
	memcpy(s->filter.mac, vd->config + VTNET_CFG_MAC, 6);
}

void vtnet_tap_readable(struct virtio_dev *vd, unsigned pair)
{
	struct vtnet *s = vd->priv;
	pthread_mutex_lock(&vd->lock);
	if (pair < s->npairs)
		vtnet_rx_process(s, &s->pair[pair], true, false);
	/*
	 * READVs with RWF_NOWAIT complete within their submit: deliver the
	 * frames now rather than on the loop's next turn (the ring's eventfd).
	 */
	if (s->uring && io_uring_cq_ready(&s->ring))
		vtnet_reap(s);
	pthread_mutex_unlock(&vd->lock);
}

/*
 * A reset waits for the reads in flight, and a read may wait for a frame
 * that never comes: cancel them (they complete with -ECANCELED, the last
 * completion finishes the reset). Writes to a tap do not wait.
 */
static void net_cancel(struct virtio_dev *vd)
{
	struct vtnet *s = vd->priv;
	for (unsigned p = 0; s->uring && s->pair && p < s->npairs; p++)
		for (unsigned i = 0; i < VTNET_RX_BATCH; i++) {
			if (s->pair[p].rx_slot[i].state != VTNET_RX_POSTED)
				continue;
			struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
			if (sqe == NULL)
				break;
			io_uring_prep_cancel64(sqe, vtnet_tag(VTNET_OP_RX, p, i), 0);
			sqe->flags |= IOSQE_FIXED_FILE; /* the ring's restrictions ask it of all */
			io_uring_sqe_set_data64(sqe, vtnet_tag(VTNET_OP_CANCEL, p, i));
		}
	if (s->uring)
		uring_submit_all(&s->ring);
}

/* Event loop thread: a tap queue is readable. */
static void on_tap(void *arg)
{
	struct vtnet_pair *P = arg;
	vtnet_tap_readable(&P->s->vd, P->idx);
}

/* Completions to the queues, then one interrupt a transmit queue and its next pass. */
unsigned vtnet_reap(struct vtnet *s)
{
	struct io_uring_cqe *cqes[32];
	unsigned total = 0, n;
	uint32_t tx = 0;
	for (unsigned round = 0; (n = io_uring_peek_batch_cqe(&s->ring, cqes, 32)) > 0; round++) {
		uint32_t rx = 0;
		struct {
			uint64_t tag;
			int res;
		} done[32];
		for (unsigned i = 0; i < n; i++) {
			done[i].tag = io_uring_cqe_get_data64(cqes[i]);
			done[i].res = cqes[i]->res;
		}
		io_uring_cq_advance(&s->ring, n);
		total += n;
		for (unsigned i = 0; i < n; i++) {
			unsigned kind = done[i].tag & 0xff, p = (done[i].tag >> 8) & 0xff;
			if (p >= s->npairs || kind == VTNET_OP_CANCEL)
				continue;
			if (kind == VTNET_OP_TX) {
				vtnet_tx_done(s, &s->pair[p], (unsigned)(done[i].tag >> 16),
					      done[i].res);
				tx |= 1u << p;
			} else {
				vtnet_rx_done(s, &s->pair[p], (unsigned)(done[i].tag >> 16),
					      done[i].res);
				rx |= 1u << p;
			}
		}
		/* Receive: what these delivered, one interrupt; a full batch posts the next. */
		for (unsigned p = 0; p < s->npairs; p++)
			if (rx & 1u << p)
				vtnet_rx_reaped(s, &s->pair[p], round < VTNET_RX_ROUNDS);
	}
	for (unsigned p = 0; p < s->npairs; p++) {
		if (!(tx & 1u << p) || !virtio_live(&s->vd))
			continue;
		virtio_queue_done(&s->vd, 2 * p + 1);
		vtnet_tx_notify(s, &s->pair[p]);
	}
	return total;
}

/*
 * Event loop thread: io_uring completions. The loop reset the eventfd's
 * count before this looks: a completion posted after that wakes it again.
 */
static void on_ring(void *arg)
{
	struct vtnet *s = arg;
	pthread_mutex_lock(&s->vd.lock);
	vtnet_reap(s);
	pthread_mutex_unlock(&s->vd.lock);
}

void vtnet_poll(struct virtio_dev *vd)
{
	struct vtnet *s = vd->priv;
	pthread_mutex_lock(&vd->lock);
	for (unsigned round = 0; round < 256; round++) {
		bool moved = s->uring && vtnet_reap(s) > 0;
		for (unsigned p = 0; p < s->npairs; p++) {
			struct vtnet_pair *P = &s->pair[p];
			struct pollfd pfd = {.fd = tap_queue_fd(s->tap, p), .events = POLLIN};
			if (!P->watching || poll(&pfd, 1, 0) != 1)
				continue;
			vtnet_rx_process(s, P, true, false);
			moved = true;
		}
		if (!moved)
			break;
	}
	pthread_mutex_unlock(&vd->lock);
}

uint64_t vtnet_ring_signals(struct virtio_dev *vd, int wait_ms)
{
	struct vtnet *s = vd->priv;
	struct pollfd pfd = {.fd = s->efd, .events = POLLIN};
	eventfd_t v = 0;
	if (s->efd >= 0 && poll(&pfd, 1, wait_ms) == 1)
		(void)eventfd_read(s->efd, &v);
	return v;
}

/* io_uring transmit slots: as for rxbuf, only the pages frames reach are touched. */
static int tx_bufs_setup(struct vtnet *s)
{
	const size_t tx_room = TAP_VNET_HDR_LEN + VTNET_TX_COPY_MAX, tx_iovs = VTNET_QUEUE_SIZE + 1;
	for (unsigned p = 0; p < s->npairs; p++) {
		struct vtnet_pair *P = &s->pair[p];
		P->txbuf = malloc((size_t)VTNET_TX_BATCH * tx_room);
		P->txiov = calloc((size_t)VTNET_TX_BATCH * tx_iovs, sizeof(*P->txiov));
		if (P->txbuf == NULL || P->txiov == NULL)
			return -ENOMEM;
		for (unsigned i = 0; i < VTNET_TX_BATCH; i++) {
			P->tx_slot[i].buf = P->txbuf + (size_t)i * tx_room;
			P->tx_slot[i].v = P->txiov + (size_t)i * tx_iovs;
		}
	}
	return 0;
}

/*
 * The ring: a WRITEV batch and a READV batch a pair at once. Where it cannot be
 * set up, readv/writev (s->uring stays false). 0, or -ENOMEM: no room on the loop
 * or for the transmit slots.
 */
static int ring_setup(struct vtnet *s, struct evloop *loop)
{
	unsigned entries = 1;
	while (entries < s->npairs * (VTNET_TX_BATCH + VTNET_RX_BATCH))
		entries <<= 1;
	int files[VTNET_MAX_PAIRS];
	for (unsigned p = 0; p < s->npairs; p++)
		files[p] = tap_queue_fd(s->tap, p);
	static const uint8_t ops[] = {IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_ASYNC_CANCEL};
	char why[128];
	int rc = uring_setup_restricted(&s->ring, entries, files, s->npairs, s->efd, ops,
					sizeof(ops), why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr,
			"khyve: virtio-net %s: io_uring unavailable (%s); using readv/writev\n",
			tap_name(s->tap), why);
		return 0;
	}
	if (loop && (s->ring_ev = evloop_add_counter(loop, s->efd, on_ring, s)) == NULL) {
		io_uring_queue_exit(&s->ring);
		return -ENOMEM;
	}
	s->uring = true;
	s->rx_nowait = true;
	return tx_bufs_setup(s);
}

/* Requests of the ring not completed yet. */
static unsigned ring_busy(const struct vtnet *s)
{
	unsigned n = 0;
	for (unsigned p = 0; s->pair && p < s->npairs; p++)
		n += s->pair[p].rx_inflight + s->pair[p].tx_inflight;
	return n;
}

/*
 * Before the ring closes: cancel the reads that wait for a frame and count
 * the completions in (a second at most), so that the ring can let go of the
 * tap at once (uring_close) and the tap is gone when khyve is.
 */
static void drain(struct vtnet *s)
{
	net_cancel(&s->vd);
	for (unsigned tries = 0; ring_busy(s) && tries < 10; tries++) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_nsec = 100 * 1000 * 1000};
		if (io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts) < 0)
			continue;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&s->ring, head, cqe)
		{
			uint64_t tag = io_uring_cqe_get_data64(cqe);
			unsigned kind = tag & 0xff, p = (tag >> 8) & 0xff;
			seen++;
			if (p >= s->npairs)
				continue;
			if (kind == VTNET_OP_RX && s->pair[p].rx_inflight)
				s->pair[p].rx_inflight--;
			else if (kind == VTNET_OP_TX && s->pair[p].tx_inflight)
				s->pair[p].tx_inflight--;
		}
		io_uring_cq_advance(&s->ring, seen);
	}
}

static void release(struct vtnet *s)
{
	if (s->uring) {
		drain(s);
		uring_close(&s->ring, ring_busy(s) == 0);
	}
	if (s->efd >= 0)
		close(s->efd);
	for (unsigned p = 0; s->pair && p < s->npairs; p++) {
		if (s->pair[p].ev)
			evloop_fd_pause(s->pair[p].ev);
		free(s->pair[p].rxbuf);
		free(s->pair[p].txbuf);
		free(s->pair[p].txiov);
	}
	if (s->ring_ev)
		evloop_fd_pause(s->ring_ev);
	free(s->pair);
	free(s);
}

static int pairs_setup(struct vtnet *s, struct evloop *loop)
{
	s->pair = calloc(s->npairs, sizeof(*s->pair));
	if (s->pair == NULL)
		return -ENOMEM;
	for (unsigned p = 0; p < s->npairs; p++) {
		struct vtnet_pair *P = &s->pair[p];
		P->s = s;
		P->idx = p;
		P->attached = true;
		P->watching = true;
		/* Only the pages a frame reaches are ever touched. */
		P->rxbuf = malloc((size_t)VTNET_RX_BATCH * VTNET_RX_BUF);
		if (P->rxbuf == NULL)
			return -ENOMEM;
		for (unsigned i = 0; i < VTNET_RX_BATCH; i++)
			P->rx_slot[i].bounce = P->rxbuf + (size_t)i * VTNET_RX_BUF;
		if (loop &&
		    (P->ev = evloop_add_fd(loop, tap_queue_fd(s->tap, p), on_tap, P)) == NULL)
			return -ENOMEM;
	}
	set_active(s, 1); /* pairs 1.. wait for VQ_PAIRS_SET */
	return 0;
}

struct virtio_dev *vtnet_new(const struct gmem *mem, struct tap *tap, struct evloop *loop,
			     const struct vtnet_params *p)
{
	unsigned npairs = p->queues ? p->queues : 1;
	if (npairs > VTNET_MAX_PAIRS || tap_queues(tap) != npairs)
		return NULL;
	struct vtnet *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->p = *p;
	s->tap = tap;
	s->npairs = npairs;
	s->offloads = ~0u;
	s->efd = -1;
	s->ops = (struct virtio_ops){
	    .name = "virtio-net",
	    .type = VIRTIO_ID_NET,
	    .pci_class = 0x02, /* network controller */
	    .pci_subclass = 0x00,
	    .nqueues = 2 * npairs + 1,
	    .queue_size = VTNET_QUEUE_SIZE,
	    .config_size = VTNET_CFG_SIZE,
	    .queue_notify = net_notify,
	    .passive_queues = (1ull << (2 * npairs + 1)) - 1,
	    .reset = net_reset,
	    .cancel = net_cancel,
	    .config_write = net_config_write,
	};
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		     1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CSUM |
		     1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_NET_F_HOST_TSO4 |
		     1ull << VIRTIO_NET_F_HOST_TSO6 | 1ull << VIRTIO_NET_F_HOST_ECN |
		     1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6 |
		     1ull << VIRTIO_NET_F_GUEST_ECN | 1ull << VIRTIO_NET_F_CTRL_VQ |
		     1ull << VIRTIO_NET_F_CTRL_RX | 1ull << VIRTIO_NET_F_CTRL_RX_EXTRA |
		     1ull << VIRTIO_NET_F_CTRL_VLAN | 1ull << VIRTIO_NET_F_CTRL_MAC_ADDR;
	if (p->mtu)
		f |= 1ull << VIRTIO_NET_F_MTU;
	if (npairs > 1)
		f |= 1ull << VIRTIO_NET_F_MQ;
	if (virtio_dev_init(&s->vd, &s->ops, mem, f, s) < 0) {
		free(s);
		return NULL;
	}
	uint8_t *cfg = s->vd.config;
	reset_mac(s);
	vtnet_put_le16(cfg + VTNET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	vtnet_put_le16(cfg + VTNET_CFG_MAX_PAIRS, (uint16_t)npairs);
	vtnet_put_le16(cfg + VTNET_CFG_MTU, p->mtu ? p->mtu : 1500);
	if (pairs_setup(s, loop) < 0 || (s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (!p->no_uring && ring_setup(s, loop) < 0)) {
		virtio_dev_fini(&s->vd);
		release(s);
		return NULL;
	}
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

bool vtnet_uses_io_uring(struct virtio_dev *vd)
{
	return ((struct vtnet *)vd->priv)->uring;
}

unsigned vtnet_active_pairs(struct virtio_dev *vd)
{
	return ((struct vtnet *)vd->priv)->active;
}

void vtnet_free(struct virtio_dev *vd)
{
	if (vd == NULL)
		return;
	struct vtnet *s = vd->priv;
	virtio_dev_fini(vd);
	struct tap *tap = s->tap;
	release(s);
	tap_close(tap);
}
