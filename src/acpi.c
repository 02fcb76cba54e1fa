// SPDX-License-Identifier: BSD-2-Clause
/*
 * ACPI tables (ACPI 6.4 chapter 5): what a guest OS needs to find the CPUs
 * and interrupt controllers, the PCI root and its ECAM window, and to power
 * off and reset the machine.
 *
 * Everything goes into one buffer that the VMM copies to base_gpa:
 *
 *   +0x000 RSDP (36)   +0x040 FACS (64)   +0x080 XSDT (60)   +0x0c0 FADT (276)
 *   +0x1e0 MADT (82 + 8 * ncpus), then MCFG (60), then the DSDT, each 16-aligned.
 *
 * Only the DSDT has a variable size, so it goes last.
 */
#include "khyve/acpi.h"

#include <errno.h>
#include <string.h>

#include "khyve/aml.h"

#define TABLE_ALIGN 16
#define SDT_HDR_LEN 36
#define RSDP_LEN 36
#define RSDP_V1_LEN 20
#define FACS_LEN 64
#define FACS_ALIGN 64
#define XSDT_ENTRIES 3 /* FADT, MADT, MCFG; the DSDT hangs off the FADT */
#define XSDT_LEN (SDT_HDR_LEN + 8 * XSDT_ENTRIES)
#define FADT_LEN 276 /* revision 6 */
#define MCFG_LEN (SDT_HDR_LEN + 8 + 16)

/* Table revisions: ACPI 6.0 FADT, DSDT 2 (64-bit AML integers). */
#define FADT_REV 6
#define FADT_MINOR 0
#define MADT_REV 4
#define DSDT_REV 2
#define XSDT_REV 1
#define MCFG_REV 1
#define FACS_VERSION 2
#define RSDP_REV 2

/* Generic Address Structure (ACPI 6.4 section 5.2.3.2). */
#define GAS_SPACE_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2

/* FADT fixed feature flags (ACPI 6.4 table 5.10). */
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_PWR_BUTTON (1u << 4) /* set = no fixed power button (left clear) */
#define FADT_SLP_BUTTON (1u << 5) /* set = no fixed sleep button */
#define FADT_FIX_RTC (1u << 6)	  /* set = RTC wake status not in PM1 */
#define FADT_RESET_REG_SUP (1u << 10)

/* FADT IA-PC boot architecture flags (ACPI 6.4 table 5.11). */
#define BOOT_LEGACY_DEVICES (1u << 0)
#define BOOT_8042 (1u << 1) /* left clear: no keyboard controller */
#define BOOT_VGA_NOT_PRESENT (1u << 2)
#define BOOT_MSI_NOT_SUPPORTED (1u << 3) /* left clear: MSI works */
#define BOOT_PCIE_ASPM_CONTROLS (1u << 4)

/* A C-state latency above these limits means "not supported". */
#define FADT_NO_C2_LATENCY 101
#define FADT_NO_C3_LATENCY 1001

/* MADT (ACPI 6.4 section 5.2.12). */
#define MADT_PCAT_COMPAT (1u << 0)
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC_LEN 12
#define MADT_ISO_LEN 10
#define MADT_LAPIC_NMI_LEN 6
#define MADT_FIXED_LEN (SDT_HDR_LEN + 8 + MADT_IOAPIC_LEN + 2 * MADT_ISO_LEN + MADT_LAPIC_NMI_LEN)
#define MADT_LAPIC_ENABLED (1u << 0)
#define MPS_INTI_HIGH_LEVEL 0x000d /* polarity 01 active high, trigger 11 level */
#define MADT_ALL_PROCESSORS 0xff

#define GIB4 (1ull << 32)
#define ECAM_BUS_SIZE (1ull << 20)
#define PCI_CONFIG_PORT 0xcf8
#define PCI_CONFIG_PORTS 8
#define PCI_IO_MIN 0xd00 /* windows start above the config ports */

static const struct {
	uint16_t port;
	uint8_t irq;
} com_hw[ACPI_NCOM] = {{0x3f8, 4}, {0x2f8, 3}, {0x3e8, 4}, {0x2e8, 3}};
#define COM_PORTS 8
#define RTC_PORTS 2
#define RTC_IRQ 8
/* _STA: present, enabled, functioning, not shown in a user interface (as QEMU's fw_cfg). */
#define ACPI_STA_HIDDEN 0x0b

struct tb {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

uint8_t acpi_checksum(const uint8_t *buf, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + buf[i]);
	return (uint8_t)-s;
}

/* Reserve n zeroed bytes at the next multiple of align; the gap is zeroed too. */
static size_t tb_alloc(struct tb *t, size_t n, size_t align)
{
	size_t at = (t->len + align - 1) & ~(align - 1);
	if (t->err || at < t->len || at > t->cap || n > t->cap - at) {
		t->err = t->err ? t->err : -ENOSPC;
		return 0;
	}
	memset(t->buf + t->len, 0, at + n - t->len);
	t->len = at + n;
	return at;
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void sdt_header(uint8_t *h, const char *sig, size_t len, uint8_t rev, const char *oem)
{
	memcpy(h, sig, 4);
	put(h + 4, len, 4);
	h[8] = rev;
	memcpy(h + 10, oem, 6);
	memcpy(h + 16, "KHYVETBL", 8);
	put(h + 24, 1, 4); /* OEM revision */
	memcpy(h + 28, "KHYV", 4);
	put(h + 32, 1, 4); /* creator revision */
}

/* Checksum a table whose header and body are complete. */
static void sdt_sum(uint8_t *h, size_t len)
{
	h[9] = 0;
	h[9] = acpi_checksum(h, len);
}

static void gas_io(uint8_t *g, uint16_t port, uint8_t bits, uint8_t access)
{
	g[0] = GAS_SPACE_IO;
	g[1] = bits;
	g[2] = 0; /* bit offset */
	g[3] = access;
	put(g + 4, port, 8);
}

static void build_pci0(struct aml *a, const struct acpi_layout *l)
{
	size_t dev = aml_device(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08"); /* PCI Express root bridge */
	aml_name_eisaid(a, "_CID", "PNP0A03"); /* PCI root bridge */
	/*
	 * _ADR next to _HID is discouraged by the spec (iasl warns) but is
	 * what bhyve's root bridge has, and OSes ignore it when _HID is there.
	 */
	aml_name_integer(a, "_ADR", 0);
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_UID", 0);
	aml_name_integer(a, "_BBN", 0);

	aml_name(a, "_CRS");
	size_t rt = aml_restemplate(a);
	aml_res_word_bus(a, 0, l->ecam_last_bus);
	/*
	 * Ports below the config ports: the legacy devices behind LPC (UARTs,
	 * RTC, PM block) are decoded through this bridge, as on a real PC.
	 * No BAR lands there: Linux allocates I/O from 0x1000 up.
	 */
	aml_res_word_io(a, 0, PCI_CONFIG_PORT - 1);
	aml_res_io(a, PCI_CONFIG_PORT, PCI_CONFIG_PORTS);
	aml_res_word_io(a, l->pci_io_base, (uint16_t)(l->pci_io_base + l->pci_io_size - 1));
	aml_res_dword_mem(a, false, (uint32_t)l->pci_mem32_base,
			  (uint32_t)(l->pci_mem32_base + l->pci_mem32_size - 1));
	if (l->pci_mem64_size)
		aml_res_qword_mem(a, false, l->pci_mem64_base,
				  l->pci_mem64_base + l->pci_mem64_size - 1);
	aml_restemplate_end(a, rt);

	/* _PRT: INTA-D of each populated slot straight to I/O APIC GSIs (source Zero). */
	aml_name(a, "_PRT");
	size_t prt = aml_package(a, 4 * (unsigned)__builtin_popcount(l->pci_slot_mask));
	for (unsigned s = 0; s < 32; s++) {
		if (!(l->pci_slot_mask & (1u << s)))
			continue;
		for (unsigned pin = 0; pin < 4; pin++) {
			size_t e = aml_package(a, 4);
			aml_integer(a, ((uint64_t)s << 16) | 0xffff); /* any function */
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, acpi_pci_intx_gsi(s, pin));
			aml_close(a, e);
		}
	}
	aml_close(a, prt);
	aml_close(a, dev);
}

/*
 * Motherboard resources: the ECAM window. Linux trusts an MCFG region only
 * if it is reserved by such a device or in the e820 map; the VMM does both.
 */
static void build_mres(struct aml *a, const struct acpi_layout *l)
{
	uint64_t size = ((uint64_t)l->ecam_last_bus + 1) * ECAM_BUS_SIZE;
	size_t dev = aml_device(a, "MRES");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_integer(a, "_UID", 0);
	aml_name(a, "_CRS");
	size_t rt = aml_restemplate(a);
	if (l->ecam_base + size <= GIB4)
		aml_res_mem32_fixed(a, true, (uint32_t)l->ecam_base, (uint32_t)size);
	else
		aml_res_qword_mem(a, true, l->ecam_base, l->ecam_base + size - 1);
	aml_restemplate_end(a, rt);
	aml_close(a, dev);
}

static void build_legacy(struct aml *a, const struct acpi_layout *l)
{
	for (unsigned i = 0; i < ACPI_NCOM; i++) {
		if (!(l->com_mask & (1u << i)))
			continue;
		char name[5] = {'C', 'O', 'M', (char)('1' + i), '\0'};
		size_t dev = aml_device(a, name);
		aml_name_eisaid(a, "_HID", "PNP0501"); /* 16550A-compatible UART */
		aml_name_integer(a, "_UID", i + 1);
		aml_name(a, "_CRS");
		size_t rt = aml_restemplate(a);
		aml_res_io(a, com_hw[i].port, COM_PORTS);
		aml_res_irq(a, com_hw[i].irq);
		aml_restemplate_end(a, rt);
		aml_close(a, dev);
	}
	if (l->rtc) {
		size_t dev = aml_device(a, "RTC");
		aml_name_eisaid(a, "_HID", "PNP0B00"); /* AT real-time clock */
		aml_name(a, "_CRS");
		size_t rt = aml_restemplate(a);
		aml_res_io(a, ACPI_RTC_PORT, RTC_PORTS);
		aml_res_irq(a, RTC_IRQ);
		aml_restemplate_end(a, rt);
		aml_close(a, dev);
	}
	if (l->fw_cfg) {
		/* Linux's qemu_fw_cfg driver binds to this platform device. */
		size_t dev = aml_device(a, "FWCF");
		aml_name(a, "_HID");
		aml_string(a, "QEMU0002");
		aml_name_integer(a, "_STA", ACPI_STA_HIDDEN);
		aml_name(a, "_CRS");
		size_t rt = aml_restemplate(a);
		aml_res_io(a, ACPI_FWCFG_PORT, ACPI_FWCFG_PORTS);
		aml_restemplate_end(a, rt);
		aml_close(a, dev);
	}
}

static size_t build_dsdt(struct tb *t, const struct acpi_layout *l, const char *oem)
{
	size_t at = tb_alloc(t, SDT_HDR_LEN, TABLE_ALIGN);
	if (t->err)
		return 0;
	struct aml a;
	aml_init(&a, t->buf + t->len, t->cap - t->len);

	/* \_S5: SLP_TYPa/SLP_TYPb for soft-off, which the guest writes to PM1a_CNT. */
	aml_name(&a, "\\_S5");
	size_t s5 = aml_package(&a, 2);
	aml_integer(&a, ACPI_S5_SLP_TYP);
	aml_integer(&a, 0);
	aml_close(&a, s5);

	size_t sb = aml_scope(&a, "\\_SB");
	build_pci0(&a, l);
	build_mres(&a, l);
	build_legacy(&a, l);
	aml_close(&a, sb);

	if (a.err) {
		t->err = a.err;
		return 0;
	}
	t->len += a.len;
	sdt_header(t->buf + at, "DSDT", SDT_HDR_LEN + a.len, DSDT_REV, oem);
	sdt_sum(t->buf + at, SDT_HDR_LEN + a.len);
	return at;
}

static void build_fadt(uint8_t *f, uint64_t facs, uint64_t dsdt, const char *oem)
{
	sdt_header(f, "FACP", FADT_LEN, FADT_REV, oem);
	/* The 32-bit and X_ pointers agree: the tables sit below 4 GiB. */
	put(f + 36, facs, 4);
	put(f + 40, dsdt, 4);
	put(f + 46, ACPI_SCI_IRQ, 2);
	/* SMI_CMD (48), ACPI_ENABLE, ACPI_DISABLE = 0: always in ACPI mode. */
	put(f + 56, ACPI_PM1A_EVT_PORT, 4);
	put(f + 64, ACPI_PM1A_CNT_PORT, 4);
	/* PM_TMR_BLK (76) and PM_TMR_LEN (91) = 0: no PM timer; guests use the TSC. */
	f[88] = 4; /* PM1_EVT_LEN: 2 status + 2 enable bytes */
	f[89] = 2; /* PM1_CNT_LEN */
	put(f + 96, FADT_NO_C2_LATENCY, 2);
	put(f + 98, FADT_NO_C3_LATENCY, 2);
	f[108] = ACPI_RTC_CENTURY;
	/*
	 * LEGACY_DEVICES set: the 16550 UARTs and the CMOS RTC are legacy
	 * devices on LPC that the OS must drive (the bit means "user-visible
	 * devices on the LPC or ISA bus"), so claiming a legacy-free machine
	 * would be false. 8042 clear: there is no keyboard controller, and
	 * saying so keeps guests from probing ports 0x60/0x64. VGA not
	 * present. MSI supported (bit clear). No OS control of PCIe ASPM:
	 * emulated links have no power states to manage. CMOS RTC present.
	 */
	put(f + 109, BOOT_LEGACY_DEVICES | BOOT_VGA_NOT_PRESENT | BOOT_PCIE_ASPM_CONTROLS, 2);
	/*
	 * Fixed power button (PWR_BUTTON clear), no sleep button; RTC wake
	 * status is not in PM1 (the PM block has no RTC_STS); reset register.
	 */
	put(f + 112,
	    FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC | FADT_RESET_REG_SUP, 4);
	gas_io(f + 116, ACPI_RESET_PORT, 8, GAS_ACCESS_BYTE);
	f[128] = ACPI_RESET_VALUE;
	f[131] = FADT_MINOR;
	put(f + 132, facs, 8);
	put(f + 140, dsdt, 8);
	/* PM1 status/enable and control are 16-bit registers. */
	gas_io(f + 148, ACPI_PM1A_EVT_PORT, 32, GAS_ACCESS_WORD);
	gas_io(f + 172, ACPI_PM1A_CNT_PORT, 16, GAS_ACCESS_WORD);
	memcpy(f + 268, "KHYVE\0\0\0", 8); /* hypervisor vendor identity */
	sdt_sum(f, FADT_LEN);
}

static void build_madt(uint8_t *m, size_t len, const struct acpi_layout *l, const char *oem)
{
	sdt_header(m, "APIC", len, MADT_REV, oem);
	put(m + 36, l->lapic_addr, 4);
	put(m + 40, MADT_PCAT_COMPAT, 4); /* the 8259 pair is present */
	uint8_t *e = m + 44;
	for (unsigned i = 0; i < l->ncpus; i++, e += MADT_LAPIC_LEN) {
		e[0] = MADT_LAPIC;
		e[1] = MADT_LAPIC_LEN;
		e[2] = (uint8_t)i; /* ACPI processor UID */
		e[3] = l->apic_id ? l->apic_id[i] : (uint8_t)i; /* APIC ID */
		put(e + 4, MADT_LAPIC_ENABLED, 4);
	}
	e[0] = MADT_IOAPIC;
	e[1] = MADT_IOAPIC_LEN;
	e[2] = l->ioapic_id;
	put(e + 4, l->ioapic_addr, 4);
	put(e + 8, 0, 4); /* GSI base */
	e += MADT_IOAPIC_LEN;

	/* ISA IRQ 0 (the PIT) arrives on I/O APIC pin 2; the SCI is level, active high. */
	const struct {
		uint8_t irq;
		uint32_t gsi;
		uint16_t flags;
	} iso[2] = {{0, 2, 0}, {ACPI_SCI_IRQ, ACPI_SCI_IRQ, MPS_INTI_HIGH_LEVEL}};
	for (unsigned i = 0; i < 2; i++, e += MADT_ISO_LEN) {
		e[0] = MADT_ISO;
		e[1] = MADT_ISO_LEN;
		e[2] = 0; /* bus: ISA */
		e[3] = iso[i].irq;
		put(e + 4, iso[i].gsi, 4);
		put(e + 8, iso[i].flags, 2);
	}

	/* NMI arrives on LINT1 of every processor, with the bus's polarity and trigger. */
	e[0] = MADT_LAPIC_NMI;
	e[1] = MADT_LAPIC_NMI_LEN;
	e[2] = MADT_ALL_PROCESSORS;
	put(e + 3, 0, 2);
	e[5] = 1; /* LINT1 */
	sdt_sum(m, len);
}

static void build_mcfg(uint8_t *m, const struct acpi_layout *l, const char *oem)
{
	sdt_header(m, "MCFG", MCFG_LEN, MCFG_REV, oem);
	/* 8 reserved bytes, then one allocation. */
	put(m + 44, l->ecam_base, 8);
	put(m + 52, 0, 2); /* PCI segment group */
	m[54] = 0;	   /* start bus */
	m[55] = l->ecam_last_bus;
	sdt_sum(m, MCFG_LEN);
}

/* Whether [a, a + alen) and [b, b + blen) meet; written so that an end of 2^64 cannot wrap. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	if (!alen || !blen)
		return false;
	return a >= b ? a - b < blen : b - a < alen;
}

static int check_layout(const struct acpi_layout *l)
{
	uint64_t ecam_size = ((uint64_t)l->ecam_last_bus + 1) * ECAM_BUS_SIZE;
	if (l->ncpus < 1 || l->ncpus > 255)
		return -EINVAL;
	if ((l->base_gpa & (TABLE_ALIGN - 1)) || l->base_gpa >= GIB4)
		return -EINVAL;
	if (l->lapic_addr == 0 || l->ioapic_addr == 0)
		return -EINVAL;
	if (l->ecam_base == 0 || (l->ecam_base & (ECAM_BUS_SIZE - 1)) ||
	    l->ecam_base > UINT64_MAX - ecam_size)
		return -EINVAL;
	if (l->pci_io_size == 0 || l->pci_io_base < PCI_IO_MIN ||
	    (uint32_t)l->pci_io_base + l->pci_io_size > 0x10000)
		return -EINVAL;
	if (l->pci_mem32_size == 0 || l->pci_mem32_base >= GIB4 ||
	    l->pci_mem32_size > GIB4 - l->pci_mem32_base)
		return -EINVAL;
	if (l->pci_mem64_size &&
	    (l->pci_mem64_base < GIB4 || l->pci_mem64_size - 1 > UINT64_MAX - l->pci_mem64_base))
		return -EINVAL;
	if (overlaps(l->ecam_base, ecam_size, l->pci_mem32_base, l->pci_mem32_size) ||
	    overlaps(l->ecam_base, ecam_size, l->pci_mem64_base, l->pci_mem64_size))
		return -EINVAL;
	if (l->com_mask >> ACPI_NCOM)
		return -EINVAL;
	return 0;
}

long acpi_build(const struct acpi_layout *l, uint8_t *buf, size_t buflen, uint64_t *rsdp_gpa)
{
	if (!l || !rsdp_gpa || (!buf && buflen))
		return -EINVAL;
	int rc = check_layout(l);
	if (rc < 0)
		return rc;
	char oem[6] = {'K', 'H', 'Y', 'V', 'E', ' '};
	if (l->oem_id) {
		size_t n = strnlen(l->oem_id, sizeof(oem));
		memset(oem, ' ', sizeof(oem));
		memcpy(oem, l->oem_id, n);
	}

	struct tb t = {.buf = buf, .cap = buf ? buflen : 0};
	size_t madt_len = MADT_FIXED_LEN + MADT_LAPIC_LEN * (size_t)l->ncpus;
	size_t rsdp = tb_alloc(&t, RSDP_LEN, TABLE_ALIGN);
	size_t facs = tb_alloc(&t, FACS_LEN, FACS_ALIGN);
	size_t xsdt = tb_alloc(&t, XSDT_LEN, TABLE_ALIGN);
	size_t fadt = tb_alloc(&t, FADT_LEN, TABLE_ALIGN);
	size_t madt = tb_alloc(&t, madt_len, TABLE_ALIGN);
	size_t mcfg = tb_alloc(&t, MCFG_LEN, TABLE_ALIGN);
	size_t dsdt = build_dsdt(&t, l, oem);
	if (t.err)
		return t.err;
	/* The FADT's 32-bit FIRMWARE_CTRL and DSDT pointers must reach their tables. */
	if (t.len > GIB4 - l->base_gpa)
		return -EINVAL;
	uint64_t base = l->base_gpa;

	uint8_t *f = buf + facs;
	memcpy(f, "FACS", 4);
	put(f + 4, FACS_LEN, 4);
	f[32] = FACS_VERSION; /* hardware signature, waking vectors, global lock: 0 */

	build_fadt(buf + fadt, base + facs, base + dsdt, oem);
	build_madt(buf + madt, madt_len, l, oem);
	build_mcfg(buf + mcfg, l, oem);

	uint8_t *x = buf + xsdt;
	sdt_header(x, "XSDT", XSDT_LEN, XSDT_REV, oem);
	put(x + 36, base + fadt, 8);
	put(x + 44, base + madt, 8);
	put(x + 52, base + mcfg, 8);
	sdt_sum(x, XSDT_LEN);

	/* RSDP 2.0: no RSDT (address 0); OSes that know ACPI 2.0+ use the XSDT. */
	uint8_t *r = buf + rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, oem, 6);
	r[15] = RSDP_REV;
	put(r + 20, RSDP_LEN, 4);
	put(r + 24, base + xsdt, 8);
	r[8] = acpi_checksum(r, RSDP_V1_LEN);
	r[32] = acpi_checksum(r, RSDP_LEN);

	*rsdp_gpa = base + rsdp;
	return (long)t.len;
}
