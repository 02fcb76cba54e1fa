// SPDX-License-Identifier: BSD-2-Clause
/*
 * ACPI tables, read back the way an OS does (acpi_reader.c): every checksum
 * and length, then each table decoded, the DSDT through its namespace.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi_reader.h"
#include "check_main.h"
#include "khyve/acpi.h"

static const struct acpi_layout typical = {
    .base_gpa = BASE,
    .ncpus = 4,
    .lapic_addr = 0xfee00000,
    .ioapic_addr = 0xfec00000,
    .ioapic_id = 4,
    .ecam_base = 0xe0000000,
    .ecam_last_bus = 255,
    .pci_io_base = 0xd000,
    .pci_io_size = 0x3000,
    .pci_mem32_base = 0xc0000000,
    .pci_mem32_size = 0x20000000,
    .pci_mem64_base = 0x10000000000ull,
    .pci_mem64_size = 0x1000000000ull,
    .pci_slot_mask = 0xffffffffu,
};

/* ---- tests ---- */

START_TEST(rsdp_xsdt_and_headers)
{
	struct tables t = walk(&typical);
	ck_assert_uint_eq(rsdp_gpa, BASE);
	ck_assert_mem_eq(t.rsdp + 9, "KHYVE ", 6);
	ck_assert_uint_eq(le(t.xsdt + 4, 4), 36 + 3 * 8);
	const uint8_t *tabs[] = {t.xsdt, t.fadt, t.dsdt, t.madt, t.mcfg};
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_mem_eq(tabs[i] + 10, "KHYVE ", 6);
		ck_assert_uint_eq((tabs[i] - buf) % 8, 0);
	}
	/* Nothing past the returned length was touched. */
	for (long i = used; i < BUFSZ; i++)
		ck_assert_uint_eq(buf[i], 0xa5);

	struct acpi_layout l = typical;
	l.oem_id = "ABC";
	t = walk(&l);
	ck_assert_mem_eq(t.rsdp + 9, "ABC   ", 6);
	ck_assert_mem_eq(t.madt + 10, "ABC   ", 6);
	l.oem_id = "TOOLONGID";
	t = walk(&l);
	ck_assert_mem_eq(t.dsdt + 10, "TOOLON", 6);
}
END_TEST

START_TEST(fadt)
{
	struct tables t = walk(&typical);
	const uint8_t *f = t.fadt;
	ck_assert_uint_eq(le(f + 4, 4), 276);
	ck_assert_uint_eq(f[8], 6);
	ck_assert_uint_eq(le(f + 36, 4), le(f + 132, 8)); /* FIRMWARE_CTRL == X_ */
	ck_assert_uint_eq(le(f + 40, 4), le(f + 140, 8)); /* DSDT == X_DSDT */
	ck_assert_uint_eq(le(f + 46, 2), ACPI_SCI_IRQ);
	ck_assert_uint_eq(le(f + 48, 4), 0); /* SMI_CMD: always in ACPI mode */
	ck_assert_uint_eq(le(f + 56, 4), ACPI_PM1A_EVT_PORT);
	ck_assert_uint_eq(le(f + 64, 4), ACPI_PM1A_CNT_PORT);
	ck_assert_uint_eq(le(f + 60, 4) | le(f + 76, 4) | le(f + 80, 4), 0); /* PM1b, timer, GPE0 */
	ck_assert_uint_eq(f[88], 4);
	ck_assert_uint_eq(f[89], 2);
	ck_assert_uint_eq(f[91], 0);
	ck_assert_uint_eq(f[108], ACPI_RTC_CENTURY);

	uint16_t boot = (uint16_t)le(f + 109, 2);
	ck_assert_uint_eq(boot & (1u << 1), 0);	      /* no 8042 */
	ck_assert_uint_eq(boot & (1u << 2), 1u << 2); /* VGA not present */
	ck_assert_uint_eq(boot & (1u << 3), 0);	      /* MSI supported */
	ck_assert_uint_eq(boot & (1u << 5), 0);	      /* CMOS RTC present */
	uint32_t flags = (uint32_t)le(f + 112, 4);
	ck_assert_uint_eq(flags & (1u << 4), 0);	 /* fixed power button present */
	ck_assert_uint_eq(flags & (1u << 5), 1u << 5);	 /* no sleep button */
	ck_assert_uint_eq(flags & (1u << 10), 1u << 10); /* reset register supported */
	ck_assert_uint_eq(flags & (1u << 20), 0);	 /* not hardware-reduced */

	/* RESET_REG: I/O space, 8 bits, byte access, port 0xcf9; value 6. */
	const uint8_t reset[12] = {1, 8, 0, 1, ACPI_RESET_PORT & 0xff, ACPI_RESET_PORT >> 8};
	ck_assert_mem_eq(f + 116, reset, 12);
	ck_assert_uint_eq(f[128], ACPI_RESET_VALUE);
	/* X_PM1a blocks: I/O space, widths matching PM1_EVT_LEN/PM1_CNT_LEN (Linux compares). */
	const uint8_t evt[12] = {1, 32, 0, 2, ACPI_PM1A_EVT_PORT & 0xff, ACPI_PM1A_EVT_PORT >> 8};
	const uint8_t cnt[12] = {1, 16, 0, 2, ACPI_PM1A_CNT_PORT & 0xff, ACPI_PM1A_CNT_PORT >> 8};
	ck_assert_mem_eq(f + 148, evt, 12);
	ck_assert_mem_eq(f + 172, cnt, 12);
	ck_assert_uint_eq(le(f + 208, 8), 0); /* no X_PM_TMR_BLK */
	ck_assert_mem_eq(f + 268, "KHYVE", 5);

	/* FACS: 64 bytes, 64-byte aligned, version 2. */
	ck_assert_uint_eq(le(f + 132, 8) % 64, 0);
	ck_assert_mem_eq(t.facs, "FACS", 4);
	ck_assert_uint_eq(le(t.facs + 4, 4), 64);
	ck_assert_uint_eq(t.facs[32], 2);
}
END_TEST

START_TEST(madt)
{
	struct tables t = walk(&typical);
	const uint8_t *m = t.madt;
	ck_assert_uint_eq(le(m + 36, 4), 0xfee00000);
	ck_assert_uint_eq(le(m + 40, 4) & 1, 1); /* PCAT_COMPAT */
	/* Every entry is one of these, byte for byte; LAPICs count up from APIC ID 0. */
	static const uint8_t ioapic[] = {1, 12, 4, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0};
	static const uint8_t iso0[] = {2, 10, 0, 0, 2, 0, 0, 0, 0, 0};	  /* IRQ0 -> GSI2 */
	static const uint8_t iso9[] = {2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0}; /* SCI level, high */
	static const uint8_t nmi[] = {4, 6, 0xff, 0, 0, 1};		  /* LINT1, all CPUs */
	const uint8_t *want[] = {ioapic, iso0, iso9, nmi};
	unsigned seen[4] = {0}, lapics = 0;
	uint32_t len = (uint32_t)le(m + 4, 4), off;
	for (off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;
		ck_assert_uint_ge(e[1], 2);
		ck_assert_uint_le(off + e[1], len);
		if (e[0] == 0) {
			const uint8_t lapic[] = {0, 8, (uint8_t)lapics, (uint8_t)lapics, 1, 0,
						 0, 0};
			ck_assert_mem_eq(e, lapic, sizeof(lapic));
			lapics++;
			continue;
		}
		unsigned k = 0;
		while (k < 4 && (want[k][0] != e[0] || want[k][3] != e[3]))
			k++;
		ck_assert_msg(k < 4, "unexpected MADT entry type %u", e[0]);
		ck_assert_mem_eq(e, want[k], want[k][1]);
		seen[k]++;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(lapics, 4);
	for (unsigned k = 0; k < 4; k++)
		ck_assert_uint_eq(seen[k], 1);

	/* 255 vCPUs (the most xAPIC entries can name) still fit; 0 and 256 do not. */
	struct acpi_layout l = typical;
	l.ncpus = 255;
	t = walk(&l);
	ck_assert_uint_eq(le(t.madt + 4, 4), 44 + 8 * 255 + 12 + 2 * 10 + 6);
	ck_assert_uint_eq(t.madt[44 + 8 * 254 + 3], 254);
	uint64_t r;
	l.ncpus = 0;
	ck_assert_int_eq(acpi_build(&l, buf, BUFSZ, &r), -EINVAL);
	l.ncpus = 256;
	ck_assert_int_eq(acpi_build(&l, buf, BUFSZ, &r), -EINVAL);
}
END_TEST

START_TEST(mcfg)
{
	struct tables t = walk(&typical);
	ck_assert_uint_eq(le(t.mcfg + 4, 4), 60);
	ck_assert_uint_eq(le(t.mcfg + 44, 8), 0xe0000000);
	ck_assert_uint_eq(le(t.mcfg + 52, 4), 0xff000000u); /* segment 0, buses 0..255 */
	struct acpi_layout l = typical;
	l.ecam_last_bus = 0;
	t = walk(&l);
	ck_assert_uint_eq(t.mcfg[55], 0);
}
END_TEST

START_TEST(dsdt_s5_and_names)
{
	struct tables t = walk(&typical);
	size_t len = le(t.dsdt + 4, 4);
	/* The raw form too: Name(\_S5_, Package(2){5, ...}) */
	const uint8_t s5[] = {0x08, '\\', '_', 'S', '5', '_', 0x12};
	const uint8_t *p = memmem(t.dsdt, len, s5, sizeof(s5));
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p[sizeof(s5) + 1], 2);
	ck_assert_uint_eq(intval(p + sizeof(s5) + 2), ACPI_S5_SLP_TYP);

	parse_dsdt(t.dsdt);
	unsigned n;
	const uint8_t *e = package(lookup("\\_S5_"), &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(intval(e), ACPI_S5_SLP_TYP);
	ck_assert_uint_eq(intval(e + data_len(e)), 0);

	ck_assert_ptr_nonnull(lookup("\\_SB_.PCI0"));
	ck_assert_uint_eq(intval(lookup("\\_SB_.PCI0._HID")), 0x080ad041); /* PNP0A08 */
	ck_assert_uint_eq(intval(lookup("\\_SB_.PCI0._CID")), 0x030ad041); /* PNP0A03 */
	static const char *const zero[] = {"_ADR", "_SEG", "_UID", "_BBN"};
	char path[64];
	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "\\_SB_.PCI0.%s", zero[i]);
		ck_assert_ptr_nonnull(lookup(path));
		ck_assert_uint_eq(intval(lookup(path)), 0);
	}
	ck_assert_uint_eq(intval(lookup("\\_SB_.MRES._HID")), 0x020cd041); /* PNP0C02 */
	ck_assert_ptr_null(lookup("\\_SB_.COM1"));
	ck_assert_ptr_null(lookup("\\_SB_.RTC_"));
	ck_assert_ptr_null(lookup("\\_SB_.FWCF"));
}
END_TEST

START_TEST(pci0_crs)
{
	struct res r[16];
	struct tables t = walk(&typical);
	parse_dsdt(t.dsdt);
	unsigned n = resources(lookup("\\_SB_.PCI0._CRS"), r, 16);
	ck_assert_uint_eq(n, 6);
	const struct res want[] = {
	    {'b', 0, 256, 0x0c, 0},
	    {'w', 0, 0xcf8, 0x0c, 3},
	    {'i', 0xcf8, 8, 0, 0},
	    {'w', 0xd000, 0x3000, 0x0c, 3},
	    {'m', 0xc0000000, 0x20000000, 0x0c, 1},
	    {'m', 0x10000000000ull, 0x1000000000ull, 0x0c, 1},
	};
	for (unsigned i = 0; i < n; i++) {
		want_res(&r[i], want[i].kind, want[i].min, want[i].len);
		ck_assert_uint_eq(r[i].gflags, want[i].gflags); /* producer, fixed */
		ck_assert_uint_eq(r[i].tflags, want[i].tflags);
	}
	/* The I/O ranges do not overlap: 0-0xcf7, 0xcf8-0xcff, the window. */
	ck_assert_uint_le(r[1].min + r[1].len, r[2].min);
	ck_assert_uint_le(r[2].min + r[2].len, r[3].min);

	/* No 64-bit window when it has no size; bus range follows ecam_last_bus. */
	struct acpi_layout l = typical;
	l.pci_mem64_size = 0;
	l.ecam_last_bus = 0;
	t = walk(&l);
	parse_dsdt(t.dsdt);
	n = resources(lookup("\\_SB_.PCI0._CRS"), r, 16);
	ck_assert_uint_eq(n, 5);
	want_res(&r[0], 'b', 0, 1);
	want_res(&r[4], 'm', 0xc0000000, 0x20000000);
}
END_TEST

START_TEST(prt)
{
	struct tables t = walk(&typical);
	parse_dsdt(t.dsdt);
	unsigned n, k;
	const uint8_t *e = package(lookup("\\_SB_.PCI0._PRT"), &n);
	ck_assert_uint_eq(n, 128);
	for (unsigned i = 0; i < n; i++, e += data_len(e)) {
		unsigned slot = i / 4, pin = i % 4;
		const uint8_t *f = package(e, &k);
		ck_assert_uint_eq(k, 4);
		ck_assert_uint_eq(intval(f), ((uint64_t)slot << 16) | 0xffff);
		f += data_len(f);
		ck_assert_uint_eq(intval(f), pin);
		f += data_len(f);
		ck_assert_uint_eq(intval(f), 0); /* source: GSI form */
		f += data_len(f);
		uint64_t gsi = intval(f);
		ck_assert_uint_eq(gsi, 16 + (slot + pin) % 8);
		ck_assert_uint_lt(gsi, 24); /* within the I/O APIC's pins */
	}

	/* A sparse mask describes only its slots, in order. */
	struct acpi_layout l = typical;
	l.pci_slot_mask = (1u << 0) | (1u << 3) | (1u << 31);
	t = walk(&l);
	parse_dsdt(t.dsdt);
	e = package(lookup("\\_SB_.PCI0._PRT"), &n);
	ck_assert_uint_eq(n, 12);
	static const unsigned slots[] = {0, 3, 31};
	for (unsigned i = 0; i < n; i++, e += data_len(e)) {
		const uint8_t *f = package(e, &k);
		ck_assert_uint_eq(intval(f) >> 16, slots[i / 4]);
		ck_assert_uint_eq(intval(f + data_len(f)), i % 4);
	}
}
END_TEST

START_TEST(motherboard_resources)
{
	struct res r[4];
	struct tables t = walk(&typical);
	parse_dsdt(t.dsdt);
	ck_assert_uint_eq(resources(lookup("\\_SB_.MRES._CRS"), r, 4), 1);
	want_res(&r[0], 'f', 0xe0000000, 256u << 20);
	ck_assert_uint_eq(r[0].tflags, 1); /* read-write */

	/* ECAM above 4 GiB is reserved with a consumed QWordMemory range. */
	struct acpi_layout l = typical;
	l.ecam_base = 0x8000000000ull;
	l.ecam_last_bus = 15;
	t = walk(&l);
	ck_assert_uint_eq(le(t.mcfg + 44, 8), 0x8000000000ull);
	parse_dsdt(t.dsdt);
	ck_assert_uint_eq(resources(lookup("\\_SB_.MRES._CRS"), r, 4), 1);
	want_res(&r[0], 'm', 0x8000000000ull, 16u << 20);
	ck_assert_uint_eq(r[0].gflags & 1, 1); /* consumer */
}
END_TEST

START_TEST(legacy_devices)
{
	struct res r[4];
	struct acpi_layout l = typical;
	l.com_mask = 0x5; /* COM1, COM3 */
	l.rtc = true;
	struct tables t = walk(&l);
	parse_dsdt(t.dsdt);
	ck_assert_ptr_null(lookup("\\_SB_.COM2"));
	ck_assert_ptr_null(lookup("\\_SB_.COM4"));
	static const struct {
		const char *name;
		unsigned uid, port, irq;
	} com[] = {{"COM1", 1, 0x3f8, 4}, {"COM3", 3, 0x3e8, 4}};
	char path[64];
	for (unsigned i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "\\_SB_.%s._HID", com[i].name);
		ck_assert_uint_eq(intval(lookup(path)), 0x0105d041); /* PNP0501 */
		snprintf(path, sizeof(path), "\\_SB_.%s._UID", com[i].name);
		ck_assert_uint_eq(intval(lookup(path)), com[i].uid);
		snprintf(path, sizeof(path), "\\_SB_.%s._CRS", com[i].name);
		ck_assert_uint_eq(resources(lookup(path), r, 4), 2);
		want_res(&r[0], 'i', com[i].port, 8);
		want_res(&r[1], 'q', com[i].irq, 0);
	}
	ck_assert_uint_eq(intval(lookup("\\_SB_.RTC_._HID")), 0x000bd041); /* PNP0B00 */
	ck_assert_uint_eq(resources(lookup("\\_SB_.RTC_._CRS"), r, 4), 2);
	want_res(&r[0], 'i', ACPI_RTC_PORT, 2);
	want_res(&r[1], 'q', 8, 0);
}
END_TEST

/* QEMU's fw_cfg, as Linux's qemu_fw_cfg driver finds it: _HID QEMU0002, its ports in _CRS. */
START_TEST(fw_cfg_device)
{
	struct res r[4];
	struct acpi_layout l = typical;
	l.fw_cfg = true;
	struct tables t = walk(&l);
	parse_dsdt(t.dsdt);
	const uint8_t *hid = lookup("\\_SB_.FWCF._HID");
	ck_assert_ptr_nonnull(hid);
	ck_assert_uint_eq(hid[0], 0x0d); /* a string, not an EISA ID */
	ck_assert_str_eq((const char *)hid + 1, "QEMU0002");
	ck_assert_uint_eq(intval(lookup("\\_SB_.FWCF._STA")), 0x0b);
	ck_assert_uint_eq(resources(lookup("\\_SB_.FWCF._CRS"), r, 4), 1);
	want_res(&r[0], 'i', 0x510, 12); /* selector, data, DMA address 0x514-0x51b */
	ck_assert_uint_eq(ACPI_FWCFG_PORT, 0x510);
}
END_TEST

START_TEST(bad_layouts)
{
	uint64_t r;
	struct acpi_layout l;
#define BAD(field, value)                                                                          \
	do {                                                                                       \
		l = typical;                                                                       \
		l.field = value;                                                                   \
		ck_assert_msg(acpi_build(&l, buf, BUFSZ, &r) == -EINVAL, #field " = " #value);     \
	} while (0)
	BAD(ncpus, 0);
	BAD(ncpus, 256);
	BAD(base_gpa, 0xe0008);
	BAD(base_gpa, 0x100000000ull);
	BAD(lapic_addr, 0);
	BAD(ioapic_addr, 0);
	BAD(ecam_base, 0);
	BAD(ecam_base, 0xe0080000);
	BAD(ecam_base, 0xc0000000);	  /* inside the 32-bit window */
	BAD(ecam_base, 0x10800000000ull); /* inside the 64-bit window */
	BAD(pci_io_size, 0);
	BAD(pci_io_base, 0xcf8); /* over the config ports */
	BAD(pci_io_base, 0x100);
	BAD(pci_io_base, 0xf000); /* 0xf000 + 0x3000 runs past 0xffff */
	BAD(pci_mem32_size, 0);
	BAD(pci_mem32_base, 0xf0000000); /* crosses 4 GiB */
	BAD(pci_mem64_base, 0x80000000); /* 64-bit window below 4 GiB */
	BAD(pci_mem64_base, UINT64_MAX - 0xfff);
	BAD(com_mask, 0x10);
#undef BAD
	ck_assert_int_eq(acpi_build(NULL, buf, BUFSZ, &r), -EINVAL);
	ck_assert_int_eq(acpi_build(&typical, buf, BUFSZ, NULL), -EINVAL);
	l = typical;
	l.pci_io_base = 0xd00; /* right after the config ports is fine */
	l.pci_io_size = 0xf300;
	ck_assert_int_gt(acpi_build(&l, buf, BUFSZ, &r), 0);
	/* Tables must stay below 4 GiB for the FADT's 32-bit pointers. */
	l = typical;
	l.base_gpa = 0x100000000ull - 256;
	ck_assert_int_eq(acpi_build(&l, buf, BUFSZ, &r), -EINVAL);
}
END_TEST

START_TEST(buffer_bounds)
{
	static uint8_t ref[BUFSZ], untouched[BUFSZ];
	struct acpi_layout l = typical;
	l.com_mask = 0xf;
	l.rtc = true;
	l.fw_cfg = true;
	build(&l);
	long need = used;
	memcpy(ref, buf, (size_t)need);
	uint64_t r = 0;
	ck_assert_int_eq(acpi_build(&l, buf, 200, &r), -ENOSPC);
	ck_assert_int_eq(acpi_build(&l, NULL, 0, &r), -ENOSPC);
	/* Every length short of the need fails without writing past it; the need itself works. */
	memset(untouched, 0xa5, sizeof(untouched));
	for (long len = 0; len <= need; len++) {
		memset(buf, 0xa5, (size_t)need + 64);
		long rc = acpi_build(&l, buf, (size_t)len, &r);
		ck_assert_int_eq(rc, len < need ? -ENOSPC : need);
		ck_assert_msg(memcmp(buf + len, untouched, (size_t)(need + 64 - len)) == 0,
			      "wrote past a %ld-byte buffer", len);
	}
	ck_assert_mem_eq(buf, ref, (size_t)need); /* and builds are reproducible */
}
END_TEST

/*
 * iasl must disassemble the DSDT (with every optional device) without
 * errors or warnings, and compiling that back without optimizations must
 * give our bytes again. Skipped, with a note, where iasl is not installed.
 */
START_TEST(iasl_accepts_dsdt)
{
	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		printf("iasl not installed: DSDT disassembly check not run\n");
		return;
	}
	struct acpi_layout l = typical;
	l.com_mask = 0xf;
	l.rtc = true;
	l.fw_cfg = true;
	struct tables t = walk(&l);
	char dir[] = "/tmp/khyve-dsdt-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[96], cmd[1024];
	snprintf(path, sizeof(path), "%s/dsdt.aml", dir);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	size_t len = le(t.dsdt + 4, 4);
	ck_assert_uint_eq(fwrite(t.dsdt, 1, len, f), len);
	fclose(f);
	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && iasl -d dsdt.aml >d.log 2>&1 && ! grep -qiE 'error|warning' d.log && "
	    "grep -qF 'Name (\\_S5, Package (0x02)' dsdt.dsl && "
	    "grep -q 'Device (PCI0)' dsdt.dsl && grep -q 'EisaId (\"PNP0A08\")' dsdt.dsl && "
	    "grep -q 'WordBusNumber (ResourceProducer' dsdt.dsl && "
	    "grep -q 'QWordMemory (ResourceProducer' dsdt.dsl && "
	    "grep -q 'Memory32Fixed (ReadWrite' dsdt.dsl && grep -q 'Device (COM4)' dsdt.dsl && "
	    "grep -q 'IRQNoFlags' dsdt.dsl && grep -qF 'Name (_HID, \"QEMU0002\")' dsdt.dsl && "
	    "grep -q 'IO (Decode16,' dsdt.dsl && iasl -oa -p r dsdt.dsl >c.log 2>&1 && "
	    "grep -q 'Compilation successful. 0 Errors' c.log && "
	    /* the one warning allowed: PCI0 has both _HID and _ADR, as on bhyve */
	    "! grep -E '^(Error|Warning) +[0-9]' c.log | grep -qv ' 3073 ' && "
	    /* unoptimized, iasl encodes the disassembly exactly as we did */
	    "tail -c +37 dsdt.aml >a.body && tail -c +37 r.aml >b.body && cmp a.body b.body",
	    dir);
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/*.log >&2", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(rc, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("tables");
	tcase_add_test(tc, rsdp_xsdt_and_headers);
	tcase_add_test(tc, fadt);
	tcase_add_test(tc, madt);
	tcase_add_test(tc, mcfg);
	tcase_add_test(tc, dsdt_s5_and_names);
	tcase_add_test(tc, pci0_crs);
	tcase_add_test(tc, prt);
	tcase_add_test(tc, motherboard_resources);
	tcase_add_test(tc, legacy_devices);
	tcase_add_test(tc, fw_cfg_device);
	tcase_add_test(tc, bad_layouts);
	tcase_add_test(tc, buffer_bounds);
	tcase_add_test(tc, iasl_accepts_dsdt);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
