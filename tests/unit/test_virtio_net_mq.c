// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net multiqueue and packet I/O engines: max_virtqueue_pairs and the
 * queue layout, VQ_PAIRS_SET valid and invalid, traffic on pair 1 (pairs not
 * in use are not served), transmit batches through io_uring (one submit, one
 * interrupt), receive straight into a scattered chain, the forced readv/writev
 * fallback, and a reset while transmitted frames are in flight.
 */
#include <check.h>
#include <string.h>
#include <sys/socket.h>

#include "check_main.h"
#include "vnet.h"

/* A control command on queue q: class, command, data; returns the ack. */
static uint8_t ctl(unsigned q, const uint8_t *cmd, uint32_t len)
{
	uint8_t ack = 0xee;
	gmem_write(&vt_mem.gmem, BUF + 0x8000, cmd, len);
	gmem_write(&vt_mem.gmem, BUF + 0x8100, &ack, 1);
	uint64_t a[2] = {BUF + 0x8000, BUF + 0x8100};
	uint32_t l[2] = {len, 1};
	uint16_t before = used_idx(q);
	offer(q, 2, a, l, 1);
	vt_modern_kick(q);
	ck_assert_uint_eq(used_idx(q), (uint16_t)(before + 1));
	gmem_read(&vt_mem.gmem, BUF + 0x8100, &ack, 1);
	return ack;
}

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
	up_n(F(VIRTIO_NET_F_CTRL_VQ), 3);
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

/* MSI-X on, the transmit queue on vector 1. */
static void tx_vector(void)
{
	unsigned x = vt_find_cap(PCI_CAP_ID_MSIX, 0);
	vt_cfg_wr(x + 2, 2, 0x8000);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 0, 4, 0xfee00000);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 4, 4, 0);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 8, 4, 0x4041);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 12, 4, 0);
	VT_MW(VIRTIO_COMMON_Q_SELECT, 2, TXQ);
	VT_MW(VIRTIO_COMMON_Q_MSIX, 2, 1);
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
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	if (!vtnet_uses_io_uring(vd))
		return; /* no io_uring here (make() checked that it is missing) */
	tx_vector();
	up(0);
	tx_several(4);
	/* One submit sent all four; they are not back until the completions are reaped. */
	ck_assert_uint_eq(used_idx(TXQ), 0);
	uint8_t got[256], f[128];
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(peer_recv(got, sizeof(got)), (ssize_t)(12 + 60 + i));
		fill(f, sizeof(f), (uint8_t)i);
		ck_assert_mem_eq(got + 12, f, 60 + i);
	}
	ck_assert_uint_eq(vt_msi_count, 0);
	settle();
	ck_assert_uint_eq(used_idx(TXQ), 4);
	ck_assert_uint_eq(vt_msi_count, 1); /* one interrupt for the batch */
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 4);
}
END_TEST

START_TEST(tx_fallback_sync)
{
	/* Forced readv/writev: a kick sends and returns the chains at once. */
	plain = true;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	ck_assert(!vtnet_uses_io_uring(vd));
	tx_vector();
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
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	if (!vtnet_uses_io_uring(vd))
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

START_TEST(reset_tx_in_flight)
{
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	if (!vtnet_uses_io_uring(vd))
		return;
	up(0);
	tx_several(2);
	ck_assert_uint_eq(used_idx(TXQ), 0);
	/* The driver resets with both in flight: status stays non-zero until they drain. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	settle();
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	/* The completions were dropped: the old used ring was not written. */
	ck_assert_uint_eq(used_idx(TXQ), 0);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 0);
	/* Up again on fresh rings: frames go through. */
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(next_desc, 0, sizeof(next_desc));
	vt_w16(q_used(TXQ) + 2, 0);
	vt_w16(q_avail(TXQ) + 2, 0);
	uint8_t got[256];
	while (peer_recv(got, sizeof(got)) > 0)
		;
	up(0);
	tx_several(1);
	settle();
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_int_eq(peer_recv(got, sizeof(got)), 12 + 60);
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
	tcase_add_test(u, tx_fallback_sync);
	tcase_add_test(u, rx_uring_scatter);
	tcase_add_test(u, reset_tx_in_flight);
	return s;
}

CHECK_MAIN(suite)
