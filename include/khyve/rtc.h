/* SPDX-License-Identifier: BSD-2-Clause */
/* MC146818 CMOS real-time clock at ports 0x70/0x71: time of day and CMOS RAM. */
#ifndef KHYVE_RTC_H
#define KHYVE_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_CMOS_SIZE 128

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[RTC_CMOS_SIZE];
	bool localtime; /* the clock shows local time (bhyve's default) instead of UTC */
	time_t offset;  /* guest clock minus host clock, set by guest writes */
	time_t (*now)(void); /* host clock; replaceable for tests */
};

void rtc_init(struct rtc *rtc, bool localtime, uint64_t lowmem, uint64_t highmem);
void rtc_fini(struct rtc *rtc);
void rtc_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);

#endif
