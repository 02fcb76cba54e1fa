// SPDX-License-Identifier: BSD-2-Clause
/*
 * The tap backend: /dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
 * a 12-byte vnet header, non-blocking. With several queues the interface
 * is IFF_MULTI_QUEUE and each queue is a descriptor of its own (TUNSETIFF
 * with the same name on each). Frames are read and written by the device
 * on the event loop thread, with readv/writev or through its io_uring.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "khyve/tap.h"

struct tap {
	int fd[TAP_MAX_QUEUES];
	unsigned nq;
	int is_tun; /* opened through /dev/net/tun: the tun ioctls apply */
	char name[IFNAMSIZ];
};

#define TUN_PATH "/dev/net/tun"

static const char *hint(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return " (creating or attaching a tap needs CAP_NET_ADMIN, or a tap owned by this "
		       "user)";
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return " (no " TUN_PATH ": load the tun module)";
	case EBUSY:
		return " (the tap is attached to another process)";
	case EINVAL:
		return " (an interface of that name exists and is not a tap)";
	default:
		return "";
	}
}

/* Queue q of t->name: open, TUNSETIFF, header size, no offloads. 0 or -errno (err set). */
static int open_queue(struct tap *t, unsigned q, char *err, size_t errlen)
{
	const char *name = t->name;
	int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "tap %s: %s: %s%s", name, TUN_PATH, strerror(e), hint(e));
		return -e;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (t->nq > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	int hdr = TAP_VNET_HDR_LEN;
	const char *what = "TUNSETIFF";
	int rc = ioctl(fd, TUNSETIFF, &ifr);
	if (rc == 0) {
		what = "TUNSETVNETHDRSZ";
		rc = ioctl(fd, TUNSETVNETHDRSZ, &hdr);
	}
	if (rc == 0) {
		/* No offloads until the guest negotiates them. */
		what = "TUNSETOFFLOAD";
		rc = ioctl(fd, TUNSETOFFLOAD, 0ul);
	}
	if (rc < 0) {
		int e = errno;
		if (e == EINVAL && t->nq > 1)
			snprintf(err, errlen,
				 "tap %s: queue %u: %s: %s (an existing tap must be multi-queue "
				 "for queues=%u)",
				 name, q, what, strerror(e), t->nq);
		else
			snprintf(err, errlen, "tap %s: %s: %s%s", name, what, strerror(e), hint(e));
		close(fd);
		return -e;
	}
	/* The kernel may have completed a name with %d: the other queues use it. */
	memcpy(t->name, ifr.ifr_name, sizeof(t->name));
	t->name[IFNAMSIZ - 1] = '\0';
	t->fd[q] = fd;
	return 0;
}

int tap_open(struct tap **out, const char *name, unsigned nqueues, char *err, size_t errlen)
{
	if (name == NULL || *name == '\0' || strlen(name) >= IFNAMSIZ || strchr(name, '/')) {
		snprintf(err, errlen, "tap '%s': not a valid interface name (1 to %d characters)",
			 name ? name : "", IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (nqueues == 0 || nqueues > TAP_MAX_QUEUES) {
		snprintf(err, errlen, "tap %s: %u queues: expected 1 to %d", name, nqueues,
			 TAP_MAX_QUEUES);
		return -EINVAL;
	}
	struct tap *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "tap %s: out of memory", name);
		return -ENOMEM;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->is_tun = 1;
	t->nq = nqueues;
	for (unsigned q = 0; q < nqueues; q++) {
		int rc = open_queue(t, q, err, errlen);
		if (rc < 0) {
			t->nq = q;
			tap_close(t);
			return rc;
		}
	}
	*out = t;
	return 0;
}

int tap_from_fds(struct tap **out, const int *fds, unsigned n)
{
	if (n == 0 || n > TAP_MAX_QUEUES)
		return -EINVAL;
	struct tap *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (unsigned q = 0; q < n; q++) {
		int fl = fcntl(fds[q], F_GETFL);
		if (fl < 0 || fcntl(fds[q], F_SETFL, fl | O_NONBLOCK) < 0) {
			int e = errno;
			free(t);
			return -e;
		}
		t->fd[q] = fds[q];
	}
	t->nq = n;
	snprintf(t->name, sizeof(t->name), "fd%d", fds[0]);
	*out = t;
	return 0;
}

int tap_from_fd(struct tap **out, int fd)
{
	return tap_from_fds(out, &fd, 1);
}

void tap_close(struct tap *t)
{
	if (t == NULL)
		return;
	for (unsigned q = 0; q < t->nq; q++)
		close(t->fd[q]);
	free(t);
}

int tap_fd(const struct tap *t)
{
	return t->fd[0];
}

unsigned tap_queues(const struct tap *t)
{
	return t->nq;
}

int tap_queue_fd(const struct tap *t, unsigned q)
{
	return q < t->nq ? t->fd[q] : -1;
}

int tap_set_queue(struct tap *t, unsigned q, bool attach)
{
	if (!t->is_tun || t->nq < 2 || q >= t->nq)
		return 0;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	return ioctl(t->fd[q], TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}

const char *tap_name(const struct tap *t)
{
	return t->name;
}

int tap_set_offload(struct tap *t, unsigned flags)
{
	if (!t->is_tun)
		return 0;
	unsigned long f = 0;
	if (flags & TAP_OFF_CSUM)
		f |= TUN_F_CSUM;
	/* Segmentation offloads need checksum offload (the kernel refuses them alone). */
	if (f & TUN_F_CSUM) {
		if (flags & TAP_OFF_TSO4)
			f |= TUN_F_TSO4;
		if (flags & TAP_OFF_TSO6)
			f |= TUN_F_TSO6;
		if ((flags & TAP_OFF_TSO_ECN) && (f & (TUN_F_TSO4 | TUN_F_TSO6)))
			f |= TUN_F_TSO_ECN;
	}
	return ioctl(t->fd[0], TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

ssize_t tap_readv(struct tap *t, unsigned q, const struct iovec *iov, int niov)
{
	ssize_t n;
	do
		n = readv(t->fd[q], iov, niov);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t tap_writev(struct tap *t, unsigned q, const struct iovec *iov, int niov)
{
	ssize_t n;
	do
		n = writev(t->fd[q], iov, niov);
	while (n < 0 && errno == EINTR);
	return n;
}
