// SPDX-License-Identifier: BSD-2-Clause
/* ACPI tables (ACPI 6.x chapter 5): what Linux needs to find CPUs, the PCI root, power off. */
#include "khyve/acpi.h"

#include <errno.h>
#include <string.h>

#include "khyve/aml.h"

#define SDT_HDR_LEN 36
#define FADT_LEN 276 /* revision 6 */
#define FACS_LEN 64
#define GAS_SPACE_IO 1

/* FADT flags */
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_SLP_BUTTON (1u << 5) /* no fixed sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags */
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define CMOS_CENTURY_INDEX 0x32

struct tb {
	uint8_t *buf;
	size_t len, cap;
	uint64_t base;
	int err;
};

static size_t tb_alloc(struct tb *t, size_t n, size_t align)
{
	size_t at = (t->len + align - 1) & ~(align - 1);
	if (at + n > t->cap || at + n < at) {
		t->err = -ENOSPC;
		return 0;
	}
	memset(t->buf + at, 0, n);
	t->len = at + n;
	return at;
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t acpi_checksum(const uint8_t *buf, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + buf[i]);
	return (uint8_t)-s;
}

static void sdt_header(uint8_t *h, const char *sig, uint32_t len, uint8_t rev, const char *oem)
{
	memcpy(h, sig, 4);
	put(h + 4, len, 4);
	h[8] = rev;
	memcpy(h + 10, oem, 6);
	memcpy(h + 16, "KHYVETBL", 8);
	put(h + 24, 1, 4);
	memcpy(h + 28, "KHYV", 4);
	put(h + 32, 1, 4);
}

static void sdt_finish(uint8_t *h)
{
	uint32_t len = (uint32_t)(h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24);
	h[9] = 0;
	h[9] = acpi_checksum(h, len);
}

static void gas_io(uint8_t *g, uint16_t port, uint8_t bits)
{
	g[0] = GAS_SPACE_IO;
	g[1] = bits;
	g[2] = 0;
	g[3] = bits == 8 ? 1 : bits == 16 ? 2 : 3; /* access size: byte, word, dword */
	put(g + 4, port, 8);
}

static void build_dsdt_body(struct aml *a, const struct acpi_layout *l)
{
	/* \_S5: SLP_TYPa/SLP_TYPb for soft-off, written to PM1a_CNT by the guest. */
	aml_name(a, "\\_S5_");
	size_t pkg = aml_open(a, AML_PACKAGE_OP);
	aml_byte(a, 2);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_close(a, pkg);

	size_t sb = aml_open(a, AML_SCOPE_OP);
	aml_name_string(a, "\\_SB_");

	size_t pci = aml_open_ext(a, AML_DEVICE_EXT_OP);
	aml_name_string(a, "PCI0");
	aml_name(a, "_HID");
	aml_integer(a, aml_eisaid("PNP0A08"));
	aml_name(a, "_CID");
	aml_integer(a, aml_eisaid("PNP0A03"));
	aml_name(a, "_ADR");
	aml_integer(a, 0);
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);

	aml_name(a, "_CRS");
	size_t buf = aml_open(a, AML_BUFFER_OP);
	size_t size_at = a->len;
	aml_byte(a, 0x0b); /* WordPrefix: the buffer size, patched below */
	aml_byte(a, 0);
	aml_byte(a, 0);
	size_t res = a->len;
	aml_res_word_bus(a, 0, l->ecam_last_bus);
	aml_res_io(a, 0xcf8, 8);
	aml_res_word_io(a, 0, 0xcf7);
	aml_res_word_io(a, 0xd00, (uint16_t)(l->pci_io_base - 1));
	aml_res_word_io(a, l->pci_io_base, (uint16_t)(l->pci_io_base + l->pci_io_size - 1));
	aml_res_dword_mem(a, (uint32_t)l->pci_mem32_base,
			  (uint32_t)(l->pci_mem32_base + l->pci_mem32_size - 1));
	if (l->pci_mem64_size)
		aml_res_qword_mem(a, l->pci_mem64_base, l->pci_mem64_base + l->pci_mem64_size - 1);
	aml_res_end(a);
	if (!a->overflow)
		put(a->buf + size_at + 1, a->len - res, 2);
	aml_close(a, buf);

	/* _PRT: INTA-D of each populated slot straight to IOAPIC GSIs (source = 0). */
	aml_name(a, "_PRT");
	size_t prt = aml_open(a, AML_PACKAGE_OP);
	size_t count_at = a->len;
	aml_byte(a, 0);
	unsigned entries = 0;
	for (unsigned s = 0; s < 32; s++) {
		if (!(l->pci_slot_mask & (1u << s)))
			continue;
		for (unsigned pin = 0; pin < 4; pin++) {
			size_t e = aml_open(a, AML_PACKAGE_OP);
			aml_byte(a, 4);
			aml_integer(a, ((uint64_t)s << 16) | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, acpi_pci_intx_gsi(s, pin));
			aml_close(a, e);
			entries++;
		}
	}
	/* NumElements is one byte: 32 slots x 4 pins = 128 fits. */
	if (!a->overflow)
		a->buf[count_at] = (uint8_t)entries;
	aml_close(a, prt);
	aml_close(a, pci);

	/* Motherboard resources: the ECAM window, so the OS trusts MCFG. */
	size_t mres = aml_open_ext(a, AML_DEVICE_EXT_OP);
	aml_name_string(a, "MRES");
	aml_name(a, "_HID");
	aml_integer(a, aml_eisaid("PNP0C02"));
	aml_name(a, "_UID");
	aml_integer(a, 1);
	aml_name(a, "_CRS");
	buf = aml_open(a, AML_BUFFER_OP);
	size_at = a->len;
	aml_byte(a, 0x0b);
	aml_byte(a, 0);
	aml_byte(a, 0);
	res = a->len;
	uint64_t ecam_end = l->ecam_base + (((uint64_t)l->ecam_last_bus + 1) << 20) - 1;
	aml_res_qword_mem(a, l->ecam_base, ecam_end);
	aml_res_end(a);
	if (!a->overflow)
		put(a->buf + size_at + 1, a->len - res, 2);
	aml_close(a, buf);
	aml_close(a, mres);

	aml_close(a, sb);
}

static size_t build_dsdt(struct tb *t, const struct acpi_layout *l, const char *oem)
{
	size_t at = tb_alloc(t, SDT_HDR_LEN, 8);
	if (t->err)
		return 0;
	struct aml a;
	aml_init(&a, t->buf + t->len, t->cap - t->len);
	build_dsdt_body(&a, l);
	if (a.overflow) {
		t->err = -ENOSPC;
		return 0;
	}
	t->len += a.len;
	sdt_header(t->buf + at, "DSDT", (uint32_t)(SDT_HDR_LEN + a.len), 2, oem);
	sdt_finish(t->buf + at);
	return at;
}

static size_t build_fadt(struct tb *t, uint64_t dsdt, uint64_t facs, const char *oem)
{
	size_t at = tb_alloc(t, FADT_LEN, 8);
	if (t->err)
		return 0;
	uint8_t *f = t->buf + at;
	sdt_header(f, "FACP", FADT_LEN, 6, oem);
	put(f + 36, facs, 4);
	put(f + 40, dsdt, 4);
	put(f + 46, ACPI_SCI_IRQ, 2);
	/* SMI_CMD = 0: no SMM mode switch, the machine is always in ACPI mode. */
	put(f + 56, ACPI_PM1A_EVT_PORT, 4);
	put(f + 64, ACPI_PM1A_CNT_PORT, 4);
	f[88] = 4; /* PM1_EVT_LEN */
	f[89] = 2; /* PM1_CNT_LEN */
	/* No PM timer (PM_TMR_BLK 0): guests use the TSC and kvm-clock. */
	put(f + 96, 101, 2);  /* P_LVL2_LAT > 100: no C2 */
	put(f + 98, 1001, 2); /* P_LVL3_LAT > 1000: no C3 */
	f[108] = CMOS_CENTURY_INDEX;
	/*
	 * Legacy devices: yes (16550 UARTs and the CMOS clock sit behind LPC);
	 * no 8042 (so the guest does not probe a keyboard controller), no VGA;
	 * MSI supported.
	 */
	put(f + 109, BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT, 2);
	put(f + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_RESET_REG_SUP, 4);
	gas_io(f + 116, ACPI_RESET_PORT, 8);
	f[128] = ACPI_RESET_VALUE;
	f[131] = 0; /* FADT minor version */
	put(f + 132, facs, 8);
	put(f + 140, dsdt, 8);
	gas_io(f + 148, ACPI_PM1A_EVT_PORT, 32);
	gas_io(f + 172, ACPI_PM1A_CNT_PORT, 16);
	memcpy(f + 268, "KHYVE\0\0\0", 8); /* hypervisor vendor identity */
	sdt_finish(f);
	return at;
}

static size_t build_madt(struct tb *t, const struct acpi_layout *l, const char *oem)
{
	size_t len = 44 + 8 * l->ncpus + 12 + 2 * 10 + 6;
	size_t at = tb_alloc(t, len, 8);
	if (t->err)
		return 0;
	uint8_t *m = t->buf + at;
	sdt_header(m, "APIC", (uint32_t)len, 4, oem);
	put(m + 36, l->lapic_addr, 4);
	put(m + 40, 1, 4); /* PCAT_COMPAT: 8259 pair present */
	uint8_t *e = m + 44;
	for (unsigned i = 0; i < l->ncpus; i++, e += 8) {
		e[0] = 0; /* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i; /* ACPI processor UID */
		e[3] = (uint8_t)i; /* APIC ID */
		put(e + 4, 1, 4);  /* enabled */
	}
	e[0] = 1; /* I/O APIC */
	e[1] = 12;
	e[2] = l->ioapic_id;
	put(e + 4, l->ioapic_addr, 4);
	put(e + 8, 0, 4);
	e += 12;
	const struct {
		uint8_t irq;
		uint32_t gsi;
		uint16_t flags;
	} iso[] = {{0, 2, 0}, {ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d /* level, active high */}};
	for (unsigned i = 0; i < 2; i++, e += 10) {
		e[0] = 2; /* interrupt source override */
		e[1] = 10;
		e[2] = 0; /* ISA */
		e[3] = iso[i].irq;
		put(e + 4, iso[i].gsi, 4);
		put(e + 8, iso[i].flags, 2);
	}
	e[0] = 4; /* local APIC NMI: LINT1 of every processor */
	e[1] = 6;
	e[2] = 0xff;
	put(e + 3, 0, 2);
	e[5] = 1;
	sdt_finish(m);
	return at;
}

static size_t build_mcfg(struct tb *t, const struct acpi_layout *l, const char *oem)
{
	size_t at = tb_alloc(t, 60, 8);
	if (t->err)
		return 0;
	uint8_t *m = t->buf + at;
	sdt_header(m, "MCFG", 60, 1, oem);
	put(m + 44, l->ecam_base, 8);
	put(m + 52, 0, 2); /* segment */
	m[54] = 0;
	m[55] = l->ecam_last_bus;
	sdt_finish(m);
	return at;
}

long acpi_build(const struct acpi_layout *l, uint8_t *buf, size_t buflen, uint64_t *rsdp_gpa)
{
	if (l->ncpus < 1 || l->ncpus > 255 || l->ecam_base == 0 || (l->ecam_base & 0xfffff) ||
	    l->pci_io_base <= 0xd00 || l->pci_io_size == 0 ||
	    (uint32_t)l->pci_io_base + l->pci_io_size > 0x10000 ||
	    l->pci_mem32_base + l->pci_mem32_size > (1ull << 32))
		return -EINVAL;
	char oem[6] = {'K', 'H', 'Y', 'V', 'E', ' '};
	if (l->oem_id)
		for (unsigned i = 0; i < 6; i++)
			oem[i] = l->oem_id[i] ? l->oem_id[i] : ' ';
	struct tb t = {.buf = buf, .cap = buflen, .base = l->base_gpa};
	size_t rsdp = tb_alloc(&t, 36, 16);
	size_t facs = tb_alloc(&t, FACS_LEN, 64);
	size_t dsdt = build_dsdt(&t, l, oem);
	size_t fadt = build_fadt(&t, l->base_gpa + dsdt, l->base_gpa + facs, oem);
	size_t madt = build_madt(&t, l, oem);
	size_t mcfg = build_mcfg(&t, l, oem);
	size_t xsdt = tb_alloc(&t, SDT_HDR_LEN + 3 * 8, 8);
	if (t.err)
		return t.err;

	memcpy(buf + facs, "FACS", 4);
	put(buf + facs + 4, FACS_LEN, 4);
	buf[facs + 32] = 2; /* version */

	uint8_t *x = buf + xsdt;
	sdt_header(x, "XSDT", SDT_HDR_LEN + 3 * 8, 1, oem);
	put(x + 36, l->base_gpa + fadt, 8);
	put(x + 44, l->base_gpa + madt, 8);
	put(x + 52, l->base_gpa + mcfg, 8);
	sdt_finish(x);

	uint8_t *r = buf + rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, oem, 6);
	r[15] = 2; /* ACPI 2.0+: XSDT */
	put(r + 20, 36, 4);
	put(r + 24, l->base_gpa + xsdt, 8);
	r[8] = acpi_checksum(r, 20);
	r[32] = acpi_checksum(r, 36);
	*rsdp_gpa = l->base_gpa + rsdp;
	return (long)t.len;
}
