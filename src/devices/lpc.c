// SPDX-License-Identifier: BSD-2-Clause
/* LPC bridge (PIIX3 ISA IDs, as bhyve) and the COM ports configured under lpc.comN. */
#include "khyve/lpc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "khyve/config.h"
#include "khyve/vm.h"

static const struct {
	uint16_t port;
	unsigned irq;
} com_hw[LPC_NCOM] = {{0x3f8, 4}, {0x2f8, 3}, {0x3e8, 4}, {0x2e8, 3}};

static void com_tx(void *arg, uint8_t byte)
{
	struct lpc_com *c = arg;
	pthread_mutex_lock(&c->out_lock);
	if (c->out_fd < 0) {
		/* no client: the byte is lost, as on a line with nothing attached */
	} else if (c->is_socket) {
		/* Never block a vCPU on a slow client: a full socket drops output. */
		if (send(c->out_fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		}
	} else {
		for (;;) {
			ssize_t n = write(c->out_fd, &byte, 1);
			if (n == 1 || (n < 0 && errno != EINTR))
				break; /* a closed console drops output, like a cable pulled */
		}
	}
	pthread_mutex_unlock(&c->out_lock);
}

static void com_set_irq(void *arg, int level)
{
	struct lpc_com *c = arg;
	vm_set_irq(c->vm, c->irq, level);
}

static void com_rx_ready(void *arg)
{
	struct lpc_com *c = arg;
	uint64_t one = 1;
	if (c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* eventfd counter saturated: a wake-up is pending anyway */
	}
}

static const struct uart_ops com_ops = {
	.tx = com_tx,
	.set_irq = com_set_irq,
	.rx_ready = com_rx_ready,
};

static void com_input(void *arg)
{
	struct lpc_com *c = arg;
	uint8_t buf[UART_RX_FIFO_SIZE];
	size_t room = uart_rx_room(&c->uart);
	if (room == 0) {
		evloop_fd_pause(c->in_ev); /* resumed by com_wake once the guest reads */
		return;
	}
	ssize_t n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		evloop_fd_pause(c->in_ev); /* end of input: nothing more will come */
		if (c->is_socket) { /* the client left: wait for the next one */
			pthread_mutex_lock(&c->out_lock);
			close(c->in_fd);
			c->in_fd = c->out_fd = -1;
			pthread_mutex_unlock(&c->out_lock);
		}
		return;
	}
	uart_receive(&c->uart, buf, (size_t)n);
}

static void com_wake(void *arg)
{
	struct lpc_com *c = arg;
	uint64_t v;
	if (read(c->wake_fd, &v, sizeof(v)) == sizeof(v) && c->in_ev && c->in_fd >= 0)
		evloop_fd_resume(c->in_ev);
}

void com_input_attach(struct lpc_com *c, int fd)
{
	pthread_mutex_lock(&c->out_lock);
	c->in_fd = c->out_fd = fd;
	pthread_mutex_unlock(&c->out_lock);
	if (c->in_ev == NULL) {
		c->in_ev = evloop_add_fd(c->loop, fd, com_input, c);
	} else {
		evloop_fd_set(c->in_ev, fd);
		evloop_fd_resume(c->in_ev);
	}
}

/* A terminal carries raw bytes to and from the guest; lpc_release restores it. */
static void make_raw(struct lpc_com *c)
{
	if (!isatty(c->in_fd) || tcgetattr(c->in_fd, &c->saved_tio) != 0)
		return;
	struct termios raw = c->saved_tio;
	cfmakeraw(&raw);
	raw.c_cflag |= CLOCAL;
	if (tcsetattr(c->in_fd, TCSANOW, &raw) == 0)
		c->raw_tty = true;
}

static int com_open_backend(struct lpc_com *c, const char *path, char *err, size_t errlen)
{
	if (strncmp(path, "tcp=", 4) == 0)
		return com_tcp_listen(c, path + 4, err, errlen);
	if (strcmp(path, "stdio") == 0) {
		c->in_fd = STDIN_FILENO;
		c->out_fd = STDOUT_FILENO;
		make_raw(c);
		return 0;
	}
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "cannot open COM backend %s: %s", path, strerror(errno));
		return rc;
	}
	c->in_fd = c->out_fd = fd;
	c->owns_fds = true;
	make_raw(c);
	return 0;
}

static int lpc_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err, size_t errlen)
{
	if (vm->lpc) {
		snprintf(err, errlen, "only one lpc device is supported");
		return -EEXIST;
	}
	struct lpc *lpc = calloc(1, sizeof(*lpc));
	if (lpc == NULL)
		return -ENOMEM;
	vm->lpc = lpc;
	dev->priv = lpc;
	pci_set_ids(dev, 0x8086, 0x7000, 0x06, 0x01, 0, 0);
	for (unsigned i = 0; i < LPC_NCOM; i++) {
		struct lpc_com *c = &lpc->com[i];
		c->in_fd = c->out_fd = c->wake_fd = c->listen_fd = -1;
		pthread_mutex_init(&c->out_lock, NULL);
		char key[32];
		snprintf(key, sizeof(key), "lpc.com%u.path", i + 1);
		const char *path = config_get(vm->cfg, key);
		if (path == NULL)
			continue;
		c->vm = vm;
		c->irq = com_hw[i].irq;
		int rc = com_open_backend(c, path, err, errlen);
		if (rc < 0)
			return rc;
		c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->wake_fd < 0)
			return -errno;
		uart_init(&c->uart, &com_ops, c);
		c->present = true;
		rc = iobus_register(&vm->pio, com_hw[i].port, UART_NREGS, uart_io, &c->uart);
		if (rc < 0) {
			snprintf(err, errlen, "COM%u: I/O ports %#x busy", i + 1, com_hw[i].port);
			return rc;
		}
	}
	return 0;
}

int lpc_attach_loop(struct lpc *lpc, struct evloop *loop)
{
	for (unsigned i = 0; i < LPC_NCOM; i++) {
		struct lpc_com *c = &lpc->com[i];
		if (!c->present)
			continue;
		if (c->listen_fd >= 0) {
			/* Client input is watched once one connects (com_tcp_accept). */
			c->listen_ev = evloop_add_fd(loop, c->listen_fd, com_tcp_accept, c);
			if (c->listen_ev == NULL)
				return -ENOMEM;
		} else if (c->in_fd >= 0) {
			c->in_ev = evloop_add_fd(loop, c->in_fd, com_input, c);
			if (c->in_ev == NULL)
				return -ENOMEM;
		}
		c->loop = loop;
		if (evloop_add_fd(loop, c->wake_fd, com_wake, c) == NULL)
			return -ENOMEM;
	}
	return 0;
}

void lpc_release(struct lpc *lpc)
{
	for (unsigned i = 0; i < LPC_NCOM; i++) {
		struct lpc_com *c = &lpc->com[i];
		if (c->raw_tty) {
			tcsetattr(c->in_fd, TCSANOW, &c->saved_tio);
			c->raw_tty = false;
		}
		if ((c->owns_fds || c->is_socket) && c->in_fd >= 0)
			close(c->in_fd);
		if (c->listen_fd >= 0)
			close(c->listen_fd);
		c->listen_fd = -1;
		if (c->wake_fd >= 0)
			close(c->wake_fd);
		if (c->present)
			uart_fini(&c->uart);
		c->present = false;
		c->owns_fds = false;
		c->in_fd = c->out_fd = c->wake_fd = -1;
	}
}

static const char *const lpc_options[] = {NULL};

const struct pci_devemu lpc_emu = {
	.name = "lpc",
	.help = "LPC (ISA) bridge with COM1-COM4 (see -l)",
	.init = lpc_init,
	.options = lpc_options,
};
