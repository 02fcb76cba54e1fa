// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CF8_ENABLE 0x80000000u
#define PCI_COMMAND_MASK 0x0547 /* I/O, memory, master, parity, SERR, INTx disable */
#define PCI_STATUS_W1C 0xf900   /* error bits */

int pci_root_init(struct pci_root *root)
{
	memset(root, 0, sizeof(*root));
	return -pthread_mutex_init(&root->lock, NULL);
}

void pci_root_fini(struct pci_root *root)
{
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned f = 0; f < PCI_FUNCS; f++)
			free(root->dev[s][f]);
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
		if (off < PCI_CFG_SIZE)
			for (unsigned i = 0; i < size; i++)
				v |= (uint32_t)d->cfg[off + i] << (8 * i);
	}
	pthread_mutex_unlock(&root->lock);
	return v;
}

void pci_cfg_write(struct pci_root *root, unsigned bus, unsigned slot, unsigned func,
		   unsigned off, unsigned size, uint32_t val)
{
	if (!access_ok(off, size) || off >= PCI_CFG_SIZE)
		return;
	pthread_mutex_lock(&root->lock);
	struct pci_dev *d = lookup(root, bus, slot, func);
	if (d) {
		for (unsigned i = 0; i < size; i++) {
			uint8_t b = (uint8_t)(val >> (8 * i));
			unsigned o = off + i;
			d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (b & d->wmask[o]));
			d->cfg[o] &= (uint8_t) ~(b & d->w1cmask[o]);
		}
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
