/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -G [w][address:]port: a GDB remote-protocol server on its own thread, one
 * client at a time. The client sees vCPUs as threads (ID = index + 1);
 * every vCPU stops when it attaches, on ^C, and when one hits a breakpoint
 * or ends a single step.
 */
#ifndef KHYVE_GDB_SERVER_H
#define KHYVE_GDB_SERVER_H

#include <stddef.h>

#include "khyve/vcpu.h"
#include "khyve/vm.h"

/*
 * From vm_create once the vCPUs exist, when gdb.port is set: listen on
 * gdb.address (default 127.0.0.1):gdb.port; with gdb.wait, hold every vCPU
 * before its first instruction. 0, or -errno and a message naming address:port.
 */
int gdb_server_create(struct vm *vm, char *err, size_t errlen);
/* From vm_run once the vCPU threads exist: start serving. */
int gdb_server_start(struct vm *vm);
/* Teardown (after vcpu_wake_all): end the server thread. */
void gdb_server_stop(struct vm *vm);
void gdb_server_free(struct vm *vm);
/* The KVM_EXIT_DEBUG handler (exit_debug_fn), on the vCPU's thread. */
enum exit_result gdb_server_debug_exit(void *arg, unsigned cpu, struct kvm_run *run);

#endif
