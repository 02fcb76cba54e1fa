// SPDX-License-Identifier: BSD-2-Clause
/* COM port backend tcp=ADDRESS:PORT: one client at a time, as bhyve's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "khyve/lpc.h"
#include "khyve/netaddr.h"

int com_tcp_listen(struct lpc_com *c, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (netaddr_endpoint(spec, &ss, &len) < 0) {
		snprintf(err, errlen, "tcp=%s: expected tcp=ADDRESS:PORT with a numeric address",
			 spec);
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0) {
		int rc = -errno;
		snprintf(err, errlen, "tcp=%s: cannot listen: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	c->listen_fd = fd;
	c->is_socket = true;
	c->in_fd = c->out_fd = -1;
	return 0;
}

void com_tcp_accept(void *arg)
{
	struct lpc_com *c = arg;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (c->in_fd >= 0) {
		close(fd); /* one client at a time */
		return;
	}
	com_input_attach(c, fd);
}
