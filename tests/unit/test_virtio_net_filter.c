// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net receive filter: the control commands that set it (receive
 * modes, MAC table, default address, VLAN table) with their feature
 * gating and every way a driver can get them wrong (cut short, counts past
 * the data, oversized lists, VLAN ids out of range, scattered over
 * one-byte buffers), the per-frame decision, and the device: frames the
 * filter refuses never reach the guest's buffers (both packet engines), the
 * default address set by ADDR_SET shows in config space, a legacy driver's
 * config-space write moves the filter, and a reset brings it all back.
 */
#include <check.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/virtio/net_priv.h"
#include "check_main.h"
#include "vnet.h"

#define ALL                                                                                        \
	(1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_CTRL_RX |                             \
	 1ull << VIRTIO_NET_F_CTRL_RX_EXTRA | 1ull << VIRTIO_NET_F_CTRL_VLAN |                     \
	 1ull << VIRTIO_NET_F_CTRL_MAC_ADDR)

static const uint8_t own[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t other[6] = {2, 0, 0, 0, 0, 0x99};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 0xfb};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* A command in one buffer. */
static uint8_t cmd(struct vtnet_filter *f, uint64_t feat, const uint8_t *c, size_t len)
{
	struct iovec v = {(void *)c, len};
	return vtnet_filter_command(f, feat, &v, 1, len);
}

/* A command scattered over one-byte buffers. */
static uint8_t cmd_bytes(struct vtnet_filter *f, uint64_t feat, const uint8_t *c, size_t len)
{
	static struct iovec v[1024];
	ck_assert_uint_le(len, 1024);
	for (size_t i = 0; i < len; i++)
		v[i] = (struct iovec){(void *)(c + i), 1};
	return vtnet_filter_command(f, feat, v, (unsigned)len, len);
}

static uint8_t mode(struct vtnet_filter *f, uint64_t feat, uint8_t which, uint8_t on)
{
	uint8_t c[3] = {VIRTIO_NET_CTRL_RX, which, on};
	return cmd(f, feat, c, 3);
}

/* An Ethernet header to dst (with a VLAN tag when vid >= 0) in buf; its length. */
static size_t frame(uint8_t *buf, const uint8_t *dst, int vid)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, other, 6);
	if (vid < 0) {
		buf[12] = 0x08, buf[13] = 0x00;
		return 14;
	}
	buf[12] = 0x81, buf[13] = 0x00;
	buf[14] = (uint8_t)(vid >> 8), buf[15] = (uint8_t)vid;
	buf[16] = 0x08, buf[17] = 0x00;
	return 18;
}

static bool pass(const struct vtnet_filter *f, uint64_t feat, const uint8_t *dst, int vid)
{
	uint8_t b[18];
	size_t n = frame(b, dst, vid);
	return vtnet_filter_accept(f, feat, b, n);
}

/* TABLE_SET with nu unicast and nm multicast addresses (from u and m, repeated). */
static size_t table(uint8_t *c, uint32_t nu, const uint8_t *u, uint32_t nm, const uint8_t *m)
{
	size_t k = 0;
	c[k++] = VIRTIO_NET_CTRL_MAC;
	c[k++] = VIRTIO_NET_CTRL_MAC_TABLE_SET;
	memcpy(c + k, &nu, 4), k += 4; /* x86: little-endian */
	for (uint32_t i = 0; i < nu; i++, k += 6)
		memcpy(c + k, u, 6);
	memcpy(c + k, &nm, 4), k += 4;
	for (uint32_t i = 0; i < nm; i++, k += 6)
		memcpy(c + k, m, 6);
	return k;
}

START_TEST(modes)
{
	struct vtnet_filter f;
	vtnet_filter_reset(&f, own);
	/* Promiscuous after reset; without CTRL_RX nothing is ever filtered. */
	ck_assert(f.promisc);
	ck_assert(pass(&f, ALL, other, -1));
	f.promisc = false;
	ck_assert(pass(&f, 0, other, -1));
	ck_assert(!pass(&f, ALL, other, -1));
	ck_assert(pass(&f, ALL, own, -1));
	ck_assert(pass(&f, ALL, bcast, -1));
	ck_assert(!pass(&f, ALL, mcast, -1));
	/* PROMISC and ALLMULTI need CTRL_RX, the others CTRL_RX_EXTRA. */
	uint64_t rx = 1ull << VIRTIO_NET_F_CTRL_RX;
	ck_assert_uint_eq(mode(&f, 0, VIRTIO_NET_CTRL_RX_PROMISC, 1), VIRTIO_NET_ERR);
	ck_assert(!f.promisc);
	ck_assert_uint_eq(mode(&f, rx, VIRTIO_NET_CTRL_RX_ALLMULTI, 1), VIRTIO_NET_OK);
	ck_assert(pass(&f, ALL, mcast, -1));
	ck_assert_uint_eq(mode(&f, rx, VIRTIO_NET_CTRL_RX_ALLUNI, 1), VIRTIO_NET_ERR);
	ck_assert_uint_eq(mode(&f, rx, VIRTIO_NET_CTRL_RX_NOBCAST, 1), VIRTIO_NET_ERR);
	ck_assert(pass(&f, ALL, bcast, -1));
	ck_assert_uint_eq(mode(&f, rx, 6, 1), VIRTIO_NET_ERR); /* no such mode */
	ck_assert_uint_eq(mode(&f, ALL, 6, 1), VIRTIO_NET_ERR);
	/* ALLUNI; NOUNI wins over it and over the own address. */
	ck_assert_uint_eq(mode(&f, ALL, VIRTIO_NET_CTRL_RX_ALLUNI, 1), VIRTIO_NET_OK);
	ck_assert(pass(&f, ALL, other, -1));
	ck_assert_uint_eq(mode(&f, ALL, VIRTIO_NET_CTRL_RX_NOUNI, 1), VIRTIO_NET_OK);
	ck_assert(!pass(&f, ALL, other, -1));
	ck_assert(!pass(&f, ALL, own, -1));
	ck_assert(pass(&f, ALL, bcast, -1)); /* NOUNI leaves broadcast alone */
	/* NOMULTI wins over ALLMULTI and leaves broadcast alone; NOBCAST takes it. */
	ck_assert_uint_eq(mode(&f, ALL, VIRTIO_NET_CTRL_RX_NOMULTI, 1), VIRTIO_NET_OK);
	ck_assert(!pass(&f, ALL, mcast, -1));
	ck_assert(pass(&f, ALL, bcast, -1));
	ck_assert_uint_eq(mode(&f, ALL, VIRTIO_NET_CTRL_RX_NOBCAST, 7), VIRTIO_NET_OK);
	ck_assert(!pass(&f, ALL, bcast, -1));
	/* Promiscuous takes everything whatever else is on. */
	ck_assert_uint_eq(mode(&f, ALL, VIRTIO_NET_CTRL_RX_PROMISC, 1), VIRTIO_NET_OK);
	ck_assert(pass(&f, ALL, bcast, -1) && pass(&f, ALL, other, -1) && pass(&f, ALL, mcast, -1));
	ck_assert_uint_eq(mode(&f, ALL, VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);
	ck_assert(!pass(&f, ALL, bcast, -1));
	/* The state byte missing; a command shorter than class and command. */
	uint8_t c[3] = {VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, 0};
	ck_assert_uint_eq(cmd(&f, ALL, c, 2), VIRTIO_NET_ERR);
	ck_assert(f.nobcast);
	ck_assert_uint_eq(cmd(&f, ALL, c, 1), VIRTIO_NET_ERR);
	ck_assert_uint_eq(cmd(&f, ALL, c, 0), VIRTIO_NET_ERR);
	ck_assert_uint_eq(cmd_bytes(&f, ALL, c, 3), VIRTIO_NET_OK);
	ck_assert(!f.nobcast);
	/* Less than an Ethernet header: dropped unless promiscuous. */
	uint8_t tiny[13] = {0};
	memcpy(tiny, own, 6);
	ck_assert(!vtnet_filter_accept(&f, ALL, tiny, sizeof(tiny)));
	/* Unknown class. */
	uint8_t u[3] = {9, 0, 0};
	ck_assert_uint_eq(cmd(&f, ALL, u, 3), VIRTIO_NET_ERR);
}
END_TEST

START_TEST(mac_table)
{
	static uint8_t c[2 + 4 + 6 * 300 + 4 + 6 * 300];
	struct vtnet_filter f;
	vtnet_filter_reset(&f, own);
	f.promisc = false;
	/* One unicast, one multicast address: just those (and the own address) pass. */
	size_t n = table(c, 1, other, 1, mcast);
	ck_assert_uint_eq(cmd(&f, 1ull << VIRTIO_NET_F_CTRL_VQ, c, n), VIRTIO_NET_ERR);
	ck_assert_uint_eq(cmd(&f, ALL, c, n), VIRTIO_NET_OK);
	ck_assert_uint_eq(f.nuni, 1);
	ck_assert_uint_eq(f.nmulti, 1);
	ck_assert(pass(&f, ALL, other, -1) && pass(&f, ALL, own, -1) && pass(&f, ALL, mcast, -1));
	uint8_t m2[6] = {0x33, 0x33, 0, 0, 0, 1}, u2[6] = {2, 0, 0, 0, 0, 2};
	ck_assert(!pass(&f, ALL, m2, -1));
	ck_assert(!pass(&f, ALL, u2, -1));
	/* Scattered over one-byte buffers it reads the same. */
	n = table(c, 1, u2, 1, m2);
	ck_assert_uint_eq(cmd_bytes(&f, ALL, c, n), VIRTIO_NET_OK);
	ck_assert(pass(&f, ALL, u2, -1) && pass(&f, ALL, m2, -1));
	ck_assert(!pass(&f, ALL, other, -1) && !pass(&f, ALL, mcast, -1));
	/* Malformed: each refused, the tables as they were. */
	n = table(c, 1, other, 1, mcast);
	ck_assert_uint_eq(cmd(&f, ALL, c, n - 1), VIRTIO_NET_ERR);     /* last address cut */
	ck_assert_uint_eq(cmd(&f, ALL, c, 2 + 4 + 6), VIRTIO_NET_ERR); /* no second count */
	ck_assert_uint_eq(cmd(&f, ALL, c, 2 + 3), VIRTIO_NET_ERR);     /* first count cut */
	uint32_t huge = 0xffffffffu;
	memcpy(c + 2, &huge, 4); /* a count far past the data */
	ck_assert_uint_eq(cmd(&f, ALL, c, n), VIRTIO_NET_ERR);
	n = table(c, 0, NULL, 2, mcast);
	uint32_t wrap = 0x2aaaaaab; /* count * 6 wraps to 2 in 32 bits */
	memcpy(c + 6, &wrap, 4);
	ck_assert_uint_eq(cmd(&f, ALL, c, n), VIRTIO_NET_ERR);
	ck_assert(pass(&f, ALL, u2, -1) && !pass(&f, ALL, other, -1));
	/* Longer lists than the table: all of that kind passes. */
	n = table(c, 0, NULL, VTNET_MAC_TABLE + 1, mcast);
	ck_assert_uint_eq(cmd(&f, ALL, c, n), VIRTIO_NET_OK);
	ck_assert(f.multi_overflow && !f.uni_overflow);
	ck_assert(pass(&f, ALL, m2, -1));
	ck_assert(!pass(&f, ALL, u2, -1)); /* the unicast table is empty now */
	n = table(c, 300, other, VTNET_MAC_TABLE, mcast);
	ck_assert_uint_eq(cmd(&f, ALL, c, n), VIRTIO_NET_OK);
	ck_assert(f.uni_overflow && !f.multi_overflow);
	ck_assert_uint_eq(f.nmulti, VTNET_MAC_TABLE);
	ck_assert(pass(&f, ALL, u2, -1) && !pass(&f, ALL, m2, -1));
	/* Empty tables: the own address only. */
	n = table(c, 0, NULL, 0, NULL);
	ck_assert_uint_eq(cmd(&f, ALL, c, n), VIRTIO_NET_OK);
	ck_assert(pass(&f, ALL, own, -1) && !pass(&f, ALL, u2, -1) && !pass(&f, ALL, mcast, -1));
	/* Unknown MAC command. */
	c[1] = 2;
	ck_assert_uint_eq(cmd(&f, ALL, c, n), VIRTIO_NET_ERR);
}
END_TEST

START_TEST(mac_addr_set)
{
	struct vtnet_filter f;
	vtnet_filter_reset(&f, own);
	f.promisc = false;
	uint8_t c[8] = {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET};
	memcpy(c + 2, other, 6);
	/* Needs CTRL_MAC_ADDR, and six bytes. */
	ck_assert_uint_eq(cmd(&f, ALL & ~(1ull << VIRTIO_NET_F_CTRL_MAC_ADDR), c, 8),
			  VIRTIO_NET_ERR);
	ck_assert_uint_eq(cmd(&f, ALL, c, 7), VIRTIO_NET_ERR);
	ck_assert_mem_eq(f.mac, own, 6);
	ck_assert_uint_eq(cmd_bytes(&f, ALL, c, 8), VIRTIO_NET_OK);
	ck_assert_mem_eq(f.mac, other, 6);
	ck_assert(pass(&f, ALL, other, -1) && !pass(&f, ALL, own, -1));
	vtnet_filter_reset(&f, own);
	ck_assert_mem_eq(f.mac, own, 6);
}
END_TEST

START_TEST(vlans)
{
	struct vtnet_filter f;
	vtnet_filter_reset(&f, own);
	f.promisc = false;
	uint8_t c[4] = {VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, 100, 0};
	uint64_t novlan = ALL & ~(1ull << VIRTIO_NET_F_CTRL_VLAN);
	/* Without CTRL_VLAN: the command is refused and tagged frames pass. */
	ck_assert_uint_eq(cmd(&f, novlan, c, 4), VIRTIO_NET_ERR);
	ck_assert(pass(&f, novlan, own, 100));
	/* With it: the table starts empty. */
	ck_assert(!pass(&f, ALL, own, 100));
	ck_assert(pass(&f, ALL, own, -1)); /* untagged frames are not its business */
	ck_assert_uint_eq(cmd(&f, ALL, c, 4), VIRTIO_NET_OK);
	ck_assert(pass(&f, ALL, own, 100));
	ck_assert(pass(&f, ALL, own, 0x7000 | 100)); /* priority bits ignored */
	ck_assert(!pass(&f, ALL, own, 101));
	ck_assert(!pass(&f, ALL, other, 100)); /* the address still counts */
	c[2] = 0xff, c[3] = 0x0f;	       /* 4095 */
	ck_assert_uint_eq(cmd_bytes(&f, ALL, c, 4), VIRTIO_NET_OK);
	ck_assert(pass(&f, ALL, own, 4095));
	c[2] = 0x00, c[3] = 0x10; /* 4096: out of range */
	ck_assert_uint_eq(cmd(&f, ALL, c, 4), VIRTIO_NET_ERR);
	ck_assert_uint_eq(cmd(&f, ALL, c, 3), VIRTIO_NET_ERR); /* cut short */
	c[1] = VIRTIO_NET_CTRL_VLAN_DEL, c[2] = 100, c[3] = 0;
	ck_assert_uint_eq(cmd(&f, ALL, c, 4), VIRTIO_NET_OK);
	ck_assert(!pass(&f, ALL, own, 100));
	ck_assert(pass(&f, ALL, own, 4095));
	c[1] = 2; /* no such VLAN command */
	ck_assert_uint_eq(cmd(&f, ALL, c, 4), VIRTIO_NET_ERR);
	/* Promiscuous: every VLAN. */
	f.promisc = true;
	ck_assert(pass(&f, ALL, own, 100));
}
END_TEST

/* ---- the device ---- */

/* The host sends a frame of 60 bytes to dst (its byte 59 = tag). */
static void host_sends(const uint8_t *dst, uint8_t tag)
{
	uint8_t pkt[12 + 60];
	hdr(pkt, 0, 0, 0);
	fill(pkt + 12, 60, tag);
	memcpy(pkt + 12, dst, 6);
	pkt[12 + 59] = tag;
	ck_assert_int_eq(send(peer, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
}

/* The guest's receive buffer i (of those rx_buffers offered) holds the frame tagged tag. */
static void check_got(unsigned i, uint8_t tag)
{
	uint8_t got[12 + 60];
	gmem_read(&vt_mem.gmem, BUF + 0x1000 * used_id(RXQ, i), got, sizeof(got));
	ck_assert_uint_eq(used_len(RXQ, i), sizeof(got));
	ck_assert_uint_eq(got[12 + 59], tag);
}

/* n receive buffers of 2 KiB, head h at BUF + 0x1000 * h. */
static void rx_buffers(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = BUF + 0x1000 * (uint64_t)next_desc[RXQ];
		uint32_t l = 2048;
		offer(RXQ, 1, &a, &l, 0);
	}
	vt_modern_kick(RXQ);
}

START_TEST(device_filters)
{
	plain = _i;
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up((uint32_t)ALL | F(VIRTIO_NET_F_MRG_RXBUF));
	rx_buffers(4);
	/* Promiscuous until the driver says otherwise. */
	host_sends(other, 1);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 1);
	check_got(0, 1);
	uint8_t off[3] = {VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0};
	ck_assert_uint_eq(ctl(2, off, 3), VIRTIO_NET_OK);
	/* Not ours: the buffer it was read into waits for the next frame. */
	host_sends(other, 2);
	host_sends(own, 3);
	host_sends(mcast, 4);
	host_sends(bcast, 5);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 3);
	check_got(1, 3);
	check_got(2, 5);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_filtered, 2);
	ck_assert_uint_eq(vtnet_counters(vd)->rx_frames, 3);
	/* The multicast address in the table: it passes now. */
	static uint8_t c[64];
	size_t n = table(c, 0, NULL, 1, mcast);
	ck_assert_uint_eq(ctl(2, c, (uint32_t)n), VIRTIO_NET_OK);
	host_sends(mcast, 6);
	settle();
	ck_assert_uint_eq(used_idx(RXQ), 4);
	check_got(3, 6);
	/* A reset: promiscuous again. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert(((struct vtnet *)vd->priv)->filter.promisc);
	ck_assert_uint_eq(((struct vtnet *)vd->priv)->filter.nmulti, 0);
}
END_TEST

START_TEST(device_mac_addr_set)
{
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up((uint32_t)ALL);
	uint8_t c[8] = {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET};
	memcpy(c + 2, other, 6);
	ck_assert_uint_eq(ctl(2, c, 8), VIRTIO_NET_OK);
	/* Config space shows it; a modern driver cannot write it there. */
	for (unsigned i = 0; i < 6; i++)
		ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_MAC + i, 1), other[i]);
	VT_MW(VIRTIO_MODERN_DEVICE + VTNET_CFG_MAC, 1, 0x42);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_MAC, 1), other[0]);
	ck_assert_mem_eq(((struct vtnet *)vd->priv)->filter.mac, other, 6);
	/* Cut short: refused, nothing changes. */
	c[7] = 0x55;
	ck_assert_uint_eq(ctl(2, c, 7), VIRTIO_NET_ERR);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_MAC + 5, 1), other[5]);
	/* A reset: the command line's address again. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTNET_CFG_MAC + 5, 1), own[5]);
	ck_assert_mem_eq(((struct vtnet *)vd->priv)->filter.mac, own, 6);
}
END_TEST

START_TEST(device_legacy_mac_write)
{
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	VT_LW(VIRTIO_LEGACY_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	VT_LW(VIRTIO_LEGACY_GUEST_FEATURES, 4, F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_CTRL_RX));
	/* Byte by byte, first to last, as legacy drivers do; a write past mac is ignored. */
	unsigned cfg = VIRTIO_LEGACY_CONFIG(false);
	for (unsigned i = 0; i < 6; i++)
		VT_LW(cfg + VTNET_CFG_MAC + i, 1, other[i]);
	VT_LW(cfg + VTNET_CFG_STATUS, 2, 0);
	for (unsigned i = 0; i < 6; i++)
		ck_assert_uint_eq(VT_L(cfg + VTNET_CFG_MAC + i, 1), other[i]);
	ck_assert_uint_eq(VT_L(cfg + VTNET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	ck_assert_mem_eq(((struct vtnet *)vd->priv)->filter.mac, other, 6);
	/* A 4-byte write across the end of mac takes the bytes inside it. */
	VT_LW(cfg + 4, 4, 0xaabbccdd);
	ck_assert_uint_eq(VT_L(cfg + 4, 1), 0xdd);
	ck_assert_uint_eq(VT_L(cfg + 5, 1), 0xcc);
	ck_assert_uint_eq(VT_L(cfg + VTNET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(((struct vtnet *)vd->priv)->filter.mac[5], 0xcc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_net_filter");
	TCase *t = tcase_create("filter");
	tcase_add_test(t, modes);
	tcase_add_test(t, mac_table);
	tcase_add_test(t, mac_addr_set);
	tcase_add_test(t, vlans);
	suite_add_tcase(s, t);
	TCase *d = vnet_tcase(s, "device");
	tcase_add_loop_test(d, device_filters, 0, 2); /* io_uring, readv/writev */
	tcase_add_test(d, device_mac_addr_set);
	tcase_add_test(d, device_legacy_mac_write);
	return s;
}

CHECK_MAIN(suite)
