/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend: a disk image (regular file or block device) under a device
 * model such as virtio-blk. Requests are queued, submitted in batches and
 * completed by a callback on the event-loop thread.
 *
 * Engines: io_uring (a restricted ring: READV, WRITEV, FSYNC and FALLOCATE
 * only, on the registered image only; completions signalled through an
 * eventfd watched by the event loop), or a pool of threads doing preadv/
 * pwritev2/fdatasync/fallocate when io_uring cannot be set up (ENOSYS, EPERM
 * from kernel.io_uring_disabled or seccomp, restrictions unsupported) or when
 * force_threads asks for it. Both complete through the same path. Discard on
 * a block device (BLKDISCARD) always runs on a pool thread.
 *
 * Threads: blockif_open and blockif_close on the loop thread, or on any
 * thread while the loop is not running; every other function, and every
 * done() callback, on the loop thread. blockif_cancel_all is loop-thread
 * only for a reason: a done() that takes the device's lock may be on its way
 * on the loop thread while another thread, holding that lock, cancels; only
 * the device can settle that race (count what is in flight, drop late
 * completions under its own lock).
 *
 * Durability (virtio 1.x section 5.2.6.1; BAD-INPUTS B4): a FLUSH completes
 * only after an fdatasync that was started after the FLUSH was queued, so it
 * covers every write completed before then. An fdatasync error completes the
 * FLUSH with that -errno.
 */
#ifndef KHYVE_BLOCKIF_H
#define KHYVE_BLOCKIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Largest iovec count of one READ/WRITE (IOV_MAX). */
#define BLOCKIF_MAX_IOV 1024
/* Largest READ/WRITE in bytes: completions report the byte count in an int. */
#define BLOCKIF_MAX_BYTES (1u << 30)
/* In-flight bound when blockif_opts.depth is 0, and the largest accepted. */
#define BLOCKIF_DEPTH_DEFAULT 256
#define BLOCKIF_DEPTH_MAX 4096

struct blockif;
struct evloop;

enum blockif_op {
	BLOCKIF_READ,
	BLOCKIF_WRITE,
	BLOCKIF_FLUSH,
	BLOCKIF_DISCARD,
	BLOCKIF_WRITE_ZEROES,
};

/* The backend's bookkeeping inside a request: not for callers. */
struct blockif_req_priv {
	struct blockif_req *next;
	uint64_t total;	   /* READ/WRITE: the sum of the iovec lengths */
	uint64_t done;	   /* bytes transferred so far (short transfers continue) */
	void *bounce;	   /* O_DIRECT bounce buffer, while the request runs */
	struct iovec part; /* the rest of an iovec a short transfer left half done */
	uint32_t round;	   /* bytes the current bounced round moves */
	int res;	   /* the result, once finished */
	uint8_t retries;   /* EAGAIN/EINTR rounds */
	bool bounced;	   /* the current round goes through the bounce buffer */
	bool buffered;	   /* O_DIRECT refused it: the page cache takes the rest */
	bool punch;	   /* WRITE_ZEROES by punching a hole */
};

struct blockif_req {
	enum blockif_op op;
	uint64_t offset;	 /* bytes */
	const struct iovec *iov; /* READ/WRITE: guest memory, any alignment */
	unsigned niov;		 /* ≤ BLOCKIF_MAX_IOV */
	uint64_t len;		 /* DISCARD / WRITE_ZEROES: bytes (READ/WRITE: the iovecs') */
	bool dsync;		 /* WRITE: durable before completion (RWF_DSYNC) */
	/*
	 * On the event-loop thread, exactly once per queued request unless it is
	 * cancelled: res is the byte count (READ/WRITE: always the whole length;
	 * short transfers are continued), 0 (FLUSH, DISCARD, WRITE_ZEROES) or
	 * -errno. The backend is done with r, its iovecs and buffers by then:
	 * done() may free or requeue it.
	 */
	void (*done)(struct blockif_req *r, int res);
	void *arg; /* the caller's */
	struct blockif_req_priv priv;
};

struct blockif_opts {
	const char *path;
	bool ro;	    /* O_RDONLY; WRITE, DISCARD, WRITE_ZEROES fail with -EROFS */
	bool nocache;	    /* O_DIRECT; see blockif.c for unaligned requests */
	bool sync;	    /* O_SYNC */
	bool force_threads; /* skip io_uring */
	unsigned depth;	    /* requests in flight at most; 0: BLOCKIF_DEPTH_DEFAULT */
};

/*
 * Open the image and its engine; completions are dispatched by loop. On
 * failure returns -errno with a one-line message naming the file in err
 * (missing, not a regular file or block device, permission, no O_DIRECT).
 * Falling back to threads prints one notice line to stderr.
 */
int blockif_open(struct blockif **out, struct evloop *loop, const struct blockif_opts *o, char *err,
		 size_t errlen);
/* Cancel everything (as blockif_cancel_all) and free; not from done(), before evloop_free(). */
void blockif_close(struct blockif *b);

uint64_t blockif_size(const struct blockif *b);		  /* bytes, fixed at open */
unsigned blockif_logical_sector(const struct blockif *b); /* BLKSSZGET; files: 512 */
bool blockif_can_discard(const struct blockif *b);	  /* punch hole / BLKDISCARD works */
bool blockif_can_write_zeroes(const struct blockif *b);
bool blockif_uses_io_uring(const struct blockif *b);

/*
 * Queue r; nothing is submitted until blockif_submit(). 0: done() will be
 * called (r, its iovecs and buffers must stay valid, and r must not be
 * queued again, until then). Otherwise done() is never called and nothing
 * was touched:
 *   -EAGAIN      depth requests are in flight
 *   -EROFS       WRITE, DISCARD or WRITE_ZEROES on a read-only image
 *   -EINVAL      unknown op; range past the end of the image or overflowing;
 *                more than BLOCKIF_MAX_IOV iovecs or BLOCKIF_MAX_BYTES bytes;
 *                DISCARD/WRITE_ZEROES of length 0
 *   -EOPNOTSUPP  DISCARD/WRITE_ZEROES the image cannot do
 * On a block device DISCARD and WRITE_ZEROES need offset and length in
 * logical sectors; the device refuses others (done() gets -EINVAL).
 */
int blockif_queue(struct blockif *b, struct blockif_req *r);
/* Submit everything queued: one io_uring_enter, or one hand-over to the pool. 0 or -errno. */
int blockif_submit(struct blockif *b);
/*
 * Polled completions, for an event-loop poller (evloop.h): blockif_poll()
 * delivers what has finished, without a system call on the io_uring engine,
 * and stops watching the completion eventfd until blockif_poll_sleep(),
 * which watches it again. Both return true when completions were (poll) or
 * are (sleep) waiting. The threads engine is not polled: false.
 */
bool blockif_poll(struct blockif *b);
bool blockif_poll_sleep(struct blockif *b);
/*
 * Device reset (BAD-INPUTS R1): drop what is queued, wait until every
 * request in flight has completed and drop those completions too: done() is
 * not called for any of them, and nothing touches their buffers after this
 * returns. May be called from a done() callback.
 */
void blockif_cancel_all(struct blockif *b);

#endif
