// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/mptable.h"

#include <errno.h>
#include <string.h>

#include "khyve/acpi.h"

#define MP_SPEC_REV 4 /* 1.4 */
#define MP_HDR_LEN 44
#define MP_PROC_LEN 20
#define MP_ENTRY_LEN 8
#define BUS_PCI 0
#define BUS_ISA 1
#define INT_TYPE_INT 0
#define INT_TYPE_NMI 1
#define INT_TYPE_EXTINT 3
#define FLAGS_CONFORM 0x0
#define FLAGS_PCI 0xf /* level-triggered, active low */
#define FLAGS_SCI 0xd /* level-triggered, active high */

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *irq_entry(uint8_t *e, uint8_t type, uint8_t flags, uint8_t bus, uint8_t irq,
			  uint8_t ioapic, uint8_t pin)
{
	e[0] = 3;
	e[1] = type;
	put(e + 2, flags, 2);
	e[4] = bus;
	e[5] = irq;
	e[6] = ioapic;
	e[7] = pin;
	return e + MP_ENTRY_LEN;
}

long mptable_build(const struct mptable_layout *l, uint8_t *buf, size_t len, uint64_t gpa)
{
	if (l->ncpus < 1 || l->ncpus > 255)
		return -EINVAL;
	unsigned pci_slots = (unsigned)__builtin_popcount(l->pci_slot_mask);
	/* CPUs, 2 buses, 1 I/O APIC, 15 ISA IRQs, 4 per PCI slot, 2 local interrupts */
	unsigned entries = l->ncpus + 2 + 1 + 15 + 4 * pci_slots + 2;
	size_t table_len = MP_HDR_LEN + MP_PROC_LEN * l->ncpus + MP_ENTRY_LEN * (entries - l->ncpus);
	size_t total = 16 + table_len;
	if (total > len)
		return -ENOSPC;
	memset(buf, 0, total);

	uint8_t *f = buf; /* floating pointer structure */
	memcpy(f, "_MP_", 4);
	put(f + 4, gpa + 16, 4);
	f[8] = 1; /* length in 16-byte paragraphs */
	f[9] = MP_SPEC_REV;
	f[10] = acpi_checksum(f, 16);

	uint8_t *t = buf + 16;
	memcpy(t, "PCMP", 4);
	put(t + 4, table_len, 2);
	t[6] = MP_SPEC_REV;
	memcpy(t + 8, "KHYVE   ", 8);
	memcpy(t + 16, "KHYVE VM    ", 12);
	put(t + 34, entries, 2);
	put(t + 36, l->lapic_addr, 4);

	uint8_t *e = t + MP_HDR_LEN;
	for (unsigned i = 0; i < l->ncpus; i++, e += MP_PROC_LEN) {
		e[0] = 0;
		e[1] = l->apic_id ? l->apic_id[i] : (uint8_t)i;
		e[2] = 0x14; /* local APIC version */
		e[3] = (uint8_t)(1 | (i == 0 ? 2 : 0)); /* enabled; the first is the boot CPU */
		put(e + 4, 0x600, 4);			 /* CPU signature: family 6 */
		put(e + 8, 0x201, 4);			 /* features: FPU, APIC */
	}
	const struct {
		uint8_t id;
		char name[7];
	} buses[] = {{BUS_PCI, "PCI   "}, {BUS_ISA, "ISA   "}};
	for (unsigned i = 0; i < 2; i++, e += MP_ENTRY_LEN) {
		e[0] = 1;
		e[1] = buses[i].id;
		memcpy(e + 2, buses[i].name, 6);
	}
	e[0] = 2;
	e[1] = l->ioapic_id;
	e[2] = 0x11; /* I/O APIC version */
	e[3] = 1;    /* enabled */
	put(e + 4, l->ioapic_addr, 4);
	e += MP_ENTRY_LEN;
	/* ISA IRQs: IRQ0 (the PIT) on pin 2, as the MADT override says; IRQ2 is the cascade. */
	for (uint8_t irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		e = irq_entry(e, INT_TYPE_INT, irq == ACPI_SCI_IRQ ? FLAGS_SCI : FLAGS_CONFORM,
			      BUS_ISA, irq, l->ioapic_id, irq == 0 ? 2 : irq);
	}
	for (uint8_t s = 0; s < 32; s++) {
		if (!(l->pci_slot_mask & (1u << s)))
			continue;
		for (uint8_t pin = 0; pin < 4; pin++)
			e = irq_entry(e, INT_TYPE_INT, FLAGS_PCI, BUS_PCI, (uint8_t)(s << 2 | pin),
				      l->ioapic_id, (uint8_t)acpi_pci_intx_gsi(s, pin));
	}
	/* Local interrupts of every CPU: LINT0 ExtINT (the 8259), LINT1 NMI. */
	for (uint8_t lint = 0; lint < 2; lint++, e += MP_ENTRY_LEN) {
		e[0] = 4;
		e[1] = lint ? INT_TYPE_NMI : INT_TYPE_EXTINT;
		e[4] = BUS_ISA;
		e[6] = 0xff;
		e[7] = lint;
	}
	t[7] = acpi_checksum(t, table_len);
	return (long)total;
}
