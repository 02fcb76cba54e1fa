// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>

#include "check_main.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/smbios.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

START_TEST(parse_uuid)
{
	uint8_t u[16];
	ck_assert_int_eq(smbios_parse_uuid("01234567-89ab-CDEF-0123-456789abcdef", u), 0);
	ck_assert_uint_eq(u[0], 0x01);
	ck_assert_uint_eq(u[6], 0xcd);
	ck_assert_uint_eq(u[15], 0xef);
	ck_assert_int_eq(smbios_parse_uuid("01234567-89ab-cdef-0123-456789abcde", u), -EINVAL);
	ck_assert_int_eq(smbios_parse_uuid("01234567+89ab-cdef-0123-456789abcdef", u), -EINVAL);
	ck_assert_int_eq(smbios_parse_uuid("0123456g-89ab-cdef-0123-456789abcdef", u), -EINVAL);
	ck_assert_int_eq(smbios_parse_uuid("", u), -EINVAL);
}
END_TEST

START_TEST(default_uuid_is_stable_v3)
{
	uint8_t a[16], b[16], c[16];
	smbios_default_uuid("vm1", "host", a);
	smbios_default_uuid("vm1", "host", b);
	smbios_default_uuid("vm2", "host", c);
	ck_assert_mem_eq(a, b, 16);
	ck_assert_int_ne(memcmp(a, c, 16), 0);
	ck_assert_uint_eq(a[6] >> 4, 3);
	ck_assert_uint_eq(a[8] & 0xc0, 0x80);
}
END_TEST

START_TEST(tables)
{
	static uint8_t buf[SMBIOS_MAX_SIZE];
	struct smbios_info info = {.product = "prod"};
	smbios_parse_uuid("00112233-4455-6677-8899-aabbccddeeff", info.uuid);
	long n = smbios_build(&info, buf, sizeof(buf), SMBIOS_GPA);
	ck_assert_int_gt(n, 0x18);
	ck_assert_mem_eq(buf, "_SM3_", 5);
	ck_assert_uint_eq(sum(buf, buf[6]), 0);
	uint32_t tlen;
	uint64_t taddr;
	memcpy(&tlen, buf + 12, 4);
	memcpy(&taddr, buf + 16, 8);
	ck_assert_uint_eq(taddr, SMBIOS_GPA + 0x18);
	ck_assert_uint_eq(tlen + 0x18, (uint64_t)n);
	/* walk the structures: type 0, type 1, type 127 */
	const uint8_t *p = buf + 0x18, *end = buf + n;
	int types[3], nt = 0;
	const uint8_t *t1 = NULL;
	while (p < end && nt < 3) {
		types[nt++] = p[0];
		if (p[0] == 1)
			t1 = p;
		const uint8_t *s = p + p[1];
		while (!(s[0] == 0 && s[1] == 0))
			s++;
		p = s + 2;
	}
	ck_assert_int_eq(nt, 3);
	ck_assert_int_eq(types[0], 0);
	ck_assert_int_eq(types[1], 1);
	ck_assert_int_eq(types[2], 127);
	ck_assert_ptr_eq(p, end);
	ck_assert_ptr_nonnull(t1);
	const uint8_t want[16] = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
				  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	ck_assert_mem_eq(t1 + 8, want, 16);
	/* product is string 2 of type 1 */
	const char *strs = (const char *)t1 + t1[1];
	ck_assert_str_eq(strs, "khyve");
	ck_assert_str_eq(strs + strlen(strs) + 1, "prod");
	ck_assert_int_eq(smbios_build(&info, buf, 40, SMBIOS_GPA), -ENOSPC);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("smbios");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_uuid);
	tcase_add_test(tc, default_uuid_is_stable_v3);
	tcase_add_test(tc, tables);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
