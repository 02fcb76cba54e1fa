// SPDX-License-Identifier: BSD-2-Clause
/*
 * Virtio over PCI: the function's identity, BARs and interrupts, shared by
 * the legacy (pci_legacy.c) and modern (pci_modern.c) register files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "khyve/config.h"
#include "khyve/kvm.h"
#include "khyve/virtio_pci.h"
#include "khyve/vm.h"

#define MSIX_BAR_SIZE 0x1000
#define MSIX_PBA_OFF 0x800

int virtio_transport_parse(const char *s, enum virtio_transport *t)
{
	static const char *const names[] = {"transitional", "modern", "legacy"};
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*t = (enum virtio_transport)i;
			return 0;
		}
	return -EINVAL;
}

/* Transitional device IDs (section 4.1.2.3) are not in type order. */
static uint16_t legacy_device_id(uint16_t type)
{
	switch (type) {
	case VIRTIO_ID_NET:
		return 0x1000;
	case VIRTIO_ID_BLOCK:
		return 0x1001;
	case VIRTIO_ID_BALLOON:
		return 0x1002;
	case VIRTIO_ID_CONSOLE:
		return 0x1003;
	case VIRTIO_ID_RNG:
		return 0x1005;
	default:
		return 0;
	}
}

/*
 * MSI-X enabled: the vector's message. Otherwise the ISR bit, then MSI
 * when the guest enabled it (-W), else INTA# (level, lowered by the ISR read).
 */
static void vp_raise(struct virtio_dev *vd, uint16_t vector, uint8_t isr)
{
	struct virtio_pci *vp = vd->transport;
	if (vp->msix && pci_msix_enabled(vp->pci)) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(vp->pci, vector);
		return;
	}
	vd->isr |= isr;
	if (!vp->msix && pci_msi_enabled(vp->pci))
		pci_msi_notify(vp->pci, 0);
	else
		pci_intx_set(vp->pci, 1);
}

uint8_t virtio_pci_isr_read(struct virtio_pci *vp)
{
	uint8_t v = vp->vd->isr;
	vp->vd->isr = 0;
	if (v)
		pci_intx_set(vp->pci, 0);
	return v;
}

static void msix_bar_access(void *opaque, uint64_t off, uint8_t *data, unsigned size,
			    bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint64_t table = pci_msix_table_size(vp->nvec), pba = pci_msix_pba_size(vp->nvec);
	if (off < table)
		pci_msix_table_access(vp->pci, off, data, size, is_write);
	else if (off >= MSIX_PBA_OFF && off - MSIX_PBA_OFF < pba)
		pci_msix_pba_access(vp->pci, off - MSIX_PBA_OFF, data, size, is_write);
	else if (!is_write)
		memset(data, 0, size);
}

int virtio_pci_setup(struct virtio_pci *vp, struct pci_dev *dev, struct virtio_dev *vd,
		     enum virtio_transport t, bool msix, struct kvm *kvm)
{
	const struct virtio_ops *ops = vd->ops;
	memset(vp, 0, sizeof(*vp));
	vp->vd = vd;
	vp->pci = dev;
	vp->transport = t;
	vp->msix = msix;
	vp->nvec = ops->nqueues + 1;
	vp->kvm = kvm;
	vd->transport = vp;
	vd->raise = vp_raise;
	dev->priv = vp;

	bool modern_only = t == VIRTIO_MODERN;
	uint16_t id = modern_only ? (uint16_t)(0x1040 + ops->type) : legacy_device_id(ops->type);
	if (id == 0)
		return -EINVAL;
	pci_set_ids(dev, VIRTIO_PCI_VENDOR, id, ops->pci_class, ops->pci_subclass, 0,
		    modern_only ? 1 : 0);
	pci_put16(dev, PCI_SUBSYSTEM_VENDOR_ID, VIRTIO_PCI_VENDOR);
	/* Legacy drivers take the device type from the subsystem ID (section 4.1.2.3). */
	pci_put16(dev, PCI_SUBSYSTEM_ID, modern_only ? 0x40 : ops->type);
	dev->cfg[PCI_INTERRUPT_PIN] = 1;

	int rc = 0;
	if (t != VIRTIO_MODERN) {
		uint64_t size = 32;
		while (size < VIRTIO_LEGACY_CONFIG(true) + ops->config_size)
			size <<= 1;
		rc = pci_bar_add(dev, VIRTIO_PCI_LEGACY_BAR, PCI_BAR_IO, size,
				 virtio_pci_legacy_access, vp);
	}
	if (rc == 0 && msix) {
		rc = pci_bar_add(dev, VIRTIO_PCI_MSIX_BAR, PCI_BAR_MEM32, MSIX_BAR_SIZE,
				 msix_bar_access, vp);
		if (rc == 0)
			rc = pci_msix_init(dev, vp->nvec, VIRTIO_PCI_MSIX_BAR, 0, MSIX_PBA_OFF);
	} else if (rc == 0) {
		rc = pci_msi_init(dev, 1);
	}
	if (rc == 0 && t != VIRTIO_LEGACY) {
		rc = pci_bar_add(dev, VIRTIO_PCI_MODERN_BAR, PCI_BAR_MEM64, VIRTIO_MODERN_BAR_SIZE,
				 virtio_pci_modern_access, vp);
		if (rc == 0)
			rc = virtio_pci_modern_caps(vp);
	}
	return rc < 0 ? rc : 0;
}

/*
 * A BAR moved: queue notifications follow it as ioeventfds, so a kick is
 * an eventfd signal from KVM to the event loop, not an exit. Legacy: one
 * port for all queues, matched on the queue index written; modern: one
 * address a queue.
 */
void virtio_pci_bar_moved(struct pci_dev *dev, unsigned idx, bool decoded, uint64_t addr)
{
	struct virtio_pci *vp = dev->priv;
	if (vp == NULL || vp->kvm == NULL ||
	    (idx != VIRTIO_PCI_LEGACY_BAR && idx != VIRTIO_PCI_MODERN_BAR))
		return;
	bool pio = idx == VIRTIO_PCI_LEGACY_BAR;
	uint64_t *where = pio ? vp->ioev_legacy : vp->ioev_modern;
	pthread_mutex_lock(&vp->vd->lock);
	for (unsigned q = 0; q < vp->vd->ops->nqueues; q++) {
		int fd = vp->vd->q[q].kick_fd;
		if (fd < 0)
			continue;
		if (where[q]) {
			kvm_ioeventfd(vp->kvm, where[q], 2, pio, pio, q, fd, false);
			where[q] = 0;
		}
		if (!decoded)
			continue;
		uint64_t a = pio ? addr + VIRTIO_LEGACY_QUEUE_NOTIFY
				 : addr + VIRTIO_MODERN_NOTIFY + (uint64_t)q * VIRTIO_MODERN_NOTIFY_MULT;
		/* Without the ioeventfd the write still reaches the BAR handler: only slower. */
		if (kvm_ioeventfd(vp->kvm, a, 2, pio, pio, q, fd, true) == 0)
			where[q] = a;
	}
	pthread_mutex_unlock(&vp->vd->lock);
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (section 4.1.4.9): a window into the BARs through
 * config space. The driver sets bar, offset and length, then reads or
 * writes pci_cfg_data. Only the modern BAR is reachable; anything else reads 0.
 */
bool virtio_pci_cfg_access(struct pci_dev *dev, unsigned off, unsigned size, uint32_t *val,
			   bool is_write)
{
	struct virtio_pci *vp = dev->priv;
	if (vp == NULL || vp->cfg_cap == 0 || off < vp->cfg_cap + 16u || off >= vp->cfg_cap + 20u)
		return false;
	unsigned c = vp->cfg_cap;
	uint8_t bar = dev->cfg[c + 4];
	uint32_t boff = (uint32_t)dev->cfg[c + 8] | (uint32_t)dev->cfg[c + 9] << 8 |
			(uint32_t)dev->cfg[c + 10] << 16 | (uint32_t)dev->cfg[c + 11] << 24;
	uint32_t len = (uint32_t)dev->cfg[c + 12] | (uint32_t)dev->cfg[c + 13] << 8 |
		       (uint32_t)dev->cfg[c + 14] << 16 | (uint32_t)dev->cfg[c + 15] << 24;
	bool ok = off == c + 16u && bar == VIRTIO_PCI_MODERN_BAR &&
		  (len == 1 || len == 2 || len == 4) && boff % len == 0 &&
		  boff < VIRTIO_MODERN_BAR_SIZE && len <= size;
	uint8_t data[4] = {0};
	if (is_write) {
		memcpy(data, val, 4);
		memcpy(&dev->cfg[c + 16], data, 4);
		if (ok)
			virtio_pci_modern_access(vp, boff, data, len, true);
	} else {
		if (ok)
			virtio_pci_modern_access(vp, boff, data, len, false);
		uint32_t v = 0;
		memcpy(&v, data, 4);
		*val = ok ? v : 0;
	}
	return true;
}

int virtio_pci_vm_setup(struct vm *vm, struct virtio_pci *vp, struct pci_dev *dev,
			struct virtio_dev *vd, const char *node, char *err, size_t errlen)
{
	char key[96];
	snprintf(key, sizeof(key), "%s.transport", node);
	const char *s = config_get(vm->cfg, key);
	if (s == NULL) {
		snprintf(key, sizeof(key), "virtio.transport");
		s = config_get(vm->cfg, key);
	}
	enum virtio_transport t = VIRTIO_TRANSITIONAL;
	if (s && virtio_transport_parse(s, &t) < 0) {
		snprintf(err, errlen, "%s=%s: expected transitional, modern or legacy", key, s);
		return -EINVAL;
	}
	bool msix = true;
	if (config_get_bool(vm->cfg, "virtio_msix", true, &msix) < 0) {
		snprintf(err, errlen, "virtio_msix: expected a boolean");
		return -EINVAL;
	}
	int rc = virtio_dev_attach_loop(vd, vm->loop);
	if (rc == 0)
		rc = virtio_pci_setup(vp, dev, vd, t, msix, &vm->kvm);
	if (rc < 0)
		snprintf(err, errlen, "%s: cannot set up %s: %s", node, vd->ops->name,
			 strerror(-rc));
	return rc;
}
