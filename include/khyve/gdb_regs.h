/* SPDX-License-Identifier: BSD-2-Clause */
/* The x86-64 register file in gdb's order, its target description, and KVM's registers. */
#ifndef KHYVE_GDB_REGS_H
#define KHYVE_GDB_REGS_H

#include <stdint.h>
#include <linux/kvm.h>

/*
 * The register file, as target.xml describes it: GDB's amd64 core (general
 * registers, rip, eflags, segment selectors, x87), SSE, fs_base/gs_base,
 * and system registers. Little-endian on the wire, as on the host.
 */
enum gdb_sysreg {
	GDB_FS_BASE,
	GDB_GS_BASE,
	GDB_K_GS_BASE,
	GDB_CR0,
	GDB_CR2,
	GDB_CR3,
	GDB_CR4,
	GDB_CR8,
	GDB_EFER,
	GDB_NSYSREGS
};
enum gdb_fpureg {
	GDB_FCTRL,
	GDB_FSTAT,
	GDB_FTAG,
	GDB_FISEG,
	GDB_FIOFF,
	GDB_FOSEG,
	GDB_FOOFF,
	GDB_FOP,
	GDB_NFPUREGS
};
struct gdb_regs {
	uint64_t gpr[16]; /* rax rbx rcx rdx rsi rdi rbp rsp r8-r15 */
	uint64_t rip;
	uint32_t eflags;
	uint32_t seg[6]; /* cs ss ds es fs gs */
	uint8_t st[8][10];
	uint32_t fpu[GDB_NFPUREGS];
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint64_t sys[GDB_NSYSREGS];
};
#define GDB_NREGS 66
#define GDB_REGS_BYTES 608 /* one 'g' reply, before hex encoding */

/* Register regno of r: its bytes and size; NULL when regno is not one. */
uint8_t *gdb_reg_ptr(struct gdb_regs *r, unsigned regno, unsigned *size);
/* KVM state ↔ gdb registers. to_kvm changes only what gdb shows; selectors are read-only. */
void gdb_regs_from_kvm(struct gdb_regs *g, const struct kvm_regs *r, const struct kvm_sregs *s,
		       const struct kvm_fpu *f, uint64_t kernel_gs_base);
void gdb_regs_to_kvm(const struct gdb_regs *g, struct kvm_regs *r, struct kvm_sregs *s,
		     struct kvm_fpu *f, uint64_t *kernel_gs_base);

/* The target description served as qXfer:features:read:target.xml. */
extern const char gdb_target_xml[];

#endif
