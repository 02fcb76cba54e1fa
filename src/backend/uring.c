// SPDX-License-Identifier: BSD-2-Clause
/* Restricted io_uring rings for the backends (see khyve/uring.h). */
#include "khyve/uring.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The most opcodes a ring is restricted to (two more entries: the flag rules). */
#define URING_MAX_OPS 8

/*
 * io_uring_register(2) itself: liburing 2.3's shared library does not
 * export io_uring_register_restrictions() or io_uring_enable_rings().
 */
static int ring_register(struct io_uring *ring, unsigned op, const void *arg, unsigned n)
{
	long rc = syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n);
	return rc < 0 ? -errno : 0;
}

int uring_setup_restricted(struct io_uring *ring, unsigned entries, const int *files,
			   unsigned nfiles, int efd, const uint8_t *ops, unsigned nops, char *why,
			   size_t whylen)
{
	if (nops > URING_MAX_OPS) {
		snprintf(why, whylen, "%u opcodes", nops);
		return -EINVAL;
	}
	struct io_uring_params params = {.flags = IORING_SETUP_R_DISABLED};
	int rc = io_uring_queue_init_params(entries, ring, &params);
	if (rc < 0) {
		snprintf(why, whylen, "io_uring_setup: %s", strerror(-rc));
		return rc;
	}
	/*
	 * Registrations first: once the ring is enabled with restrictions, no
	 * io_uring_register() operation is allowed at all.
	 */
	const char *step = "registering the files";
	rc = io_uring_register_files(ring, files, nfiles);
	if (rc == 0) {
		step = "registering the eventfd";
		rc = io_uring_register_eventfd(ring, efd);
	}
	if (rc == 0) {
		/* Only the given operations, only on the registered files. */
		struct io_uring_restriction res[URING_MAX_OPS + 3];
		memset(res, 0, sizeof(res));
		for (unsigned i = 0; i < nops; i++) {
			res[i].opcode = IORING_RESTRICTION_SQE_OP;
			res[i].sqe_op = ops[i];
		}
		res[nops].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
		res[nops].sqe_flags = IOSQE_FIXED_FILE;
		res[nops + 1].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
		res[nops + 1].sqe_flags = IOSQE_FIXED_FILE;
		/* And dropping the files at the end (uring_close). */
		res[nops + 2].opcode = IORING_RESTRICTION_REGISTER_OP;
		res[nops + 2].register_op = IORING_UNREGISTER_FILES;
		step = "restrictions";
		rc = ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, nops + 3);
	}
	if (rc == 0) {
		step = "enabling the ring";
		rc = ring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	}
	if (rc < 0) {
		snprintf(why, whylen, "%s: %s", step, strerror(-rc));
		io_uring_queue_exit(ring);
		return rc;
	}
	return 0;
}

int uring_submit_all(struct io_uring *ring)
{
	int rc = 0;
	while (io_uring_sq_ready(ring) > 0) {
		rc = io_uring_submit(ring);
		if (rc == -EINTR)
			continue;
		if (rc <= 0)
			break;
	}
	/* Left in the ring on error: the next submit or completion sends them. */
	return rc < 0 ? rc : 0;
}

int uring_submit_reaped(struct io_uring *ring)
{
	/* IORING_CQ_EVENTFD_DISABLED: a flag in the shared CQ ring, no system call. */
	bool was = io_uring_cq_eventfd_enabled(ring);
	(void)io_uring_cq_eventfd_toggle(ring, false);
	int rc = uring_submit_all(ring);
	if (was)
		(void)io_uring_cq_eventfd_toggle(ring, true);
	/*
	 * The flag is back before the caller looks at the CQ ring: a completion
	 * the caller's look misses is posted after it, and so signals.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return rc;
}

void uring_close(struct io_uring *ring, bool idle)
{
	/*
	 * The kernel tears a closed ring down in the background and only then
	 * lets go of its fixed files: a tap would outlive the VMM for a moment.
	 * Unregistering them first lets go at once; it waits for requests that
	 * use them, so only when none is in flight.
	 */
	if (idle)
		io_uring_unregister_files(ring);
	io_uring_queue_exit(ring);
}
