// SPDX-License-Identifier: BSD-2-Clause
/*
 * The virtio device core: status and feature state machine (virtio 1.x
 * section 3.1), queue start and kicks, interrupts, DEVICE_NEEDS_RESET.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "khyve/evloop.h"
#include "khyve/virtio.h"

int virtio_dev_init(struct virtio_dev *vd, const struct virtio_ops *ops, const struct gmem *mem,
		    uint64_t features, void *priv)
{
	if (ops->nqueues == 0 || ops->nqueues > VIRTIO_MAX_QUEUES || ops->queue_size == 0 ||
	    ops->queue_size > VQ_MAX_SIZE || (ops->queue_size & (ops->queue_size - 1)))
		return -EINVAL;
	memset(vd, 0, sizeof(*vd));
	vd->ops = ops;
	vd->mem = mem;
	vd->priv = priv;
	vd->host_features = features | 1ull << VIRTIO_F_VERSION_1 |
			    1ull << VIRTIO_RING_F_INDIRECT_DESC | 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (ops->config_size) {
		vd->config = calloc(1, ops->config_size);
		if (vd->config == NULL)
			return -ENOMEM;
	}
	int rc = -pthread_mutex_init(&vd->lock, NULL);
	if (rc == 0 && (rc = -pthread_cond_init(&vd->drained, NULL)) < 0)
		pthread_mutex_destroy(&vd->lock);
	if (rc < 0) {
		free(vd->config);
		return rc;
	}
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		vd->q[i].kick_fd = -1;
		vd->q[i].vd = vd;
		vd->q[i].idx = i;
	}
	virtio_reset(vd);
	return 0;
}

void virtio_dev_fini(struct virtio_dev *vd)
{
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (vd->q[i].kick_fd >= 0)
			close(vd->q[i].kick_fd);
	free(vd->config);
	vd->config = NULL;
	pthread_cond_destroy(&vd->drained);
	pthread_mutex_destroy(&vd->lock);
}

/* Passes over a queue before the loop thread turns to other work (see process()). */
#define PROCESS_ROUNDS 16

/* Come back to queue q after the other descriptors (no-op without a loop). */
static void defer(struct virtio_queue *vq)
{
	if (vq->kick_fd >= 0)
		(void)eventfd_write(vq->kick_fd, 1);
}

bool virtio_queue_idle(struct virtio_dev *vd, unsigned q)
{
	return !vd->polling && vq_notify_on(&vd->q[q].vq);
}

bool virtio_queue_rearm(struct virtio_dev *vd, unsigned q, unsigned round)
{
	struct virtio_queue *vq = &vd->q[q];
	if (!vq_notify_on(&vq->vq))
		return false;
	if (round + 1 < PROCESS_ROUNDS || vq->kick_fd < 0)
		return true;
	defer(vq);
	return false;
}

static void process(struct virtio_dev *vd, unsigned q)
{
	struct virtio_queue *vq = &vd->q[q];
	if (vd->ops->passive_queues & 1ull << q) {
		/* Buffers wait for the device's data: staying available is no reason to loop. */
		if (virtio_live(vd) && vq->vq.ready && !vq->vq.broken)
			vd->ops->queue_notify(vd, q);
		return;
	}
	for (unsigned round = 0; virtio_live(vd) && vq->vq.ready && !vq->vq.broken; round++) {
		if (round == PROCESS_ROUNDS) {
			/* A driver that never stops adding: come back after the other descriptors. */
			defer(vq);
			return;
		}
		vd->ops->queue_notify(vd, q);
		/*
		 * Ask for the next kick: with EVENT_IDX the driver kicks only when its
		 * avail index passes avail_event, which must follow what was taken.
		 * Chains that arrived meanwhile are taken now: their kick may not come.
		 */
		if (!virtio_queue_idle(vd, q))
			return;
	}
}

/* Event loop thread: a kick arrived through the queue's eventfd (the loop reset its count). */
static void on_kick(void *arg)
{
	struct virtio_queue *vq = arg;
	pthread_mutex_lock(&vq->vd->lock);
	process(vq->vd, vq->idx);
	pthread_mutex_unlock(&vq->vd->lock);
}

/* Queues the poller takes: live, set up, not passive. */
static bool polled(const struct virtio_dev *vd, unsigned q)
{
	const struct virtqueue *vq = &vd->q[q].vq;
	return !(vd->ops->passive_queues & 1ull << q) && vq->ready && !vq->broken;
}

bool virtio_dev_poll(struct virtio_dev *vd)
{
	bool found = false;
	pthread_mutex_lock(&vd->lock);
	if (virtio_live(vd)) {
		bool entering = !vd->polling;
		vd->polling = true;
		for (unsigned q = 0; q < vd->ops->nqueues; q++) {
			if (!polled(vd, q))
				continue;
			if (entering)
				vq_notify_off(&vd->q[q].vq);
			if (vq_has_avail(&vd->q[q].vq)) {
				process(vd, q);
				found = true;
			}
		}
	}
	pthread_mutex_unlock(&vd->lock);
	return found;
}

bool virtio_dev_poll_sleep(struct virtio_dev *vd)
{
	bool found = false;
	pthread_mutex_lock(&vd->lock);
	if (vd->polling) {
		vd->polling = false;
		for (unsigned q = 0; q < vd->ops->nqueues; q++)
			if (polled(vd, q) && vq_notify_on(&vd->q[q].vq))
				found = true;
	}
	pthread_mutex_unlock(&vd->lock);
	return found;
}

int virtio_dev_attach_loop(struct virtio_dev *vd, struct evloop *loop)
{
	for (unsigned i = 0; i < vd->ops->nqueues; i++) {
		struct virtio_queue *vq = &vd->q[i];
		vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vq->kick_fd < 0)
			return -errno;
		vq->ev = evloop_add_counter(loop, vq->kick_fd, on_kick, vq);
		if (vq->ev == NULL)
			return -ENOMEM;
	}
	return 0;
}

void virtio_reset(struct virtio_dev *vd)
{
	if (vd->ops->reset)
		vd->ops->reset(vd);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		struct virtio_queue *vq = &vd->q[i];
		vq_reset(&vq->vq);
		vq->size = vd->ops->queue_size;
		vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
		vq->enabled = false;
		vq->pfn = 0;
		vq->desc = vq->avail = vq->used = 0;
	}
	vd->guest_features = 0;
	vd->status = 0;
	vd->isr = 0;
	vd->legacy = false;
	vd->dfselect = vd->gfselect = 0;
	vd->queue_sel = 0;
	vd->msix_config = VIRTIO_MSI_NO_VECTOR;
	vd->reset_pending = false;
	vd->polling = false;
	pthread_cond_broadcast(&vd->drained);
}

bool virtio_live(const struct virtio_dev *vd)
{
	return (vd->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vd->status & VIRTIO_STATUS_NEEDS_RESET) && !vd->reset_pending;
}

void virtio_io_start(struct virtio_dev *vd)
{
	vd->inflight++;
}

bool virtio_io_end(struct virtio_dev *vd)
{
	if (vd->inflight)
		vd->inflight--;
	if (!vd->reset_pending)
		return false;
	if (vd->inflight == 0)
		virtio_reset(vd);
	return true;
}

uint16_t virtio_vector(unsigned nvec, uint16_t v)
{
	return v < nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

/* Legacy drivers see the low 32 bits; VERSION_1 and up exist only for modern ones. */
uint32_t virtio_read_host_features(struct virtio_dev *vd, unsigned word)
{
	if (vd->legacy)
		return word == 0 ? (uint32_t)vd->host_features : 0;
	return word < 2 ? (uint32_t)(vd->host_features >> (32 * word)) : 0;
}

void virtio_write_guest_features(struct virtio_dev *vd, unsigned word, uint32_t val)
{
	/* Section 3.1.1: features are fixed once FEATURES_OK is set (legacy: DRIVER_OK). */
	if (vd->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK) || word > 1)
		return;
	uint64_t shift = 32ull * word;
	vd->guest_features &= ~(0xffffffffull << shift);
	vd->guest_features |= (uint64_t)val << shift;
	/* A legacy driver may accept only what is offered; a modern one is checked at FEATURES_OK. */
	if (vd->legacy)
		vd->guest_features &= vd->host_features & 0xffffffffull;
}

void virtio_write_status(struct virtio_dev *vd, uint8_t status)
{
	if (status == 0) {
		if (vd->inflight == 0) {
			virtio_reset(vd);
			return;
		}
		/*
		 * BAD-INPUTS R1: I/O is in flight. The status keeps reading non-zero
		 * until the last completion is dropped; a modern driver polls for 0
		 * (section 4.1.4.3.2). A legacy driver does not, so its vCPU waits.
		 */
		vd->reset_pending = true;
		if (vd->ops->cancel)
			vd->ops->cancel(vd);
		if (vd->legacy)
			while (vd->reset_pending)
				pthread_cond_wait(&vd->drained, &vd->lock);
		return;
	}
	if (!vd->legacy && (status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
		/*
		 * Section 3.1.1 step 5: accept only a subset of what is offered,
		 * with VERSION_1 through this interface; else FEATURES_OK stays clear.
		 */
		if ((vd->guest_features & ~vd->host_features) ||
		    !(vd->guest_features & 1ull << VIRTIO_F_VERSION_1))
			status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	/* NEEDS_RESET is the device's to set; the driver cannot clear it but by reset. */
	vd->status = (uint8_t)((status & ~VIRTIO_STATUS_NEEDS_RESET) |
			       (vd->status & VIRTIO_STATUS_NEEDS_RESET));
	/* Chains queued before DRIVER_OK: work for the loop thread (inline without one). */
	if (virtio_live(vd))
		for (unsigned i = 0; i < vd->ops->nqueues; i++)
			if (vd->q[i].vq.ready && vq_has_avail(&vd->q[i].vq))
				virtio_queue_kick(vd, i);
}

int virtio_queue_start(struct virtio_dev *vd, unsigned q)
{
	struct virtio_queue *vq = &vd->q[q];
	uint64_t desc = vq->desc, avail = vq->avail, used = vq->used;
	unsigned size = vq->size;
	if (vd->legacy) {
		size = vd->ops->queue_size;
		vq_legacy_layout(vq->pfn, size, &desc, &avail, &used);
	}
	int rc = vq_setup(&vq->vq, vd->mem, size, desc, avail, used, vd->guest_features);
	if (rc < 0) {
		virtio_needs_reset(vd, "virtqueue rings outside guest memory or misaligned");
		return rc;
	}
	vq->enabled = true;
	return 0;
}

void virtio_queue_kick(struct virtio_dev *vd, unsigned q)
{
	if (q >= vd->ops->nqueues)
		return; /* BAD-INPUTS Q2: a notify for a queue that does not exist */
	struct virtio_queue *vq = &vd->q[q];
	if (vq->kick_fd >= 0) {
		/* To the event loop thread; a failing write means a kick is already pending. */
		(void)eventfd_write(vq->kick_fd, 1);
		return;
	}
	process(vd, q);
}

int virtio_get_chain(struct virtio_dev *vd, unsigned q, struct iovec *iov, unsigned max_iov,
		     struct vq_chain *chain)
{
	struct virtqueue *vq = &vd->q[q].vq;
	int rc = vq_get_chain(vq, iov, max_iov, chain);
	if (rc == -EPROTO)
		virtio_needs_reset(vd, vq->error ? vq->error : "malformed descriptor chain");
	return rc;
}

void virtio_queue_done(struct virtio_dev *vd, unsigned q)
{
	struct virtio_queue *vq = &vd->q[q];
	if (vq_should_interrupt(&vq->vq) && vd->raise)
		vd->raise(vd, vq->msix_vector, VIRTIO_ISR_QUEUE);
}

void virtio_config_changed(struct virtio_dev *vd)
{
	vd->config_gen++;
	if (vd->status & VIRTIO_STATUS_DRIVER_OK && vd->raise)
		vd->raise(vd, vd->msix_config, VIRTIO_ISR_CONFIG);
}

void virtio_needs_reset(struct virtio_dev *vd, const char *why)
{
	if (vd->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vd->needs_reset_count++;
	fprintf(stderr, "khyve: %s: the guest driver broke the virtio protocol (%s); the device "
			"waits for a reset\n", vd->ops->name, why);
	vd->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* Section 2.1.2: a device entering NEEDS_RESET sends a configuration change notification. */
	if (vd->status & VIRTIO_STATUS_DRIVER_OK && vd->raise)
		vd->raise(vd, vd->msix_config, VIRTIO_ISR_CONFIG);
}

void virtio_config_access(struct virtio_dev *vd, uint64_t off, uint8_t *data, unsigned size,
			  bool is_write)
{
	bool ok = (size == 1 || size == 2 || size == 4 || size == 8) &&
		  off < vd->ops->config_size && size <= vd->ops->config_size - off;
	if (is_write) {
		if (ok && vd->ops->config_write)
			vd->ops->config_write(vd, (size_t)off, data, size);
		return;
	}
	if (ok)
		memcpy(data, vd->config + off, size);
	else
		memset(data, 0, size > 8 ? 8 : size);
}
