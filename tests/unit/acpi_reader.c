// SPDX-License-Identifier: BSD-2-Clause
/* ACPI tables read back for the unit tests: see acpi_reader.h. */
#include "acpi_reader.h"

#include <check.h>
#include <string.h>

uint8_t buf[BUFSZ];
long used;
uint64_t rsdp_gpa;

uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

void build(const struct acpi_layout *l)
{
	memset(buf, 0xa5, sizeof(buf));
	used = acpi_build(l, buf, sizeof(buf), &rsdp_gpa);
	ck_assert_int_gt(used, 0);
	ck_assert_int_le(used, BUFSZ);
}

/* A table at gpa: inside what was built, sane length, zero checksum, our IDs. */
const uint8_t *table(uint64_t gpa, const char *sig)
{
	ck_assert(gpa >= BASE && gpa + 36 <= BASE + (uint64_t)used);
	const uint8_t *t = buf + (gpa - BASE);
	ck_assert_msg(memcmp(t, sig, 4) == 0, "expected %s at %#llx", sig, (unsigned long long)gpa);
	uint32_t len = (uint32_t)le(t + 4, 4);
	ck_assert(len >= 36 && gpa + len <= BASE + (uint64_t)used);
	ck_assert_uint_eq(sum(t, len), 0);
	ck_assert_mem_eq(t + 16, "KHYVETBL", 8);
	ck_assert_mem_eq(t + 28, "KHYV", 4);
	return t;
}

/* RSDP -> XSDT -> FADT/MADT/MCFG, FADT -> FACS/DSDT, as Linux walks them. */
struct tables walk(const struct acpi_layout *l)
{
	struct tables t = {0};
	build(l);
	/* The legacy BIOS-area scan: first 16-byte aligned "RSD PTR " with a good checksum. */
	for (long off = 0; off + 36 <= used && !t.rsdp; off += 16)
		if (memcmp(buf + off, "RSD PTR ", 8) == 0 && sum(buf + off, 20) == 0)
			t.rsdp = buf + off;
	ck_assert_ptr_nonnull(t.rsdp);
	ck_assert_uint_eq(BASE + (uint64_t)(t.rsdp - buf), rsdp_gpa);
	ck_assert_uint_eq(t.rsdp[15], 2);
	ck_assert_uint_eq(le(t.rsdp + 16, 8), 36ull << 32); /* no RSDT; length 36 */
	ck_assert_uint_eq(sum(t.rsdp, 36), 0);

	t.xsdt = table(le(t.rsdp + 24, 8), "XSDT");
	uint32_t xlen = (uint32_t)le(t.xsdt + 4, 4);
	ck_assert_uint_eq((xlen - 36) % 8, 0);
	static const char *const sigs[] = {"FACP", "APIC", "MCFG"};
	const uint8_t **slots[] = {&t.fadt, &t.madt, &t.mcfg};
	for (uint32_t off = 36; off < xlen; off += 8) {
		uint64_t gpa = le(t.xsdt + off, 8);
		ck_assert(gpa >= BASE && gpa + 36 <= BASE + (uint64_t)used);
		unsigned k = 0;
		while (k < 3 && memcmp(buf + (gpa - BASE), sigs[k], 4) != 0)
			k++;
		ck_assert_msg(k < 3, "unexpected table %.4s", (const char *)buf + (gpa - BASE));
		ck_assert_ptr_null(*slots[k]); /* each signature once */
		*slots[k] = table(gpa, sigs[k]);
	}
	for (unsigned k = 0; k < 3; k++)
		ck_assert_ptr_nonnull(*slots[k]);
	t.dsdt = table(le(t.fadt + 140, 8), "DSDT");
	uint64_t facs = le(t.fadt + 132, 8);
	ck_assert(facs >= BASE && facs + 64 <= BASE + (uint64_t)used);
	t.facs = buf + (facs - BASE);

	/* No two structures overlap. */
	const uint8_t *all[] = {t.rsdp, t.xsdt, t.fadt, t.facs, t.dsdt, t.madt, t.mcfg};
	size_t lens[7];
	for (unsigned i = 0; i < 7; i++)
		lens[i] = i == 0 ? 36 : le(all[i] + 4, 4);
	for (unsigned i = 0; i < 7; i++)
		for (unsigned j = i + 1; j < 7; j++)
			ck_assert_msg(all[i] + lens[i] <= all[j] || all[j] + lens[j] <= all[i],
				      "structures %u and %u overlap", i, j);
	return t;
}

/* ---- a small AML namespace reader (the subset the DSDT uses) ---- */

struct obj {
	char path[64];
	const uint8_t *p; /* the data object, the method's flags byte, or the device's op */
};
static struct obj objs[1024];
static unsigned nobjs;

static size_t pkglen(const uint8_t *p, size_t *val)
{
	unsigned follow = p[0] >> 6;
	ck_assert(follow == 0 || (p[0] & 0x30) == 0);
	*val = p[0] & (follow ? 0x0f : 0x3f);
	for (unsigned i = 0; i < follow; i++)
		*val |= (size_t)p[1 + i] << (4 + 8 * i);
	return 1 + follow;
}

/* An absolute path like "\\_SB_.PCI0" for a NameString (no '^': the DSDT has none). */
static size_t namestring(const uint8_t *p, const char *scope, char *out)
{
	size_t n = p[0] == '\\';
	strcpy(out, n ? "\\" : scope);
	unsigned nseg = 1;
	if (p[n] == 0x00 || p[n] == 0x2e) { /* NullName, DualNamePrefix */
		nseg = p[n++] ? 2 : 0;
	} else if (p[n] == 0x2f) { /* MultiNamePrefix SegCount */
		nseg = p[n + 1];
		n += 2;
	}
	for (unsigned i = 0; i < nseg; i++, n += 4) {
		if (strcmp(out, "\\") != 0)
			strcat(out, ".");
		strncat(out, (const char *)p + n, 4);
	}
	return n;
}

/* Bytes an integer's encoding takes (ZeroOp/OneOp/OnesOp, Byte..QWord prefix), 0 if not one. */
static size_t int_len(uint8_t op)
{
	static const uint8_t len[256] = {
	    [0x00] = 1, [0x01] = 1, [0xff] = 1, [0x0a] = 2, [0x0b] = 3, [0x0c] = 5, [0x0e] = 9};
	return len[op];
}

uint64_t intval(const uint8_t *p)
{
	size_t n = int_len(p[0]);
	ck_assert_msg(n, "not an integer: %#x", p[0]);
	if (n == 1)
		return p[0] == 0xff ? UINT64_MAX : p[0];
	return le(p + 1, (unsigned)n - 1);
}

size_t data_len(const uint8_t *p)
{
	size_t v;
	if (int_len(p[0]))
		return int_len(p[0]);
	if (p[0] == 0x0d) /* String */
		return strlen((const char *)p + 1) + 2;
	ck_assert_msg(p[0] == 0x11 || p[0] == 0x12, "unexpected data object %#x", p[0]);
	pkglen(p + 1, &v); /* Buffer, Package */
	return 1 + v;
}

static void record(const char *path, const uint8_t *p)
{
	for (unsigned i = 0; i < nobjs; i++)
		ck_assert_msg(strcmp(objs[i].path, path) != 0, "%s declared twice", path);
	ck_assert_uint_lt(nobjs, sizeof(objs) / sizeof(objs[0]));
	strcpy(objs[nobjs].path, path);
	objs[nobjs++].p = p;
}

static void terms(const uint8_t *p, const uint8_t *end, const char *scope)
{
	char path[64];
	size_t v;
	while (p < end) {
		const uint8_t *op = p;
		if (p[0] == 0x08) { /* Name */
			p += 1 + namestring(p + 1, scope, path);
			record(path, p);
			p += data_len(p);
		} else if (p[0] == 0x10 || (p[0] == 0x5b && p[1] == 0x82) || p[0] == 0x14) {
			p += p[0] == 0x5b ? 2 : 1;
			const uint8_t *body_end = p + (pkglen(p, &v), v);
			ck_assert(body_end <= end);
			p += pkglen(p, &v);
			p += namestring(p, scope, path);
			if (op[0] == 0x14) { /* Method: not evaluated here */
				record(path, p);
			} else {
				if (op[0] == 0x5b)
					record(path, op);
				terms(p, body_end, path);
			}
			p = body_end;
		} else {
			ck_abort_msg("unexpected opcode %#x in %s", p[0], scope);
		}
		ck_assert(p <= end);
	}
}

void parse_dsdt(const uint8_t *dsdt)
{
	nobjs = 0;
	ck_assert_uint_eq(dsdt[8], 2); /* revision 2: 64-bit integers */
	terms(dsdt + 36, dsdt + le(dsdt + 4, 4), "\\");
}

const uint8_t *lookup(const char *path)
{
	for (unsigned i = 0; i < nobjs; i++)
		if (strcmp(objs[i].path, path) == 0)
			return objs[i].p;
	return NULL;
}

/* Package elements: returns the first, *n = NumElements; checks they fill the package. */
const uint8_t *package(const uint8_t *p, unsigned *n)
{
	size_t v;
	ck_assert_uint_eq(p[0], 0x12);
	size_t pl = pkglen(p + 1, &v);
	const uint8_t *end = p + 1 + v, *e = p + 1 + pl + 1;
	*n = p[1 + pl];
	const uint8_t *first = e;
	for (unsigned i = 0; i < *n; i++)
		e += data_len(e);
	ck_assert_ptr_eq(e, end);
	return first;
}

/* Decode a ResourceTemplate buffer; the EndTag must end it exactly. */
unsigned resources(const uint8_t *p, struct res *r, unsigned max)
{
	size_t v;
	ck_assert_uint_eq(p[0], 0x11);
	size_t pl = pkglen(p + 1, &v);
	const uint8_t *end = p + 1 + v, *d = p + 1 + pl;
	uint64_t size = intval(d);
	d += data_len(d);
	ck_assert_uint_eq(size, (uint64_t)(end - d));
	unsigned n = 0;
	for (;;) {
		ck_assert(d < end);
		ck_assert_uint_lt(n, max);
		struct res *x = &r[n];
		memset(x, 0, sizeof(*x));
		if (!(d[0] & 0x80)) {
			unsigned type = (d[0] >> 3) & 0xf, len = d[0] & 7;
			if (type == 0xf) {
				ck_assert_uint_eq(len, 1);
				ck_assert_uint_eq(d[1], 0);
				ck_assert_ptr_eq(d + 2, end);
				return n;
			}
			if (type == 0x4) {
				ck_assert_uint_eq(len, 2);
				x->kind = 'q';
				x->min = (uint64_t)__builtin_ctz((unsigned)le(d + 1, 2));
			} else {
				ck_assert_uint_eq(type, 0x8);
				ck_assert_uint_eq(len, 7);
				ck_assert_uint_eq(le(d + 2, 2), le(d + 4, 2)); /* min == max */
				x->kind = 'i';
				x->min = le(d + 2, 2);
				x->len = d[7];
			}
			d += 1 + len;
		} else {
			unsigned len = (unsigned)le(d + 1, 2), w = 0;
			switch (d[0]) {
			case 0x86:
				x->kind = 'f';
				x->tflags = d[3];
				x->min = le(d + 4, 4);
				x->len = le(d + 8, 4);
				break;
			case 0x89:
				x->kind = 'x';
				x->gflags = d[3];
				x->min = le(d + 5, 4);
				break;
			case 0x87:
			case 0x88:
			case 0x8a:
				w = d[0] == 0x88 ? 2 : d[0] == 0x87 ? 4 : 8;
				ck_assert_uint_eq(len, 3 + 5 * w);
				x->kind = "mwb"[d[3]];
				x->gflags = d[4];
				x->tflags = d[5];
				ck_assert_uint_eq(le(d + 6, w), 0);	    /* granularity */
				ck_assert_uint_eq(le(d + 6 + 3 * w, w), 0); /* translation */
				x->min = le(d + 6 + w, w);
				x->len = le(d + 6 + 4 * w, w);
				ck_assert_uint_eq(le(d + 6 + 2 * w, w), x->min + x->len - 1);
				break;
			default:
				ck_abort_msg("unexpected descriptor %#x", d[0]);
			}
			d += 3 + len;
		}
		n++;
	}
}

void want_res(const struct res *r, char kind, uint64_t min, uint64_t len)
{
	ck_assert_msg(r->kind == kind && r->min == min && r->len == len,
		      "got %c %#llx+%#llx, want %c %#llx+%#llx", r->kind,
		      (unsigned long long)r->min, (unsigned long long)r->len, kind,
		      (unsigned long long)min, (unsigned long long)len);
}
