// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int read_whole_file(const char *path, uint64_t max, uint8_t **out, size_t *len)
{
	/* O_NONBLOCK: opening a FIFO does not wait for a writer; fstat then refuses it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = 0;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		rc = -EFBIG;
	else if ((buf = malloc(st.st_size ? (size_t)st.st_size : 1)) == NULL)
		rc = -ENOMEM;
	size_t size = rc ? 0 : (size_t)st.st_size, got = 0;
	while (rc == 0 && got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO; /* an error, or the file shrank */
		else
			got += (size_t)n;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = size;
	return 0;
}

const char *read_whole_file_error(int rc)
{
	return rc == -EINVAL ? "not a regular file" : strerror(-rc);
}
