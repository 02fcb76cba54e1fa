// SPDX-License-Identifier: BSD-2-Clause
/*
 * The block backend's thread engine: workers run whole requests with plain
 * system calls, one round at a time (blockif_round_prepare/_done, the same
 * rounds io_uring runs), and hand finished requests back to the loop thread
 * through a list and the backend's eventfd: one completion path for both
 * engines. io_uring uses one worker for what it cannot do (BLKDISCARD).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blockif_priv.h"

#define POOL_MAX_THREADS 8

struct blockif_pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* work arrived, or stop */
	pthread_cond_t idle_cv; /* a worker finished a request */
	struct blockif_list work, done;
	unsigned busy; /* requests a worker has taken and not finished */
	bool stop;
	unsigned nthreads;
	pthread_t th[POOL_MAX_THREADS];
	struct blockif *b;
};

static int run_round(struct blockif *b, const struct blockif_round *rd)
{
	int fd = rd->fidx ? b->bfd : b->fd;
	ssize_t n;
	switch (rd->kind) {
	case RK_READV:
		n = preadv(fd, rd->iov, (int)rd->niov, (off_t)rd->off);
		break;
	case RK_WRITEV:
		n = pwritev2(fd, rd->iov, (int)rd->niov, (off_t)rd->off, rd->rwflags);
		break;
	case RK_FSYNC:
		n = fdatasync(fd);
		break;
	case RK_FALLOCATE:
		n = fallocate(fd, rd->mode, (off_t)rd->off, (off_t)rd->len);
		break;
	case RK_BLKDISCARD: {
		uint64_t range[2] = {rd->off, rd->len};
		n = ioctl(fd, BLKDISCARD, range);
		break;
	}
	default:
		return -EINVAL;
	}
	return n < 0 ? -errno : (int)n;
}

static void run_request(struct blockif *b, struct blockif_req *r)
{
	struct blockif_round rd;
	for (;;) {
		int rc = blockif_round_prepare(b, r, &rd);
		if (rc < 0) {
			blockif_round_done(b, r, rc);
			return;
		}
		if (!blockif_round_done(b, r, run_round(b, &rd)))
			return;
	}
}

static void *worker(void *arg)
{
	struct blockif_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->work.head == NULL)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stop)
			break;
		struct blockif_req *r = p->work.head;
		p->work.head = r->priv.next;
		if (p->work.head == NULL)
			p->work.tail = &p->work.head;
		p->busy++;
		pthread_mutex_unlock(&p->mu);

		run_request(p->b, r);

		pthread_mutex_lock(&p->mu);
		p->busy--;
		blockif_list_add(&p->done, r);
		pthread_cond_broadcast(&p->idle_cv);
		/* The eventfd outlives the workers: blockif_close() joins them first. */
		blockif_kick(p->b);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int blockif_pool_start(struct blockif *b, unsigned nthreads)
{
	struct blockif_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->b = b;
	blockif_list_init(&p->work);
	blockif_list_init(&p->done);
	if (nthreads > POOL_MAX_THREADS)
		nthreads = POOL_MAX_THREADS;
	int rc = -pthread_mutex_init(&p->mu, NULL);
	if (rc == 0 && (rc = -pthread_cond_init(&p->work_cv, NULL)) < 0)
		pthread_mutex_destroy(&p->mu);
	if (rc == 0 && (rc = -pthread_cond_init(&p->idle_cv, NULL)) < 0) {
		pthread_cond_destroy(&p->work_cv);
		pthread_mutex_destroy(&p->mu);
	}
	if (rc < 0) {
		free(p);
		return rc;
	}
	b->pool = p;
	/*
	 * Workers take no signals: the main thread reads them from a signalfd,
	 * and a process-directed SIGTERM must not kill the VMM through a worker.
	 */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < nthreads; i++) {
		rc = -pthread_create(&p->th[i], NULL, worker, p);
		if (rc < 0)
			break;
		pthread_setname_np(p->th[i], "blockif");
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		blockif_pool_stop(b);
		return rc;
	}
	return 0;
}

void blockif_pool_stop(struct blockif *b)
{
	struct blockif_pool *p = b->pool;
	if (p == NULL)
		return;
	blockif_pool_cancel(b);
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->idle_cv);
	pthread_cond_destroy(&p->work_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	b->pool = NULL;
}

void blockif_pool_submit(struct blockif *b, struct blockif_list *l)
{
	struct blockif_pool *p = b->pool;
	if (l->head == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	blockif_list_splice(&p->work, l);
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

void blockif_pool_take(struct blockif *b, struct blockif_list *out)
{
	struct blockif_pool *p = b->pool;
	pthread_mutex_lock(&p->mu);
	blockif_list_splice(out, &p->done);
	pthread_mutex_unlock(&p->mu);
}

void blockif_pool_cancel(struct blockif *b)
{
	struct blockif_pool *p = b->pool;
	pthread_mutex_lock(&p->mu);
	/* Not started: nothing touched them. */
	blockif_list_init(&p->work);
	/* Running: their buffers are in use until the workers let go. */
	while (p->busy)
		pthread_cond_wait(&p->idle_cv, &p->mu);
	/* Finished ones hold nothing (round_done freed their bounce buffers). */
	blockif_list_init(&p->done);
	pthread_mutex_unlock(&p->mu);
}
