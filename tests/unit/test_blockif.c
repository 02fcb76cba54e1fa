// SPDX-License-Identifier: BSD-2-Clause
/*
 * Block backend on io_uring: the shared cases (blockif_cases.h), and the
 * fall-back to threads when io_uring is refused. Exits 77 (skipped) where
 * io_uring cannot be set up at all; test_blockif_threads runs the cases on
 * the thread engine everywhere.
 */
#include <liburing.h>
#include <seccomp.h>

#include "blockif_cases.h"
#include "../../src/backend/blockif_priv.h"

/* Submit one SQE straight into the backend's ring (white box); the CQE's result. */
static int raw_sqe(struct blockif *b, uint8_t opcode, int fd, uint8_t flags, void *buf)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	ck_assert_ptr_nonnull(sqe);
	io_uring_prep_rw(opcode, sqe, fd, buf, buf ? 512 : 0, 0);
	sqe->flags = flags;
	io_uring_sqe_set_data(sqe, NULL);
	ck_assert_int_eq(io_uring_submit(&b->ring), 1);
	struct io_uring_cqe *cqe;
	ck_assert_int_eq(io_uring_wait_cqe(&b->ring, &cqe), 0);
	int res = cqe->res;
	io_uring_cqe_seen(&b->ring, cqe);
	return res;
}

/* The ring does only what blockif needs: its opcodes, on its registered image, no registrations. */
START_TEST(ring_is_restricted)
{
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	struct blockif *b = bopen(d.path, false, false, 0);
	static uint8_t buf[512];
	/* opcodes off the list, even on the registered image: READ (blockif uses READV), ... */
	ck_assert_int_eq(raw_sqe(b, IORING_OP_READ, 0, IOSQE_FIXED_FILE, buf), -EACCES);
	ck_assert_int_eq(raw_sqe(b, IORING_OP_NOP, 0, IOSQE_FIXED_FILE, NULL), -EACCES);
	ck_assert_int_eq(raw_sqe(b, IORING_OP_OPENAT, 0, IOSQE_FIXED_FILE, NULL), -EACCES);
	/* a descriptor that is not the registered image: FIXED_FILE is required */
	struct iovec iov = {buf, sizeof(buf)};
	ck_assert_int_eq(raw_sqe(b, IORING_OP_READV, d.fd, 0, &iov), -EACCES);
	/* and the registered one works, read as the backend reads */
	memset(buf, 0, sizeof(buf));
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	io_uring_prep_readv(sqe, 0, &iov, 1, 512);
	sqe->flags = IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, NULL);
	ck_assert_int_eq(io_uring_submit(&b->ring), 1);
	struct io_uring_cqe *cqe;
	ck_assert_int_eq(io_uring_wait_cqe(&b->ring, &cqe), 0);
	ck_assert_int_eq(cqe->res, 512);
	io_uring_cqe_seen(&b->ring, cqe);
	ck_assert(is_pattern(buf, 512, 512));
	/* no registration after the ring was enabled */
	int fds[1] = {d.fd};
	ck_assert_int_eq(io_uring_register_files_update(&b->ring, 0, fds, 1), -EACCES);
	blockif_close(b);
	disk_free(&d);
	loop_free();
}
END_TEST

/*
 * Variant 0: io_uring_setup fails with EPERM (as under seccomp or
 * kernel.io_uring_disabled=2); 1: io_uring_register fails with EINVAL (as
 * where restrictions are unknown). blockif_open says so once on stderr and
 * runs on threads.
 */
START_TEST(falls_back_to_threads)
{
	loop_new(); /* its own ring exists before the filter */
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	ck_assert_ptr_nonnull(ctx);
	if (_i == 0)
		ck_assert_int_eq(
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0), 0);
	else
		ck_assert_int_eq(
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(io_uring_register), 0),
		    0);
	ck_assert_int_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);

	/* stderr into a memfd while opening */
	int cap = memfd_create("stderr", MFD_CLOEXEC), saved = dup(2);
	ck_assert_int_ge(cap, 0);
	fflush(stderr);
	ck_assert_int_eq(dup2(cap, 2), 2);
	struct blockif *b = NULL;
	char err[256];
	struct blockif_opts o = {.path = d.path};
	int rc = blockif_open(&b, loop, &o, err, sizeof(err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert(!blockif_uses_io_uring(b));

	char msg[512] = "", want_head[128];
	ck_assert_int_gt(pread(cap, msg, sizeof(msg) - 1, 0), 0);
	close(cap);
	snprintf(want_head, sizeof(want_head), "khyve: %s: io_uring unavailable (", d.path);
	ck_assert_msg(strncmp(msg, want_head, strlen(want_head)) == 0, "notice: %s", msg);
	ck_assert_msg(strstr(msg, _i == 0 ? "Operation not permitted" : "Invalid argument"),
		      "notice: %s", msg);
	char *nl = strchr(msg, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_str_eq(nl + 1, "");
	ck_assert_ptr_nonnull(strstr(msg, "); using threads\n"));

	/* and it works */
	static uint8_t buf[8192];
	memset(buf, 0x99, sizeof(buf));
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 4096, buf, sizeof(buf)), (int)sizeof(buf));
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 4096, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert(all_bytes(buf, sizeof(buf), 0x99));
	ck_assert_int_eq(do_range(b, BLOCKIF_FLUSH, 0, 0), 0);
	blockif_close(b);
	disk_free(&d);
	loop_free();
}
END_TEST

/* Run a round as an engine would, but move at most cap bytes: a short transfer. */
static int run_capped(struct blockif *b, const struct blockif_round *rd, size_t cap)
{
	static struct iovec tmp[BLOCKIF_MAX_IOV];
	unsigned n = 0;
	for (unsigned i = 0; i < rd->niov && cap > 0; i++, n++) {
		tmp[n] = rd->iov[i];
		if (tmp[n].iov_len > cap)
			tmp[n].iov_len = cap;
		cap -= tmp[n].iov_len;
	}
	int fd = rd->fidx ? b->bfd : b->fd;
	ssize_t r = rd->kind == RK_READV ? preadv(fd, tmp, (int)n, (off_t)rd->off)
					 : pwritev(fd, tmp, (int)n, (off_t)rd->off);
	return r < 0 ? -errno : (int)r;
}

/* Drive r through the shared rounds with every transfer cut to cap bytes; the rounds taken. */
static unsigned drive(struct blockif *b, struct blockif_req *r, size_t cap)
{
	struct blockif_round rd;
	unsigned rounds = 0;
	uint64_t total = 0;
	for (unsigned i = 0; i < r->niov; i++)
		total += r->iov[i].iov_len;
	r->priv = (struct blockif_req_priv){.total = total};
	do {
		ck_assert_int_eq(blockif_round_prepare(b, r, &rd), 0);
		ck_assert_uint_eq(rd.off, r->offset + r->priv.done);
		rounds++;
	} while (blockif_round_done(b, r, run_capped(b, &rd, cap)));
	ck_assert_int_eq(r->priv.res, (int)total);
	ck_assert_ptr_null(r->priv.bounce);
	return rounds;
}

/*
 * Short transfers continue where they stopped, also inside an iovec and
 * through the bounce buffer (_i = 1: nocache, cut at a block multiple).
 */
START_TEST(short_transfers_continue)
{
	if (_i == 1 && !direct_io_here())
		return;
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	struct blockif *b = bopen(d.path, false, _i == 1, 0);
	const size_t cap = _i == 1 ? 12288 : 7001;
	static uint8_t w[3][20000], r[2][30000];
	for (unsigned k = 0; k < 3; k++)
		for (size_t i = 0; i < sizeof(w[k]); i++)
			w[k][i] = (uint8_t)(k * 77 + i * 5);
	struct io io;
	io_init(&io, BLOCKIF_WRITE, 65536);
	io_buf(&io, w[0] + 1, 19999); /* misaligned: bounced under nocache */
	io_buf(&io, w[1], 20000);
	io_buf(&io, w[2], 20000);
	ck_assert_uint_eq(io.req.niov, 3);
	ck_assert_uint_ge(drive(b, &io.req, cap), 60000 / cap);
	io_init(&io, BLOCKIF_READ, 65536);
	io_buf(&io, r[0] + 1, 29999);
	io_buf(&io, r[1], 30000 - 1);
	io_buf(&io, r[1] + 29999, 1);
	ck_assert_uint_ge(drive(b, &io.req, cap), 60000 / cap);
	uint8_t *flat = malloc(60000);
	memcpy(flat, w[0] + 1, 19999);
	memcpy(flat + 19999, w[1], 20000);
	memcpy(flat + 39999, w[2], 20000);
	ck_assert_mem_eq(r[0] + 1, flat, 29999);
	ck_assert_mem_eq(r[1], flat + 29999, 30000);
	uint8_t *all = disk_read_all(&d);
	ck_assert_mem_eq(all + 65536, flat, 59999);
	ck_assert(is_pattern(all, 0, 65536));
	free(all);
	free(flat);
	blockif_close(b);
	disk_free(&d);
	loop_free();
}
END_TEST

/* nocache: which way a request goes, before any I/O (white box). */
START_TEST(nocache_routing)
{
	if (!direct_io_here())
		return;
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, MiB);
	struct blockif *b = bopen(d.path, false, true, 0);
	ck_assert_uint_le(b->off_align, 4096);
	ck_assert_uint_le(b->mem_align, 4096);
	uint8_t *buf;
	ck_assert_int_eq(posix_memalign((void **)&buf, 4096, 3 * 4096), 0);
	static const struct {
		uint64_t off;
		size_t skew, len;
		int fidx;
		bool bounced;
	} cases[] = {
	    {4096, 0, 8192, 0, false},	   /* aligned: straight to the O_DIRECT descriptor */
	    {4096, 1, 8192, 0, true},	   /* misaligned buffer: bounced */
	    {4096 + 1, 0, 8192, 1, false}, /* misaligned offset: the page cache */
	    {4096, 0, 8191, 1, false},	   /* misaligned length: the page cache */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int op = BLOCKIF_READ; op <= BLOCKIF_WRITE; op++) {
			struct io io;
			struct blockif_round rd;
			io_init(&io, (enum blockif_op)op, cases[i].off);
			io_buf(&io, buf + cases[i].skew, cases[i].len);
			io.req.priv = (struct blockif_req_priv){.total = cases[i].len};
			ck_assert_int_eq(blockif_round_prepare(b, &io.req, &rd), 0);
			ck_assert_msg(rd.fidx == cases[i].fidx &&
					  io.req.priv.bounced == cases[i].bounced,
				      "case %u op %d: fidx %d bounced %d", i, op, rd.fidx,
				      io.req.priv.bounced);
			blockif_req_drop(&io.req);
		}
	}
	free(buf);
	blockif_close(b);
	disk_free(&d);
	loop_free();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("blockif");
	suite_add_tcase(s, blockif_cases());
	TCase *tc = tcase_create("white box");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, falls_back_to_threads, 0, 2);
	tcase_add_test(tc, ring_is_restricted);
	tcase_add_loop_test(tc, short_transfers_continue, 0, 2);
	tcase_add_test(tc, nocache_routing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(8, &ring, 0);
	if (rc < 0) {
		fprintf(stderr, "blockif: io_uring unavailable here (%s): skipped\n",
			strerror(-rc));
		return 77;
	}
	io_uring_queue_exit(&ring);
	test_threads = false;
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
