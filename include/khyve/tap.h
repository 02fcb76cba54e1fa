/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tap network backend: a Linux tap interface opened through
 * /dev/net/tun with a 12-byte virtio-net header in front of every frame
 * (struct virtio_net_hdr_mrg_rxbuf, the VERSION_1 layout) in both
 * directions, non-blocking. The interface is created when missing and
 * attached when it exists. Tests hand in any datagram descriptor instead
 * (a SOCK_SEQPACKET socketpair), which behaves alike for reads and writes.
 */
#ifndef KHYVE_TAP_H
#define KHYVE_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Queues (descriptors) a multi-queue tap is opened with, at most. */
#define TAP_MAX_QUEUES 16

/* The header the tap carries before each frame. */
#define TAP_VNET_HDR_LEN 12

/* Offloads the reader accepts (TUNSETOFFLOAD), as the kernel's TUN_F_* bits. */
#define TAP_OFF_CSUM 0x01
#define TAP_OFF_TSO4 0x02
#define TAP_OFF_TSO6 0x04
#define TAP_OFF_TSO_ECN 0x08

struct tap;

/*
 * Open (or create) the tap interface `name` with nqueues queues (1 to
 * TAP_MAX_QUEUES; more than one: IFF_MULTI_QUEUE). 0, or -errno with a
 * message naming the tap in err.
 */
int tap_open(struct tap **out, const char *name, unsigned nqueues, char *err, size_t errlen);
/* Wrap open datagram descriptors, one a queue (tests); the tap owns them from now on. */
int tap_from_fds(struct tap **out, const int *fds, unsigned n);
int tap_from_fd(struct tap **out, int fd);
void tap_close(struct tap *t);

int tap_fd(const struct tap *t); /* queue 0's */
unsigned tap_queues(const struct tap *t);
int tap_queue_fd(const struct tap *t, unsigned q);
/*
 * Attach or detach queue q (TUNSETQUEUE): the kernel steers frames only to
 * attached queues. A no-op for one queue or wrapped descriptors. 0 or -errno.
 */
int tap_set_queue(struct tap *t, unsigned q, bool attach);
const char *tap_name(const struct tap *t);
/* TUNSETOFFLOAD with TAP_OFF_* bits; a no-op for a wrapped descriptor. 0 or -errno. */
int tap_set_offload(struct tap *t, unsigned flags);
/* One frame with its header on queue q; as readv/writev (-1 and errno on error). */
ssize_t tap_readv(struct tap *t, unsigned q, const struct iovec *iov, int niov);
ssize_t tap_writev(struct tap *t, unsigned q, const struct iovec *iov, int niov);

#endif
