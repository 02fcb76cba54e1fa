// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/acpi.h"
#include "khyve/aml.h"

#define BASE 0xe0000
static uint8_t buf[0x10000];

static const struct acpi_layout layout = {
	.base_gpa = BASE, .ncpus = 4, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
	.ioapic_id = 4, .ecam_base = 0xe0000000, .ecam_last_bus = 0, .pci_io_base = 0xd000,
	.pci_io_size = 0x3000, .pci_mem32_base = 0xc0000000, .pci_mem32_size = 0x20000000,
	.pci_mem64_base = 0x10000000000ull, .pci_mem64_size = 0x1000000000ull,
	.pci_slot_mask = 0xffffffffu,
};

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}
static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t u64(const uint8_t *p)
{
	return u32(p) | (uint64_t)u32(p + 4) << 32;
}
static const uint8_t *at(uint64_t gpa)
{
	ck_assert_uint_ge(gpa, BASE);
	ck_assert_uint_lt(gpa, BASE + sizeof(buf));
	return buf + (gpa - BASE);
}

/* Find a table through RSDP → XSDT, checking every checksum on the way. */
static const uint8_t *find(const char *sig)
{
	uint64_t rsdp;
	ck_assert_int_gt(acpi_build(&layout, buf, sizeof(buf), &rsdp), 0);
	const uint8_t *r = at(rsdp);
	ck_assert_mem_eq(r, "RSD PTR ", 8);
	ck_assert_uint_eq(sum(r, 20), 0);
	ck_assert_uint_eq(sum(r, 36), 0);
	ck_assert_uint_eq(r[15], 2);
	const uint8_t *x = at(u64(r + 24));
	ck_assert_mem_eq(x, "XSDT", 4);
	ck_assert_uint_eq(sum(x, u32(x + 4)), 0);
	for (uint32_t off = 36; off < u32(x + 4); off += 8) {
		const uint8_t *t = at(u64(x + off));
		ck_assert_uint_eq(sum(t, u32(t + 4)), 0);
		if (memcmp(t, sig, 4) == 0)
			return t;
		if (memcmp(t, "FACP", 4) == 0 && strcmp(sig, "DSDT") == 0) {
			const uint8_t *d = at(u64(t + 140));
			ck_assert_uint_eq(sum(d, u32(d + 4)), 0);
			return d;
		}
	}
	return NULL;
}

START_TEST(fadt)
{
	const uint8_t *f = find("FACP");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(u32(f + 4), 276);
	ck_assert_uint_eq(f[46], ACPI_SCI_IRQ);
	ck_assert_uint_eq(u32(f + 48), 0); /* SMI_CMD: always ACPI */
	ck_assert_uint_eq(u32(f + 56), ACPI_PM1A_EVT_PORT);
	ck_assert_uint_eq(u32(f + 64), ACPI_PM1A_CNT_PORT);
	ck_assert_uint_eq(u32(f + 76), 0); /* no PM timer */
	ck_assert_uint_eq(f[88], 4);
	ck_assert_uint_eq(f[89], 2);
	uint32_t flags = u32(f + 112);
	ck_assert_uint_eq(flags & (1u << 10), 1u << 10); /* reset register supported */
	ck_assert_uint_eq(flags & (1u << 4), 0);	   /* fixed power button present */
	ck_assert_uint_eq(f[116], 1);			   /* reset register in I/O space */
	ck_assert_uint_eq(u64(f + 120), ACPI_RESET_PORT);
	ck_assert_uint_eq(f[128], ACPI_RESET_VALUE);
	ck_assert_uint_eq(f[109] & 2, 0); /* no 8042 */
	ck_assert_uint_eq(u64(f + 152), ACPI_PM1A_EVT_PORT);
	ck_assert_uint_eq(u64(f + 176), ACPI_PM1A_CNT_PORT);
	ck_assert_mem_eq(at(u64(f + 132)), "FACS", 4);
	ck_assert_uint_eq(u64(f + 132) % 64, 0);
}
END_TEST

START_TEST(madt_and_mcfg)
{
	const uint8_t *m = find("APIC");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(u32(m + 36), 0xfee00000);
	int lapics = 0, isos = 0, ioapics = 0;
	for (uint32_t off = 44; off < u32(m + 4); off += m[off + 1]) {
		const uint8_t *e = m + off;
		ck_assert_uint_gt(e[1], 0);
		if (e[0] == 0) {
			ck_assert_uint_eq(e[3], lapics); /* APIC IDs 0..3 */
			ck_assert_uint_eq(u32(e + 4) & 1, 1);
			lapics++;
		} else if (e[0] == 1) {
			ck_assert_uint_eq(e[2], 4);
			ck_assert_uint_eq(u32(e + 4), 0xfec00000);
			ioapics++;
		} else if (e[0] == 2) {
			if (e[3] == 0)
				ck_assert_uint_eq(u32(e + 4), 2);
			else
				ck_assert_uint_eq(e[8] | e[9] << 8, 0x000d);
			isos++;
		}
	}
	ck_assert_int_eq(lapics, 4);
	ck_assert_int_eq(ioapics, 1);
	ck_assert_int_eq(isos, 2);
	const uint8_t *c = find("MCFG");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(u64(c + 44), 0xe0000000);
	ck_assert_uint_eq(c[55], 0);
}
END_TEST

START_TEST(dsdt)
{
	const uint8_t *d = find("DSDT");
	ck_assert_ptr_nonnull(d);
	size_t len = u32(d + 4);
	/* \_S5_ is a Package whose first element is 5 */
	const uint8_t s5[] = {0x08, '\\', '_', 'S', '5', '_', 0x12};
	const uint8_t *p = memmem(d, len, s5, sizeof(s5));
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p[sizeof(s5) + 1], 2);    /* two elements */
	ck_assert_uint_eq(p[sizeof(s5) + 2], 0x0a); /* BytePrefix */
	ck_assert_uint_eq(p[sizeof(s5) + 3], 5);
	ck_assert_ptr_nonnull(memmem(d, len, "PCI0", 4));
	const uint8_t hid[] = {0x0c, 0x41, 0xd0, 0x0a, 0x08}; /* EisaId("PNP0A08") */
	ck_assert_ptr_nonnull(memmem(d, len, hid, sizeof(hid)));
	/* _PRT: 32 slots x 4 pins */
	const uint8_t *prt = memmem(d, len, "_PRT", 4);
	ck_assert_ptr_nonnull(prt);
	ck_assert_uint_eq(prt[4], 0x12);
	unsigned pl = (prt[5] >> 6) + 1;
	ck_assert_uint_eq(prt[5 + pl], 128);
}
END_TEST

START_TEST(iasl_accepts_dsdt)
{
	if (access("/usr/bin/iasl", X_OK) != 0) {
		printf("iasl not installed: DSDT disassembly check not run\n");
		return;
	}
	const uint8_t *d = find("DSDT");
	char path[] = "/tmp/khyve-dsdt-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_eq(write(fd, d, u32(d + 4)), (ssize_t)u32(d + 4));
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cd /tmp && iasl -d %s > %s.log 2>&1", path, path);
	int rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "grep -q 'Device (PCI0)' %s.dsl && grep -q '_S5' %s.dsl", path, path);
	int rc2 = system(cmd);
	snprintf(cmd, sizeof(cmd), "rm -f %s %s.log %s.dsl", path, path, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(rc2, 0);
}
END_TEST

START_TEST(bad_layouts)
{
	uint64_t rsdp;
	struct acpi_layout l = layout;
	ck_assert_int_eq(acpi_build(&l, buf, 200, &rsdp), -ENOSPC);
	l.ncpus = 0;
	ck_assert_int_eq(acpi_build(&l, buf, sizeof(buf), &rsdp), -EINVAL);
	l = layout;
	l.pci_io_base = 0x100;
	ck_assert_int_eq(acpi_build(&l, buf, sizeof(buf), &rsdp), -EINVAL);
}
END_TEST

START_TEST(aml_encodings)
{
	uint8_t b[64], enc[4];
	struct aml a;
	aml_init(&a, b, sizeof(b));
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 0xff);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x10000);
	aml_integer(&a, 0x100000000ull);
	const uint8_t want[] = {0x00, 0x01, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0c, 0x00, 0x00,
				0x01, 0x00, 0x0e, 0, 0, 0, 0, 1, 0, 0, 0};
	ck_assert_uint_eq(a.len, sizeof(want));
	ck_assert_mem_eq(b, want, sizeof(want));
	ck_assert_uint_eq(aml_eisaid("PNP0A03"), 0x030ad041);
	ck_assert_uint_eq(aml_pkglength(enc, 62), 1);
	ck_assert_uint_eq(enc[0], 63);
	ck_assert_uint_eq(aml_pkglength(enc, 63), 2);
	ck_assert_uint_eq(enc[0], 0x40 | (65 & 0xf));
	ck_assert_uint_eq(enc[1], 65 >> 4);
	ck_assert_uint_eq(aml_pkglength(enc, 4093), 2);
	ck_assert_uint_eq(aml_pkglength(enc, 4094), 3);
	ck_assert_uint_eq(aml_pkglength(enc, (1u << 20) - 4), 3);
	ck_assert_uint_eq(aml_pkglength(enc, (1u << 20) - 3), 4);
	aml_init(&a, b, sizeof(b));
	aml_name_string(&a, "\\_SB_.PCI0");
	ck_assert_mem_eq(b, "\\\x2e_SB_PCI0", 10);
	aml_init(&a, b, 4);
	aml_string(&a, "too long");
	ck_assert(a.overflow);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("tables");
	tcase_add_test(tc, fadt);
	tcase_add_test(tc, madt_and_mcfg);
	tcase_add_test(tc, dsdt);
	tcase_add_test(tc, iasl_accepts_dsdt);
	tcase_add_test(tc, bad_layouts);
	tcase_add_test(tc, aml_encodings);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
