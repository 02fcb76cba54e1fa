/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Adaptive batching for a polled virtio device (a driver that does not kick):
 * the requests the driver adds are held, and sent to the backend together
 * with one interrupt for their completions, once it has stopped adding for
 * `hold` ns. One system call and one interrupt then serve a whole batch.
 *
 * The hold is learnt from the driver. It is hold_min (a batch goes once
 * the driver has been quiet that long) until a probe, every VBATCH_PROBE_EVERY batches, holds for twice the usual
 * gap between requests: a driver that waits for each completion (queue
 * depth 1) adds nothing meanwhile, and after VBATCH_MISSES such batches the
 * hold drops back to hold_min; one with
 * more to give adds more, and the hold follows twice the gap between the
 * requests of a batch. It never exceeds hold_max, and a batch is sent at
 * the latest VBATCH_SPAN holds (hold_max each) after its first request.
 *
 * Pure bookkeeping on timestamps the caller passes (ns, monotonic).
 */
#ifndef KHYVE_VBATCH_H
#define KHYVE_VBATCH_H

#include <stdbool.h>
#include <stdint.h>

#define VBATCH_PROBE_EVERY 128
/* Batches of one in a row that end holding. */
#define VBATCH_MISSES 2
#define VBATCH_SPAN 16

struct vbatch {
	uint64_t hold, hold_min, hold_max;
	uint64_t gap;	  /* mean gap between the arrivals of one held batch */
	uint64_t gap_all; /* mean gap between any two arrivals */
	uint64_t first;	  /* the held batch's first arrival; 0: nothing held */
	uint64_t last;	  /* the latest arrival */
	unsigned n;	  /* arrivals in the held batch */
	unsigned since_probe;
	unsigned misses;  /* batches of one in a row while holding */
	uint64_t batches, requests; /* flushed batches, and the arrivals they carried */
};

/* hold_min ≤ hold_max; hold_max 0: every request goes at once. */
void vbatch_init(struct vbatch *b, uint64_t hold_min, uint64_t hold_max);
/* `count` requests arrived at `now` (now > 0): they join the held batch. */
void vbatch_arrive(struct vbatch *b, uint64_t now, unsigned count);
/* Is a batch held? */
static inline bool vbatch_held(const struct vbatch *b)
{
	return b->first != 0;
}
/* The held batch should go now. */
bool vbatch_due(const struct vbatch *b, uint64_t now);
/* The held batch went: learn from it; nothing is held afterwards. */
void vbatch_flushed(struct vbatch *b);

#endif
