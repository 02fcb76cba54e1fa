/* SPDX-License-Identifier: BSD-2-Clause */
/* vCPU setup, threads and the table-driven VM-exit dispatch (kept apart from KVM_RUN). */
#ifndef KHYVE_VCPU_H
#define KHYVE_VCPU_H

#include <stdbool.h>
#include <linux/kvm.h>

#include "khyve/iobus.h"
#include "khyve/linux_boot.h"
#include "khyve/vm.h"

enum exit_result { EXIT_CONTINUE = 0, EXIT_STOP = 1 };

/* KVM_EXIT_DEBUG (a breakpoint or single step) on vCPU index cpu. */
typedef enum exit_result (*exit_debug_fn)(void *arg, unsigned cpu, struct kvm_run *run);

/* What an exit handler needs; a unit test can build one without KVM. */
struct exit_env {
	struct iobus *pio, *mmio;
	bool strictio; /* -e: an access to an unemulated port ends the VM */
	unsigned cpu;  /* the vCPU's index */
	exit_debug_fn debug; /* the debug server's, or NULL: a debug exit is then an error */
	void *debug_arg;
};

/* Replay queued coalesced writes in guest order; returns how many were replayed. */
unsigned vcpu_drain_coalesced(struct kvm_coalesced_mmio_ring *ring, struct iobus *pio,
			      struct iobus *mmio);

/*
 * Handle one KVM exit described by run. On EXIT_STOP, *code is bhyve's
 * exit status and msg (when non-empty) says why.
 */
enum exit_result vcpu_handle_exit(const struct exit_env *env, struct kvm_run *run, int *code,
				  char *msg, size_t msglen);

/* CPUID for vCPU id of n (APIC IDs 0..n-1, one socket), from KVM's supported table. */
struct kvm_cpuid2 *vcpu_build_cpuid(const struct kvm_cpuid2 *supported, unsigned id, unsigned n,
				    bool x2apic);
/* The same for a topology: id is the vCPU's APIC ID (vcpu_apic_id). */
struct kvm_cpuid2 *vcpu_build_cpuid_topo(const struct kvm_cpuid2 *supported, unsigned id,
					 const struct vcpu_topology *t, bool x2apic);
/* APIC ID of the index-th vCPU: socket, core and thread fields, each a power-of-two wide. */
unsigned vcpu_apic_id(const struct vcpu_topology *t, unsigned index);

int vcpu_init(struct vm *vm, struct vcpu *v, unsigned id, char *err, size_t errlen);
/* Registers of the boot CPU at the 64-bit Linux entry point. */
int vcpu_setup_linux_entry(struct vcpu *v, const struct linux_entry *e);
int vcpu_start(struct vcpu *v);
/* Make a vCPU leave KVM_RUN (to stop, or to report its halt state). */
void vcpu_kick(struct vcpu *v);
int vcpu_signals_init(void);

/*
 * Pausing: vcpu_hold makes v leave KVM_RUN (finishing a pending I/O exit
 * without running guest code) and park until vcpu_release. Parked vCPUs
 * report no halt state, so the halt detection cannot end a paused VM.
 */
void vcpu_hold(struct vcpu *v);
void vcpu_release(struct vcpu *v);
/* Wait until every held vCPU has parked (or ended); false when the VM is stopping. */
bool vcpu_wait_parked(struct vm *vm);
/* Teardown: wake parked vCPUs and waiters so they see the stop request. */
void vcpu_wake_all(struct vm *vm);
/* bhyve's cpuset list ("1", "0,2-3") → set; -EINVAL when malformed or out of range. */
int vcpu_parse_cpuset(const char *list, cpu_set_t *set);

#endif
