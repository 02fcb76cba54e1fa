// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/pm.h"

#include <string.h>

#include "khyve/acpi.h"
#include "khyve/cli.h"

#define RESET_RST_CPU 0x04 /* PIIX reset control: 0x06 = hard reset, 0x04 = soft */
#define I8042_CMD_RESET 0xfe
#define PM1_STS_WAK (1u << 15)

void pm_init(struct pm *pm, const struct pm_ops *ops, void *arg)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->ops = ops;
	pm->arg = arg;
	/* SMI_CMD is 0 in the FADT: the machine is always in ACPI mode. */
	pm->cnt = ACPI_PM1_CNT_SCI_EN;
}

void pm_fini(struct pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

static void update_sci(struct pm *pm)
{
	int level = (pm->sts & pm->en & ACPI_PM1_EN_PWRBTN) != 0;
	if (level != pm->sci_level) {
		pm->sci_level = level;
		pm->ops->set_sci(pm->arg, level);
	}
}

static uint32_t load(const uint8_t *d, unsigned size)
{
	uint32_t v = 0;
	memcpy(&v, d, size > 4 ? 4 : size);
	return v;
}

static void store(uint8_t *d, unsigned size, uint32_t v)
{
	memset(d, 0, size);
	memcpy(d, &v, size > 4 ? 4 : size);
}

/* PM1a_EVT_BLK: bytes 0-1 status (write 1 to clear), bytes 2-3 enable. */
void pm_evt_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	uint32_t both = pm->sts | (uint32_t)pm->en << 16;
	unsigned shift = 8 * (unsigned)off;
	uint32_t mask = size >= 4 ? 0xffffffffu : ((1u << (8 * size)) - 1) << shift;
	if (is_write) {
		uint32_t v = (load(data, size) << shift) & mask;
		pm->sts &= (uint16_t)~(v & 0xffff);
		if (mask & 0xffff0000u)
			pm->en = (uint16_t)(((both & ~mask) | v) >> 16);
		update_sci(pm);
	} else {
		store(data, size, (both & mask) >> shift);
	}
	pthread_mutex_unlock(&pm->lock);
}

void pm_cnt_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct pm *pm = opaque;
	if (!is_write) {
		pthread_mutex_lock(&pm->lock);
		store(data, size, (uint32_t)pm->cnt >> (8 * off));
		pthread_mutex_unlock(&pm->lock);
		return;
	}
	if (off != 0) /* only whole-register writes have a meaning */
		return;
	uint16_t v = (uint16_t)load(data, size < 2 ? size : 2);
	bool off_req = false;
	pthread_mutex_lock(&pm->lock);
	/* SCI_EN stays set: there is no legacy mode to return to. SLP_EN reads as 0. */
	pm->cnt = (uint16_t)((v & ~ACPI_PM1_CNT_SLP_EN) | ACPI_PM1_CNT_SCI_EN);
	if ((v & ACPI_PM1_CNT_SLP_EN) &&
	    ((v >> ACPI_PM1_CNT_SLP_TYP_SHIFT) & 7) == ACPI_S5_SLP_TYP)
		off_req = true;
	pthread_mutex_unlock(&pm->lock);
	if (off_req)
		pm->ops->request_stop(pm->arg, KHYVE_EXIT_POWEROFF);
}

void pm_reset_write(void *opaque, uint8_t val)
{
	struct pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	pm->reset_reg = val;
	pthread_mutex_unlock(&pm->lock);
	if (val & RESET_RST_CPU)
		pm->ops->request_stop(pm->arg, KHYVE_EXIT_REBOOT);
}

/*
 * Just enough of an i8042 for the reset pulse that Linux falls back to
 * ("reboot=k"): the FADT tells the guest there is no keyboard controller.
 * Offset 0 is port 0x60 (data), offset 4 is port 0x64 (status/command).
 */
void pm_i8042_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct pm *pm = opaque;
	if (!is_write) {
		memset(data, 0, size); /* no data, input buffer empty */
		return;
	}
	if (off == 4 && data[0] == I8042_CMD_RESET)
		pm->ops->request_stop(pm->arg, KHYVE_EXIT_REBOOT);
}

void pm_power_button(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_STS_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}
