// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "fakemem.h"
#include "khyve/gdb_stub.h"

/* Fake guest: two vCPUs, 64 KiB at 0 and 64 KiB at 1 MiB. */
#define LO_SIZE 0x10000
#define HI_GPA 0x100000
#define HI_SIZE 0x10000
#define KBASE 0xffff800000000000ull /* kernel-style addresses: KBASE + gpa */
#define HOLE 0x8000		    /* the page at gva 0x8000 is not mapped */
#define SWAPPED 0x3000		    /* gva page 0x3000 maps to the first page of HI_GPA */

static struct fakemem fm;
static struct gdb_stub st;
static struct gdb_regs regs[2];
static unsigned set_calls;
static int fail_regs;

static int fake_get(void *t, unsigned cpu, struct gdb_regs *r)
{
	if (fail_regs)
		return -EIO;
	*r = regs[cpu];
	return 0;
}

static int fake_set(void *t, unsigned cpu, const struct gdb_regs *r)
{
	set_calls++;
	regs[cpu] = *r;
	return 0;
}

static int fake_translate(void *t, unsigned cpu, uint64_t gva, uint64_t *gpa)
{
	if (gva >= KBASE)
		gva -= KBASE;
	if ((gva & ~0xfffull) == HOLE)
		return -EFAULT;
	if ((gva & ~0xfffull) == SWAPPED)
		gva = HI_GPA + (gva & 0xfff);
	*gpa = gva;
	return 0;
}

static const struct gdb_target_ops ops = {fake_get, fake_set, fake_translate};

static uint8_t *mem(uint64_t gpa)
{
	return gmem_ptr(&fm.gmem, gpa, 1);
}

static void setup(void)
{
	ck_assert_int_eq(fakemem_init(&fm, LO_SIZE, HI_GPA, HI_SIZE), 0);
	for (unsigned i = 0; i < LO_SIZE; i++)
		*mem(i) = (uint8_t)i;
	for (unsigned i = 0; i < HI_SIZE; i++)
		*mem(HI_GPA + i) = (uint8_t)(0xa0 + i);
	memset(regs, 0, sizeof(regs));
	for (int i = 0; i < 16; i++)
		regs[0].gpr[i] = 0x1111111111111111ull * (unsigned)(i % 15 + 1);
	regs[0].rip = 0xffffffff81000000ull;
	regs[1].rip = 0x1234;
	set_calls = 0;
	fail_regs = 0;
	ck_assert_int_eq(gdb_stub_init(&st, 2, &fm.gmem, &ops, NULL), 0);
}

static void teardown(void)
{
	gdb_stub_fini(&st);
	fakemem_fini(&fm);
}

/* Feed a whole string; the last event. */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t n)
{
	enum gdb_rx_event ev = GDB_RX_NONE;
	for (size_t i = 0; i < n; i++)
		ev = gdb_rx_byte(rx, (uint8_t)s[i]);
	return ev;
}

/* The payload of the stub's framed reply, checked by parsing it back. */
static const char *reply(void)
{
	static struct gdb_rx rx;
	gdb_rx_init(&rx);
	ck_assert_uint_gt(st.reply_len, 3);
	ck_assert_int_eq(feed(&rx, st.reply, st.reply_len), GDB_RX_PACKET);
	return (const char *)rx.buf;
}

static enum gdb_result last;

static const char *cmd(const char *pkt)
{
	last = gdb_stub_handle(&st, (const uint8_t *)pkt, strlen(pkt));
	ck_assert_int_eq(last, GDB_REPLY);
	return reply();
}

/* ---- framing ---- */

START_TEST(packet_and_checksum)
{
	struct gdb_rx rx;
	gdb_rx_init(&rx);
	ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);
	ck_assert_str_eq((char *)rx.buf, "g");
	ck_assert_uint_eq(rx.len, 1);
	/* the checksum digits in either case */
	ck_assert_int_eq(feed(&rx, "$qC#B4", 6), GDB_RX_PACKET);
	ck_assert_str_eq((char *)rx.buf, "qC");
	/* a wrong checksum, then a good packet still parses */
	ck_assert_int_eq(feed(&rx, "$g#68", 5), GDB_RX_BAD);
	ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);
	/* a checksum that is not hex */
	ck_assert_int_eq(feed(&rx, "$g#x7", 4), GDB_RX_BAD);
	ck_assert_int_eq(feed(&rx, "$g#6z", 5), GDB_RX_BAD);
	/* bytes between packets: acks, ^C, noise */
	ck_assert_int_eq(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
	ck_assert_int_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
	ck_assert_int_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
	ck_assert_int_eq(gdb_rx_byte(&rx, 'x'), GDB_RX_NONE);
	/* an empty packet */
	ck_assert_int_eq(feed(&rx, "$#00", 4), GDB_RX_PACKET);
	ck_assert_uint_eq(rx.len, 0);
	/* a '$' inside a packet starts over */
	ck_assert_int_eq(feed(&rx, "$qq$g#67", 8), GDB_RX_PACKET);
	ck_assert_str_eq((char *)rx.buf, "g");
}
END_TEST

START_TEST(escaped_bytes)
{
	struct gdb_rx rx;
	gdb_rx_init(&rx);
	/* "}]" is '}' (0x7d ^ 0x20 = 0x5d), "}\x03" is '#', "}\x04" is '$' */
	const char pkt[] = "$a}]}\x03}\x04#";
	unsigned sum = 0;
	for (size_t i = 1; i < sizeof(pkt) - 2; i++)
		sum += (uint8_t)pkt[i];
	char full[32];
	int n = snprintf(full, sizeof(full), "%s%02x", pkt, sum & 0xff);
	ck_assert_int_eq(feed(&rx, full, (size_t)n), GDB_RX_PACKET);
	ck_assert_uint_eq(rx.len, 4);
	ck_assert_mem_eq(rx.buf, "a}#$", 4);
	/* the checksum counts the escape bytes: the unescaped sum does not match */
	n = snprintf(full, sizeof(full), "%s%02x", pkt, ('a' + '}' + '#' + '$') & 0xff);
	ck_assert_int_eq(feed(&rx, full, (size_t)n), GDB_RX_BAD);
	/* a packet ending in a lone escape is malformed */
	ck_assert_int_eq(feed(&rx, "$}#7d", 5), GDB_RX_BAD);
}
END_TEST

START_TEST(oversized_packet)
{
	struct gdb_rx rx;
	gdb_rx_init(&rx);
	unsigned sum = 0;
	gdb_rx_byte(&rx, '$');
	for (unsigned i = 0; i < GDB_PACKET_MAX + 100; i++) {
		ck_assert_int_eq(gdb_rx_byte(&rx, 'a'), GDB_RX_NONE);
		sum += 'a';
	}
	ck_assert_uint_le(rx.len, GDB_PACKET_MAX);
	char tail[4];
	snprintf(tail, sizeof(tail), "#%02x", sum & 0xff);
	/* a good checksum, but too long: rejected, never truncated */
	ck_assert_int_eq(feed(&rx, tail, 3), GDB_RX_BAD);
	ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);
	/* exactly the maximum is fine */
	gdb_rx_byte(&rx, '$');
	sum = 0;
	for (unsigned i = 0; i < GDB_PACKET_MAX; i++) {
		gdb_rx_byte(&rx, 'b');
		sum += 'b';
	}
	snprintf(tail, sizeof(tail), "#%02x", sum & 0xff);
	ck_assert_int_eq(feed(&rx, tail, 3), GDB_RX_PACKET);
	ck_assert_uint_eq(rx.len, GDB_PACKET_MAX);
}
END_TEST

START_TEST(frame_escapes_and_round_trips)
{
	char out[64];
	const uint8_t p[] = {'a', '#', '$', '}', '*', 'z'};
	size_t n = gdb_frame(p, sizeof(p), out, sizeof(out));
	ck_assert_uint_eq(n, 1 + 2 + 8 + 3);
	ck_assert_mem_eq(out, "$a}\x03}\x04}]}\x0az#", 12);
	struct gdb_rx rx;
	gdb_rx_init(&rx);
	ck_assert_int_eq(feed(&rx, out, n), GDB_RX_PACKET);
	ck_assert_mem_eq(rx.buf, p, sizeof(p));
	/* "OK" has the checksum gdb expects */
	n = gdb_frame((const uint8_t *)"OK", 2, out, sizeof(out));
	ck_assert_mem_eq(out, "$OK#9a", 6);
	/* too small a buffer: nothing */
	ck_assert_uint_eq(gdb_frame(p, sizeof(p), out, 8), 0);
}
END_TEST

START_TEST(fuzz_is_bounded)
{
	/* Random bytes, with framing characters often: no overflow (ASan), every reply framed. */
	srand(1234);
	for (int iter = 0; iter < 200000; iter++) {
		static const char alphabet[] = "$#}*+-\x03gGmMpPqQzZHTcsvD?0123456789abcdef,:;=";
		uint8_t c = rand() % 4 ? (uint8_t)alphabet[rand() % (sizeof(alphabet) - 1)]
				       : (uint8_t)rand();
		if (gdb_rx_byte(&st.rx, c) == GDB_RX_PACKET) {
			enum gdb_result r = gdb_stub_handle(&st, st.rx.buf, st.rx.len);
			if (r == GDB_REPLY)
				reply();
		}
	}
	/* and every packet body the parser can produce, at the command level */
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t pkt[64];
		size_t n = (size_t)(rand() % (int)sizeof(pkt));
		for (size_t i = 0; i < n; i++)
			pkt[i] =
			    (uint8_t)(rand() % 2 ? "0123456789abcdef,:;=-"[rand() % 21] : rand());
		if (n)
			pkt[0] = (uint8_t) "gGmMpPqZzHTcsCSvDk?X"[rand() % 20];
		if (gdb_stub_handle(&st, pkt, n) == GDB_REPLY)
			reply();
	}
	gdb_stub_clear_breakpoints(&st);
}
END_TEST

/* ---- registers ---- */

START_TEST(register_round_trip)
{
	struct kvm_regs r, r2;
	struct kvm_sregs s, s2;
	struct kvm_fpu f, f2;
	uint8_t *p = (uint8_t *)&r;
	for (size_t i = 0; i < sizeof(r); i++)
		p[i] = (uint8_t)(i * 7 + 1);
	p = (uint8_t *)&s;
	for (size_t i = 0; i < sizeof(s); i++)
		p[i] = (uint8_t)(i * 5 + 3);
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 10; j++)
			f.fpr[i][j] = (uint8_t)(i * 16 + j);
	f.fcw = 0x37f;
	f.fsw = 0x1234;
	f.ftwx = 0x81; /* ST(0) and ST(7) physical registers valid */
	f.last_opcode = 0x7ff;
	f.last_ip = 0x1122334455667788ull;
	f.last_dp = 0x99aabbccddeeff00ull;
	for (int i = 0; i < 16; i++)
		memset(f.xmm[i], i + 1, 16);
	f.mxcsr = 0x1f80;
	r.rflags = 0x246;
	struct gdb_regs g;
	gdb_regs_from_kvm(&g, &r, &s, &f, 0xfeedull);
	ck_assert_uint_eq(g.gpr[0], r.rax);
	ck_assert_uint_eq(g.gpr[1], r.rbx);
	ck_assert_uint_eq(g.gpr[7], r.rsp);
	ck_assert_uint_eq(g.gpr[15], r.r15);
	ck_assert_uint_eq(g.rip, r.rip);
	ck_assert_uint_eq(g.eflags, 0x246);
	ck_assert_uint_eq(g.seg[0], s.cs.selector);
	ck_assert_uint_eq(g.seg[5], s.gs.selector);
	ck_assert_mem_eq(g.st[3], f.fpr[3], 10);
	ck_assert_uint_eq(g.fpu[GDB_FTAG], 0x3ffc); /* 00 for 0 and 7, 11 for the empty ones */
	ck_assert_uint_eq(g.fpu[GDB_FIOFF], 0x55667788u);
	ck_assert_uint_eq(g.fpu[GDB_FISEG], 0x11223344u);
	ck_assert_uint_eq(g.fpu[GDB_FOOFF], 0xddeeff00u);
	ck_assert_uint_eq(g.fpu[GDB_FOSEG], 0x99aabbccu);
	ck_assert_uint_eq(g.fpu[GDB_FOP], 0x7ff);
	ck_assert_uint_eq(g.xmm[15][0], 16);
	ck_assert_uint_eq(g.mxcsr, 0x1f80);
	ck_assert_uint_eq(g.sys[GDB_FS_BASE], s.fs.base);
	ck_assert_uint_eq(g.sys[GDB_GS_BASE], s.gs.base);
	ck_assert_uint_eq(g.sys[GDB_K_GS_BASE], 0xfeed);
	ck_assert_uint_eq(g.sys[GDB_CR3], s.cr3);
	ck_assert_uint_eq(g.sys[GDB_EFER], s.efer);
	/* back: the same state */
	r2 = r;
	s2 = s;
	memset(&f2, 0, sizeof(f2));
	uint64_t kgs = 0;
	memset(&r2, 0xee, sizeof(r2));
	gdb_regs_to_kvm(&g, &r2, &s2, &f2, &kgs);
	r2.rflags = (r2.rflags & 0xffffffffull) | (r.rflags & ~0xffffffffull);
	ck_assert_mem_eq(&r2, &r, sizeof(r));
	ck_assert_mem_eq(&s2, &s, sizeof(s));
	ck_assert_uint_eq(kgs, 0xfeed);
	ck_assert_uint_eq(f2.ftwx, 0x81);
	ck_assert_uint_eq(f2.last_ip, f.last_ip);
	ck_assert_uint_eq(f2.last_dp, f.last_dp);
	ck_assert_mem_eq(f2.xmm, f.xmm, sizeof(f.xmm));
	ck_assert_mem_eq(f2.fpr[5], f.fpr[5], 10);
	/* a change made in gdb's view lands in KVM's */
	g.gpr[3] = 0xabcdef;
	g.sys[GDB_CR0] = 0x80000011;
	gdb_regs_to_kvm(&g, &r2, &s2, &f2, &kgs);
	ck_assert_uint_eq(r2.rdx, 0xabcdef);
	ck_assert_uint_eq(s2.cr0, 0x80000011);
	/* the layout: 66 registers, 608 bytes */
	unsigned total = 0, size;
	for (unsigned n = 0; n < GDB_NREGS; n++) {
		ck_assert_ptr_nonnull(gdb_reg_ptr(&g, n, &size));
		total += size;
	}
	ck_assert_uint_eq(total, GDB_REGS_BYTES);
	ck_assert_ptr_null(gdb_reg_ptr(&g, GDB_NREGS, &size));
	ck_assert_ptr_eq(gdb_reg_ptr(&g, 16, &size), (uint8_t *)&g.rip);
	ck_assert_ptr_eq(gdb_reg_ptr(&g, 40, &size), g.xmm[0]);
	ck_assert_ptr_eq(gdb_reg_ptr(&g, 62, &size), (uint8_t *)&g.sys[GDB_CR3]);
}
END_TEST

START_TEST(g_and_G)
{
	const char *r = cmd("g");
	ck_assert_uint_eq(strlen(r), 2 * GDB_REGS_BYTES);
	ck_assert_mem_eq(r, "1111111111111111", 16);	       /* rax, little-endian */
	ck_assert_mem_eq(r + 2 * 128, "00000081ffffffff", 16); /* rip */
	char g[2 * GDB_REGS_BYTES + 2];
	strcpy(g + 1, r);
	g[0] = 'G';
	memcpy(g + 1 + 2 * 8, "efbeadde00000000", 16); /* rbx */
	ck_assert_str_eq(cmd(g), "OK");
	ck_assert_uint_eq(regs[0].gpr[1], 0xdeadbeef);
	ck_assert_uint_eq(regs[0].rip, 0xffffffff81000000ull);
	/* the wrong length, or a non-hex digit: an error, nothing written */
	set_calls = 0;
	g[strlen(g) - 1] = '\0';
	ck_assert_str_eq(cmd(g), "E16");
	g[strlen(g)] = 'x';
	g[strlen(g) - 1] = 'x';
	ck_assert_str_eq(cmd(g), "E16");
	ck_assert_uint_eq(set_calls, 0);
	/* Hg selects whose registers */
	ck_assert_str_eq(cmd("Hg2"), "OK");
	ck_assert_mem_eq(cmd("g") + 2 * 128, "3412000000000000", 16);
	fail_regs = 1;
	ck_assert_str_eq(cmd("g"), "E05");
}
END_TEST

START_TEST(p_and_P)
{
	ck_assert_str_eq(cmd("p10"), "00000081ffffffff"); /* rip is register 16 */
	ck_assert_str_eq(cmd("p0"), "1111111111111111");
	ck_assert_str_eq(cmd("P10=1000000000000000"), "OK");
	ck_assert_uint_eq(regs[0].rip, 0x10);
	ck_assert_str_eq(cmd("P11=02020000"), "OK"); /* eflags, 32 bits */
	ck_assert_uint_eq(regs[0].eflags, 0x202);
	ck_assert_str_eq(cmd("P3e=0010000000000000"), "OK"); /* cr3 is register 62 */
	ck_assert_uint_eq(regs[0].sys[GDB_CR3], 0x1000);
	ck_assert_uint_eq(strlen(cmd("p18")), 20); /* st0: 80 bits */
	ck_assert_str_eq(cmd("p42"), "E16");	   /* past the last register */
	ck_assert_str_eq(cmd("p"), "E16");
	ck_assert_str_eq(cmd("P10=12"), "E16"); /* the wrong size */
	ck_assert_str_eq(cmd("P10"), "E16");
	ck_assert_str_eq(cmd("P10=zz00000000000000"), "E16");
}
END_TEST

/* ---- memory ---- */

START_TEST(read_memory)
{
	ck_assert_str_eq(cmd("m10,4"), "10111213");
	/* kernel-style addresses translate to the same bytes */
	ck_assert_str_eq(cmd("mffff800000000010,2"), "1011");
	/* across a page boundary into a page that lives elsewhere */
	ck_assert_str_eq(cmd("m2ffe,4"), "feffa0a1");
	/* an unmapped first page: an error; an unmapped later page: a short read */
	ck_assert_str_eq(cmd("m8000,4"), "E0e");
	ck_assert_str_eq(cmd("m7ffe,4"), "feff");
	/* mapped but not RAM (the hole between the regions) */
	ck_assert_str_eq(cmd("m20000,1"), "E0e");
	/* a huge length is capped: a short read gdb continues */
	ck_assert_uint_eq(strlen(cmd("m0,100000")), 2 * GDB_MEM_MAX);
	/* malformed */
	ck_assert_str_eq(cmd("m10"), "E16");
	ck_assert_str_eq(cmd("m10,"), "E16");
	ck_assert_str_eq(cmd("m,4"), "E16");
	ck_assert_str_eq(cmd("m10,4x"), "E16");
	ck_assert_str_eq(cmd("m11111111111111111,1"), "E16"); /* more than 64 bits */
	ck_assert_str_eq(cmd("m0,0"), "");
}
END_TEST

START_TEST(write_memory)
{
	ck_assert_str_eq(cmd("M100,3:aabbcc"), "OK");
	ck_assert_uint_eq(*mem(0x100), 0xaa);
	ck_assert_uint_eq(*mem(0x102), 0xcc);
	/* across pages: the second page is elsewhere */
	ck_assert_str_eq(cmd("M2fff,2:1122"), "OK");
	ck_assert_uint_eq(*mem(0x2fff), 0x11);
	ck_assert_uint_eq(*mem(HI_GPA), 0x22);
	/* a fault anywhere writes nothing */
	ck_assert_str_eq(cmd("M7fff,2:5566"), "E0e");
	ck_assert_uint_eq(*mem(0x7fff), 0xff);
	/* the data must match the length */
	ck_assert_str_eq(cmd("M100,2:aabbcc"), "E16");
	ck_assert_str_eq(cmd("M100,2:aa"), "E16");
	ck_assert_str_eq(cmd("M100,1:zz"), "E16");
	ck_assert_str_eq(cmd("M100,1aa"), "E16");
	ck_assert_str_eq(cmd("M100,ffffffff:aa"), "E16");
	ck_assert_uint_eq(*mem(0x100), 0xaa);
}
END_TEST

/* ---- breakpoints ---- */

START_TEST(breakpoints)
{
	ck_assert_str_eq(cmd("Z0,ffff800000000200,1"), "OK");
	ck_assert_uint_eq(*mem(0x200), 0xcc);
	ck_assert_uint_eq(st.nbp, 1);
	ck_assert(gdb_stub_breakpoint_at(&st, 0, 0xffff800000000200ull));
	ck_assert(gdb_stub_breakpoint_at(&st, 1, 0x200)); /* the same physical byte */
	ck_assert(!gdb_stub_breakpoint_at(&st, 0, 0x201));
	/* gdb reads the guest's byte, not the int3 */
	ck_assert_str_eq(cmd("mffff8000000001ff,3"), "ff0001");
	/* inserting again changes nothing */
	ck_assert_str_eq(cmd("Z0,ffff800000000200,1"), "OK");
	ck_assert_uint_eq(st.nbp, 1);
	ck_assert_uint_eq(*mem(0x200), 0xcc);
	/* writing over it changes the saved byte; the int3 stays */
	ck_assert_str_eq(cmd("M200,1:90"), "OK");
	ck_assert_uint_eq(*mem(0x200), 0xcc);
	ck_assert_str_eq(cmd("m200,1"), "90");
	/* removing restores the guest's byte; removing twice is fine */
	ck_assert_str_eq(cmd("z0,ffff800000000200,1"), "OK");
	ck_assert_uint_eq(*mem(0x200), 0x90);
	ck_assert_uint_eq(st.nbp, 0);
	ck_assert(!gdb_stub_breakpoint_at(&st, 0, 0x200));
	ck_assert_str_eq(cmd("z0,ffff800000000200,1"), "OK");
	/* unmapped, or not RAM */
	ck_assert_str_eq(cmd("Z0,8004,1"), "E0e");
	ck_assert_str_eq(cmd("Z0,20000,1"), "E0e");
	/* other kinds and types; conditions */
	ck_assert_str_eq(cmd("Z0,300,2"), "E16");
	ck_assert_str_eq(cmd("Z2,300,4"), "");
	ck_assert_str_eq(cmd("Z0,300,1;X1,0"), "");
	ck_assert_str_eq(cmd("Z0,300"), "E16");
	ck_assert_uint_eq(*mem(0x300), 0x00);
	/* a full table */
	char pkt[40];
	for (unsigned i = 0; i < GDB_MAX_BREAKPOINTS; i++) {
		snprintf(pkt, sizeof(pkt), "Z0,%x,1", 0x400 + i);
		ck_assert_str_eq(cmd(pkt), "OK");
	}
	ck_assert_str_eq(cmd("Z0,600,1"), "E1c");
	ck_assert_uint_eq(*mem(0x600), 0x00);
	/* all out at once, every byte back */
	gdb_stub_clear_breakpoints(&st);
	ck_assert_uint_eq(st.nbp, 0);
	for (unsigned i = 0; i < GDB_MAX_BREAKPOINTS; i++)
		ck_assert_uint_eq(*mem(0x400 + i), (uint8_t)(0x400 + i));
	/* a byte the guest rewrote meanwhile is left alone */
	ck_assert_str_eq(cmd("Z0,500,1"), "OK");
	*mem(0x500) = 0x55;
	ck_assert_str_eq(cmd("z0,500,1"), "OK");
	ck_assert_uint_eq(*mem(0x500), 0x55);
}
END_TEST

START_TEST(hardware_breakpoints)
{
	/* Z1 fills a debug register's slot and writes nothing to memory */
	ck_assert_str_eq(cmd("Z1,ffffffff81000000,1"), "OK");
	ck_assert_uint_eq(st.nhwbp, 1);
	ck_assert_uint_eq(st.hwbp[0], 0xffffffff81000000ull);
	ck_assert_str_eq(cmd("Z1,ffffffff81000000,1"), "OK"); /* again: no second slot */
	ck_assert_uint_eq(st.nhwbp, 1);
	ck_assert_str_eq(cmd("Z1,300,1"), "OK");
	ck_assert_uint_eq(*mem(0x300), 0x00);
	ck_assert_str_eq(cmd("Z1,301,1"), "OK");
	ck_assert_str_eq(cmd("Z1,302,1"), "OK");
	ck_assert_str_eq(cmd("Z1,303,1"), "E1c"); /* four debug registers */
	ck_assert_str_eq(cmd("Z1,303,2"), "E16");
	ck_assert_str_eq(cmd("z1,300,1"), "OK");
	ck_assert_uint_eq(st.nhwbp, 3);
	ck_assert_str_eq(cmd("z1,300,1"), "OK");
	ck_assert_uint_eq(st.nhwbp, 3);
	for (unsigned i = 0; i < st.nhwbp; i++)
		ck_assert_uint_ne(st.hwbp[i], 0x300);
	ck_assert_str_eq(cmd("Z1,303,1"), "OK");
	/* an unmapped address is fine: the CPU compares linear addresses */
	ck_assert_str_eq(cmd("z1,303,1"), "OK");
	ck_assert_str_eq(cmd("Z1,8000,1"), "OK");
	/* detaching clears them with the others */
	ck_assert_int_eq(gdb_stub_handle(&st, (const uint8_t *)"D", 1), GDB_DETACH);
	ck_assert_uint_eq(st.nhwbp, 0);
	/* watchpoints are not offered */
	ck_assert_str_eq(cmd("Z2,300,4"), "");
	ck_assert_str_eq(cmd("Z4,300,4"), "");
}
END_TEST

/* ---- queries, threads, stops ---- */

START_TEST(queries)
{
	const char *r = cmd("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
	ck_assert_ptr_nonnull(strstr(r, "PacketSize=1000"));
	ck_assert_ptr_nonnull(strstr(r, "qXfer:features:read+"));
	ck_assert_ptr_nonnull(strstr(r, "swbreak+"));
	ck_assert_ptr_nonnull(strstr(r, "hwbreak+"));
	ck_assert(st.swbreak);
	ck_assert(st.hwbreak);
	ck_assert_str_eq(cmd("qAttached"), "1");
	ck_assert_str_eq(cmd("qC"), "QC1");
	ck_assert_str_eq(cmd("qfThreadInfo"), "m1,2");
	ck_assert_str_eq(cmd("qsThreadInfo"), "l");
	ck_assert_str_eq(cmd("qThreadExtraInfo,2"), "764350552031"); /* "vCPU 1" */
	ck_assert_str_eq(cmd("qThreadExtraInfo,3"), "E16");
	ck_assert_str_eq(cmd("qOffsets"), "");
	ck_assert_str_eq(cmd("qSymbol::"), "");
	ck_assert_str_eq(cmd("qTStatus"), "");
	ck_assert_str_eq(cmd("T1"), "OK");
	ck_assert_str_eq(cmd("T2"), "OK");
	ck_assert_str_eq(cmd("T3"), "E16");
	ck_assert_str_eq(cmd("T0"), "E16");
	ck_assert_str_eq(cmd("Hc2"), "OK");
	ck_assert_uint_eq(st.cur_c, 1);
	ck_assert_str_eq(cmd("Hg2"), "OK");
	ck_assert_uint_eq(st.cur_g, 1);
	ck_assert_str_eq(cmd("qC"), "QC2");
	ck_assert_str_eq(cmd("Hg0"), "OK"); /* any thread: the current one stays */
	ck_assert_str_eq(cmd("Hg-1"), "OK");
	ck_assert_uint_eq(st.cur_g, 1);
	ck_assert_str_eq(cmd("Hg3"), "E16");
	ck_assert_str_eq(cmd("Hx1"), "E16");
	ck_assert_str_eq(cmd("H"), "E16");
	ck_assert_uint_eq(st.cur_g, 1);
	/* unknown packets get the empty reply */
	ck_assert_str_eq(cmd("X100,1:a"), "");
	ck_assert_str_eq(cmd("vMustReplyEmpty"), "");
	ck_assert_str_eq(cmd("QStartNoAckMode"), "");
	ck_assert_str_eq(cmd("!"), "");
	ck_assert_str_eq(cmd(""), "");
}
END_TEST

START_TEST(target_xml)
{
	char all[8192] = "";
	size_t got = 0;
	char pkt[64];
	for (;;) {
		snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,200", got);
		const char *r = cmd(pkt);
		ck_assert(r[0] == 'm' || r[0] == 'l');
		size_t n = strlen(r + 1);
		ck_assert_uint_le(n, 0x200);
		ck_assert_uint_lt(got + n, sizeof(all));
		memcpy(all + got, r + 1, n);
		got += n;
		if (r[0] == 'l')
			break;
	}
	ck_assert_str_eq(all, gdb_target_xml);
	ck_assert_ptr_nonnull(strstr(all, "<architecture>i386:x86-64</architecture>"));
	ck_assert_ptr_nonnull(strstr(all, "org.gnu.gdb.i386.core"));
	ck_assert_ptr_nonnull(strstr(all, "name=\"cr3\""));
	/* past the end, another annex, garbage */
	snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,10", got + 1);
	ck_assert_str_eq(cmd(pkt), "E16");
	snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,10", got);
	ck_assert_str_eq(cmd(pkt), "l");
	ck_assert_str_eq(cmd("qXfer:features:read:other.xml:0,10"), "E02");
	ck_assert_str_eq(cmd("qXfer:features:read:target.xml:0"), "E16");
	/* a huge length still fits the reply buffer */
	const char *r = cmd("qXfer:features:read:target.xml:0,ffffff");
	ck_assert_uint_le(strlen(r), GDB_REPLY_MAX);
}
END_TEST

START_TEST(stop_replies)
{
	ck_assert_str_eq(cmd("?"), "T05thread:1;");
	cmd("qSupported:swbreak+");
	gdb_stub_stop(&st, 1, GDB_STOP_SWBREAK);
	ck_assert_str_eq(reply(), "T05thread:2;swbreak:;");
	ck_assert_uint_eq(st.cur_g, 1); /* gdb now takes thread 2 as the current one */
	ck_assert_uint_eq(st.cur_c, 1);
	ck_assert_str_eq(cmd("?"), "T05thread:2;swbreak:;");
	gdb_stub_stop(&st, 0, GDB_STOP_STEP);
	ck_assert_str_eq(reply(), "T05thread:1;");
	gdb_stub_stop(&st, 0, GDB_STOP_HWBREAK);
	ck_assert_str_eq(reply(), "T05thread:1;"); /* gdb did not say hwbreak+ */
	cmd("qSupported:swbreak+;hwbreak+");
	gdb_stub_stop(&st, 1, GDB_STOP_HWBREAK);
	ck_assert_str_eq(reply(), "T05thread:2;hwbreak:;");
	/* without swbreak+ from gdb, no stop reason it would not know */
	cmd("qSupported:hwbreak+");
	gdb_stub_stop(&st, 0, GDB_STOP_SWBREAK);
	ck_assert_str_eq(reply(), "T05thread:1;");
	gdb_stub_reset(&st);
	ck_assert_str_eq(cmd("?"), "T05thread:1;");
}
END_TEST

static enum gdb_result run_cmd(const char *pkt)
{
	return gdb_stub_handle(&st, (const uint8_t *)pkt, strlen(pkt));
}

START_TEST(resume_actions)
{
	ck_assert_int_eq(run_cmd("c"), GDB_RESUME);
	ck_assert_uint_eq(st.action[0], GDB_ACT_CONT);
	ck_assert_uint_eq(st.action[1], GDB_ACT_CONT);
	/* s steps the Hc thread alone */
	ck_assert_str_eq(cmd("Hc2"), "OK");
	ck_assert_int_eq(run_cmd("s"), GDB_RESUME);
	ck_assert_uint_eq(st.action[0], GDB_ACT_STOP);
	ck_assert_uint_eq(st.action[1], GDB_ACT_STEP);
	/* c ADDR continues at ADDR */
	ck_assert_int_eq(run_cmd("c1000"), GDB_RESUME);
	ck_assert_uint_eq(regs[1].rip, 0x1000);
	ck_assert_int_eq(run_cmd("C05"), GDB_RESUME);
	ck_assert_int_eq(run_cmd("S05;2000"), GDB_RESUME);
	ck_assert_uint_eq(regs[1].rip, 0x2000);
	ck_assert_str_eq(cmd("cxyz"), "E16");
	ck_assert_str_eq(cmd("C"), "E16");
	/* vCont */
	ck_assert_str_eq(cmd("vCont?"), "vCont;c;C;s;S");
	ck_assert_int_eq(run_cmd("vCont;s:1;c"), GDB_RESUME);
	ck_assert_uint_eq(st.action[0], GDB_ACT_STEP);
	ck_assert_uint_eq(st.action[1], GDB_ACT_CONT);
	ck_assert_int_eq(run_cmd("vCont;c:2"), GDB_RESUME);
	ck_assert_uint_eq(st.action[0], GDB_ACT_STOP);
	ck_assert_uint_eq(st.action[1], GDB_ACT_CONT);
	ck_assert_int_eq(run_cmd("vCont;S05:2;C05:-1"), GDB_RESUME);
	ck_assert_uint_eq(st.action[0], GDB_ACT_CONT);
	ck_assert_uint_eq(st.action[1], GDB_ACT_STEP);
	ck_assert_int_eq(run_cmd("vCont;c;s:1"), GDB_RESUME); /* the leftmost action wins */
	ck_assert_uint_eq(st.action[0], GDB_ACT_CONT);
	ck_assert_str_eq(cmd("vCont;c:3"), "E16"); /* nothing would run */
	ck_assert_str_eq(cmd("vCont;t"), "E16");
	ck_assert_str_eq(cmd("vCont;"), "E16");
	ck_assert_str_eq(cmd("vCont;c:"), "E16");
	ck_assert_str_eq(cmd("vCont;cx"), "E16");
}
END_TEST

START_TEST(detach_and_kill)
{
	ck_assert_str_eq(cmd("Z0,200,1"), "OK");
	ck_assert_int_eq(run_cmd("D"), GDB_DETACH);
	ck_assert_str_eq(reply(), "OK");
	ck_assert_uint_eq(st.nbp, 0);
	ck_assert_uint_eq(*mem(0x200), 0x00);
	ck_assert_int_eq(run_cmd("D;1"), GDB_DETACH);
	ck_assert_int_eq(run_cmd("k"), GDB_KILL);
	ck_assert_int_eq(run_cmd("vKill;1"), GDB_KILL);
}
END_TEST

static Suite *gdb_stub_suite(void)
{
	Suite *s = suite_create("gdb_stub");
	TCase *tc = tcase_create("framing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, packet_and_checksum);
	tcase_add_test(tc, escaped_bytes);
	tcase_add_test(tc, oversized_packet);
	tcase_add_test(tc, frame_escapes_and_round_trips);
	tcase_add_test(tc, fuzz_is_bounded);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("packets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, register_round_trip);
	tcase_add_test(tc, g_and_G);
	tcase_add_test(tc, p_and_P);
	tcase_add_test(tc, read_memory);
	tcase_add_test(tc, write_memory);
	tcase_add_test(tc, breakpoints);
	tcase_add_test(tc, hardware_breakpoints);
	tcase_add_test(tc, queries);
	tcase_add_test(tc, target_xml);
	tcase_add_test(tc, stop_replies);
	tcase_add_test(tc, resume_actions);
	tcase_add_test(tc, detach_and_kill);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(gdb_stub_suite)
