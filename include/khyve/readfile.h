/* SPDX-License-Identifier: BSD-2-Clause */
/* Whole files into memory: the kernel and initrd to boot, fw_cfg's file items. */
#ifndef KHYVE_READFILE_H
#define KHYVE_READFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The whole of the regular file at path, of at most max bytes, into a new
 * buffer (*out, free() it; *len bytes). 0, or -errno: -EINVAL not a regular
 * file (a FIFO or device is not waited on), -EFBIG larger than max, -EIO it
 * shrank while read.
 */
int read_whole_file(const char *path, uint64_t max, uint8_t **out, size_t *len);

/* read_whole_file's error rc in words: -EINVAL "not a regular file", else strerror. */
const char *read_whole_file_error(int rc);

#endif
