// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net receive filter: control-queue commands that set it, and the
 * per-frame test (net_filter.h).
 *
 * Commands (data after the class and command bytes):
 *   RX PROMISC, ALLMULTI (CTRL_RX); ALLUNI, NOMULTI, NOUNI, NOBCAST
 *     (CTRL_RX_EXTRA): one byte, 0 off, anything else on.
 *   MAC TABLE_SET (CTRL_RX): le32 n, n unicast addresses, le32 m, m
 *     multicast addresses; every count is checked against the bytes the
 *     driver gave before anything is read, a list longer than the table
 *     sets its overflow flag (everything of that kind passes).
 *   MAC ADDR_SET (CTRL_MAC_ADDR): six bytes, the default address.
 *   VLAN ADD, DEL (CTRL_VLAN): le16 id below 4096.
 * x86 guests are little-endian, so the legacy interface's native-endian
 * counts read the same.
 *
 * Test, in order: promiscuous passes all; with CTRL_VLAN a tagged frame
 * whose VLAN is not in the table is dropped; broadcast passes unless
 * NOBCAST; multicast: NOMULTI drops, ALLMULTI or an overflowed table
 * passes, else the multicast table decides; unicast: NOUNI drops, ALLUNI or
 * an overflowed table passes, else the default address or the unicast table.
 */
#include "net_filter.h"

#include <string.h>

#include "khyve/virtio_net.h"
#include "khyve/virtqueue.h"

#define ETH_P_8021Q 0x8100

void vtnet_filter_reset(struct vtnet_filter *f, const uint8_t mac[6])
{
	memset(f, 0, sizeof(*f));
	f->promisc = true;
	memcpy(f->mac, mac, 6);
}

static bool has(uint64_t features, unsigned bit)
{
	return (features >> bit) & 1;
}

/* Bytes [off, off + n) of the command into buf: false when the driver gave fewer. */
static bool take(const struct iovec *iov, unsigned niov, uint64_t len, uint64_t off, void *buf,
		 size_t n)
{
	if (off > len || n > len - off)
		return false;
	return iov_to_buf(iov, niov, (size_t)off, buf, n) == n;
}

static uint8_t rx_mode(struct vtnet_filter *f, uint64_t features, uint8_t cmd, bool on)
{
	bool *mode;
	bool extra = true;
	switch (cmd) {
	case VIRTIO_NET_CTRL_RX_PROMISC:
		mode = &f->promisc, extra = false;
		break;
	case VIRTIO_NET_CTRL_RX_ALLMULTI:
		mode = &f->allmulti, extra = false;
		break;
	case VIRTIO_NET_CTRL_RX_ALLUNI:
		mode = &f->alluni;
		break;
	case VIRTIO_NET_CTRL_RX_NOMULTI:
		mode = &f->nomulti;
		break;
	case VIRTIO_NET_CTRL_RX_NOUNI:
		mode = &f->nouni;
		break;
	case VIRTIO_NET_CTRL_RX_NOBCAST:
		mode = &f->nobcast;
		break;
	default:
		return VIRTIO_NET_ERR;
	}
	if (!has(features, extra ? VIRTIO_NET_F_CTRL_RX_EXTRA : VIRTIO_NET_F_CTRL_RX))
		return VIRTIO_NET_ERR;
	*mode = on;
	return VIRTIO_NET_OK;
}

/*
 * One table of TABLE_SET at *off: its count and addresses into tab (at most
 * VTNET_MAC_TABLE), *n and *overflow. false: the table runs past the command.
 */
static bool mac_list(const struct iovec *iov, unsigned niov, uint64_t len, uint64_t *off,
		     uint8_t tab[][6], unsigned *n, bool *overflow)
{
	uint8_t le[4];
	if (!take(iov, niov, len, *off, le, 4))
		return false;
	*off += 4;
	uint64_t count =
	    (uint64_t)le[0] | (uint64_t)le[1] << 8 | (uint64_t)le[2] << 16 | (uint64_t)le[3] << 24;
	if (count > (len - *off) / 6)
		return false;
	*overflow = count > VTNET_MAC_TABLE;
	*n = *overflow ? 0 : (unsigned)count;
	if (*n && !take(iov, niov, len, *off, tab, (size_t)*n * 6))
		return false;
	*off += count * 6;
	return true;
}

static uint8_t mac_command(struct vtnet_filter *f, uint64_t features, uint8_t cmd,
			   const struct iovec *iov, unsigned niov, uint64_t len)
{
	if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		uint8_t mac[6];
		if (!has(features, VIRTIO_NET_F_CTRL_MAC_ADDR) || !take(iov, niov, len, 2, mac, 6))
			return VIRTIO_NET_ERR;
		memcpy(f->mac, mac, 6);
		return VIRTIO_NET_OK;
	}
	if (cmd != VIRTIO_NET_CTRL_MAC_TABLE_SET || !has(features, VIRTIO_NET_F_CTRL_RX))
		return VIRTIO_NET_ERR;
	/* Parsed aside: a malformed command leaves the tables as they were. */
	uint8_t uni[VTNET_MAC_TABLE][6], multi[VTNET_MAC_TABLE][6];
	unsigned nuni, nmulti;
	bool uo, mo;
	uint64_t off = 2;
	if (!mac_list(iov, niov, len, &off, uni, &nuni, &uo) ||
	    !mac_list(iov, niov, len, &off, multi, &nmulti, &mo))
		return VIRTIO_NET_ERR;
	f->nuni = nuni;
	f->uni_overflow = uo;
	memcpy(f->uni, uni, (size_t)nuni * 6);
	f->nmulti = nmulti;
	f->multi_overflow = mo;
	memcpy(f->multi, multi, (size_t)nmulti * 6);
	return VIRTIO_NET_OK;
}

static uint8_t vlan_command(struct vtnet_filter *f, uint64_t features, uint8_t cmd,
			    const struct iovec *iov, unsigned niov, uint64_t len)
{
	uint8_t le[2];
	if (!has(features, VIRTIO_NET_F_CTRL_VLAN) || !take(iov, niov, len, 2, le, 2))
		return VIRTIO_NET_ERR;
	unsigned vid = (unsigned)(le[0] | le[1] << 8);
	if (vid >= VTNET_VLANS)
		return VIRTIO_NET_ERR;
	uint32_t bit = 1u << (vid % 32);
	if (cmd == VIRTIO_NET_CTRL_VLAN_ADD)
		f->vlans[vid / 32] |= bit;
	else if (cmd == VIRTIO_NET_CTRL_VLAN_DEL)
		f->vlans[vid / 32] &= ~bit;
	else
		return VIRTIO_NET_ERR;
	return VIRTIO_NET_OK;
}

uint8_t vtnet_filter_command(struct vtnet_filter *f, uint64_t features, const struct iovec *iov,
			     unsigned niov, uint64_t len)
{
	uint8_t cc[3];
	if (!take(iov, niov, len, 0, cc, 2))
		return VIRTIO_NET_ERR;
	switch (cc[0]) {
	case VIRTIO_NET_CTRL_RX:
		if (!take(iov, niov, len, 2, cc + 2, 1))
			return VIRTIO_NET_ERR;
		return rx_mode(f, features, cc[1], cc[2] != 0);
	case VIRTIO_NET_CTRL_MAC:
		return mac_command(f, features, cc[1], iov, niov, len);
	case VIRTIO_NET_CTRL_VLAN:
		return vlan_command(f, features, cc[1], iov, niov, len);
	default:
		return VIRTIO_NET_ERR;
	}
}

static bool in_table(const uint8_t tab[][6], unsigned n, const uint8_t *mac)
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(tab[i], mac, 6) == 0)
			return true;
	return false;
}

bool vtnet_filter_accept(const struct vtnet_filter *f, uint64_t features, const uint8_t *frame,
			 size_t len)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	if (!has(features, VIRTIO_NET_F_CTRL_RX) || f->promisc)
		return true;
	if (len < 14)
		return false; /* not even an Ethernet header */
	if (has(features, VIRTIO_NET_F_CTRL_VLAN) && len >= 16 &&
	    (frame[12] << 8 | frame[13]) == ETH_P_8021Q) {
		unsigned vid = (unsigned)(frame[14] << 8 | frame[15]) & (VTNET_VLANS - 1);
		if (!(f->vlans[vid / 32] & 1u << (vid % 32)))
			return false;
	}
	if (memcmp(frame, bcast, 6) == 0)
		return !f->nobcast;
	if (frame[0] & 1) {
		if (f->nomulti)
			return false;
		return f->allmulti || f->multi_overflow || in_table(f->multi, f->nmulti, frame);
	}
	if (f->nouni)
		return false;
	return f->alluni || f->uni_overflow || memcmp(frame, f->mac, 6) == 0 ||
	       in_table(f->uni, f->nuni, frame);
}
