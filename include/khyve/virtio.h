/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio device core, independent of the transport: device status and
 * feature negotiation, queues, reset, interrupts and DEVICE_NEEDS_RESET.
 * The PCI transport (virtio_pci.h) drives it through the legacy and the
 * modern register files; a device (rnd, balloon, ...) fills virtio_ops.
 *
 * Locking: vd->lock guards everything here. Register accesses (vCPU
 * threads) and queue processing (the event loop thread) take it.
 */
#ifndef KHYVE_VIRTIO_H
#define KHYVE_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khyve/virtqueue.h"

/* Device types (virtio 1.x section 5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5

/* Device status (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Reserved feature bits (section 6). */
#define VIRTIO_F_VERSION_1 32

/* ISR bits and "no MSI-X vector". */
#define VIRTIO_ISR_QUEUE 0x1
#define VIRTIO_ISR_CONFIG 0x2
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* virtio-net's 16 queue pairs and its control queue. */
#define VIRTIO_MAX_QUEUES 33

struct virtio_dev;
struct evloop;
struct ev_fd;

struct virtio_ops {
	const char *name;  /* for messages: "virtio-rnd" */
	uint16_t type;     /* VIRTIO_ID_* */
	uint8_t pci_class, pci_subclass;
	unsigned nqueues;  /* ≤ VIRTIO_MAX_QUEUES */
	uint16_t queue_size; /* the largest size of every queue, a power of two */
	size_t config_size;  /* bytes of device-specific configuration */
	/* Process queue q: chains are waiting. Called with vd->lock held, DRIVER_OK set. */
	void (*queue_notify)(struct virtio_dev *vd, unsigned q);
	/*
	 * Queues (bit q) whose chains the device takes on its own schedule, such
	 * as a network receive queue filled when frames arrive: a kick calls
	 * queue_notify once, and the device re-arms kicks itself (vq_notify_on).
	 */
	uint64_t passive_queues;
	/*
	 * The driver writes config bytes [off, off+size), inside config_size; the
	 * device applies what is writable to vd->config. NULL: all read-only.
	 */
	void (*config_write)(struct virtio_dev *vd, size_t off, const uint8_t *data, unsigned size);
	/* Device reset: drop device state (held chains, ...). vd->lock held. */
	void (*reset)(struct virtio_dev *vd);
	/*
	 * A reset waits for the I/O in flight: end what could wait for ever (a
	 * read waiting for a frame). Optional; vd->lock held, any thread.
	 */
	void (*cancel)(struct virtio_dev *vd);
};

struct virtio_queue {
	struct virtqueue vq;
	uint16_t size;       /* modern: chosen by the driver (≤ ops->queue_size) */
	uint16_t msix_vector;
	bool enabled;        /* modern queue_enable, or legacy PFN ≠ 0 */
	uint32_t pfn;        /* legacy */
	uint64_t desc, avail, used; /* modern addresses as written */
	int kick_fd;         /* eventfd the transport signals (or KVM, through ioeventfd); -1 in tests */
	struct ev_fd *ev;
	struct virtio_dev *vd;
	unsigned idx;
};

struct virtio_dev {
	pthread_mutex_t lock;
	const struct virtio_ops *ops;
	const struct gmem *mem;
	void *priv;     /* the device's own state */
	void *transport; /* the transport's state (struct virtio_pci) */
	uint64_t host_features; /* device features incl. ring features and VERSION_1 */
	uint64_t guest_features;
	uint8_t status;
	uint8_t isr;
	uint8_t config_gen;
	bool legacy;    /* the driver uses the legacy interface */
	uint32_t dfselect, gfselect;
	uint16_t queue_sel;
	uint16_t msix_config;
	uint8_t *config; /* ops->config_size bytes */
	struct virtio_queue q[VIRTIO_MAX_QUEUES];
	unsigned long needs_reset_count; /* protocol violations seen */
	/*
	 * Requests handed to a backend and not completed. A reset with some in
	 * flight waits for them (BAD-INPUTS R1): reset_pending until they drain.
	 */
	unsigned inflight;
	bool reset_pending;
	pthread_cond_t drained;
	/* Polled (virtio_dev_poll): the driver is asked not to kick its active queues. */
	bool polling;
	/* Raise an interrupt: MSI-X vector (or NO_VECTOR) and the ISR bit for INTx/MSI. */
	void (*raise)(struct virtio_dev *vd, uint16_t vector, uint8_t isr);
};

/*
 * Set up vd for ops; features = the device-specific feature bits (ring
 * features and VERSION_1 are added here). 0 or -errno.
 */
int virtio_dev_init(struct virtio_dev *vd, const struct virtio_ops *ops, const struct gmem *mem,
		    uint64_t features, void *priv);
void virtio_dev_fini(struct virtio_dev *vd);
/*
 * Kick eventfds on the event loop: queue work then runs on the loop thread.
 * Without it (tests) a notify processes the queue on the caller's thread.
 */
int virtio_dev_attach_loop(struct virtio_dev *vd, struct evloop *loop);

/* All of the following: vd->lock held. */
void virtio_reset(struct virtio_dev *vd);
/* A status write from the driver (0 resets). */
void virtio_write_status(struct virtio_dev *vd, uint8_t status);
/* Feature words as the interface shows them: legacy sees bits 0-31 without VERSION_1. */
uint32_t virtio_read_host_features(struct virtio_dev *vd, unsigned word);
void virtio_write_guest_features(struct virtio_dev *vd, unsigned word, uint32_t val);
/* Start queue q from its addresses (legacy: pfn). 0, or -EINVAL → NEEDS_RESET was set. */
int virtio_queue_start(struct virtio_dev *vd, unsigned q);
/* The driver notified queue q (index unchecked: out of range is ignored). */
void virtio_queue_kick(struct virtio_dev *vd, unsigned q);
/*
 * A passive queue's pass `round` (from 0) found the ring empty or ended:
 * ask the driver for kicks again. True when chains arrived meanwhile and
 * another pass should run now; after PROCESS_ROUNDS passes the queue is
 * kicked through its eventfd instead, so other work runs first.
 */
bool virtio_queue_rearm(struct virtio_dev *vd, unsigned q, unsigned round);
/*
 * Queue q's ring was found empty: ask for kicks again, unless the device is
 * polled. True when chains arrived meanwhile (take them now).
 */
bool virtio_queue_idle(struct virtio_dev *vd, unsigned q);
/*
 * Polling, from an event-loop poller (evloop.h); both take vd->lock.
 * virtio_dev_poll: the first call asks the driver not to kick the active
 * (not passive) queues; each call processes those with chains waiting and
 * returns true when there were some. virtio_dev_poll_sleep: kicks on again;
 * true when chains arrived meanwhile.
 */
bool virtio_dev_poll(struct virtio_dev *vd);
bool virtio_dev_poll_sleep(struct virtio_dev *vd);
/*
 * After the device put chains on queue q: interrupt the driver when the
 * ring's rules say so.
 */
void virtio_queue_done(struct virtio_dev *vd, unsigned q);
/*
 * vq_get_chain on queue q; a protocol violation puts the device in
 * NEEDS_RESET. Returns as vq_get_chain.
 */
int virtio_get_chain(struct virtio_dev *vd, unsigned q, struct iovec *iov, unsigned max_iov,
		     struct vq_chain *chain);
/* The device changed its configuration: new generation, config interrupt. */
void virtio_config_changed(struct virtio_dev *vd);
/*
 * The driver broke the protocol (why: a static string): DEVICE_NEEDS_RESET,
 * a config interrupt, and no more queue processing until reset.
 */
void virtio_needs_reset(struct virtio_dev *vd, const char *why);
/* Queue processing is allowed: DRIVER_OK and not NEEDS_RESET. */
bool virtio_live(const struct virtio_dev *vd);
/* A vector written by the driver: kept when < nvec, else VIRTIO_MSI_NO_VECTOR. */
uint16_t virtio_vector(unsigned nvec, uint16_t v);

/* A request goes to the backend. */
void virtio_io_start(struct virtio_dev *vd);
/*
 * Its completion arrived: returns true when it must be dropped (a reset is
 * pending: nothing may be written to the guest); the last one of a pending
 * reset completes the reset.
 */
bool virtio_io_end(struct virtio_dev *vd);

/* Bounded access to the device-config bytes: reads out of range give 0. */
void virtio_config_access(struct virtio_dev *vd, uint64_t off, uint8_t *data, unsigned size,
			  bool is_write);

#endif
