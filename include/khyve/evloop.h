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
void evloop_fd_pause(struct ev_fd *e);
/* Watch another descriptor with the same callback; only while paused. */
void evloop_fd_set(struct ev_fd *e, int fd);
void evloop_fd_resume(struct ev_fd *e);

/* Dispatch until evloop_stop(); 0 or -errno. */
int evloop_run(struct evloop *l);
void evloop_stop(struct evloop *l);

#endif
