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

/*
 * The probe of drivers/tty/serial/8250/8250_port.c autoconfig() step by
 * step, with the values the driver compares against: any deviation makes
 * Linux call the port something other than a 16550A (or nothing).
 */
START_TEST(linux_autoconfig_sequence)
{
	/* IER: 0 reads back 0, 0x0f reads back 0x0f */
	uint8_t saved_ier = rd(&u, 1);
	wr(&u, 1, 0);
	ck_assert_uint_eq(rd(&u, 1) & 0x0f, 0);
	wr(&u, 1, 0x0f);
	ck_assert_uint_eq(rd(&u, 1) & 0x0f, 0x0f);
	wr(&u, 1, saved_ier);
	/* loopback with RTS and OUT2: CTS and DCD echo back, DSR and RI stay low */
	uint8_t saved_mcr = rd(&u, 4), saved_lcr = rd(&u, 3);
	wr(&u, 4, 0x10 | 0x0a);
	ck_assert_uint_eq(rd(&u, 6) & 0xf0, 0x90);
	wr(&u, 4, saved_mcr);
	/* out of loopback the terminal's lines are back: DCD, DSR, CTS */
	ck_assert_uint_eq(rd(&u, 6) & 0xf0, 0xb0);
	/* EFR probe (LCR 0xbf): register 2 must not look like an EFR */
	wr(&u, 3, 0xbf);
	wr(&u, 2, 0);
	wr(&u, 3, 0);
	wr(&u, 2, 0x01); /* FIFO enable */
	ck_assert_uint_eq(rd(&u, 2) >> 6, 3); /* 16550A */
	wr(&u, 3, 0x80);
	ck_assert_uint_ne(rd(&u, 2), 0); /* no EFR behind DLAB: not a 16650 */
	wr(&u, 3, 0xbf);
	ck_assert_uint_ne(rd(&u, 2), 0); /* not a 16850 */
	/* 16750 probe: a 64-byte FIFO request is not granted (IIR bit 5 stays clear) */
	wr(&u, 3, 0);
	wr(&u, 2, 0x21);
	ck_assert_uint_eq(rd(&u, 2) & 0xe0, 0xc0);
	wr(&u, 3, 0x80);
	wr(&u, 2, 0x21);
	ck_assert_uint_eq(rd(&u, 2) & 0xe0, 0xc0);
	/* XScale probe: IER bit 6 (UUE) does not stick */
	wr(&u, 3, 0);
	wr(&u, 1, 0x40);
	ck_assert_uint_eq(rd(&u, 1) & 0x40, 0);
	wr(&u, 3, saved_lcr);
	ck_assert_uint_eq(rd(&u, 3), saved_lcr);
	/* startup's THRE test: enabling THRI must show a pending THRE interrupt */
	wr(&u, 1, 0x02);
	ck_assert_uint_eq(rd(&u, 5) & 0x40, 0x40);
	ck_assert_uint_eq(rd(&u, 2), 0xc2);
	ck_assert_uint_eq(rd(&u, 2), 0xc1); /* acknowledged by the read */
	/* FIFO off: IIR bits 7:6 clear */
	wr(&u, 2, 0);
	ck_assert_uint_eq(rd(&u, 2), 0x01);
	/* nothing was transmitted while probing */
	ck_assert_uint_eq(rec.ntx, 0);
}
END_TEST

START_TEST(dlab_banks)
{
	wr(&u, 1, 0x05);
	wr(&u, 3, 0x83);
	ck_assert_uint_eq(rd(&u, 3), 0x83);
	ck_assert_uint_eq(rd(&u, 0), 12); /* 9600 baud until programmed */
	ck_assert_uint_eq(rd(&u, 1), 0);
	wr(&u, 0, 0x34);
	wr(&u, 1, 0x12);
	ck_assert_uint_eq(rd(&u, 0), 0x34);
	ck_assert_uint_eq(rd(&u, 1), 0x12);
	wr(&u, 3, 0x03);
	ck_assert_uint_eq(rd(&u, 1), 0x05); /* IER was not touched by the DLH write */
	wr(&u, 3, 0x83);
	ck_assert_uint_eq(rd(&u, 0), 0x34);
	ck_assert_uint_eq(rd(&u, 1), 0x12);
	ck_assert_uint_eq(rec.ntx, 0);
}
END_TEST

START_TEST(loopback_overrun)
{
	wr(&u, 1, 0x05); /* ERBFI | ELSI */
	wr(&u, 4, 0x18); /* loopback + OUT2 */
	for (unsigned i = 0; i <= UART_RX_FIFO_SIZE; i++)
		wr(&u, 0, (uint8_t)i);
	ck_assert_uint_eq(rec.ntx, 0); /* loopback does not reach the line */
	/* one byte too many: overrun, reported before received data */
	ck_assert_uint_eq(rd(&u, 2) & 0x0f, 0x06);
	ck_assert_int_eq(rec.level, 1);
	ck_assert_uint_eq(rd(&u, 5), 0x63); /* DR | OE | THRE | TEMT */
	ck_assert_uint_eq(rd(&u, 5), 0x61); /* OE clears on read */
	ck_assert_uint_eq(rd(&u, 2) & 0x0f, 0x04);
	for (unsigned i = 0; i < UART_RX_FIFO_SIZE; i++)
		ck_assert_uint_eq(rd(&u, 0), i); /* the first 64 bytes, in order */
	ck_assert_uint_eq(rd(&u, 5) & 1, 0);
	ck_assert_uint_eq(rd(&u, 2), 0x01); /* FIFO off, nothing pending (no ETBEI) */
	ck_assert_int_eq(rec.level, 0);
	/* host input is held off while in loopback */
	const uint8_t in = 'q';
	ck_assert_uint_eq(uart_receive(&u, &in, 1), 0);
}
END_TEST

START_TEST(wide_writes_use_first_byte)
{
	uint8_t d[4] = {'A', 'B', 'C', 'D'};
	uart_io(&u, 0, d, 2, true);
	uart_io(&u, 0, d + 2, 2, true);
	uart_io(&u, 7, d, 4, true); /* a dword write at SCR sets SCR only */
	ck_assert_uint_eq(rd(&u, 7), 'A');
	ck_assert_uint_eq(rec.ntx, 2);
	ck_assert_mem_eq(rec.tx, "AC", 2);
	uart_io(&u, UINT64_MAX, d, 1, true); /* far past the registers */
	uart_io(&u, UINT64_MAX, d, 1, false);
	ck_assert_uint_eq(rec.ntx, 2);
}
END_TEST

/*
 * uart.h: rx_ready means "the receive FIFO has room again after it was
 * full". A FIFO reset through FCR makes room just as a read does.
 * Currently fails: src/devices/uart.c write_reg() REG_IIR_FCR clears the
 * FIFO without clearing rx_was_full or calling rx_ready, so a host input
 * paused on a full FIFO stays paused until the guest reads RBR.
 */
START_TEST(fifo_reset_wakes_input)
{
	static uint8_t flood[UART_RX_FIFO_SIZE + 10];
	memset(flood, 'f', sizeof(flood));
	ck_assert_uint_eq(uart_receive(&u, flood, sizeof(flood)), UART_RX_FIFO_SIZE);
	ck_assert_uint_eq(uart_rx_room(&u), 0);
	wr(&u, 2, 0x03); /* FIFO enable + clear receive FIFO */
	ck_assert_uint_eq(rd(&u, 5) & 1, 0);
	ck_assert_uint_eq(uart_rx_room(&u), UART_RX_FIFO_SIZE);
	ck_assert_uint_eq(rec.rx_ready, 1);
}
END_TEST

START_TEST(rx_ready_once_per_fill)
{
	static uint8_t flood[2 * UART_RX_FIFO_SIZE];
	memset(flood, 'r', sizeof(flood));
	ck_assert_uint_eq(uart_receive(&u, flood, sizeof(flood)), UART_RX_FIFO_SIZE);
	rd(&u, 0);
	rd(&u, 0);
	ck_assert_uint_eq(rec.rx_ready, 1); /* only the first read after full */
	ck_assert_uint_eq(uart_receive(&u, flood, sizeof(flood)), 2);
	for (unsigned i = 0; i < UART_RX_FIFO_SIZE; i++)
		ck_assert_uint_eq(rd(&u, 0), 'r');
	ck_assert_uint_eq(rec.rx_ready, 2);
	ck_assert_uint_eq(rd(&u, 0), 0); /* empty FIFO reads 0 */
	ck_assert_uint_eq(uart_rx_room(&u), UART_RX_FIFO_SIZE);
	ck_assert_uint_eq(rec.rx_ready, 2);
}
END_TEST

START_TEST(modem_status_interrupt)
{
	wr(&u, 1, 0x08); /* EDSSI */
	wr(&u, 4, 0x08); /* OUT2 */
	ck_assert_int_eq(rec.level, 0);
	wr(&u, 4, 0x18); /* loopback drops DSR/CTS/DCD: deltas raise the interrupt */
	ck_assert_int_eq(rec.level, 1);
	ck_assert_uint_eq(rd(&u, 2) & 0x0f, 0x00);
	ck_assert_uint_eq(rd(&u, 6), 0x83); /* DCD stays (OUT2 loops to it); DDSR, DCTS */
	ck_assert_uint_eq(rd(&u, 6), 0x80); /* deltas clear on read */
	ck_assert_int_eq(rec.level, 0);
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
	tcase_add_test(tc, linux_autoconfig_sequence);
	tcase_add_test(tc, dlab_banks);
	tcase_add_test(tc, loopback_overrun);
	tcase_add_test(tc, wide_writes_use_first_byte);
	tcase_add_test(tc, fifo_reset_wakes_input);
	tcase_add_test(tc, rx_ready_once_per_fill);
	tcase_add_test(tc, modem_status_interrupt);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
