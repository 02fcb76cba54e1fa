// SPDX-License-Identifier: BSD-2-Clause
/*
 * The legacy virtio-pci register file (virtio 0.9.5; virtio 1.x section
 * 4.1.4.8) in I/O BAR 0. Each register answers only to its own width;
 * anything else is ignored and reads as 0 (BAD-INPUTS Q3).
 */
#include <string.h>

#include "khyve/virtio_pci.h"

static uint32_t get(const uint8_t *data, unsigned size)
{
	uint32_t v = 0;
	memcpy(&v, data, size > 4 ? 4 : size);
	return v;
}

static void put(uint8_t *data, unsigned size, uint32_t v)
{
	memset(data, 0, size > 8 ? 8 : size);
	memcpy(data, &v, size > 4 ? 4 : size);
}

static void reg_write(struct virtio_pci *vp, unsigned reg, uint32_t v)
{
	struct virtio_dev *vd = vp->vd;
	unsigned sel = vd->queue_sel;
	bool qok = sel < vd->ops->nqueues;
	switch (reg) {
	case VIRTIO_LEGACY_GUEST_FEATURES:
		virtio_write_guest_features(vd, 0, v);
		break;
	case VIRTIO_LEGACY_QUEUE_PFN:
		if (!qok)
			break;
		if (v == 0) { /* the legacy way to stop a queue */
			vq_reset(&vd->q[sel].vq);
			vd->q[sel].enabled = false;
			vd->q[sel].pfn = 0;
		} else if (!vd->q[sel].enabled) {
			vd->q[sel].pfn = v;
			virtio_queue_start(vd, sel);
		}
		break;
	case VIRTIO_LEGACY_QUEUE_SEL:
		vd->queue_sel = (uint16_t)v;
		break;
	case VIRTIO_LEGACY_QUEUE_NOTIFY:
		virtio_queue_kick(vd, v);
		break;
	case VIRTIO_LEGACY_STATUS:
		virtio_write_status(vd, (uint8_t)v);
		break;
	case VIRTIO_LEGACY_CONFIG_VECTOR:
		vd->msix_config = virtio_vector(vp->nvec, (uint16_t)v);
		break;
	case VIRTIO_LEGACY_QUEUE_VECTOR:
		if (qok)
			vd->q[sel].msix_vector = virtio_vector(vp->nvec, (uint16_t)v);
		break;
	}
}

static uint32_t reg_read(struct virtio_pci *vp, unsigned reg)
{
	struct virtio_dev *vd = vp->vd;
	unsigned sel = vd->queue_sel;
	bool qok = sel < vd->ops->nqueues;
	switch (reg) {
	case VIRTIO_LEGACY_HOST_FEATURES:
		return virtio_read_host_features(vd, 0);
	case VIRTIO_LEGACY_GUEST_FEATURES:
		return (uint32_t)vd->guest_features;
	case VIRTIO_LEGACY_QUEUE_PFN:
		return qok ? vd->q[sel].pfn : 0;
	case VIRTIO_LEGACY_QUEUE_NUM:
		return qok ? vd->ops->queue_size : 0;
	case VIRTIO_LEGACY_QUEUE_SEL:
		return vd->queue_sel;
	case VIRTIO_LEGACY_STATUS:
		return vd->status;
	case VIRTIO_LEGACY_ISR:
		return virtio_pci_isr_read(vp);
	case VIRTIO_LEGACY_CONFIG_VECTOR:
		return vd->msix_config;
	case VIRTIO_LEGACY_QUEUE_VECTOR:
		return qok ? vd->q[sel].msix_vector : VIRTIO_MSI_NO_VECTOR;
	}
	return 0;
}

/* Width of the register at off, 0 for none; the MSI-X pair exists only while MSI-X is on. */
static unsigned reg_width(unsigned off, bool msix)
{
	switch (off) {
	case VIRTIO_LEGACY_HOST_FEATURES:
	case VIRTIO_LEGACY_GUEST_FEATURES:
	case VIRTIO_LEGACY_QUEUE_PFN:
		return 4;
	case VIRTIO_LEGACY_QUEUE_NUM:
	case VIRTIO_LEGACY_QUEUE_SEL:
	case VIRTIO_LEGACY_QUEUE_NOTIFY:
		return 2;
	case VIRTIO_LEGACY_STATUS:
	case VIRTIO_LEGACY_ISR:
		return 1;
	case VIRTIO_LEGACY_CONFIG_VECTOR:
	case VIRTIO_LEGACY_QUEUE_VECTOR:
		return msix ? 2 : 0;
	}
	return 0;
}

void virtio_pci_legacy_access(void *opaque, uint64_t off, uint8_t *data, unsigned size,
			      bool is_write)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *vd = vp->vd;
	bool msix = vp->msix && pci_msix_enabled(vp->pci);
	unsigned cfg = VIRTIO_LEGACY_CONFIG(msix);
	pthread_mutex_lock(&vd->lock);
	/* Whoever talks to this register file is a legacy driver (section 4.1.4.8). */
	vd->legacy = true;
	if (off >= cfg) {
		virtio_config_access(vd, off - cfg, data, size, is_write);
	} else if (reg_width((unsigned)off, msix) != size) {
		if (!is_write)
			put(data, size, 0);
	} else if (is_write) {
		reg_write(vp, (unsigned)off, get(data, size));
	} else {
		put(data, size, reg_read(vp, (unsigned)off));
	}
	pthread_mutex_unlock(&vd->lock);
}
