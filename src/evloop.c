// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/evloop.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EVLOOP_RING_ENTRIES 64

struct ev_fd {
	struct evloop *loop;
	int fd;
	ev_fd_fn fn;
	void *arg;
	bool paused;
	unsigned inflight; /* io_uring: armed poll requests not yet completed */
};

struct evloop {
	bool uring;
	bool stop;
	struct io_uring ring;
	struct ev_fd *fds[EVLOOP_MAX_FDS];
	unsigned nfds;
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

void evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	if (l->uring)
		io_uring_queue_exit(&l->ring);
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
	/*
	 * One-shot, re-armed after each delivery: arming checks readiness, so
	 * data a callback left unread is reported again (level-triggered, like
	 * the poll(2) fallback). Multishot poll only reports new arrivals.
	 */
	io_uring_prep_poll_add(sqe, e->fd, POLLIN);
	io_uring_sqe_set_data(sqe, e);
	e->inflight++;
}

struct ev_fd *evloop_add_fd(struct evloop *l, int fd, ev_fd_fn fn, void *arg)
{
	if (l->nfds == EVLOOP_MAX_FDS)
		return NULL;
	struct ev_fd *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	*e = (struct ev_fd){.loop = l, .fd = fd, .fn = fn, .arg = arg};
	l->fds[l->nfds++] = e;
	if (l->uring)
		arm(e);
	return e;
}

void evloop_fd_pause(struct ev_fd *e)
{
	if (e->paused)
		return;
	e->paused = true;
	if (e->loop->uring && e->inflight) {
		struct io_uring_sqe *sqe = get_sqe(e->loop);
		if (sqe) {
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
	/* If the cancelled poll has not finished yet, its completion re-arms. */
	if (e->loop->uring && e->inflight == 0)
		arm(e);
}

void evloop_stop(struct evloop *l)
{
	l->stop = true;
}

static int run_uring(struct evloop *l)
{
	while (!l->stop) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_submit_and_wait(&l->ring, 1);
		if (rc < 0 && rc != -EINTR)
			return rc;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&l->ring, head, cqe)
		{
			seen++;
			struct ev_fd *e = io_uring_cqe_get_data(cqe);
			if (e == NULL)
				continue; /* a poll-remove's own completion */
			if (!(cqe->flags & IORING_CQE_F_MORE))
				e->inflight--;
			/* A descriptor the kernel refuses to poll stays refused: stop watching it. */
			if (cqe->res < 0 && cqe->res != -ECANCELED)
				e->paused = true;
			if (cqe->res > 0 && !e->paused)
				e->fn(e->arg);
			/* The callback may have paused the fd, or drained it: re-arm only if live. */
			if (!e->paused && e->inflight == 0)
				arm(e);
			if (l->stop)
				break;
		}
		io_uring_cq_advance(&l->ring, seen);
	}
	return 0;
}

static int run_poll(struct evloop *l)
{
	struct pollfd pfd[EVLOOP_MAX_FDS];
	struct ev_fd *map[EVLOOP_MAX_FDS];
	while (!l->stop) {
		nfds_t n = 0;
		for (unsigned i = 0; i < l->nfds; i++) {
			if (l->fds[i]->paused)
				continue;
			pfd[n] = (struct pollfd){.fd = l->fds[i]->fd, .events = POLLIN};
			map[n++] = l->fds[i];
		}
		int rc = poll(pfd, n, -1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (nfds_t i = 0; i < n && !l->stop; i++) {
			if (pfd[i].revents & POLLNVAL)
				map[i]->paused = true; /* not an open descriptor: stop watching */
			else if (pfd[i].revents && !map[i]->paused)
				map[i]->fn(map[i]->arg);
		}
	}
	return 0;
}

int evloop_run(struct evloop *l)
{
	l->stop = false;
	return l->uring ? run_uring(l) : run_poll(l);
}
