// SPDX-License-Identifier: BSD-2-Clause
/* AML encoder: exact byte encodings, nesting, bounds and input validation. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/acpi.h"
#include "khyve/aml.h"

static uint8_t out[8192];
static struct aml a;

static void reset(void)
{
	memset(out, 0xa5, sizeof(out));
	aml_init(&a, out, sizeof(out));
}

/* The output so far must be exactly `want`, with no error. */
#define EXPECT(...)                                                                                \
	do {                                                                                       \
		const uint8_t want_[] = {__VA_ARGS__};                                             \
		ck_assert_int_eq(a.err, 0);                                                        \
		ck_assert_uint_eq(a.len, sizeof(want_));                                           \
		ck_assert_mem_eq(out, want_, sizeof(want_));                                       \
	} while (0)

START_TEST(integers_at_size_boundaries)
{
	static const struct {
		uint64_t v;
		uint8_t len, enc[9];
	} cases[] = {
	    {0, 1, {0x00}},
	    {1, 1, {0x01}},
	    {2, 2, {0x0a, 0x02}},
	    {0xff, 2, {0x0a, 0xff}},
	    {0x100, 3, {0x0b, 0x00, 0x01}},
	    {0xffff, 3, {0x0b, 0xff, 0xff}},
	    {0x10000, 5, {0x0c, 0x00, 0x00, 0x01, 0x00}},
	    {0xffffffff, 5, {0x0c, 0xff, 0xff, 0xff, 0xff}},
	    {0x100000000ull, 9, {0x0e, 0, 0, 0, 0, 1, 0, 0, 0}},
	    {0x0123456789abcdefull, 9, {0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}},
	    {UINT64_MAX - 1, 9, {0x0e, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	    {UINT64_MAX, 1, {0xff}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset();
		aml_integer(&a, cases[i].v);
		ck_assert_int_eq(a.err, 0);
		ck_assert_uint_eq(a.len, cases[i].len);
		ck_assert_mem_eq(out, cases[i].enc, cases[i].len);
		ck_assert_uint_eq(out[a.len], 0xa5); /* nothing written past the end */
	}
}
END_TEST

START_TEST(pkglength_boundaries)
{
	/* Totals (PkgLength bytes included) of 63/64, 4095/4096, 2^20-1/2^20, 2^28-1. */
	static const struct {
		size_t body;
		unsigned n;
		uint8_t enc[4];
	} cases[] = {
	    {0, 1, {0x01}},
	    {62, 1, {0x3f}},				  /* total 63 */
	    {63, 2, {0x41, 0x04}},			  /* total 65: 64 needs two bytes */
	    {4093, 2, {0x4f, 0xff}},			  /* total 4095 */
	    {4094, 3, {0x81, 0x00, 0x01}},		  /* total 4097: 4096 needs three */
	    {0xfffff - 3, 3, {0x8f, 0xff, 0xff}},	  /* total 2^20 - 1 */
	    {0xfffff - 2, 4, {0xc1, 0x00, 0x00, 0x01}},	  /* total 2^20 + 1 */
	    {0xfffffff - 4, 4, {0xcf, 0xff, 0xff, 0xff}}, /* total 2^28 - 1 */
	};
	uint8_t enc[4];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(enc, 0xa5, sizeof(enc));
		ck_assert_uint_eq(aml_pkglength(enc, cases[i].body), cases[i].n);
		ck_assert_mem_eq(enc, cases[i].enc, cases[i].n);
	}
	ck_assert_uint_eq(aml_pkglength(enc, 0xfffffff - 3), 0);
	ck_assert_uint_eq(aml_pkglength(enc, SIZE_MAX), 0);
}
END_TEST

/* Scope(\) holding k raw bytes: the closer must grow the PkgLength and keep the body intact. */
static void scope_with_body(size_t k, const uint8_t *want_head, unsigned nhead)
{
	reset();
	size_t m = aml_scope(&a, "\\");
	for (size_t i = 0; i < k; i++)
		aml_byte(&a, (uint8_t)i);
	aml_close(&a, m);
	ck_assert_int_eq(a.err, 0);
	ck_assert_uint_eq(a.len, 1 + nhead + 2 + k);
	ck_assert_uint_eq(out[0], AML_SCOPE_OP);
	ck_assert_mem_eq(out + 1, want_head, nhead);
	ck_assert_uint_eq(out[1 + nhead], '\\');
	ck_assert_uint_eq(out[2 + nhead], 0);
	for (size_t i = 0; i < k; i++)
		ck_assert_uint_eq(out[3 + nhead + i], (uint8_t)i);
}

START_TEST(nested_pkglength_grows)
{
	/* body = 2 name bytes + k */
	scope_with_body(60, (const uint8_t[]){0x3f}, 1);
	scope_with_body(61, (const uint8_t[]){0x41, 0x04}, 2);
	scope_with_body(4091, (const uint8_t[]){0x4f, 0xff}, 2);
	scope_with_body(4092, (const uint8_t[]){0x81, 0x00, 0x01}, 3);

	/* Two levels that both cross the one-byte limit. */
	reset();
	size_t outer = aml_scope(&a, "\\_SB");
	size_t inner = aml_device(&a, "DEV0");
	for (int i = 0; i < 100; i++)
		aml_byte(&a, 0x01);
	aml_close(&a, inner);
	aml_close(&a, outer);
	ck_assert_int_eq(a.err, 0);
	/* inner: 4 name + 100 = 104 -> 106 in two bytes; outer: 5 + 2 + 2 + 104 = 113 -> 115 */
	const uint8_t head[] = {0x10, 0x43, 0x07, 0x5c, '_', 'S', 'B', '_',
				0x5b, 0x82, 0x4a, 0x06, 'D', 'E', 'V', '0'};
	ck_assert_uint_eq(a.len, sizeof(head) + 100);
	ck_assert_mem_eq(out, head, sizeof(head));
}
END_TEST

START_TEST(name_strings)
{
	reset();
	aml_name_string(&a, "_HID");
	EXPECT('_', 'H', 'I', 'D');
	reset();
	aml_name_string(&a, "S5");
	EXPECT('S', '5', '_', '_');
	reset();
	aml_name_string(&a, "\\_SB.PCI0");
	EXPECT(0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	reset();
	aml_name_string(&a, "\\_SB.PCI0.COM1");
	EXPECT(0x5c, 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'C', 'O', 'M', '1');
	reset();
	aml_name_string(&a, "^^COM1");
	EXPECT(0x5e, 0x5e, 'C', 'O', 'M', '1');
	reset();
	aml_name_string(&a, "\\");
	EXPECT(0x5c, 0x00);

	static const char *const bad[] = {"",	"pci0", "ABCDE", "A..B", "1ABC",
					  "A.", ".A",	"\\\\A", "A-B"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		aml_name_string(&a, bad[i]);
		ck_assert_msg(a.err == -EINVAL, "\"%s\" accepted", bad[i]);
		ck_assert_uint_eq(a.len, 0);
	}
}
END_TEST

START_TEST(eisa_ids)
{
	uint32_t v = 0;
	ck_assert_int_eq(aml_eisaid_value("PNP0A03", &v), 0);
	ck_assert_uint_eq(v, 0x030ad041);
	reset();
	aml_eisaid(&a, "PNP0A03");
	EXPECT(0x0c, 0x41, 0xd0, 0x0a, 0x03);
	reset();
	aml_eisaid(&a, "PNP0A08");
	aml_eisaid(&a, "PNP0C02");
	aml_eisaid(&a, "PNP0501");
	aml_eisaid(&a, "PNP0000"); /* still a DWord, never shortened */
	EXPECT(0x0c, 0x41, 0xd0, 0x0a, 0x08, 0x0c, 0x41, 0xd0, 0x0c, 0x02, 0x0c, 0x41, 0xd0, 0x05,
	       0x01, 0x0c, 0x41, 0xd0, 0x00, 0x00);
	/* "ACPI" ids put letters in every bit position: A=1, Z=26. */
	ck_assert_int_eq(aml_eisaid_value("AZA1234", &v), 0);
	ck_assert_uint_eq(__builtin_bswap32(v), (1u << 26) | (26u << 21) | (1u << 16) | 0x1234);
	static const char *const bad[] = {"pnp0a03", "PNP0A0",	"PNP0A030",
					  "PNP0A0G", "P@P0A03", "PNP0a03"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(aml_eisaid_value(bad[i], &v), -EINVAL);
		reset();
		aml_eisaid(&a, bad[i]);
		ck_assert_int_eq(a.err, -EINVAL);
	}
}
END_TEST

START_TEST(name_package_method_device)
{
	/* Name(\_S5, Package(2){5, Zero}) */
	reset();
	aml_name(&a, "\\_S5");
	size_t p = aml_package(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_close(&a, p);
	EXPECT(0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00);

	/* Method(_STA, 0, NotSerialized) { Return (0x0F) } */
	reset();
	size_t m = aml_method(&a, "_STA", 0, false);
	aml_return(&a);
	aml_integer(&a, 0x0f);
	aml_close(&a, m);
	EXPECT(0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);

	/* Method(M2, 2, Serialized) { Return ("ok") } */
	reset();
	m = aml_method(&a, "M2", 2, true);
	aml_return(&a);
	aml_string(&a, "ok");
	aml_close(&a, m);
	EXPECT(0x14, 0x0b, 'M', '2', '_', '_', 0x0a, 0xa4, 0x0d, 'o', 'k', 0x00);

	/* Device(COM1) { Name(_UID, One) } */
	reset();
	size_t d = aml_device(&a, "COM1");
	aml_name_integer(&a, "_UID", 1);
	aml_close(&a, d);
	EXPECT(0x5b, 0x82, 0x0b, 'C', 'O', 'M', '1', 0x08, '_', 'U', 'I', 'D', 0x01);

	/* Name(BUF0, Buffer(){1, 2, 3}) */
	reset();
	aml_name(&a, "BUF0");
	aml_buffer(&a, (const uint8_t[]){1, 2, 3}, 3);
	EXPECT(0x08, 'B', 'U', 'F', '0', 0x11, 0x06, 0x0a, 0x03, 1, 2, 3);

	reset();
	aml_method(&a, "BAD", 8, false);
	ck_assert_int_eq(a.err, -EINVAL);
	reset();
	aml_package(&a, 256);
	ck_assert_int_eq(a.err, -EINVAL);
	reset();
	aml_string(&a, "\xc3\xa9");
	ck_assert_int_eq(a.err, -EINVAL);
}
END_TEST

START_TEST(resource_templates)
{
	/* ResourceTemplate(){ IO(Decode16, 0x3F8, 0x3F8, 1, 8) IRQNoFlags(){4} } */
	reset();
	size_t rt = aml_restemplate(&a);
	aml_res_io(&a, 0x3f8, 8);
	aml_res_irq(&a, 4);
	aml_restemplate_end(&a, rt);
	EXPECT(0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10,
	       0x00, 0x79, 0x00);

	/* An empty template is just the EndTag. */
	reset();
	rt = aml_restemplate(&a);
	aml_restemplate_end(&a, rt);
	EXPECT(0x11, 0x05, 0x0a, 0x02, 0x79, 0x00);

	reset();
	aml_res_word_bus(&a, 0, 0xff);
	EXPECT(0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
	       0x00, 0x01);
	reset();
	aml_res_word_io(&a, 0xd000, 0xffff);
	EXPECT(0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0xd0, 0xff, 0xff, 0x00, 0x00,
	       0x00, 0x30);
	reset();
	aml_res_dword_mem(&a, false, 0xc0000000, 0xdfffffff);
	EXPECT(0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff,
	       0xff, 0xdf, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x20);
	reset();
	aml_res_qword_mem(&a, true, 0x10000000000ull, 0x10fffffffffull);
	EXPECT(0x8a, 0x2b, 0x00, 0x00, 0x0d, 0x01,	 /* consumer, fixed, read-write */
	       0, 0, 0, 0, 0, 0, 0, 0,			 /* granularity */
	       0, 0, 0, 0, 0, 0x01, 0, 0,		 /* min */
	       0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0, 0, /* max */
	       0, 0, 0, 0, 0, 0, 0, 0,			 /* translation */
	       0, 0, 0, 0, 0x10, 0, 0, 0);		 /* length */
	reset();
	aml_res_mem32_fixed(&a, true, 0xe0000000, 0x100000);
	EXPECT(0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xe0, 0x00, 0x00, 0x10, 0x00);
	reset();
	aml_res_interrupt(&a, true, true, false, false, 9);
	aml_res_interrupt(&a, true, false, true, true, 0x12345678);
	EXPECT(0x89, 0x06, 0x00, 0x01, 0x01, 0x09, 0x00, 0x00, 0x00, 0x89, 0x06, 0x00, 0x0f, 0x01,
	       0x78, 0x56, 0x34, 0x12);

	/* Ranges whose length does not fit, or inverted, are refused. */
	reset();
	aml_res_word_io(&a, 0x10, 0x0f);
	ck_assert_int_eq(a.err, -EINVAL);
	reset();
	aml_res_word_io(&a, 0, 0xffff);
	ck_assert_int_eq(a.err, -EINVAL);
	reset();
	aml_res_qword_mem(&a, false, 0, UINT64_MAX);
	ck_assert_int_eq(a.err, -EINVAL);
	reset();
	aml_res_irq(&a, 16);
	ck_assert_int_eq(a.err, -EINVAL);
}
END_TEST

START_TEST(large_template_size_grows)
{
	/* 30 IO descriptors + EndTag = 242 bytes: BytePrefix; 32 = 258: WordPrefix. */
	for (unsigned n = 30; n <= 32; n += 2) {
		reset();
		size_t rt = aml_restemplate(&a);
		for (unsigned i = 0; i < n; i++)
			aml_res_io(&a, (uint16_t)(0x100 + 8 * i), 8);
		aml_restemplate_end(&a, rt);
		ck_assert_int_eq(a.err, 0);
		size_t size = 8 * n + 2;
		unsigned ns = size <= 0xff ? 2 : 3;
		unsigned np = 2; /* both bodies are over 63 bytes */
		ck_assert_uint_eq(a.len, 1 + np + ns + size);
		ck_assert_uint_eq(out[1 + np], size <= 0xff ? AML_BYTE_PREFIX : AML_WORD_PREFIX);
		ck_assert_uint_eq(out[2 + np] | (ns == 3 ? out[3 + np] << 8 : 0), size);
		ck_assert_uint_eq(out[1 + np + ns], AML_RES_IO);
		ck_assert_uint_eq(out[a.len - 2], AML_RES_END_TAG);
		ck_assert_uint_eq(out[a.len - 1], 0);
	}
}
END_TEST

START_TEST(overflow_sets_error)
{
	uint8_t small[16];
	memset(small, 0xa5, sizeof(small));
	aml_init(&a, small, 4);
	aml_string(&a, "too long");
	ck_assert_int_eq(a.err, -ENOSPC);
	size_t len = a.len;
	ck_assert_uint_le(len, 4);
	aml_byte(&a, 0); /* later output is dropped */
	ck_assert_uint_eq(a.len, len);
	for (size_t i = 4; i < sizeof(small); i++)
		ck_assert_uint_eq(small[i], 0xa5);

	/* The first error wins. */
	aml_init(&a, small, 4);
	aml_name_string(&a, "bad");
	aml_string(&a, "too long");
	ck_assert_int_eq(a.err, -EINVAL);

	/* A construct that fits exactly needs no extra room while it is built. */
	uint8_t want[12];
	reset();
	aml_name(&a, "\\_S5");
	size_t p = aml_package(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_close(&a, p);
	ck_assert_uint_eq(a.len, sizeof(want));
	memcpy(want, out, sizeof(want));
	for (size_t cap = 0; cap <= sizeof(want); cap++) {
		memset(small, 0xa5, sizeof(small));
		aml_init(&a, small, cap);
		aml_name(&a, "\\_S5");
		p = aml_package(&a, 2);
		aml_integer(&a, 5);
		aml_integer(&a, 0);
		aml_close(&a, p);
		ck_assert_int_eq(a.err, cap < sizeof(want) ? -ENOSPC : 0);
		for (size_t i = cap; i < sizeof(small); i++)
			ck_assert_uint_eq(small[i], 0xa5);
	}
	ck_assert_mem_eq(small, want, sizeof(want));

	/*
	 * Scope(\) with 61 body bytes: 65 bytes until the close, which grows
	 * the PkgLength to two bytes. Without that one byte of room it fails.
	 */
	uint8_t big[70];
	for (size_t cap = 65; cap <= 66; cap++) {
		aml_init(&a, big, cap);
		size_t m = aml_scope(&a, "\\");
		for (int i = 0; i < 61; i++)
			aml_byte(&a, 0);
		ck_assert_int_eq(a.err, 0);
		ck_assert_uint_eq(a.len, 65);
		aml_close(&a, m);
		ck_assert_int_eq(a.err, cap == 66 ? 0 : -ENOSPC);
		ck_assert_uint_eq(a.len, cap);
	}
}
END_TEST

/*
 * iasl must disassemble a table using every construct the encoder has, and
 * compiling that back without optimizations must give the same bytes.
 * Skipped (with a note) where iasl is absent.
 */
START_TEST(iasl_round_trip)
{
	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		printf("iasl not installed: AML disassembly check not run\n");
		return;
	}
	reset();
	uint8_t *h = out;
	aml_bytes(&a, (uint8_t[36]){0}, 36);
	aml_name(&a, "\\_S5");
	size_t p = aml_package(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_close(&a, p);
	size_t sb = aml_scope(&a, "\\_SB");
	size_t d = aml_device(&a, "DEV0");
	aml_name_eisaid(&a, "_HID", "PNP0C02");
	aml_name(&a, "NAMS");
	aml_string(&a, "khyve");
	aml_name(&a, "BIGS");
	aml_integer(&a, 0x123456789ull);
	aml_name(&a, "_CRS");
	size_t rt = aml_restemplate(&a);
	aml_res_io(&a, 0x70, 2);
	aml_res_irq(&a, 8);
	aml_res_interrupt(&a, true, true, true, true, 20);
	aml_res_mem32_fixed(&a, false, 0xfed00000, 0x400);
	aml_res_word_bus(&a, 0, 7);
	aml_res_word_io(&a, 0x1000, 0x1fff);
	aml_res_dword_mem(&a, false, 0x80000000, 0x8fffffff);
	aml_res_qword_mem(&a, true, 0x800000000ull, 0x8ffffffffull);
	aml_restemplate_end(&a, rt);
	size_t m = aml_method(&a, "_STA", 0, false);
	aml_return(&a);
	aml_integer(&a, 0x0f);
	aml_close(&a, m);
	aml_close(&a, d);
	aml_close(&a, sb);
	ck_assert_int_eq(a.err, 0);
	memcpy(h, "DSDT", 4);
	for (int i = 0; i < 4; i++)
		h[4 + i] = (uint8_t)(a.len >> (8 * i));
	h[8] = 2;
	memcpy(h + 10, "KHYVE KHYVETBL", 14);
	memcpy(h + 28, "KHYV", 4);
	h[9] = acpi_checksum(h, a.len);

	char dir[] = "/tmp/khyve-aml-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[96], cmd[512];
	snprintf(path, sizeof(path), "%s/t.aml", dir);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(out, 1, a.len, f), a.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && iasl -d t.aml >d.log 2>&1 && ! grep -qiE 'error|warning' d.log && "
		 "grep -q 'Method (_STA' t.dsl && grep -q 'Interrupt (ResourceConsumer' t.dsl && "
		 "grep -q 'EisaId (\"PNP0C02\")' t.dsl && iasl -oa -p r t.dsl >c.log 2>&1 && "
		 "grep -q 'Compilation successful. 0 Errors, 0 Warnings' c.log && "
		 "tail -c +37 t.aml >a.body && tail -c +37 r.aml >b.body && cmp a.body b.body",
		 dir);
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/*.log >&2", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(rc, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("aml");
	TCase *tc = tcase_create("encoder");
	tcase_add_test(tc, integers_at_size_boundaries);
	tcase_add_test(tc, pkglength_boundaries);
	tcase_add_test(tc, nested_pkglength_grows);
	tcase_add_test(tc, name_strings);
	tcase_add_test(tc, eisa_ids);
	tcase_add_test(tc, name_package_method_device);
	tcase_add_test(tc, resource_templates);
	tcase_add_test(tc, large_template_size_grows);
	tcase_add_test(tc, overflow_sets_error);
	tcase_add_test(tc, iasl_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
