/* SPDX-License-Identifier: BSD-2-Clause */
/* The only module that issues KVM ioctls. All functions return 0 or -errno. */
#ifndef KHYVE_KVM_H
#define KHYVE_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

struct kvm {
	int sys_fd; /* /dev/kvm */
	int vm_fd;
	int run_size; /* size of the per-vCPU kvm_run mapping */
	struct kvm_cpuid2 *supported_cpuid;
	unsigned max_vcpus;
	int coalesced_page; /* page offset of the coalesced ring in a vCPU mapping, 0 = none */
	/*
	 * The whole GSI routing table: the PC's entries (kvm_setup_platform)
	 * and MSI routes at GSIs KVM_MSI_GSI_BASE..max_gsi-1. KVM only takes
	 * the table whole, so each change re-issues it, under route_lock.
	 */
	pthread_mutex_t route_lock;
	bool route_lock_ready;
	struct kvm_irq_routing_entry *routes;
	unsigned nroutes, routes_cap;
	unsigned max_gsi; /* KVM_CAP_IRQ_ROUTING: GSIs below this */
};

#define KVM_MSI_GSI_BASE 24 /* above the I/O APIC's pins */

int kvm_open(struct kvm *kvm, const char *dev);
void kvm_close(struct kvm *kvm);
#define KVM_CPUID1_ECX_TSC_DEADLINE (1u << 24)
/* Leaf 1 announces the local APIC's TSC-deadline mode (KVM_CAP_TSC_DEADLINE_TIMER). */
void kvm_cpuid_add_tsc_deadline(struct kvm_cpuid2 *cpuid);
/* TSS, identity map, in-kernel PIC/IOAPIC/LAPIC, PIT, and the PC's GSI routing. */
int kvm_setup_platform(struct kvm *kvm);
/* Unknown MSRs exit to userspace (KVM_EXIT_X86_RDMSR/WRMSR) instead of raising #GP. */
int kvm_enable_user_msr_exits(struct kvm *kvm);
int kvm_set_memory(struct kvm *kvm, uint32_t slot, uint64_t gpa, uint64_t size, void *host);
/* Set an interrupt line (GSI) level. */
int kvm_irq_line(struct kvm *kvm, uint32_t gsi, int level);

/*
 * MSI routes: GSIs above the PC's 24, kept in one routing table with the
 * PC's (KVM_SET_GSI_ROUTING replaces the whole table). add returns a GSI
 * (>= 24) or -errno; update rewrites one in place; del frees it.
 */
int kvm_msi_route_add(struct kvm *kvm, uint64_t addr, uint32_t data);
int kvm_msi_route_update(struct kvm *kvm, unsigned gsi, uint64_t addr, uint32_t data);
int kvm_msi_route_del(struct kvm *kvm, unsigned gsi);
/* Deliver one MSI now (KVM_SIGNAL_MSI). */
int kvm_signal_msi(struct kvm *kvm, uint64_t addr, uint32_t data);
/* A write to eventfd fd raises gsi (KVM_IRQFD); assign=false removes it. */
int kvm_irqfd(struct kvm *kvm, int fd, unsigned gsi, bool assign);
/*
 * Guest writes of len bytes at addr (port I/O when pio) signal fd instead of
 * exiting (KVM_IOEVENTFD); with match, only writes of value datamatch.
 */
int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, unsigned len, bool pio, bool match,
		  uint64_t datamatch, int fd, bool assign);

/*
 * Coalesced port writes: KVM queues guest writes to a registered range in a
 * ring shared by all vCPUs instead of exiting; userspace replays them, in
 * order, before it handles the next exit. Returns 0, or -ENOTSUP.
 */
int kvm_coalesce_pio(struct kvm *kvm, uint16_t port, uint32_t size);

struct kvm_vcpu_fd {
	int fd;
	struct kvm_run *run;
};

int kvm_vcpu_create(struct kvm *kvm, unsigned id, struct kvm_vcpu_fd *v);
void kvm_vcpu_destroy(struct kvm *kvm, struct kvm_vcpu_fd *v);
int kvm_vcpu_run(struct kvm_vcpu_fd *v);
/* The coalesced-write ring, reached through any vCPU's mapping; NULL without one. */
struct kvm_coalesced_mmio_ring *kvm_vcpu_coalesced_ring(struct kvm *kvm, struct kvm_vcpu_fd *v);
int kvm_vcpu_set_cpuid(struct kvm_vcpu_fd *v, const struct kvm_cpuid2 *cpuid);
int kvm_vcpu_get_regs(struct kvm_vcpu_fd *v, struct kvm_regs *r);
int kvm_vcpu_set_regs(struct kvm_vcpu_fd *v, const struct kvm_regs *r);
int kvm_vcpu_get_sregs(struct kvm_vcpu_fd *v, struct kvm_sregs *s);
int kvm_vcpu_set_sregs(struct kvm_vcpu_fd *v, const struct kvm_sregs *s);
int kvm_vcpu_set_fpu(struct kvm_vcpu_fd *v, const struct kvm_fpu *f);
int kvm_vcpu_get_fpu(struct kvm_vcpu_fd *v, struct kvm_fpu *f);
int kvm_vcpu_get_msr(struct kvm_vcpu_fd *v, uint32_t index, uint64_t *value);
/* Guest-virtual → guest-physical with v's paging (KVM_TRANSLATE); -EFAULT when unmapped. */
int kvm_vcpu_translate(struct kvm_vcpu_fd *v, uint64_t gva, uint64_t *gpa);
/*
 * KVM_SET_GUEST_DEBUG: KVM_GUESTDBG_* flags (single-step, #BP exits, #BP injection) and,
 * with KVM_GUESTDBG_USE_HW_BP, debugreg[0-3] and [7] (NULL: none).
 */
int kvm_vcpu_set_guest_debug(struct kvm_vcpu_fd *v, uint32_t control, const uint64_t *debugreg);
/* The KVM_GUESTDBG_* flags this KVM takes, where it says (KVM_CAP_SET_GUEST_DEBUG2); else 0. */
uint32_t kvm_guest_debug_caps(struct kvm *kvm);
int kvm_vcpu_set_mp_state(struct kvm_vcpu_fd *v, uint32_t state);
int kvm_vcpu_set_msrs(struct kvm_vcpu_fd *v, const struct kvm_msr_entry *e, unsigned n);
int kvm_vcpu_get_mp_state(struct kvm_vcpu_fd *v, uint32_t *state);
/* LINT0 = ExtINT, LINT1 = NMI, as firmware leaves the local APIC. */
int kvm_vcpu_set_lint(struct kvm_vcpu_fd *v);

#endif
