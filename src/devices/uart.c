// SPDX-License-Identifier: BSD-2-Clause
/* 16550A: register semantics as in the National Semiconductor PC16550D data sheet. */
#include "khyve/uart.h"

#include <string.h>

enum { REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3, REG_MCR = 4, REG_LSR = 5,
       REG_MSR = 6, REG_SCR = 7 };

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08
#define IER_MASK 0x0f
#define IIR_NONE 0x01
#define IIR_MSR 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_FIFO_ENABLED 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS 0x1e
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTA 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

void uart_init(struct uart *u, const struct uart_ops *ops, void *arg)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->ops = ops;
	u->arg = arg;
	u->lsr = LSR_THRE | LSR_TEMT;
	/* A terminal is attached: carrier, DSR and CTS up. */
	u->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	u->dll = 12; /* 9600 baud until the guest programs it */
}

void uart_fini(struct uart *u)
{
	pthread_mutex_destroy(&u->lock);
}

/* The highest-priority pending interrupt, as IIR reports it. */
static uint8_t pending_iir(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr & LSR_ERRORS))
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return IIR_RDA;
	if ((u->ier & IER_ETBEI) && u->thr_irq)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTA))
		return IIR_MSR;
	return IIR_NONE;
}

static void update_irq(struct uart *u)
{
	/* OUT2 gates the interrupt onto the ISA line on a PC. */
	int level = pending_iir(u) != IIR_NONE && (u->mcr & MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->ops && u->ops->set_irq)
			u->ops->set_irq(u->arg, level);
	}
}

static bool push_rx(struct uart *u, uint8_t b)
{
	if (u->rx_count == UART_RX_FIFO_SIZE) {
		u->lsr |= LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO_SIZE] = b;
	u->rx_count++;
	u->lsr |= LSR_DR;
	return true;
}

static uint8_t pop_rx(struct uart *u)
{
	if (u->rx_count == 0)
		return 0;
	uint8_t b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_FIFO_SIZE;
	if (--u->rx_count == 0)
		u->lsr &= (uint8_t)~LSR_DR;
	return b;
}

/* In loopback the modem outputs feed the modem inputs. */
static uint8_t loop_msr(uint8_t mcr)
{
	uint8_t m = 0;
	if (mcr & MCR_DTR)
		m |= MSR_DSR;
	if (mcr & MCR_RTS)
		m |= MSR_CTS;
	if (mcr & MCR_OUT1)
		m |= MSR_RI;
	if (mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static void set_msr_lines(struct uart *u, uint8_t lines)
{
	uint8_t old = u->msr;
	uint8_t delta = 0;
	if ((old ^ lines) & MSR_CTS)
		delta |= MSR_DCTS;
	if ((old ^ lines) & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(lines & MSR_RI))
		delta |= MSR_TERI;
	if ((old ^ lines) & MSR_DCD)
		delta |= MSR_DDCD;
	u->msr = (uint8_t)((lines & 0xf0) | (old & MSR_DELTA) | delta);
}

static void write_reg(struct uart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case REG_RBR_THR:
		if (dlab) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP)
			push_rx(u, v);
		else if (u->ops && u->ops->tx)
			u->ops->tx(u->arg, v);
		/* Transmission is instantaneous: the THR is empty again at once. */
		u->thr_irq = true;
		break;
	case REG_IER:
		if (dlab) {
			u->dlh = v;
			break;
		}
		/* Enabling ETBEI with an empty THR raises the interrupt (8250 behaviour). */
		if (!(u->ier & IER_ETBEI) && (v & IER_ETBEI))
			u->thr_irq = true;
		u->ier = v & IER_MASK;
		break;
	case REG_IIR_FCR:
		if (v & FCR_CLEAR_RX) {
			u->rx_count = 0;
			u->lsr &= (uint8_t)~LSR_DR;
			if (u->rx_was_full) { /* room again: let paused host input resume */
				u->rx_was_full = false;
				if (u->ops && u->ops->rx_ready)
					u->ops->rx_ready(u->arg);
			}
		}
		u->fcr = v & (FCR_ENABLE | 0xc0);
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR: {
		uint8_t old = u->mcr;
		u->mcr = v & MCR_MASK;
		if (u->mcr & MCR_LOOP)
			set_msr_lines(u, loop_msr(u->mcr));
		else if (old & MCR_LOOP)
			set_msr_lines(u, MSR_DCD | MSR_DSR | MSR_CTS);
		break;
	}
	case REG_LSR:
	case REG_MSR:
		break; /* read-only */
	case REG_SCR:
		u->scr = v;
		break;
	}
}

static uint8_t read_reg(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v = 0;
	switch (reg) {
	case REG_RBR_THR:
		if (dlab)
			return u->dll;
		v = pop_rx(u);
		if (u->rx_was_full && u->rx_count < UART_RX_FIFO_SIZE) {
			u->rx_was_full = false;
			if (u->ops && u->ops->rx_ready)
				u->ops->rx_ready(u->arg);
		}
		return v;
	case REG_IER:
		return dlab ? u->dlh : u->ier;
	case REG_IIR_FCR:
		v = pending_iir(u);
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if (v == IIR_THRE)
			u->thr_irq = false;
		return (uint8_t)(v | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0));
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = u->lsr;
		u->lsr &= (uint8_t)~LSR_ERRORS; /* error bits clear on read */
		return v;
	case REG_MSR:
		v = u->msr;
		u->msr &= (uint8_t)~MSR_DELTA;
		return v;
	case REG_SCR:
		return u->scr;
	}
	return 0xff;
}

void uart_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct uart *u = opaque;
	/* Byte registers: wider accesses touch the first register only, the rest reads as ones. */
	if (!is_write && size > 1)
		memset(data + 1, 0xff, size - 1);
	if (off >= UART_NREGS)
		return;
	pthread_mutex_lock(&u->lock);
	if (is_write)
		write_reg(u, (unsigned)off, data[0]);
	else
		data[0] = read_reg(u, (unsigned)off);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;
	pthread_mutex_lock(&u->lock);
	/* While in loopback the line is disconnected from the host. */
	if (!(u->mcr & MCR_LOOP)) {
		while (n < len && u->rx_count < UART_RX_FIFO_SIZE)
			push_rx(u, buf[n++]);
		if (u->rx_count == UART_RX_FIFO_SIZE)
			u->rx_was_full = true;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart_rx_room(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	size_t room = UART_RX_FIFO_SIZE - u->rx_count;
	if (room == 0)
		u->rx_was_full = true; /* the owner stops reading: tell it when to resume */
	pthread_mutex_unlock(&u->lock);
	return room;
}
