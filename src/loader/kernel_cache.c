// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/kernel_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <sha2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XZ_MAGIC                                                                                   \
	"\xfd"                                                                                     \
	"7zXZ\0"
#define XZ_MAGIC_LEN 6
#define SIZE_TRAILER 4
/* Debian's kernels use a 32 MiB dictionary; the decoder needs a little more. */
#define XZ_MEMLIMIT (128ull << 20)
#define UNPACKED_MAX (1ull << 30)

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

void kernel_cache_name(const uint8_t *bz, size_t bzlen, char name[80])
{
	char hex[SHA256_DIGEST_STRING_LENGTH];
	SHA256Data(bz, bzlen, hex);
	snprintf(name, 80, "vmlinux-%s", hex);
}

static const char *payload_format(const uint8_t *p, size_t len)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} formats[] = {
	    {"\x1f\x8b", 2, "gzip"},	    {"BZh", 3, "bzip2"},
	    {"\x5d\x00\x00", 3, "lzma"},    {"\x89LZO", 4, "lzo"},
	    {"\x02\x21\x4c\x18", 4, "lz4"}, {"\x28\xb5\x2f\xfd", 4, "zstd"},
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (len >= formats[i].len && memcmp(p, formats[i].magic, formats[i].len) == 0)
			return formats[i].name;
	return "an unknown format";
}

/* The cache directory: created when missing, ours alone. An O_DIRECTORY fd, or -1. */
static int open_dir(const char *dir, char *why, size_t whylen)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		WHY("cannot create it: %s", strerror(errno));
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		WHY("cannot open it: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		WHY("it must belong to uid %u and be writable by no one else (owner %u, mode "
		    "%03o)",
		    (unsigned)geteuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	return fd;
}

/* A stored entry of exactly len bytes, checked and loaded. */
static bool load_entry(int dfd, const char *name, uint64_t len, const struct gmem *m,
		       uint64_t min_gpa, uint64_t max_gpa, struct vmlinux *v)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	uint8_t head[VMLINUX_HEAD_MAX];
	char err[200];
	size_t hlen = len < sizeof(head) ? (size_t)len : sizeof(head);
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		  (uint64_t)st.st_size == len && pread(fd, head, hlen, 0) == (ssize_t)hlen &&
		  vmlinux_parse(head, hlen, len, min_gpa, max_gpa, v, err, sizeof(err)) == 0 &&
		  vmlinux_load_fd(m, v, fd) == 0;
	close(fd);
	return ok;
}

static int unpack_xz(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen, char *why,
		     size_t whylen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&s, XZ_MEMLIMIT, 0) != LZMA_OK) {
		WHY("cannot start the xz decoder");
		return -1;
	}
	s.next_in = in;
	s.avail_in = inlen;
	s.next_out = out;
	s.avail_out = outlen;
	lzma_ret r = lzma_code(&s, LZMA_FINISH);
	uint64_t got = s.total_out;
	lzma_end(&s);
	if (r != LZMA_STREAM_END) {
		WHY("the xz payload does not unpack (liblzma error %d after %llu bytes)", (int)r,
		    (unsigned long long)got);
		return -1;
	}
	if (got != outlen) {
		WHY("the xz payload unpacks to %llu bytes, its trailer says %zu",
		    (unsigned long long)got, outlen);
		return -1;
	}
	return 0;
}

/* Write the entry under a temporary name and rename it into place. */
static int store_entry(int dfd, const char *name, const uint8_t *buf, size_t len, char *why,
		       size_t whylen)
{
	char tmp[96];
	snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	unlinkat(dfd, tmp, 0); /* left by a process of this PID that died while storing */
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		WHY("cannot store the unpacked kernel: %s", strerror(errno));
		return -1;
	}
	size_t done = 0;
	int e = 0;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	if (e == 0 && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && e == 0)
		e = errno;
	if (e == 0 && renameat(dfd, tmp, dfd, name) < 0)
		e = errno;
	if (e) {
		unlinkat(dfd, tmp, 0);
		WHY("cannot store the unpacked kernel: %s", strerror(e));
		return -1;
	}
	return 0;
}

enum kcache_outcome kernel_cache_load(const char *dir, const uint8_t *bz, size_t bzlen,
				      const struct gmem *m, uint64_t min_gpa, uint64_t max_gpa,
				      struct vmlinux *v, char *why, size_t whylen)
{
	struct bzimage_payload pl;
	why[0] = '\0';
	if (bzimage_find_payload(bz, bzlen, &pl, why, whylen) < 0)
		return KCACHE_UNUSED;
	const uint8_t *p = bz + pl.off;
	if (pl.len < XZ_MAGIC_LEN || memcmp(p, XZ_MAGIC, XZ_MAGIC_LEN) != 0) {
		WHY("the kernel is compressed with %s; only xz is unpacked",
		    payload_format(p, pl.len));
		return KCACHE_UNUSED;
	}
	if (pl.unpacked_len < VMLINUX_HEAD_MAX || pl.unpacked_len > UNPACKED_MAX ||
	    pl.unpacked_len > max_gpa) {
		WHY("the payload's unpacked size (%u bytes) is implausible", pl.unpacked_len);
		return KCACHE_UNUSED;
	}
	int dfd = open_dir(dir, why, whylen);
	if (dfd < 0)
		return KCACHE_UNUSED;
	char name[80];
	kernel_cache_name(bz, bzlen, name);
	if (load_entry(dfd, name, pl.unpacked_len, m, min_gpa, max_gpa, v)) {
		close(dfd);
		return KCACHE_HIT;
	}
	enum kcache_outcome out = KCACHE_UNUSED;
	uint8_t *buf = malloc(pl.unpacked_len);
	char err[200];
	if (buf == NULL) {
		WHY("no memory to unpack the kernel");
	} else if (unpack_xz(p, pl.len - SIZE_TRAILER, buf, pl.unpacked_len, why, whylen) < 0) {
		/* why says it */
	} else if (vmlinux_parse(buf, VMLINUX_HEAD_MAX, pl.unpacked_len, min_gpa, max_gpa, v, err,
				 sizeof(err)) < 0) {
		WHY("the unpacked kernel: %s", err);
	} else if (vmlinux_load_buf(m, v, buf) < 0) {
		WHY("the unpacked kernel does not fit in guest memory");
	} else {
		out = KCACHE_FILLED;
		store_entry(dfd, name, buf, pl.unpacked_len, why, whylen);
	}
	free(buf);
	close(dfd);
	return out;
}
