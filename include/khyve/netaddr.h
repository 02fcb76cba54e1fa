/* SPDX-License-Identifier: BSD-2-Clause */
/* A listening address from its numeric host part: khyve is static and resolves no names. */
#ifndef KHYVE_NETADDR_H
#define KHYVE_NETADDR_H

#include <stdint.h>
#include <sys/socket.h>

/*
 * host: a numeric IPv4 or IPv6 address (no brackets). Fills ss and len for
 * that address and port; -EINVAL for anything else.
 */
int netaddr_numeric(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

#endif
