// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <stdlib.h>

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

static time_t clock_now;
static time_t var_now(void)
{
	return clock_now;
}

/* 2026-11-25 00:00:00 UTC plus h hours, m minutes. */
static time_t at(unsigned h, unsigned m)
{
	return 1795575350 - (2 * 3600 + 55 * 60 + 50) + h * 3600 + m * 60;
}

START_TEST(twelve_hour_clock)
{
	struct rtc r;
	rtc_init(&r, false, 256ull << 20, 0);
	r.now = var_now;
	static const struct {
		unsigned h;
		uint8_t bcd12, bin12, bcd24;
	} t[] = {
		{0, 0x12, 12, 0x00},         /* midnight is 12 AM */
		{1, 0x01, 1, 0x01},
		{11, 0x11, 11, 0x11},
		{12, 0x92, 0x80 | 12, 0x12}, /* noon is 12 PM */
		{14, 0x82, 0x80 | 2, 0x14},
		{23, 0x91, 0x80 | 11, 0x23},
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		clock_now = at(t[i].h, 7);
		wr(&r, 0x0b, 0x00); /* BCD, 12 h */
		ck_assert_uint_eq(rd(&r, 4), t[i].bcd12);
		ck_assert_uint_eq(rd(&r, 2), 0x07);
		wr(&r, 0x0b, 0x04); /* binary, 12 h */
		ck_assert_uint_eq(rd(&r, 4), t[i].bin12);
		wr(&r, 0x0b, 0x02); /* BCD, 24 h */
		ck_assert_uint_eq(rd(&r, 4), t[i].bcd24);
		wr(&r, 0x0b, 0x06); /* binary, 24 h */
		ck_assert_uint_eq(rd(&r, 4), t[i].h);
	}
	ck_assert_int_eq(r.offset, 0);
	rtc_fini(&r);
}
END_TEST

START_TEST(set_full_date)
{
	struct rtc r;
	rtc_init(&r, false, 256ull << 20, 0);
	r.now = var_now;
	clock_now = 1795575350;
	/* binary, 24 h: 2000-01-01 00:00:00 UTC */
	wr(&r, 0x0b, 0x86);
	const uint8_t regs[] = {0, 2, 4, 7, 8, 9, 0x32}, vals[] = {0, 0, 0, 1, 1, 0, 20};
	for (unsigned i = 0; i < sizeof(regs); i++)
		wr(&r, regs[i], vals[i]);
	ck_assert_uint_eq(rd(&r, 9), 0); /* frozen while SET */
	clock_now += 3600;               /* an hour passes on the host while SET */
	ck_assert_uint_eq(rd(&r, 4), 0);
	wr(&r, 0x0b, 0x06);
	ck_assert_int_eq(r.offset, 946684800 - clock_now);
	clock_now += 61;
	ck_assert_uint_eq(rd(&r, 0), 1);
	ck_assert_uint_eq(rd(&r, 2), 1);
	ck_assert_uint_eq(rd(&r, 7), 1);
	ck_assert_uint_eq(rd(&r, 6), 7); /* a Saturday */
	ck_assert_uint_eq(rd(&r, 0x32), 20);
	/* 12 h BCD: 1 PM on the same day (format first: DM changes do not convert) */
	wr(&r, 0x0b, 0x00);
	wr(&r, 0x0b, 0x80);
	wr(&r, 4, 0x81);
	wr(&r, 0x0b, 0x00);
	ck_assert_int_eq(r.offset, 946684800 + 13 * 3600 + 61 - clock_now);
	ck_assert_uint_eq(rd(&r, 4), 0x81);
	wr(&r, 0x0b, 0x02);
	ck_assert_uint_eq(rd(&r, 4), 0x13);
	/* 12 AM is hour 0, 12 PM is hour 12 */
	wr(&r, 0x0b, 0x00);
	wr(&r, 0x0b, 0x80);
	wr(&r, 4, 0x12);
	wr(&r, 0x0b, 0x00);
	ck_assert_int_eq(r.offset, 946684800 + 61 - clock_now);
	wr(&r, 0x0b, 0x80);
	wr(&r, 4, 0x92);
	wr(&r, 0x0b, 0x00);
	wr(&r, 0x0b, 0x02);
	ck_assert_int_eq(r.offset, 946684800 + 12 * 3600 + 61 - clock_now);
	ck_assert_uint_eq(rd(&r, 4), 0x12);
	ck_assert_uint_eq(rd(&r, 7), 0x01);
	rtc_fini(&r);
}
END_TEST

START_TEST(write_without_set)
{
	struct rtc r;
	rtc_init(&r, false, 256ull << 20, 0);
	r.now = fixed_now;
	wr(&r, 2, 0x00); /* 02:55:50 → 02:00:50 */
	ck_assert_int_eq(r.offset, -55 * 60);
	ck_assert_uint_eq(rd(&r, 2), 0x00);
	ck_assert_uint_eq(rd(&r, 4), 0x02);
	ck_assert_uint_eq(rd(&r, 0), 0x50);
	rtc_fini(&r);
}
END_TEST

START_TEST(status_registers)
{
	struct rtc r;
	rtc_init(&r, false, 256ull << 20, 0);
	r.now = fixed_now;
	ck_assert_uint_eq(rd(&r, 0x0a), 0x26);
	wr(&r, 0x0a, 0xff); /* UIP is read-only */
	ck_assert_uint_eq(rd(&r, 0x0a), 0x7f);
	wr(&r, 0x0d, 0x00); /* D is read-only: the battery stays good */
	ck_assert_uint_eq(rd(&r, 0x0d), 0x80);
	r.ram[0x0c] = 0xc0; /* IRQF | PF latched */
	ck_assert_uint_eq(rd(&r, 0x0c), 0xc0);
	ck_assert_uint_eq(rd(&r, 0x0c), 0x00);
	wr(&r, 0x0b, 0x12);
	ck_assert_uint_eq(rd(&r, 0x0b), 0x12);
	rtc_fini(&r);
}
END_TEST

START_TEST(index_port)
{
	struct rtc r;
	rtc_init(&r, false, 256ull << 20, 0);
	r.now = fixed_now;
	uint8_t d = 0x40;
	rtc_io(&r, 0, &d, 1, true);
	d = 0;
	rtc_io(&r, 0, &d, 1, false);
	ck_assert_uint_eq(d, 0xff); /* the index port is write-only */
	/* bit 7 is the NMI mask: 0xc0 and 0x40 name the same byte */
	wr(&r, 0xc0, 0x5a);
	ck_assert_uint_eq(rd(&r, 0x40), 0x5a);
	wr(&r, 0xff, 0xa5); /* the last byte of the 128 */
	ck_assert_uint_eq(rd(&r, 0x7f), 0xa5);
	ck_assert_uint_eq(r.index, 0x7f);
	/* a wider read fills the rest with ones */
	uint8_t w[4] = {0};
	rtc_io(&r, 1, w, 4, false);
	ck_assert_mem_eq(w, "\xa5\xff\xff\xff", 4);
	rtc_fini(&r);
}
END_TEST

START_TEST(memory_size_small_and_large)
{
	struct rtc r;
	rtc_init(&r, false, 8ull << 20, 0);
	/* 7 MiB above 1 MiB in KiB = 7168 = 0x1c00; nothing above 16 MiB or 4 GiB */
	ck_assert_uint_eq(rd(&r, 0x30), 0x00);
	ck_assert_uint_eq(rd(&r, 0x31), 0x1c);
	ck_assert_uint_eq(rd(&r, 0x34), 0);
	ck_assert_uint_eq(rd(&r, 0x35), 0);
	ck_assert_uint_eq(rd(&r, 0x5b), 0);
	rtc_fini(&r);
	rtc_init(&r, false, 3ull << 30, 64ull << 30);
	ck_assert_uint_eq(rd(&r, 0x30), 0xff); /* saturates at 0xffff KiB */
	ck_assert_uint_eq(rd(&r, 0x31), 0xff);
	/* 64 GiB / 64 KiB = 0x100000 */
	ck_assert_uint_eq(rd(&r, 0x5b), 0x00);
	ck_assert_uint_eq(rd(&r, 0x5c), 0x00);
	ck_assert_uint_eq(rd(&r, 0x5d), 0x10);
	rtc_fini(&r);
}
END_TEST

START_TEST(local_time)
{
	setenv("TZ", "EST5", 1); /* UTC-5, no daylight saving */
	tzset();
	struct rtc r;
	rtc_init(&r, true, 256ull << 20, 0);
	r.now = fixed_now;
	/* 2026-11-25 02:55:50 UTC is Tuesday 2026-11-24 21:55:50 EST */
	ck_assert_uint_eq(rd(&r, 4), 0x21);
	ck_assert_uint_eq(rd(&r, 7), 0x24);
	ck_assert_uint_eq(rd(&r, 6), 3);
	wr(&r, 0x0b, 0x82);
	wr(&r, 4, 0x22);
	wr(&r, 0x0b, 0x02);
	ck_assert_int_eq(r.offset, 3600);
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
	tcase_add_test(tc, twelve_hour_clock);
	tcase_add_test(tc, set_full_date);
	tcase_add_test(tc, write_without_set);
	tcase_add_test(tc, status_registers);
	tcase_add_test(tc, index_port);
	tcase_add_test(tc, memory_size_small_and_large);
	tcase_add_test(tc, local_time);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
