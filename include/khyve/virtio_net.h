/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net on the tap backend. */
#ifndef KHYVE_VIRTIO_NET_H
#define KHYVE_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "khyve/gmem.h"
#include "khyve/pci.h"
#include "khyve/tap.h"
#include "khyve/virtio.h"

/* Feature bits (section 5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_CTRL_RX_EXTRA 20
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23

#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr (section 5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80
#define VIRTIO_NET_HDR_LEN 12	     /* with num_buffers: VERSION_1 or MRG_RXBUF */
#define VIRTIO_NET_HDR_LEN_LEGACY 10 /* legacy without MRG_RXBUF */

/* Control queue (section 5.1.6.5). */
#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_RX_PROMISC 0
#define VIRTIO_NET_CTRL_RX_ALLMULTI 1
#define VIRTIO_NET_CTRL_RX_ALLUNI 2
#define VIRTIO_NET_CTRL_RX_NOMULTI 3
#define VIRTIO_NET_CTRL_RX_NOUNI 4
#define VIRTIO_NET_CTRL_RX_NOBCAST 5
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1
#define VIRTIO_NET_CTRL_VLAN 2
#define VIRTIO_NET_CTRL_VLAN_ADD 0
#define VIRTIO_NET_CTRL_VLAN_DEL 1
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1

#define VTNET_QUEUE_SIZE 256
#define VTNET_MAX_PAIRS 16    /* queues=: rx0,tx0,...,rx15,tx15 and the control queue */
#define VTNET_MAX_FRAME 65536 /* frame bytes after the header, either way (BAD-INPUTS N1) */
#define VTNET_MIN_MTU 68      /* IPv4's minimum */
#define VTNET_MAX_MTU 65535
#define VTNET_RX_BUF (VIRTIO_NET_HDR_LEN + VTNET_MAX_FRAME)

/* Configuration layout (struct virtio_net_config). */
#define VTNET_CFG_MAC 0
#define VTNET_CFG_STATUS 6
#define VTNET_CFG_MAX_PAIRS 8
#define VTNET_CFG_MTU 10
#define VTNET_CFG_SIZE 12

struct vtnet_params {
	uint8_t mac[6];
	uint16_t mtu;	 /* 0: not given, no VIRTIO_NET_F_MTU */
	unsigned queues; /* queue pairs, 1 to VTNET_MAX_PAIRS (0: 1); > 1 offers MQ */
	bool no_uring;	 /* readv/writev on the loop thread even where io_uring works */
};

struct vtnet_counters {
	uint64_t tx_frames, tx_bytes, tx_malformed, tx_errors;
	uint64_t rx_frames, rx_bytes, rx_dropped;
	uint64_t rx_filtered; /* frames the receive filter (control queue) kept from the guest */
	uint64_t rx_direct;   /* frames io_uring read straight into the guest's buffers */
	uint64_t rx_reads;    /* READVs posted to the tap (io_uring) */
	uint64_t ctrl;	      /* control-queue commands */
	uint64_t link_down;   /* times the tap went away */
};

struct virtio_pci;
struct evloop;

extern const struct pci_devemu virtio_net_emu;

/*
 * A device over an open tap with p->queues queues (which it owns from now
 * on). loop: the tap's descriptors and the io_uring completions are watched
 * there; NULL (tests): call vtnet_poll().
 */
struct virtio_dev *vtnet_new(const struct gmem *mem, struct tap *tap, struct evloop *loop,
			     const struct vtnet_params *p);
struct virtio_pci *vtnet_pci(struct virtio_dev *vd);
const struct vtnet_counters *vtnet_counters(struct virtio_dev *vd);
/* Packet I/O goes through io_uring (else readv/writev). */
bool vtnet_uses_io_uring(struct virtio_dev *vd);
/* Queue pairs in use (VQ_PAIRS_SET; 1 after reset). */
unsigned vtnet_active_pairs(struct virtio_dev *vd);
/*
 * Tests, without a loop: what the loop would do until nothing moves: reap
 * io_uring completions, and serve the taps that are readable and watched.
 */
void vtnet_poll(struct virtio_dev *vd);
/*
 * Tests: what the completion eventfd counted since the last call (waiting up
 * to wait_ms for a signal), which is how often the loop would have woken.
 */
uint64_t vtnet_ring_signals(struct virtio_dev *vd, int wait_ms);
/* The tap queue of pair is readable (what the loop calls; tests: without reaping). */
void vtnet_tap_readable(struct virtio_dev *vd, unsigned pair);
void vtnet_free(struct virtio_dev *vd);

/* bhyve's default: 00:a0:98 and the first 3 bytes of MD5("slot-func-vmname"). */
void vtnet_default_mac(unsigned slot, unsigned func, const char *vmname, uint8_t mac[6]);
/* queues=: decimal 1 to VTNET_MAX_PAIRS. 0 or -EINVAL. */
int vtnet_parse_queues(const char *s, unsigned *out);
/* "xx:xx:xx:xx:xx:xx", unicast and not all zero. 0 or -EINVAL. */
int vtnet_parse_mac(const char *s, uint8_t mac[6]);

#endif
