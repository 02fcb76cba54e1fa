/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intel MultiProcessor Specification 1.4 tables: how guests without ACPI
 * find their CPUs, I/O APIC and interrupt routing. Built unless -Y.
 */
#ifndef KHYVE_MPTABLE_H
#define KHYVE_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_GPA 0xf1000ull /* in the BIOS area that guests scan for "_MP_" */
#define MPTABLE_MAX_SIZE 0x2000

struct mptable_layout {
	unsigned ncpus;
	const uint8_t *apic_id; /* per vCPU; NULL = 0..ncpus-1 */
	uint32_t lapic_addr, ioapic_addr;
	uint8_t ioapic_id;
	uint32_t pci_slot_mask; /* slots on bus 0 whose INTA-D get entries */
};

/* Build the floating pointer and configuration table into buf placed at gpa. */
long mptable_build(const struct mptable_layout *l, uint8_t *buf, size_t len, uint64_t gpa);

#endif
