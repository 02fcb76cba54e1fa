// SPDX-License-Identifier: BSD-2-Clause
/* AML encoder: see include/khyve/aml.h for the error and nesting model. */
#include "khyve/aml.h"

#include <errno.h>
#include <string.h>

/* Room an opener reserves for the PkgLength; the closer grows it as needed. */
#define PKGLEN_HOLE 1
/* Room aml_restemplate() reserves for BufferSize: BytePrefix + byte (EndTag alone is 2). */
#define BUFSIZE_HOLE 2
#define INT_ENC_MAX 9

/* Method flags (ACPI 6.4 section 20.2.5.2, DefMethod). */
#define METHOD_ARGS_MASK 0x07
#define METHOD_SERIALIZED 0x08

/* Address space descriptor fields (ACPI 6.4 section 6.4.3.5). */
#define ADDR_TYPE_MEM 0
#define ADDR_TYPE_IO 1
#define ADDR_TYPE_BUS 2
#define ADDR_CONSUMER (1u << 0)
#define ADDR_MIN_FIXED (1u << 2)
#define ADDR_MAX_FIXED (1u << 3)
#define ADDR_IO_ENTIRE_RANGE 3
#define ADDR_MEM_RW (1u << 0) /* cacheability bits 1-2 left 0: non-cacheable */

/* Extended interrupt descriptor flags (ACPI 6.4 section 6.4.3.6). */
#define EXT_IRQ_CONSUMER (1u << 0)
#define EXT_IRQ_EDGE (1u << 1)
#define EXT_IRQ_ACTIVE_LOW (1u << 2)
#define EXT_IRQ_SHARED (1u << 3)

static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	*a = (struct aml){.buf = buf, .cap = buf ? cap : 0};
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	if (n)
		memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void emit_le(struct aml *a, uint64_t v, unsigned n)
{
	uint8_t b[8];
	put_le(b, v, n);
	aml_bytes(a, b, n);
}

static bool lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_char(c) || (c >= '0' && c <= '9');
}

/* Length of the NameSeg at p (up to '.' or the end), or -1 if it is malformed. */
static int seg_len(const char *p)
{
	int n = 0;
	if (!lead_char(*p))
		return -1;
	while (p[n] && p[n] != '.') {
		if (n == 4 || !name_char(p[n]))
			return -1;
		n++;
	}
	return n;
}

void aml_name_string(struct aml *a, const char *path)
{
	const char *p = path;
	uint8_t prefix[256];
	size_t nprefix = 0;

	if (*p == '\\')
		prefix[nprefix++] = AML_ROOT_CHAR;
	else
		while (p[nprefix] == '^' && nprefix < sizeof(prefix))
			prefix[nprefix++] = AML_PARENT_PREFIX;
	p += nprefix;
	if (*p == '\0') {
		/* "\" or "^": the prefix followed by NullName; "" names nothing. */
		if (nprefix == 0) {
			fail(a, -EINVAL);
			return;
		}
		aml_bytes(a, prefix, nprefix);
		aml_byte(a, 0);
		return;
	}

	unsigned nseg = 0;
	for (const char *q = p;; nseg++) {
		int n = seg_len(q);
		if (n < 0 || nseg == 255) {
			fail(a, -EINVAL);
			return;
		}
		q += n;
		if (*q == '\0')
			break;
		if (*++q == '\0') { /* trailing '.' */
			fail(a, -EINVAL);
			return;
		}
	}
	nseg++;

	aml_bytes(a, prefix, nprefix);
	if (nseg == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nseg);
	}
	for (unsigned i = 0; i < nseg; i++) {
		char seg[4] = {'_', '_', '_', '_'};
		int n = seg_len(p);
		memcpy(seg, p, (size_t)n);
		aml_bytes(a, seg, sizeof(seg));
		p += n + (p[n] == '.');
	}
}

static unsigned int_encode(uint8_t out[INT_ENC_MAX], uint64_t v)
{
	unsigned n;
	if (v == 0 || v == 1) {
		out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	if (v == UINT64_MAX) {
		/* Ones is all bits set for the table's integer width: the DSDT is revision 2. */
		out[0] = AML_ONES_OP;
		return 1;
	}
	if (v <= UINT8_MAX) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= UINT16_MAX) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= UINT32_MAX) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	put_le(out + 1, v, n);
	return n + 1;
}

void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t enc[INT_ENC_MAX];
	aml_bytes(a, enc, int_encode(enc, v));
}

void aml_string(struct aml *a, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] > 0x7f) {
			fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, n + 1);
}

int aml_eisaid_value(const char *id, uint32_t *out)
{
	uint32_t v = 0;
	if (strlen(id) != 7)
		return -EINVAL;
	/* Letters compress to 5 bits as 'A' = 1 .. 'Z' = 26 (ASCII minus 0x40). */
	for (unsigned i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return -EINVAL;
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	for (unsigned i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v |= (uint32_t)d << (4 * (6 - i));
	}
	/* The compressed ID is defined as a big-endian byte sequence. */
	*out = __builtin_bswap32(v);
	return 0;
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v;
	if (aml_eisaid_value(id, &v) < 0) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, AML_DWORD_PREFIX);
	emit_le(a, v, 4);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_string(a, name);
}

void aml_name_integer(struct aml *a, const char *name, uint64_t v)
{
	aml_name(a, name);
	aml_integer(a, v);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name(a, name);
	aml_eisaid(a, id);
}

unsigned aml_pkglength(uint8_t out[4], size_t body_len)
{
	/*
	 * One byte holds 0..63 in bits 0-5. Longer forms put the count of
	 * following bytes in bits 6-7, the low nibble in bits 0-3 (bits 4-5
	 * zero) and the rest in the following bytes, least significant first.
	 */
	if (body_len < 0x3f) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (unsigned n = 2; n <= 4; n++) {
		size_t total = body_len + n;
		if (total < body_len || total > (((size_t)1 << (4 + 8 * (n - 1))) - 1))
			continue;
		out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
		for (unsigned i = 1; i < n; i++)
			out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
		return n;
	}
	return 0;
}

/*
 * Reserve the smallest PkgLength (one byte); the mark is where it starts.
 * The closer grows it in place when the body turns out longer, so the
 * output never needs more room than its final size.
 */
static size_t open_pkg(struct aml *a)
{
	size_t mark = a->len;
	aml_byte(a, 0);
	return mark;
}

/*
 * Replace the `hole` bytes at mark with PkgLength + `pre` (which the
 * PkgLength covers, as it does the body after the hole), moving the body.
 */
static void close_pkg(struct aml *a, size_t mark, size_t hole, const uint8_t *pre, size_t npre)
{
	uint8_t enc[4];
	if (a->err)
		return;
	if (mark > a->len || a->len - mark < hole) {
		fail(a, -EINVAL);
		return;
	}
	size_t body = a->len - mark - hole;
	unsigned n = aml_pkglength(enc, npre + body);
	if (n == 0) {
		fail(a, -EINVAL);
		return;
	}
	size_t head = n + npre;
	if (head > hole && head - hole > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	memmove(a->buf + mark + head, a->buf + mark + hole, body);
	memcpy(a->buf + mark, enc, n);
	if (npre)
		memcpy(a->buf + mark + n, pre, npre);
	a->len = mark + head + body;
}

void aml_close(struct aml *a, size_t mark)
{
	close_pkg(a, mark, PKGLEN_HOLE, NULL, 0);
}

size_t aml_scope(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	size_t mark = open_pkg(a);
	aml_name_string(a, path);
	return mark;
}

size_t aml_device(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	size_t mark = open_pkg(a);
	aml_name_string(a, name);
	return mark;
}

size_t aml_method(struct aml *a, const char *name, unsigned nargs, bool serialized)
{
	if (nargs > METHOD_ARGS_MASK)
		fail(a, -EINVAL);
	aml_byte(a, AML_METHOD_OP);
	size_t mark = open_pkg(a);
	aml_name_string(a, name);
	aml_byte(a, (uint8_t)(nargs | (serialized ? METHOD_SERIALIZED : 0)));
	return mark;
}

size_t aml_package(struct aml *a, unsigned nelem)
{
	/* NumElements is one byte; longer lists would need VarPackageOp. */
	if (nelem > UINT8_MAX)
		fail(a, -EINVAL);
	aml_byte(a, AML_PACKAGE_OP);
	size_t mark = open_pkg(a);
	aml_byte(a, (uint8_t)nelem);
	return mark;
}

void aml_return(struct aml *a)
{
	aml_byte(a, AML_RETURN_OP);
}

void aml_buffer(struct aml *a, const void *data, size_t n)
{
	uint8_t size[INT_ENC_MAX], pkg[4];
	unsigned ns = int_encode(size, n);
	unsigned np = aml_pkglength(pkg, ns + n);
	if (np == 0 || ns + n < n) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, AML_BUFFER_OP);
	aml_bytes(a, pkg, np);
	aml_bytes(a, size, ns);
	aml_bytes(a, data, n);
}

size_t aml_restemplate(struct aml *a)
{
	static const uint8_t hole[BUFSIZE_HOLE];
	aml_byte(a, AML_BUFFER_OP);
	size_t mark = open_pkg(a);
	aml_bytes(a, hole, sizeof(hole));
	return mark;
}

void aml_restemplate_end(struct aml *a, size_t mark)
{
	uint8_t size[INT_ENC_MAX];
	aml_byte(a, AML_RES_END_TAG);
	aml_byte(a, 0); /* checksum 0: the template is treated as valid */
	if (a->err)
		return;
	if (mark > a->len || a->len - mark < PKGLEN_HOLE + BUFSIZE_HOLE) {
		fail(a, -EINVAL);
		return;
	}
	size_t body = a->len - mark - PKGLEN_HOLE - BUFSIZE_HOLE;
	unsigned ns = int_encode(size, body);
	close_pkg(a, mark, PKGLEN_HOLE + BUFSIZE_HOLE, size, ns);
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	/* Decode16; minimum = maximum = base; alignment 1. */
	const uint8_t d[] = {AML_RES_IO,    0x01,
			     (uint8_t)base, (uint8_t)(base >> 8),
			     (uint8_t)base, (uint8_t)(base >> 8),
			     0x01,	    len};
	aml_bytes(a, d, sizeof(d));
}

void aml_res_irq(struct aml *a, unsigned irq)
{
	if (irq > 15) {
		fail(a, -EINVAL);
		return;
	}
	const uint8_t d[] = {AML_RES_IRQ_NOFLAGS, (uint8_t)(1u << irq),
			     (uint8_t)((1u << irq) >> 8)};
	aml_bytes(a, d, sizeof(d));
}

void aml_res_interrupt(struct aml *a, bool consumer, bool level, bool active_low, bool shared,
		       uint32_t gsi)
{
	uint8_t d[9] = {AML_RES_EXT_IRQ, 6, 0};
	d[3] = (uint8_t)((consumer ? EXT_IRQ_CONSUMER : 0) | (level ? 0 : EXT_IRQ_EDGE) |
			 (active_low ? EXT_IRQ_ACTIVE_LOW : 0) | (shared ? EXT_IRQ_SHARED : 0));
	d[4] = 1; /* interrupt table length */
	put_le(d + 5, gsi, 4);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_mem32_fixed(struct aml *a, bool rw, uint32_t base, uint32_t len)
{
	uint8_t d[12] = {AML_RES_MEM32_FIXED, 9, 0, rw ? 1 : 0};
	put_le(d + 4, base, 4);
	put_le(d + 8, len, 4);
	aml_bytes(a, d, sizeof(d));
}

/* Word/DWord/QWord address space descriptor of `width` bytes per field. */
static void addr_desc(struct aml *a, uint8_t tag, unsigned width, uint8_t type, uint8_t gflags,
		      uint8_t tflags, uint64_t min, uint64_t max)
{
	uint64_t limit = width == 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
	/* length = max - min + 1 must be non-zero and fit in a field. */
	if (max < min || max > limit || max - min >= limit) {
		fail(a, -EINVAL);
		return;
	}
	uint8_t d[3 + 3 + 5 * 8];
	unsigned n = 3 + 3 + 5 * width;
	d[0] = tag;
	put_le(d + 1, n - 3, 2); /* length of what follows the 3-byte header */
	d[3] = type;
	d[4] = gflags | ADDR_MIN_FIXED | ADDR_MAX_FIXED; /* positive decode */
	d[5] = tflags;
	uint8_t *f = d + 6;
	put_le(f, 0, width); /* granularity */
	put_le(f + width, min, width);
	put_le(f + 2 * width, max, width);
	put_le(f + 3 * width, 0, width);	     /* translation offset */
	put_le(f + 4 * width, max - min + 1, width); /* length */
	aml_bytes(a, d, n);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	addr_desc(a, AML_RES_WORD_ADDR, 2, ADDR_TYPE_BUS, 0, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	addr_desc(a, AML_RES_WORD_ADDR, 2, ADDR_TYPE_IO, 0, ADDR_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_mem(struct aml *a, bool consumer, uint32_t min, uint32_t max)
{
	addr_desc(a, AML_RES_DWORD_ADDR, 4, ADDR_TYPE_MEM, consumer ? ADDR_CONSUMER : 0,
		  ADDR_MEM_RW, min, max);
}

void aml_res_qword_mem(struct aml *a, bool consumer, uint64_t min, uint64_t max)
{
	addr_desc(a, AML_RES_QWORD_ADDR, 8, ADDR_TYPE_MEM, consumer ? ADDR_CONSUMER : 0,
		  ADDR_MEM_RW, min, max);
}
