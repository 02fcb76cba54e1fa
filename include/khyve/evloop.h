/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's event loop: file-descriptor readiness delivered to callbacks on
 * one thread. It runs on io_uring (poll requests); where io_uring cannot be
 * set up (old kernel, disabled by sysctl or seccomp) it falls back to poll(2).
 * All functions but evloop_new/evloop_free are for the loop's own thread.
 */
#ifndef KHYVE_EVLOOP_H
#define KHYVE_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

/* Descriptors a loop watches at most (a virtio-net with 16 queue pairs alone has 50). */
#define EVLOOP_MAX_FDS 256

struct evloop;
struct ev_fd;

typedef void (*ev_fd_fn)(void *arg);

/* force_poll: skip io_uring (tests, and the fallback path). */
int evloop_new(struct evloop **out, bool force_poll);
void evloop_free(struct evloop *l);
bool evloop_uses_io_uring(const struct evloop *l);

/* Call fn whenever fd is readable. NULL on allocation failure. */
struct ev_fd *evloop_add_fd(struct evloop *l, int fd, ev_fd_fn fn, void *arg);
/*
 * fd is a non-blocking eventfd: the loop resets its count before each call of
 * fn, which does not read it (on io_uring the read is the request that waits,
 * so a wake-up costs no read(2) of its own).
 */
struct ev_fd *evloop_add_counter(struct evloop *l, int fd, ev_fd_fn fn, void *arg);
void evloop_fd_pause(struct ev_fd *e);
/* Watch another descriptor with the same callback; only while paused. */
void evloop_fd_set(struct ev_fd *e, int fd);
void evloop_fd_resume(struct ev_fd *e);

/*
 * Pollers: work the loop looks for itself, without a descriptor (a virtqueue
 * whose driver is told not to kick, a completion ring). After each piece of
 * work the loop keeps calling poll() for up to a polling window, then asks
 * every poller to sleep() and blocks. The window adapts between 0 and
 * poll_max as QEMU's AioContext does: it grows while the work that woke the
 * loop came within poll_max of the last work, and shrinks when it came later.
 *
 * poll(): do what is there; true when something was found.
 * sleep(): before the loop blocks: turn the poller's notifications back on
 *          (kicks, completion eventfds); true when work arrived meanwhile,
 *          and the loop polls on instead of blocking.
 */
struct ev_poller_ops {
	bool (*poll)(void *arg);
	bool (*sleep)(void *arg);
};
#define EVLOOP_MAX_POLLERS 32
/* 0, -ENOSPC (EVLOOP_MAX_POLLERS), -EINVAL (a NULL callback). */
int evloop_add_poller(struct evloop *l, const struct ev_poller_ops *ops, void *arg);
/* The longest polling window, in ns (0: pollers are run once after each wake-up). */
void evloop_set_poll_max(struct evloop *l, uint64_t ns);

struct evloop_stats {
	uint64_t blocks;      /* times the loop blocked waiting for a descriptor */
	uint64_t poll_hits;   /* poller rounds that found work */
	uint64_t poll_ns;     /* the current polling window */
};
void evloop_get_stats(const struct evloop *l, struct evloop_stats *st);
/*
 * The clock pollers use: monotonic ns, without a system call on x86 once a
 * polling window was set (the TSC, see evloop.c); never 0.
 */
uint64_t evloop_now_ns(void);

/* Dispatch until evloop_stop(); 0 or -errno. */
int evloop_run(struct evloop *l);
void evloop_stop(struct evloop *l);

#endif
