// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/aml.h"

#include <string.h>

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_ONES_OP 0xff
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_EXT_PREFIX 0x5b
#define AML_ROOT_CHAR '\\'
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define PKGLEN_RESERVE 4

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	*a = (struct aml){.buf = buf, .cap = cap};
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_name_string(struct aml *a, const char *path)
{
	if (*path == AML_ROOT_CHAR) {
		aml_byte(a, AML_ROOT_CHAR);
		path++;
	}
	unsigned nseg = 1;
	for (const char *p = path; *p; p++)
		nseg += *p == '.';
	if (nseg == 2)
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nseg);
	}
	while (nseg--) {
		char seg[4] = {'_', '_', '_', '_'};
		for (unsigned i = 0; *path && *path != '.'; path++)
			if (i < 4)
				seg[i++] = *path;
		aml_bytes(a, seg, 4);
		if (*path == '.')
			path++;
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0)
		aml_byte(a, AML_ZERO_OP);
	else if (v == 1)
		aml_byte(a, AML_ONE_OP);
	else if (v == UINT64_MAX)
		aml_byte(a, AML_ONES_OP);
	else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, AML_DWORD_PREFIX);
		le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

uint32_t aml_eisaid(const char *id)
{
	/* Three letters of 5 bits each, then four hex digits; stored big-endian. */
	uint32_t v = ((uint32_t)(id[0] & 0x1f) << 26) | ((uint32_t)(id[1] & 0x1f) << 21) |
		     ((uint32_t)(id[2] & 0x1f) << 16);
	for (unsigned i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
		v |= (uint32_t)(d & 0xf) << (4 * (6 - i));
	}
	return __builtin_bswap32(v);
}

unsigned aml_pkglength(uint8_t out[4], size_t body_len)
{
	/* The length counts the PkgLength bytes themselves (ACPI 20.2.4). */
	if (body_len + 1 < 0x40) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (unsigned n = 2; n <= 4; n++) {
		size_t total = body_len + n;
		if (total < (1ull << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
			for (unsigned i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

size_t aml_open(struct aml *a, uint8_t op)
{
	aml_byte(a, op);
	size_t mark = a->len;
	static const uint8_t hole[PKGLEN_RESERVE];
	aml_bytes(a, hole, sizeof(hole));
	return mark;
}

size_t aml_open_ext(struct aml *a, uint8_t ext_op)
{
	aml_byte(a, AML_EXT_PREFIX);
	return aml_open(a, ext_op);
}

void aml_close(struct aml *a, size_t mark)
{
	if (a->overflow)
		return;
	size_t body = a->len - mark - PKGLEN_RESERVE;
	uint8_t enc[4];
	unsigned n = aml_pkglength(enc, body);
	if (n == 0) {
		a->overflow = true;
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark + PKGLEN_RESERVE, body);
	memcpy(a->buf + mark, enc, n);
	a->len = mark + n + body;
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_string(a, name);
}

/* Address space descriptor common part; flags: producer, positive decode, min/max fixed. */
static void addr_desc(struct aml *a, uint8_t tag, unsigned width, uint8_t type, uint8_t tflags,
		      uint64_t min, uint64_t max)
{
	aml_byte(a, tag);
	le(a, 3 + 5 * width, 2); /* length after the 3-byte header */
	aml_byte(a, type);
	aml_byte(a, 0x0c);
	aml_byte(a, tflags);
	le(a, 0, width);		/* granularity */
	le(a, min, width);
	le(a, max, width);
	le(a, 0, width);		/* translation offset */
	le(a, max - min + 1, width); /* length */
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	addr_desc(a, 0x88, 2, 2, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	addr_desc(a, 0x88, 2, 1, 3 /* entire range */, min, max);
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	const uint8_t d[] = {0x47, 0x01, (uint8_t)base, (uint8_t)(base >> 8),
			     (uint8_t)base, (uint8_t)(base >> 8), 0x01, len};
	aml_bytes(a, d, sizeof(d));
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	addr_desc(a, 0x87, 4, 0, 1 /* read-write, non-cacheable */, min, max);
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max)
{
	addr_desc(a, 0x8a, 8, 0, 1, min, max);
}

void aml_res_end(struct aml *a)
{
	aml_byte(a, 0x79);
	aml_byte(a, 0); /* checksum 0: "treat as correct" */
}
