// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net on fake guest memory, a SOCK_SEQPACKET pair standing in for
 * the tap (frames keep their boundaries and their header): transmit,
 * receive, malformed frames (BAD-INPUTS N1), no receive buffers, the MAC.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/virtio_net.h"
#include "vtest.h"

#define RXQ 0
#define TXQ 1
#define HDR 12

static struct virtio_dev *vd;
static int sp[2];
static uint16_t rx_idx, tx_idx;

static void make(void)
{
	vt_init(&virtio_net_emu);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp), 0);
	uint8_t mac[6] = {0x52, 0x54, 0, 1, 2, 3};
	vd = vtnet_new(&vt_mem.gmem, sp[0], mac, 1500);
	ck_assert_ptr_nonnull(vd);
	ck_assert_int_eq(virtio_pci_setup(vtnet_pci(vd), vt_dev, vd, VIRTIO_TRANSITIONAL, true, NULL),
			 0);
	vt_modern_features(1u << VIRTIO_NET_F_MAC | 1u << VIRTIO_NET_F_MRG_RXBUF);
	vt_modern_queue(RXQ);
	vt_modern_queue(TXQ);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	rx_idx = tx_idx = 0;
}

static void teardown(void)
{
	vtnet_free(vd); /* closes sp[0] */
	close(sp[1]);
	vt_fini();
}

/* A transmit chain: one readable buffer of len bytes at buf. */
static void send_frame(uint64_t buf, uint32_t len)
{
	uint64_t q = 0x10000ull * TXQ;
	unsigned d = tx_idx % VT_QSZ;
	vt_desc(VT_DESC + q, d, buf, len, 0, 0);
	vt_offer(VT_AVAIL + q, tx_idx, (uint16_t)d);
	tx_idx++;
	vt_modern_kick(TXQ);
}

/* A receive chain: one writable buffer of len bytes at buf. */
static void add_rx(uint64_t buf, uint32_t len)
{
	unsigned d = rx_idx % VT_QSZ;
	vt_desc(VT_DESC, d, buf, len, 2, 0);
	vt_offer(VT_AVAIL, rx_idx, (uint16_t)d);
	rx_idx++;
}

START_TEST(transmit)
{
	make();
	uint8_t f[HDR + 60];
	for (unsigned i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(i < HDR ? 0 : i);
	gmem_write(&vt_mem.gmem, VT_BUF, f, sizeof(f));
	send_frame(VT_BUF, sizeof(f));
	uint8_t got[256];
	ck_assert_int_eq(recv(sp[1], got, sizeof(got), 0), (ssize_t)sizeof(f));
	ck_assert_mem_eq(got, f, sizeof(f));
	ck_assert_uint_eq(vt_r16(VT_USED + 0x10000 * TXQ + 2), 1);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_frames, 1);
}
END_TEST

/* N1: shorter than header + Ethernet header, or above 64 KiB + header: dropped, counted. */
START_TEST(transmit_malformed)
{
	make();
	send_frame(VT_BUF, 10);
	send_frame(VT_BUF, 70000);
	uint8_t got[64];
	ck_assert_int_eq(recv(sp[1], got, sizeof(got), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(vtnet_counters(vd)->tx_dropped, 2);
	ck_assert_uint_eq(vt_r16(VT_USED + 0x10000 * TXQ + 2), 2); /* both returned */
	/* still alive */
	send_frame(VT_BUF, HDR + 60);
	ck_assert_int_eq(recv(sp[1], got, sizeof(got), 0), HDR + 60 > 64 ? 64 : HDR + 60);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}
END_TEST

START_TEST(receive)
{
	make();
	uint8_t f[HDR + 100];
	memset(f, 0, HDR);
	for (unsigned i = HDR; i < sizeof(f); i++)
		f[i] = (uint8_t)(i * 3);
	ck_assert_int_eq(send(sp[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	add_rx(VT_BUF, 2048);
	vt_modern_kick(RXQ);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 1);
	ck_assert_uint_eq(vt_r32(VT_USED + 8), sizeof(f));
	uint8_t got[sizeof(f)];
	gmem_read(&vt_mem.gmem, VT_BUF, got, sizeof(got));
	ck_assert_uint_eq(got[10] | got[11] << 8, 1); /* num_buffers */
	ck_assert_mem_eq(got + HDR, f + HDR, sizeof(f) - HDR);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 1);
}
END_TEST

/* Buffers before frames: nothing is used up; the frame lands once it comes. */
START_TEST(receive_waits)
{
	make();
	add_rx(VT_BUF, 2048);
	vt_modern_kick(RXQ);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 0);
	/* a frame with no buffer: it waits in the socket */
	uint8_t f[HDR + 40] = {0};
	f[HDR] = 0xee;
	ck_assert_int_eq(send(sp[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	vt_modern_kick(RXQ);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 1);
	uint8_t b = 0;
	gmem_read(&vt_mem.gmem, VT_BUF + HDR, &b, 1);
	ck_assert_uint_eq(b, 0xee);
	ck_assert_int_eq(send(sp[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	vt_modern_kick(RXQ); /* no buffer left: nothing happens */
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 1);
	add_rx(VT_BUF + 4096, 2048);
	vt_modern_kick(RXQ);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 2);
}
END_TEST

START_TEST(mac_and_config)
{
	uint8_t mac[6], want[6] = {0x00, 0xa0, 0x98, 0x87, 0x61, 0x43};
	vtnet_default_mac(4, 0, "net", mac); /* MD5("4-0-net"), as bhyve */
	ck_assert_mem_eq(mac, want, 6);
	make();
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE, 1), 0x52);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 5, 1), 3);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 6, 2), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 10, 2), 1500);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	uint32_t f = (uint32_t)VT_M(VIRTIO_COMMON_DF, 4);
	ck_assert_uint_ne(f & 1u << VIRTIO_NET_F_MTU, 0);
	ck_assert_uint_ne(f & 1u << VIRTIO_NET_F_STATUS, 0);
}
END_TEST

/*
 * Frames arriving from the tap use up the buffers without any kick: when
 * they run out, avail_event must have moved so that the driver's next
 * refill is kicked (EVENT_IDX), or reception stops for good.
 */
START_TEST(receive_event_idx_refill)
{
	vt_init(&virtio_net_emu);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp), 0);
	uint8_t mac[6] = {0x52, 0x54, 0, 1, 2, 3};
	vd = vtnet_new(&vt_mem.gmem, sp[0], mac, 0);
	ck_assert_int_eq(virtio_pci_setup(vtnet_pci(vd), vt_dev, vd, VIRTIO_TRANSITIONAL, true, NULL),
			 0);
	vt_modern_features(1u << VIRTIO_RING_F_EVENT_IDX | 1u << VIRTIO_NET_F_MRG_RXBUF);
	vt_modern_queue(RXQ);
	vt_modern_queue(TXQ);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	rx_idx = tx_idx = 0;
	add_rx(VT_BUF, 2048);
	add_rx(VT_BUF + 4096, 2048);
	vt_modern_kick(RXQ);
	uint8_t f[HDR + 40] = {0};
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(send(sp[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	vtnet_tap_readable(vd); /* no kick: the tap became readable */
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 2);
	/* avail_event (after the used ring) asks for a kick at the next buffer */
	ck_assert_uint_eq(vt_r16(VT_USED + 4 + 8 * VT_QSZ), 2);
}
END_TEST

/* Bursts: frames waiting together, more buffers than frames, then more frames. */
START_TEST(receive_bursts)
{
	make();
	for (int i = 0; i < 8; i++)
		add_rx(VT_BUF + 4096u * i, 2048);
	vt_modern_kick(RXQ);
	uint8_t f[HDR + 1500] = {0};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(send(sp[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	vtnet_tap_readable(vd);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 5);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(send(sp[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	vtnet_tap_readable(vd);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 8);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 8);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_net");
	TCase *t = tcase_create("net");
	tcase_add_checked_fixture(t, NULL, teardown);
	tcase_add_test(t, transmit);
	tcase_add_test(t, transmit_malformed);
	tcase_add_test(t, receive);
	tcase_add_test(t, receive_waits);
	tcase_add_test(t, mac_and_config);
	tcase_add_test(t, receive_event_idx_refill);
	tcase_add_test(t, receive_bursts);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
