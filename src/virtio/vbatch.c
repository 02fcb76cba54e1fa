// SPDX-License-Identifier: BSD-2-Clause
/* Adaptive batching of a polled device's requests: see vbatch.h. */
#include "khyve/vbatch.h"

#include <string.h>

void vbatch_init(struct vbatch *b, uint64_t hold_min, uint64_t hold_max)
{
	memset(b, 0, sizeof(*b));
	b->hold_max = hold_max;
	b->hold_min = b->hold = hold_min < hold_max ? hold_min : hold_max;
}

/* A moving mean over about eight samples. */
static uint64_t mean(uint64_t m, uint64_t v)
{
	return m ? (7 * m + v) / 8 : v;
}

static uint64_t clamp_hold(const struct vbatch *b, uint64_t h)
{
	if (h < b->hold_min)
		h = b->hold_min;
	return h < b->hold_max ? h : b->hold_max;
}

void vbatch_arrive(struct vbatch *b, uint64_t now, unsigned count)
{
	if (b->last && now >= b->last)
		b->gap_all = mean(b->gap_all, now - b->last);
	if (b->first == 0)
		b->first = now;
	else if (now >= b->last)
		b->gap = mean(b->gap, now - b->last);
	b->last = now;
	b->n += count;
}

bool vbatch_due(const struct vbatch *b, uint64_t now)
{
	if (b->first == 0)
		return false;
	return now < b->last || now - b->last >= b->hold ||
	       now - b->first >= VBATCH_SPAN * b->hold_max;
}

void vbatch_flushed(struct vbatch *b)
{
	if (b->first == 0)
		return;
	b->batches++;
	b->requests += b->n;
	if (b->hold > b->hold_min) {
		/* More came while holding: keep holding, for twice their gap. */
		if (b->n >= 2) {
			b->misses = 0;
			b->hold = clamp_hold(b, 2 * b->gap);
		} else if (++b->misses >= VBATCH_MISSES) {
			b->misses = 0;
			b->hold = b->hold_min;
		}
	} else if (++b->since_probe >= VBATCH_PROBE_EVERY && b->hold_max > b->hold_min) {
		b->since_probe = 0;
		b->hold = clamp_hold(b, 2 * b->gap_all);
	}
	b->first = 0;
	b->n = 0;
}
