// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net multiqueue and packet I/O engines: max_virtqueue_pairs and the
 * queue layout, VQ_PAIRS_SET valid and invalid, traffic on pair 1 (pairs not
 * in use are not served), transmit batches through io_uring (one submit, one
 * interrupt; short frames' chains back, from copies, before the frames are
 * written, a long frame's after its write), receive straight into a
 * scattered chain, the forced readv/writev fallback, a reset while
 * transmitted frames are in flight; receive batches (frames in order with
 * one interrupt, reads that found nothing keeping their chains, a frame over
 * several chains inside a batch) and a reset while reads are in flight.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/virtio/net_priv.h" /* rx_nowait: a tap that refuses RWF_NOWAIT */
#include "check_main.h"
#include "vnet.h"

static uint8_t pairs_set(unsigned q, uint16_t n)
{
	uint8_t cmd[4] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, (uint8_t)n,
			  (uint8_t)(n >> 8)};
	return ctl(q, cmd, 4);
}

START_TEST(mq_config)
{
	make_n(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}}, 4);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_DF, 4) & F(VIRTIO_NET_F_MQ), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_MAX_PAIRS, 2), 4);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_NUMQ, 2), 9); /* rx0,tx0,...,rx3,tx3,ctrl */
	ck_assert_uint_eq(vtnet_active_pairs(vd), 1);
}
END_TEST

START_TEST(mq_pairs_set)
{
	make_n(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}}, 2);
	up_n(F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ), 5);
	ck_assert_uint_eq(vtnet_active_pairs(vd), 1);
	/* With MQ the control queue is the last one: 2 * max_virtqueue_pairs. */
	ck_assert_uint_eq(pairs_set(4, 2), VIRTIO_NET_OK);
	ck_assert_uint_eq(vtnet_active_pairs(vd), 2);
	ck_assert_uint_eq(pairs_set(4, 0), VIRTIO_NET_ERR);
	ck_assert_uint_eq(pairs_set(4, 3), VIRTIO_NET_ERR);
	ck_assert_uint_eq(pairs_set(4, 0x8000), VIRTIO_NET_ERR);
	ck_assert_uint_eq(vtnet_active_pairs(vd), 2);
	uint8_t shrt[3] = {VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1};
	ck_assert_uint_eq(ctl(4, shrt, 3), VIRTIO_NET_ERR); /* the le16 cut short */
	uint8_t rss[4] = {VIRTIO_NET_CTRL_MQ, 1 /* RSS_CONFIG */, 1, 0};
	ck_assert_uint_eq(ctl(4, rss, 4), VIRTIO_NET_ERR);
	ck_assert_uint_eq(pairs_set(4, 1), VIRTIO_NET_OK);
	ck_assert_uint_eq(vtnet_active_pairs(vd), 1);
	ck_assert_uint_eq(pairs_set(4, 2), VIRTIO_NET_OK);
	/* A reset goes back to one pair. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	ck_assert_uint_eq(vtnet_active_pairs(vd), 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}
END_TEST

START_TEST(mq_not_negotiated)
{
	/* Without MQ queue 2 is the control queue and VQ_PAIRS_SET is refused. */
	make_n(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}}, 2);
	up_n(F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_CTRL_RX), 3);
	ck_assert_uint_eq(pairs_set(2, 2), VIRTIO_NET_ERR);
	ck_assert_uint_eq(vtnet_active_pairs(vd), 1);
	uint8_t rx[3] = {VIRTIO_NET_CTRL_RX, 0, 1};
	ck_assert_uint_eq(ctl(2, rx, 3), VIRTIO_NET_OK);
}
END_TEST

START_TEST(mq_traffic_pair1)
{
	plain = _i;
	make_n(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}}, 2);
	up_n(F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_MRG_RXBUF), 5);
	/* A receive buffer on rx1 and a frame on tap queue 1: pair 1 is not in use yet. */
	uint64_t a = BUF + 0x4000;
	uint32_t l = 2048;
	uint16_t head = offer(2, 1, &a, &l, 0);
	vt_modern_kick(2);
	uint8_t pkt[12 + 200], got[256];
	hdr(pkt, 0, 0, 0);
	fill(pkt + 12, 200, 21);
	ck_assert_int_eq(send(peers[1], pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	settle();
	ck_assert_uint_eq(used_idx(2), 0);
	ck_assert_uint_eq(pairs_set(4, 2), VIRTIO_NET_OK);
	settle();
	ck_assert_uint_eq(used_idx(2), 1);
	ck_assert_uint_eq(used_id(2, 0), head);
	ck_assert_uint_eq(used_len(2, 0), sizeof(pkt));
	gmem_read(&vt_mem.gmem, BUF + 0x4000, got, sizeof(pkt));
	ck_assert_uint_eq(got[10], 1);
	ck_assert_mem_eq(got + 12, pkt + 12, 200);
	ck_assert_uint_eq(used_idx(RXQ), 0);
	/* Transmit on tx1 goes out on tap queue 1, not 0. */
	uint8_t h[12];
	hdr(h, 0, 0, 0);
	uint8_t f[80];
	fill(f, sizeof(f), 5);
	gmem_write(&vt_mem.gmem, BUF, h, 12);
	gmem_write(&vt_mem.gmem, BUF + 0x100, f, sizeof(f));
	uint64_t ta[2] = {BUF, BUF + 0x100};
	uint32_t tl[2] = {12, sizeof(f)};
	head = offer(3, 2, ta, tl, 2);
	vt_modern_kick(3);
	settle();
	ck_assert_uint_eq(used_idx(3), 1);
	ck_assert_uint_eq(used_id(3, 0), head);
	ck_assert_int_eq(recv(peers[1], got, sizeof(got), MSG_DONTWAIT), 12 + (ssize_t)sizeof(f));
	ck_assert_mem_eq(got + 12, f, sizeof(f));
	ck_assert_int_eq(peer_recv(got, sizeof(got)), -1);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 1);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 1);
}
END_TEST

/* A one-pair device; false: it is not on io_uring (make() checked that io_uring is missing). */
static bool uring_dev(void)
{
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	return vtnet_uses_io_uring(vd);
}

/* The driver's view of the rings starts over (after a reset). */
static void rings_fresh(void)
{
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(next_desc, 0, sizeof(next_desc));
	for (unsigned q = 0; q < 3; q++) {
		vt_w16(q_used(q) + 2, 0);
		vt_w16(q_avail(q) + 2, 0);
	}
}

/* n frames of 60 + i bytes on the transmit queue, one kick, no settling. */
static void tx_several(unsigned n)
{
	uint8_t h[12], f[128];
	hdr(h, 0, 0, 0);
	for (unsigned i = 0; i < n; i++) {
		fill(f, sizeof(f), (uint8_t)i);
		gmem_write(&vt_mem.gmem, BUF + i * 0x200, h, 12);
		gmem_write(&vt_mem.gmem, BUF + i * 0x200 + 0x20, f, 60 + i);
		uint64_t a[2] = {BUF + i * 0x200, BUF + i * 0x200 + 0x20};
		uint32_t l[2] = {12, 60 + i};
		offer(TXQ, 2, a, l, 2);
	}
	vt_modern_kick(TXQ);
}

START_TEST(tx_batch_uring)
{
	if (!uring_dev())
		return;
	ck_assert_ptr_nonnull(((struct vtnet *)vd->priv)->pair[0].txbuf);
	msix_queue(TXQ);
	up(0);
	tx_several(4);
	/*
	 * One submit sent all four. Writes to a tap (here a socket) complete
	 * within the submit: the kick's pass reaps them at once, so the chains
	 * are back with one interrupt before the event loop runs again, and
	 * the ring's eventfd stays quiet: the loop is not woken to find nothing.
	 */
	ck_assert_uint_eq(used_idx(TXQ), 4);
	ck_assert_uint_eq(vt_msi_count, 1); /* one interrupt for the batch */
	ck_assert_uint_eq(vtnet_ring_signals(vd, 0), 0);
	uint8_t got[256], f[128];
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(peer_recv(got, sizeof(got)), (ssize_t)(12 + 60 + i));
		fill(f, sizeof(f), (uint8_t)i);
		ck_assert_mem_eq(got + 12, f, 60 + i);
	}
	/* The loop's turn finds nothing left: no second interrupt. */
	settle();
	ck_assert_uint_eq(used_idx(TXQ), 4);
	ck_assert_uint_eq(vt_msi_count, 1);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 4);
}
END_TEST

/* At each of the first 4 interrupts: whether the host side had a frame yet. */
static int frames_at[4];
static int msi_peek(void *arg, uint64_t addr, uint32_t data)
{
	(void)arg;
	(void)addr;
	(void)data;
	uint8_t b[1];
	if (vt_msi_count < 4)
		frames_at[vt_msi_count] = recv(peer, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT) >= 0;
	vt_msi_count++;
	return 0;
}

/*
 * A driver that reuses its transmit buffers as soon as the interrupt says
 * they are back: at the interrupt, note whether the host side had any frame
 * yet, and overwrite the frames tx_several(3) put in guest memory.
 */
static int msi_reuse(void *arg, uint64_t addr, uint32_t data)
{
	msi_peek(arg, addr, data);
	uint8_t junk[128];
	memset(junk, 0xee, sizeof(junk));
	for (unsigned i = 0; i < 3; i++)
		gmem_write(&vt_mem.gmem, BUF + i * 0x200 + 0x20, junk, 60 + i);
	return 0;
}

START_TEST(tx_back_before_write)
{
	if (!uring_dev())
		return;
	msix_queue(TXQ);
	up(0);
	vt_root.msi_send = msi_reuse;
	tx_several(3);
	/* The chains came back, with one interrupt, before any frame reached the tap... */
	ck_assert_uint_eq(used_idx(TXQ), 3);
	ck_assert_uint_eq(vt_msi_count, 1);
	ck_assert_int_eq(frames_at[0], 0);
	/* ... and what went out is what the driver sent, whatever it did with its buffers since. */
	uint8_t got[256], f[128];
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(peer_recv(got, sizeof(got)), (ssize_t)(12 + 60 + i));
		fill(f, sizeof(f), (uint8_t)i);
		ck_assert_mem_eq(got + 12, f, 60 + i);
	}
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 3);
}
END_TEST

START_TEST(tx_long_in_place)
{
	/*
	 * A short frame and one longer than VTNET_TX_COPY_MAX, one kick: the
	 * short one is copied and back with the first interrupt, before
	 * anything is written; the long one is written from guest memory, so
	 * its chain comes back only after the write, with a second interrupt.
	 */
	if (!uring_dev())
		return;
	msix_queue(TXQ);
	up(0);
	vt_root.msi_send = msi_peek;
	enum { SHORT = 60, LONG = VTNET_TX_COPY_MAX + 904, A = BUF + 0x8000 };
	static uint8_t f[LONG], got[12 + LONG];
	uint8_t h[12];
	hdr(h, 0, 0, 0);
	fill(f, LONG, 7);
	gmem_write(&vt_mem.gmem, BUF, h, 12);
	gmem_write(&vt_mem.gmem, BUF + 0x100, f, SHORT);
	offer(TXQ, 2, (uint64_t[]){BUF, BUF + 0x100}, (uint32_t[]){12, SHORT}, 2);
	gmem_write(&vt_mem.gmem, A, h, 12);
	gmem_write(&vt_mem.gmem, A + 0x100, f, 3000);
	gmem_write(&vt_mem.gmem, A + 0x2000, f + 3000, LONG - 3000);
	uint16_t head = offer(TXQ, 3, (uint64_t[]){A, A + 0x100, A + 0x2000},
			      (uint32_t[]){12, 3000, LONG - 3000}, 3);
	vt_modern_kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 2);
	ck_assert_uint_eq(vt_msi_count, 2);
	ck_assert_int_eq(frames_at[0], 0);
	ck_assert_int_eq(frames_at[1], 1);
	ck_assert_uint_eq(used_id(TXQ, 1), head);
	ck_assert_int_eq(peer_recv(got, sizeof(got)), 12 + SHORT);
	ck_assert_mem_eq(got + 12, f, SHORT);
	ck_assert_int_eq(peer_recv(got, sizeof(got)), (ssize_t)(12 + LONG));
	ck_assert_mem_eq(got + 12, f, LONG);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 2);
}
END_TEST

START_TEST(tx_fallback_sync)
{
	/* Forced readv/writev: a kick sends and returns the chains at once. */
	plain = true;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	ck_assert(!vtnet_uses_io_uring(vd));
	ck_assert_ptr_null(((struct vtnet *)vd->priv)->pair[0].txbuf); /* no copies to make */
	msix_queue(TXQ);
	up(0);
	tx_several(3);
	ck_assert_uint_eq(used_idx(TXQ), 3);
	ck_assert_uint_eq(vt_msi_count, 1);
	uint8_t got[256];
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(peer_recv(got, sizeof(got)), (ssize_t)(12 + 60 + i));
}
END_TEST

START_TEST(rx_uring_scatter)
{
	/* A chain of three writable buffers (header apart, as legacy drivers do): filled in place.
	 */
	if (!uring_dev())
		return;
	up(F(VIRTIO_NET_F_MRG_RXBUF));
	uint64_t a[3] = {BUF, BUF + 0x1000, BUF + 0x2000};
	uint32_t l[3] = {12, 100, 1500};
	uint16_t head = offer(RXQ, 3, a, l, 0);
	vt_modern_kick(RXQ);
	uint8_t pkt[12 + 600], got[600];
	hdr(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0);
	fill(pkt + 12, 600, 33);
	ck_assert_int_eq(send(peer, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_id(RXQ, 0), head);
	ck_assert_uint_eq(used_len(RXQ, 0), sizeof(pkt));
	gmem_read(&vt_mem.gmem, BUF, got, 12);
	ck_assert_uint_eq(got[0], VIRTIO_NET_HDR_F_DATA_VALID);
	ck_assert_uint_eq(got[10] | got[11] << 8, 1);
	gmem_read(&vt_mem.gmem, BUF + 0x1000, got, 100);
	ck_assert_mem_eq(got, pkt + 12, 100);
	gmem_read(&vt_mem.gmem, BUF + 0x2000, got, 500);
	ck_assert_mem_eq(got, pkt + 112, 500);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_direct, 1);
}
END_TEST

START_TEST(reset_after_tx_batch)
{
	if (!uring_dev())
		return;
	up(0);
	tx_several(2);
	/* The batch completed within its kick (writes to a tap do not wait)... */
	ck_assert_uint_eq(used_idx(TXQ), 2);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 2);
	/* ... so a reset right after it has nothing to wait for. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	settle();
	ck_assert_uint_eq(used_idx(TXQ), 2);
	/* Up again on fresh rings: frames go through, from the first descriptor on. */
	rings_fresh();
	uint8_t got[256];
	while (peer_recv(got, sizeof(got)) > 0)
		;
	up(0);
	tx_several(1);
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_int_eq(peer_recv(got, sizeof(got)), 12 + 60);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 3);
}
END_TEST

/* n one-buffer receive chains of len bytes at BUF + i * 0x1000, into heads. */
static void rx_offer(unsigned n, uint32_t len, uint16_t *heads)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = BUF + i * 0x1000;
		heads[i] = offer(RXQ, 1, &a, &len, 0);
	}
}

/* A frame of flen bytes (seed) from the host side of tap queue 0. */
static void rx_send(size_t flen, uint8_t seed)
{
	uint8_t pkt[12 + 1024];
	hdr(pkt, 0, 0, 0);
	fill(pkt + 12, flen, seed);
	ck_assert_int_eq(send(peer, pkt, 12 + flen, 0), (ssize_t)(12 + flen));
}

/* Used entry i is chain `head` holding, from byte skip, flen frame bytes from `from`. */
static void rx_check(unsigned i, uint16_t head, uint32_t len, size_t skip, size_t from, size_t flen,
		     uint8_t seed)
{
	uint8_t want[1024], got[1024];
	fill(want, sizeof(want), seed);
	ck_assert_uint_eq(used_id(RXQ, i), head);
	ck_assert_uint_eq(used_len(RXQ, i), len);
	gmem_read(&vt_mem.gmem, BUF + head * 0x1000u + skip, got, flen);
	ck_assert_mem_eq(got, want + from, flen);
}

START_TEST(rx_batch_uring)
{
	if (!uring_dev())
		return;
	msix_queue(RXQ);
	up(0);
	uint16_t heads[8];
	rx_offer(8, 2048, heads);
	vt_modern_kick(RXQ);
	/* Five frames wait before the tap is seen readable: one batch, in order, one interrupt. */
	for (unsigned i = 0; i < 5; i++)
		rx_send(60 + i * 10, (uint8_t)(i * 16));
	unsigned irq = vt_msi_count;
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 5);
	for (unsigned i = 0; i < 5; i++) {
		rx_check(i, heads[i], 12 + 60 + i * 10, 12, 0, 60 + i * 10, (uint8_t)(i * 16));
		uint8_t nb[2];
		gmem_read(&vt_mem.gmem, BUF + heads[i] * 0x1000u + 10, nb, 2);
		ck_assert_uint_eq(nb[0] | nb[1] << 8, 1);
	}
	ck_assert_uint_eq(vt_msi_count, irq + 1);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 5);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_direct, 5);
	/* The three reads that found nothing gave their chains back: the next frames use them. */
	rx_send(70, 0xa0);
	rx_send(80, 0xb0);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 7);
	rx_check(5, heads[5], 12 + 70, 12, 0, 70, 0xa0);
	rx_check(6, heads[6], 12 + 80, 12, 0, 80, 0xb0);
	ck_assert_uint_eq(vt_msi_count, irq + 2);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_dropped, 0);
}
END_TEST

START_TEST(ring_eventfd_quiet)
{
	/*
	 * Reads reaped within their own pass leave the ring's eventfd alone
	 * (transmit: tx_batch_uring). One that completes later (a read that
	 * waited for a frame) still signals it.
	 */
	if (!uring_dev())
		return;
	up(0);
	uint16_t heads[2];
	rx_offer(2, 2048, heads);
	vt_modern_kick(RXQ);
	vtnet_tap_readable(vd, 0); /* RWF_NOWAIT reads: they find nothing, within the submit */
	ck_assert_uint_eq(vtnet_ring_signals(vd, 0), 0);
	((struct vtnet *)vd->priv)->rx_nowait = false;
	vtnet_tap_readable(vd, 0); /* now a read waits for a frame */
	ck_assert_uint_eq(vd->inflight, 1);
	ck_assert_uint_eq(vtnet_ring_signals(vd, 0), 0);
	rx_send(60, 7);
	ck_assert_uint_eq(vtnet_ring_signals(vd, 1000), 1);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	rx_check(0, heads[0], 12 + 60, 12, 0, 60, 7);
}
END_TEST

START_TEST(rx_batch_sized)
{
	/* A trickle of frames gets small batches of reads; a burst grows them again. */
	if (!uring_dev())
		return;
	msix_queue(RXQ);
	up(0);
	uint16_t heads[16];
	rx_offer(16, 2048, heads);
	vt_modern_kick(RXQ);
	rx_send(60, 1);
	settle();
	/* The first batch is the most (8 reads, half the ring up to 8): one found a frame. */
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_reads, 8);
	/* Next wake-up: one more read than found a frame last time. */
	rx_send(61, 2);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_reads, 10);
	/* Five frames: a batch of 2, full, so 4 more at once (three find a frame). */
	for (unsigned i = 0; i < 5; i++)
		rx_send(62 + i, (uint8_t)(3 + i));
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 7);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_reads, 10 + 2 + 4);
	for (unsigned i = 0; i < 7; i++)
		rx_check(i, heads[i], 12 + 60 + i, 12, 0, 60 + i, (uint8_t)(1 + i));
	ck_assert_uint_eq(vtnet_counters(vd)->rx_dropped, 0);
}
END_TEST

START_TEST(rx_batch_mergeable)
{
	if (!uring_dev())
		return;
	msix_queue(RXQ);
	up(F(VIRTIO_NET_F_MRG_RXBUF));
	/* Ten chains of 256 bytes: eight get a read (half the 16-entry ring), two stay. */
	uint16_t heads[10];
	rx_offer(10, 256, heads);
	vt_modern_kick(RXQ);
	rx_send(100, 1);
	rx_send(600, 2); /* 612 bytes: its chain and two more */
	rx_send(50, 3);
	unsigned irq = vt_msi_count;
	settle();
	/*
	 * The second frame goes on in the chains whose reads found nothing
	 * (heads 3 and 4), before the third frame's chain: each frame's chains
	 * are together, frames in the order they were read.
	 */
	ck_assert_uint_eq(used_idx(RXQ), 5);
	rx_check(0, heads[0], 112, 12, 0, 100, 1);
	rx_check(1, heads[1], 256, 12, 0, 244, 2);
	rx_check(2, heads[3], 256, 0, 244, 256, 2);
	rx_check(3, heads[4], 100, 0, 500, 100, 2);
	rx_check(4, heads[2], 62, 12, 0, 50, 3);
	uint8_t nb[2];
	gmem_read(&vt_mem.gmem, BUF + heads[1] * 0x1000u + 10, nb, 2);
	ck_assert_uint_eq(nb[0] | nb[1] << 8, 3);
	gmem_read(&vt_mem.gmem, BUF + heads[2] * 0x1000u + 10, nb, 2);
	ck_assert_uint_eq(nb[0] | nb[1] << 8, 1);
	ck_assert_uint_eq(vt_msi_count, irq + 1);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 3);
	/* Still held and in order: the next frame takes head 5. */
	rx_send(40, 4);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 6);
	rx_check(5, heads[5], 52, 12, 0, 40, 4);
}
END_TEST

/* After a reset, up again on fresh rings: a frame of len bytes lands in the first new chain. */
static void rx_after_reset(unsigned len, uint8_t seed)
{
	uint16_t heads[2];
	rings_fresh();
	up(0);
	rx_offer(2, 2048, heads);
	vt_modern_kick(RXQ);
	rx_send(len, seed);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	rx_check(0, heads[0], 12 + len, 12, 0, len, seed);
}

START_TEST(reset_after_rx_batch)
{
	if (!uring_dev())
		return;
	msix_queue(RXQ);
	up(0);
	uint16_t heads[4];
	rx_offer(4, 2048, heads);
	vt_modern_kick(RXQ);
	rx_send(60, 1);
	rx_send(70, 2);
	/*
	 * Readable: the batch's reads (RWF_NOWAIT) complete within their submit
	 * and are reaped at once: both frames are in, with one interrupt, before
	 * the event loop's next turn.
	 */
	unsigned irq = vt_msi_count;
	vtnet_tap_readable(vd, 0);
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(vt_msi_count, irq + 1);
	rx_check(0, heads[0], 12 + 60, 12, 0, 60, 1);
	rx_check(1, heads[1], 12 + 70, 12, 0, 70, 2);
	/* Nothing is left in flight: a reset completes at once. */
	ck_assert_uint_eq(vd->inflight, 0);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	rx_after_reset(80, 3);
}
END_TEST

/* A read that waits for a frame (a tap without RWF_NOWAIT): a reset cancels it. */
START_TEST(reset_rx_waiting)
{
	if (!uring_dev())
		return;
	up(0);
	uint16_t heads[2];
	rx_offer(2, 2048, heads);
	vt_modern_kick(RXQ);
	((struct vtnet *)vd->priv)->rx_nowait = false;
	vtnet_tap_readable(vd, 0); /* no frame yet: the read waits for one */
	settle();
	ck_assert_uint_eq(vd->inflight, 1);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	settle(); /* the cancelled read completes: the reset with it */
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	ck_assert_uint_eq(vd->inflight, 0);
	ck_assert_uint_eq(used_idx(RXQ), 0);
	rx_after_reset(90, 4);
}
END_TEST

/* Which tap errors take the link down: a tap not up yet (EIO) does not, a gone one does. */
START_TEST(tap_errors)
{
	ck_assert(!vtnet_io_gone(EIO));
	ck_assert(!vtnet_io_gone(EAGAIN));
	ck_assert(!vtnet_io_gone(ENOBUFS));
	ck_assert(vtnet_io_gone(EBADFD));
	ck_assert(vtnet_io_gone(EPIPE));
	ck_assert(vtnet_io_gone(ENODEV));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_net_mq");
	TCase *q = vnet_tcase(s, "mq");
	tcase_add_test(q, mq_config);
	tcase_add_test(q, mq_pairs_set);
	tcase_add_test(q, mq_not_negotiated);
	tcase_add_loop_test(q, mq_traffic_pair1, 0, 2); /* io_uring, readv/writev */
	TCase *u = vnet_tcase(s, "uring");
	tcase_add_test(u, tx_batch_uring);
	tcase_add_test(u, tx_back_before_write);
	tcase_add_test(u, tx_long_in_place);
	tcase_add_test(u, ring_eventfd_quiet);
	tcase_add_test(u, tx_fallback_sync);
	tcase_add_test(u, rx_uring_scatter);
	tcase_add_test(u, reset_after_tx_batch);
	tcase_add_test(u, rx_batch_uring);
	tcase_add_test(u, rx_batch_mergeable);
	tcase_add_test(u, rx_batch_sized);
	tcase_add_test(u, reset_after_rx_batch);
	tcase_add_test(u, reset_rx_waiting);
	tcase_add_test(u, tap_errors);
	return s;
}

CHECK_MAIN(suite)
