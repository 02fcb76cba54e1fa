// SPDX-License-Identifier: BSD-2-Clause
/* BARs: allocation, sizing probes, decoding on real iobuses, relocation, overlap (Q5). */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check_main.h"
#include "khyve/iobus.h"
#include "khyve/pci.h"

#define IO_BASE 0xd000u
#define IO_LIMIT 0x10000u
#define M32_BASE 0xc0000000ull
#define M32_LIMIT 0xe0000000ull
#define M64_BASE 0x140000000ull
#define M64_LIMIT (M64_BASE + (1ull << 36))
#define ECAM 0xe0000000ull
/* A 16 KiB 64-bit BAR added after a 4 KiB 32-bit one: below 4 GiB, as in bhyve. */
#define SMALL64 (M32_BASE + 0x4000)

static struct pci_root root;
static struct iobus pio, mmio;
static struct pci_dev *dev, *dev2;

/* What the BAR handlers and the bar_moved hook saw. */
static int hits;
static void *last_opaque;
static uint64_t last_off;
static int moves;
static unsigned moved_idx;
static bool moved_decoded;
static uint64_t moved_addr;

static void bar_fn(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	hits++;
	last_opaque = opaque;
	last_off = off;
	if (!is_write)
		memset(data, 0x5a, size);
}

static void ecam_fn(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
}

static void bar_moved(struct pci_dev *d, unsigned idx, bool decoded, uint64_t addr)
{
	moves++;
	moved_idx = idx;
	moved_decoded = decoded;
	moved_addr = addr;
}

static const struct pci_devemu emu = {.name = "test", .bar_moved = bar_moved};

static void setup(void)
{
	pci_root_init(&root);
	iobus_init(&pio);
	iobus_init(&mmio);
	root.pio = &pio;
	root.mmio = &mmio;
	root.io_base = IO_BASE;
	root.io_limit = IO_LIMIT;
	root.mem32_base = M32_BASE;
	root.mem32_limit = M32_LIMIT;
	root.mem64_base = M64_BASE;
	root.mem64_limit = M64_LIMIT;
	iobus_register(&mmio, ECAM, 1 << 20, ecam_fn, NULL);
	dev = pci_dev_add(&root, 3, 0, &emu);
	dev2 = pci_dev_add(&root, 4, 0, &emu);
	hits = moves = 0;
	last_opaque = NULL;
}

static void teardown(void)
{
	pci_root_fini(&root);
	iobus_fini(&pio);
	iobus_fini(&mmio);
}

static uint32_t rd(struct pci_dev *d, unsigned off)
{
	return pci_cfg_read(&root, 0, d->slot, 0, off, 4);
}

static void wr(struct pci_dev *d, unsigned off, unsigned size, uint32_t v)
{
	pci_cfg_write(&root, 0, d->slot, 0, off, size, v);
}

/* Does an access at addr reach the BAR handler with this opaque and offset? */
static bool reaches(struct iobus *bus, uint64_t addr, void *opaque, uint64_t off)
{
	uint32_t v = 0;
	int before = hits;
	last_opaque = NULL;
	if (iobus_access(bus, addr, (uint8_t *)&v, 4, false) != 0)
		return false;
	return hits == before + 1 && last_opaque == opaque && last_off == off && v == 0x5a5a5a5a;
}

START_TEST(allocation_natural_alignment)
{
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_IO, 0x40, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 1, PCI_BAR_IO, 0x100, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 2, PCI_BAR_MEM32, 0x1000, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 3, PCI_BAR_MEM32, 0x10000, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 4, PCI_BAR_MEM64, 0x4000, bar_fn, NULL), 0);
	ck_assert_uint_eq(dev->bar[0].addr, IO_BASE);
	ck_assert_uint_eq(dev->bar[1].addr, IO_BASE + 0x100); /* 0xd040 aligned up */
	ck_assert_uint_eq(dev->bar[2].addr, M32_BASE);
	ck_assert_uint_eq(dev->bar[3].addr, M32_BASE + 0x10000);
	ck_assert_uint_eq(dev->bar[4].addr, M32_BASE + 0x20000); /* small: below 4 GiB */
	/* type bits: I/O; 32-bit memory; 64-bit memory */
	ck_assert_uint_eq(rd(dev, 0x10), IO_BASE | 1);
	ck_assert_uint_eq(rd(dev, 0x14), (IO_BASE + 0x100) | 1);
	ck_assert_uint_eq(rd(dev, 0x18), (uint32_t)M32_BASE);
	ck_assert_uint_eq(rd(dev, 0x20), (uint32_t)(M32_BASE + 0x20000) | 0x4);
	ck_assert_uint_eq(rd(dev, 0x24), 0);
	/* a size below the spec's minimum is rounded up */
	ck_assert_int_eq(pci_bar_add(dev2, 0, PCI_BAR_IO, 1, bar_fn, NULL), 0);
	ck_assert_uint_eq(dev2->bar[0].size, 4);
	ck_assert_int_eq(pci_bar_add(dev2, 1, PCI_BAR_MEM32, 2, bar_fn, NULL), 0);
	ck_assert_uint_eq(dev2->bar[1].size, 16);
	ck_assert_uint_eq(dev2->bar[1].addr, M32_BASE + 0x24000);
	ck_assert_int_eq(moves, 0); /* nothing decodes before the command register says so */
}
END_TEST

/*
 * bhyve's placement of 64-bit BARs: up to 128 MiB below 4 GiB and not
 * prefetchable, larger ones above and prefetchable; a small one goes above
 * when the 32-bit window is full.
 */
START_TEST(mem64_placement)
{
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM64, 128ull << 20, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 2, PCI_BAR_MEM64, 256ull << 20, bar_fn, NULL), 0);
	ck_assert_uint_eq(dev->bar[0].addr, M32_BASE);
	ck_assert_uint_eq(rd(dev, 0x10), (uint32_t)M32_BASE | 0x4);
	ck_assert_uint_eq(rd(dev, 0x14), 0);
	ck_assert_uint_eq(dev->bar[2].addr, M64_BASE);
	ck_assert_uint_eq(rd(dev, 0x18), (uint32_t)M64_BASE | 0xc);
	ck_assert_uint_eq(rd(dev, 0x1c), (uint32_t)(M64_BASE >> 32));
	/* 384 MiB of the 512 MiB window left: a 256 MiB 32-bit BAR takes the rest after
	 * alignment, and the next small 64-bit BAR goes above 4 GiB */
	ck_assert_int_eq(pci_bar_add(dev, 4, PCI_BAR_MEM32, 256u << 20, bar_fn, NULL), 0);
	ck_assert_uint_eq(dev->bar[4].addr, M32_BASE + (256ull << 20));
	ck_assert_int_eq(pci_bar_add(dev2, 0, PCI_BAR_MEM64, 128ull << 20, bar_fn, NULL), 0);
	ck_assert_uint_eq(dev2->bar[0].addr, M64_BASE + (256ull << 20));
	ck_assert_uint_eq(rd(dev2, 0x10), (uint32_t)(M64_BASE + (256ull << 20)) | 0xc);
	ck_assert_uint_eq(rd(dev2, 0x14), (uint32_t)(M64_BASE >> 32));
}
END_TEST

START_TEST(add_rejects_bad_requests)
{
	ck_assert_int_eq(pci_bar_add(dev, 6, PCI_BAR_IO, 16, bar_fn, NULL), -EINVAL);
	ck_assert_int_eq(pci_bar_add(dev, 5, PCI_BAR_MEM64, 16, bar_fn, NULL), -EINVAL);
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_NONE, 16, bar_fn, NULL), -EINVAL);
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM32, 0x3000, bar_fn, NULL), -EINVAL);
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM32, 0, bar_fn, NULL), -EINVAL);
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM32, 1ull << 32, bar_fn, NULL), -EINVAL);
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM32, 16, NULL, NULL), -EINVAL);
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM64, 16, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM32, 16, bar_fn, NULL), -EINVAL); /* taken */
	ck_assert_int_eq(pci_bar_add(dev, 1, PCI_BAR_MEM32, 16, bar_fn, NULL), -EINVAL); /* upper */
	ck_assert_int_eq(pci_bar_add(dev, 3, PCI_BAR_MEM32, 16, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 2, PCI_BAR_MEM64, 16, bar_fn, NULL),
			 -EINVAL); /* 3 used */
	/* window full: the 512 MiB window takes one 256 MiB BAR after the small ones, not two */
	ck_assert_int_eq(pci_bar_add(dev, 4, PCI_BAR_MEM32, 256u << 20, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 5, PCI_BAR_MEM32, 256u << 20, bar_fn, NULL), -ENOSPC);
	ck_assert_int_eq(pci_bar_add(dev2, 0, PCI_BAR_IO, 0x4000, bar_fn, NULL), -ENOSPC);
	/* a root without windows allocates nothing */
	struct pci_root bare;
	pci_root_init(&bare);
	struct pci_dev *b = pci_dev_add(&bare, 1, 0, NULL);
	ck_assert_int_eq(pci_bar_add(b, 0, PCI_BAR_MEM32, 16, bar_fn, NULL), -ENOSPC);
	pci_root_fini(&bare);
}
END_TEST

START_TEST(sizing_probes)
{
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_IO, 0x100, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 1, PCI_BAR_MEM32, 0x1000, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev, 2, PCI_BAR_MEM64, 0x4000, bar_fn, NULL), 0);
	ck_assert_int_eq(pci_bar_add(dev2, 0, PCI_BAR_MEM64, 8ull << 30, bar_fn, NULL), 0);
	for (unsigned r = 0x10; r < 0x28; r += 4)
		wr(dev, r, 4, 0xffffffff);
	ck_assert_uint_eq(rd(dev, 0x10), 0xffffff01);
	ck_assert_uint_eq(rd(dev, 0x14), 0xfffff000);
	ck_assert_uint_eq(rd(dev, 0x18), 0xffffc004);
	ck_assert_uint_eq(rd(dev, 0x1c), 0xffffffff);
	ck_assert_uint_eq(rd(dev, 0x20), 0); /* no BAR: reads 0 */
	ck_assert_uint_eq(rd(dev, 0x24), 0);
	/* larger than 4 GiB: the upper dword carries the size too */
	wr(dev2, 0x10, 4, 0xffffffff);
	wr(dev2, 0x14, 4, 0xffffffff);
	ck_assert_uint_eq(rd(dev2, 0x10), 0x0000000c);
	ck_assert_uint_eq(rd(dev2, 0x14), 0xfffffffe);
	/* restore: the same address reads back */
	wr(dev, 0x10, 4, IO_BASE);
	wr(dev, 0x18, 4, 0x00010000);
	wr(dev, 0x1c, 4, 0x2);
	ck_assert_uint_eq(rd(dev, 0x10), IO_BASE | 1);
	ck_assert_uint_eq(rd(dev, 0x18), 0x00010004);
	ck_assert_uint_eq(rd(dev, 0x1c), 0x2);
	/* byte and word writes take the same mask */
	wr(dev, 0x14, 4, 0xc0000000);
	wr(dev, 0x14, 1, 0xff); /* below the size: read-only */
	wr(dev, 0x15, 1, 0x12);
	wr(dev, 0x16, 2, 0xc123);
	ck_assert_uint_eq(rd(dev, 0x14), 0xc1231000);
	ck_assert_int_eq(moves, 0);
}
END_TEST

START_TEST(command_register_decoding)
{
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_IO, 0x100, bar_fn, &pio), 0);
	ck_assert_int_eq(pci_bar_add(dev, 1, PCI_BAR_MEM32, 0x1000, bar_fn, &mmio), 0);
	ck_assert_int_eq(pci_bar_add(dev, 2, PCI_BAR_MEM64, 0x4000, bar_fn, dev), 0);
	ck_assert(!reaches(&pio, IO_BASE, &pio, 0));
	ck_assert(!reaches(&mmio, M32_BASE, &mmio, 0));
	wr(dev, PCI_COMMAND, 2, PCI_COMMAND_IO);
	ck_assert(reaches(&pio, IO_BASE + 0x10, &pio, 0x10));
	ck_assert(!reaches(&mmio, M32_BASE, &mmio, 0));
	ck_assert(!reaches(&mmio, SMALL64, dev, 0));
	ck_assert_int_eq(moves, 1);
	ck_assert(moved_decoded && moved_idx == 0 && moved_addr == IO_BASE);
	ck_assert(dev->bar[0].decoded && !dev->bar[1].decoded);
	wr(dev, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	ck_assert(reaches(&mmio, M32_BASE + 0xffc, &mmio, 0xffc));
	ck_assert(reaches(&mmio, SMALL64 + 0x3ffc, dev, 0x3ffc));
	ck_assert(!reaches(&mmio, SMALL64 + 0x4000, dev, 0x4000)); /* past the end */
	ck_assert_int_eq(moves, 3);
	/* a write that changes nothing moves nothing */
	wr(dev, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	ck_assert_int_eq(moves, 3);
	wr(dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert(!reaches(&pio, IO_BASE, &pio, 0));
	ck_assert(reaches(&mmio, M32_BASE, &mmio, 0));
	ck_assert_int_eq(moves, 4);
	ck_assert(!moved_decoded && moved_idx == 0);
	wr(dev, PCI_COMMAND, 2, 0);
	ck_assert(!reaches(&mmio, M32_BASE, &mmio, 0));
	ck_assert(!reaches(&mmio, SMALL64, dev, 0));
	ck_assert(!dev->bar[0].decoded && !dev->bar[1].decoded && !dev->bar[2].decoded);
	ck_assert_uint_eq(pio.nr, 0);
	ck_assert_uint_eq(mmio.nr, 1); /* ECAM only */
}
END_TEST

START_TEST(relocation_moves_registration)
{
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_IO, 0x100, bar_fn, &pio), 0);
	ck_assert_int_eq(pci_bar_add(dev, 1, PCI_BAR_MEM32, 0x1000, bar_fn, &mmio), 0);
	ck_assert_int_eq(pci_bar_add(dev, 2, PCI_BAR_MEM64, 0x4000, bar_fn, dev), 0);
	wr(dev, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	wr(dev, 0x10, 4, 0xe800);
	ck_assert(!reaches(&pio, IO_BASE, &pio, 0));
	ck_assert(reaches(&pio, 0xe804, &pio, 4));
	ck_assert(moved_decoded && moved_idx == 0 && moved_addr == 0xe800);
	wr(dev, 0x14, 4, 0xd0000000);
	ck_assert(!reaches(&mmio, M32_BASE, &mmio, 0));
	ck_assert(reaches(&mmio, 0xd0000008, &mmio, 8));
	ck_assert_uint_eq(dev->bar[1].addr, 0xd0000000);
	/* a 64-bit BAR moved by two dword writes, decoding on */
	wr(dev, 0x18, 4, 0x00100000);
	wr(dev, 0x1c, 4, 0x3);
	ck_assert(!reaches(&mmio, SMALL64, dev, 0));
	ck_assert(reaches(&mmio, 0x300100010ull, dev, 0x10));
	ck_assert(moved_decoded && moved_idx == 2 && moved_addr == 0x300100000ull);
	/* and into the 32-bit window, where an OS may put it too */
	wr(dev, 0x1c, 4, 0);
	wr(dev, 0x18, 4, 0xd8000000);
	ck_assert(reaches(&mmio, 0xd8000000, dev, 0));
	ck_assert_uint_eq(pio.nr, 1);
	ck_assert_uint_eq(mmio.nr, 3);
	/* a sizing probe with decoding on leaves the window, then comes back */
	wr(dev, 0x14, 4, 0xffffffff);
	ck_assert(!dev->bar[1].decoded);
	ck_assert(!reaches(&mmio, 0xd0000000, &mmio, 0));
	wr(dev, 0x14, 4, 0xd0000000);
	ck_assert(reaches(&mmio, 0xd0000000, &mmio, 0));
}
END_TEST

/* BAD-INPUTS Q5: a BAR over another BAR, over ECAM or outside its window does not decode. */
START_TEST(overlap_and_window_not_decoded)
{
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM32, 0x1000, bar_fn, dev), 0);
	ck_assert_int_eq(pci_bar_add(dev2, 0, PCI_BAR_MEM32, 0x1000, bar_fn, dev2), 0);
	ck_assert_int_eq(pci_bar_add(dev2, 1, PCI_BAR_IO, 0x10, bar_fn, dev2), 0);
	wr(dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	wr(dev2, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	uint64_t a1 = dev->bar[0].addr, a2 = dev2->bar[0].addr;
	ck_assert(reaches(&mmio, a1, dev, 0));
	ck_assert(reaches(&mmio, a2, dev2, 0));
	/* dev2's BAR onto dev's: dev keeps the range, dev2 decodes nowhere */
	moves = 0;
	wr(dev2, 0x10, 4, (uint32_t)a1);
	ck_assert(!dev2->bar[0].decoded);
	ck_assert(reaches(&mmio, a1, dev, 0));
	ck_assert(!reaches(&mmio, a2, dev2, 0));
	ck_assert_int_eq(moves, 1);
	ck_assert(!moved_decoded);
	/* reading the BAR still shows what the guest wrote */
	ck_assert_uint_eq(rd(dev2, 0x10), (uint32_t)a1);
	/* dev moves away: dev2 now decodes where it was put */
	wr(dev, 0x10, 4, 0xd0000000);
	ck_assert(reaches(&mmio, 0xd0000000, dev, 0));
	ck_assert(reaches(&mmio, a1, dev2, 0));
	ck_assert(dev2->bar[0].decoded);
	/* over RAM (below the window), over ECAM, over the local APIC */
	const uint32_t bad[] = {0x000a0000, 0x00100000, (uint32_t)ECAM, 0xfee00000};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(dev, 0x10, 4, bad[i]);
		ck_assert_msg(!dev->bar[0].decoded, "decoded at %#x", bad[i]);
		ck_assert(!reaches(&mmio, 0xd0000000, dev, 0));
	}
	ck_assert_uint_eq(mmio.nr, 2); /* ECAM and dev2's BAR */
	/* an I/O BAR over the COM ports or past the window: not decoded */
	ck_assert(dev2->bar[1].decoded);
	wr(dev2, 0x14, 4, 0x3f8);
	ck_assert(!dev2->bar[1].decoded);
	/* straddling the window's end */
	root.io_limit = 0xfff8;
	wr(dev2, 0x14, 4, 0xfff0);
	ck_assert(!dev2->bar[1].decoded);
	wr(dev2, 0x14, 4, 0xffe0);
	ck_assert(dev2->bar[1].decoded);
	ck_assert(reaches(&pio, 0xffec, dev2, 0xc));
}
END_TEST

/* A 64-bit BAR over another one above 4 GiB; moving it back restores both. */
START_TEST(overlap_64bit)
{
	ck_assert_int_eq(pci_bar_add(dev, 0, PCI_BAR_MEM64, 256u << 20, bar_fn, dev), 0);
	ck_assert_int_eq(pci_bar_add(dev2, 2, PCI_BAR_MEM64, 256u << 20, bar_fn, dev2), 0);
	ck_assert_uint_ge(dev->bar[0].addr, M64_BASE);
	wr(dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	wr(dev2, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	uint64_t a1 = dev->bar[0].addr, a2 = dev2->bar[2].addr;
	ck_assert_uint_ne(a1, a2);
	wr(dev2, 0x18, 4, (uint32_t)a1);
	ck_assert(!dev2->bar[2].decoded);
	ck_assert(reaches(&mmio, a1 + 0x100, dev, 0x100));
	wr(dev2, 0x18, 4, (uint32_t)a2);
	ck_assert(dev2->bar[2].decoded);
	ck_assert(reaches(&mmio, a2 + 0x100, dev2, 0x100));
	/* past the 64-bit window */
	wr(dev2, 0x1c, 4, (uint32_t)(M64_LIMIT >> 32));
	ck_assert(!dev2->bar[2].decoded);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pci_bar");
	TCase *tc = tcase_create("bars");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, allocation_natural_alignment);
	tcase_add_test(tc, mem64_placement);
	tcase_add_test(tc, add_rejects_bad_requests);
	tcase_add_test(tc, sizing_probes);
	tcase_add_test(tc, command_register_decoding);
	tcase_add_test(tc, relocation_moves_registration);
	tcase_add_test(tc, overlap_and_window_not_decoded);
	tcase_add_test(tc, overlap_64bit);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
