/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtio over PCI (virtio 1.x section 4.1), transitional by default: the
 * legacy (0.9.5) register file in an I/O BAR and the modern capabilities
 * (common, notify, ISR, device config, PCI config access) in one 64-bit
 * memory BAR, on the same function. `transport=modern` drops the legacy
 * BAR (device ID 0x1040 + type, revision 1); `transport=legacy` drops the
 * modern capabilities.
 *
 * BARs: 0 legacy I/O registers, 1 MSI-X table and PBA, 4 modern registers.
 */
#ifndef KHYVE_VIRTIO_PCI_H
#define KHYVE_VIRTIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khyve/pci.h"
#include "khyve/virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4

#define VIRTIO_PCI_LEGACY_BAR 0
#define VIRTIO_PCI_MSIX_BAR 1
#define VIRTIO_PCI_MODERN_BAR 4

/* Legacy register file (virtio 1.x section 4.1.4.8). */
#define VIRTIO_LEGACY_HOST_FEATURES 0
#define VIRTIO_LEGACY_GUEST_FEATURES 4
#define VIRTIO_LEGACY_QUEUE_PFN 8
#define VIRTIO_LEGACY_QUEUE_NUM 12
#define VIRTIO_LEGACY_QUEUE_SEL 14
#define VIRTIO_LEGACY_QUEUE_NOTIFY 16
#define VIRTIO_LEGACY_STATUS 18
#define VIRTIO_LEGACY_ISR 19
#define VIRTIO_LEGACY_CONFIG_VECTOR 20 /* only while MSI-X is enabled */
#define VIRTIO_LEGACY_QUEUE_VECTOR 22
#define VIRTIO_LEGACY_CONFIG(msix) ((msix) ? 24 : 20)

/* Modern BAR layout: one region a page. */
#define VIRTIO_MODERN_COMMON 0x0000
#define VIRTIO_MODERN_COMMON_LEN 0x38
#define VIRTIO_MODERN_ISR 0x1000
#define VIRTIO_MODERN_DEVICE 0x2000
#define VIRTIO_MODERN_NOTIFY 0x3000
#define VIRTIO_MODERN_NOTIFY_MULT 4
#define VIRTIO_MODERN_BAR_SIZE 0x4000

/* Capability types (section 4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Common configuration offsets (section 4.1.4.3). */
#define VIRTIO_COMMON_DFSELECT 0
#define VIRTIO_COMMON_DF 4
#define VIRTIO_COMMON_GFSELECT 8
#define VIRTIO_COMMON_GF 12
#define VIRTIO_COMMON_MSIX 16
#define VIRTIO_COMMON_NUMQ 18
#define VIRTIO_COMMON_STATUS 20
#define VIRTIO_COMMON_CFGGEN 21
#define VIRTIO_COMMON_Q_SELECT 22
#define VIRTIO_COMMON_Q_SIZE 24
#define VIRTIO_COMMON_Q_MSIX 26
#define VIRTIO_COMMON_Q_ENABLE 28
#define VIRTIO_COMMON_Q_NOFF 30
#define VIRTIO_COMMON_Q_DESC 32
#define VIRTIO_COMMON_Q_AVAIL 40
#define VIRTIO_COMMON_Q_USED 48

enum virtio_transport { VIRTIO_TRANSITIONAL, VIRTIO_MODERN, VIRTIO_LEGACY };

struct kvm;
struct vm;

struct virtio_pci {
	struct virtio_dev *vd;
	struct pci_dev *pci;
	enum virtio_transport transport;
	bool msix;     /* MSI-X capability; else MSI (bhyve's -W) */
	unsigned nvec; /* MSI-X vectors: one per queue and one for configuration changes */
	uint8_t cfg_cap; /* offset of the PCI configuration access capability, 0 = none */
	struct kvm *kvm; /* for ioeventfds; NULL: every notify reaches the BAR handler */
	/* Where each queue's ioeventfd is assigned (0 = not assigned). */
	uint64_t ioev_legacy[VIRTIO_MAX_QUEUES], ioev_modern[VIRTIO_MAX_QUEUES];
};

/* "transitional", "modern", "legacy" → 0, else -EINVAL. */
int virtio_transport_parse(const char *s, enum virtio_transport *t);

/*
 * Make dev a virtio-pci function for vd: IDs, BARs, capabilities,
 * interrupts. dev->priv becomes vp. 0 or -errno.
 */
int virtio_pci_setup(struct virtio_pci *vp, struct pci_dev *dev, struct virtio_dev *vd,
		     enum virtio_transport t, bool msix, struct kvm *kvm);
/*
 * The same for a device of the VM: reads `transport` (node, then the global
 * virtio.transport) and virtio_msix (-W), and attaches the queues to the
 * event loop. 0 or -errno with a message in err.
 */
int virtio_pci_vm_setup(struct vm *vm, struct virtio_pci *vp, struct pci_dev *dev,
			struct virtio_dev *vd, const char *node, char *err, size_t errlen);

/* pci_devemu hooks every virtio emulation uses. */
bool virtio_pci_cfg_access(struct pci_dev *dev, unsigned off, unsigned size, uint32_t *val,
			   bool is_write);
void virtio_pci_bar_moved(struct pci_dev *dev, unsigned idx, bool decoded, uint64_t addr);

/* The BAR handlers (opaque = struct virtio_pci *), for the transport files and tests. */
void virtio_pci_legacy_access(void *opaque, uint64_t off, uint8_t *data, unsigned size,
			      bool is_write);
void virtio_pci_modern_access(void *opaque, uint64_t off, uint8_t *data, unsigned size,
			      bool is_write);
/* ISR read: returns and clears it, and lowers INTx. vd->lock held. */
uint8_t virtio_pci_isr_read(struct virtio_pci *vp);
/* The modern capabilities in config space. */
int virtio_pci_modern_caps(struct virtio_pci *vp);

#endif
