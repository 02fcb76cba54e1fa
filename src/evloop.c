// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/evloop.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#define EVLOOP_RING_ENTRIES 64
/* The polling window starts at this when it first grows, and drops to 0 below it. */
#define POLL_START_NS 4000u

struct ev_fd {
	struct evloop *loop;
	int fd;
	ev_fd_fn fn;
	void *arg;
	bool paused;
	bool counter;	   /* an eventfd the loop reads before fn runs (evloop_add_counter) */
	bool read_polled;  /* a counter the kernel would not read asynchronously: polled */
	bool held;	   /* a counter's read completed while paused: signalled again on resume */
	uint64_t count;	   /* io_uring: what the armed read of a counter got */
	unsigned inflight; /* io_uring: armed poll or read requests not yet completed */
};

static void calibrate(void);

struct poller {
	const struct ev_poller_ops *ops;
	void *arg;
};

struct evloop {
	bool uring;
	bool stop;
	struct io_uring ring;
	struct ev_fd *fds[EVLOOP_MAX_FDS];
	unsigned nfds;
	struct poller pollers[EVLOOP_MAX_POLLERS];
	unsigned npollers;
	uint64_t poll_max; /* ns */
	struct evloop_stats st;
};

int evloop_new(struct evloop **out, bool force_poll)
{
	struct evloop *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	if (!force_poll && io_uring_queue_init(EVLOOP_RING_ENTRIES, &l->ring, 0) == 0)
		l->uring = true;
	*out = l;
	return 0;
}

static bool any_inflight(const struct evloop *l)
{
	for (unsigned i = 0; i < l->nfds; i++)
		if (l->fds[i]->inflight)
			return true;
	return false;
}

/*
 * Each armed request holds its descriptor's file, and a closed ring lets go
 * of them in the background: a tap, say, would outlive the VMM for a moment.
 * So end them first: cancel each, and count the completions in (100 ms at most).
 */
static void end_requests(struct evloop *l)
{
	for (unsigned i = 0; i < l->nfds; i++) {
		struct ev_fd *e = l->fds[i];
		if (e->inflight && !e->paused)
			evloop_fd_pause(e);
	}
	for (unsigned tries = 0; tries < 10 && any_inflight(l); tries++) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_nsec = 10 * 1000 * 1000};
		(void)io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&l->ring, head, cqe)
		{
			seen++;
			struct ev_fd *e = io_uring_cqe_get_data(cqe);
			if (e && e->inflight && !(cqe->flags & IORING_CQE_F_MORE))
				e->inflight--;
		}
		io_uring_cq_advance(&l->ring, seen);
	}
}

void evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	if (l->uring) {
		end_requests(l);
		io_uring_queue_exit(&l->ring);
	}
	for (unsigned i = 0; i < l->nfds; i++)
		free(l->fds[i]);
	free(l);
}

bool evloop_uses_io_uring(const struct evloop *l)
{
	return l->uring;
}

static struct io_uring_sqe *get_sqe(struct evloop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	if (sqe == NULL) { /* ring full: flush what is queued and retry once */
		io_uring_submit(&l->ring);
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

static void arm(struct ev_fd *e)
{
	struct io_uring_sqe *sqe = get_sqe(e->loop);
	if (sqe == NULL)
		return;
	if (e->counter && !e->read_polled) {
		/*
		 * A read that completes when the eventfd is signalled resets its
		 * count in the same step: no read(2) of its own after each wake-up.
		 */
		io_uring_prep_read(sqe, e->fd, &e->count, sizeof(e->count), 0);
	} else {
		/*
		 * One-shot, re-armed after each delivery: arming checks readiness, so
		 * data a callback left unread is reported again (level-triggered, like
		 * the poll(2) fallback). Multishot poll only reports new arrivals.
		 */
		io_uring_prep_poll_add(sqe, e->fd, POLLIN);
	}
	io_uring_sqe_set_data(sqe, e);
	e->inflight++;
}

static struct ev_fd *add(struct evloop *l, int fd, ev_fd_fn fn, void *arg, bool counter)
{
	if (l->nfds == EVLOOP_MAX_FDS)
		return NULL;
	struct ev_fd *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	*e = (struct ev_fd){.loop = l, .fd = fd, .fn = fn, .arg = arg, .counter = counter};
	l->fds[l->nfds++] = e;
	if (l->uring)
		arm(e);
	return e;
}

struct ev_fd *evloop_add_fd(struct evloop *l, int fd, ev_fd_fn fn, void *arg)
{
	return add(l, fd, fn, arg, false);
}

struct ev_fd *evloop_add_counter(struct evloop *l, int fd, ev_fd_fn fn, void *arg)
{
	return add(l, fd, fn, arg, true);
}

/* A polled counter was readable: reset it; false when another reader got there first. */
static bool take_count(struct ev_fd *e)
{
	eventfd_t v;
	return !e->counter || eventfd_read(e->fd, &v) == 0;
}

void evloop_fd_pause(struct ev_fd *e)
{
	if (e->paused)
		return;
	e->paused = true;
	if (e->loop->uring && e->inflight) {
		struct io_uring_sqe *sqe = get_sqe(e->loop);
		if (sqe) {
			if (e->counter && !e->read_polled)
				io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)e, 0);
			else
				io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)e);
			io_uring_sqe_set_data(sqe, NULL);
		}
	}
}

void evloop_fd_set(struct ev_fd *e, int fd)
{
	if (e->paused)
		e->fd = fd;
}

void evloop_fd_resume(struct ev_fd *e)
{
	if (!e->paused)
		return;
	e->paused = false;
	if (e->held) {
		/* The signal the read took while paused: the armed read finds it again. */
		e->held = false;
		(void)eventfd_write(e->fd, 1);
	}
	/* If the cancelled poll has not finished yet, its completion re-arms. */
	if (e->loop->uring && e->inflight == 0)
		arm(e);
}

void evloop_stop(struct evloop *l)
{
	l->stop = true;
}

int evloop_add_poller(struct evloop *l, const struct ev_poller_ops *ops, void *arg)
{
	if (ops == NULL || ops->poll == NULL || ops->sleep == NULL)
		return -EINVAL;
	if (l->npollers == EVLOOP_MAX_POLLERS)
		return -ENOSPC;
	l->pollers[l->npollers++] = (struct poller){.ops = ops, .arg = arg};
	return 0;
}

void evloop_set_poll_max(struct evloop *l, uint64_t ns)
{
	if (ns)
		calibrate();
	l->poll_max = ns;
	if (l->st.poll_ns > ns)
		l->st.poll_ns = ns;
}

void evloop_get_stats(const struct evloop *l, struct evloop_stats *st)
{
	*st = l->st;
}

static uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The polling loop reads the time on every round. clock_gettime is a system
 * call where the kernel's clocksource has no vDSO reader (hpet, acpi_pm: a
 * nested or emulated host), so on x86 the loop counts TSC ticks instead,
 * scaled by a rate measured once over 2 ms.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static uint64_t tsc_per_ms; /* 0: not measured (or no usable TSC) */

static void calibrate(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	uint64_t n0 = clock_ns(), t0 = __rdtsc();
	struct timespec d = {0, 2000000};
	nanosleep(&d, NULL);
	uint64_t n1 = clock_ns(), t1 = __rdtsc();
	if (t1 > t0 && n1 > n0)
		tsc_per_ms = (t1 - t0) * 1000000 / (n1 - n0);
}

static uint64_t now_ns(void)
{
	if (tsc_per_ms == 0)
		return clock_ns();
	return (uint64_t)((unsigned __int128)__rdtsc() * 1000000 / tsc_per_ms);
}
#else
static void calibrate(void)
{
}
static uint64_t now_ns(void)
{
	return clock_ns();
}
#endif

/*
 * The loop blocked and was woken after `idle` ns without work: a wake-up
 * within poll_max would have been caught by a longer window (grow it), one
 * after poll_max by none (shrink it).
 */
static void adapt(struct evloop *l, uint64_t idle)
{
	uint64_t w = l->st.poll_ns;
	if (idle <= w)
		return;
	if (idle > l->poll_max)
		w = w / 2 < POLL_START_NS ? 0 : w / 2;
	else
		w = w ? w * 2 : POLL_START_NS;
	l->st.poll_ns = w < l->poll_max ? w : l->poll_max;
}

/* io_uring: submit the armed polls, wait for a completion if `block`, deliver. */
static int step_uring(struct evloop *l, bool block, bool *worked)
{
	int rc = 0;
	if (block)
		rc = io_uring_submit_and_wait(&l->ring, 1);
	else if (io_uring_sq_ready(&l->ring) > 0)
		rc = io_uring_submit(&l->ring);
	if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
		return rc;
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	io_uring_for_each_cqe(&l->ring, head, cqe)
	{
		seen++;
		struct ev_fd *e = io_uring_cqe_get_data(cqe);
		if (e == NULL)
			continue; /* a poll-remove's own completion */
		if (!(cqe->flags & IORING_CQE_F_MORE))
			e->inflight--;
		bool polled = !e->counter || e->read_polled;
		if (cqe->res == -EAGAIN && !polled) {
			/* A kernel that does not wait in the read: poll it, read it here. */
			e->read_polled = true;
		} else if (cqe->res < 0 && cqe->res != -ECANCELED) {
			/* A descriptor the kernel refuses to poll stays refused: stop watching it. */
			e->paused = true;
		}
		if (cqe->res > 0 && e->paused && !polled)
			e->held = true;
		if (cqe->res > 0 && !e->paused && (!polled || take_count(e))) {
			e->fn(e->arg);
			*worked = true;
		}
		/* The callback may have paused the fd, or drained it: re-arm only if live. */
		if (!e->paused && e->inflight == 0)
			arm(e);
		if (l->stop)
			break;
	}
	io_uring_cq_advance(&l->ring, seen);
	return 0;
}

/* poll(2): the same, one system call a step (the fallback when io_uring is unavailable). */
static int step_poll(struct evloop *l, bool block, bool *worked)
{
	struct pollfd pfd[EVLOOP_MAX_FDS];
	struct ev_fd *map[EVLOOP_MAX_FDS];
	nfds_t n = 0;
	for (unsigned i = 0; i < l->nfds; i++) {
		if (l->fds[i]->paused)
			continue;
		pfd[n] = (struct pollfd){.fd = l->fds[i]->fd, .events = POLLIN};
		map[n++] = l->fds[i];
	}
	int rc = poll(pfd, n, block ? -1 : 0);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	for (nfds_t i = 0; i < n && !l->stop; i++) {
		if (pfd[i].revents & POLLNVAL) {
			map[i]->paused = true; /* not an open descriptor: stop watching */
		} else if (pfd[i].revents && !map[i]->paused && take_count(map[i])) {
			map[i]->fn(map[i]->arg);
			*worked = true;
		}
	}
	return 0;
}

uint64_t evloop_now_ns(void)
{
	return now_ns() | 1;
}

static bool run_pollers(struct evloop *l)
{
	bool found = false;
	for (unsigned i = 0; i < l->npollers && !l->stop; i++)
		found |= l->pollers[i].ops->poll(l->pollers[i].arg);
	if (found)
		l->st.poll_hits++;
	return found;
}

/* Every poller sleeps (notifications on); true when one found work meanwhile. */
static bool sleep_pollers(struct evloop *l)
{
	bool found = false;
	for (unsigned i = 0; i < l->npollers; i++)
		found |= l->pollers[i].ops->sleep(l->pollers[i].arg);
	return found;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

int evloop_run(struct evloop *l)
{
	l->stop = false;
	bool block = true;
	uint64_t last = now_ns(); /* when work was last found */
	while (!l->stop) {
		bool worked = false;
		int rc = l->uring ? step_uring(l, block, &worked) : step_poll(l, block, &worked);
		if (rc < 0)
			return rc;
		if (l->npollers == 0 || l->stop)
			continue; /* block stays true */
		uint64_t t = now_ns();
		if (block) {
			l->st.blocks++;
			adapt(l, t - last);
		}
		worked |= run_pollers(l);
		if (worked) {
			last = t;
			block = false;
		} else if (t - last < l->st.poll_ns) {
			block = false;
			cpu_relax();
		} else {
			/* Notifications on; work that slipped in meanwhile is polled for first. */
			block = !sleep_pollers(l);
		}
	}
	return 0;
}
