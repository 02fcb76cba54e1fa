// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>

#include "fakemem.h"

#define LO (64 * 1024)
#define HI_GPA 0x100000ull
#define HI (64 * 1024)

START_TEST(inside_and_edges)
{
	struct fakemem fm;
	ck_assert_int_eq(fakemem_init(&fm, LO, HI_GPA, HI), 0);
	ck_assert_ptr_nonnull(gmem_ptr(&fm.gmem, 0, LO));
	/* a buffer ending exactly at the top of a region is fine */
	ck_assert_ptr_nonnull(gmem_ptr(&fm.gmem, HI_GPA + HI - 16, 16));
	ck_assert_ptr_null(gmem_ptr(&fm.gmem, HI_GPA + HI - 16, 17));
	/* spanning the hole, in the hole, wrapping 2^64 */
	ck_assert_ptr_null(gmem_ptr(&fm.gmem, LO - 8, 16));
	ck_assert_ptr_null(gmem_ptr(&fm.gmem, LO + 4096, 1));
	ck_assert_ptr_null(gmem_ptr(&fm.gmem, HI_GPA + 8, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&fm.gmem, UINT64_MAX, 2));
	uint8_t b[4] = {1, 2, 3, 4};
	ck_assert_int_eq(gmem_write(&fm.gmem, HI_GPA, b, 4), 0);
	ck_assert_int_eq(gmem_write(&fm.gmem, HI_GPA + HI - 2, b, 4), -EFAULT);
	fakemem_fini(&fm);
}
END_TEST

START_TEST(overlap_refused)
{
	struct gmem m = {0};
	static uint8_t a[4096];
	ck_assert_int_eq(gmem_add(&m, 0x1000, 0x1000, a), 0);
	ck_assert_int_eq(gmem_add(&m, 0x1800, 0x1000, a), -EINVAL);
	ck_assert_int_eq(gmem_add(&m, UINT64_MAX - 10, 0x1000, a), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gmem");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, inside_and_edges);
	tcase_add_test(tc, overlap_refused);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
