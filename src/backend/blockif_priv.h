/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the block backend: the state both engines share, the request
 * "rounds" both run (one system call each), and the thread pool's entry
 * points for blockif.c.
 */
#ifndef KHYVE_BLOCKIF_PRIV_H
#define KHYVE_BLOCKIF_PRIV_H

#include <liburing.h>
#include <stdatomic.h>

#include "khyve/blockif.h"

/* An O_DIRECT bounce buffer holds at most this much; larger requests take several rounds. */
#define BLOCKIF_BOUNCE_MAX (1u << 20)
/* Rounds that failed with EAGAIN or EINTR and were tried again, at most. */
#define BLOCKIF_RETRIES 8

struct blockif_pool;
struct ev_fd;

/* A singly linked list of requests through priv.next. */
struct blockif_list {
	struct blockif_req *head, **tail;
};

struct blockif {
	char *path;
	int fd;	 /* the image; fixed file 0 */
	int bfd; /* nocache: the image without O_DIRECT, for unaligned offsets; fixed file 1 */
	uint64_t size;
	unsigned lsector;
	bool ro, nocache, blkdev, can_discard, can_zero;
	unsigned mem_align, off_align; /* O_DIRECT: buffer address; offset and length */
	_Atomic bool zero_by_punch;    /* ZERO_RANGE is unsupported: punch holes instead */

	struct evloop *loop;
	struct ev_fd *ev;
	int efd; /* completions: io_uring's eventfd, written by pool threads too */

	/* Loop thread only. */
	unsigned depth, inflight;    /* accepted by blockif_queue and not yet completed */
	unsigned epoch;		     /* bumped by blockif_cancel_all */
	struct blockif_list pending; /* queued, not submitted */
	struct blockif_list failed;  /* failed while being submitted: done() on the loop */

	bool uring;
	bool polling; /* blockif_poll: completions are reaped without the eventfd */
	struct io_uring ring;
	unsigned sq_inflight; /* SQEs in the ring or in the kernel */

	struct blockif_pool *pool; /* the thread engine, or io_uring's helper for BLKDISCARD */
};

/* One system call of a request. */
enum blockif_kind { RK_READV, RK_WRITEV, RK_FSYNC, RK_FALLOCATE, RK_BLKDISCARD };
struct blockif_round {
	enum blockif_kind kind;
	int fidx; /* 0: b->fd, 1: b->bfd */
	const struct iovec *iov;
	unsigned niov;
	uint64_t off, len; /* FALLOCATE, BLKDISCARD */
	int mode;	   /* FALLOCATE */
	int rwflags;	   /* WRITEV: RWF_DSYNC */
};

static inline void blockif_list_init(struct blockif_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static inline void blockif_list_add(struct blockif_list *l, struct blockif_req *r)
{
	r->priv.next = NULL;
	*l->tail = r;
	l->tail = &r->priv.next;
}

/* Move all of src to the end of dst. */
static inline void blockif_list_splice(struct blockif_list *dst, struct blockif_list *src)
{
	if (src->head == NULL)
		return;
	*dst->tail = src->head;
	dst->tail = src->tail;
	blockif_list_init(src);
}

/* The next round of r (any thread). 0, or -ENOMEM (no bounce buffer). */
int blockif_round_prepare(struct blockif *b, struct blockif_req *r, struct blockif_round *rd);
/*
 * A round ended with res (bytes or -errno). Returns true when r needs
 * another round; false when it is finished (priv.res set, bounce freed).
 */
bool blockif_round_done(struct blockif *b, struct blockif_req *r, int res);
/* Release what a request holds when it is dropped unfinished. */
void blockif_req_drop(struct blockif_req *r);
/* Wake the loop thread's completion handler. */
void blockif_kick(struct blockif *b);

/* blockif_threads.c: a pool of nthreads workers running whole requests. */
int blockif_pool_start(struct blockif *b, unsigned nthreads);
void blockif_pool_stop(struct blockif *b);
/* Hand the requests over (they run in order of submission, several at once). */
void blockif_pool_submit(struct blockif *b, struct blockif_list *l);
/* Take the finished requests. */
void blockif_pool_take(struct blockif *b, struct blockif_list *out);
/* Drop the requests not started; wait for the running ones; drop every completion. */
void blockif_pool_cancel(struct blockif *b);

#endif
