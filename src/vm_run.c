// SPDX-License-Identifier: BSD-2-Clause
/* Running a VM: the event loop on the main thread, vCPU threads, stopping, teardown. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "khyve/cli.h"
#include "khyve/fw_cfg.h"
#include "khyve/gdb_server.h"
#include "khyve/lpc.h"
#include "khyve/vcpu.h"
#include "khyve/vm.h"

#define HALT_PROBE_NS 250000000L /* how often vCPUs report whether they halted for good */

static void on_stop(void *arg)
{
	struct vm *vm = arg;
	uint64_t v;
	if (read(vm->stop_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (atomic_load(&vm->stop_code) >= 0)
		evloop_stop(vm->loop);
}

static void on_signal(void *arg)
{
	struct vm *vm = arg;
	struct signalfd_siginfo si;
	while (read(vm->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM) {
			/* As bhyve: ask the guest to power off through the ACPI power button. */
			pm_power_button(&vm->pm);
		} else {
			vm->term_signal = (int)si.ssi_signo;
			vm_request_stop(vm, KHYVE_EXIT_ERROR);
		}
	}
}

/*
 * bhyve ends a VM with status 2 when every vCPU is halted with interrupts
 * disabled. The in-kernel local APIC handles HLT without leaving KVM, so
 * the vCPUs are asked now and then to report their state (one exit each).
 */
static void on_halt_probe(void *arg)
{
	struct vm *vm = arg;
	uint64_t ticks;
	if (read(vm->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (atomic_load(&vm->halted_vcpus) == vm->ncpus) {
		bool all_dead = true;
		for (unsigned i = 0; i < vm->ncpus; i++)
			all_dead = all_dead && vm->vcpu[i].dead_halt;
		if (all_dead) {
			vm_request_stop(vm, KHYVE_EXIT_HALT);
			return;
		}
	}
	atomic_store(&vm->halted_vcpus, 0);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		atomic_store(&vm->vcpu[i].probe_halt, true);
		vcpu_kick(&vm->vcpu[i]);
	}
}

static int setup_loop(struct vm *vm, char *err, size_t errlen)
{
	int rc;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any vCPU thread exists, so every thread inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vm->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->signal_fd < 0 || vm->stop_efd < 0 || vm->timer_fd < 0) {
		snprintf(err, errlen, "cannot create event descriptors: %s", strerror(errno));
		return -errno;
	}
	struct itimerspec its = {.it_interval = {0, HALT_PROBE_NS}, .it_value = {0, HALT_PROBE_NS}};
	timerfd_settime(vm->timer_fd, 0, &its, NULL);
	if (!evloop_add_fd(vm->loop, vm->stop_efd, on_stop, vm) ||
	    !evloop_add_fd(vm->loop, vm->signal_fd, on_signal, vm) ||
	    !evloop_add_fd(vm->loop, vm->timer_fd, on_halt_probe, vm))
		return -ENOMEM;
	if (vm->lpc && (rc = lpc_attach_loop(vm->lpc, vm->loop)) < 0) {
		snprintf(err, errlen, "cannot attach the COM ports: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

int vm_run(struct vm *vm, char *err, size_t errlen)
{
	int rc = setup_loop(vm, err, errlen);
	if (rc == 0)
		rc = vcpu_signals_init();
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot start the event loop: %s", strerror(-rc));
		return KHYVE_EXIT_ERROR;
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		rc = vcpu_start(&vm->vcpu[i]);
		if (rc < 0) {
			snprintf(err, errlen, "cannot start vCPU %u: %s", i, strerror(-rc));
			vm_request_stop(vm, KHYVE_EXIT_ERROR);
			break;
		}
	}
	if (atomic_load(&vm->stop_code) < 0 && (rc = gdb_server_start(vm)) < 0) {
		snprintf(err, errlen, "cannot start the debug server: %s", strerror(-rc));
		vm_request_stop(vm, KHYVE_EXIT_ERROR);
	}
	if (atomic_load(&vm->stop_code) < 0) {
		rc = evloop_run(vm->loop);
		if (rc < 0) {
			snprintf(err, errlen, "event loop failed: %s", strerror(-rc));
			vm_request_stop(vm, KHYVE_EXIT_ERROR);
		}
	}
	/* stop_code is set: every vCPU leaves its loop at the next return from KVM_RUN. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpu[i]);
	/* Parked vCPUs (and the debug server waiting for them) see the stop request too. */
	vcpu_wake_all(vm);
	gdb_server_stop(vm);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vm->vcpu[i].started)
			pthread_join(vm->vcpu[i].thread, NULL);
		vm->vcpu[i].started = false;
	}
	return atomic_load(&vm->stop_code);
}

/* fn for every slot and function of the PCI bus, empty ones as NULL. */
static void each_pci_dev(struct vm *vm, void (*fn)(struct pci_dev *))
{
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned f = 0; f < PCI_FUNCS; f++)
			fn(vm->pci.dev[s][f]);
}

static void dev_fini(struct pci_dev *d)
{
	if (d && d->emu && d->emu->fini)
		d->emu->fini(d);
}

void vm_destroy(struct vm *vm)
{
	if (vm == NULL)
		return;
	gdb_server_free(vm);
	if (vm->lpc) {
		lpc_release(vm->lpc);
		free(vm->lpc);
	}
	if (vm->fwcfg) {
		fw_cfg_fini(vm->fwcfg);
		free(vm->fwcfg);
	}
	if (vm->vcpu)
		for (unsigned i = 0; i < vm->ncpus; i++)
			if (vm->vcpu[i].kfd.fd >= 0)
				kvm_vcpu_destroy(&vm->kvm, &vm->vcpu[i].kfd);
	free(vm->vcpu);
	each_pci_dev(vm, dev_fini);
	evloop_free(vm->loop); /* after the devices: it ends the requests they paused */
	int fds[] = {vm->stop_efd, vm->signal_fd, vm->timer_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	each_pci_dev(vm, pci_dev_release_irqs); /* irqfds and MSI routes, while KVM is open */
	kvm_close(&vm->kvm);
	pci_root_fini(&vm->pci);
	iobus_fini(&vm->pio);
	iobus_fini(&vm->mmio);
	pm_fini(&vm->pm);
	rtc_fini(&vm->rtc);
	free(vm);
}
