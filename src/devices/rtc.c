// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/rtc.h"

#include <string.h>

enum { R_SEC = 0, R_MIN = 2, R_HOUR = 4, R_WDAY = 6, R_MDAY = 7, R_MON = 8, R_YEAR = 9,
       R_A = 0x0a, R_B = 0x0b, R_C = 0x0c, R_D = 0x0d, R_CENTURY = 0x32 };

#define A_UIP 0x80
#define B_SET 0x80
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define D_VRT 0x80
#define NMI_DISABLE 0x80
/* CMOS memory-size bytes that firmware and old loaders read. */
#define R_EXTMEM_LO 0x30
#define R_MEM16M_LO 0x34
#define R_HIGHMEM_LO 0x5b

static time_t host_now(void)
{
	return time(NULL);
}

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t enc(const struct rtc *rtc, unsigned v)
{
	return (rtc->ram[R_B] & B_DM_BINARY) ? (uint8_t)v : to_bcd(v);
}

static unsigned dec(const struct rtc *rtc, uint8_t v)
{
	return (rtc->ram[R_B] & B_DM_BINARY) ? v : from_bcd(v);
}

static void put16(uint8_t *p, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void rtc_init(struct rtc *rtc, bool localtime, uint64_t lowmem, uint64_t highmem)
{
	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->localtime = localtime;
	rtc->now = host_now;
	rtc->ram[R_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate, no update in progress */
	rtc->ram[R_B] = B_24H;
	rtc->ram[R_D] = D_VRT;
	const uint64_t mib = 1ull << 20;
	/* KiB above 1 MiB (to 64 MiB), 64 KiB units above 16 MiB, 64 KiB units above 4 GiB. */
	put16(&rtc->ram[R_EXTMEM_LO], lowmem > mib ? (lowmem - mib) / 1024 : 0);
	put16(&rtc->ram[R_MEM16M_LO], lowmem > 16 * mib ? (lowmem - 16 * mib) / 65536 : 0);
	uint64_t hi = highmem / 65536;
	rtc->ram[R_HIGHMEM_LO] = (uint8_t)hi;
	rtc->ram[R_HIGHMEM_LO + 1] = (uint8_t)(hi >> 8);
	rtc->ram[R_HIGHMEM_LO + 2] = (uint8_t)(hi >> 16);
}

void rtc_fini(struct rtc *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}

static void load_time(struct rtc *rtc)
{
	time_t t = rtc->now() + rtc->offset;
	struct tm tm;
	if (rtc->localtime)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	unsigned hour = (unsigned)tm.tm_hour;
	if (!(rtc->ram[R_B] & B_24H)) {
		unsigned h12 = hour % 12 ? hour % 12 : 12;
		rtc->ram[R_HOUR] = (uint8_t)(enc(rtc, h12) | (hour >= 12 ? 0x80 : 0));
	} else {
		rtc->ram[R_HOUR] = enc(rtc, hour);
	}
	rtc->ram[R_SEC] = enc(rtc, (unsigned)tm.tm_sec);
	rtc->ram[R_MIN] = enc(rtc, (unsigned)tm.tm_min);
	rtc->ram[R_WDAY] = enc(rtc, (unsigned)tm.tm_wday + 1);
	rtc->ram[R_MDAY] = enc(rtc, (unsigned)tm.tm_mday);
	rtc->ram[R_MON] = enc(rtc, (unsigned)tm.tm_mon + 1);
	rtc->ram[R_YEAR] = enc(rtc, (unsigned)(tm.tm_year % 100));
	rtc->ram[R_CENTURY] = enc(rtc, (unsigned)(tm.tm_year / 100 + 19));
}

/* The guest set the clock: keep the difference to the host clock. */
static void store_time(struct rtc *rtc)
{
	struct tm tm = {0};
	unsigned hour = rtc->ram[R_HOUR];
	if (!(rtc->ram[R_B] & B_24H)) {
		bool pm = hour & 0x80;
		hour = dec(rtc, (uint8_t)(hour & 0x7f)) % 12 + (pm ? 12 : 0);
	} else {
		hour = dec(rtc, (uint8_t)hour);
	}
	tm.tm_sec = (int)dec(rtc, rtc->ram[R_SEC]);
	tm.tm_min = (int)dec(rtc, rtc->ram[R_MIN]);
	tm.tm_hour = (int)hour;
	tm.tm_mday = (int)dec(rtc, rtc->ram[R_MDAY]);
	tm.tm_mon = (int)dec(rtc, rtc->ram[R_MON]) - 1;
	tm.tm_year = (int)(dec(rtc, rtc->ram[R_CENTURY]) * 100 + dec(rtc, rtc->ram[R_YEAR])) - 1900;
	tm.tm_isdst = -1;
	time_t t = rtc->localtime ? mktime(&tm) : timegm(&tm);
	if (t != (time_t)-1)
		rtc->offset = t - rtc->now();
}

static bool is_time_reg(unsigned r)
{
	return r <= R_YEAR || r == R_CENTURY;
}

void rtc_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct rtc *rtc = opaque;
	if (!is_write && size > 1)
		memset(data + 1, 0xff, size - 1);
	pthread_mutex_lock(&rtc->lock);
	if (off == 0) { /* index port; bit 7 masks NMIs, which are not wired here */
		if (is_write)
			rtc->index = data[0] & (uint8_t)~NMI_DISABLE;
		else
			data[0] = 0xff;
		goto out;
	}
	unsigned r = rtc->index % RTC_CMOS_SIZE;
	if (!is_write) {
		if (is_time_reg(r) && !(rtc->ram[R_B] & B_SET))
			load_time(rtc);
		data[0] = rtc->ram[r];
		if (r == R_C)
			rtc->ram[R_C] = 0; /* interrupt flags clear on read */
		goto out;
	}
	switch (r) {
	case R_A:
		rtc->ram[R_A] = data[0] & 0x7f; /* UIP is read-only */
		break;
	case R_C:
	case R_D:
		break; /* read-only */
	case R_B: {
		bool was_set = rtc->ram[R_B] & B_SET;
		if (!was_set && (data[0] & B_SET))
			load_time(rtc); /* freeze the current time for the guest to edit */
		rtc->ram[R_B] = data[0];
		if (was_set && !(data[0] & B_SET))
			store_time(rtc);
		break;
	}
	default:
		if (is_time_reg(r) && !(rtc->ram[R_B] & B_SET))
			load_time(rtc);
		rtc->ram[r] = data[0];
		if (is_time_reg(r) && !(rtc->ram[R_B] & B_SET))
			store_time(rtc);
	}
out:
	pthread_mutex_unlock(&rtc->lock);
}
