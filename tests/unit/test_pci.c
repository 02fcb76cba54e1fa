// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <string.h>

#include "check_main.h"
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

static Suite *suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("config space");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ids_through_both_mechanisms);
	tcase_add_test(tc, enable_bit_and_misaligned);
	tcase_add_test(tc, writes_respect_masks);
	tcase_add_test(tc, multifunction_and_reset_port);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
