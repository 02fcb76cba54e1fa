/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by pci.c, pci_bar.c and pci_msix.c.
 *
 * Lock order (a thread holding one lock only takes locks further down):
 *
 *   root->lock          config space: pci_cfg_read/pci_cfg_write
 *     device lock       a device's own mutex (its cfg_access, bar_moved hooks)
 *       msix->lock, msi->lock, root->intx_lock
 *         kvm->route_lock   the GSI routing table (kvm.c)
 *   iobus lock          a leaf: iobus_access drops it before calling a handler
 *
 * A config write that moves a BAR calls iobus_register/unregister with
 * root->lock held; that is safe because no thread holds an iobus lock while
 * it waits for anything else. BAR handlers, pci_msix_notify, pci_msi_notify
 * and pci_intx_set never take root->lock, so a device may call them with its
 * own lock held.
 */
#ifndef KHYVE_PCI_PRIV_H
#define KHYVE_PCI_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "khyve/pci.h"

/*
 * One message-signalled vector as it reaches the host side: the message, and
 * with KVM an MSI route (gsi) with an irqfd (efd) bound to it, so a send is a
 * single eventfd write. raddr/rdata are the message the route holds.
 */
struct pci_vec {
	uint64_t addr;
	uint32_t data;
	int gsi; /* -1: no route */
	int efd; /* -1: no irqfd */
	uint64_t raddr;
	uint32_t rdata;
};

#define MSIX_MAX_VECTORS 2048
#define MSIX_ENTRY_SIZE 16
#define MSIX_CAP_LEN 12
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_VEC_MASKED 0x1

struct pci_msix_vec {
	struct pci_vec v;
	uint32_t ctrl; /* vector control: MSIX_VEC_MASKED */
	bool pending;  /* PBA bit */
};

struct pci_msix {
	pthread_mutex_t lock;
	unsigned nvec;
	uint8_t cap;	     /* capability offset in config space */
	bool enabled, fmask; /* message control, mirrored at each config write */
	struct pci_msix_vec vec[];
};

#define MSI_MAX_VECTORS 32
#define MSI_CAP_LEN 24
#define MSI_CTRL 2
#define MSI_ADDR_LO 4
#define MSI_ADDR_HI 8
#define MSI_DATA 12
#define MSI_MASK 16
#define MSI_PENDING 20
#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_64BIT 0x0080
#define MSI_CTRL_MASKABLE 0x0100

struct pci_msi {
	pthread_mutex_t lock;
	unsigned nvec; /* offered: a power of two */
	uint8_t cap;
	bool enabled;
	unsigned count; /* vectors the guest enabled (multiple message enable) */
	uint32_t mask, pending;
	struct pci_vec vec[MSI_MAX_VECTORS];
};

static inline bool pci_overlaps(unsigned off, unsigned size, unsigned start, unsigned len)
{
	return off < start + len && start < off + size;
}

/* Vectors: init, make the KVM route match the message, send, release. Caller locks. */
void pci_vec_init(struct pci_vec *v);
int pci_vec_sync(struct pci_root *root, struct pci_vec *v);
int pci_vec_send(struct pci_root *root, struct pci_vec *v);
/* with_kvm: deassign the irqfd and delete the route; otherwise only close the eventfd. */
void pci_vec_release(struct pci_root *root, struct pci_vec *v, bool with_kvm);

/* After the generic config write, root->lock held. */
void pci_bar_cfg_written(struct pci_dev *d, unsigned off, unsigned size);
void pci_msix_cfg_written(struct pci_dev *d, unsigned off, unsigned size);
void pci_msi_cfg_written(struct pci_dev *d, unsigned off, unsigned size);
/* Bits a config read returns that live outside cfg[] (MSI pending bits). */
uint32_t pci_msi_cfg_read(struct pci_dev *d, unsigned off, unsigned size);

void pci_msix_release(struct pci_dev *d, bool with_kvm);
void pci_msi_release(struct pci_dev *d, bool with_kvm);
/* Free the MSI-X/MSI state (closing any eventfd, no KVM call). */
void pci_msix_free(struct pci_dev *d);
void pci_msi_free(struct pci_dev *d);

#endif
