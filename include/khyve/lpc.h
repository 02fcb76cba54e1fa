/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LPC (ISA) bridge and the devices behind it that -l configures:
 * COM1-COM4 as 16550 UARTs connected to stdio or a terminal device.
 */
#ifndef KHYVE_LPC_H
#define KHYVE_LPC_H

#include <pthread.h>
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
	bool is_socket;	    /* tcp=: in_fd == out_fd is the connected client, or -1 */
	int listen_fd;	    /* tcp=: the listening socket, else -1 */
	struct ev_fd *listen_ev;
	pthread_mutex_t out_lock; /* out_fd changes (client comes and goes) vs. vCPU writes */
	bool raw_tty;
	struct termios saved_tio;
	int wake_fd; /* written by a vCPU thread when the RX FIFO has room again */
	struct ev_fd *in_ev;
	struct evloop *loop;
};

struct lpc {
	struct lpc_com com[LPC_NCOM];
};

extern const struct pci_devemu lpc_emu;
extern const struct pci_devemu hostbridge_emu;
extern const struct pci_devemu amd_hostbridge_emu;

/* tcp=ADDRESS:PORT: listen for one client at a time. 0 or -errno with a message. */
int com_tcp_listen(struct lpc_com *c, const char *spec, char *err, size_t errlen);
/* Accept a client on c->listen_fd (event-loop callback). */
void com_tcp_accept(void *arg);
/* Start reading a new input descriptor (a client that connected). */
void com_input_attach(struct lpc_com *c, int fd);

/* Start reading host input (after the event loop exists). */
int lpc_attach_loop(struct lpc *lpc, struct evloop *loop);
/* Close backends; restore the terminal. Safe to call twice. */
void lpc_release(struct lpc *lpc);

#endif
