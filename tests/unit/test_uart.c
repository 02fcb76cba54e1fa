// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "khyve/uart.h"

static struct {
	uint8_t tx[256];
	unsigned ntx, irq_changes, rx_ready;
	int level;
} rec;

static void tx(void *arg, uint8_t b)
{
	if (rec.ntx < sizeof(rec.tx))
		rec.tx[rec.ntx++] = b;
}
static void set_irq(void *arg, int level)
{
	rec.level = level;
	rec.irq_changes++;
}
static void rx_ready(void *arg)
{
	rec.rx_ready++;
}
static const struct uart_ops ops = {.tx = tx, .set_irq = set_irq, .rx_ready = rx_ready};

static uint8_t rd(struct uart *u, unsigned reg)
{
	uint8_t d = 0;
	uart_io(u, reg, &d, 1, false);
	return d;
}
static void wr(struct uart *u, unsigned reg, uint8_t v)
{
	uart_io(u, reg, &v, 1, true);
}

static struct uart u;
static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	uart_init(&u, &ops, NULL);
}
static void teardown(void)
{
	uart_fini(&u);
}

START_TEST(linux_autoconfig)
{
	wr(&u, 7, 0xa5); /* scratch */
	ck_assert_uint_eq(rd(&u, 7), 0xa5);
	wr(&u, 1, 0);
	ck_assert_uint_eq(rd(&u, 1), 0);
	wr(&u, 1, 0x0f);
	ck_assert_uint_eq(rd(&u, 1), 0x0f);
	wr(&u, 1, 0);
	wr(&u, 4, 0x1a); /* loopback + RTS + OUT2 */
	ck_assert_uint_eq(rd(&u, 6) & 0xf0, 0x90);
	wr(&u, 4, 0);
	wr(&u, 2, 0x01); /* FIFO enable → IIR reports a 16550A */
	ck_assert_uint_eq(rd(&u, 2) >> 6, 3);
	ck_assert_uint_eq(rd(&u, 5) & 0x60, 0x60); /* THRE and TEMT */
}
END_TEST

START_TEST(divisor_latch_and_tx)
{
	wr(&u, 3, 0x83);
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x00);
	ck_assert_uint_eq(rd(&u, 0), 0x01);
	ck_assert_uint_eq(rd(&u, 1), 0x00);
	wr(&u, 3, 0x03);
	ck_assert_uint_eq(rec.ntx, 0); /* divisor writes are not data */
	wr(&u, 0, 'h');
	wr(&u, 0, 'i');
	ck_assert_uint_eq(rec.ntx, 2);
	ck_assert_mem_eq(rec.tx, "hi", 2);
	/* divisor 0 is harmless */
	wr(&u, 3, 0x80);
	wr(&u, 0, 0);
	wr(&u, 3, 0x03);
	wr(&u, 0, '!');
	ck_assert_uint_eq(rec.ntx, 3);
}
END_TEST

START_TEST(thre_interrupt)
{
	wr(&u, 4, 0x08); /* OUT2 gates the line */
	ck_assert_int_eq(rec.level, 0);
	wr(&u, 1, 0x02); /* ETBEI with an empty THR raises the interrupt */
	ck_assert_int_eq(rec.level, 1);
	ck_assert_uint_eq(rd(&u, 2) & 0x0f, 0x02);
	ck_assert_int_eq(rec.level, 0); /* IIR read acknowledged it */
	ck_assert_uint_eq(rd(&u, 2) & 0x0f, 0x01);
	wr(&u, 0, 'x');
	ck_assert_int_eq(rec.level, 1);
}
END_TEST

START_TEST(rx_and_out2_gate)
{
	wr(&u, 1, 0x01);
	const uint8_t in[] = "ab";
	ck_assert_uint_eq(uart_receive(&u, in, 2), 2);
	ck_assert_int_eq(rec.level, 0); /* OUT2 clear: no interrupt reaches the PIC */
	wr(&u, 4, 0x08);
	ck_assert_int_eq(rec.level, 1);
	ck_assert_uint_eq(rd(&u, 2) & 0x0f, 0x04);
	ck_assert_uint_eq(rd(&u, 5) & 1, 1);
	ck_assert_uint_eq(rd(&u, 0), 'a');
	ck_assert_uint_eq(rd(&u, 0), 'b');
	ck_assert_uint_eq(rd(&u, 5) & 1, 0);
	ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(rx_flood_is_bounded)
{
	static uint8_t flood[10000];
	memset(flood, 'z', sizeof(flood));
	ck_assert_uint_eq(uart_receive(&u, flood, sizeof(flood)), UART_RX_FIFO_SIZE);
	ck_assert_uint_eq(uart_rx_room(&u), 0);
	ck_assert_uint_eq(uart_receive(&u, flood, sizeof(flood)), 0);
	ck_assert_uint_eq(rec.rx_ready, 0);
	rd(&u, 0);
	ck_assert_uint_eq(rec.rx_ready, 1); /* the owner may read input again */
	ck_assert_uint_eq(uart_rx_room(&u), 1);
}
END_TEST

START_TEST(odd_accesses)
{
	uint8_t d[4] = {0};
	uart_io(&u, 9, d, 1, false); /* past the registers */
	uart_io(&u, 9, d, 1, true);
	uart_io(&u, 0, d, 4, false);
	ck_assert_uint_eq(d[1], 0xff);
	ck_assert_uint_eq(d[3], 0xff);
	wr(&u, 5, 0); /* LSR is read-only */
	ck_assert_uint_eq(rd(&u, 5) & 0x60, 0x60);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("uart");
	TCase *tc = tcase_create("16550A");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, linux_autoconfig);
	tcase_add_test(tc, divisor_latch_and_tx);
	tcase_add_test(tc, thre_interrupt);
	tcase_add_test(tc, rx_and_out2_gate);
	tcase_add_test(tc, rx_flood_is_bounded);
	tcase_add_test(tc, odd_accesses);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
