// SPDX-License-Identifier: BSD-2-Clause
/*
 * Base address registers: allocation from the root's windows, sizing, and
 * decoding on the I/O and MMIO buses as the guest moves them.
 *
 * A BAR decodes (is registered on its bus) while the command register
 * enables its space, its whole range lies inside a window of its type, and
 * no other range is registered there. Otherwise it does not decode: a BAR
 * programmed over another BAR, over the ECAM window or outside the windows
 * (which lie apart from RAM and the APICs) answers nothing. When a BAR stops
 * decoding, BARs that were shut out by it get another chance.
 *
 * Runs with root->lock held (pci_bar_add takes it; config writes hold it),
 * and calls iobus_register/unregister, which take the bus lock: root->lock
 * comes first. That is free of cycles because iobus_access releases the bus
 * lock before it calls a handler, such as ECAM's, that takes root->lock.
 */
#include <errno.h>
#include <string.h>

#include "khyve/iobus.h"
#include "pci_priv.h"

#define BAR_IO_FLAGS 0x1u	 /* I/O space indicator */
#define BAR_MEM64_FLAGS 0xcu	 /* 64-bit, prefetchable */
#define BAR_MEM64_LOW_FLAGS 0x4u /* 64-bit */
/*
 * bhyve's placement: a 64-bit BAR of up to 128 MiB is allocated below 4 GiB,
 * not prefetchable (some guest drivers do not work with one above 4 GiB); a
 * larger one above, prefetchable.
 */
#define BAR_MEM64_LOW_MAX (128ull << 20)
#define BAR_IO_MIN 4u /* the smallest sizes the spec allows */
#define BAR_MEM_MIN 16u

static unsigned bar_reg(unsigned idx)
{
	return PCI_BAR0 + 4 * idx;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* [base, limit) holds [addr, addr + size): no wrap-around possible. */
static bool inside(uint64_t base, uint64_t limit, uint64_t addr, uint64_t size)
{
	return addr >= base && addr <= limit && size <= limit - addr;
}

static bool in_window(const struct pci_root *r, enum pci_bar_type t, uint64_t addr, uint64_t size)
{
	switch (t) {
	case PCI_BAR_IO:
		return inside(r->io_base, r->io_limit, addr, size);
	case PCI_BAR_MEM32:
		return inside(r->mem32_base, r->mem32_limit, addr, size);
	case PCI_BAR_MEM64: /* the OS may place a 64-bit BAR below 4 GiB */
		return inside(r->mem32_base, r->mem32_limit, addr, size) ||
		       inside(r->mem64_base, r->mem64_limit, addr, size);
	default:
		return false;
	}
}

static struct iobus *bar_bus(const struct pci_root *r, enum pci_bar_type t)
{
	return t == PCI_BAR_IO ? r->pio : r->mmio;
}

/* The address the guest programmed, from cfg[]. */
static uint64_t bar_cfg_addr(const struct pci_dev *d, unsigned idx)
{
	const struct pci_bar *b = &d->bar[idx];
	uint32_t lo = get32(&d->cfg[bar_reg(idx)]);
	if (b->type == PCI_BAR_IO)
		return lo & ~(uint32_t)(BAR_IO_MIN - 1);
	uint64_t a = lo & ~(uint32_t)(BAR_MEM_MIN - 1);
	if (b->type == PCI_BAR_MEM64)
		a |= (uint64_t)get32(&d->cfg[bar_reg(idx + 1)]) << 32;
	return a;
}

/*
 * Bring BAR idx's registration in line with cfg[]. Returns true when it
 * unregistered a range (so that another BAR may now fit).
 */
static bool bar_update(struct pci_dev *d, unsigned idx)
{
	struct pci_bar *b = &d->bar[idx];
	struct pci_root *r = d->root;
	struct iobus *bus = bar_bus(r, b->type);
	uint16_t cmd = pci_get16(d, PCI_COMMAND);
	bool on = cmd & (b->type == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
	uint64_t addr = bar_cfg_addr(d, idx), old = b->addr;
	bool want = on && bus && in_window(r, b->type, addr, b->size);
	bool was = b->decoded, freed = false;
	if (b->decoded && (!want || addr != b->addr)) {
		iobus_unregister(bus, b->addr);
		b->decoded = false;
		freed = true;
	}
	b->addr = addr;
	if (want && !b->decoded) /* -EEXIST: over another range, so not decoded */
		b->decoded = iobus_register(bus, addr, b->size, b->fn, b->opaque) == 0;
	if ((was != b->decoded || (b->decoded && old != addr)) && d->emu && d->emu->bar_moved)
		d->emu->bar_moved(d, idx, b->decoded, addr);
	return freed;
}

/* Give every BAR that wants to decode but could not another try. */
static void retry_all(struct pci_root *r)
{
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned f = 0; f < PCI_FUNCS; f++) {
			struct pci_dev *d = r->dev[s][f];
			for (unsigned i = 0; d && i < PCI_NUM_BARS; i++)
				if (d->bar[i].type != PCI_BAR_NONE && !d->bar[i].decoded)
					bar_update(d, i);
		}
}

void pci_bar_cfg_written(struct pci_dev *d, unsigned off, unsigned size)
{
	if (!pci_overlaps(off, size, PCI_COMMAND, 2) &&
	    !pci_overlaps(off, size, PCI_BAR0, 4 * PCI_NUM_BARS))
		return;
	bool freed = false;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].type != PCI_BAR_NONE)
			freed |= bar_update(d, i);
	if (freed)
		retry_all(d->root);
}

/* Naturally aligned room for size bytes at *next in [base, limit). */
static int window_alloc(uint64_t base, uint64_t limit, uint64_t *next, uint64_t size, uint64_t *out)
{
	uint64_t start = *next > base ? *next : base;
	uint64_t a = (start + size - 1) & ~(size - 1);
	if (a < start || !inside(base, limit, a, size))
		return -ENOSPC;
	*next = a + size;
	*out = a;
	return 0;
}

int pci_bar_add(struct pci_dev *d, unsigned idx, enum pci_bar_type type, uint64_t size,
		pci_bar_fn fn, void *opaque)
{
	if (d == NULL || d->root == NULL || fn == NULL || idx >= PCI_NUM_BARS)
		return -EINVAL;
	if (type != PCI_BAR_IO && type != PCI_BAR_MEM32 && type != PCI_BAR_MEM64)
		return -EINVAL;
	if (size == 0 || (size & (size - 1)) != 0 || (type != PCI_BAR_MEM64 && size > 1ull << 31))
		return -EINVAL;
	if (type == PCI_BAR_MEM64 && idx + 1 >= PCI_NUM_BARS)
		return -EINVAL;
	unsigned min = type == PCI_BAR_IO ? BAR_IO_MIN : BAR_MEM_MIN;
	if (size < min)
		size = min;
	struct pci_root *r = d->root;
	int rc = -EINVAL;
	pthread_mutex_lock(&r->lock);
	/* idx free, not the upper half of a 64-bit BAR, and idx+1 free for one */
	if (d->bar[idx].type != PCI_BAR_NONE ||
	    (idx > 0 && d->bar[idx - 1].type == PCI_BAR_MEM64) ||
	    (type == PCI_BAR_MEM64 && d->bar[idx + 1].type != PCI_BAR_NONE))
		goto out;
	uint64_t addr = 0;
	uint32_t flags = 0;
	if (type == PCI_BAR_IO) {
		rc = window_alloc(r->io_base, r->io_limit, &r->io_next, size, &addr);
		flags = BAR_IO_FLAGS;
	} else if (type == PCI_BAR_MEM32 || size <= BAR_MEM64_LOW_MAX) {
		rc = window_alloc(r->mem32_base, r->mem32_limit, &r->mem32_next, size, &addr);
		flags = type == PCI_BAR_MEM64 ? BAR_MEM64_LOW_FLAGS : 0;
	}
	if (type == PCI_BAR_MEM64 && (size > BAR_MEM64_LOW_MAX || rc < 0)) {
		/* large, or no room left below 4 GiB */
		rc = window_alloc(r->mem64_base, r->mem64_limit, &r->mem64_next, size, &addr);
		flags = BAR_MEM64_FLAGS;
	}
	if (rc < 0)
		goto out;
	d->bar[idx] =
	    (struct pci_bar){.type = type, .size = size, .addr = addr, .fn = fn, .opaque = opaque};
	/* Writable: the address bits above the size, so a sizing probe reads ~(size-1). */
	uint64_t mask = ~(size - 1);
	put32(&d->cfg[bar_reg(idx)], (uint32_t)addr | flags);
	put32(&d->wmask[bar_reg(idx)], (uint32_t)mask & ~(uint32_t)(min - 1));
	if (type == PCI_BAR_MEM64) {
		put32(&d->cfg[bar_reg(idx + 1)], (uint32_t)(addr >> 32));
		put32(&d->wmask[bar_reg(idx + 1)], (uint32_t)(mask >> 32));
	}
	bar_update(d, idx); /* decodes now if the command register already says so */
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}
