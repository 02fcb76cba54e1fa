/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend cases run on each engine: test_blockif.c (io_uring) and
 * test_blockif_threads.c (the thread pool) include this file after setting
 * test_threads. The disk is an unnamed file in the working directory (the
 * build directory under CTest; KHYVE_TEST_DIR overrides) or a memfd.
 */
#ifndef KHYVE_TEST_BLOCKIF_CASES_H
#define KHYVE_TEST_BLOCKIF_CASES_H

#include <grp.h>
#include <sys/wait.h>

#include "blockif_test.h"

#define MiB (1024u * 1024u)

START_TEST(open_reports_the_image)
{
	loop_new();
	struct disk d;
	disk_new(&d, _i ? DISK_MEMFD : DISK_FILE, MiB + 100); /* not a multiple of 512 */
	struct blockif *b = bopen(d.path, false, false, 0);
	ck_assert_uint_eq(blockif_size(b), MiB + 100);
	ck_assert_uint_eq(blockif_logical_sector(b), 512);
	ck_assert(blockif_can_discard(b)); /* ext4 and tmpfs punch holes */
	ck_assert(blockif_can_write_zeroes(b));
	blockif_close(b);
	/* the probe for hole punching changed nothing */
	ck_assert_uint_eq(disk_st_size(&d), MiB + 100);
	uint8_t *all = disk_read_all(&d);
	ck_assert(is_pattern(all, 0, MiB + 100));
	free(all);
	disk_free(&d);
	loop_free();
}
END_TEST

START_TEST(write_then_read_back)
{
	loop_new();
	struct disk d;
	disk_new(&d, _i ? DISK_MEMFD : DISK_FILE, 4 * MiB);
	struct blockif *b = bopen(d.path, false, false, 0);
	/* three buffers of odd sizes at an odd offset, one write */
	static uint8_t w1[100], w2[70000], w3[997], r1[50000], r2[21097];
	for (size_t i = 0; i < sizeof(w1); i++)
		w1[i] = (uint8_t)(i ^ 0x11);
	for (size_t i = 0; i < sizeof(w2); i++)
		w2[i] = (uint8_t)(i * 3);
	memset(w3, 0xE3, sizeof(w3));
	const uint64_t off = 12345, len = sizeof(w1) + sizeof(w2) + sizeof(w3);
	struct io io;
	io_init(&io, BLOCKIF_WRITE, off);
	io_buf(&io, w1, sizeof(w1));
	io_buf(&io, w2, sizeof(w2));
	io_buf(&io, w3, sizeof(w3));
	ck_assert_int_eq(do_io(b, &io), (int)len);
	/* read back split differently */
	io_init(&io, BLOCKIF_READ, off);
	io_buf(&io, r1, sizeof(r1));
	io_buf(&io, r2, sizeof(r2));
	ck_assert_uint_eq(sizeof(r1) + sizeof(r2), len);
	ck_assert_int_eq(do_io(b, &io), (int)len);
	uint8_t *want_buf = malloc(len);
	memcpy(want_buf, w1, sizeof(w1));
	memcpy(want_buf + sizeof(w1), w2, sizeof(w2));
	memcpy(want_buf + sizeof(w1) + sizeof(w2), w3, sizeof(w3));
	ck_assert_mem_eq(r1, want_buf, sizeof(r1));
	ck_assert_mem_eq(r2, want_buf + sizeof(r1), sizeof(r2));
	/* and the file itself holds it, with its neighbours untouched */
	uint8_t *all = disk_read_all(&d);
	ck_assert_mem_eq(all + off, want_buf, len);
	ck_assert(is_pattern(all, 0, off));
	ck_assert(is_pattern(all + off + len, off + len, 4 * MiB - off - len));
	free(all);
	/* a durable write (RWF_DSYNC) and a flush */
	memset(w3, 0x3E, sizeof(w3));
	io_init(&io, BLOCKIF_WRITE, 4 * MiB - sizeof(w3));
	io_buf(&io, w3, sizeof(w3));
	io.req.dsync = true;
	ck_assert_int_eq(do_io(b, &io), (int)sizeof(w3));
	ck_assert_int_eq(do_range(b, BLOCKIF_FLUSH, 0, 0), 0);
	uint8_t tail[997];
	ck_assert_int_eq(pread(d.fd, tail, sizeof(tail), 4 * MiB - sizeof(tail)), sizeof(tail));
	ck_assert(all_bytes(tail, sizeof(tail), 0x3E));
	/* zero bytes at the very end: nothing to do, and done */
	io_init(&io, BLOCKIF_READ, 4 * MiB);
	ck_assert_int_eq(do_io(b, &io), 0);
	free(want_buf);
	blockif_close(b);
	disk_free(&d);
	loop_free();
}
END_TEST

/* BAD-INPUTS B1: refused before any I/O, never completed, the image neither changed nor grown. */
START_TEST(out_of_range_is_refused)
{
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	struct blockif *b = bopen(d.path, false, false, 0);
	static uint8_t buf[4096];
	memset(buf, 0xEE, sizeof(buf));
	static const enum blockif_op ops[] = {BLOCKIF_READ, BLOCKIF_WRITE, BLOCKIF_DISCARD,
					      BLOCKIF_WRITE_ZEROES};
	struct {
		uint64_t off, len;
	} bad[] = {
	    {MiB, 512},		      /* at the end */
	    {MiB - 512, 1024},	      /* across the end */
	    {MiB + 4096, 512},	      /* past it */
	    {UINT64_MAX - 511, 1024}, /* offset + len wraps to a small number */
	    {UINT64_MAX, 1},
	};
	for (unsigned o = 0; o < 4; o++) {
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct io io;
			io_init(&io, ops[o], bad[i].off);
			if (ops[o] == BLOCKIF_READ || ops[o] == BLOCKIF_WRITE)
				io_buf(&io, buf, (size_t)bad[i].len);
			else
				io.req.len = bad[i].len;
			ck_assert_msg(blockif_queue(b, &io.req) == -EINVAL, "op %u range %u", o, i);
		}
	}
	struct io io;
	/* iovec lengths whose sum wraps */
	io_init(&io, BLOCKIF_WRITE, 0);
	io_buf(&io, buf, 512);
	io_buf(&io, buf, SIZE_MAX - 255);
	ck_assert_int_eq(blockif_queue(b, &io.req), -EINVAL);
	/* too many iovecs, too many bytes, none at all, zero-length discard */
	static struct iovec many[BLOCKIF_MAX_IOV + 1];
	for (unsigned i = 0; i <= BLOCKIF_MAX_IOV; i++)
		many[i] = (struct iovec){buf, 1};
	io_init(&io, BLOCKIF_READ, 0);
	io.req.iov = many;
	io.req.niov = BLOCKIF_MAX_IOV + 1;
	ck_assert_int_eq(blockif_queue(b, &io.req), -EINVAL);
	io_init(&io, BLOCKIF_READ, 0);
	io_buf(&io, buf, (size_t)BLOCKIF_MAX_BYTES + 512);
	ck_assert_int_eq(blockif_queue(b, &io.req), -EINVAL);
	io_init(&io, BLOCKIF_READ, 0);
	io.req.iov = NULL;
	io.req.niov = 1;
	ck_assert_int_eq(blockif_queue(b, &io.req), -EINVAL);
	io_init(&io, BLOCKIF_DISCARD, 0);
	ck_assert_int_eq(blockif_queue(b, &io.req), -EINVAL);
	io_init(&io, (enum blockif_op)42, 0);
	ck_assert_int_eq(blockif_queue(b, &io.req), -EINVAL);

	/* nothing was queued: a submit completes nothing */
	ck_assert_int_eq(blockif_submit(b), 0);
	run_quiet(QUIET_MS);
	ck_assert_uint_eq(ncomp, 0);
	/* the last sector itself is fine */
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, MiB - 512, buf, 512), 512);
	ck_assert_int_eq(do_range(b, BLOCKIF_WRITE_ZEROES, MiB - 1024, 512), 0);
	ck_assert_int_eq(do_range(b, BLOCKIF_DISCARD, MiB - 2048, 1024), 0);
	blockif_close(b);
	ck_assert_uint_eq(disk_st_size(&d), MiB);
	uint8_t *all = disk_read_all(&d);
	ck_assert(is_pattern(all, 0, MiB - 2048));
	ck_assert(all_bytes(all + MiB - 2048, 1536, 0));
	ck_assert(all_bytes(all + MiB - 512, 512, 0xEE));
	free(all);
	disk_free(&d);
	loop_free();
}
END_TEST

/* BAD-INPUTS B2: a read-only image refuses every change and stays byte-identical. */
START_TEST(read_only_refuses_changes)
{
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	struct stat before, after;
	ck_assert_int_eq(fstat(d.fd, &before), 0);
	struct blockif *b = bopen(d.path, true, false, 0);
	ck_assert(!blockif_can_discard(b));
	ck_assert(!blockif_can_write_zeroes(b));
	static uint8_t buf[8192];
	memset(buf, 0x77, sizeof(buf));
	struct io io;
	io_init(&io, BLOCKIF_WRITE, 0);
	io_buf(&io, buf, sizeof(buf));
	ck_assert_int_eq(blockif_queue(b, &io.req), -EROFS);
	io.req.dsync = true;
	ck_assert_int_eq(blockif_queue(b, &io.req), -EROFS);
	for (int op = BLOCKIF_DISCARD; op <= BLOCKIF_WRITE_ZEROES; op++) {
		io_init(&io, (enum blockif_op)op, 0);
		io.req.len = 4096;
		ck_assert_int_eq(blockif_queue(b, &io.req), -EROFS);
	}
	ck_assert_int_eq(blockif_submit(b), 0);
	run_quiet(QUIET_MS);
	ck_assert_uint_eq(ncomp, 0);
	/* reads and flushes work */
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 4096, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert(is_pattern(buf, 4096, sizeof(buf)));
	ck_assert_int_eq(do_range(b, BLOCKIF_FLUSH, 0, 0), 0);
	blockif_close(b);
	ck_assert_int_eq(fstat(d.fd, &after), 0);
	ck_assert_int_eq(after.st_size, before.st_size);
	ck_assert_int_eq(after.st_blocks, before.st_blocks);
	ck_assert_int_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	ck_assert_int_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	uint8_t *all = disk_read_all(&d);
	ck_assert(is_pattern(all, 0, MiB));
	free(all);
	disk_free(&d);
	loop_free();
}
END_TEST

/* Discard punches a hole, write-zeroes zeroes; both read back as zeros, neither grows the file. */
START_TEST(discard_and_write_zeroes)
{
	loop_new();
	struct disk d;
	/* _i: 0 an ext4 (or whatever .) file, ZERO_RANGE; 1 a memfd: tmpfs has no ZERO_RANGE */
	disk_new(&d, _i ? DISK_MEMFD : DISK_FILE, 4 * MiB);
	ck_assert_int_eq(fsync(d.fd), 0);
	struct stat st0, st1;
	ck_assert_int_eq(fstat(d.fd, &st0), 0);
	struct blockif *b = bopen(d.path, false, false, 0);
	ck_assert_int_eq(do_range(b, BLOCKIF_DISCARD, MiB, MiB), 0);
	ck_assert_int_eq(do_range(b, BLOCKIF_WRITE_ZEROES, 3 * MiB + 512, 8192 + 512), 0);
	/* twice: the second finds ZERO_RANGE already known to be missing on tmpfs */
	ck_assert_int_eq(do_range(b, BLOCKIF_WRITE_ZEROES, 3 * MiB + 65536, 4096), 0);
	/* the end of the image, exactly */
	ck_assert_int_eq(do_range(b, BLOCKIF_WRITE_ZEROES, 4 * MiB - 4096, 4096), 0);
	static uint8_t buf[MiB];
	memset(buf, 0xFF, sizeof(buf));
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, MiB, buf, MiB), (int)MiB);
	ck_assert(all_bytes(buf, MiB, 0));
	blockif_close(b);
	ck_assert_int_eq(fstat(d.fd, &st1), 0);
	ck_assert_int_eq(st1.st_size, 4 * MiB);
	/* the hole is real: blocks were given back */
	ck_assert_int_lt(st1.st_blocks, st0.st_blocks);
	uint8_t *all = disk_read_all(&d);
	ck_assert(is_pattern(all, 0, MiB));
	ck_assert(all_bytes(all + MiB, MiB, 0));
	ck_assert(is_pattern(all + 2 * MiB, 2 * MiB, MiB + 512));
	ck_assert(all_bytes(all + 3 * MiB + 512, 8192 + 512, 0));
	ck_assert(is_pattern(all + 3 * MiB + 9216, 3 * MiB + 9216, 65536 - 9216));
	ck_assert(all_bytes(all + 3 * MiB + 65536, 4096, 0));
	ck_assert(is_pattern(all + 3 * MiB + 69632, 3 * MiB + 69632, MiB - 69632 - 4096));
	ck_assert(all_bytes(all + 4 * MiB - 4096, 4096, 0));
	free(all);
	disk_free(&d);
	loop_free();
}
END_TEST

/* Where O_DIRECT works on the test directory; false (said on stderr) where not. */
static bool direct_io_here(void)
{
	const char *dir = getenv("KHYVE_TEST_DIR") ? getenv("KHYVE_TEST_DIR") : ".";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "blockif: no O_DIRECT in %s (%s): nocache case not run\n", dir,
			strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/* nocache: unaligned buffers are bounced, unaligned offsets go through the page cache. */
START_TEST(direct_io_any_alignment)
{
	if (!direct_io_here())
		return;
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, 8 * MiB);
	struct blockif *b = bopen(d.path, false, true, 0);
	const size_t big = 3 * MiB + 4096; /* more than one bounce round */
	uint8_t *mem = malloc(big + 64), *back = malloc(big + 64), *aligned;
	ck_assert_int_eq(posix_memalign((void **)&aligned, 4096, 65536), 0);
	for (size_t i = 0; i < big + 64; i++)
		mem[i] = (uint8_t)(i * 13 + 5);

	/* nothing of the image in the page cache to begin with */
	ck_assert_int_eq(fdatasync(d.fd), 0);
	ck_assert_int_eq(posix_fadvise(d.fd, 0, 0, POSIX_FADV_DONTNEED), 0);

	/* 1. misaligned memory, aligned offset: bounced, several rounds */
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 4096, mem + 1, big), (int)big);
	memset(back, 0, big + 64);
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 4096, back + 3, big), (int)big);
	ck_assert_mem_eq(back + 3, mem + 1, big);
	/* and it really was direct I/O: none of it went through the page cache */
	void *map = mmap(NULL, 8 * MiB, PROT_READ, MAP_SHARED, d.fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	static unsigned char resident[8 * MiB / 4096];
	ck_assert_int_eq(mincore(map, 8 * MiB, resident), 0);
	for (size_t pg = 0; pg < (4096 + big) / 4096; pg++)
		ck_assert_msg(!(resident[pg] & 1), "page %zu of a direct write is cached", pg);
	munmap(map, 8 * MiB);
	/* 2. misaligned offset and length: the page cache */
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 5 * MiB + 100, mem + 7, 300), 300);
	memset(back, 0, 1024);
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 5 * MiB, back, 1024), 1024);
	ck_assert(is_pattern(back, 5 * MiB, 100));
	ck_assert_mem_eq(back + 100, mem + 7, 300);
	ck_assert(is_pattern(back + 400, 5 * MiB + 400, 624));
	/* 3. aligned everything: straight through, several iovecs of aligned pieces */
	memset(aligned, 0xA5, 65536);
	struct io io;
	io_init(&io, BLOCKIF_WRITE, 6 * MiB);
	io_buf(&io, aligned, 4096);
	io_buf(&io, aligned + 8192, 65536 - 8192);
	ck_assert_int_eq(do_io(b, &io), 4096 + 65536 - 8192);
	/* 4. an aligned iovec after a misaligned one: the whole round is bounced */
	io_init(&io, BLOCKIF_READ, 6 * MiB);
	io_buf(&io, back + 1, 512);
	io_buf(&io, aligned, 4096);
	memset(aligned, 0, 4096);
	ck_assert_int_eq(do_io(b, &io), 512 + 4096);
	ck_assert(all_bytes(back + 1, 512, 0xA5));
	ck_assert(all_bytes(aligned, 4096, 0xA5));
	blockif_close(b);

	/* what the file holds, read without O_DIRECT */
	uint8_t *all = disk_read_all(&d);
	ck_assert(is_pattern(all, 0, 4096));
	ck_assert_mem_eq(all + 4096, mem + 1, big);
	ck_assert_mem_eq(all + 5 * MiB + 100, mem + 7, 300);
	ck_assert(all_bytes(all + 6 * MiB, 4096 + 65536 - 8192, 0xA5));
	ck_assert(is_pattern(all + 6 * MiB + 61440, 6 * MiB + 61440, 2 * MiB - 61440));
	free(all);
	free(mem);
	free(back);
	free(aligned);
	disk_free(&d);
	loop_free();
}
END_TEST

static unsigned cancel_after;
static struct blockif *cancel_b;
static void cancel_in_done(struct io *io)
{
	if (ncomp == cancel_after)
		blockif_cancel_all(cancel_b);
}

/* BAD-INPUTS R1: after blockif_cancel_all no done() runs and no buffer changes. */
START_TEST(cancel_all_in_flight)
{
	loop_new();
	struct disk d;
	enum { N = 32, LEN = 256 * 1024 };
	disk_new(&d, DISK_FILE, N * LEN);
	struct blockif *b = bopen(d.path, false, false, 0);
	uint8_t *bufs = malloc((size_t)N * LEN), *snap = malloc((size_t)N * LEN);
	static struct io io[N];

	/* reads submitted, then cancelled at once */
	memset(bufs, 0x5A, (size_t)N * LEN);
	for (unsigned i = 0; i < N; i++) {
		io_init(&io[i], BLOCKIF_READ, (uint64_t)i * LEN);
		io_buf(&io[i], bufs + (size_t)i * LEN, LEN);
		ck_assert_int_eq(blockif_queue(b, &io[i].req), 0);
	}
	ck_assert_int_eq(blockif_submit(b), 0);
	blockif_cancel_all(b);
	memcpy(snap, bufs, (size_t)N * LEN);
	usleep(QUIET_MS * 1000);
	run_quiet(QUIET_MS);
	ck_assert_uint_eq(ncomp, 0);
	ck_assert_mem_eq(bufs, snap, (size_t)N * LEN);

	/* queued and not submitted: dropped, the file never written */
	memset(bufs, 0xC3, LEN);
	for (unsigned i = 0; i < 4; i++) {
		io_init(&io[i], BLOCKIF_WRITE, (uint64_t)i * LEN);
		io_buf(&io[i], bufs, LEN);
		ck_assert_int_eq(blockif_queue(b, &io[i].req), 0);
	}
	blockif_cancel_all(b);
	ck_assert_int_eq(blockif_submit(b), 0);
	run_quiet(QUIET_MS);
	ck_assert_uint_eq(ncomp, 0);
	uint8_t *all = disk_read_all(&d);
	ck_assert(is_pattern(all, 0, (size_t)N * LEN));
	free(all);

	/* from inside done(): the first completion cancels the rest, they never complete */
	cancel_b = b;
	cancel_after = 1;
	for (unsigned i = 0; i < N; i++) {
		io_init(&io[i], BLOCKIF_READ, (uint64_t)i * LEN);
		io_buf(&io[i], bufs + (size_t)i * LEN, LEN);
		io[i].then = cancel_in_done;
		ck_assert_int_eq(blockif_queue(b, &io[i].req), 0);
	}
	ck_assert_int_eq(blockif_submit(b), 0);
	ck_assert(run_until(1, WAIT_MS));
	run_quiet(QUIET_MS);
	ck_assert_uint_eq(ncomp, 1);

	/* and the backend still works, with its whole depth free again */
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, LEN, bufs, LEN), LEN);
	ck_assert(is_pattern(bufs, LEN, LEN));
	for (unsigned i = 0; i < BLOCKIF_DEPTH_DEFAULT; i++) {
		static struct io more[BLOCKIF_DEPTH_DEFAULT];
		io_init(&more[i], BLOCKIF_FLUSH, 0);
		ck_assert_int_eq(blockif_queue(b, &more[i].req), 0);
	}
	blockif_cancel_all(b);
	blockif_close(b);
	free(bufs);
	free(snap);
	disk_free(&d);
	loop_free();
}
END_TEST

/* Queueing submits nothing; one submit sends the batch; depth bounds what is in flight. */
START_TEST(batch_and_depth)
{
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	enum { DEPTH = 8 };
	struct blockif *b = bopen(d.path, false, false, DEPTH);
	static uint8_t bufs[DEPTH][4096];
	static struct io io[DEPTH + 1];
	for (unsigned i = 0; i < DEPTH; i++) {
		io_init(&io[i], BLOCKIF_READ, i * 4096u);
		io_buf(&io[i], bufs[i], 4096);
		ck_assert_int_eq(blockif_queue(b, &io[i].req), 0);
	}
	io_init(&io[DEPTH], BLOCKIF_READ, 0);
	io_buf(&io[DEPTH], bufs[0], 4096);
	ck_assert_int_eq(blockif_queue(b, &io[DEPTH].req), -EAGAIN);
	/* not submitted: nothing happens, the buffers stay untouched */
	run_quiet(QUIET_MS);
	ck_assert_uint_eq(ncomp, 0);
	ck_assert(all_bytes(bufs[0], sizeof(bufs), 0));
	ck_assert_int_eq(blockif_submit(b), 0);
	ck_assert(run_until(DEPTH, WAIT_MS));
	for (unsigned i = 0; i < DEPTH; i++) {
		ck_assert_int_eq(io[i].res, 4096);
		ck_assert_uint_eq(io[i].calls, 1);
		ck_assert(is_pattern(bufs[i], i * 4096u, 4096));
	}
	/* the depth is free again */
	ck_assert_int_eq(blockif_queue(b, &io[DEPTH].req), 0);
	ck_assert_int_eq(blockif_submit(b), 0);
	ck_assert(run_until(DEPTH + 1, WAIT_MS));
	run_quiet(QUIET_MS);
	ck_assert_uint_eq(ncomp, DEPTH + 1);
	blockif_close(b);
	disk_free(&d);
	loop_free();
}
END_TEST

static struct blockif *chain_b;
static void chain_next(struct io *io)
{
	/* requeue the same request from its own done(): the backend is finished with it */
	if (io->req.offset + 4096 < 64 * 4096) {
		io->req.offset += 4096;
		ck_assert_int_eq(blockif_queue(chain_b, &io->req), 0);
		ck_assert_int_eq(blockif_submit(chain_b), 0);
	}
}

START_TEST(requeue_from_done)
{
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	chain_b = bopen(d.path, false, false, 1);
	static uint8_t buf[4096];
	memset(buf, 0x42, sizeof(buf));
	struct io io;
	io_init(&io, BLOCKIF_WRITE, 0);
	io_buf(&io, buf, sizeof(buf));
	io.then = chain_next;
	ck_assert_int_eq(blockif_queue(chain_b, &io.req), 0);
	ck_assert_int_eq(blockif_submit(chain_b), 0);
	ck_assert(run_until(64, WAIT_MS));
	ck_assert_int_eq(io.res, 4096);
	blockif_close(chain_b);
	uint8_t *all = disk_read_all(&d);
	ck_assert(all_bytes(all, 64 * 4096, 0x42));
	ck_assert(is_pattern(all + 64 * 4096, 64 * 4096, MiB - 64 * 4096));
	free(all);
	disk_free(&d);
	loop_free();
}
END_TEST

/* The image shrinks under the backend: the read stops short, continues, and reads zeros. */
START_TEST(short_read_past_eof)
{
	loop_new();
	struct disk d;
	disk_new(&d, _i ? DISK_MEMFD : DISK_FILE, 65536);
	struct blockif *b = bopen(d.path, false, false, 0);
	ck_assert_int_eq(ftruncate(d.fd, 40000), 0);
	static uint8_t a[30000], c[20000], e[15536];
	memset(a, 0xFF, sizeof(a));
	memset(c, 0xFF, sizeof(c));
	memset(e, 0xFF, sizeof(e));
	struct io io;
	io_init(&io, BLOCKIF_READ, 0);
	io_buf(&io, a, sizeof(a));
	io_buf(&io, c, sizeof(c)); /* the end of file falls inside this one */
	io_buf(&io, e, sizeof(e));
	ck_assert_int_eq(do_io(b, &io), 65536);
	ck_assert(is_pattern(a, 0, sizeof(a)));
	ck_assert(is_pattern(c, 30000, 10000));
	ck_assert(all_bytes(c + 10000, 10000, 0));
	ck_assert(all_bytes(e, sizeof(e), 0));
	blockif_close(b);
	disk_free(&d);
	loop_free();
}
END_TEST

static void capture_err(char *buf, size_t len, const char *path, bool ro, bool nocache, int want_rc)
{
	struct blockif *b = (struct blockif *)1;
	struct blockif_opts o = {
	    .path = path, .ro = ro, .nocache = nocache, .force_threads = test_threads};
	buf[0] = '\0';
	ck_assert_int_eq(blockif_open(&b, loop, &o, buf, len), want_rc);
	ck_assert_ptr_null(b);
	ck_assert_msg(strncmp(buf, path, strlen(path)) == 0, "message without the path: %s", buf);
}

/* Open failures name the file and say why (the caller exits 4 with it). */
START_TEST(open_errors_name_the_file)
{
	loop_new();
	char err[256];
	capture_err(err, sizeof(err), "/nonexistent/disk.img", false, false, -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	capture_err(err, sizeof(err), "/nonexistent/disk.img", true, false, -ENOENT);
	capture_err(err, sizeof(err), "/dev/null", false, false, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file or block device"));
	capture_err(err, sizeof(err), "/", true, false, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file or block device"));
	capture_err(err, sizeof(err), "/", false, false, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file or block device"));
	/* a FIFO: refused without hanging in open() */
	char fifo[] = "/tmp/blockif-fifo-XXXXXX";
	int tfd = mkstemp(fifo);
	ck_assert_int_ge(tfd, 0);
	close(tfd);
	unlink(fifo);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	capture_err(err, sizeof(err), fifo, true, false, -EINVAL);
	unlink(fifo);
	/* permission: a file nobody may read, opened by someone other than root */
	char priv[] = "/tmp/blockif-perm-XXXXXX";
	tfd = mkstemp(priv);
	ck_assert_int_ge(tfd, 0);
	ck_assert_int_eq(fchmod(tfd, 0), 0);
	close(tfd);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* root passes any permission check: be nobody here */
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		     setresuid(65534, 65534, 65534) < 0))
			_exit(1);
		struct blockif *b = NULL;
		struct blockif_opts o = {.path = priv, .force_threads = test_threads};
		int rc = blockif_open(&b, loop, &o, err, sizeof(err));
		if (write(p[1], &rc, sizeof(rc)) != sizeof(rc) ||
		    write(p[1], err, sizeof(err)) != sizeof(err))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	int rc = 0, status;
	ck_assert_int_eq(read(p[0], &rc, sizeof(rc)), sizeof(rc));
	ck_assert_int_eq(read(p[0], err, sizeof(err)), sizeof(err));
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unlink(priv);
	ck_assert_int_eq(rc, -EACCES);
	ck_assert_msg(strncmp(err, priv, strlen(priv)) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "Permission denied"));
	/* nocache where the file system has no O_DIRECT (tmpfs before Linux 6.6) */
	struct disk d;
	disk_new(&d, DISK_MEMFD, 4096);
	int dfd = open(d.path, O_RDWR | O_DIRECT);
	if (dfd < 0 && errno == EINVAL) {
		capture_err(err, sizeof(err), d.path, false, true, -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "direct I/O"));
	} else if (dfd >= 0) {
		close(dfd);
	}
	disk_free(&d);
	struct blockif *b;
	struct blockif_opts o = {.path = "", .force_threads = test_threads};
	ck_assert_int_eq(blockif_open(&b, loop, &o, err, sizeof(err)), -EINVAL);
	loop_free();
}
END_TEST

static TCase *blockif_cases(void)
{
	TCase *tc = tcase_create(test_threads ? "threads" : "io_uring");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, open_reports_the_image, 0, 2);
	tcase_add_loop_test(tc, write_then_read_back, 0, 2);
	tcase_add_test(tc, out_of_range_is_refused);
	tcase_add_test(tc, read_only_refuses_changes);
	tcase_add_loop_test(tc, discard_and_write_zeroes, 0, 2);
	tcase_add_test(tc, direct_io_any_alignment);
	tcase_add_test(tc, cancel_all_in_flight);
	tcase_add_test(tc, batch_and_depth);
	tcase_add_test(tc, requeue_from_done);
	tcase_add_loop_test(tc, short_read_past_eof, 0, 2);
	tcase_add_test(tc, open_errors_name_the_file);
	return tc;
}

#endif
