/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The uncompressed kernel inside a bzImage: where its compressed payload lies
 * (boot protocol 2.08+), and the ELF image it unpacks to (vmlinux), checked and
 * copied into guest memory at its physical load addresses.
 */
#ifndef KHYVE_VMLINUX_H
#define KHYVE_VMLINUX_H

#include <asm/bootparam.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khyve/gmem.h"

#define VMLINUX_MAX_SEGS 8
/* The ELF header and program headers must lie in the file's first bytes. */
#define VMLINUX_HEAD_MAX 4096

#define BZIMAGE_HDR_OFF 0x1f1	      /* the setup header in the file and in boot_params */
#define BZIMAGE_HDRS_MAGIC 0x53726448 /* "HdrS" */

/*
 * A bzImage's setup header, copied out (it is unaligned in the file), and the length of
 * its real-mode part, which the protected-mode code and the payload follow. 0, or
 * -EINVAL with a message: too small, no HdrS signature, setup longer than the file.
 */
int bzimage_setup(const uint8_t *bz, size_t len, struct setup_header *h, size_t *setup_len,
		  char *err, size_t errlen);

/* The compressed payload of a bzImage: offset and length in the file. */
struct bzimage_payload {
	size_t off, len;
	uint32_t unpacked_len; /* the size the kernel build appends to the payload */
};

/* 0, or -EINVAL with a message when the header has no payload fields or they point
 * outside the file. */
int bzimage_find_payload(const uint8_t *bz, size_t len, struct bzimage_payload *out, char *err,
			 size_t errlen);

/* Whether a kernel file is an ELF image (an uncompressed vmlinux) rather than a bzImage. */
bool vmlinux_is_elf(const uint8_t *file, size_t len);

struct vmlinux_seg {
	uint64_t gpa, off, filesz, memsz;
};

struct vmlinux {
	struct vmlinux_seg seg[VMLINUX_MAX_SEGS];
	unsigned nseg;
	uint64_t entry; /* guest-physical address of startup_64 */
	uint64_t end;	/* first byte after the highest segment */
};

/*
 * Check an x86-64 ELF executable whose first head_len bytes are head and whose
 * whole length is file_len: every PT_LOAD segment within the file and within
 * [min_gpa, max_gpa) of guest-physical memory, the entry point inside one.
 * 0, or -EINVAL with a message.
 */
int vmlinux_parse(const uint8_t *head, size_t head_len, uint64_t file_len, uint64_t min_gpa,
		  uint64_t max_gpa, struct vmlinux *out, char *err, size_t errlen);

/* Copy the segments from the whole file in memory / from a file descriptor (pread),
 * then zero-fill each past its file bytes. 0, -EFAULT or -errno (-EIO on a short read). */
int vmlinux_load_buf(const struct gmem *m, const struct vmlinux *v, const uint8_t *file);
int vmlinux_load_fd(const struct gmem *m, const struct vmlinux *v, int fd);
/* Zero each segment's memory past its file bytes (the loaders' last step). 0 or -EFAULT. */
int vmlinux_zero_tails(const struct gmem *m, const struct vmlinux *v);

#endif
