/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI tables read back the way an OS does, for the unit tests: find the
 * RSDP, follow the XSDT, check every checksum and length. The DSDT is walked
 * by a small AML reader that records every named object, so tests look up
 * "\_SB_.PCI0._PRT" rather than search for bytes. Failures are Check
 * assertions.
 */
#ifndef KHYVE_TEST_ACPI_READER_H
#define KHYVE_TEST_ACPI_READER_H

#include <stddef.h>
#include <stdint.h>

#include "khyve/acpi.h"

#define BASE 0xe0000ull /* where the tables are built for */
#define BUFSZ (128 * 1024)

/* The last build(): the buffer, the bytes used, the RSDP's address. */
extern uint8_t buf[BUFSZ];
extern long used;
extern uint64_t rsdp_gpa;

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *facs, *dsdt, *madt, *mcfg;
};

struct res {
	char kind; /* b bus, w I/O window, i IO, m memory, f Memory32Fixed, q IRQ, x Interrupt */
	uint64_t min, len;
	uint8_t gflags, tflags;
};

uint8_t sum(const uint8_t *p, size_t n);
uint64_t le(const uint8_t *p, unsigned n);
/* acpi_build into buf, which must succeed. */
void build(const struct acpi_layout *l);
/* A table at gpa: inside what was built, sane length, zero checksum, our IDs. */
const uint8_t *table(uint64_t gpa, const char *sig);
/* Build, then RSDP -> XSDT -> FADT/MADT/MCFG, FADT -> FACS/DSDT, as Linux walks them. */
struct tables walk(const struct acpi_layout *l);

/* Record every named object of the DSDT; lookup() finds one by absolute path. */
void parse_dsdt(const uint8_t *dsdt);
/* The data object, the method's flags byte or the device's opcode; NULL if undeclared. */
const uint8_t *lookup(const char *path);
/* An integer data object's value; bytes a data object takes. */
uint64_t intval(const uint8_t *p);
size_t data_len(const uint8_t *p);
/* Package elements: returns the first, *n = NumElements; checks they fill the package. */
const uint8_t *package(const uint8_t *p, unsigned *n);
/* Decode a ResourceTemplate buffer into r (at most max); the EndTag must end it exactly. */
unsigned resources(const uint8_t *p, struct res *r, unsigned max);
void want_res(const struct res *r, char kind, uint64_t min, uint64_t len);

#endif
