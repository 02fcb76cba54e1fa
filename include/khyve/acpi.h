/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI tables: RSDP, XSDT, FADT, FACS, DSDT, MADT, MCFG, built into a
 * buffer that the VMM copies to guest memory at layout->base_gpa.
 */
#ifndef KHYVE_ACPI_H
#define KHYVE_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed-feature register block (I/O ports), bhyve's addresses. */
#define ACPI_PM1A_EVT_PORT 0x400 /* PM1a status (2 bytes) + enable (2 bytes) */
#define ACPI_PM1A_CNT_PORT 0x404 /* PM1a control, 2 bytes */
#define ACPI_RESET_PORT 0xcf9
#define ACPI_RESET_VALUE 0x06
#define ACPI_SCI_IRQ 9
#define ACPI_S5_SLP_TYP 5 /* \_S5 package value; PM1_CNT SLP_TYP field */

#define ACPI_PM1_STS_PWRBTN (1u << 8)
#define ACPI_PM1_EN_PWRBTN (1u << 8)
#define ACPI_PM1_CNT_SCI_EN (1u << 0)
#define ACPI_PM1_CNT_SLP_EN (1u << 13)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10

/* PCI INTx routing described by _PRT: pin 0..3 (INTA..INTD) of slot s → GSI. */
#define ACPI_PCI_INTX_GSI_BASE 16
#define ACPI_PCI_INTX_GSI_COUNT 8
static inline unsigned acpi_pci_intx_gsi(unsigned slot, unsigned pin)
{
	return ACPI_PCI_INTX_GSI_BASE + ((slot + pin) % ACPI_PCI_INTX_GSI_COUNT);
}

/* Legacy devices behind the LPC bridge that the DSDT can describe. */
#define ACPI_NCOM 4	      /* COM1-COM4 at 0x3f8/IRQ4, 0x2f8/IRQ3, 0x3e8/IRQ4, 0x2e8/IRQ3 */
#define ACPI_RTC_PORT 0x70    /* CMOS index/data, 2 ports, IRQ 8 */
#define ACPI_RTC_CENTURY 0x32 /* CMOS register the FADT names as the century */
#define ACPI_FWCFG_PORT 0x510 /* QEMU fw_cfg: selector, data and DMA address ports */
#define ACPI_FWCFG_PORTS 12

struct acpi_layout {
	uint64_t base_gpa; /* tables start here; RSDP first (16-byte aligned) */
	unsigned ncpus;	   /* one MADT local APIC per vCPU */
	const uint8_t *apic_id; /* APIC ID of each vCPU; NULL = 0..ncpus-1 */
	uint32_t lapic_addr;
	uint32_t ioapic_addr;
	uint8_t ioapic_id;
	uint64_t ecam_base; /* MCFG, segment 0, buses 0..ecam_last_bus */
	uint8_t ecam_last_bus;
	uint16_t pci_io_base, pci_io_size;	 /* root bus I/O window for _CRS */
	uint64_t pci_mem32_base, pci_mem32_size; /* below 4 GiB */
	uint64_t pci_mem64_base, pci_mem64_size; /* above RAM; size 0 = none */
	uint32_t pci_slot_mask;			 /* bit s set = slot s on bus 0 gets _PRT entries */
	const char *oem_id;			 /* 6 chars, padded */
	uint8_t com_mask; /* bit n set = describe COM(n+1) (PNP0501); n < ACPI_NCOM */
	bool rtc;	  /* describe the CMOS RTC (PNP0B00) */
	bool fw_cfg;	  /* describe QEMU's fw_cfg device (QEMU0002) */
};

/*
 * Build all tables into buf (which will be placed at layout->base_gpa).
 * Returns the number of bytes used, or -ENOSPC when buflen is too small,
 * -EINVAL for a bad layout. *rsdp_gpa receives the RSDP's address.
 *
 * The layout is bad when: ncpus is not 1..255; base_gpa is not 16-byte
 * aligned or the tables would not lie below 4 GiB; the LAPIC or I/O APIC
 * address is 0; ecam_base is 0 or not 1 MiB aligned; the I/O window is
 * empty, starts below 0xd00 (the config ports and legacy devices sit below)
 * or runs past 0xffff; the 32-bit window is empty or crosses 4 GiB; the
 * 64-bit window starts below 4 GiB or wraps; ECAM overlaps a window; or
 * com_mask names a port beyond COM4.
 */
long acpi_build(const struct acpi_layout *layout, uint8_t *buf, size_t buflen, uint64_t *rsdp_gpa);

/* ACPI checksum helper: the byte that makes sum(buf[0..len)) == 0. */
uint8_t acpi_checksum(const uint8_t *buf, size_t len);

#endif
