/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the command-line files: cli.c (flags), cli_args.c (their arguments), cli_pci.c (-s). */
#ifndef KHYVE_CLI_PRIV_H
#define KHYVE_CLI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "khyve/config.h"

/* The largest vCPU, socket, core or thread count bhyve's topology accepts. */
#define CLI_MAX_TOPOLOGY 0xffff

/* bhyve treats any prefix of "help", even an empty one, as "help" (-s, -l). */
bool cli_is_help(const char *arg);

/*
 * -c [[cpus=]n][,sockets=n][,cores=n][,threads=n]: the keys that are given,
 * as bhyve. 0, or -EINVAL (bad syntax, number out of 1..65535, or more vCPUs
 * than the same argument's topology has places for).
 */
int cli_parse_topology(struct config *cfg, const char *arg);
/*
 * After parsing: cpus/sockets/cores/threads must be 1..65535 with at most
 * 65535 places; cpus defaults to sockets*cores*threads when only a topology
 * is given (then it is written to cfg). 0 or -EINVAL with a message.
 */
int cli_check_topology(struct config *cfg, char *msg, size_t len);
/* -p vcpu:hostcpu appended to vcpu.N.cpuset. 0 or -EINVAL. */
int cli_parse_pin(struct config *cfg, const char *arg);
/* -G [w][address:]port → gdb.wait, gdb.address, gdb.port. 0 or -EINVAL (empty port). */
int cli_parse_gdb(struct config *cfg, const char *arg);
/* -f [name=]name,string=data|file=path → fwcfg.N.name, fwcfg.N.string|file. */
int cli_parse_fwcfg(struct config *cfg, const char *arg, char *msg, size_t len);

#endif
