// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check_main.h"
#include "khyve/acpi.h"
#include "khyve/pci.h"

static struct pci_root root;
static unsigned resets;
static uint8_t reset_val;

static void reset_hook(void *arg, uint8_t v)
{
	resets++;
	reset_val = v;
}

static void setup(void)
{
	pci_root_init(&root);
	root.reset_write = reset_hook;
	resets = 0;
	struct pci_dev *d = pci_dev_add(&root, 0, 0, NULL);
	pci_set_ids(d, 0x1275, 0x1275, 0x06, 0x00, 0, 0);
	d = pci_dev_add(&root, 3, 0, NULL);
	pci_set_ids(d, 0x8086, 0x7000, 0x06, 0x01, 0, 0);
	pci_dev_add(&root, 3, 2, NULL);
	pci_root_finish(&root);
}

static void teardown(void)
{
	pci_root_fini(&root);
}

static uint32_t cf8_read(unsigned bus, unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t a = 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (reg & 0xfc);
	pci_cf8_io(&root, 0, (uint8_t *)&a, 4, true);
	uint32_t v = 0;
	pci_cfc_io(&root, reg & 3, (uint8_t *)&v, size, false);
	return v;
}

static uint32_t ecam_read(unsigned bus, unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t v = 0;
	pci_ecam_mmio(&root, (uint64_t)bus << 20 | slot << 15 | fn << 12 | reg, (uint8_t *)&v, size,
		      false);
	return v;
}

START_TEST(ids_through_both_mechanisms)
{
	ck_assert_uint_eq(cf8_read(0, 0, 0, 0, 4), 0x12751275);
	ck_assert_uint_eq(cf8_read(0, 3, 0, 2, 2), 0x7000);
	ck_assert_uint_eq(cf8_read(0, 3, 0, 0x0b, 1), 0x06);
	ck_assert_uint_eq(ecam_read(0, 3, 0, 0, 4), 0x70008086);
	ck_assert_uint_eq(ecam_read(0, 3, 0, 0x0a, 2), 0x0601);
	/* absent slot, function, bus: all ones */
	ck_assert_uint_eq(cf8_read(0, 4, 0, 0, 4), 0xffffffffu);
	ck_assert_uint_eq(ecam_read(0, 3, 1, 0, 2), 0xffff);
	ck_assert_uint_eq(ecam_read(1, 0, 0, 0, 4), 0xffffffffu);
	/* extended space of a present function reads as zero */
	ck_assert_uint_eq(ecam_read(0, 3, 0, 0x100, 4), 0);
}
END_TEST

START_TEST(enable_bit_and_misaligned)
{
	uint32_t a = 0x00000000; /* enable bit clear */
	pci_cf8_io(&root, 0, (uint8_t *)&a, 4, true);
	uint32_t v = 0;
	pci_cfc_io(&root, 0, (uint8_t *)&v, 4, false);
	ck_assert_uint_eq(v, 0xffffffffu);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 0, 0, 1, 2), 0xffff);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 0, 0, 2, 4), 0xffffffffu);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 0, 0, 0, 3), 0xffffff);
}
END_TEST

START_TEST(writes_respect_masks)
{
	pci_cfg_write(&root, 0, 3, 0, 0, 4, 0xdeadbeef); /* IDs are read-only */
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, 0, 4), 0x70008086);
	pci_cfg_write(&root, 0, 3, 0, PCI_COMMAND, 2, 0xffff);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, PCI_COMMAND, 2), 0x0547);
	root.dev[3][0]->cfg[PCI_STATUS + 1] = 0xf9; /* error bits latched */
	pci_cfg_write(&root, 0, 3, 0, PCI_STATUS, 2, 0x8000);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, PCI_STATUS, 2), 0x7900);
	pci_cfg_write(&root, 0, 3, 0, PCI_INTERRUPT_LINE, 1, 11);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, PCI_INTERRUPT_LINE, 1), 11);
	pci_cfg_write(&root, 0, 3, 0, 0x200, 4, 1); /* beyond the header: ignored */
}
END_TEST

START_TEST(multifunction_and_reset_port)
{
	ck_assert_uint_eq(cf8_read(0, 3, 0, PCI_HEADER_TYPE, 1) & 0x80, 0x80);
	ck_assert_uint_eq(cf8_read(0, 0, 0, PCI_HEADER_TYPE, 1) & 0x80, 0);
	uint8_t v = 0x06;
	pci_cf8_io(&root, 1, &v, 1, true);
	ck_assert_uint_eq(resets, 1);
	ck_assert_uint_eq(reset_val, 0x06);
	ck_assert_ptr_null(pci_dev_add(&root, 3, 0, NULL)); /* slot in use */
	ck_assert_ptr_null(pci_dev_add(&root, 32, 0, NULL));
}
END_TEST

static void cf8_write(uint32_t a)
{
	pci_cf8_io(&root, 0, (uint8_t *)&a, 4, true);
}

static uint32_t cf8_get(void)
{
	uint32_t a = 0;
	pci_cf8_io(&root, 0, (uint8_t *)&a, 4, false);
	return a;
}

static void cfc_write(unsigned off, unsigned size, uint32_t v)
{
	pci_cfc_io(&root, off, (uint8_t *)&v, size, true);
}

static uint32_t cfc_get(unsigned off, unsigned size)
{
	uint32_t v = 0;
	pci_cfc_io(&root, off, (uint8_t *)&v, size, false);
	return v;
}

/* Every width at every offset of the CFC window, against the same dword. */
START_TEST(cfc_every_width_and_offset)
{
	struct pci_dev *d = root.dev[3][0];
	pci_set_ids(d, 0x8086, 0x7000, 0x06, 0x01, 0x80, 0x02);
	const uint32_t dw[2] = {0x70008086, 0x06018002};
	for (unsigned r = 0; r < 2; r++) {
		cf8_write(0x80000000u | 3 << 11 | r * 8);
		ck_assert_uint_eq(cfc_get(0, 4), dw[r]);
		for (unsigned o = 0; o < 4; o++)
			ck_assert_uint_eq(cfc_get(o, 1), (dw[r] >> (8 * o)) & 0xff);
		ck_assert_uint_eq(cfc_get(0, 2), dw[r] & 0xffff);
		ck_assert_uint_eq(cfc_get(2, 2), dw[r] >> 16);
		/* misaligned: all ones, and nothing written */
		ck_assert_uint_eq(cfc_get(1, 2), 0xffff);
		ck_assert_uint_eq(cfc_get(3, 2), 0xffff);
		ck_assert_uint_eq(cfc_get(1, 4), 0xffffffffu);
	}
	/* the same bytes through ECAM */
	ck_assert_uint_eq(ecam_read(0, 3, 0, 8, 4), dw[1]);
	ck_assert_uint_eq(ecam_read(0, 3, 0, 9, 1), 0x80);
	ck_assert_uint_eq(ecam_read(0, 3, 0, 0x0b, 1), 0x06);
	ck_assert_uint_eq(ecam_read(0, 3, 0, 1, 2), 0xffff);
	uint64_t q = 0;
	pci_ecam_mmio(&root, 3 << 15, (uint8_t *)&q, 8, false); /* 8-byte: undefined, ones */
	ck_assert_uint_eq(q, UINT64_MAX);
	/* bus 1 through CONFIG_ADDRESS: absent */
	cf8_write(0x80000000u | 1 << 16 | 3 << 11);
	ck_assert_uint_eq(cfc_get(0, 4), 0xffffffffu);
	ck_assert_uint_eq(cfc_get(2, 2), 0xffff);
	ck_assert_uint_eq(cfc_get(3, 1), 0xff);
}
END_TEST

START_TEST(config_address_register)
{
	cf8_write(0x80001808u);
	ck_assert_uint_eq(cf8_get(), 0x80001808u);
	cf8_write(0x80001803u); /* bits 1:0 are not part of the register number */
	ck_assert_uint_eq(cf8_get(), 0x80001800u);
	/* byte accesses to 0xCF8 and 0xCFA/0xCFB do not touch it */
	uint8_t b = 0x12;
	pci_cf8_io(&root, 0, &b, 1, true);
	pci_cf8_io(&root, 2, &b, 1, true);
	pci_cf8_io(&root, 3, &b, 1, true);
	ck_assert_uint_eq(cf8_get(), 0x80001800u);
	pci_cf8_io(&root, 2, &b, 1, false);
	ck_assert_uint_eq(b, 0xff);
	uint16_t w = 0;
	pci_cf8_io(&root, 0, (uint8_t *)&w, 2, false);
	ck_assert_uint_eq(w, 0xffff);
	/* 0xCF9 reads as 0 and is not a CONFIG_ADDRESS byte */
	b = 0xaa;
	pci_cf8_io(&root, 1, &b, 1, false);
	ck_assert_uint_eq(b, 0);
	ck_assert_uint_eq(resets, 0);
	/* only a byte access is the reset register */
	uint16_t rw = 0x0606;
	pci_cf8_io(&root, 1, (uint8_t *)&rw, 2, true);
	ck_assert_uint_eq(resets, 0);
	pci_cf8_io(&root, 1, (uint8_t *)&rw, 2, false);
	ck_assert_uint_eq(rw, 0xffff);
	/* enable bit clear: CFC reads ones and writes go nowhere */
	cf8_write(0x00001804u);
	ck_assert_uint_eq(cfc_get(0, 4), 0xffffffffu);
	cfc_write(0, 2, 0x0007);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, PCI_COMMAND, 2), 0);
	/* enabled: the command register takes the write */
	cf8_write(0x80001804u);
	cfc_write(0, 2, 0x0007);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, PCI_COMMAND, 2), 0x0007);
	ck_assert_uint_eq(cfc_get(0, 4), 0x00000007u);
	/* no reset hook installed: a write to 0xCF9 is harmless */
	root.reset_write = NULL;
	b = 0x06;
	pci_cf8_io(&root, 1, &b, 1, true);
	ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(read_only_header_bytes)
{
	struct pci_dev *d = root.dev[3][0];
	uint8_t before[PCI_CFG_SIZE];
	memcpy(before, d->cfg, sizeof(before));
	/* every byte of the header written with all ones, one byte at a time */
	for (unsigned o = 0; o < 0x40; o++)
		pci_cfg_write(&root, 0, 3, 0, o, 1, 0xff);
	for (unsigned o = 0; o < 0x40; o++) {
		uint8_t want = before[o];
		if (o == PCI_COMMAND)
			want = 0x47;
		else if (o == PCI_COMMAND + 1)
			want = 0x05;
		else if (o == 0x0c || o == 0x0d || o == PCI_INTERRUPT_LINE)
			want = 0xff;
		ck_assert_msg(d->cfg[o] == want, "config byte %#x: %#x, expected %#x", o,
			      d->cfg[o], want);
	}
	ck_assert_uint_eq(d->cfg[PCI_HEADER_TYPE], 0x80);
	/* ECAM writes follow the same masks */
	uint32_t v = 0;
	pci_ecam_mmio(&root, 3 << 15 | PCI_COMMAND, (uint8_t *)&v, 2, true);
	ck_assert_uint_eq(pci_get16(d, PCI_COMMAND), 0);
	v = 0xffffffff;
	pci_ecam_mmio(&root, 3 << 15 | 0x08, (uint8_t *)&v, 4, true);
	ck_assert_uint_eq(ecam_read(0, 3, 0, 8, 4), 0x06010000);
	/* misaligned writes are dropped whole */
	pci_cfg_write(&root, 0, 3, 0, PCI_COMMAND + 1, 2, 0xffff);
	pci_cfg_write(&root, 0, 3, 0, PCI_COMMAND + 2, 4, 0xffffffff);
	ck_assert_uint_eq(pci_get16(d, PCI_COMMAND), 0);
}
END_TEST

START_TEST(status_write_one_to_clear)
{
	struct pci_dev *d = root.dev[0][0];
	pci_put16(d, PCI_STATUS, 0xf910); /* all error bits + capability list */
	/* writing zeros changes nothing */
	pci_cfg_write(&root, 0, 0, 0, PCI_STATUS, 2, 0);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 0, 0, PCI_STATUS, 2), 0xf910);
	/* ones clear only the error bits they hit; the capability bit is read-only */
	pci_cfg_write(&root, 0, 0, 0, PCI_STATUS, 2, 0x0110);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 0, 0, PCI_STATUS, 2), 0xf810);
	/* a dword write to COMMAND/STATUS sets command bits and clears status bits */
	pci_cfg_write(&root, 0, 0, 0, PCI_COMMAND, 4, 0x28000006);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 0, 0, PCI_COMMAND, 4), 0xd0100006);
	pci_cfg_write(&root, 0, 0, 0, PCI_STATUS + 1, 1, 0xff);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 0, 0, PCI_STATUS, 2), 0x0010);
}
END_TEST

START_TEST(multifunction_each_slot)
{
	struct pci_root r2;
	ck_assert_int_eq(pci_root_init(&r2), 0);
	/* slot 5: function 0 plus function 7; slot 6: function 0 only */
	ck_assert_ptr_nonnull(pci_dev_add(&r2, 5, 0, NULL));
	ck_assert_ptr_nonnull(pci_dev_add(&r2, 5, 7, NULL));
	ck_assert_ptr_nonnull(pci_dev_add(&r2, 6, 0, NULL));
	ck_assert_ptr_null(pci_dev_add(&r2, 6, 8, NULL));
	pci_root_finish(&r2);
	ck_assert_uint_eq(pci_cfg_read(&r2, 0, 5, 0, PCI_HEADER_TYPE, 1), 0x80);
	ck_assert_uint_eq(pci_cfg_read(&r2, 0, 5, 7, PCI_HEADER_TYPE, 1), 0x00);
	ck_assert_uint_eq(pci_cfg_read(&r2, 0, 6, 0, PCI_HEADER_TYPE, 1), 0x00);
	ck_assert_uint_eq(pci_cfg_read(&r2, 0, 5, 3, 0, 4), 0xffffffffu);
	ck_assert_uint_eq(pci_cfg_read(&r2, 0, 32, 0, 0, 4), 0xffffffffu);
	ck_assert_uint_eq(pci_cfg_read(&r2, 0, 5, 8, 0, 2), 0xffff);
	pci_root_fini(&r2);
}
END_TEST

START_TEST(capability_list)
{
	struct pci_dev *d = root.dev[3][2];
	ck_assert_uint_eq(d->cap_free, 0x40);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, PCI_CAPABILITY_LIST, 1), 0);
	const uint8_t a[12] = {PCI_CAP_ID_VNDR, 0xee, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	const uint8_t b[5] = {PCI_CAP_ID_VNDR, 0, 5, 0xaa, 0xbb};
	const uint8_t bw[5] = {0xff, 0xff, 0, 0xf0, 0};
	ck_assert_int_eq(pci_cap_add(d, a, sizeof(a), NULL), 0x40);
	ck_assert_int_eq(pci_cap_add(d, b, sizeof(b), bw), 0x4c);
	ck_assert_int_eq(pci_cap_add(d, a, 2, NULL), 0x54); /* after 5 bytes: 4-byte aligned */
	ck_assert_int_eq(pci_cap_add(d, a, 1, NULL), -EINVAL);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST,
			  PCI_STATUS_CAP_LIST);
	/* walk it as a guest does */
	unsigned want[] = {0x40, 0x4c, 0x54}, n = 0;
	unsigned p = pci_cfg_read(&root, 0, 3, 2, PCI_CAPABILITY_LIST, 1);
	while (p && n < 48) {
		ck_assert_uint_lt(n, 3);
		ck_assert_uint_eq(p, want[n]);
		ck_assert_uint_eq(p % 4, 0);
		ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, p, 1), PCI_CAP_ID_VNDR);
		p = pci_cfg_read(&root, 0, 3, 2, p + 1, 1);
		n++;
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, 0x40, 4), 0x010c4c09);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, 0x48, 4), 0x09080706);
	/* the body as given, ID and next pointer read-only even when wmask says otherwise */
	pci_cfg_write(&root, 0, 3, 2, 0x4c, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, 0x4c, 4), 0xfa055409);
	pci_cfg_write(&root, 0, 3, 2, 0x40, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, 0x40, 4), 0x010c4c09);
	/* fill to the end of the 256 bytes exactly, then no more */
	uint8_t big[168] = {PCI_CAP_ID_VNDR};
	ck_assert_int_eq(pci_cap_add(d, big, 172, NULL), -ENOSPC);
	ck_assert_int_eq(pci_cap_add(d, big, 168, NULL), 0x58);
	ck_assert_int_eq(pci_cap_add(d, big, 2, NULL), -ENOSPC);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, 0x55, 1), 0x58);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 2, 0x59, 1), 0);
}
END_TEST

/* INTx: levels reach intx_set, the disable bit holds the line low, status follows the level. */
static unsigned nlevels;
static unsigned lv_gsi[16];
static int lv_level[16];

static void fake_intx(void *arg, unsigned gsi, int level)
{
	ck_assert_ptr_eq(arg, &root);
	if (nlevels < 16) {
		lv_gsi[nlevels] = gsi;
		lv_level[nlevels] = level;
	}
	nlevels++;
}

static unsigned status_int(unsigned slot)
{
	return pci_cfg_read(&root, 0, slot, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;
}

START_TEST(intx_levels_and_disable)
{
	root.intx_set = fake_intx;
	root.irq_arg = &root;
	nlevels = 0;
	struct pci_dev *d = root.dev[3][0];
	unsigned gsi = acpi_pci_intx_gsi(3, 0);
	ck_assert_uint_eq(d->intx_gsi, gsi);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, PCI_INTERRUPT_LINE, 1), gsi);
	ck_assert_uint_eq(root.dev[0][0]->intx_gsi, acpi_pci_intx_gsi(0, 0));
	pci_intx_set(d, 1);
	ck_assert_uint_eq(nlevels, 1);
	ck_assert(lv_gsi[0] == gsi && lv_level[0] == 1);
	ck_assert_uint_eq(status_int(3), PCI_STATUS_INTERRUPT);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 3, 0, PCI_COMMAND, 4) >> 16, PCI_STATUS_INTERRUPT);
	pci_intx_set(d, 1); /* no change, no call */
	ck_assert_uint_eq(nlevels, 1);
	/* disable: the line drops, the status bit stays */
	pci_cfg_write(&root, 0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	ck_assert_uint_eq(nlevels, 2);
	ck_assert(lv_gsi[1] == gsi && lv_level[1] == 0);
	ck_assert_uint_eq(status_int(3), PCI_STATUS_INTERRUPT);
	pci_intx_set(d, 0);
	ck_assert_uint_eq(status_int(3), 0);
	pci_intx_set(d, 1);
	ck_assert_uint_eq(nlevels, 2);
	/* the status bit is read-only to the guest */
	pci_cfg_write(&root, 0, 3, 0, PCI_STATUS, 2, 0xffff);
	ck_assert_uint_eq(status_int(3), PCI_STATUS_INTERRUPT);
	ck_assert_uint_eq(d->cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT, 0);
	/* enable again while asserted: the line rises */
	pci_cfg_write(&root, 0, 3, 0, PCI_COMMAND + 1, 1, 0);
	ck_assert_uint_eq(nlevels, 3);
	ck_assert(lv_gsi[2] == gsi && lv_level[2] == 1);
	/* a byte write to the low command byte leaves INTx alone */
	pci_cfg_write(&root, 0, 3, 0, PCI_COMMAND, 1, PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(nlevels, 3);
	pci_intx_set(d, 0);
	ck_assert_uint_eq(nlevels, 4);
	ck_assert_int_eq(lv_level[3], 0);
	/* release deasserts */
	pci_intx_set(d, 1);
	pci_dev_release_irqs(d);
	ck_assert_uint_eq(nlevels, 6);
	ck_assert_int_eq(lv_level[5], 0);
	ck_assert_uint_eq(status_int(3), 0);
}
END_TEST

/* Slots 3 and 11 share a GSI: it stays asserted while either drives it. */
START_TEST(intx_shared_line)
{
	root.intx_set = fake_intx;
	root.irq_arg = &root;
	nlevels = 0;
	struct pci_dev *a = root.dev[3][0], *b = pci_dev_add(&root, 11, 0, NULL);
	ck_assert_uint_eq(a->intx_gsi, b->intx_gsi);
	pci_intx_set(a, 1);
	pci_intx_set(b, 1);
	ck_assert_uint_eq(nlevels, 1);
	pci_intx_set(a, 0);
	ck_assert_uint_eq(nlevels, 1);
	pci_cfg_write(&root, 0, 11, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	ck_assert_uint_eq(nlevels, 2);
	ck_assert_int_eq(lv_level[1], 0);
	pci_intx_set(a, 1);
	ck_assert_uint_eq(nlevels, 3);
	pci_cfg_write(&root, 0, 11, 0, PCI_COMMAND, 2, 0);
	pci_intx_set(a, 0);
	ck_assert_uint_eq(nlevels, 3);
	pci_intx_set(b, 0);
	ck_assert_uint_eq(nlevels, 4);
	ck_assert_int_eq(lv_level[3], 0);
	ck_assert_uint_eq(root.intx_count[a->intx_gsi], 0);
}
END_TEST

/* A device's cfg_access hook sees accesses first and may take them over. */
static unsigned hook_calls;

static bool hook(struct pci_dev *dev, unsigned off, unsigned size, uint32_t *val, bool is_write)
{
	hook_calls++;
	if (off != 0x80)
		return false;
	if (!is_write)
		*val = 0x12345678;
	return true;
}

START_TEST(cfg_access_hook)
{
	static const struct pci_devemu emu = {.name = "hook", .cfg_access = hook};
	struct pci_dev *d = pci_dev_add(&root, 9, 0, &emu);
	d->wmask[0x80] = 0xff;
	hook_calls = 0;
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 9, 0, 0x80, 4), 0x12345678);
	pci_cfg_write(&root, 0, 9, 0, 0x80, 4, 0xff);
	ck_assert_uint_eq(d->cfg[0x80], 0); /* taken by the hook */
	pci_cfg_write(&root, 0, 9, 0, 0x84, 4, 0xff);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 9, 0, 0x0, 4), 0);
	ck_assert_uint_eq(hook_calls, 4);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("config space");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ids_through_both_mechanisms);
	tcase_add_test(tc, enable_bit_and_misaligned);
	tcase_add_test(tc, writes_respect_masks);
	tcase_add_test(tc, multifunction_and_reset_port);
	tcase_add_test(tc, cfc_every_width_and_offset);
	tcase_add_test(tc, config_address_register);
	tcase_add_test(tc, read_only_header_bytes);
	tcase_add_test(tc, status_write_one_to_clear);
	tcase_add_test(tc, multifunction_each_slot);
	tcase_add_test(tc, capability_list);
	tcase_add_test(tc, intx_levels_and_disable);
	tcase_add_test(tc, intx_shared_line);
	tcase_add_test(tc, cfg_access_hook);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
