/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small ACPI Machine Language encoder (ACPI 6.x, chapter 20 "ACPI Machine
 * Language Specification" and 6.4 "Resource Data Types"): just what the DSDT
 * of a VM needs.
 *
 * Output goes into a caller-supplied bounded buffer. The first problem (no
 * room: -ENOSPC; a bad name, string, range or unbalanced close: -EINVAL) is
 * recorded in `err` and every later call is a no-op, so a builder emits a
 * whole table and checks `err` once at the end.
 *
 * Nested constructs (Scope, Device, Method, Package, ResourceTemplate) are
 * opened with a call that returns a mark and closed with the matching close
 * call: the opener reserves a one-byte PkgLength, and the closer, once the
 * body length is known, writes the shortest encoding, moving the body up if
 * it needs more bytes. The output therefore never needs more room than its
 * final size. Closes must nest like the constructs themselves.
 */
#ifndef KHYVE_AML_H
#define KHYVE_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, cap;
	int err; /* 0, or the first error: -ENOSPC or -EINVAL */
};

/* Opcodes and prefixes (ACPI 6.4 section 20.3). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR 0x5c
#define AML_PARENT_PREFIX 0x5e
#define AML_RETURN_OP 0xa4
#define AML_ONES_OP 0xff

/* Resource descriptor tags (ACPI 6.4 section 6.4.2 small, 6.4.3 large). */
#define AML_RES_IRQ_NOFLAGS 0x22
#define AML_RES_IO 0x47
#define AML_RES_END_TAG 0x79
#define AML_RES_MEM32_FIXED 0x86
#define AML_RES_DWORD_ADDR 0x87
#define AML_RES_WORD_ADDR 0x88
#define AML_RES_EXT_IRQ 0x89
#define AML_RES_QWORD_ADDR 0x8a

/* PkgLength can count at most 2^28 - 1 bytes (four-byte encoding). */
#define AML_PKGLENGTH_MAX 0x0fffffffu

void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* Raw bytes, for what has no helper. */
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * A NameString: optional root prefix '\' or parent prefixes '^', then
 * NameSegs separated by '.', e.g. "\\_SB.PCI0", "_HID", "^COM1". Segments
 * shorter than four characters are padded with '_'; "\\" alone is the root
 * (NullName). Segments must be [A-Z_][A-Z0-9_]{0,3}.
 */
void aml_name_string(struct aml *a, const char *path);

/* Integer with the shortest encoding: Zero/One/Ones op, then Byte..QWord prefix. */
void aml_integer(struct aml *a, uint64_t v);
/* Null-terminated ASCII string (characters 0x01-0x7f). */
void aml_string(struct aml *a, const char *s);

/*
 * EisaId("PNP0A03"): three upper-case letters (5 bits each) and four hex
 * digits, packed big-endian into a DWord. aml_eisaid_value returns 0 or
 * -EINVAL; aml_eisaid emits it with a DWordPrefix, as ASL compilers do.
 */
int aml_eisaid_value(const char *id, uint32_t *out);
void aml_eisaid(struct aml *a, const char *id);

/* NameOp + NameString; exactly one data object must follow. */
void aml_name(struct aml *a, const char *name);
void aml_name_integer(struct aml *a, const char *name, uint64_t v);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);

/*
 * Encode the PkgLength of a construct whose body (what follows the
 * PkgLength) is body_len bytes; the encoded value counts its own bytes too.
 * Returns the size of the encoding (1..4), or 0 if body_len is too big.
 */
unsigned aml_pkglength(uint8_t out[4], size_t body_len);

/* Nested constructs: each returns a mark for aml_close(). */
size_t aml_scope(struct aml *a, const char *path);
size_t aml_device(struct aml *a, const char *name);
/* Method(name, nargs 0..7, Serialized/NotSerialized); sync level 0. */
size_t aml_method(struct aml *a, const char *name, unsigned nargs, bool serialized);
/* Package(nelem): exactly nelem data objects must follow before aml_close. */
size_t aml_package(struct aml *a, unsigned nelem);
void aml_close(struct aml *a, size_t mark);

/* ReturnOp; the returned term must follow. */
void aml_return(struct aml *a);

/* Buffer() holding n given bytes. */
void aml_buffer(struct aml *a, const void *data, size_t n);

/*
 * ResourceTemplate(): a Buffer of resource descriptors. Emit descriptors
 * after aml_restemplate(); aml_restemplate_end() appends the EndTag
 * (checksum 0: "treat as correct") and fixes up the buffer size.
 */
size_t aml_restemplate(struct aml *a);
void aml_restemplate_end(struct aml *a, size_t mark);

/* IO(Decode16, base, base, 1, len): a fixed range of I/O ports. */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
/* IRQNoFlags(){irq}: an ISA interrupt, edge-triggered, active high. */
void aml_res_irq(struct aml *a, unsigned irq);
/* Interrupt(consumer/producer, level/edge, active low/high, shared/exclusive){gsi} */
void aml_res_interrupt(struct aml *a, bool consumer, bool level, bool active_low, bool shared,
		       uint32_t gsi);
/* Memory32Fixed(ReadWrite or ReadOnly, base, len). */
void aml_res_mem32_fixed(struct aml *a, bool rw, uint32_t base, uint32_t len);

/*
 * Address space descriptors with fixed minimum and maximum, positive decode,
 * granularity and translation 0 and length = max - min + 1. Bus numbers and
 * I/O ports are windows a bridge produces; memory ranges are non-cacheable,
 * read-write, and either produced (a bridge window) or consumed.
 */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, bool consumer, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, bool consumer, uint64_t min, uint64_t max);

#endif
