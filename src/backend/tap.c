// SPDX-License-Identifier: BSD-2-Clause
/*
 * The tap backend: /dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
 * a 12-byte vnet header, non-blocking. Frames are read and written with
 * readv/writev by the device on the event loop thread.
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
	int fd;
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

int tap_open(struct tap **out, const char *name, char *err, size_t errlen)
{
	if (name == NULL || *name == '\0' || strlen(name) >= IFNAMSIZ || strchr(name, '/')) {
		snprintf(err, errlen, "tap '%s': not a valid interface name (1 to %d characters)",
			 name ? name : "", IFNAMSIZ - 1);
		return -EINVAL;
	}
	struct tap *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "tap %s: out of memory", name);
		return -ENOMEM;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->is_tun = 1;
	t->fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "tap %s: %s: %s%s", name, TUN_PATH, strerror(e), hint(e));
		free(t);
		return -e;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	int hdr = TAP_VNET_HDR_LEN;
	const char *what = "TUNSETIFF";
	int rc = ioctl(t->fd, TUNSETIFF, &ifr);
	if (rc == 0) {
		what = "TUNSETVNETHDRSZ";
		rc = ioctl(t->fd, TUNSETVNETHDRSZ, &hdr);
	}
	if (rc == 0) {
		/* No offloads until the guest negotiates them. */
		what = "TUNSETOFFLOAD";
		rc = ioctl(t->fd, TUNSETOFFLOAD, 0ul);
	}
	if (rc < 0) {
		int e = errno;
		snprintf(err, errlen, "tap %s: %s: %s%s", name, what, strerror(e), hint(e));
		close(t->fd);
		free(t);
		return -e;
	}
	/* The kernel may have completed a name with %d. */
	memcpy(t->name, ifr.ifr_name, sizeof(t->name));
	t->name[IFNAMSIZ - 1] = '\0';
	*out = t;
	return 0;
}

int tap_from_fd(struct tap **out, int fd)
{
	struct tap *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;
		free(t);
		return -e;
	}
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "fd%d", fd);
	*out = t;
	return 0;
}

void tap_close(struct tap *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

int tap_fd(const struct tap *t)
{
	return t->fd;
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
	return ioctl(t->fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

ssize_t tap_readv(struct tap *t, const struct iovec *iov, int niov)
{
	ssize_t n;
	do
		n = readv(t->fd, iov, niov);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t tap_writev(struct tap *t, const struct iovec *iov, int niov)
{
	ssize_t n;
	do
		n = writev(t->fd, iov, niov);
	while (n < 0 && errno == EINTR);
	return n;
}
