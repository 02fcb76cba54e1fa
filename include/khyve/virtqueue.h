/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueue engine (virtio 1.x, "Split Virtqueues"), device side.
 * The API follows bhyve's shape: get a chain, release it, then decide
 * whether to interrupt. Every guest-supplied value is checked here: the
 * walk is bounded by the queue size, indexes by the ring size, every buffer
 * by gmem_ptr(). A protocol violation marks the queue broken and returns
 * -EPROTO; the caller then sets DEVICE_NEEDS_RESET (see virtio.h).
 *
 * Not thread-safe: one thread (holding the device's lock) uses a queue.
 */
#ifndef KHYVE_VIRTQUEUE_H
#define KHYVE_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "khyve/gmem.h"

/* The largest queue size any khyve device offers (the spec allows 32768). */
#define VQ_MAX_SIZE 1024

/* Feature bits the engine implements (virtio 1.x section 6). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29

/* Legacy interface: rings laid out from one page frame number, aligned to this. */
#define VQ_LEGACY_ALIGN 4096

struct virtqueue {
	const struct gmem *mem;
	uint16_t size; /* a power of two, 1..VQ_MAX_SIZE; 0 = not set up */
	bool ready;    /* vq_setup() succeeded */
	bool broken;   /* a protocol violation was seen; nothing more is processed */
	bool event_idx, indirect; /* negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views of the rings, checked once at setup: each lies inside one region. */
	volatile void *desc, *avail, *used;
	uint16_t last_avail;  /* next avail ring slot to consume (free-running) */
	uint16_t used_idx;    /* shadow of used->idx (free-running) */
	uint16_t signalled;   /* used_idx at the last interrupt, for EVENT_IDX */
	bool signalled_valid; /* false until the first interrupt decision */
	uint64_t inflight[VQ_MAX_SIZE / 64]; /* heads handed out and not yet released */
	const char *error; /* the violation, for the log; static string */
};

/* One chain: niov buffers, the first nread device-readable, the rest device-writable. */
struct vq_chain {
	uint16_t head;
	unsigned niov, nread;
	uint64_t read_len, write_len; /* byte totals of each part */
};

/* Ring sizes in bytes for a queue of `size` entries (with the EVENT_IDX words). */
size_t vq_desc_bytes(unsigned size);
size_t vq_avail_bytes(unsigned size);
size_t vq_used_bytes(unsigned size);
/* Legacy layout from a PFN: desc at pfn*4096, avail after it, used at the next 4096 boundary. */
void vq_legacy_layout(uint32_t pfn, unsigned size, uint64_t *desc, uint64_t *avail,
		      uint64_t *used);

/*
 * Start a queue. size must be a power of two ≤ VQ_MAX_SIZE; each ring must be
 * aligned as the spec says (desc 16, avail 2, used 4) and lie inside one guest
 * memory region. features: the negotiated feature bits (EVENT_IDX,
 * INDIRECT_DESC are looked at). 0, or -EINVAL (nothing changed).
 */
int vq_setup(struct virtqueue *vq, const struct gmem *mem, unsigned size, uint64_t desc,
	     uint64_t avail, uint64_t used, uint64_t features);
/* Forget everything (device reset): the queue is as after zeroing. */
void vq_reset(struct virtqueue *vq);

/*
 * Take the next available chain, filling iov[0..max_iov). Returns 1 with
 * *chain filled, 0 when nothing is available (or the queue is not ready or
 * broken), -EPROTO on a protocol violation (the queue is now broken; see
 * vq->error), -ENOBUFS when the chain has more buffers than max_iov (the
 * chain is released with length 0, the queue stays usable). On any return
 * but 1, *chain is zeroed: no buffer of a failed walk reaches the caller.
 * Zero-length descriptors are skipped. Buffers come straight from gmem_ptr():
 * the device reads and writes guest memory through them.
 */
int vq_get_chain(struct virtqueue *vq, struct iovec *iov, unsigned max_iov,
		 struct vq_chain *chain);
/*
 * Return a chain to the driver with `written` bytes written into its
 * writable part (clamped to write_len by the caller). A head not in flight
 * is ignored.
 */
void vq_put_chain(struct virtqueue *vq, uint16_t head, uint32_t written);
/*
 * After one or more vq_put_chain(): should the driver be interrupted?
 * (EVENT_IDX: used_event crossed; otherwise unless VRING_AVAIL_F_NO_INTERRUPT.)
 * Records the decision point; call once per batch.
 */
bool vq_should_interrupt(struct virtqueue *vq);
/*
 * Notification suppression while the device is busy: vq_notify_off() asks the
 * driver not to kick; vq_notify_on() asks again and returns true when chains
 * arrived meanwhile (process them before sleeping).
 */
void vq_notify_off(struct virtqueue *vq);
bool vq_notify_on(struct virtqueue *vq);
/* Chains available and not yet taken (0 when not ready or broken). */
bool vq_has_avail(const struct virtqueue *vq);

/* Copy helpers over a chain's iovecs. Return bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned niov, size_t skip, void *buf, size_t len);
size_t buf_to_iov(const struct iovec *iov, unsigned niov, size_t skip, const void *buf,
		  size_t len);

#endif
