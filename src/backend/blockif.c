// SPDX-License-Identifier: BSD-2-Clause
/*
 * Block backend: opening the image, checking requests, the rounds both
 * engines run, the io_uring engine and the one completion path.
 *
 * A request runs as rounds of one system call each: a READ or WRITE that
 * comes back short continues from where it stopped, one through an O_DIRECT
 * bounce buffer moves at most BLOCKIF_BOUNCE_MAX per round. io_uring runs a
 * round per SQE and starts the next from the completion handler; a pool
 * thread runs the rounds back to back. Either way the finished request ends
 * up on the loop thread, in on_event(), which calls done().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockif_priv.h"
#include "khyve/evloop.h"
#include "khyve/uring.h"

#define POOL_THREADS 4

/* ---- iovec helpers ---- */

/* Where byte pos of the iovecs lies: iovec *idx, *skip bytes into it. */
static void iov_locate(const struct iovec *iov, unsigned niov, uint64_t pos, unsigned *idx,
		       size_t *skip)
{
	unsigned i = 0;
	while (i < niov && pos >= iov[i].iov_len) {
		pos -= iov[i].iov_len;
		i++;
	}
	*idx = i;
	*skip = (size_t)pos;
}

/* Copy len bytes between buf and the iovecs from byte pos on (to_iov: into the iovecs). */
static void iov_copy(const struct iovec *iov, unsigned niov, uint64_t pos, void *buf, size_t len,
		     bool to_iov)
{
	unsigned i;
	size_t skip;
	iov_locate(iov, niov, pos, &i, &skip);
	for (uint8_t *p = buf; len > 0 && i < niov; i++, skip = 0) {
		size_t n = iov[i].iov_len - skip;
		if (n > len)
			n = len;
		uint8_t *base = (uint8_t *)iov[i].iov_base + skip;
		if (buf == NULL)
			memset(base, 0, n);
		else if (to_iov)
			memcpy(base, p, n);
		else
			memcpy(p, base, n);
		if (p != NULL)
			p += n;
		len -= n;
	}
}

static bool iov_aligned(const struct iovec *iov, unsigned niov, unsigned mem, unsigned len)
{
	for (unsigned i = 0; i < niov; i++)
		if (((uintptr_t)iov[i].iov_base & (mem - 1)) || (iov[i].iov_len & (len - 1)))
			return false;
	return true;
}

/* ---- rounds (any thread) ---- */

static int prepare_rw(struct blockif *b, struct blockif_req *r, struct blockif_round *rd)
{
	struct blockif_req_priv *p = &r->priv;
	uint64_t rem = p->total - p->done;
	unsigned idx;
	size_t skip;

	rd->kind = r->op == BLOCKIF_READ ? RK_READV : RK_WRITEV;
	rd->rwflags = r->op == BLOCKIF_WRITE && r->dsync ? RWF_DSYNC : 0;
	rd->off = r->offset + p->done;
	iov_locate(r->iov, r->niov, p->done, &idx, &skip);
	if (skip) { /* a short transfer stopped inside iovec idx: its rest first */
		p->part.iov_base = (uint8_t *)r->iov[idx].iov_base + skip;
		p->part.iov_len = r->iov[idx].iov_len - skip;
		rd->iov = &p->part;
		rd->niov = 1;
	} else {
		rd->iov = r->iov + idx;
		rd->niov = r->niov - idx;
	}
	p->bounced = false;
	if (!b->nocache)
		return 0;
	/*
	 * O_DIRECT wants the offset and every length in units of off_align and
	 * every buffer on a mem_align boundary. An unaligned offset or length
	 * goes through the page cache (the second descriptor): a read-modify-
	 * write of the blocks around it here would race with the other requests
	 * in flight, while the page cache serialises sub-block updates and the
	 * kernel keeps it coherent with direct I/O on the same file. Unaligned
	 * buffers only are copied through an aligned bounce buffer.
	 */
	if (p->buffered || ((rd->off | rem) & (b->off_align - 1))) {
		rd->fidx = 1;
		return 0;
	}
	if (iov_aligned(rd->iov, rd->niov, b->mem_align, b->off_align))
		return 0;
	uint64_t chunk = rem < BLOCKIF_BOUNCE_MAX ? rem : BLOCKIF_BOUNCE_MAX;
	if (p->bounce == NULL) {
		size_t size = p->total < BLOCKIF_BOUNCE_MAX ? p->total : BLOCKIF_BOUNCE_MAX;
		size_t align = b->mem_align < 4096 ? 4096 : b->mem_align;
		if (posix_memalign(&p->bounce, align, size) != 0) {
			p->bounce = NULL;
			return -ENOMEM;
		}
	}
	if (r->op == BLOCKIF_WRITE)
		iov_copy(r->iov, r->niov, p->done, p->bounce, chunk, false);
	p->part.iov_base = p->bounce;
	p->part.iov_len = chunk;
	p->round = (uint32_t)chunk;
	p->bounced = true;
	rd->iov = &p->part;
	rd->niov = 1;
	return 0;
}

int blockif_round_prepare(struct blockif *b, struct blockif_req *r, struct blockif_round *rd)
{
	memset(rd, 0, sizeof(*rd));
	switch (r->op) {
	case BLOCKIF_READ:
	case BLOCKIF_WRITE:
		return prepare_rw(b, r, rd);
	case BLOCKIF_FLUSH:
		rd->kind = RK_FSYNC;
		return 0;
	case BLOCKIF_DISCARD:
		rd->off = r->offset;
		rd->len = r->len;
		if (b->blkdev) {
			rd->kind = RK_BLKDISCARD;
		} else {
			rd->kind = RK_FALLOCATE;
			rd->mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		}
		return 0;
	case BLOCKIF_WRITE_ZEROES:
		rd->kind = RK_FALLOCATE;
		rd->off = r->offset;
		rd->len = r->len;
		/* KEEP_SIZE either way: the image never grows (BAD-INPUTS B1). */
		rd->mode = (r->priv.punch ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
			   FALLOC_FL_KEEP_SIZE;
		return 0;
	}
	return -EINVAL;
}

static bool finish(struct blockif_req *r, int res)
{
	free(r->priv.bounce);
	r->priv.bounce = NULL;
	r->priv.res = res;
	return false;
}

static bool rw_done(struct blockif *b, struct blockif_req *r, int res)
{
	struct blockif_req_priv *p = &r->priv;
	uint64_t rem = p->total - p->done;
	if ((res == -EAGAIN || res == -EINTR) && p->retries < BLOCKIF_RETRIES) {
		p->retries++;
		return true;
	}
	/* Alignment guessed wrong (no STATX_DIOALIGN): the page cache takes the rest. */
	if (res == -EINVAL && b->nocache && !p->buffered) {
		p->buffered = true;
		return true;
	}
	if (res < 0)
		return finish(r, res);
	if ((uint64_t)res > (p->bounced ? p->round : rem))
		return finish(r, -EIO);
	if (res == 0 && rem > 0) {
		if (r->op == BLOCKIF_WRITE)
			return finish(r, -EIO);
		/* End of file: the image shrank under us; what is not there reads as zeros. */
		iov_copy(r->iov, r->niov, p->done, NULL, (size_t)rem, true);
		res = (int)rem;
	} else if (p->bounced && r->op == BLOCKIF_READ) {
		iov_copy(r->iov, r->niov, p->done, p->bounce, (size_t)res, true);
	}
	p->done += (uint64_t)res;
	if (p->done < p->total)
		return true;
	return finish(r, (int)p->total);
}

bool blockif_round_done(struct blockif *b, struct blockif_req *r, int res)
{
	switch (r->op) {
	case BLOCKIF_READ:
	case BLOCKIF_WRITE:
		return rw_done(b, r, res);
	case BLOCKIF_WRITE_ZEROES:
		/* tmpfs and others have no ZERO_RANGE; a punched hole reads as zeros too. */
		if (res == -EOPNOTSUPP && !r->priv.punch && !b->blkdev && b->can_discard) {
			atomic_store(&b->zero_by_punch, true);
			r->priv.punch = true;
			return true;
		}
		return finish(r, res < 0 ? res : 0);
	default:
		return finish(r, res < 0 ? res : 0);
	}
}

void blockif_req_drop(struct blockif_req *r)
{
	free(r->priv.bounce);
	r->priv.bounce = NULL;
}

void blockif_kick(struct blockif *b)
{
	uint64_t one = 1;
	/* Only fails when the counter is about to overflow: then it is set anyway. */
	if (write(b->efd, &one, sizeof(one)) < 0)
		return;
}

/* ---- io_uring engine (loop thread) ---- */

static int uring_setup(struct blockif *b, char *why, size_t whylen)
{
	int files[2] = {b->fd, b->bfd};
	/* Only the operations blockif uses, only on the registered image. */
	static const uint8_t ops[] = {IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
				      IORING_OP_FALLOCATE};
	int rc = uring_setup_restricted(&b->ring, b->depth, files, b->bfd >= 0 ? 2 : 1, b->efd, ops,
					sizeof(ops), why, whylen);
	if (rc == 0)
		b->uring = true;
	return rc;
}

/* Put a round of r in the SQ ring; a request that cannot even start fails on the loop. */
static void uring_start(struct blockif *b, struct blockif_req *r)
{
	struct blockif_round rd;
	int rc = blockif_round_prepare(b, r, &rd);
	struct io_uring_sqe *sqe = rc == 0 ? io_uring_get_sqe(&b->ring) : NULL;
	if (sqe == NULL) {
		/* The SQ ring has depth entries and a request holds one at most. */
		finish(r, rc < 0 ? rc : -EBUSY);
		blockif_list_add(&b->failed, r);
		blockif_kick(b);
		return;
	}
	switch (rd.kind) {
	case RK_READV:
		io_uring_prep_readv(sqe, rd.fidx, rd.iov, rd.niov, rd.off);
		break;
	case RK_WRITEV:
		io_uring_prep_writev2(sqe, rd.fidx, rd.iov, rd.niov, rd.off, rd.rwflags);
		break;
	case RK_FSYNC:
		io_uring_prep_fsync(sqe, 0, IORING_FSYNC_DATASYNC);
		break;
	case RK_FALLOCATE:
	case RK_BLKDISCARD: /* never here: the pool does BLKDISCARD */
		io_uring_prep_fallocate(sqe, 0, rd.mode, (off_t)rd.off, (off_t)rd.len);
		break;
	}
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, r);
	b->sq_inflight++;
}

static void uring_reap(struct blockif *b, struct blockif_list *fin)
{
	struct blockif_list again;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	blockif_list_init(&again);
	io_uring_for_each_cqe(&b->ring, head, cqe)
	{
		struct blockif_req *r = io_uring_cqe_get_data(cqe);
		n++;
		b->sq_inflight--;
		blockif_list_add(blockif_round_done(b, r, cqe->res) ? &again : fin, r);
	}
	io_uring_cq_advance(&b->ring, n);
	for (struct blockif_req *r = again.head, *next; r != NULL; r = next) {
		next = r->priv.next;
		uring_start(b, r);
	}
	if (io_uring_sq_ready(&b->ring) > 0)
		uring_submit_all(&b->ring);
}

/* ---- the completion path (loop thread) ---- */

/* Hand every finished request to its done(); true when there were some. */
static bool deliver(struct blockif *b)
{
	struct blockif_list fin;
	blockif_list_init(&fin);
	if (b->uring)
		uring_reap(b, &fin);
	blockif_list_splice(&fin, &b->failed);
	if (b->pool)
		blockif_pool_take(b, &fin);
	if (fin.head == NULL)
		return false;
	for (struct blockif_req *r = fin.head; r != NULL; r = r->priv.next)
		b->inflight--;
	/* done() may queue, submit, or cancel everything: then the rest is dropped. */
	unsigned epoch = b->epoch;
	for (struct blockif_req *r = fin.head, *next; r != NULL && b->epoch == epoch; r = next) {
		next = r->priv.next;
		r->done(r, r->priv.res);
	}
	return true;
}

static void on_event(void *arg)
{
	struct blockif *b = arg;
	uint64_t v;
	/* Reset the counter before looking: a completion posted after this wakes us again. */
	if (read(b->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	deliver(b);
}

bool blockif_poll(struct blockif *b)
{
	if (!b->uring)
		return false; /* the threads wake the loop through the eventfd */
	if (!b->polling) {
		/* The completions are looked at here: no eventfd read, no re-arm meanwhile. */
		b->polling = true;
		evloop_fd_pause(b->ev);
	}
	if (io_uring_cq_ready(&b->ring) == 0 && b->failed.head == NULL && b->pool == NULL)
		return false;
	return deliver(b);
}

bool blockif_poll_sleep(struct blockif *b)
{
	if (!b->polling)
		return false;
	b->polling = false;
	/* Arming checks the eventfd first: a completion signalled while paused still wakes. */
	evloop_fd_resume(b->ev);
	return io_uring_cq_ready(&b->ring) > 0 || b->failed.head != NULL;
}

/* ---- requests (loop thread) ---- */

static bool range_ok(const struct blockif *b, uint64_t off, uint64_t len)
{
	return off <= b->size && len <= b->size - off;
}

static int check(const struct blockif *b, const struct blockif_req *r, uint64_t *total)
{
	*total = 0;
	switch (r->op) {
	case BLOCKIF_READ:
	case BLOCKIF_WRITE:
		if (r->op == BLOCKIF_WRITE && b->ro)
			return -EROFS;
		if (r->niov > BLOCKIF_MAX_IOV || (r->niov && r->iov == NULL))
			return -EINVAL;
		for (unsigned i = 0; i < r->niov; i++) {
			if (r->iov[i].iov_len > BLOCKIF_MAX_BYTES - *total)
				return -EINVAL;
			*total += r->iov[i].iov_len;
		}
		return range_ok(b, r->offset, *total) ? 0 : -EINVAL;
	case BLOCKIF_FLUSH:
		return 0;
	case BLOCKIF_DISCARD:
	case BLOCKIF_WRITE_ZEROES:
		if (b->ro)
			return -EROFS;
		if (r->len == 0 || !range_ok(b, r->offset, r->len))
			return -EINVAL;
		if (!(r->op == BLOCKIF_DISCARD ? b->can_discard : b->can_zero))
			return -EOPNOTSUPP;
		return 0;
	}
	return -EINVAL;
}

int blockif_queue(struct blockif *b, struct blockif_req *r)
{
	uint64_t total;
	int rc = check(b, r, &total);
	if (rc < 0)
		return rc;
	if (b->inflight >= b->depth)
		return -EAGAIN;
	r->priv = (struct blockif_req_priv){
	    .total = total,
	    .punch = r->op == BLOCKIF_WRITE_ZEROES && atomic_load(&b->zero_by_punch),
	};
	blockif_list_add(&b->pending, r);
	b->inflight++;
	return 0;
}

/*
 * SQEs are filled here rather than in blockif_queue: a request cancelled
 * before its submission then never reaches the ring, and one io_uring_enter
 * still sends the whole batch.
 */
int blockif_submit(struct blockif *b)
{
	if (!b->uring) {
		blockif_pool_submit(b, &b->pending);
		return 0;
	}
	struct blockif_list to_pool;
	blockif_list_init(&to_pool);
	for (struct blockif_req *r = b->pending.head, *next; r != NULL; r = next) {
		next = r->priv.next;
		if (r->op == BLOCKIF_DISCARD && b->blkdev)
			blockif_list_add(&to_pool, r);
		else
			uring_start(b, r);
	}
	blockif_list_init(&b->pending);
	blockif_pool_submit(b, &to_pool);
	return uring_submit_all(&b->ring);
}

void blockif_cancel_all(struct blockif *b)
{
	b->epoch++;
	/* Queued and failed ones hold nothing yet. */
	blockif_list_init(&b->pending);
	blockif_list_init(&b->failed);
	while (b->uring && b->sq_inflight > 0) {
		/* Disk I/O cannot be taken back once started: wait for it. */
		int rc = io_uring_submit_and_wait(&b->ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
			break;
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&b->ring, head, cqe)
		{
			blockif_req_drop(io_uring_cqe_get_data(cqe));
			n++;
			b->sq_inflight--;
		}
		io_uring_cq_advance(&b->ring, n);
	}
	if (b->pool)
		blockif_pool_cancel(b);
	b->inflight = 0;
}

/* ---- opening ---- */

uint64_t blockif_size(const struct blockif *b)
{
	return b->size;
}

unsigned blockif_logical_sector(const struct blockif *b)
{
	return b->lsector;
}

bool blockif_can_discard(const struct blockif *b)
{
	return b->can_discard;
}

bool blockif_can_write_zeroes(const struct blockif *b)
{
	return b->can_zero;
}

bool blockif_uses_io_uring(const struct blockif *b)
{
	return b->uring;
}

static bool pow2_in(unsigned v, unsigned max)
{
	return v != 0 && (v & (v - 1)) == 0 && v <= max;
}

/* O_DIRECT alignment: STATX_DIOALIGN (Linux 6.1), else the safe guess. */
static void dio_alignment(struct blockif *b)
{
	struct statx stx;
	b->mem_align = 4096;
	b->off_align = b->blkdev ? b->lsector : 4096;
	if (statx(b->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && pow2_in(stx.stx_dio_mem_align, 4096) &&
	    pow2_in(stx.stx_dio_offset_align, 65536)) {
		b->mem_align = stx.stx_dio_mem_align;
		b->off_align = stx.stx_dio_offset_align;
	}
	if (!pow2_in(b->off_align, 65536))
		b->off_align = 4096;
}

/* Whether a block device discards: its queue's discard_max_bytes (a partition: its disk's). */
static bool blkdev_discards(dev_t rdev)
{
	static const char *const fmt[] = {"/sys/dev/block/%u:%u/queue/discard_max_bytes",
					  "/sys/dev/block/%u:%u/../queue/discard_max_bytes"};
	for (unsigned i = 0; i < 2; i++) {
		char path[96];
		unsigned long long max = 0;
		snprintf(path, sizeof(path), fmt[i], major(rdev), minor(rdev));
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		int n = fscanf(f, "%llu", &max);
		fclose(f);
		return n == 1 && max > 0;
	}
	return false;
}

static int open_image(struct blockif *b, const struct blockif_opts *o, char *err, size_t errlen)
{
	int flags = (o->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | (o->sync ? O_SYNC : 0);
	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below. */
	b->fd = open(o->path, flags | O_NONBLOCK | (o->nocache ? O_DIRECT : 0));
	if (b->fd < 0) {
		int e = errno;
		if (e == EINVAL && o->nocache)
			snprintf(err, errlen, "%s: its file system has no direct I/O (nocache)",
				 o->path);
		else if (e == EISDIR) {
			snprintf(err, errlen, "%s: not a regular file or block device", o->path);
			return -EINVAL;
		} else
			snprintf(err, errlen, "%s: %s", o->path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(b->fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", o->path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file or block device", o->path);
		return -EINVAL;
	}
	/* io_uring would report EAGAIN instead of waiting on a non-blocking file. */
	int fl = fcntl(b->fd, F_GETFL);
	if (fl < 0 || fcntl(b->fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", o->path, strerror(e));
		return -e;
	}
	b->blkdev = S_ISBLK(st.st_mode);
	b->size = (uint64_t)st.st_size;
	b->lsector = 512;
	if (b->blkdev) {
		int ss = 0;
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0 || ioctl(b->fd, BLKSSZGET, &ss) < 0) {
			int e = errno;
			snprintf(err, errlen, "%s: size: %s", o->path, strerror(e));
			return -e;
		}
		if (pow2_in((unsigned)ss, 65536) && ss >= 512)
			b->lsector = (unsigned)ss;
	}
	if (o->nocache) {
		dio_alignment(b);
		/* The same file through the page cache, for offsets O_DIRECT refuses. */
		char self[32];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", b->fd);
		b->bfd = open(self, flags);
		if (b->bfd < 0)
			b->bfd = open(o->path, flags);
		if (b->bfd < 0) {
			int e = errno;
			snprintf(err, errlen, "%s: %s", o->path, strerror(e));
			return -e;
		}
	}
	if (!o->ro) {
		if (b->blkdev)
			b->can_discard = blkdev_discards(st.st_rdev);
		else /* Past the end, size kept: changes nothing, tells whether holes can be
			punched. */
			b->can_discard =
			    fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      (off_t)b->size, 4096) == 0;
		/* Block devices zero with ZERO_RANGE (written zeros where they must). */
		b->can_zero = b->blkdev || b->can_discard;
	}
	return 0;
}

int blockif_open(struct blockif **out, struct evloop *loop, const struct blockif_opts *o, char *err,
		 size_t errlen)
{
	*out = NULL;
	if (o == NULL || o->path == NULL || o->path[0] == '\0') {
		snprintf(err, errlen, "no disk image path");
		return -EINVAL;
	}
	unsigned depth = o->depth ? o->depth : BLOCKIF_DEPTH_DEFAULT;
	if (depth > BLOCKIF_DEPTH_MAX) {
		snprintf(err, errlen, "%s: queue depth %u above %u", o->path, depth,
			 BLOCKIF_DEPTH_MAX);
		return -EINVAL;
	}
	struct blockif *b = calloc(1, sizeof(*b));
	if (b == NULL || (b->path = strdup(o->path)) == NULL) {
		free(b);
		snprintf(err, errlen, "%s: %s", o->path, strerror(ENOMEM));
		return -ENOMEM;
	}
	b->fd = b->bfd = b->efd = -1;
	b->loop = loop;
	b->depth = depth;
	b->ro = o->ro;
	b->nocache = o->nocache;
	blockif_list_init(&b->pending);
	blockif_list_init(&b->failed);
	int rc = open_image(b, o, err, errlen);
	if (rc < 0)
		goto fail;
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: eventfd: %s", o->path, strerror(-rc));
		goto fail;
	}
	if (!o->force_threads) {
		char why[128];
		if (uring_setup(b, why, sizeof(why)) < 0)
			fprintf(stderr, "khyve: %s: io_uring unavailable (%s); using threads\n",
				o->path, why);
	}
	/* io_uring hands BLKDISCARD to one thread; without io_uring threads do everything. */
	unsigned threads = !b->uring ? POOL_THREADS : (b->blkdev && b->can_discard) ? 1 : 0;
	if (threads && (rc = blockif_pool_start(b, threads)) < 0) {
		snprintf(err, errlen, "%s: threads: %s", o->path, strerror(-rc));
		goto fail;
	}
	b->ev = evloop_add_fd(loop, b->efd, on_event, b);
	if (b->ev == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: the event loop has no room", o->path);
		goto fail;
	}
	*out = b;
	return 0;
fail:
	blockif_close(b);
	return rc;
}

void blockif_close(struct blockif *b)
{
	if (b == NULL)
		return;
	blockif_cancel_all(b);
	if (b->ev)
		evloop_fd_pause(b->ev);
	blockif_pool_stop(b); /* joins the workers: nobody writes the eventfd after this */
	if (b->uring)
		uring_close(&b->ring, b->sq_inflight == 0);
	if (b->efd >= 0)
		close(b->efd);
	if (b->bfd >= 0)
		close(b->bfd);
	if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b);
}
