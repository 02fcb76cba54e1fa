// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>

int netaddr_numeric(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	return 0;
}

int netaddr_host(const char *host, size_t n, uint16_t port, struct sockaddr_storage *ss,
		 socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN];
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, n);
	buf[n] = '\0';
	return netaddr_numeric(strcmp(buf, "localhost") == 0 ? "127.0.0.1" : buf, port, ss, len);
}

int netaddr_port(const char *s, unsigned least, uint16_t *port)
{
	if (s[0] < '0' || s[0] > '9') /* strtoul would take signs and spaces */
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < least || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int netaddr_endpoint(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(spec, ':');
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		colon = close + 1;
	}
	uint16_t port;
	if (colon == NULL || netaddr_port(colon + 1, 1, &port) < 0)
		return -EINVAL;
	return netaddr_host(spec, (size_t)(colon - spec), port, ss, len);
}
