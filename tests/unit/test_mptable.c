// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check_main.h"
#include "khyve/mptable.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

START_TEST(tables)
{
	static uint8_t buf[MPTABLE_MAX_SIZE];
	const uint8_t ids[3] = {0, 1, 4};
	struct mptable_layout l = {.ncpus = 3, .apic_id = ids, .lapic_addr = 0xfee00000,
				   .ioapic_addr = 0xfec00000, .ioapic_id = 5,
				   .pci_slot_mask = 0x3};
	long n = mptable_build(&l, buf, sizeof(buf), MPTABLE_GPA);
	ck_assert_int_gt(n, 16);
	ck_assert_mem_eq(buf, "_MP_", 4);
	ck_assert_uint_eq(sum(buf, 16), 0);
	uint32_t ptr = buf[4] | buf[5] << 8 | buf[6] << 16 | (uint32_t)buf[7] << 24;
	ck_assert_uint_eq(ptr, MPTABLE_GPA + 16);
	const uint8_t *t = buf + 16;
	ck_assert_mem_eq(t, "PCMP", 4);
	unsigned len = t[4] | t[5] << 8, count = t[34] | t[35] << 8;
	ck_assert_uint_eq(len + 16, (unsigned long)n);
	ck_assert_uint_eq(sum(t, len), 0);
	unsigned procs = 0, ioapics = 0, ints = 0, seen = 0;
	for (const uint8_t *e = t + 44; e < t + len; seen++) {
		if (e[0] == 0) {
			ck_assert_uint_eq(e[1], ids[procs]);
			ck_assert_uint_eq(e[3] & 2, procs == 0 ? 2 : 0);
			procs++;
			e += 20;
			continue;
		}
		if (e[0] == 2) {
			ck_assert_uint_eq(e[1], 5);
			ioapics++;
		}
		if (e[0] == 3) {
			if (e[4] == 1 && e[5] == 0) /* ISA IRQ0 → pin 2 */
				ck_assert_uint_eq(e[7], 2);
			if (e[4] == 0 && e[5] == (1 << 2 | 3)) /* slot 1 INTD */
				ck_assert_uint_eq(e[7], 16 + (1 + 3) % 8);
			ints++;
		}
		e += 8;
	}
	ck_assert_uint_eq(seen, count);
	ck_assert_uint_eq(procs, 3);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(ints, 15 + 8);
	ck_assert_int_eq(mptable_build(&l, buf, 64, MPTABLE_GPA), -ENOSPC);
	l.ncpus = 0;
	ck_assert_int_eq(mptable_build(&l, buf, sizeof(buf), MPTABLE_GPA), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("mp 1.4");
	tcase_add_test(tc, tables);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
