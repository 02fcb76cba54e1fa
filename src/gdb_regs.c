// SPDX-License-Identifier: BSD-2-Clause
/*
 * The x86-64 register file as gdb sees it: the order of the 'g' packet, the
 * target description that names it, and the conversion from and to KVM's
 * register structures.
 */
#include "khyve/gdb_regs.h"

#include <string.h>

/* ---- layout --------------------------------------------------------------------------- */

uint8_t *gdb_reg_ptr(struct gdb_regs *r, unsigned n, unsigned *size)
{
	struct {
		unsigned first, count, size;
		uint8_t *base;
	} const ranges[] = {
	    {0, 16, 8, (uint8_t *)r->gpr},
	    {16, 1, 8, (uint8_t *)&r->rip},
	    {17, 1, 4, (uint8_t *)&r->eflags},
	    {18, 6, 4, (uint8_t *)r->seg},
	    {24, 8, 10, (uint8_t *)r->st},
	    {32, GDB_NFPUREGS, 4, (uint8_t *)r->fpu},
	    {40, 16, 16, (uint8_t *)r->xmm},
	    {56, 1, 4, (uint8_t *)&r->mxcsr},
	    {57, GDB_NSYSREGS, 8, (uint8_t *)r->sys},
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (n >= ranges[i].first && n < ranges[i].first + ranges[i].count) {
			*size = ranges[i].size;
			return ranges[i].base + (n - ranges[i].first) * ranges[i].size;
		}
	}
	return NULL;
}

void gdb_regs_from_kvm(struct gdb_regs *g, const struct kvm_regs *r, const struct kvm_sregs *s,
		       const struct kvm_fpu *f, uint64_t kernel_gs_base)
{
	memset(g, 0, sizeof(*g));
	const uint64_t gpr[16] = {r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
				  r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15};
	memcpy(g->gpr, gpr, sizeof(gpr));
	g->rip = r->rip;
	g->eflags = (uint32_t)r->rflags;
	const struct kvm_segment *seg[6] = {&s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs};
	for (int i = 0; i < 6; i++)
		g->seg[i] = seg[i]->selector;
	/* FXSAVE layout: ST(i) in stack order, 80 bits in 16 bytes each. */
	for (int i = 0; i < 8; i++)
		memcpy(g->st[i], f->fpr[i], 10);
	g->fpu[GDB_FCTRL] = f->fcw;
	g->fpu[GDB_FSTAT] = f->fsw;
	/* The abridged tag (1 = valid) → the full tag word (per register: 00 valid, 11 empty). */
	uint32_t tag = 0;
	for (int i = 0; i < 8; i++)
		if (!(f->ftwx & (1u << i)))
			tag |= 3u << (2 * i);
	g->fpu[GDB_FTAG] = tag;
	/* 64-bit FXSAVE: the last instruction and operand pointers are 64 bits wide. */
	g->fpu[GDB_FIOFF] = (uint32_t)f->last_ip;
	g->fpu[GDB_FISEG] = (uint32_t)(f->last_ip >> 32);
	g->fpu[GDB_FOOFF] = (uint32_t)f->last_dp;
	g->fpu[GDB_FOSEG] = (uint32_t)(f->last_dp >> 32);
	g->fpu[GDB_FOP] = f->last_opcode;
	memcpy(g->xmm, f->xmm, sizeof(g->xmm));
	g->mxcsr = f->mxcsr;
	g->sys[GDB_FS_BASE] = s->fs.base;
	g->sys[GDB_GS_BASE] = s->gs.base;
	g->sys[GDB_K_GS_BASE] = kernel_gs_base;
	g->sys[GDB_CR0] = s->cr0;
	g->sys[GDB_CR2] = s->cr2;
	g->sys[GDB_CR3] = s->cr3;
	g->sys[GDB_CR4] = s->cr4;
	g->sys[GDB_CR8] = s->cr8;
	g->sys[GDB_EFER] = s->efer;
}

void gdb_regs_to_kvm(const struct gdb_regs *g, struct kvm_regs *r, struct kvm_sregs *s,
		     struct kvm_fpu *f, uint64_t *kernel_gs_base)
{
	__u64 *gpr[16] = {&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp,
			  &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15};
	for (int i = 0; i < 16; i++)
		*gpr[i] = g->gpr[i];
	r->rip = g->rip;
	r->rflags = (r->rflags & ~0xffffffffull) | g->eflags;
	for (int i = 0; i < 8; i++)
		memcpy(f->fpr[i], g->st[i], 10);
	f->fcw = (uint16_t)g->fpu[GDB_FCTRL];
	f->fsw = (uint16_t)g->fpu[GDB_FSTAT];
	uint8_t ftwx = 0;
	for (int i = 0; i < 8; i++)
		if (((g->fpu[GDB_FTAG] >> (2 * i)) & 3) != 3)
			ftwx |= (uint8_t)(1u << i);
	f->ftwx = ftwx;
	f->last_ip = (uint64_t)g->fpu[GDB_FISEG] << 32 | g->fpu[GDB_FIOFF];
	f->last_dp = (uint64_t)g->fpu[GDB_FOSEG] << 32 | g->fpu[GDB_FOOFF];
	f->last_opcode = (uint16_t)g->fpu[GDB_FOP];
	memcpy(f->xmm, g->xmm, sizeof(f->xmm));
	f->mxcsr = g->mxcsr;
	s->fs.base = g->sys[GDB_FS_BASE];
	s->gs.base = g->sys[GDB_GS_BASE];
	*kernel_gs_base = g->sys[GDB_K_GS_BASE];
	s->cr0 = g->sys[GDB_CR0];
	s->cr2 = g->sys[GDB_CR2];
	s->cr3 = g->sys[GDB_CR3];
	s->cr4 = g->sys[GDB_CR4];
	s->cr8 = g->sys[GDB_CR8];
	s->efer = g->sys[GDB_EFER];
}

/* ---- target description ---------------------------------------------------------------- */

const char gdb_target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386:x86-64</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"x86_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>\n"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"x86_eflags\"/>"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.sse\">\n"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
    "</union>\n"
    "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.segments\">\n"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
    "</feature>\n"
    "<feature name=\"org.khyve.x86.system\">\n"
    "<reg name=\"k_gs_base\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr0\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr2\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr3\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr4\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr8\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"efer\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
    "</feature>\n"
    "</target>\n";
