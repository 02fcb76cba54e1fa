// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/iobus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int iobus_init(struct iobus *bus)
{
	memset(bus, 0, sizeof(*bus));
	return -pthread_rwlock_init(&bus->lock, NULL);
}

void iobus_fini(struct iobus *bus)
{
	free(bus->range);
	bus->range = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose end is above addr. */
static size_t lower_bound(const struct iobus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct io_range *r = &bus->range[mid];
		if (r->base + (r->len - 1) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, io_access_fn fn, void *opaque)
{
	if (len == 0 || base + (len - 1) < base || fn == NULL)
		return -EINVAL;
	int rc = 0;
	pthread_rwlock_wrlock(&bus->lock);
	size_t i = lower_bound(bus, base);
	if (i < bus->nr && bus->range[i].base <= base + (len - 1)) {
		rc = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct io_range *n = realloc(bus->range, cap * sizeof(*n));
		if (n == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		bus->range = n;
		bus->cap = cap;
	}
	memmove(&bus->range[i + 1], &bus->range[i], (bus->nr - i) * sizeof(bus->range[0]));
	bus->range[i] = (struct io_range){.base = base, .len = len, .fn = fn, .opaque = opaque};
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

int iobus_unregister(struct iobus *bus, uint64_t base)
{
	int rc = -ENOENT;
	pthread_rwlock_wrlock(&bus->lock);
	size_t i = lower_bound(bus, base);
	if (i < bus->nr && bus->range[i].base == base) {
		memmove(&bus->range[i], &bus->range[i + 1],
			(bus->nr - i - 1) * sizeof(bus->range[0]));
		bus->nr--;
		rc = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

int iobus_access(struct iobus *bus, uint64_t addr, uint8_t *data, unsigned size, bool is_write)
{
	if (size == 0 || size > 8 || addr + (size - 1) < addr)
		goto miss;
	pthread_rwlock_rdlock(&bus->lock);
	size_t i = lower_bound(bus, addr);
	if (i < bus->nr) {
		const struct io_range r = bus->range[i];
		if (r.base <= addr && addr - r.base + size <= r.len) {
			/*
			 * Called after dropping the lock: a handler may move
			 * ranges (a BAR write through config space). Devices
			 * outlive the bus, so the copied opaque stays valid.
			 */
			pthread_rwlock_unlock(&bus->lock);
			r.fn(r.opaque, addr - r.base, data, size, is_write);
			return 0;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
miss:
	if (!is_write)
		memset(data, 0xff, size > 8 ? 8 : size);
	return -ENOENT;
}
