// SPDX-License-Identifier: BSD-2-Clause
/*
 * The modern virtio-pci interface (virtio 1.x section 4.1.4): vendor
 * capabilities pointing into the 64-bit memory BAR, which holds the common
 * configuration, the ISR, the device configuration and the notify area.
 */
#include <errno.h>
#include <string.h>

#include "khyve/virtio_pci.h"

#define CAP_LEN 16
#define NOTIFY_CAP_LEN 20
#define PCI_CFG_CAP_LEN 20

static uint64_t get(const uint8_t *data, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, data, size > 8 ? 8 : size);
	return v;
}

static void put(uint8_t *data, unsigned size, uint64_t v)
{
	memcpy(data, &v, size > 8 ? 8 : size);
}

static int add_cap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len,
		   unsigned caplen, uint32_t extra, const uint8_t *wmask)
{
	uint8_t cap[PCI_CFG_CAP_LEN] = {PCI_CAP_ID_VNDR, 0, (uint8_t)caplen, type,
					VIRTIO_PCI_MODERN_BAR};
	memcpy(&cap[8], &off, 4);
	memcpy(&cap[12], &len, 4);
	memcpy(&cap[16], &extra, 4);
	return pci_cap_add(vp->pci, cap, caplen, wmask);
}

int virtio_pci_modern_caps(struct virtio_pci *vp)
{
	const struct virtio_ops *ops = vp->vd->ops;
	uint32_t cfglen = ops->config_size ? (uint32_t)ops->config_size : 1;
	int rc;
	if ((rc = add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_MODERN_COMMON,
			  VIRTIO_MODERN_COMMON_LEN, CAP_LEN, 0, NULL)) < 0 ||
	    (rc = add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_MODERN_ISR, 1, CAP_LEN, 0, NULL)) <
		    0 ||
	    (rc = add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_MODERN_DEVICE, cfglen, CAP_LEN, 0,
			  NULL)) < 0 ||
	    (rc = add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_MODERN_NOTIFY,
			  ops->nqueues * VIRTIO_MODERN_NOTIFY_MULT, NOTIFY_CAP_LEN,
			  VIRTIO_MODERN_NOTIFY_MULT, NULL)) < 0)
		return rc;
	/* The access window: bar, offset, length and the data are the driver's to write. */
	uint8_t wmask[PCI_CFG_CAP_LEN] = {0};
	wmask[4] = 0xff;
	memset(&wmask[8], 0xff, 12);
	rc = add_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, PCI_CFG_CAP_LEN, 0, wmask);
	if (rc < 0)
		return rc;
	vp->cfg_cap = (uint8_t)rc;
	return 0;
}

/* Width of the common-configuration field at off; 64-bit fields also take 32-bit halves. */
static bool common_width_ok(unsigned off, unsigned size)
{
	switch (off) {
	case VIRTIO_COMMON_DFSELECT:
	case VIRTIO_COMMON_DF:
	case VIRTIO_COMMON_GFSELECT:
	case VIRTIO_COMMON_GF:
		return size == 4;
	case VIRTIO_COMMON_MSIX:
	case VIRTIO_COMMON_NUMQ:
	case VIRTIO_COMMON_Q_SELECT:
	case VIRTIO_COMMON_Q_SIZE:
	case VIRTIO_COMMON_Q_MSIX:
	case VIRTIO_COMMON_Q_ENABLE:
	case VIRTIO_COMMON_Q_NOFF:
		return size == 2;
	case VIRTIO_COMMON_STATUS:
	case VIRTIO_COMMON_CFGGEN:
		return size == 1;
	case VIRTIO_COMMON_Q_DESC:
	case VIRTIO_COMMON_Q_AVAIL:
	case VIRTIO_COMMON_Q_USED:
		return size == 4 || size == 8;
	case VIRTIO_COMMON_Q_DESC + 4:
	case VIRTIO_COMMON_Q_AVAIL + 4:
	case VIRTIO_COMMON_Q_USED + 4:
		return size == 4;
	}
	return false;
}

static uint64_t *queue_addr(struct virtio_queue *q, unsigned off)
{
	if (off < VIRTIO_COMMON_Q_AVAIL)
		return &q->desc;
	return off < VIRTIO_COMMON_Q_USED ? &q->avail : &q->used;
}

static uint64_t common_read(struct virtio_pci *vp, unsigned off)
{
	struct virtio_dev *vd = vp->vd;
	unsigned sel = vd->queue_sel;
	struct virtio_queue *q = sel < vd->ops->nqueues ? &vd->q[sel] : NULL;
	switch (off) {
	case VIRTIO_COMMON_DFSELECT:
		return vd->dfselect;
	case VIRTIO_COMMON_DF:
		return virtio_read_host_features(vd, vd->dfselect);
	case VIRTIO_COMMON_GFSELECT:
		return vd->gfselect;
	case VIRTIO_COMMON_GF:
		return vd->gfselect < 2 ? (uint32_t)(vd->guest_features >> (32 * vd->gfselect)) : 0;
	case VIRTIO_COMMON_MSIX:
		return vd->msix_config;
	case VIRTIO_COMMON_NUMQ:
		return vd->ops->nqueues;
	case VIRTIO_COMMON_STATUS:
		return vd->status;
	case VIRTIO_COMMON_CFGGEN:
		return vd->config_gen;
	case VIRTIO_COMMON_Q_SELECT:
		return vd->queue_sel;
	}
	if (q == NULL) /* BAD-INPUTS Q2: a queue that does not exist reads as 0 */
		return off == VIRTIO_COMMON_Q_MSIX ? VIRTIO_MSI_NO_VECTOR : 0;
	switch (off) {
	case VIRTIO_COMMON_Q_SIZE:
		return q->size;
	case VIRTIO_COMMON_Q_MSIX:
		return q->msix_vector;
	case VIRTIO_COMMON_Q_ENABLE:
		return q->enabled;
	case VIRTIO_COMMON_Q_NOFF:
		return sel;
	}
	uint64_t a = *queue_addr(q, off);
	return off % 8 ? a >> 32 : a;
}

static void common_write(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t v)
{
	struct virtio_dev *vd = vp->vd;
	unsigned sel = vd->queue_sel;
	struct virtio_queue *q = sel < vd->ops->nqueues ? &vd->q[sel] : NULL;
	switch (off) {
	case VIRTIO_COMMON_DFSELECT:
		vd->dfselect = (uint32_t)v;
		return;
	case VIRTIO_COMMON_GFSELECT:
		vd->gfselect = (uint32_t)v;
		return;
	case VIRTIO_COMMON_GF:
		virtio_write_guest_features(vd, vd->gfselect, (uint32_t)v);
		return;
	case VIRTIO_COMMON_MSIX:
		vd->msix_config = virtio_vector(vp->msix ? vp->nvec : 0, (uint16_t)v);
		return;
	case VIRTIO_COMMON_STATUS:
		virtio_write_status(vd, (uint8_t)v);
		return;
	case VIRTIO_COMMON_Q_SELECT:
		vd->queue_sel = (uint16_t)v;
		return;
	}
	if (q == NULL)
		return; /* BAD-INPUTS Q2 */
	switch (off) {
	case VIRTIO_COMMON_Q_SIZE:
		/* BAD-INPUTS Q1: only a power of two up to the maximum, and only before enabling. */
		if (!q->enabled && v != 0 && v <= vd->ops->queue_size && (v & (v - 1)) == 0)
			q->size = (uint16_t)v;
		return;
	case VIRTIO_COMMON_Q_MSIX:
		q->msix_vector = virtio_vector(vp->msix ? vp->nvec : 0, (uint16_t)v);
		return;
	case VIRTIO_COMMON_Q_ENABLE:
		/* Section 4.1.4.3.2: the driver never writes 0 here; a reset stops queues. */
		if (v == 1 && !q->enabled)
			virtio_queue_start(vd, sel);
		return;
	case VIRTIO_COMMON_NUMQ:
	case VIRTIO_COMMON_Q_NOFF:
	case VIRTIO_COMMON_DF:
	case VIRTIO_COMMON_CFGGEN:
		return;
	}
	if (q->enabled)
		return; /* ring addresses are fixed while the queue runs */
	uint64_t *a = queue_addr(q, off);
	if (size == 8)
		*a = v;
	else if (off % 8)
		*a = (*a & 0xffffffffull) | v << 32;
	else
		*a = (*a & ~0xffffffffull) | (v & 0xffffffffull);
}

void virtio_pci_modern_access(void *opaque, uint64_t off, uint8_t *data, unsigned size,
			      bool is_write)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *vd = vp->vd;
	if (!is_write)
		memset(data, 0, size > 8 ? 8 : size);
	pthread_mutex_lock(&vd->lock);
	vd->legacy = false;
	if (off < VIRTIO_MODERN_COMMON_LEN) {
		if (!common_width_ok((unsigned)off, size))
			; /* BAD-INPUTS Q3: ignored, reads 0 */
		else if (is_write)
			common_write(vp, (unsigned)off, size, get(data, size));
		else
			put(data, size, common_read(vp, (unsigned)off));
	} else if (off == VIRTIO_MODERN_ISR) {
		if (!is_write && size == 1)
			data[0] = virtio_pci_isr_read(vp);
	} else if (off >= VIRTIO_MODERN_DEVICE && off < VIRTIO_MODERN_NOTIFY) {
		virtio_config_access(vd, off - VIRTIO_MODERN_DEVICE, data, size, is_write);
	} else if (off >= VIRTIO_MODERN_NOTIFY && is_write) {
		uint64_t n = off - VIRTIO_MODERN_NOTIFY;
		if (n % VIRTIO_MODERN_NOTIFY_MULT == 0 && (size == 2 || size == 4))
			virtio_queue_kick(vd, (unsigned)(n / VIRTIO_MODERN_NOTIFY_MULT));
	}
	pthread_mutex_unlock(&vd->lock);
}
