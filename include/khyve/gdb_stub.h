/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GDB remote serial protocol, without sockets or threads: packet framing
 * and checksums, the x86-64 register file in GDB's order, guest memory by
 * virtual address, software breakpoints, and one reply per packet. The
 * target (the vCPUs) is reached through callbacks, so a test drives it on
 * fake registers and fake guest memory.
 */
#ifndef KHYVE_GDB_STUB_H
#define KHYVE_GDB_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "khyve/gdb_regs.h"
#include "khyve/gmem.h"

/* The largest packet payload accepted from gdb; advertised as PacketSize. */
#define GDB_PACKET_MAX 4096
/* The largest reply payload before escaping; a framed reply fits in twice that. */
#define GDB_REPLY_MAX GDB_PACKET_MAX
/* Bytes of guest memory one 'm' reply carries at most (two hex digits each). */
#define GDB_MEM_MAX (GDB_REPLY_MAX / 2 - 16)
#define GDB_MAX_BREAKPOINTS 64
#define GDB_MAX_HW_BREAKPOINTS 4 /* DR0-DR3 */
#define GDB_SIGTRAP 5

/* ---- framing ---- */

enum gdb_rx_event {
	GDB_RX_NONE,	  /* byte consumed, nothing complete */
	GDB_RX_PACKET,	  /* a packet with a good checksum: rx->buf, rx->len */
	GDB_RX_BAD,	  /* a bad checksum, a malformed or oversized packet: answer '-' */
	GDB_RX_ACK,	  /* '+' */
	GDB_RX_NAK,	  /* '-': send the last reply again */
	GDB_RX_INTERRUPT, /* 0x03, gdb's ^C */
};

struct gdb_rx {
	int state;
	uint8_t sum, csum;
	bool escape, overflow;
	size_t len;
	uint8_t buf[GDB_PACKET_MAX + 1]; /* unescaped payload, NUL-terminated */
};

void gdb_rx_init(struct gdb_rx *rx);
/* Feed one byte from the connection. */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);
/* Frame payload as $payload#xx into out (escaping '#', '$', '}' and '*'); its length, or 0. */
size_t gdb_frame(const uint8_t *payload, size_t len, char *out, size_t outlen);

/* ---- the target ---- */

struct gdb_target_ops {
	int (*get_regs)(void *target, unsigned cpu, struct gdb_regs *r);
	int (*set_regs)(void *target, unsigned cpu, const struct gdb_regs *r);
	/* Guest-virtual → guest-physical in cpu's address space; 0, or -EFAULT when unmapped. */
	int (*translate)(void *target, unsigned cpu, uint64_t gva, uint64_t *gpa);
};

enum gdb_action { GDB_ACT_STOP = 0, GDB_ACT_CONT, GDB_ACT_STEP };
enum gdb_stop_reason { GDB_STOP_SIGNAL, GDB_STOP_SWBREAK, GDB_STOP_HWBREAK, GDB_STOP_STEP };

/* What the server does after a packet. */
enum gdb_result {
	GDB_REPLY,  /* send s->reply */
	GDB_RESUME, /* run the vCPUs as s->action says; the reply comes at the next stop */
	GDB_DETACH, /* send s->reply, resume everything, close the connection */
	GDB_KILL,   /* end the VM; no reply */
};

struct gdb_breakpoint {
	uint64_t gva, gpa;
	uint8_t saved; /* the byte under the 0xCC */
};

struct gdb_stub {
	const struct gdb_target_ops *ops;
	void *target;
	const struct gmem *mem;
	unsigned ncpus;
	unsigned cur_g, cur_c; /* Hg (registers, memory) and Hc (step) vCPU indexes */
	bool swbreak;	       /* gdb takes "swbreak" stop reasons (no PC adjustment) */
	bool hwbreak;	       /* and "hwbreak" ones */
	unsigned stop_cpu;
	enum gdb_stop_reason stop_reason;
	struct gdb_breakpoint bp[GDB_MAX_BREAKPOINTS];
	unsigned nbp;
	uint64_t hwbp[GDB_MAX_HW_BREAKPOINTS]; /* instruction breakpoints by debug register */
	unsigned nhwbp;
	uint8_t *action; /* enum gdb_action per vCPU, after GDB_RESUME */
	struct gdb_rx rx;
	char reply[2 * GDB_REPLY_MAX + 8]; /* framed */
	size_t reply_len;
};

int gdb_stub_init(struct gdb_stub *s, unsigned ncpus, const struct gmem *mem,
		  const struct gdb_target_ops *ops, void *target);
void gdb_stub_fini(struct gdb_stub *s);
/* A new connection: vCPU 0 selected, stopped by the debugger's arrival. */
void gdb_stub_reset(struct gdb_stub *s);
/* Handle one packet payload (rx->buf); builds s->reply where one is due. */
enum gdb_result gdb_stub_handle(struct gdb_stub *s, const uint8_t *pkt, size_t len);
/* Record a stop of cpu and build its stop reply (T05thread:N;). */
void gdb_stub_stop(struct gdb_stub *s, unsigned cpu, enum gdb_stop_reason why);
/* Is one of our breakpoints at guest-virtual pc of cpu? */
bool gdb_stub_breakpoint_at(struct gdb_stub *s, unsigned cpu, uint64_t pc);
/* Remove every breakpoint, restoring the guest's bytes. */
void gdb_stub_clear_breakpoints(struct gdb_stub *s);

#endif
