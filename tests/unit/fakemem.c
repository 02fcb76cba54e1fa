// SPDX-License-Identifier: BSD-2-Clause
#include "fakemem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int fakemem_init(struct fakemem *fm, uint64_t lo_size, uint64_t hi_gpa, uint64_t hi_size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	memset(fm, 0, sizeof(*fm));
	/* guard | lo | guard | hi | guard */
	fm->maplen = lo_size + hi_size + 3 * pg;
	uint8_t *base = mmap(NULL, fm->maplen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	fm->map = base;
	uint8_t *lo = base + pg, *hi = lo + lo_size + pg;
	if (mprotect(lo, lo_size, PROT_READ | PROT_WRITE) || mprotect(hi, hi_size, PROT_READ | PROT_WRITE))
		return -errno;
	int rc = gmem_add(&fm->gmem, 0, lo_size, lo);
	if (rc == 0)
		rc = gmem_add(&fm->gmem, hi_gpa, hi_size, hi);
	return rc;
}

void fakemem_fini(struct fakemem *fm)
{
	if (fm->map)
		munmap(fm->map, fm->maplen);
	fm->map = NULL;
}
