/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LPC (ISA) bridge and the devices behind it that -l configures:
 * COM1-COM4 as 16550 UARTs connected to stdio or a terminal device.
 */
#ifndef KHYVE_LPC_H
#define KHYVE_LPC_H

#include <stdbool.h>
#include <termios.h>

#include "khyve/pci.h"
#include "khyve/uart.h"

#define LPC_NCOM 4

struct vm;
struct evloop;

struct lpc_com {
	struct vm *vm;
	bool present;
	unsigned irq;
	struct uart uart;
	int in_fd, out_fd;
	bool owns_fds;
	bool raw_tty;
	struct termios saved_tio;
	int wake_fd; /* written by a vCPU thread when the RX FIFO has room again */
	struct ev_fd *in_ev;
};

struct lpc {
	struct lpc_com com[LPC_NCOM];
};

extern const struct pci_devemu lpc_emu;
extern const struct pci_devemu hostbridge_emu;
extern const struct pci_devemu amd_hostbridge_emu;

/* Start reading host input (after the event loop exists). */
int lpc_attach_loop(struct lpc *lpc, struct evloop *loop);
/* Close backends; restore the terminal. Safe to call twice. */
void lpc_release(struct lpc *lpc);

#endif
