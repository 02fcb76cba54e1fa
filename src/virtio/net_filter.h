/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net receive filter (virtio 1.x section 5.1.6.5.1-5.1.6.5.3): the
 * receive modes, the MAC address and MAC table, and the VLAN table the
 * driver sets through the control queue, and the test a received frame
 * passes before it reaches the guest. Pure: no device, no locks.
 */
#ifndef KHYVE_VIRTIO_NET_FILTER_H
#define KHYVE_VIRTIO_NET_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Addresses a table keeps; a longer list turns on all-unicast or all-multicast. */
#define VTNET_MAC_TABLE 64
#define VTNET_VLANS 4096

struct vtnet_filter {
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	bool uni_overflow, multi_overflow; /* the driver's list was longer than the table */
	uint8_t mac[6];			   /* the default address (config space, ADDR_SET) */
	unsigned nuni, nmulti;
	uint8_t uni[VTNET_MAC_TABLE][6];
	uint8_t multi[VTNET_MAC_TABLE][6];
	uint32_t vlans[VTNET_VLANS / 32];
};

/*
 * After a device reset: promiscuous (a driver that never sets a mode still
 * gets every frame), empty tables, the MAC address mac.
 */
void vtnet_filter_reset(struct vtnet_filter *f, const uint8_t mac[6]);

/*
 * One control command of class VIRTIO_NET_CTRL_RX, _MAC or _VLAN, whose
 * driver-readable part (class and command bytes, then its data) is len bytes
 * over iov[0, niov). features: the negotiated ones; a command whose feature
 * is not negotiated, cut short, or malformed is refused and changes nothing.
 * Returns VIRTIO_NET_OK or VIRTIO_NET_ERR.
 */
uint8_t vtnet_filter_command(struct vtnet_filter *f, uint64_t features, const struct iovec *iov,
			     unsigned niov, uint64_t len);

/*
 * Does the frame (Ethernet header first, len bytes) reach the guest? Always
 * without VIRTIO_NET_F_CTRL_RX; VLAN tags are checked with VIRTIO_NET_F_CTRL_VLAN.
 */
bool vtnet_filter_accept(const struct vtnet_filter *f, uint64_t features, const uint8_t *frame,
			 size_t len);

/* Bytes of a frame vtnet_filter_accept looks at: destination, source, a VLAN tag. */
#define VTNET_FILTER_PEEK 16

#endif
