/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Port-I/O and MMIO dispatch: a sorted array of non-overlapping ranges per
 * bus, searched by binary search. One bus per address space, per VM.
 */
#ifndef KHYVE_IOBUS_H
#define KHYVE_IOBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* off is relative to the range's base; data holds size (1, 2, 4 or 8) bytes, little-endian. */
typedef void (*io_access_fn)(void *opaque, uint64_t off, uint8_t *data, unsigned size,
			     bool is_write);

struct io_range {
	uint64_t base;
	uint64_t len;
	io_access_fn fn;
	void *opaque;
};

struct iobus {
	struct io_range *range;
	size_t nr, cap;
	pthread_rwlock_t lock;
};

int iobus_init(struct iobus *bus);
void iobus_fini(struct iobus *bus);
/* -EEXIST when [base, base+len) overlaps a registered range; -EINVAL for len 0 or wrap. */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, io_access_fn fn, void *opaque);
int iobus_unregister(struct iobus *bus, uint64_t base);
/*
 * Dispatch one access. Returns 0 when a range covers the whole access,
 * -ENOENT otherwise (then a read is filled with all-ones).
 */
int iobus_access(struct iobus *bus, uint64_t addr, uint8_t *data, unsigned size, bool is_write);

#endif
