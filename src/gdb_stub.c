// SPDX-License-Identifier: BSD-2-Clause
/*
 * GDB remote serial protocol: framing, registers, memory, breakpoints and one
 * reply per packet (see "Remote Protocol" in the GDB manual). Nothing here
 * blocks or touches KVM: the target is reached through gdb_target_ops.
 */
#include "khyve/gdb_stub.h"
#include "khyve/hex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BP_INSN 0xcc /* int3 */
#define PAGE_SIZE 4096u

enum { RX_IDLE, RX_DATA, RX_CSUM1, RX_CSUM2 };

/* ---- framing ----------------------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->len = 0;
	rx->buf[0] = '\0';
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	int h;
	switch (rx->state) {
	case RX_IDLE:
		if (c == '$') {
			rx->state = RX_DATA;
			rx->len = 0;
			rx->sum = 0;
			rx->escape = rx->overflow = false;
			return GDB_RX_NONE;
		}
		if (c == '+')
			return GDB_RX_ACK;
		if (c == '-')
			return GDB_RX_NAK;
		if (c == 0x03)
			return GDB_RX_INTERRUPT;
		return GDB_RX_NONE; /* noise between packets */
	case RX_DATA:
		if (c == '#') {
			rx->state = RX_CSUM1;
			return GDB_RX_NONE;
		}
		if (c == '$') { /* a new packet: gdb gave up on the one before */
			rx->len = 0;
			rx->sum = 0;
			rx->escape = rx->overflow = false;
			return GDB_RX_NONE;
		}
		rx->sum += c; /* the checksum covers the bytes as sent, escapes included */
		if (!rx->escape && c == '}') {
			rx->escape = true;
			return GDB_RX_NONE;
		}
		if (rx->escape) {
			c ^= 0x20;
			rx->escape = false;
		}
		if (rx->len < GDB_PACKET_MAX)
			rx->buf[rx->len++] = c;
		else
			rx->overflow = true;
		return GDB_RX_NONE;
	case RX_CSUM1:
		h = hex_digit(c);
		if (h < 0) {
			rx->state = RX_IDLE;
			return GDB_RX_BAD;
		}
		rx->csum = (uint8_t)(h << 4);
		rx->state = RX_CSUM2;
		return GDB_RX_NONE;
	default:
		h = hex_digit(c);
		rx->state = RX_IDLE;
		if (h < 0 || (uint8_t)(rx->csum | h) != rx->sum || rx->overflow || rx->escape)
			return GDB_RX_BAD;
		rx->buf[rx->len] = '\0';
		return GDB_RX_PACKET;
	}
}

static bool needs_escape(uint8_t c)
{
	return c == '#' || c == '$' || c == '}' || c == '*';
}

size_t gdb_frame(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t n = 0;
	uint8_t sum = 0;
	if (outlen < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		if (n + 2 + 3 > outlen)
			return 0;
		if (needs_escape(p[i])) {
			out[n++] = '}';
			sum += '}';
			out[n++] = (char)(p[i] ^ 0x20);
			sum += p[i] ^ 0x20;
		} else {
			out[n++] = (char)p[i];
			sum += p[i];
		}
	}
	out[n++] = '#';
	out[n++] = hexdig[sum >> 4];
	out[n++] = hexdig[sum & 0xf];
	return n;
}

/* ---- replies ----------------------------------------------------------------------------- */

struct reply {
	uint8_t buf[GDB_REPLY_MAX];
	size_t len;
	bool overflow;
};

static void put(struct reply *r, const void *p, size_t n)
{
	if (n > sizeof(r->buf) - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static void puts_(struct reply *r, const char *s)
{
	put(r, s, strlen(s));
}

static void putf(struct reply *r, const char *fmt, unsigned long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), fmt, v);
	if (n > 0)
		put(r, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void put_hex(struct reply *r, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char h[2] = {hexdig[p[i] >> 4], hexdig[p[i] & 0xf]};
		put(r, h, 2);
	}
}

static void send_reply(struct gdb_stub *s, struct reply *r)
{
	if (r->overflow) { /* cannot happen with the bounds above; never send a cut reply */
		r->len = 0;
		puts_(r, "E0c");
	}
	s->reply_len = gdb_frame(r->buf, r->len, s->reply, sizeof(s->reply));
}

static enum gdb_result reply_str(struct gdb_stub *s, const char *str)
{
	struct reply r = {.len = 0};
	puts_(&r, str);
	send_reply(s, &r);
	return GDB_REPLY;
}

static enum gdb_result reply_err(struct gdb_stub *s, int err)
{
	struct reply r = {.len = 0};
	putf(&r, "E%02llx", (unsigned)err & 0xff);
	send_reply(s, &r);
	return GDB_REPLY;
}

/* ---- parsing helpers --------------------------------------------------------------------- */

/* Big-endian hex number of 1 to 16 digits at *p (before end); advances *p. */
static int parse_hex(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0, h;
	while (*p < end && (h = hex_digit((uint8_t) * *p)) >= 0) {
		if (++n > 16)
			return -EINVAL;
		v = v << 4 | (unsigned)h;
		(*p)++;
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Hex-encoded bytes: exactly 2*n digits. */
static int parse_bytes(const char *p, size_t digits, uint8_t *out, size_t n)
{
	if (digits != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit((uint8_t)p[2 * i]), lo = hex_digit((uint8_t)p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* A thread ID: -1 (all), 0 (any) or a vCPU index + 1. *cpu = -1 for all/any. */
static int parse_thread(struct gdb_stub *s, const char **p, const char *end, int *cpu)
{
	if (end - *p >= 2 && (*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*cpu = -1;
		return 0;
	}
	uint64_t id;
	if (parse_hex(p, end, &id) < 0 || id > s->ncpus)
		return -EINVAL;
	*cpu = id == 0 ? -1 : (int)(id - 1);
	return 0;
}

static bool prefix(const char *pkt, size_t len, const char *word)
{
	size_t n = strlen(word);
	return len >= n && memcmp(pkt, word, n) == 0;
}

/* ---- memory ------------------------------------------------------------------------------ */

static struct gdb_breakpoint *bp_by_gpa(struct gdb_stub *s, uint64_t gpa)
{
	for (unsigned i = 0; i < s->nbp; i++)
		if (s->bp[i].gpa == gpa)
			return &s->bp[i];
	return NULL;
}

/* Up to the end of the page that holds gva, at most n bytes: host pointer, or NULL. */
static uint8_t *map_chunk(struct gdb_stub *s, uint64_t gva, size_t n, size_t *chunk, uint64_t *gpa)
{
	size_t room = PAGE_SIZE - (gva & (PAGE_SIZE - 1));
	*chunk = n < room ? n : room;
	if (s->ops->translate(s->target, s->cur_g, gva, gpa) < 0)
		return NULL;
	return gmem_ptr(s->mem, *gpa, *chunk);
}

static enum gdb_result read_memory(struct gdb_stub *s, const char *p, const char *end)
{
	uint64_t addr, len;
	if (parse_hex(&p, end, &addr) < 0 || p == end || *p++ != ',' ||
	    parse_hex(&p, end, &len) < 0 || p != end)
		return reply_err(s, EINVAL);
	if (len > GDB_MEM_MAX)
		len = GDB_MEM_MAX; /* gdb takes a short read and asks for the rest */
	struct reply r = {.len = 0};
	uint8_t tmp[PAGE_SIZE];
	while (len > 0) {
		size_t n;
		uint64_t gpa;
		const uint8_t *host = map_chunk(s, addr, len, &n, &gpa);
		if (host == NULL)
			break;
		memcpy(tmp, host, n);
		/* Show the guest's own bytes where our int3s are. */
		for (unsigned i = 0; i < s->nbp; i++)
			if (s->bp[i].gpa >= gpa && s->bp[i].gpa - gpa < n)
				tmp[s->bp[i].gpa - gpa] = s->bp[i].saved;
		put_hex(&r, tmp, n);
		addr += n;
		len -= n;
	}
	if (r.len == 0 && len > 0)
		return reply_err(s, EFAULT);
	send_reply(s, &r);
	return GDB_REPLY;
}

static enum gdb_result write_memory(struct gdb_stub *s, const char *p, const char *end)
{
	uint64_t addr, len;
	if (parse_hex(&p, end, &addr) < 0 || p == end || *p++ != ',' ||
	    parse_hex(&p, end, &len) < 0 || p == end || *p++ != ':' || len > GDB_PACKET_MAX / 2)
		return reply_err(s, EINVAL);
	uint8_t data[GDB_PACKET_MAX / 2];
	if (parse_bytes(p, (size_t)(end - p), data, (size_t)len) < 0)
		return reply_err(s, EINVAL);
	/* Every page first, so that a fault writes nothing. */
	for (uint64_t off = 0; off < len;) {
		size_t n;
		uint64_t gpa;
		if (map_chunk(s, addr + off, (size_t)(len - off), &n, &gpa) == NULL)
			return reply_err(s, EFAULT);
		off += n;
	}
	for (uint64_t off = 0; off < len;) {
		size_t n;
		uint64_t gpa;
		uint8_t *host = map_chunk(s, addr + off, (size_t)(len - off), &n, &gpa);
		if (host == NULL)
			return reply_err(s, EFAULT);
		memcpy(host, data + off, n);
		/* A write over one of our int3s changes the byte under it; the int3 stays. */
		for (unsigned i = 0; i < s->nbp; i++) {
			if (s->bp[i].gpa >= gpa && s->bp[i].gpa - gpa < n) {
				s->bp[i].saved = host[s->bp[i].gpa - gpa];
				host[s->bp[i].gpa - gpa] = BP_INSN;
			}
		}
		off += n;
	}
	return reply_str(s, "OK");
}

/* ---- breakpoints ------------------------------------------------------------------------- */

/* Z1/z1: an instruction breakpoint in a debug register, by guest-virtual address. */
static enum gdb_result hw_breakpoint(struct gdb_stub *s, bool insert, uint64_t addr)
{
	for (unsigned i = 0; i < s->nhwbp; i++) {
		if (s->hwbp[i] != addr)
			continue;
		if (!insert)
			s->hwbp[i] = s->hwbp[--s->nhwbp];
		return reply_str(s, "OK");
	}
	if (!insert)
		return reply_str(s, "OK");
	if (s->nhwbp == GDB_MAX_HW_BREAKPOINTS)
		return reply_err(s, ENOSPC);
	s->hwbp[s->nhwbp++] = addr;
	return reply_str(s, "OK");
}

static enum gdb_result breakpoint(struct gdb_stub *s, bool insert, const char *p, const char *end)
{
	uint64_t type, addr, kind;
	if (parse_hex(&p, end, &type) < 0 || p == end || *p++ != ',' ||
	    parse_hex(&p, end, &addr) < 0 || p == end || *p++ != ',' ||
	    parse_hex(&p, end, &kind) < 0)
		return reply_err(s, EINVAL);
	if (type > 1 || p != end) /* watchpoints, conditions: not supported */
		return reply_str(s, "");
	if (kind != 1)
		return reply_err(s, EINVAL);
	if (type == 1)
		return hw_breakpoint(s, insert, addr);
	if (!insert) {
		for (unsigned i = 0; i < s->nbp; i++) {
			if (s->bp[i].gva != addr)
				continue;
			uint8_t *host = gmem_ptr(s->mem, s->bp[i].gpa, 1);
			/* Unless the guest has written the byte since, put its own back. */
			if (host && *host == BP_INSN)
				*host = s->bp[i].saved;
			s->bp[i] = s->bp[--s->nbp];
			break;
		}
		return reply_str(s, "OK"); /* removing twice is no error */
	}
	uint64_t gpa;
	uint8_t *host = NULL;
	if (s->ops->translate(s->target, s->cur_g, addr, &gpa) == 0)
		host = gmem_ptr(s->mem, gpa, 1);
	if (host == NULL)
		return reply_err(s, EFAULT);
	if (bp_by_gpa(s, gpa))
		return reply_str(s, "OK"); /* inserting twice is no error either */
	if (s->nbp == GDB_MAX_BREAKPOINTS)
		return reply_err(s, ENOSPC);
	s->bp[s->nbp++] = (struct gdb_breakpoint){.gva = addr, .gpa = gpa, .saved = *host};
	*host = BP_INSN;
	return reply_str(s, "OK");
}

void gdb_stub_clear_breakpoints(struct gdb_stub *s)
{
	s->nhwbp = 0;
	while (s->nbp > 0) {
		struct gdb_breakpoint *b = &s->bp[--s->nbp];
		uint8_t *host = gmem_ptr(s->mem, b->gpa, 1);
		if (host && *host == BP_INSN)
			*host = b->saved;
	}
}

bool gdb_stub_breakpoint_at(struct gdb_stub *s, unsigned cpu, uint64_t pc)
{
	uint64_t gpa;
	if (s->ops->translate(s->target, cpu, pc, &gpa) == 0)
		return bp_by_gpa(s, gpa) != NULL;
	for (unsigned i = 0; i < s->nbp; i++)
		if (s->bp[i].gva == pc)
			return true;
	return false;
}

/* ---- registers over the wire ------------------------------------------------------------- */

static enum gdb_result read_registers(struct gdb_stub *s)
{
	struct gdb_regs g;
	if (s->ops->get_regs(s->target, s->cur_g, &g) < 0)
		return reply_err(s, EIO);
	struct reply r = {.len = 0};
	for (unsigned n = 0; n < GDB_NREGS; n++) {
		unsigned size;
		const uint8_t *p = gdb_reg_ptr(&g, n, &size);
		put_hex(&r, p, size);
	}
	send_reply(s, &r);
	return GDB_REPLY;
}

static enum gdb_result write_registers(struct gdb_stub *s, const char *p, const char *end)
{
	struct gdb_regs g;
	if ((size_t)(end - p) != 2 * GDB_REGS_BYTES)
		return reply_err(s, EINVAL);
	if (s->ops->get_regs(s->target, s->cur_g, &g) < 0)
		return reply_err(s, EIO);
	for (unsigned n = 0; n < GDB_NREGS; n++) {
		unsigned size;
		uint8_t *dst = gdb_reg_ptr(&g, n, &size);
		if (parse_bytes(p, 2 * size, dst, size) < 0)
			return reply_err(s, EINVAL);
		p += 2 * size;
	}
	return reply_str(s, s->ops->set_regs(s->target, s->cur_g, &g) < 0 ? "E05" : "OK");
}

static enum gdb_result read_register(struct gdb_stub *s, const char *p, const char *end)
{
	uint64_t n;
	struct gdb_regs g;
	unsigned size;
	if (parse_hex(&p, end, &n) < 0 || p != end || n >= GDB_NREGS)
		return reply_err(s, EINVAL);
	if (s->ops->get_regs(s->target, s->cur_g, &g) < 0)
		return reply_err(s, EIO);
	const uint8_t *v = gdb_reg_ptr(&g, (unsigned)n, &size);
	struct reply r = {.len = 0};
	put_hex(&r, v, size);
	send_reply(s, &r);
	return GDB_REPLY;
}

static enum gdb_result write_register(struct gdb_stub *s, const char *p, const char *end)
{
	uint64_t n;
	struct gdb_regs g;
	unsigned size;
	if (parse_hex(&p, end, &n) < 0 || p == end || *p++ != '=' || n >= GDB_NREGS)
		return reply_err(s, EINVAL);
	if (s->ops->get_regs(s->target, s->cur_g, &g) < 0)
		return reply_err(s, EIO);
	uint8_t *v = gdb_reg_ptr(&g, (unsigned)n, &size);
	if (parse_bytes(p, (size_t)(end - p), v, size) < 0)
		return reply_err(s, EINVAL);
	return reply_str(s, s->ops->set_regs(s->target, s->cur_g, &g) < 0 ? "E05" : "OK");
}

/* ---- queries ----------------------------------------------------------------------------- */

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static enum gdb_result xfer_features(struct gdb_stub *s, const char *p, const char *end)
{
	const char annex[] = "target.xml:";
	uint64_t off, len;
	if ((size_t)(end - p) < sizeof(annex) - 1 || memcmp(p, annex, sizeof(annex) - 1) != 0)
		return reply_err(s, ENOENT);
	p += sizeof(annex) - 1;
	if (parse_hex(&p, end, &off) < 0 || p == end || *p++ != ',' ||
	    parse_hex(&p, end, &len) < 0 || p != end)
		return reply_err(s, EINVAL);
	size_t total = strlen(gdb_target_xml);
	if (off > total)
		return reply_err(s, EINVAL);
	/* Escaping may double a byte: keep the framed reply within the buffer. */
	size_t max = GDB_REPLY_MAX / 2 - 1;
	size_t n = total - off;
	if (n > len)
		n = (size_t)len;
	if (n > max)
		n = max;
	struct reply r = {.len = 0};
	put(&r, off + n < total ? "m" : "l", 1);
	put(&r, gdb_target_xml + off, n);
	send_reply(s, &r);
	return GDB_REPLY;
}

static enum gdb_result query(struct gdb_stub *s, const char *p, const char *end)
{
	size_t len = (size_t)(end - p);
	struct reply r = {.len = 0};
	if (prefix(p, len, "qSupported")) {
		/* gdb's features; the one that matters here is swbreak+. */
		s->swbreak = memmem(p, len, "swbreak+", 8) != NULL;
		s->hwbreak = memmem(p, len, "hwbreak+", 8) != NULL;
		putf(&r, "PacketSize=%llx", GDB_PACKET_MAX);
		puts_(&r, ";qXfer:features:read+;swbreak+;hwbreak+");
	} else if (prefix(p, len, "qXfer:features:read:")) {
		return xfer_features(s, p + 20, end);
	} else if (len == 9 && prefix(p, len, "qAttached")) {
		puts_(&r, "1"); /* attached to a running machine: quitting detaches */
	} else if (len == 2 && prefix(p, len, "qC")) {
		putf(&r, "QC%llx", s->cur_g + 1);
	} else if (len == 12 && prefix(p, len, "qfThreadInfo")) {
		for (unsigned i = 0; i < s->ncpus; i++)
			putf(&r, i ? ",%llx" : "m%llx", i + 1);
	} else if (len == 12 && prefix(p, len, "qsThreadInfo")) {
		puts_(&r, "l");
	} else if (prefix(p, len, "qThreadExtraInfo,")) {
		const char *q = p + 17;
		int cpu;
		if (parse_thread(s, &q, end, &cpu) < 0 || q != end || cpu < 0)
			return reply_err(s, EINVAL);
		char name[24];
		int n = snprintf(name, sizeof(name), "vCPU %d", cpu);
		put_hex(&r, (const uint8_t *)name, (size_t)n);
	}
	/* Anything else (qOffsets, qSymbol, qTStatus, ...): the empty reply, "not supported". */
	send_reply(s, &r);
	return GDB_REPLY;
}

/* ---- resuming ---------------------------------------------------------------------------- */

static enum gdb_result resume_all(struct gdb_stub *s, enum gdb_action stepped_one)
{
	memset(s->action, GDB_ACT_STOP, s->ncpus);
	if (stepped_one == GDB_ACT_STEP)
		s->action[s->cur_c] = GDB_ACT_STEP; /* the others stay stopped while one steps */
	else
		memset(s->action, GDB_ACT_CONT, s->ncpus);
	return GDB_RESUME;
}

/* c/s/C/S with an optional new PC: [sig][;]addr */
static enum gdb_result resume_legacy(struct gdb_stub *s, char cmd, const char *p, const char *end)
{
	uint64_t v;
	if (cmd == 'C' || cmd == 'S') { /* the signal to deliver: a guest has none */
		if (parse_hex(&p, end, &v) < 0)
			return reply_err(s, EINVAL);
		if (p < end && *p++ != ';')
			return reply_err(s, EINVAL);
	}
	if (p < end) {
		struct gdb_regs g;
		if (parse_hex(&p, end, &v) < 0 || p != end)
			return reply_err(s, EINVAL);
		if (s->ops->get_regs(s->target, s->cur_c, &g) < 0)
			return reply_err(s, EIO);
		g.rip = v;
		if (s->ops->set_regs(s->target, s->cur_c, &g) < 0)
			return reply_err(s, EIO);
	}
	return resume_all(s, cmd == 's' || cmd == 'S' ? GDB_ACT_STEP : GDB_ACT_CONT);
}

/* vCont;ACTION[:THREAD]...: the leftmost action naming a thread applies to it. */
static enum gdb_result vcont(struct gdb_stub *s, const char *p, const char *end)
{
	bool any = false;
	memset(s->action, GDB_ACT_STOP, s->ncpus);
	uint8_t *set = calloc(s->ncpus, 1);
	if (set == NULL)
		return reply_err(s, ENOMEM);
	while (p < end) {
		uint64_t sig;
		enum gdb_action a;
		if (*p++ != ';' || p == end)
			goto bad;
		char c = *p++;
		if (c == 'c' || c == 'C')
			a = GDB_ACT_CONT;
		else if (c == 's' || c == 'S')
			a = GDB_ACT_STEP;
		else
			goto bad; /* t, r: not offered in vCont? */
		if ((c == 'C' || c == 'S') && parse_hex(&p, end, &sig) < 0)
			goto bad;
		int cpu = -1;
		if (p < end && *p == ':') {
			p++;
			if (parse_thread(s, &p, end, &cpu) < 0)
				goto bad;
		}
		for (unsigned i = 0; i < s->ncpus; i++) {
			if ((cpu < 0 || (unsigned)cpu == i) && !set[i]) {
				s->action[i] = (uint8_t)a;
				set[i] = 1;
				any = true;
			}
		}
	}
	free(set);
	if (!any)
		return reply_err(s, EINVAL); /* nothing would run: gdb would wait forever */
	return GDB_RESUME;
bad:
	free(set);
	return reply_err(s, EINVAL);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static enum gdb_result set_thread(struct gdb_stub *s, const char *p, const char *end)
{
	int cpu;
	if (p == end || (*p != 'g' && *p != 'c'))
		return reply_err(s, EINVAL);
	char which = *p++;
	if (parse_thread(s, &p, end, &cpu) < 0 || p != end)
		return reply_err(s, EINVAL);
	if (cpu >= 0) { /* -1 and 0 (all, any) keep the current one */
		if (which == 'g')
			s->cur_g = (unsigned)cpu;
		else
			s->cur_c = (unsigned)cpu;
	}
	return reply_str(s, "OK");
}

static enum gdb_result stop_reply(struct gdb_stub *s)
{
	struct reply r = {.len = 0};
	putf(&r, "T%02llx", GDB_SIGTRAP);
	putf(&r, "thread:%llx;", s->stop_cpu + 1);
	if (s->stop_reason == GDB_STOP_SWBREAK && s->swbreak)
		puts_(&r, "swbreak:;");
	if (s->stop_reason == GDB_STOP_HWBREAK && s->hwbreak)
		puts_(&r, "hwbreak:;");
	send_reply(s, &r);
	return GDB_REPLY;
}

enum gdb_result gdb_stub_handle(struct gdb_stub *s, const uint8_t *pkt, size_t len)
{
	const char *p = (const char *)pkt, *end = p + len;
	s->reply_len = 0;
	if (len == 0)
		return reply_str(s, "");
	switch (p[0]) {
	case '?':
		return stop_reply(s);
	case 'q':
		return query(s, p, end);
	case 'H':
		return set_thread(s, p + 1, end);
	case 'T': {
		int cpu;
		const char *q = p + 1;
		if (parse_thread(s, &q, end, &cpu) < 0 || q != end || cpu < 0)
			return reply_err(s, EINVAL);
		return reply_str(s, "OK");
	}
	case 'g':
		return len == 1 ? read_registers(s) : reply_err(s, EINVAL);
	case 'G':
		return write_registers(s, p + 1, end);
	case 'p':
		return read_register(s, p + 1, end);
	case 'P':
		return write_register(s, p + 1, end);
	case 'm':
		return read_memory(s, p + 1, end);
	case 'M':
		return write_memory(s, p + 1, end);
	case 'Z':
	case 'z':
		return breakpoint(s, p[0] == 'Z', p + 1, end);
	case 'c':
	case 's':
	case 'C':
	case 'S':
		return resume_legacy(s, p[0], p + 1, end);
	case 'v':
		if (len == 6 && prefix(p, len, "vCont?"))
			return reply_str(s, "vCont;c;C;s;S");
		if (prefix(p, len, "vCont;"))
			return vcont(s, p + 5, end);
		if (prefix(p, len, "vKill"))
			return GDB_KILL;
		return reply_str(s, ""); /* vMustReplyEmpty and the rest */
	case 'D':
		gdb_stub_clear_breakpoints(s);
		reply_str(s, "OK");
		return GDB_DETACH;
	case 'k':
		return GDB_KILL;
	default:
		return reply_str(s, ""); /* X, t, Q...: not supported */
	}
}

void gdb_stub_stop(struct gdb_stub *s, unsigned cpu, enum gdb_stop_reason why)
{
	s->stop_cpu = cpu < s->ncpus ? cpu : 0;
	s->stop_reason = why;
	/* gdb takes the thread of a stop reply as the current one for g/m (and for Hc). */
	s->cur_g = s->cur_c = s->stop_cpu;
	stop_reply(s);
}

void gdb_stub_reset(struct gdb_stub *s)
{
	gdb_rx_init(&s->rx);
	s->cur_g = s->cur_c = 0;
	s->swbreak = s->hwbreak = false;
	s->stop_cpu = 0;
	s->stop_reason = GDB_STOP_SIGNAL;
	s->reply_len = 0;
}

int gdb_stub_init(struct gdb_stub *s, unsigned ncpus, const struct gmem *mem,
		  const struct gdb_target_ops *ops, void *target)
{
	memset(s, 0, sizeof(*s));
	if (ncpus == 0)
		return -EINVAL;
	s->action = calloc(ncpus, 1);
	if (s->action == NULL)
		return -ENOMEM;
	s->ncpus = ncpus;
	s->mem = mem;
	s->ops = ops;
	s->target = target;
	gdb_stub_reset(s);
	return 0;
}

void gdb_stub_fini(struct gdb_stub *s)
{
	free(s->action);
	s->action = NULL;
}
