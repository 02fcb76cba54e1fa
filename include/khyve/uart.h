/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 16550A UART register model. Host I/O is left to the owner through
 * callbacks; the receive FIFO is bounded, so a flood of host input is held
 * back (the owner stops reading) rather than buffered without limit.
 */
#ifndef KHYVE_UART_H
#define KHYVE_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_RX_FIFO_SIZE 64
#define UART_NREGS 8

struct uart_ops {
	/* One byte the guest transmitted. */
	void (*tx)(void *arg, uint8_t byte);
	/* The interrupt line's new level. */
	void (*set_irq)(void *arg, int level);
	/* The receive FIFO has room again after it was full. */
	void (*rx_ready)(void *arg);
};

struct uart {
	pthread_mutex_t lock;
	const struct uart_ops *ops;
	void *arg;
	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlh;
	bool thr_irq; /* THR-empty interrupt pending (cleared by IIR read or THR write) */
	bool rx_was_full;
	int irq_level;
	uint8_t rx[UART_RX_FIFO_SIZE];
	unsigned rx_head, rx_count;
};

void uart_init(struct uart *u, const struct uart_ops *ops, void *arg);
void uart_fini(struct uart *u);
/* An iobus handler for the 8 registers. */
void uart_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);
/* Offer host input; returns how many bytes were taken (the FIFO may be full). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
size_t uart_rx_room(struct uart *u);

#endif
