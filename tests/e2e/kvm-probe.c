// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm-probe: exit 0 when /dev/kvm runs guests with hardware virtualization, as khyve
 * needs to boot Linux in reasonable time; otherwise exit 1 and say why on stderr
 * (nothing with -q).
 *
 * A /dev/kvm node alone proves little: it may be inaccessible, KVM may refuse to make a
 * VM or vCPU, or it may be a KVM that has no hardware support and emulates a
 * non-paravirtual guest's kernel code one instruction at a time (such as kvm-pvm):
 * a real-mode HLT runs there, but a Linux boot takes hours. So the probe runs what a
 * booting kernel runs: 64-bit long mode with paging at CPL 0, a loop of 100,000
 * iterations, then HLT; it expects KVM_EXIT_HLT with the loop done, and, where KVM
 * publishes per-vCPU statistics, (almost) no emulated instructions.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE 0x200000ul
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define CODE 0x8000
#define LOOPS 100000u

static int quiet;

static int fail(const char *fmt, ...)
{
	va_list ap;

	if (!quiet) {
		fputs("kvm-probe: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	return 1;
}

/* Emulated instructions so far on this vCPU, or -1 when KVM has no binary statistics. */
static long long insn_emulation(int vcpu)
{
#ifdef KVM_GET_STATS_FD
	struct kvm_stats_header h;
	long long value = -1;
	size_t dsz;
	char *descs;
	int fd;

	fd = ioctl(vcpu, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -1;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.num_desc > 4096 ||
	    h.name_size > 4096) {
		close(fd);
		return -1;
	}
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (descs && pread(fd, descs, dsz * h.num_desc, h.desc_offset) == (ssize_t)(dsz * h.num_desc)) {
		for (uint32_t i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * dsz);
			uint64_t v;

			d->name[h.name_size - 1] = '\0';
			if (strcmp(d->name, "insn_emulation") == 0 &&
			    pread(fd, &v, sizeof(v), h.data_offset + d->offset) == (ssize_t)sizeof(v))
				value = (long long)v;
		}
	}
	free(descs);
	close(fd);
	return value;
#else
	(void)vcpu;
	return -1;
#endif
}

int main(int argc, char **argv)
{
	static const uint8_t code[] = {
		0xb9, LOOPS & 0xff, (LOOPS >> 8) & 0xff, (LOOPS >> 16) & 0xff, 0, /* mov ecx, LOOPS */
		0xff, 0xc9,                                                       /* 1: dec ecx */
		0x75, 0xfc,                                                       /* jnz 1b */
		0xf4,                                                             /* hlt */
	};
	struct kvm_segment cs = { .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1,
				  .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ds = { .limit = 0xffffffff, .selector = 16, .type = 3, .present = 1,
				  .s = 1, .db = 1, .g = 1 };
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	long long emulated;
	int kvm, vm, vcpu, runsz;
	uint64_t *pt;
	uint8_t *mem;

	if (argc > 1 && strcmp(argv[1], "-q") == 0)
		quiet = 1;
	/* A vCPU that never comes back must not hang the caller: SIGALRM ends us. */
	alarm(20);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm: %s", strerror(errno));
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return fail("unexpected KVM API version");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM: %s", strerror(errno));
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	/* Identity map of the first 2 MiB: PML4 -> PDPT -> one 2 MiB page. */
	pt = (uint64_t *)(mem + PML4);
	pt[0] = PDPT | 3;
	pt = (uint64_t *)(mem + PDPT);
	pt[0] = PD | 3;
	pt = (uint64_t *)(mem + PD);
	pt[0] = 0x83;
	memcpy(mem + CODE, code, sizeof(code));
	memset(&region, 0, sizeof(region));
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU: %s", strerror(errno));
	runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz <= 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap of the vCPU: %s", strerror(errno));
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs = cs;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
	sregs.cr3 = PML4;
	sregs.cr4 = 0x20;	  /* PAE */
	sregs.cr0 = 0x80050033; /* PG AM WP NE ET MP PE */
	sregs.efer = 0x500;	  /* LMA LME */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS (long mode): %s", strerror(errno));
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rsp = CODE;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS: %s", strerror(errno));
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN: %s", strerror(errno));
	if (run->exit_reason != KVM_EXIT_HLT)
		return fail("the guest exited with reason %u, expected HLT", run->exit_reason);
	if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0 || regs.rcx != 0)
		return fail("the guest's loop did not run to its end");
	emulated = insn_emulation(vcpu);
	if (emulated > LOOPS / 100)
		return fail("KVM emulated %lld instructions of a %u-iteration loop: no hardware "
			    "virtualization behind /dev/kvm", emulated, LOOPS);
	if (!quiet)
		printf("kvm-probe: /dev/kvm runs guests (emulated instructions: %lld)\n", emulated);
	return 0;
}
