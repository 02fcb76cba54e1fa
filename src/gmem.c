// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/gmem.h"

#include <errno.h>
#include <string.h>

int gmem_add(struct gmem *m, uint64_t gpa, uint64_t size, void *host)
{
	if (size == 0 || host == NULL || gpa + size < gpa)
		return -EINVAL;
	if (m->nr >= GMEM_MAX_REGIONS)
		return -ENOSPC;
	for (unsigned i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->region[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EINVAL;
	}
	m->region[m->nr++] = (struct gmem_region){.gpa = gpa, .size = size, .host = host};
	return 0;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->region[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		/* off < size and len <= size - off: no addition that can wrap. */
		if (off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len)
{
	const void *p = gmem_ptr(m, gpa, len);
	if (p == NULL)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len)
{
	void *p = gmem_ptr(m, gpa, len);
	if (p == NULL)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
