// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>

#include "check_main.h"
#include "khyve/rtc.h"

static time_t fixed_now(void)
{
	return 1795575350; /* 2026-11-25 02:55:50 UTC, a Wednesday */
}

static uint8_t rd(struct rtc *r, uint8_t idx)
{
	uint8_t d = idx;
	rtc_io(r, 0, &d, 1, true);
	rtc_io(r, 1, &d, 1, false);
	return d;
}
static void wr(struct rtc *r, uint8_t idx, uint8_t v)
{
	rtc_io(r, 0, &idx, 1, true);
	rtc_io(r, 1, &v, 1, true);
}

START_TEST(bcd_and_binary)
{
	struct rtc r;
	rtc_init(&r, false, 256ull << 20, 0);
	r.now = fixed_now;
	ck_assert_uint_eq(rd(&r, 0x0a) & 0x80, 0); /* no update in progress */
	ck_assert_uint_eq(rd(&r, 0x0d), 0x80);
	ck_assert_uint_eq(rd(&r, 0), 0x50);
	ck_assert_uint_eq(rd(&r, 2), 0x55);
	ck_assert_uint_eq(rd(&r, 4), 0x02);
	ck_assert_uint_eq(rd(&r, 6), 4); /* Wednesday = 4 (Sunday = 1) */
	ck_assert_uint_eq(rd(&r, 7), 0x25);
	ck_assert_uint_eq(rd(&r, 8), 0x11);
	ck_assert_uint_eq(rd(&r, 9), 0x26);
	ck_assert_uint_eq(rd(&r, 0x32), 0x20);
	wr(&r, 0x0b, 0x06); /* binary, 24 h */
	ck_assert_uint_eq(rd(&r, 0), 50);
	ck_assert_uint_eq(rd(&r, 9), 26);
	wr(&r, 0x0b, 0x04); /* binary, 12 h: 2 AM */
	ck_assert_uint_eq(rd(&r, 4), 2);
	/* 0x80 in the index port masks NMIs; it is not part of the index */
	ck_assert_uint_eq(rd(&r, 0x80 | 0x0d), 0x80);
	rtc_fini(&r);
}
END_TEST

START_TEST(guest_sets_the_clock)
{
	struct rtc r;
	rtc_init(&r, false, 256ull << 20, 0);
	r.now = fixed_now;
	wr(&r, 0x0b, 0x82); /* SET: freeze, BCD, 24 h */
	wr(&r, 4, 0x04);    /* 04:55:50 */
	ck_assert_uint_eq(rd(&r, 4), 0x04);
	wr(&r, 0x0b, 0x02); /* run again: two hours ahead of the host */
	ck_assert_int_eq(r.offset, 7200);
	ck_assert_uint_eq(rd(&r, 4), 0x04);
	wr(&r, 0x0c, 0xff); /* C is read-only and clears on read */
	ck_assert_uint_eq(rd(&r, 0x0c), 0);
	rtc_fini(&r);
}
END_TEST

START_TEST(memory_size_bytes)
{
	struct rtc r;
	rtc_init(&r, true, 3ull << 30, 1ull << 30);
	/* above 16 MiB in 64 KiB units: (3 GiB - 16 MiB) / 64 KiB = 48896 = 0xbf00 */
	ck_assert_uint_eq(rd(&r, 0x34), 0x00);
	ck_assert_uint_eq(rd(&r, 0x35), 0xbf);
	/* above 4 GiB in 64 KiB units: 1 GiB / 64 KiB = 0x4000 */
	ck_assert_uint_eq(rd(&r, 0x5b), 0x00);
	ck_assert_uint_eq(rd(&r, 0x5c), 0x40);
	ck_assert_uint_eq(rd(&r, 0x5d), 0x00);
	rtc_fini(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rtc");
	TCase *tc = tcase_create("mc146818");
	tcase_add_test(tc, bcd_and_binary);
	tcase_add_test(tc, guest_sets_the_clock);
	tcase_add_test(tc, memory_size_bytes);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
