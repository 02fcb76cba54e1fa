/* SPDX-License-Identifier: BSD-2-Clause */
/* A listening address from its numeric host part: khyve is static and resolves no names. */
#ifndef KHYVE_NETADDR_H
#define KHYVE_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * host: a numeric IPv4 or IPv6 address (no brackets). Fills ss and len for
 * that address and port; -EINVAL for anything else.
 */
int netaddr_numeric(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

/*
 * The n bytes at host (not NUL-terminated): a numeric IPv4 address, an IPv6
 * address with or without brackets, or "localhost" (127.0.0.1). As
 * netaddr_numeric otherwise.
 */
int netaddr_host(const char *host, size_t n, uint16_t port, struct sockaddr_storage *ss,
		 socklen_t *len);

/*
 * "HOST:PORT" (COM tcp=): HOST as netaddr_host, IPv6 in brackets or not
 * (the port follows the last colon, or the closing bracket's), PORT 1-65535
 * in decimal.
 */
int netaddr_endpoint(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

/* A port: decimal digits only, least to 65535. 0 or -EINVAL. */
int netaddr_port(const char *s, unsigned least, uint16_t *port);

#endif
