// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/cli.h"
#include "khyve/gdb_server.h"

#define SIG_VCPU_KICK SIGUSR2
#define VCPU_STACK_SIZE (256u << 10)
#define RFLAGS_IF (1u << 9)
#define RFLAGS_RESERVED 0x2
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 0x1
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_ENABLE_WB 0x806 /* MTRRs on, default type write-back */
#define CR0_PE 0x1
#define CR0_ET 0x10
#define CR0_PG 0x80000000u
#define CR4_PAE 0x20
#define EFER_LME 0x100
#define EFER_LMA 0x400

/* ---- exit dispatch --------------------------------------------------------------------- */

typedef enum exit_result (*exit_fn)(const struct exit_env *env, struct kvm_run *run, int *code,
				    char *msg, size_t msglen);

static enum exit_result exit_io(const struct exit_env *env, struct kvm_run *run, int *code,
				char *msg, size_t msglen)
{
	unsigned size = run->io.size;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	/* A string instruction (rep ins/outs) comes as count back-to-back elements. */
	for (uint32_t i = 0; i < run->io.count; i++, p += size) {
		if (iobus_access(env->pio, run->io.port, p, size, out) < 0 && env->strictio) {
			snprintf(msg, msglen, "unhandled I/O %s port %#x (size %u) with -e",
				 out ? "write to" : "read from", run->io.port, size);
			*code = KHYVE_EXIT_ERROR;
			return EXIT_STOP;
		}
	}
	return EXIT_CONTINUE;
}

static enum exit_result exit_mmio(const struct exit_env *env, struct kvm_run *run, int *code,
				  char *msg, size_t msglen)
{
	unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
	if (iobus_access(env->mmio, run->mmio.phys_addr, run->mmio.data, len,
			 run->mmio.is_write) < 0 &&
	    env->strictio) {
		snprintf(msg, msglen, "unhandled memory %s at %#llx (size %u) with -e",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr, len);
		*code = KHYVE_EXIT_ERROR;
		return EXIT_STOP;
	}
	return EXIT_CONTINUE;
}

static enum exit_result exit_shutdown(const struct exit_env *env, struct kvm_run *run, int *code,
				      char *msg, size_t msglen)
{
	*code = KHYVE_EXIT_TRIPLEFAULT;
	snprintf(msg, msglen, "guest triple fault");
	return EXIT_STOP;
}

static enum exit_result exit_hlt(const struct exit_env *env, struct kvm_run *run, int *code,
				 char *msg, size_t msglen)
{
	*code = KHYVE_EXIT_HALT;
	return EXIT_STOP;
}

static enum exit_result exit_system_event(const struct exit_env *env, struct kvm_run *run,
					  int *code, char *msg, size_t msglen)
{
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		*code = KHYVE_EXIT_POWEROFF;
		break;
	case KVM_SYSTEM_EVENT_RESET:
		*code = KHYVE_EXIT_REBOOT;
		break;
	default:
		*code = KHYVE_EXIT_ERROR;
		snprintf(msg, msglen, "guest system event %u", run->system_event.type);
	}
	return EXIT_STOP;
}

static enum exit_result exit_fail_entry(const struct exit_env *env, struct kvm_run *run, int *code,
					char *msg, size_t msglen)
{
	*code = KHYVE_EXIT_ERROR;
	snprintf(msg, msglen, "VM entry failed (hardware reason %#llx)",
		 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	return EXIT_STOP;
}

static enum exit_result exit_internal(const struct exit_env *env, struct kvm_run *run, int *code,
				      char *msg, size_t msglen)
{
	*code = KHYVE_EXIT_ERROR;
	snprintf(msg, msglen, "KVM internal error (suberror %u)", run->internal.suberror);
	return EXIT_STOP;
}

static enum exit_result exit_ignore(const struct exit_env *env, struct kvm_run *run, int *code,
				    char *msg, size_t msglen)
{
	return EXIT_CONTINUE;
}

/*
 * Only reached with -w (x86.strictmsr=false): an MSR KVM does not know reads
 * as 0 and ignores writes. Otherwise KVM raises #GP itself, as bhyve does.
 */
static enum exit_result exit_msr_ignore(const struct exit_env *env, struct kvm_run *run,
					int *code, char *msg, size_t msglen)
{
	if (run->exit_reason == KVM_EXIT_X86_RDMSR)
		run->msr.data = 0;
	run->msr.error = 0;
	return EXIT_CONTINUE;
}

/* A breakpoint or single step: the debug server's business, an error without one. */
static enum exit_result exit_debug(const struct exit_env *env, struct kvm_run *run, int *code,
				   char *msg, size_t msglen)
{
	if (env->debug)
		return env->debug(env->debug_arg, env->cpu, run);
	*code = KHYVE_EXIT_ERROR;
	snprintf(msg, msglen, "KVM_EXIT_DEBUG (exception %u at %#llx) with no debugger",
		 run->debug.arch.exception, (unsigned long long)run->debug.arch.pc);
	return EXIT_STOP;
}

static const exit_fn exit_table[] = {
	[KVM_EXIT_IO] = exit_io,
	[KVM_EXIT_MMIO] = exit_mmio,
	[KVM_EXIT_SHUTDOWN] = exit_shutdown,
	[KVM_EXIT_HLT] = exit_hlt,
	[KVM_EXIT_SYSTEM_EVENT] = exit_system_event,
	[KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
	[KVM_EXIT_INTERNAL_ERROR] = exit_internal,
	[KVM_EXIT_IRQ_WINDOW_OPEN] = exit_ignore,
	[KVM_EXIT_INTR] = exit_ignore,
	[KVM_EXIT_X86_RDMSR] = exit_msr_ignore,
	[KVM_EXIT_X86_WRMSR] = exit_msr_ignore,
	[KVM_EXIT_DEBUG] = exit_debug,
};

enum exit_result vcpu_handle_exit(const struct exit_env *env, struct kvm_run *run, int *code,
				  char *msg, size_t msglen)
{
	if (msglen)
		msg[0] = '\0';
	uint32_t r = run->exit_reason;
	if (r < sizeof(exit_table) / sizeof(exit_table[0]) && exit_table[r])
		return exit_table[r](env, run, code, msg, msglen);
	*code = KHYVE_EXIT_ERROR;
	snprintf(msg, msglen, "unhandled VM exit reason %u", r);
	return EXIT_STOP;
}

unsigned vcpu_drain_coalesced(struct kvm_coalesced_mmio_ring *ring, struct iobus *pio,
			      struct iobus *mmio)
{
	/* KVM_COALESCED_MMIO_MAX, for the 4 KiB page the ring lives in */
	const uint32_t max = (4096 - sizeof(struct kvm_coalesced_mmio_ring)) /
			     sizeof(struct kvm_coalesced_mmio);
	unsigned n = 0;
	/* Pairs with KVM's store of `last` after filling the entry. */
	uint32_t last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
	uint32_t first = ring->first;
	/* A corrupt index (KVM never writes one) must not send us past the ring. */
	while (first != last && first < max && n < max) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[first];
		uint8_t data[8];
		unsigned len = e->len <= 8 ? e->len : 8;
		memcpy(data, e->data, len);
		iobus_access(e->pio ? pio : mmio, e->phys_addr, data, len, true);
		first = (first + 1) % max;
		/* Pairs with KVM's read of `first` before it reuses the slot. */
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

/* ---- CPUID ------------------------------------------------------------------------------ */

static unsigned order(unsigned n)
{
	unsigned o = 0;
	while ((1u << o) < n)
		o++;
	return o;
}

unsigned vcpu_apic_id(const struct vcpu_topology *t, unsigned index)
{
	unsigned tbits = order(t->threads), cbits = order(t->cores);
	unsigned thread = index % t->threads, core = (index / t->threads) % t->cores;
	unsigned socket = index / (t->threads * t->cores);
	return socket << (cbits + tbits) | core << tbits | thread;
}

struct kvm_cpuid2 *vcpu_build_cpuid(const struct kvm_cpuid2 *supported, unsigned id, unsigned n,
				    bool x2apic)
{
	const struct vcpu_topology one_socket = {.sockets = 1, .cores = n, .threads = 1};
	return vcpu_build_cpuid_topo(supported, id, &one_socket, x2apic);
}

struct kvm_cpuid2 *vcpu_build_cpuid_topo(const struct kvm_cpuid2 *supported, unsigned id,
					 const struct vcpu_topology *t, bool x2apic)
{
	size_t sz = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	if (c == NULL)
		return NULL;
	memcpy(c, supported, sz);
	/* Logical processors per package, and the APIC-ID bits that number them. */
	unsigned n = t->cores * t->threads;
	unsigned tbits = order(t->threads), bits = order(t->cores) + tbits;
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 0x1:
			/* Initial APIC ID and the number of logical processors in the package. */
			/* EBX[23:16] is 8 bits wide: a package of more than 255 saturates. */
			e->ebx = (e->ebx & 0xffff) | ((id & 0xff) << 24) |
				 ((1u << bits) > 0xff ? 0xffu : (1u << bits)) << 16;
			if (n > 1)
				e->edx |= 1u << 28; /* HTT: the count above is valid */
			else
				e->edx &= ~(1u << 28);
			e->ecx |= 1u << 31; /* running under a hypervisor: use the KVM leaves */
			if (!x2apic)
				e->ecx &= ~(1u << 21); /* -a / x86.x2apic=false: xAPIC only */
			break;
		case 0x4:
			if (e->eax & 0x1f) /* a cache level is described */
			{
				unsigned cores = 1u << (bits - tbits);
				e->eax = (e->eax & 0x3ffffff) | ((cores - 1 > 63 ? 63 : cores - 1) << 26);
			}
			break;
		case 0xb:
		case 0x1f:
			/* Level 0: SMT threads of a core; level 1: logical CPUs of the package. */
			e->edx = id;
			if (e->index == 0) {
				e->eax = tbits;
				e->ebx = t->threads;
				e->ecx = 0 | (1u << 8);
			} else if (e->index == 1) {
				e->eax = bits;
				e->ebx = n;
				e->ecx = 1 | (2u << 8);
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x80000001:
			e->ecx &= ~(1u << 22); /* no TOPOEXT: topology comes from 0x80000008 */
			if (n > 1)
				e->ecx |= 1u << 1; /* CmpLegacy: several cores per package */
			else
				e->ecx &= ~(1u << 1);
			break;
		case 0x80000008:
			e->ecx = (e->ecx & ~0xf0ffu) | (n - 1) | (bits << 12);
			break;
		}
	}
	return c;
}

/* ---- setup ----------------------------------------------------------------------------- */

int vcpu_init(struct vm *vm, struct vcpu *v, unsigned id, char *err, size_t errlen)
{
	v->vm = vm;
	v->id = id;
	v->kfd.fd = -1;
	/* KVM's vCPU ID is the initial APIC ID of its in-kernel local APIC. */
	int rc = kvm_vcpu_create(&vm->kvm, vcpu_apic_id(&vm->topo, id), &v->kfd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create vCPU %u: %s", id, strerror(-rc));
		return rc;
	}
	struct kvm_cpuid2 *cpuid = vcpu_build_cpuid_topo(
		vm->kvm.supported_cpuid, vcpu_apic_id(&vm->topo, id), &vm->topo, vm->x2apic);
	if (cpuid == NULL)
		return -ENOMEM;
	rc = kvm_vcpu_set_cpuid(&v->kfd, cpuid);
	free(cpuid);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set CPUID of vCPU %u: %s", id, strerror(-rc));
		return rc;
	}
	const struct kvm_msr_entry msrs[] = {
		{.index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING},
		{.index = MSR_MTRR_DEF_TYPE, .data = MTRR_ENABLE_WB},
	};
	rc = kvm_vcpu_set_msrs(&v->kfd, msrs, sizeof(msrs) / sizeof(msrs[0]));
	if (rc < 0) {
		snprintf(err, errlen, "cannot set MSRs of vCPU %u: %s", id, strerror(-rc));
		return rc;
	}
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	rc = kvm_vcpu_set_fpu(&v->kfd, &fpu);
	if (rc == 0)
		rc = kvm_vcpu_set_lint(&v->kfd);
	if (rc < 0)
		snprintf(err, errlen, "cannot set up vCPU %u: %s", id, strerror(-rc));
	return rc;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code64 ? 0 : 1,
		.s = 1,
		.l = code64 ? 1 : 0,
		.g = 1,
	};
}

int vcpu_setup_linux_entry(struct vcpu *v, const struct linux_entry *e)
{
	struct kvm_sregs s;
	int rc = kvm_vcpu_get_sregs(&v->kfd, &s);
	if (rc < 0)
		return rc;
	seg(&s.cs, BOOT_SEL_CODE, 0xb, true);
	seg(&s.ds, BOOT_SEL_DATA, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.tr = (struct kvm_segment){.selector = BOOT_SEL_TSS, .limit = 0xfffff, .type = 0xb,
				    .present = 1};
	s.gdt.base = e->gdt_gpa;
	s.gdt.limit = e->gdt_limit;
	s.idt.base = BOOT_IDT_GPA;
	s.idt.limit = 0;
	s.cr0 = CR0_PE | CR0_ET | CR0_PG;
	s.cr3 = e->cr3;
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	rc = kvm_vcpu_set_sregs(&v->kfd, &s);
	if (rc < 0)
		return rc;
	struct kvm_regs r = {
		.rip = e->rip,
		.rsi = e->rsi,
		.rsp = e->rsp,
		.rbp = e->rsp,
		.rflags = RFLAGS_RESERVED,
	};
	return kvm_vcpu_set_regs(&v->kfd, &r);
}

int vcpu_parse_cpuset(const char *list, cpu_set_t *set)
{
	CPU_ZERO(set);
	const char *p = list;
	if (*p == '\0')
		return -EINVAL;
	while (*p) {
		char *end;
		errno = 0;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (errno || end == p || lo >= CPU_SETSIZE)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			hi = strtoul(++p, &end, 10);
			if (errno || end == p || hi >= CPU_SETSIZE || hi < lo)
				return -EINVAL;
			p = end;
		}
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	return 0;
}

/* ---- the run loop ------------------------------------------------------------------------ */

static __thread struct kvm_run *tls_run;

static void kick_handler(int sig)
{
	(void)sig;
	/* Make the next (or current) KVM_RUN return at once; pairs with the loop's reset. */
	if (tls_run)
		__atomic_store_n(&tls_run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

int vcpu_signals_init(void)
{
	struct sigaction sa = {.sa_handler = kick_handler};
	sigemptyset(&sa.sa_mask);
	return sigaction(SIG_VCPU_KICK, &sa, NULL) < 0 ? -errno : 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (v->started)
		pthread_kill(v->thread, SIG_VCPU_KICK);
}

void vcpu_hold(struct vcpu *v)
{
	atomic_store(&v->hold, true);
	vcpu_kick(v);
}

void vcpu_release(struct vcpu *v)
{
	pthread_mutex_lock(&v->vm->pause_lock);
	atomic_store(&v->hold, false);
	pthread_cond_broadcast(&v->vm->pause_cond);
	pthread_mutex_unlock(&v->vm->pause_lock);
}

bool vcpu_wait_parked(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	for (;;) {
		if (atomic_load(&vm->stop_code) >= 0)
			break;
		bool all = true;
		for (unsigned i = 0; i < vm->ncpus && all; i++) {
			struct vcpu *v = &vm->vcpu[i];
			all = !v->started || !atomic_load(&v->hold) || v->parked || v->gone;
		}
		if (all) {
			pthread_mutex_unlock(&vm->pause_lock);
			return true;
		}
		pthread_cond_wait(&vm->parked_cond, &vm->pause_lock);
	}
	pthread_mutex_unlock(&vm->pause_lock);
	return false;
}

void vcpu_wake_all(struct vm *vm)
{
	/* Under the lock: a vCPU checks stop_code and waits without a gap for this to fall in. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_cond_broadcast(&vm->parked_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

static void vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;
	pthread_mutex_lock(&vm->pause_lock);
	v->parked = true;
	pthread_cond_broadcast(&vm->parked_cond);
	while (atomic_load(&v->hold) && atomic_load(&vm->stop_code) < 0)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	v->parked = false;
	pthread_mutex_unlock(&vm->pause_lock);
}

static void vcpu_gone(struct vcpu *v)
{
	pthread_mutex_lock(&v->vm->pause_lock);
	v->gone = true;
	pthread_cond_broadcast(&v->vm->parked_cond);
	pthread_mutex_unlock(&v->vm->pause_lock);
}

/* Halted with interrupts off (or never started): nothing but another CPU can wake it. */
static void report_halt_state(struct vcpu *v)
{
	uint32_t st;
	struct kvm_regs r;
	bool dead = false;
	if (kvm_vcpu_get_mp_state(&v->kfd, &st) == 0) {
		if (st == KVM_MP_STATE_UNINITIALIZED || st == KVM_MP_STATE_INIT_RECEIVED)
			dead = true;
		else if (st == KVM_MP_STATE_HALTED && kvm_vcpu_get_regs(&v->kfd, &r) == 0)
			dead = !(r.rflags & RFLAGS_IF);
	}
	v->dead_halt = dead;
	atomic_fetch_add(&v->vm->halted_vcpus, 1);
}

/*
 * What the vCPU was doing when it stopped the VM: on stderr, one line. (On
 * AMD hosts KVM has already reset a vCPU that shut down: its reset state.)
 */
static void report_registers(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (kvm_vcpu_get_regs(&v->kfd, &r) < 0 || kvm_vcpu_get_sregs(&v->kfd, &s) < 0)
		return;
	fprintf(stderr,
		"khyve: vCPU %u: rip %#llx rsp %#llx rflags %#llx cs %#x cr0 %#llx cr2 %#llx "
		"cr3 %#llx cr4 %#llx efer %#llx\n",
		v->id, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		(unsigned long long)r.rflags, s.cs.selector, (unsigned long long)s.cr0,
		(unsigned long long)s.cr2, (unsigned long long)s.cr3, (unsigned long long)s.cr4,
		(unsigned long long)s.efer);
}

static void vcpu_loop(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct exit_env env = {.pio = &vm->pio,
			       .mmio = &vm->mmio,
			       .strictio = vm->strictio,
			       .cpu = v->id,
			       .debug = vm->gdb ? gdb_server_debug_exit : NULL,
			       .debug_arg = vm->gdb};
	char msg[160];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	tls_run = v->kfd.run;
	char name[16];
	snprintf(name, sizeof(name), "vcpu %u", v->id);
	pthread_setname_np(pthread_self(), name); /* how ps/top and pinning checks find it */
	if (v->pinned) {
		int rc = pthread_setaffinity_np(pthread_self(), sizeof(v->cpuset), &v->cpuset);
		if (rc) {
			fprintf(stderr, "khyve: vCPU %u: cannot pin to its host CPUs: %s\n", v->id,
				strerror(rc));
			vm_request_stop(vm, KHYVE_EXIT_ERROR);
			return;
		}
	}

	/* The last KVM_RUN ended without an exit to finish (-EINTR, -EAGAIN): safe to park. */
	bool settled = true;
	while (atomic_load(&vm->stop_code) < 0) {
		if (atomic_load(&v->hold)) {
			if (settled) {
				vcpu_park(v);
				continue;
			}
			/*
			 * KVM completes an I/O or MMIO exit at the next KVM_RUN; with
			 * immediate_exit it does so and returns before any guest
			 * instruction, so the debugger sees consistent registers.
			 */
			__atomic_store_n(&v->kfd.run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		}
		if (atomic_exchange(&v->probe_halt, false))
			report_halt_state(v);
		int rc = kvm_vcpu_run(&v->kfd);
		if (vm->coalesced) {
			pthread_mutex_lock(&vm->coalesced_lock);
			vcpu_drain_coalesced(vm->coalesced, &vm->pio, &vm->mmio);
			pthread_mutex_unlock(&vm->coalesced_lock);
		}
		if (rc == -EINTR || rc == -EAGAIN) {
			__atomic_store_n(&v->kfd.run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			settled = true;
			continue;
		}
		settled = false;
		if (rc < 0) {
			fprintf(stderr, "khyve: vCPU %u: KVM_RUN failed: %s\n", v->id, strerror(-rc));
			vm_request_stop(vm, KHYVE_EXIT_ERROR);
			break;
		}
		int code;
		if (vcpu_handle_exit(&env, v->kfd.run, &code, msg, sizeof(msg)) == EXIT_STOP) {
			if (msg[0])
				fprintf(stderr, "khyve: vCPU %u: %s\n", v->id, msg);
			if (code == KHYVE_EXIT_TRIPLEFAULT)
				report_registers(v);
			vm_request_stop(vm, code);
			break;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	vcpu_loop(v);
	vcpu_gone(v);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	/*
	 * A small stack: the run loop needs little, and a stack below the huge
	 * page size keeps transparent huge pages from inflating the VMM's RSS.
	 */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
	int rc = pthread_create(&v->thread, &attr, vcpu_thread, v);
	pthread_attr_destroy(&attr);
	if (rc)
		return -rc;
	v->started = true;
	return 0;
}
