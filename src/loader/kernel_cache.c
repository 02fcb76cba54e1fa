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

/* Copy what of the file's bytes [pos, pos + n) the segments hold into guest memory. */
static int place_chunk(const struct gmem *m, const struct vmlinux *v, const uint8_t *chunk,
		       uint64_t pos, size_t n)
{
	for (unsigned i = 0; i < v->nseg; i++) {
		const struct vmlinux_seg *s = &v->seg[i];
		uint64_t a = pos > s->off ? pos : s->off;
		uint64_t b = pos + n < s->off + s->filesz ? pos + n : s->off + s->filesz;
		if (a < b && gmem_write(m, s->gpa + (a - s->off), chunk + (a - pos), b - a))
			return -EFAULT;
	}
	return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

struct unpack {
	const struct gmem *m;
	uint64_t min_gpa, max_gpa, len;
	struct vmlinux *v;
	int fd;	   /* the entry being written, or -1 */
	int store; /* 0, or the -errno that ended its writing */
};

/*
 * Unpack the xz stream a chunk at a time: each chunk goes into guest memory where the
 * segments say and into the entry's file, so the whole image is never held in memory.
 * The ELF headers come with the first chunk.
 */
static int unpack_xz(struct unpack *u, const uint8_t *in, size_t inlen, char *why, size_t whylen)
{
	enum { CHUNK = 1 << 20 };
	lzma_stream s = LZMA_STREAM_INIT;
	uint8_t *chunk = malloc(CHUNK);
	if (chunk == NULL || lzma_stream_decoder(&s, XZ_MEMLIMIT, 0) != LZMA_OK) {
		free(chunk);
		WHY("cannot start the xz decoder");
		return -1;
	}
	s.next_in = in;
	s.avail_in = inlen;
	uint64_t pos = 0;
	lzma_ret r = LZMA_OK;
	int rc = -1;
	char err[200];
	while (r == LZMA_OK) {
		s.next_out = chunk;
		s.avail_out = CHUNK;
		r = lzma_code(&s, LZMA_FINISH);
		size_t n = CHUNK - s.avail_out;
		if (r != LZMA_OK && r != LZMA_STREAM_END) {
			WHY("the xz payload does not unpack (liblzma error %d after %llu bytes)",
			    (int)r, (unsigned long long)(pos + n));
			goto out;
		}
		if (n > u->len - pos) {
			WHY("the xz payload unpacks to more than its trailer's %llu bytes",
			    (unsigned long long)u->len);
			goto out;
		}
		if (pos == 0 &&
		    vmlinux_parse(chunk, n < VMLINUX_HEAD_MAX ? n : VMLINUX_HEAD_MAX, u->len,
				  u->min_gpa, u->max_gpa, u->v, err, sizeof(err)) < 0) {
			WHY("the unpacked kernel: %s", err);
			goto out;
		}
		if (place_chunk(u->m, u->v, chunk, pos, n) < 0) {
			WHY("the unpacked kernel does not fit in guest memory");
			goto out;
		}
		if (u->fd >= 0 && u->store == 0)
			u->store = write_all(u->fd, chunk, n);
		pos += n;
	}
	if (pos != u->len) {
		WHY("the xz payload unpacks to %llu bytes, its trailer says %llu",
		    (unsigned long long)pos, (unsigned long long)u->len);
		goto out;
	}
	rc = 0;
	if (vmlinux_zero_tails(u->m, u->v) < 0) {
		WHY("the unpacked kernel does not fit in guest memory");
		rc = -1;
	}
out:
	lzma_end(&s);
	free(chunk);
	return rc;
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
	/* Unpack into guest memory and, under a temporary name, into the directory. */
	char tmp[96];
	snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	unlinkat(dfd, tmp, 0); /* left by a process of this PID that died while storing */
	struct unpack u = {
	    .m = m, .min_gpa = min_gpa, .max_gpa = max_gpa, .len = pl.unpacked_len, .v = v};
	u.fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (u.fd < 0)
		u.store = -errno;
	enum kcache_outcome out = KCACHE_UNUSED;
	if (unpack_xz(&u, p, pl.len - SIZE_TRAILER, why, whylen) == 0) {
		out = KCACHE_FILLED;
		if (u.store == 0 && fsync(u.fd) < 0)
			u.store = -errno;
	}
	if (u.fd >= 0 && close(u.fd) < 0 && u.store == 0)
		u.store = -errno;
	if (out == KCACHE_FILLED && u.store == 0 && renameat(dfd, tmp, dfd, name) < 0)
		u.store = -errno;
	if (out != KCACHE_FILLED || u.store != 0)
		unlinkat(dfd, tmp, 0);
	if (out == KCACHE_FILLED && u.store != 0)
		WHY("cannot store the unpacked kernel: %s", strerror(-u.store));
	close(dfd);
	return out;
}
