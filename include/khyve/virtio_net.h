/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net on a tap device. */
#ifndef KHYVE_VIRTIO_NET_H
#define KHYVE_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "khyve/gmem.h"
#include "khyve/pci.h"
#include "khyve/virtio.h"

#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

#define NET_QUEUE_SIZE 256

struct vtnet_counters {
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
};

struct virtio_pci;
struct evloop;

extern const struct pci_devemu virtio_net_emu;

/* The tap (or, in tests, one end of a SOCK_SEQPACKET pair): frames with their header. */
int vtnet_open_tap(const char *name, char *err, size_t errlen);
struct virtio_dev *vtnet_new(const struct gmem *mem, int tap, const uint8_t mac[6],
			     unsigned mtu);
int vtnet_attach_loop(struct virtio_dev *vd, struct evloop *loop);
/* The tap has frames (the event loop calls this; tests too). */
void vtnet_tap_readable(struct virtio_dev *vd);
struct virtio_pci *vtnet_pci(struct virtio_dev *vd);
const struct vtnet_counters *vtnet_counters(struct virtio_dev *vd);
void vtnet_free(struct virtio_dev *vd);
/* bhyve's default: 00:a0:98 and the MD5 of "SLOT-FUNC-VMNAME". */
void vtnet_default_mac(unsigned slot, unsigned func, const char *vmname, uint8_t mac[6]);

#endif
