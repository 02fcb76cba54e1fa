/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fake guest memory for unit tests: two regions with a hole between them
 * and PROT_NONE guard pages around each, so an escape faults at once.
 */
#ifndef KHYVE_TEST_FAKEMEM_H
#define KHYVE_TEST_FAKEMEM_H

#include "khyve/gmem.h"

struct fakemem {
	struct gmem gmem;
	void *map;
	size_t maplen;
};

/* Region 0 at gpa 0 of lo_size bytes, region 1 at hi_gpa of hi_size bytes. */
int fakemem_init(struct fakemem *fm, uint64_t lo_size, uint64_t hi_gpa, uint64_t hi_size);
void fakemem_fini(struct fakemem *fm);

#endif
