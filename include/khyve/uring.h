/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * io_uring set up the way khyve's backends use it: the ring created
 * disabled, the descriptors it works on registered (fixed files), an
 * eventfd signalled on completions (the event loop watches it), then the
 * ring restricted to a few opcodes on fixed files only, and enabled.
 */
#ifndef KHYVE_URING_H
#define KHYVE_URING_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * entries: SQ ring size; files[0..nfiles): the fixed files; efd: the
 * completion eventfd; ops[0..nops): the IORING_OP_* allowed. 0, or -errno
 * with the failing step in why (the ring is then torn down).
 */
int uring_setup_restricted(struct io_uring *ring, unsigned entries, const int *files,
			   unsigned nfiles, int efd, const uint8_t *ops, unsigned nops, char *why,
			   size_t whylen);
/* Submit what the SQ ring holds: one io_uring_enter unless the kernel stops early. */
int uring_submit_all(struct io_uring *ring);
/*
 * The same for requests whose completions the caller reaps right after the
 * submit (writes to a tap, RWF_NOWAIT reads: they complete within it): the
 * completion eventfd stays quiet for them, so the loop is not woken for
 * completions already taken. Completions posted afterwards signal it.
 */
int uring_submit_reaped(struct io_uring *ring);

/* Tear the ring down; idle: nothing in flight, so its files are let go of now. */
void uring_close(struct io_uring *ring, bool idle);

#endif
