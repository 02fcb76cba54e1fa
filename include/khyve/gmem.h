/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest physical memory map: a few regions, each a host mapping. Every
 * guest-supplied address goes through gmem_ptr(), which checks that the
 * whole [gpa, gpa+len) lies inside one region without wrapping.
 */
#ifndef KHYVE_GMEM_H
#define KHYVE_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct gmem {
	struct gmem_region region[GMEM_MAX_REGIONS];
	unsigned nr;
};

/* Add a region; regions must not overlap. 0 or -EINVAL/-ENOSPC. */
int gmem_add(struct gmem *m, uint64_t gpa, uint64_t size, void *host);
/* Host pointer for [gpa, gpa+len), or NULL when any byte is outside one region. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Copy helpers: 0 or -EFAULT. */
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len);

#endif
