/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small ACPI Machine Language encoder (ACPI 6.x, chapter 20): just what a
 * DSDT for a VM needs. Writes into a bounded buffer; an overflow sets
 * `overflow` and later writes are dropped, so callers check once at the end.
 */
#ifndef KHYVE_AML_H
#define KHYVE_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, cap;
	bool overflow;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* A NameString: "\\_SB_.PCI0", "_HID", "PCI0"; segments shorter than 4 are padded with '_'. */
void aml_name_string(struct aml *a, const char *path);
/* Integer with the shortest encoding: ZeroOp, OneOp, OnesOp (only for ~0), Byte/Word/DWord/QWord. */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EisaId("PNP0A03") as a DWord integer. */
uint32_t aml_eisaid(const char *id);

/* Nested constructs: open returns a mark; close fixes up the PkgLength. */
size_t aml_open(struct aml *a, uint8_t op);           /* ScopeOp, PackageOp, BufferOp, MethodOp */
size_t aml_open_ext(struct aml *a, uint8_t ext_op);   /* DeviceOp (0x5B 0x82) */
void aml_close(struct aml *a, size_t mark);
/* PkgLength encoding of len (which counts the encoding itself); returns its size 1..4, 0 if too big. */
unsigned aml_pkglength(uint8_t out[4], size_t body_len);

void aml_name(struct aml *a, const char *name); /* NameOp + NameString; a value must follow */

/* Resource template descriptors (ACPI 6.4.3 large/small items). */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max);
void aml_res_end(struct aml *a);

#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_NAME_OP 0x08
#define AML_RETURN_OP 0xa4
#define AML_DEVICE_EXT_OP 0x82

#endif
