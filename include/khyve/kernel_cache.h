/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * boot.kernel_cache=DIR: the vmlinux inside a bzImage, unpacked on the host (xz,
 * liblzma) at the first boot and kept in DIR under the SHA-256 of the bzImage. Every
 * boot of that bzImage then copies the ready vmlinux into guest memory and enters it at
 * startup_64, so the guest does not run its own decompressor. The kernel is then not
 * randomized (KASLR is the decompressor's work).
 *
 * DIR is created (0700) when missing; it must belong to the user running khyve and be
 * writable by no one else, since what it holds runs as the guest's kernel.
 */
#ifndef KHYVE_KERNEL_CACHE_H
#define KHYVE_KERNEL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "khyve/gmem.h"
#include "khyve/vmlinux.h"

enum kcache_outcome {
	KCACHE_UNUSED, /* boot the bzImage as it is (why says why); guest memory may hold
			  part of an unpacked image, junk to the booting guest */
	KCACHE_HIT,    /* loaded from the cache */
	KCACHE_FILLED, /* unpacked here, loaded, and stored (why: a failure to store) */
};

/*
 * Load the vmlinux of bzImage bz into guest memory between min_gpa and max_gpa through
 * the cache in dir; v describes what was loaded. Never fatal: any problem with the cache
 * or the payload gives KCACHE_UNUSED and a reason. why is "" when there is nothing to say.
 */
enum kcache_outcome kernel_cache_load(const char *dir, const uint8_t *bz, size_t bzlen,
				      const struct gmem *m, uint64_t min_gpa, uint64_t max_gpa,
				      struct vmlinux *v, char *why, size_t whylen);

/* The entry's file name for a bzImage: "vmlinux-" and the SHA-256 in hex. */
void kernel_cache_name(const uint8_t *bz, size_t bzlen, char name[80]);

#endif
