// SPDX-License-Identifier: BSD-2-Clause
/*
 * The debug server: a listening socket and a thread of its own that talks to
 * one gdb at a time (gdb_stub.c does the protocol), stops and resumes the
 * vCPUs, and reports their breakpoint and single-step exits.
 *
 * Its own thread rather than the main event loop: the protocol is a
 * conversation in which a request may wait for every vCPU to leave KVM_RUN,
 * and the loop must not block (it serves the consoles, signals and the stop
 * request meanwhile).
 *
 * Invariant: the stub's breakpoint table and the vCPUs' registers change only
 * while `running` is false, i.e. while every vCPU is parked; vCPU threads read
 * the table in gdb_server_debug_exit only while not parked.
 */
#include "khyve/gdb_server.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "khyve/cli.h"
#include "khyve/gdb_stub.h"
#include "khyve/netaddr.h"

#define DEFAULT_ADDRESS "127.0.0.1" /* bhyve listens on the loopback address unless told */
#define MSR_KERNEL_GS_BASE 0xc0000102
#define BP_VECTOR 3
#define DB_VECTOR 1
#define DR6_BS (1u << 14) /* single step */

struct gdb_server {
	struct vm *vm;
	int listen_fd, client_fd, wake_fd;
	char where[300]; /* address:port, for messages */
	bool wait;
	pthread_t thread;
	bool thread_started;
	atomic_bool quit;
	pthread_mutex_t lock; /* running, ev_cpu, ev_reason */
	bool running;	      /* the vCPUs were resumed for gdb, which waits for a stop reply */
	int ev_cpu;	      /* the vCPU whose debug exit stops the others, or -1 */
	enum gdb_stop_reason ev_reason;
	uint32_t *debug;   /* KVM_GUESTDBG_* flags in force, per vCPU */
	uint64_t dr[8];	   /* the debug registers that go with them (hardware breakpoints) */
	bool *stepping;	   /* single-stepping, per vCPU */
	uint32_t dbg_caps; /* KVM_CAP_SET_GUEST_DEBUG2 */
	struct gdb_stub stub;
};

/* ---- the target: KVM vCPUs --------------------------------------------------------------- */

/* Everything gdb's register file comes from; KERNEL_GS_BASE 0 where KVM has none. */
static int kvm_state_get(struct kvm_vcpu_fd *v, struct kvm_regs *r, struct kvm_sregs *s,
			 struct kvm_fpu *f, uint64_t *kgs)
{
	int rc;
	if ((rc = kvm_vcpu_get_regs(v, r)) < 0 || (rc = kvm_vcpu_get_sregs(v, s)) < 0 ||
	    (rc = kvm_vcpu_get_fpu(v, f)) < 0)
		return rc;
	*kgs = 0;
	kvm_vcpu_get_msr(v, MSR_KERNEL_GS_BASE, kgs);
	return 0;
}

static int target_get_regs(void *t, unsigned cpu, struct gdb_regs *g)
{
	struct kvm_vcpu_fd *v = &((struct gdb_server *)t)->vm->vcpu[cpu].kfd;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	uint64_t kgs;
	int rc = kvm_state_get(v, &r, &s, &f, &kgs);
	if (rc < 0)
		return rc;
	gdb_regs_from_kvm(g, &r, &s, &f, kgs);
	return 0;
}

static int target_set_regs(void *t, unsigned cpu, const struct gdb_regs *g)
{
	struct kvm_vcpu_fd *v = &((struct gdb_server *)t)->vm->vcpu[cpu].kfd;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	uint64_t kgs;
	int rc = kvm_state_get(v, &r, &s, &f, &kgs);
	if (rc < 0)
		return rc;
	uint64_t old_kgs = kgs;
	gdb_regs_to_kvm(g, &r, &s, &f, &kgs);
	if ((rc = kvm_vcpu_set_regs(v, &r)) < 0 || (rc = kvm_vcpu_set_sregs(v, &s)) < 0 ||
	    (rc = kvm_vcpu_set_fpu(v, &f)) < 0)
		return rc;
	if (kgs != old_kgs) {
		const struct kvm_msr_entry e = {.index = MSR_KERNEL_GS_BASE, .data = kgs};
		rc = kvm_vcpu_set_msrs(v, &e, 1);
	}
	return rc;
}

static int target_translate(void *t, unsigned cpu, uint64_t gva, uint64_t *gpa)
{
	return kvm_vcpu_translate(&((struct gdb_server *)t)->vm->vcpu[cpu].kfd, gva, gpa);
}

static const struct gdb_target_ops kvm_target = {
    .get_regs = target_get_regs,
    .set_regs = target_set_regs,
    .translate = target_translate,
};

/* ---- vCPU control ------------------------------------------------------------------------ */

/* Every vCPU out of KVM_RUN and parked; false when the VM is stopping. */
static bool stop_all(struct gdb_server *g)
{
	for (unsigned i = 0; i < g->vm->ncpus; i++)
		vcpu_hold(&g->vm->vcpu[i]);
	return vcpu_wait_parked(g->vm);
}

static void set_debug(struct gdb_server *g, unsigned i, uint32_t ctl)
{
	if (kvm_vcpu_set_guest_debug(&g->vm->vcpu[i].kfd, ctl, g->dr) == 0)
		g->debug[i] = ctl;
}

static void set_running(struct gdb_server *g, bool running)
{
	pthread_mutex_lock(&g->lock);
	g->running = running;
	g->ev_cpu = -1;
	pthread_mutex_unlock(&g->lock);
}

/* Run the vCPUs as the stub's actions say. Every vCPU is parked. */
static void resume(struct gdb_server *g)
{
	struct vm *vm = g->vm;
	/* DR0-DR3 hold the addresses; DR7 enables each (G bit) as an execution breakpoint. */
	memset(g->dr, 0, sizeof(g->dr));
	for (unsigned i = 0; i < g->stub.nhwbp; i++) {
		g->dr[i] = g->stub.hwbp[i];
		g->dr[7] |= 2ull << (2 * i);
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		bool step = g->stub.action[i] == GDB_ACT_STEP;
		uint32_t ctl = 0;
		if (g->stub.nbp || g->stub.nhwbp || step)
			ctl = KVM_GUESTDBG_ENABLE;
		if (g->stub.nbp)
			ctl |= KVM_GUESTDBG_USE_SW_BP; /* int3 exits to us instead of the guest */
		if (g->stub.nhwbp)
			ctl |= KVM_GUESTDBG_USE_HW_BP;
		if (step) /* with interrupts held off, a step does not land in a handler */
			ctl |= KVM_GUESTDBG_SINGLESTEP | (g->dbg_caps & KVM_GUESTDBG_BLOCKIRQ);
		set_debug(g, i, ctl);
		g->stepping[i] = step;
		uint32_t st;
		/* A halted vCPU would wait for an interrupt: the step runs what follows HLT. */
		if (step && kvm_vcpu_get_mp_state(&vm->vcpu[i].kfd, &st) == 0 &&
		    st == KVM_MP_STATE_HALTED)
			kvm_vcpu_set_mp_state(&vm->vcpu[i].kfd, KVM_MP_STATE_RUNNABLE);
	}
	set_running(g, true);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (g->stub.action[i] != GDB_ACT_STOP)
			vcpu_release(&vm->vcpu[i]);
}

/* No debugger any more: breakpoints out, debug exits off, every vCPU running. */
static void release_all(struct gdb_server *g)
{
	if (!stop_all(g))
		return;
	gdb_stub_clear_breakpoints(&g->stub);
	memset(g->dr, 0, sizeof(g->dr));
	for (unsigned i = 0; i < g->vm->ncpus; i++) {
		set_debug(g, i, 0);
		g->stepping[i] = false;
	}
	set_running(g, false);
	for (unsigned i = 0; i < g->vm->ncpus; i++)
		vcpu_release(&g->vm->vcpu[i]);
}

enum exit_result gdb_server_debug_exit(void *arg, unsigned cpu, struct kvm_run *run)
{
	struct gdb_server *g = arg;
	struct vcpu *v = &g->vm->vcpu[cpu];
	enum gdb_stop_reason why;
	if (run->debug.arch.exception == BP_VECTOR) {
		if (!gdb_stub_breakpoint_at(&g->stub, cpu, run->debug.arch.pc)) {
			/* The guest's own int3 (kprobes, code patching): deliver it as #BP. */
			kvm_vcpu_set_guest_debug(&v->kfd, g->debug[cpu] | KVM_GUESTDBG_INJECT_BP,
						 g->dr);
			return EXIT_CONTINUE;
		}
		why = GDB_STOP_SWBREAK;
	} else if (run->debug.arch.exception == DB_VECTOR) {
		uint64_t dr6 = run->debug.arch.dr6;
		if (g->stepping[cpu] && (dr6 & DR6_BS))
			why = GDB_STOP_STEP;
		else if ((dr6 & 0xf) && g->stub.nhwbp) /* B0-B3: a debug register matched */
			why = GDB_STOP_HWBREAK;
		else if (g->stepping[cpu])
			why = GDB_STOP_STEP;
		else
			return EXIT_CONTINUE; /* nothing we asked for */
	} else {
		return EXIT_CONTINUE;
	}
	/*
	 * Park here. The first vCPU to report wins; another that hit a
	 * breakpoint meanwhile still has its RIP on the int3 (a #BP exit comes
	 * before the trap is taken), so it hits it again once resumed.
	 */
	pthread_mutex_lock(&g->lock);
	if (g->running)
		atomic_store(&v->hold, true);
	if (g->running && g->ev_cpu < 0) {
		g->ev_cpu = (int)cpu;
		g->ev_reason = why;
		uint64_t one = 1;
		if (write(g->wake_fd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; the server wakes anyway */
		}
	}
	pthread_mutex_unlock(&g->lock);
	return EXIT_CONTINUE;
}

/* ---- the connection ---------------------------------------------------------------------- */

static void send_raw(struct gdb_server *g, const char *p, size_t n)
{
	while (n > 0 && g->client_fd >= 0) {
		ssize_t w = send(g->client_fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) { /* gone, or not reading for the send timeout */
			shutdown(g->client_fd, SHUT_RDWR);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void send_reply(struct gdb_server *g)
{
	send_raw(g, g->stub.reply, g->stub.reply_len);
}

static void disconnect(struct gdb_server *g)
{
	release_all(g);
	close(g->client_fd);
	g->client_fd = -1;
}

/* Stop every vCPU and tell gdb why (a vCPU's debug exit, else cpu and reason given). */
static void stop_and_report(struct gdb_server *g, unsigned cpu, enum gdb_stop_reason why)
{
	if (!stop_all(g))
		return;
	pthread_mutex_lock(&g->lock);
	if (g->ev_cpu >= 0) {
		cpu = (unsigned)g->ev_cpu;
		why = g->ev_reason;
	}
	g->ev_cpu = -1;
	g->running = false;
	pthread_mutex_unlock(&g->lock);
	for (unsigned i = 0; i < g->vm->ncpus; i++)
		g->stepping[i] = false;
	struct gdb_regs r;
	/* KVM reports a #BP with RIP on the int3; should one report it past it, step back. */
	if (why == GDB_STOP_SWBREAK && target_get_regs(g, cpu, &r) == 0 &&
	    !gdb_stub_breakpoint_at(&g->stub, cpu, r.rip) &&
	    gdb_stub_breakpoint_at(&g->stub, cpu, r.rip - 1)) {
		r.rip--;
		target_set_regs(g, cpu, &r);
	}
	gdb_stub_stop(&g->stub, cpu, why);
	send_reply(g);
}

static void on_packet(struct gdb_server *g)
{
	send_raw(g, "+", 1);
	/*
	 * In all-stop mode gdb asks nothing while the vCPUs run: a packet now is one it
	 * sent again because our '+' was late. Answering would be taken as the stop reply.
	 */
	if (g->running)
		return;
	switch (gdb_stub_handle(&g->stub, g->stub.rx.buf, g->stub.rx.len)) {
	case GDB_REPLY:
		send_reply(g);
		break;
	case GDB_RESUME:
		resume(g);
		break;
	case GDB_DETACH:
		send_reply(g);
		disconnect(g);
		break;
	case GDB_KILL:
		/* bhyve has no status for this: the VM ends as if powered off. */
		fprintf(stderr, "khyve: the debugger ended the VM\n");
		vm_request_stop(g->vm, KHYVE_EXIT_POWEROFF);
		disconnect(g);
		break;
	}
}

static void on_input(struct gdb_server *g)
{
	uint8_t buf[4096];
	ssize_t n = recv(g->client_fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		disconnect(g);
		return;
	}
	for (ssize_t i = 0; i < n && g->client_fd >= 0; i++) {
		switch (gdb_rx_byte(&g->stub.rx, buf[i])) {
		case GDB_RX_PACKET:
			on_packet(g);
			break;
		case GDB_RX_BAD:
			send_raw(g, "-", 1);
			break;
		case GDB_RX_NAK:
			send_reply(g);
			break;
		case GDB_RX_INTERRUPT:
			if (g->running)
				stop_and_report(g, g->stub.stop_cpu, GDB_STOP_SIGNAL);
			break;
		default:
			break;
		}
	}
}

static void on_accept(struct gdb_server *g)
{
	int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A client that stops reading must not hold up the server (and the teardown) for long. */
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	g->client_fd = fd;
	gdb_stub_reset(&g->stub);
	/* As bhyve: the machine stops when a debugger attaches; '?' then reports vCPU 0. */
	set_running(g, false);
	if (!stop_all(g))
		disconnect(g);
}

static void *server_thread(void *arg)
{
	struct gdb_server *g = arg;
	pthread_setname_np(pthread_self(), "gdb");
	while (!atomic_load(&g->quit)) {
		struct pollfd p[2] = {
		    {.fd = g->client_fd >= 0 ? g->client_fd : g->listen_fd, .events = POLLIN},
		    {.fd = g->wake_fd, .events = POLLIN},
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			uint64_t v;
			if (read(g->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
			if (atomic_load(&g->quit))
				break;
			pthread_mutex_lock(&g->lock);
			bool event = g->running && g->ev_cpu >= 0;
			pthread_mutex_unlock(&g->lock);
			if (event && g->client_fd >= 0)
				stop_and_report(g, 0, GDB_STOP_SIGNAL);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (g->client_fd >= 0)
				on_input(g);
			else
				on_accept(g);
		}
	}
	if (g->client_fd >= 0) {
		close(g->client_fd);
		g->client_fd = -1;
	}
	return NULL;
}

/* ---- setup ------------------------------------------------------------------------------- */

static int listen_on(struct gdb_server *g, const char *addr, const char *port, char *err,
		     size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint16_t p; /* 0: the kernel picks one */
	if (netaddr_port(port, 0, &p) < 0 || netaddr_host(addr, strlen(addr), p, &ss, &len) < 0) {
		snprintf(err, errlen, "debug server %s: expected a numeric address and a port",
			 g->where);
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0) {
		int rc = -errno;
		snprintf(err, errlen, "cannot listen for a debugger on %s: %s", g->where,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	g->listen_fd = fd;
	len = sizeof(ss);
	if (p == 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		/* Port 0: the kernel picked one; say which. */
		unsigned got =
		    ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
		snprintf(g->where, sizeof(g->where), "%s:%u", addr, got);
		fprintf(stderr, "khyve: debug server on %s\n", g->where);
	}
	return 0;
}

int gdb_server_create(struct vm *vm, char *err, size_t errlen)
{
	const char *port = config_get(vm->cfg, "gdb.port");
	const char *addr = config_get(vm->cfg, "gdb.address");
	if (port == NULL)
		return 0;
	if (addr == NULL || *addr == '\0')
		addr = DEFAULT_ADDRESS;
	struct gdb_server *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->vm = vm;
	g->listen_fd = g->client_fd = g->wake_fd = -1;
	g->ev_cpu = -1;
	pthread_mutex_init(&g->lock, NULL);
	vm->gdb = g;
	snprintf(g->where, sizeof(g->where), "%s:%s", addr, port);
	if (config_get_bool(vm->cfg, "gdb.wait", false, &g->wait) < 0) {
		snprintf(err, errlen, "gdb.wait: not a boolean");
		return -EINVAL;
	}
	g->debug = calloc(vm->ncpus, sizeof(*g->debug));
	g->stepping = calloc(vm->ncpus, sizeof(*g->stepping));
	g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->debug == NULL || g->stepping == NULL || g->wake_fd < 0 ||
	    gdb_stub_init(&g->stub, vm->ncpus, &vm->gmem, &kvm_target, g) < 0) {
		snprintf(err, errlen, "cannot set up the debug server: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	g->dbg_caps = kvm_guest_debug_caps(&vm->kvm);
	int rc = listen_on(g, addr, port, err, errlen);
	if (rc < 0)
		return rc;
	/* -G w: no vCPU runs its first instruction before the debugger is there. */
	if (g->wait)
		for (unsigned i = 0; i < vm->ncpus; i++)
			atomic_store(&vm->vcpu[i].hold, true);
	return 0;
}

int gdb_server_start(struct vm *vm)
{
	struct gdb_server *g = vm->gdb;
	if (g == NULL)
		return 0;
	if (g->wait)
		fprintf(stderr, "khyve: waiting for a debugger on %s\n", g->where);
	int rc = pthread_create(&g->thread, NULL, server_thread, g);
	if (rc)
		return -rc;
	g->thread_started = true;
	return 0;
}

void gdb_server_stop(struct vm *vm)
{
	struct gdb_server *g = vm->gdb;
	if (g == NULL || !g->thread_started)
		return;
	atomic_store(&g->quit, true);
	uint64_t one = 1;
	if (write(g->wake_fd, &one, sizeof(one)) < 0) {
		/* the server polls this descriptor; a full counter wakes it as well */
	}
	pthread_join(g->thread, NULL);
	g->thread_started = false;
}

void gdb_server_free(struct vm *vm)
{
	struct gdb_server *g = vm->gdb;
	if (g == NULL)
		return;
	gdb_server_stop(vm);
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	gdb_stub_fini(&g->stub);
	free(g->debug);
	free(g->stepping);
	pthread_mutex_destroy(&g->lock);
	free(g);
	vm->gdb = NULL;
}
