/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend test harness: disks (an unnamed file in the working
 * directory, or a memfd), requests that record their completion, and an
 * event loop run until N completions with a timerfd watchdog so "never
 * completed" is a failed assertion, not a hang.
 */
#ifndef KHYVE_TEST_BLOCKIF_H
#define KHYVE_TEST_BLOCKIF_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "khyve/blockif.h"
#include "khyve/evloop.h"

#define WAIT_MS 10000 /* generous: ASan, a loaded 2-CPU machine */
#define QUIET_MS 200  /* "nothing more happens" */

/* The engine under test: set by each binary's main(). */
static bool test_threads;

static struct evloop *loop;
static int watchdog_fd = -1;
static bool watchdog_fired;
static unsigned ncomp, want;

/* A request with its own buffers' iovecs and its completion. */
struct io {
	struct blockif_req req;
	struct iovec iov[8];
	int res;
	unsigned calls;
	void (*then)(struct io *io); /* optional, after recording */
};

static inline void on_done(struct blockif_req *r, int res)
{
	struct io *io = r->arg;
	io->res = res;
	io->calls++;
	ncomp++;
	if (io->then)
		io->then(io);
	if (want && ncomp >= want)
		evloop_stop(loop);
}

static inline void on_watchdog(void *arg)
{
	uint64_t v;
	if (read(watchdog_fd, &v, sizeof(v)) == sizeof(v)) {
		watchdog_fired = true;
		evloop_stop(loop);
	}
}

static inline void arm_watchdog(long ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}};
	ck_assert_int_eq(timerfd_settime(watchdog_fd, 0, &its, NULL), 0);
}

static inline void loop_new(void)
{
	ck_assert_int_eq(evloop_new(&loop, false), 0);
	watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ck_assert_int_ge(watchdog_fd, 0);
	ck_assert_ptr_nonnull(evloop_add_fd(loop, watchdog_fd, on_watchdog, NULL));
	ncomp = want = 0;
}

static inline void loop_free(void)
{
	evloop_free(loop);
	loop = NULL;
	close(watchdog_fd);
	watchdog_fd = -1;
}

/* Run the loop until n completions in all (true) or ms pass (false). */
static inline bool run_until(unsigned n, long ms)
{
	if (ncomp >= n)
		return true;
	want = n;
	watchdog_fired = false;
	arm_watchdog(ms);
	ck_assert_int_eq(evloop_run(loop), 0);
	arm_watchdog(0);
	want = 0;
	return ncomp >= n;
}

/* Let the loop run for ms whatever happens. */
static inline void run_quiet(long ms)
{
	ck_assert(!run_until(~0u, ms));
}

/* Byte i of a disk's initial content. */
static inline uint8_t pat(uint64_t i)
{
	return (uint8_t)((i >> 9) * 31 + i + 1);
}

enum disk_kind { DISK_FILE, DISK_MEMFD };

struct disk {
	int fd; /* the test's own view of the image */
	char path[64];
	uint64_t size;
};

/* A disk of size bytes filled with pat(); the path reopens it through /proc/self/fd. */
static inline void disk_new(struct disk *d, enum disk_kind kind, uint64_t size)
{
	if (kind == DISK_FILE) {
		const char *dir = getenv("KHYVE_TEST_DIR") ? getenv("KHYVE_TEST_DIR") : ".";
		d->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	} else {
		d->fd = memfd_create("blockif-test", MFD_CLOEXEC);
	}
	ck_assert_int_ge(d->fd, 0);
	ck_assert_int_eq(ftruncate(d->fd, (off_t)size), 0);
	static uint8_t chunk[65536];
	for (uint64_t off = 0; off < size; off += sizeof(chunk)) {
		size_t n = size - off < sizeof(chunk) ? (size_t)(size - off) : sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = pat(off + i);
		ck_assert_int_eq(pwrite(d->fd, chunk, n, (off_t)off), (ssize_t)n);
	}
	snprintf(d->path, sizeof(d->path), "/proc/self/fd/%d", d->fd);
	d->size = size;
}

static inline void disk_free(struct disk *d)
{
	close(d->fd);
	d->fd = -1;
}

static inline uint64_t disk_st_size(const struct disk *d)
{
	struct stat st;
	ck_assert_int_eq(fstat(d->fd, &st), 0);
	return (uint64_t)st.st_size;
}

/* The whole image, malloc'd. */
static inline uint8_t *disk_read_all(const struct disk *d)
{
	uint64_t size = disk_st_size(d);
	uint8_t *buf = malloc(size ? size : 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(d->fd, buf, size, 0), (ssize_t)size);
	return buf;
}

static inline struct blockif *bopen(const char *path, bool ro, bool nocache, unsigned depth)
{
	struct blockif *b = NULL;
	char err[256] = "";
	struct blockif_opts o = {.path = path,
				 .ro = ro,
				 .nocache = nocache,
				 .force_threads = test_threads,
				 .depth = depth};
	int rc = blockif_open(&b, loop, &o, err, sizeof(err));
	ck_assert_msg(rc == 0, "blockif_open %s: %d %s", path, rc, err);
	ck_assert_int_eq(blockif_uses_io_uring(b), !test_threads);
	return b;
}

static inline void io_init(struct io *io, enum blockif_op op, uint64_t off)
{
	memset(io, 0, sizeof(*io));
	io->req.op = op;
	io->req.offset = off;
	io->req.iov = io->iov;
	io->req.done = on_done;
	io->req.arg = io;
	io->res = 1; /* "not completed": no completion reports 1 */
}

static inline void io_buf(struct io *io, void *buf, size_t len)
{
	io->iov[io->req.niov].iov_base = buf;
	io->iov[io->req.niov].iov_len = len;
	io->req.niov++;
}

/* Queue, submit and wait for one request; its result. */
static inline int do_io(struct blockif *b, struct io *io)
{
	ck_assert_int_eq(blockif_queue(b, &io->req), 0);
	ck_assert_int_eq(blockif_submit(b), 0);
	unsigned before = io->calls;
	ck_assert_msg(run_until(ncomp + 1, WAIT_MS), "request never completed");
	ck_assert_uint_eq(io->calls, before + 1);
	return io->res;
}

static inline int do_rw(struct blockif *b, enum blockif_op op, uint64_t off, void *buf, size_t len)
{
	struct io io;
	io_init(&io, op, off);
	io_buf(&io, buf, len);
	return do_io(b, &io);
}

static inline int do_range(struct blockif *b, enum blockif_op op, uint64_t off, uint64_t len)
{
	struct io io;
	io_init(&io, op, off);
	io.req.len = len;
	return do_io(b, &io);
}

/* Every byte of buf[0..len) is v. */
static inline bool all_bytes(const uint8_t *buf, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != v)
			return false;
	return true;
}

/* buf[0..len) holds the initial content of [off, off+len). */
static inline bool is_pattern(const uint8_t *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pat(off + i))
			return false;
	return true;
}

#endif
