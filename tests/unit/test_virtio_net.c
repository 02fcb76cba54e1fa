// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net on fake guest memory with SOCK_SEQPACKET socketpairs for the
 * tap's queues: transmit, receive (one chain a frame and mergeable buffers),
 * frames waiting for buffers, BAD-INPUTS N1, the default MAC, configuration
 * space and a backend that goes away, each on io_uring and on the readv/writev
 * fallback (loop index 0 and 1). Multiqueue and io_uring batches:
 * test_virtio_net_mq.c.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/virtio_net.h"
#include "khyve/virtio_pci.h"
#include "vtest.h"

#include "vnet.h"

START_TEST(tx_frame)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_CSUM));
	uint8_t h[12], got[256], want[200];
	hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0);
	h[6] = 34; /* csum_start */
	h[8] = 16; /* csum_offset */
	uint16_t head = tx(h, 12, 100, 3);
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_uint_eq(used_id(TXQ, 0), head);
	ck_assert_uint_eq(used_len(TXQ, 0), 0);
	ck_assert_int_eq(peer_recv(got, sizeof(got)), 112);
	memcpy(want, h, 12);
	fill(want + 12, 100, 3);
	ck_assert_mem_eq(got, want, 112);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 1);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_malformed, 0);
}
END_TEST

START_TEST(rx_frame)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(F(VIRTIO_NET_F_MAC));
	uint64_t a = BUF;
	uint32_t l = 2048;
	uint16_t head = offer(RXQ, 1, &a, &l, 0);
	vt_modern_kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 0);
	uint8_t pkt[12 + 300], got[12 + 300];
	hdr(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0);
	pkt[10] = 0x55; /* num_buffers as the tap leaves it: overwritten */
	fill(pkt + 12, 300, 9);
	ck_assert_int_eq(send(peer, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_id(RXQ, 0), head);
	ck_assert_uint_eq(used_len(RXQ, 0), sizeof(pkt));
	gmem_read(&vt_mem.gmem, BUF, got, sizeof(got));
	ck_assert_uint_eq(got[0], VIRTIO_NET_HDR_F_DATA_VALID);
	ck_assert_uint_eq(got[10] | got[11] << 8, 1); /* num_buffers: 1 */
	ck_assert_mem_eq(got + 12, pkt + 12, 300);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 1);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_bytes, 300);
	/* io_uring read the frame straight into the guest's buffer. */
	ck_assert_uint_eq(vtnet_counters(vd)->rx_direct, vtnet_uses_io_uring(vd) ? 1 : 0);
}
END_TEST

START_TEST(rx_mergeable)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(F(VIRTIO_NET_F_MRG_RXBUF));
	uint16_t heads[3];
	for (unsigned i = 0; i < 3; i++) {
		uint64_t a = BUF + i * 0x1000;
		uint32_t l = 256;
		heads[i] = offer(RXQ, 1, &a, &l, 0);
	}
	uint8_t pkt[12 + 600], got[256];
	hdr(pkt, 0, 0, 0);
	fill(pkt + 12, 600, 1);
	ck_assert_int_eq(send(peer, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 3);
	uint32_t lens[3] = {256, 256, 612 - 512};
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(used_id(RXQ, i), heads[i]);
		ck_assert_uint_eq(used_len(RXQ, i), lens[i]);
		gmem_read(&vt_mem.gmem, BUF + i * 0x1000, got, lens[i]);
		if (i == 0) {
			ck_assert_uint_eq(got[10] | got[11] << 8, 3); /* num_buffers */
			ck_assert_mem_eq(got + 12, pkt + 12, 244);
		} else {
			ck_assert_mem_eq(got, pkt + 256 * i, lens[i]);
		}
	}
}
END_TEST

START_TEST(rx_waits_for_buffers)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(F(VIRTIO_NET_F_MRG_RXBUF));
	uint8_t p1[12 + 100], p2[12 + 40], got[200];
	hdr(p1, 0, 0, 0);
	hdr(p2, 0, 0, 0);
	fill(p1 + 12, 100, 11);
	fill(p2 + 12, 40, 77);
	ck_assert_int_eq(send(peer, p1, sizeof(p1), 0), (ssize_t)sizeof(p1));
	ck_assert_int_eq(send(peer, p2, sizeof(p2), 0), (ssize_t)sizeof(p2));
	settle(); /* no buffers: nothing moves, nothing is lost */
	ck_assert_uint_eq(used_idx(RXQ), 0);
	/* One buffer too small for the first frame: it is held, not used yet. */
	uint64_t a = BUF;
	uint32_t l = 64;
	offer(RXQ, 1, &a, &l, 0);
	vt_modern_kick(RXQ);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 0);
	/* Two more: the first frame completes over two, the second takes the third. */
	a = BUF + 0x1000;
	l = 512;
	offer(RXQ, 1, &a, &l, 0);
	a = BUF + 0x2000;
	offer(RXQ, 1, &a, &l, 0);
	vt_modern_kick(RXQ);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 3);
	ck_assert_uint_eq(used_len(RXQ, 0), 64);
	ck_assert_uint_eq(used_len(RXQ, 1), 112 - 64);
	ck_assert_uint_eq(used_len(RXQ, 2), sizeof(p2));
	gmem_read(&vt_mem.gmem, BUF, got, 64);
	ck_assert_uint_eq(got[10], 2);
	ck_assert_mem_eq(got + 12, p1 + 12, 52);
	gmem_read(&vt_mem.gmem, BUF + 0x1000, got, 48);
	ck_assert_mem_eq(got, p1 + 64, 48);
	gmem_read(&vt_mem.gmem, BUF + 0x2000, got, sizeof(p2));
	ck_assert_uint_eq(got[10], 1);
	ck_assert_mem_eq(got + 12, p2 + 12, 40);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 2);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_dropped, 0);
}
END_TEST

START_TEST(n1_malformed_frames)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4));
	uint8_t h[12], got[256];
	hdr(h, 0, 0, 0);
	tx(h, 5, 0, 0);			   /* shorter than the header */
	tx(h, 12, VTNET_MAX_FRAME + 1, 0); /* longer than 64 KiB + header */
	tx(h, 12, 10, 0);		   /* shorter than an Ethernet header */
	hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1448);
	tx(h, 12, 100, 0); /* TSO6 not negotiated */
	hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 7, 1448);
	tx(h, 12, 100, 0); /* unknown GSO type */
	hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0);
	tx(h, 12, 100, 0); /* GSO without a segment size */
	hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0);
	h[6] = 99; /* csum_start + csum_offset + 2 past the frame */
	tx(h, 12, 100, 0);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_malformed, 7);
	ck_assert_uint_eq(used_idx(TXQ), 7);
	for (unsigned i = 0; i < 7; i++)
		ck_assert_uint_eq(used_len(TXQ, i), 0);
	ck_assert_int_eq(peer_recv(got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* Alive: a good frame (TSO4 with a segment size) still goes out. */
	hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448);
	h[6] = 34;
	h[8] = 16;
	tx(h, 12, 100, 5);
	ck_assert_int_eq(peer_recv(got, sizeof(got)), 112);
	ck_assert_uint_eq(got[1], VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}
END_TEST

START_TEST(default_mac)
{
	uint8_t m[6];
	/* python3: hashlib.md5(b"4-0-vm1").digest()[:3] == 51 83 3e */
	vtnet_default_mac(4, 0, "vm1", m);
	ck_assert_mem_eq(m, ((uint8_t[]){0x00, 0xa0, 0x98, 0x51, 0x83, 0x3e}), 6);
	vtnet_default_mac(3, 0, "net", m);
	ck_assert_mem_eq(m, ((uint8_t[]){0x00, 0xa0, 0x98, 0x03, 0xdb, 0x87}), 6);
	ck_assert_int_eq(vtnet_parse_mac("52:54:00:ab:CD:0f", m), 0);
	ck_assert_mem_eq(m, ((uint8_t[]){0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f}), 6);
	ck_assert_int_eq(vtnet_parse_mac("01:00:5e:00:00:01", m), -EINVAL); /* multicast */
	ck_assert_int_eq(vtnet_parse_mac("00:00:00:00:00:00", m), -EINVAL);
	ck_assert_int_eq(vtnet_parse_mac("52:54:00:ab:cd", m), -EINVAL);
	ck_assert_int_eq(vtnet_parse_mac("52:54:00:ab:cd:0f:11", m), -EINVAL);
	ck_assert_int_eq(vtnet_parse_mac("52-54-00-ab-cd-0f", m), -EINVAL);
}
END_TEST

START_TEST(config_space)
{
	make(&(struct vtnet_params){.mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56}, .mtu = 9000});
	ck_assert_uint_eq(vt_cfg_rd(PCI_SUBSYSTEM_ID, 2), VIRTIO_ID_NET);
	ck_assert_uint_eq(vt_cfg_rd(PCI_DEVICE_ID, 2), 0x1000);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	uint32_t f = (uint32_t)VT_M(VIRTIO_COMMON_DF, 4);
	uint32_t want = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_STATUS) |
			F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) |
			F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
			F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_CTRL_VQ);
	ck_assert_uint_eq(f & want, want);
	uint8_t mac[6];
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)VT_M(VIRTIO_MODERN_DEVICE + i, 1);
	ck_assert_mem_eq(mac, ((uint8_t[]){0x52, 0x54, 0, 0x12, 0x34, 0x56}), 6);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_MAX_PAIRS, 2), 1);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_MTU, 2), 9000);
	/* The legacy register file shows the same bytes after its header (MSI-X off: 20). */
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_CONFIG(false) + 0, 1), 0x52);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_CONFIG(false) + VTNET_CFG_STATUS, 2), 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_NUMQ, 2), 3);
	ck_assert_uint_eq(f & F(VIRTIO_NET_F_MQ), 0); /* one pair: no multiqueue */
	teardown();
	/* Without mtu= there is no MTU feature. */
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_DF, 4) & F(VIRTIO_NET_F_MTU), 0);
}
END_TEST

START_TEST(ctrl_rx_mode)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_CTRL_RX));
	uint8_t cmd[3] = {VIRTIO_NET_CTRL_RX, 0 /* PROMISC */, 1}, ack = 0xee;
	gmem_write(&vt_mem.gmem, BUF, cmd, 3);
	gmem_write(&vt_mem.gmem, BUF + 0x100, &ack, 1);
	uint64_t a[2] = {BUF, BUF + 0x100};
	uint32_t l[2] = {3, 1};
	offer(2, 2, a, l, 1);
	vt_modern_kick(2);
	ck_assert_uint_eq(used_idx(2), 1);
	ck_assert_uint_eq(used_len(2, 0), 1);
	gmem_read(&vt_mem.gmem, BUF + 0x100, &ack, 1);
	ck_assert_uint_eq(ack, VIRTIO_NET_OK);
	/* A MAC table cut short: an error, still answered. */
	cmd[0] = 1; /* MAC */
	gmem_write(&vt_mem.gmem, BUF, cmd, 3);
	offer(2, 2, a, l, 1);
	vt_modern_kick(2);
	ck_assert_uint_eq(used_idx(2), 2);
	gmem_read(&vt_mem.gmem, BUF + 0x100, &ack, 1);
	ck_assert_uint_eq(ack, VIRTIO_NET_ERR);
}
END_TEST

START_TEST(backend_gone)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(0);
	uint8_t gen = (uint8_t)VT_M(VIRTIO_COMMON_CFGGEN, 1);
	close(peer);
	peer = -1;
	uint8_t h[12];
	hdr(h, 0, 0, 0);
	tx(h, 12, 60, 0); /* EPIPE: the other end is gone */
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_errors, 1);
	ck_assert_uint_eq(vtnet_counters(vd)->link_down, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_STATUS, 2), 0);
	ck_assert_uint_ne((uint8_t)VT_M(VIRTIO_COMMON_CFGGEN, 1), gen);
	/* Still alive: frames are returned, receive does nothing. */
	tx(h, 12, 60, 0);
	ck_assert_uint_eq(used_idx(TXQ), 2);
	settle();
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}
END_TEST

START_TEST(legacy_header)
{
	plain = _i;
	/* A legacy driver without MRG_RXBUF: a 10-byte header each way. */
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	VT_LW(VIRTIO_LEGACY_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	VT_LW(VIRTIO_LEGACY_GUEST_FEATURES, 4, F(VIRTIO_NET_F_MAC));
	for (unsigned q = 0; q < 2; q++) {
		VT_LW(VIRTIO_LEGACY_QUEUE_SEL, 2, q);
		ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_NUM, 2), VTNET_QUEUE_SIZE);
	}
	/* Rings of VTNET_QUEUE_SIZE at 0x80000 (rx) and 0xc0000 (tx). */
	uint64_t base[2] = {0x80000, 0xc0000};
	for (unsigned q = 0; q < 2; q++) {
		VT_LW(VIRTIO_LEGACY_QUEUE_SEL, 2, q);
		VT_LW(VIRTIO_LEGACY_QUEUE_PFN, 4, base[q] >> 12);
	}
	VT_LW(VIRTIO_LEGACY_STATUS, 1, 0x07);
	uint64_t desc[2], avail[2], used[2];
	for (unsigned q = 0; q < 2; q++)
		vq_legacy_layout((uint32_t)(base[q] >> 12), VTNET_QUEUE_SIZE, &desc[q], &avail[q],
				 &used[q]);
	/* TX: 10 + 60 → 12 + 60 on the tap. */
	uint8_t h[12], f[60], got[128];
	hdr(h, 0, 0, 0);
	fill(f, 60, 4);
	gmem_write(&vt_mem.gmem, BUF, h, 10);
	gmem_write(&vt_mem.gmem, BUF + 0x100, f, 60);
	vt_desc(desc[1], 0, BUF, 10, 1, 1);
	vt_desc(desc[1], 1, BUF + 0x100, 60, 0, 0);
	vt_w16(avail[1] + 4, 0);
	vt_w16(avail[1] + 2, 1);
	VT_LW(VIRTIO_LEGACY_QUEUE_NOTIFY, 2, 1);
	settle();
	ck_assert_int_eq(peer_recv(got, sizeof(got)), 72);
	ck_assert_mem_eq(got + 12, f, 60);
	/* RX: 12 + 60 from the tap → 10 + 60 in the guest. */
	vt_desc(desc[0], 0, BUF + 0x1000, 1600, 2, 0);
	vt_w16(avail[0] + 4, 0);
	vt_w16(avail[0] + 2, 1);
	uint8_t pkt[72];
	hdr(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0);
	memcpy(pkt + 12, f, 60);
	ck_assert_int_eq(send(peer, pkt, sizeof(pkt), 0), 72);
	settle();
	ck_assert_uint_eq(vt_r16(used[0] + 2), 1);
	ck_assert_uint_eq(vt_r32(used[0] + 8), 70);
	gmem_read(&vt_mem.gmem, BUF + 0x1000, got, 70);
	ck_assert_uint_eq(got[0], VIRTIO_NET_HDR_F_DATA_VALID);
	ck_assert_mem_eq(got + 10, f, 60);
}
END_TEST

START_TEST(tap_bad_name)
{
	struct tap *t;
	char err[200];
	ck_assert_int_eq(tap_open(&t, "tap-with-a-very-long-name", 1, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "tap-with-a-very-long-name"));
	ck_assert_int_eq(tap_open(&t, "", 1, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(tap_open(&t, "a/b", 1, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(tap_open(&t, "tap0", 0, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(tap_open(&t, "tap0", TAP_MAX_QUEUES + 1, err, sizeof(err)), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_net");
	/* Loop index 0: io_uring (where it works), 1: readv/writev. */
	TCase *t = vnet_tcase(s, "net");
	tcase_add_loop_test(t, tx_frame, 0, 2);
	tcase_add_loop_test(t, rx_frame, 0, 2);
	tcase_add_loop_test(t, rx_mergeable, 0, 2);
	tcase_add_loop_test(t, rx_waits_for_buffers, 0, 2);
	tcase_add_loop_test(t, n1_malformed_frames, 0, 2);
	tcase_add_test(t, config_space);
	tcase_add_loop_test(t, ctrl_rx_mode, 0, 2);
	tcase_add_loop_test(t, backend_gone, 0, 2);
	tcase_add_loop_test(t, legacy_header, 0, 2);
	TCase *m = tcase_create("mac");
	tcase_add_test(m, default_mac);
	tcase_add_test(m, tap_bad_name);
	suite_add_tcase(s, m);
	return s;
}

CHECK_MAIN(suite)
