/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * struct vm owns everything of one virtual machine: KVM handles, guest
 * memory, the I/O buses, the PCI root, the platform devices, the event loop
 * and the vCPU threads.
 */
#ifndef KHYVE_VM_H
#define KHYVE_VM_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khyve/config.h"
#include "khyve/evloop.h"
#include "khyve/gmem.h"
#include "khyve/iobus.h"
#include "khyve/kvm.h"
#include "khyve/pci.h"
#include "khyve/pm.h"
#include "khyve/rtc.h"

/* Guest-physical map (see docs/architecture.md). */
#define VM_LOWMEM_LIMIT 0xc0000000ull /* RAM below 4 GiB ends here at most */
#define VM_PCI_MEM32_BASE 0xc0000000ull
#define VM_PCI_MEM32_SIZE 0x20000000ull
#define VM_ECAM_BASE 0xe0000000ull
#define VM_ECAM_SIZE 0x10000000ull /* room for 256 buses */
/*
 * Only bus 0 exists. MCFG and _CRS say so: Linux sets its last bus from
 * MCFG and then probes every bus up to it, one config read per slot.
 */
#define VM_PCI_LAST_BUS 0
#define VM_ECAM_USED ((VM_PCI_LAST_BUS + 1ull) << 20)
#define VM_IOAPIC_GPA 0xfec00000u
#define VM_LAPIC_GPA 0xfee00000u
#define VM_ACPI_GPA 0xe0000ull
#define VM_ACPI_SIZE 0x10000ull /* 0xF0000 up holds the SMBIOS tables */
#define VM_HIGHMEM_BASE (4ull << 30)
#define VM_PCI_IO_BASE 0xd000
#define VM_PCI_IO_SIZE 0x3000
/* The 64-bit PCI window starts where RAM above 4 GiB ends: vm_pci_mem64_base(). */
#define VM_PCI_MEM64_SIZE (1ull << 36)
#define VM_MAX_VCPUS 256

struct vm;
struct lpc;
struct fw_cfg;

/* -c sockets=,cores=,threads= (one socket of ncpus cores by default). */
struct vcpu_topology {
	unsigned sockets, cores, threads;
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	struct kvm_vcpu_fd kfd;
	pthread_t thread;
	bool started;
	bool pinned; /* -p: run only on the host CPUs in cpuset */
	cpu_set_t cpuset;
	atomic_bool probe_halt; /* asked to report whether it is halted for good */
	bool dead_halt;         /* halted with interrupts off: only a reset could wake it */
	/*
	 * Pausing (the debugger): a held vCPU leaves KVM_RUN and parks on
	 * vm->pause_cond until released. parked and gone are under pause_lock.
	 */
	atomic_bool hold;
	bool parked; /* waiting on pause_cond, outside KVM_RUN with no exit pending */
	bool gone;   /* its thread has ended */
};

struct gdb_server;

/* virtio.poll_us: by default, and at most. */
#define VM_POLL_US_DEFAULT 0
#define VM_POLL_US_MAX 100000

struct vm {
	const struct config *cfg;
	struct kvm kvm;
	struct gmem gmem;
	uint8_t *ram;
	uint64_t ram_size, lowmem, highmem;
	struct iobus pio, mmio;
	struct pci_root pci;
	struct pm pm;
	struct rtc rtc;
	struct lpc *lpc;
	struct fw_cfg *fwcfg; /* NULL unless -f items or lpc.fwcfg=qemu */
	struct evloop *loop;
	/* virtio.poll_us: the event loop's longest polling window; 0: devices wait for kicks. */
	uint64_t poll_us;
	unsigned ncpus;
	struct vcpu_topology topo;
	struct vcpu *vcpu;
	bool strictio;
	bool x2apic; /* CPUID offers x2APIC mode (-x); bhyve's default is xAPIC (-a) */
	/* Stopping: the first request wins; the loop thread is woken through stop_efd. */
	atomic_int stop_code;
	int stop_efd;
	int signal_fd, timer_fd;
	int term_signal; /* a fatal signal that ended the VM, to re-raise after cleanup */
	atomic_uint halted_vcpus;
	struct kvm_coalesced_mmio_ring *coalesced; /* NULL when KVM cannot coalesce */
	pthread_mutex_t coalesced_lock;
	/* Parked vCPUs wait on pause_cond; whoever waits for them to park, on parked_cond. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond, parked_cond;
	struct gdb_server *gdb; /* -G: the debug server, or NULL */
};

/* Build the VM described by cfg. On error returns -errno and a message in err. */
int vm_create(struct vm **out, const struct config *cfg, char *err, size_t errlen);
/* Run until the guest or a signal ends it; returns bhyve's exit status. */
int vm_run(struct vm *vm, char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/* Thread-safe; the first code wins. */
void vm_request_stop(struct vm *vm, int exit_code);
void vm_set_irq(struct vm *vm, unsigned gsi, int level);

/* Base of the 64-bit PCI window, for BAR allocation and ACPI _CRS alike. */
static inline uint64_t vm_pci_mem64_base(const struct vm *vm)
{
	return VM_HIGHMEM_BASE + vm->highmem;
}

#endif
