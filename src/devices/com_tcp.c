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

/* "127.0.0.1:4000" or "[::1]:4000": numeric addresses only, nothing is resolved. */
static int parse_endpoint(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port == 0 || port > 65535)
		return -EINVAL;
	return netaddr_numeric(host, (uint16_t)port, ss, len);
}

int com_tcp_listen(struct lpc_com *c, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (parse_endpoint(spec, &ss, &len) < 0) {
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
