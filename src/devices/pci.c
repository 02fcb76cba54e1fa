// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/acpi.h"
#include "pci_priv.h"

#define CF8_ENABLE 0x80000000u
#define PCI_COMMAND_MASK 0x0547 /* I/O, memory, master, parity, SERR, INTx disable */
#define PCI_STATUS_W1C 0xf900   /* error bits */

int pci_root_init(struct pci_root *root)
{
	memset(root, 0, sizeof(*root));
	int rc = pthread_mutex_init(&root->lock, NULL);
	if (rc == 0 && (rc = pthread_mutex_init(&root->intx_lock, NULL)) != 0)
		pthread_mutex_destroy(&root->lock);
	return -rc;
}

void pci_root_fini(struct pci_root *root)
{
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned f = 0; f < PCI_FUNCS; f++) {
			struct pci_dev *d = root->dev[s][f];
			if (d == NULL)
				continue;
			pci_msix_free(d);
			pci_msi_free(d);
			free(d);
			root->dev[s][f] = NULL;
		}
	pthread_mutex_destroy(&root->intx_lock);
	pthread_mutex_destroy(&root->lock);
}

struct pci_dev *pci_dev_add(struct pci_root *root, unsigned slot, unsigned func,
			    const struct pci_devemu *emu)
{
	if (slot >= PCI_SLOTS || func >= PCI_FUNCS || root->dev[slot][func])
		return NULL;
	struct pci_dev *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->slot = (uint8_t)slot;
	d->func = (uint8_t)func;
	d->emu = emu;
	d->root = root;
	d->cap_free = 0x40;
	/* INTA# as _PRT and the MP table route it; the line register tells old guests. */
	d->intx_gsi = acpi_pci_intx_gsi(slot, 0);
	d->cfg[PCI_INTERRUPT_LINE] = (uint8_t)d->intx_gsi;
	pci_put16(d, PCI_STATUS, 0);
	d->wmask[PCI_COMMAND] = (uint8_t)PCI_COMMAND_MASK;
	d->wmask[PCI_COMMAND + 1] = (uint8_t)(PCI_COMMAND_MASK >> 8);
	d->w1cmask[PCI_STATUS + 1] = (uint8_t)(PCI_STATUS_W1C >> 8);
	d->wmask[0x0c] = 0xff; /* cache line size */
	d->wmask[0x0d] = 0xff; /* latency timer */
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	root->dev[slot][func] = d;
	return d;
}

void pci_set_ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t class,
		 uint8_t subclass, uint8_t progif, uint8_t rev)
{
	pci_put16(d, PCI_VENDOR_ID, vendor);
	pci_put16(d, PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = rev;
	d->cfg[PCI_CLASS_PROG] = progif;
	d->cfg[PCI_CLASS_DEVICE] = subclass;
	d->cfg[PCI_CLASS_DEVICE + 1] = class;
}

void pci_root_finish(struct pci_root *root)
{
	for (unsigned s = 0; s < PCI_SLOTS; s++) {
		if (root->dev[s][0] == NULL)
			continue;
		for (unsigned f = 1; f < PCI_FUNCS; f++)
			if (root->dev[s][f])
				root->dev[s][0]->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_MULTIFUNCTION;
	}
}

int pci_cap_add(struct pci_dev *d, const uint8_t *cap, unsigned len, const uint8_t *wmask)
{
	if (len < 2 || len > PCI_CFG_SIZE)
		return -EINVAL;
	if (d->cap_free == 0 && d->cap_last) /* the last one ended at 256 */
		return -ENOSPC;
	unsigned off = d->cap_free < 0x40 ? 0x40 : (d->cap_free + 3u) & ~3u;
	if (off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(&d->cfg[off], cap, len);
	d->cfg[off + 1] = 0; /* the end of the list, until the next one */
	if (wmask)
		memcpy(&d->wmask[off], wmask, len);
	d->wmask[off] = d->wmask[off + 1] = 0; /* ID and next pointer are read-only */
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_last = (uint8_t)off;
	d->cap_free = (uint8_t)((off + len + 3) & ~3u); /* 0 once the space is used up */
	return (int)off;
}

void pci_dev_release_irqs(struct pci_dev *d)
{
	if (d == NULL)
		return;
	pci_msix_release(d, true);
	pci_msi_release(d, true);
	pci_intx_set(d, 0);
}

static struct pci_dev *lookup(struct pci_root *root, unsigned bus, unsigned slot, unsigned func)
{
	if (bus != 0 || slot >= PCI_SLOTS || func >= PCI_FUNCS)
		return NULL;
	return root->dev[slot][func];
}

/* Only naturally aligned 1, 2 and 4-byte accesses reach a device. */
static bool access_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off % size == 0;
}

/* Bytes from cfg[], plus the state that lives elsewhere: INTx status, MSI pending bits. */
static uint32_t cfg_read_generic(struct pci_dev *d, unsigned off, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	if (pci_overlaps(off, size, PCI_STATUS, 1)) {
		pthread_mutex_lock(&d->root->intx_lock);
		if (d->intx_level)
			v |= (uint32_t)PCI_STATUS_INTERRUPT << (8 * (PCI_STATUS - off));
		pthread_mutex_unlock(&d->root->intx_lock);
	}
	if (d->msi)
		v |= pci_msi_cfg_read(d, off, size);
	return v;
}

uint32_t pci_cfg_read(struct pci_root *root, unsigned bus, unsigned slot, unsigned func,
		      unsigned off, unsigned size)
{
	uint32_t ones = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	if (!access_ok(off, size))
		return ones;
	pthread_mutex_lock(&root->lock);
	struct pci_dev *d = lookup(root, bus, slot, func);
	uint32_t v = ones;
	if (d) {
		v = 0; /* extended space beyond 256 bytes reads as zero: no capabilities there */
		if (off < PCI_CFG_SIZE &&
		    !(d->emu && d->emu->cfg_access && d->emu->cfg_access(d, off, size, &v, false)))
			v = cfg_read_generic(d, off, size);
	}
	pthread_mutex_unlock(&root->lock);
	return v;
}

/*
 * Drive the device's GSI from its level and the INTx disable bit. Lines are
 * shared: the GSI follows the number of devices driving it (wired-OR).
 * root->intx_lock held.
 */
static void intx_drive(struct pci_dev *d)
{
	struct pci_root *root = d->root;
	bool drive = d->intx_level && !d->intx_disabled;
	if (drive == d->intx_driven || d->intx_gsi >= PCI_INTX_GSI_MAX)
		return;
	d->intx_driven = drive;
	uint16_t *n = &root->intx_count[d->intx_gsi];
	*n = drive ? (uint16_t)(*n + 1) : (uint16_t)(*n - 1);
	if (root->intx_set && *n == (drive ? 1 : 0))
		root->intx_set(root->irq_arg, d->intx_gsi, drive);
}

/* The command register was written (root->lock held, so cfg[] is stable). */
static void intx_update(struct pci_dev *d)
{
	pthread_mutex_lock(&d->root->intx_lock);
	d->intx_disabled = pci_get16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
	intx_drive(d);
	pthread_mutex_unlock(&d->root->intx_lock);
}

/* Any thread, any device lock held: only intx_lock is taken. */
void pci_intx_set(struct pci_dev *d, int level)
{
	pthread_mutex_lock(&d->root->intx_lock);
	d->intx_level = level != 0;
	intx_drive(d);
	pthread_mutex_unlock(&d->root->intx_lock);
}

void pci_cfg_write(struct pci_root *root, unsigned bus, unsigned slot, unsigned func,
		   unsigned off, unsigned size, uint32_t val)
{
	if (!access_ok(off, size) || off >= PCI_CFG_SIZE)
		return;
	pthread_mutex_lock(&root->lock);
	struct pci_dev *d = lookup(root, bus, slot, func);
	if (d && !(d->emu && d->emu->cfg_access && d->emu->cfg_access(d, off, size, &val, true))) {
		for (unsigned i = 0; i < size; i++) {
			uint8_t b = (uint8_t)(val >> (8 * i));
			unsigned o = off + i;
			d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (b & d->wmask[o]));
			d->cfg[o] &= (uint8_t) ~(b & d->w1cmask[o]);
		}
		/* Side effects of the new register values: decoding, interrupts. */
		pci_bar_cfg_written(d, off, size);
		if (pci_overlaps(off, size, PCI_COMMAND + 1, 1))
			intx_update(d);
		if (d->msix)
			pci_msix_cfg_written(d, off, size);
		if (d->msi)
			pci_msi_cfg_written(d, off, size);
		if (d->emu && d->emu->cfg_written)
			d->emu->cfg_written(d, off, size);
	}
	pthread_mutex_unlock(&root->lock);
}

void pci_cf8_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct pci_root *root = opaque;
	if (off == 0 && size == 4) {
		if (is_write) {
			uint32_t v;
			memcpy(&v, data, 4);
			root->cf8 = v & 0x80fffffcu;
		} else {
			memcpy(data, &root->cf8, 4);
		}
		return;
	}
	if (off == 1 && size == 1) { /* reset control register, 0xCF9 */
		if (is_write && root->reset_write)
			root->reset_write(root->reset_arg, data[0]);
		else if (!is_write)
			data[0] = 0;
		return;
	}
	if (!is_write)
		memset(data, 0xff, size);
}

void pci_cfc_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct pci_root *root = opaque;
	uint32_t a = root->cf8;
	if (!(a & CF8_ENABLE)) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	unsigned bus = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f, func = (a >> 8) & 7;
	unsigned reg = (a & 0xfc) + (unsigned)off;
	if (is_write) {
		uint32_t v = 0;
		memcpy(&v, data, size > 4 ? 4 : size);
		pci_cfg_write(root, bus, slot, func, reg, size, v);
	} else {
		uint32_t v = pci_cfg_read(root, bus, slot, func, reg, size);
		memcpy(data, &v, size > 4 ? 4 : size);
	}
}

void pci_ecam_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct pci_root *root = opaque;
	unsigned bus = (unsigned)(off >> 20) & 0xff, slot = (unsigned)(off >> 15) & 0x1f;
	unsigned func = (unsigned)(off >> 12) & 7, reg = (unsigned)off & 0xfff;
	if (size > 4) { /* 8-byte config accesses are not defined */
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	if (is_write) {
		uint32_t v = 0;
		memcpy(&v, data, size);
		pci_cfg_write(root, bus, slot, func, reg, size, v);
	} else {
		uint32_t v = pci_cfg_read(root, bus, slot, func, reg, size);
		memcpy(data, &v, size);
	}
}
