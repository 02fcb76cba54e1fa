// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "khyve/acpi.h"
#include "khyve/pm.h"

static int sci, stops, stop_code;
static void set_sci(void *arg, int level)
{
	sci = level;
}
static void request_stop(void *arg, int code)
{
	stops++;
	stop_code = code;
}
static const struct pm_ops ops = {.set_sci = set_sci, .request_stop = request_stop};
static struct pm pm;

static void setup(void)
{
	sci = stops = 0;
	stop_code = -1;
	pm_init(&pm, &ops, NULL);
}
static void teardown(void)
{
	pm_fini(&pm);
}

static uint16_t rd16(void (*fn)(void *, uint64_t, uint8_t *, unsigned, bool), unsigned off)
{
	uint16_t v = 0;
	fn(&pm, off, (uint8_t *)&v, 2, false);
	return v;
}
static void wr16(void (*fn)(void *, uint64_t, uint8_t *, unsigned, bool), unsigned off,
		 uint16_t v)
{
	fn(&pm, off, (uint8_t *)&v, 2, true);
}

START_TEST(power_button)
{
	pm_power_button(&pm);
	ck_assert_uint_eq(rd16(pm_evt_io, 0) & ACPI_PM1_STS_PWRBTN, ACPI_PM1_STS_PWRBTN);
	ck_assert_int_eq(sci, 0); /* not enabled yet */
	wr16(pm_evt_io, 2, ACPI_PM1_EN_PWRBTN);
	ck_assert_uint_eq(rd16(pm_evt_io, 2), ACPI_PM1_EN_PWRBTN);
	ck_assert_int_eq(sci, 1);
	wr16(pm_evt_io, 0, 0x0001); /* clearing another bit changes nothing */
	ck_assert_int_eq(sci, 1);
	wr16(pm_evt_io, 0, ACPI_PM1_STS_PWRBTN); /* write 1 to clear */
	ck_assert_int_eq(sci, 0);
	ck_assert_uint_eq(rd16(pm_evt_io, 0), 0);
	/* a 32-bit access covers status and enable together */
	uint32_t both = 0;
	pm_power_button(&pm);
	pm_evt_io(&pm, 0, (uint8_t *)&both, 4, false);
	ck_assert_uint_eq(both, ACPI_PM1_STS_PWRBTN | (uint32_t)ACPI_PM1_EN_PWRBTN << 16);
}
END_TEST

START_TEST(soft_off_and_reset)
{
	ck_assert_uint_eq(rd16(pm_cnt_io, 0) & ACPI_PM1_CNT_SCI_EN, ACPI_PM1_CNT_SCI_EN);
	wr16(pm_cnt_io, 0, (3 << ACPI_PM1_CNT_SLP_TYP_SHIFT) | ACPI_PM1_CNT_SLP_EN); /* S3 */
	ck_assert_int_eq(stops, 0);
	wr16(pm_cnt_io, 0, ACPI_S5_SLP_TYP << ACPI_PM1_CNT_SLP_TYP_SHIFT); /* no SLP_EN */
	ck_assert_int_eq(stops, 0);
	wr16(pm_cnt_io, 0, (ACPI_S5_SLP_TYP << ACPI_PM1_CNT_SLP_TYP_SHIFT) | ACPI_PM1_CNT_SLP_EN);
	ck_assert_int_eq(stops, 1);
	ck_assert_int_eq(stop_code, 1);
	ck_assert_uint_eq(rd16(pm_cnt_io, 0) & ACPI_PM1_CNT_SLP_EN, 0);
	pm_reset_write(&pm, 0x02); /* no RST_CPU bit */
	ck_assert_int_eq(stops, 1);
	pm_reset_write(&pm, ACPI_RESET_VALUE);
	ck_assert_int_eq(stops, 2);
	ck_assert_int_eq(stop_code, 0);
	uint8_t cmd = 0xfe;
	pm_i8042_io(&pm, 0, &cmd, 1, true); /* the data port does not reset */
	ck_assert_int_eq(stops, 2);
	pm_i8042_io(&pm, 4, &cmd, 1, true);
	ck_assert_int_eq(stops, 3);
	ck_assert_int_eq(stop_code, 0);
}
END_TEST

static void wr8(void (*fn)(void *, uint64_t, uint8_t *, unsigned, bool), unsigned off, uint8_t v)
{
	fn(&pm, off, &v, 1, true);
}
static uint8_t rd8(void (*fn)(void *, uint64_t, uint8_t *, unsigned, bool), unsigned off)
{
	uint8_t v = 0x5a;
	fn(&pm, off, &v, 1, false);
	return v;
}

START_TEST(sci_follows_status_and_enable)
{
	/* enable first, then the press: the SCI rises at the press */
	wr16(pm_evt_io, 2, ACPI_PM1_EN_PWRBTN);
	ck_assert_int_eq(sci, 0);
	pm_power_button(&pm);
	ck_assert_int_eq(sci, 1);
	pm_power_button(&pm); /* a second press while pending: still one level */
	ck_assert_int_eq(sci, 1);
	/* disabling lowers it while the status stays latched */
	wr16(pm_evt_io, 2, 0);
	ck_assert_int_eq(sci, 0);
	ck_assert_uint_eq(rd16(pm_evt_io, 0), ACPI_PM1_STS_PWRBTN);
	/* byte access to the enable register's high byte (PWRBTN_EN is bit 8) */
	wr8(pm_evt_io, 3, 0x01);
	ck_assert_uint_eq(rd16(pm_evt_io, 2), ACPI_PM1_EN_PWRBTN);
	ck_assert_int_eq(sci, 1);
	ck_assert_uint_eq(rd8(pm_evt_io, 1), ACPI_PM1_STS_PWRBTN >> 8);
	ck_assert_uint_eq(rd8(pm_evt_io, 0), 0);
	/* writing 1s to the enable register's low byte leaves PWRBTN_EN alone */
	wr8(pm_evt_io, 2, 0x21); /* GBL_EN | TMR_EN */
	ck_assert_uint_eq(rd16(pm_evt_io, 2), ACPI_PM1_EN_PWRBTN | 0x21);
	ck_assert_int_eq(sci, 1);
	wr16(pm_evt_io, 2, ACPI_PM1_EN_PWRBTN);
	/* clearing through the status high byte lowers it */
	wr8(pm_evt_io, 1, ACPI_PM1_STS_PWRBTN >> 8);
	ck_assert_int_eq(sci, 0);
	ck_assert_uint_eq(rd16(pm_evt_io, 0), 0);
	ck_assert_uint_eq(rd16(pm_evt_io, 2), ACPI_PM1_EN_PWRBTN); /* enable kept */
	/* one dword write clears status and writes enable together */
	pm_power_button(&pm);
	ck_assert_int_eq(sci, 1);
	uint32_t both = ACPI_PM1_STS_PWRBTN; /* enable 0, status bit cleared */
	pm_evt_io(&pm, 0, (uint8_t *)&both, 4, true);
	ck_assert_int_eq(sci, 0);
	both = 0xffffffff;
	pm_evt_io(&pm, 0, (uint8_t *)&both, 4, false);
	ck_assert_uint_eq(both, 0);
}
END_TEST

START_TEST(sleep_types)
{
	/* S0..S7 with SLP_EN: only S5 (the \_S5 value) powers off */
	for (unsigned t = 0; t < 8; t++) {
		wr16(pm_cnt_io, 0,
		     (uint16_t)(t << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SLP_EN));
		ck_assert_int_eq(stops, t >= ACPI_S5_SLP_TYP ? 1 : 0); /* S6, S7 add nothing */
	}
	ck_assert_int_eq(stop_code, 1);
	/* SLP_TYP reads back, SLP_EN does not, SCI_EN cannot be cleared */
	wr16(pm_cnt_io, 0, 3 << ACPI_PM1_CNT_SLP_TYP_SHIFT);
	ck_assert_uint_eq(rd16(pm_cnt_io, 0),
			  3 << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SCI_EN);
	ck_assert_uint_eq(rd8(pm_cnt_io, 1), (3 << ACPI_PM1_CNT_SLP_TYP_SHIFT) >> 8);
	ck_assert_uint_eq(rd8(pm_cnt_io, 0) & ACPI_PM1_CNT_SCI_EN, ACPI_PM1_CNT_SCI_EN);
	/* a write to the high byte alone has no effect (whole-register writes only) */
	wr8(pm_cnt_io, 1,
	    (ACPI_S5_SLP_TYP << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SLP_EN) >> 8);
	ck_assert_int_eq(stops, 1);
	/* a dword write carrying S5 + SLP_EN in its low word powers off */
	uint32_t v = ACPI_S5_SLP_TYP << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SLP_EN;
	pm_cnt_io(&pm, 0, (uint8_t *)&v, 4, true);
	ck_assert_int_eq(stops, 2);
	ck_assert_int_eq(stop_code, 1);
	ck_assert_int_eq(sci, 0);
}
END_TEST

START_TEST(reset_paths)
{
	/* PIIX reset control: RST_CPU (bit 2) resets, soft (0x04) or hard (0x06) */
	pm_reset_write(&pm, 0x00);
	pm_reset_write(&pm, 0x02);
	ck_assert_int_eq(stops, 0);
	pm_reset_write(&pm, 0x04);
	ck_assert_int_eq(stops, 1);
	ck_assert_int_eq(stop_code, 0);
	ck_assert_uint_eq(pm.reset_reg, 0x04);
	/* i8042: status reads "input buffer empty", other commands do nothing */
	ck_assert_uint_eq(rd8(pm_i8042_io, 4), 0);
	ck_assert_uint_eq(rd8(pm_i8042_io, 0), 0);
	wr8(pm_i8042_io, 4, 0xaa);
	wr8(pm_i8042_io, 4, 0xd1);
	wr8(pm_i8042_io, 0, 0xfe);
	ck_assert_int_eq(stops, 1);
	wr8(pm_i8042_io, 4, 0xfe);
	ck_assert_int_eq(stops, 2);
	ck_assert_int_eq(stop_code, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pm");
	TCase *tc = tcase_create("fixed hardware");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, power_button);
	tcase_add_test(tc, soft_off_and_reset);
	tcase_add_test(tc, sci_follows_status_and_enable);
	tcase_add_test(tc, sleep_types);
	tcase_add_test(tc, reset_paths);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
