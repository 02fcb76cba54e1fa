/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI fixed-feature hardware: PM1a event/control blocks (power button,
 * S5 soft-off), the reset register at 0xCF9 and the i8042's reset pulse.
 */
#ifndef KHYVE_PM_H
#define KHYVE_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct pm_ops {
	void (*set_sci)(void *arg, int level);
	/* The guest asked to power off (exit 1) or to reset (exit 0). */
	void (*request_stop)(void *arg, int exit_code);
};

struct pm {
	pthread_mutex_t lock;
	const struct pm_ops *ops;
	void *arg;
	uint16_t sts, en, cnt;
	int sci_level;
	uint8_t reset_reg;
};

void pm_init(struct pm *pm, const struct pm_ops *ops, void *arg);
void pm_fini(struct pm *pm);
/* iobus handlers: PM1a_EVT (4 ports), PM1a_CNT (2 ports), i8042 (0x60 and 0x64). */
void pm_evt_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);
void pm_cnt_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);
void pm_i8042_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);
/* The reset control register value written at 0xCF9. */
void pm_reset_write(void *opaque, uint8_t val);
/* Press the power button: PWRBTN_STS, and an SCI when the guest enabled it. */
void pm_power_button(struct pm *pm);

#endif
