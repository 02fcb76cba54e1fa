/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-blk on the block backend. */
#ifndef KHYVE_VIRTIO_BLK_H
#define KHYVE_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "khyve/blockif.h"
#include "khyve/gmem.h"
#include "khyve/pci.h"
#include "khyve/virtio.h"

/* Feature bits (section 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20

#define BLK_QUEUE_SIZE 256
#define BLK_SEG_MAX 128             /* data buffers a request */
#define BLK_SIZE_MAX (1u << 20)     /* bytes a buffer */
#define BLK_MAX_REQUEST (4u << 20)  /* data bytes a request */
#define BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB a discard or write-zeroes */

/* Configuration layout (struct virtio_blk_config). */
#define VTBLK_CFG_WRITEBACK 32
#define VTBLK_CFG_SIZE 60

/* num-queues: at most one a vCPU up to this. */
#define VTBLK_MAX_QUEUES 16

struct vtblk_params {
	bool ro, nodelete;
	unsigned logical, physical; /* sector sizes in bytes (sectorsize=L/P) */
	unsigned nqueues;
	char serial[VIRTIO_BLK_ID_BYTES + 1];
};

struct vtblk_counters {
	uint64_t requests, ok, errors, dropped;
	uint64_t batches, batched; /* polled: held batches sent, and the requests they carried */
};

struct virtio_pci;

extern const struct pci_devemu virtio_blk_emu;

/* For tests: a device over an open backend. */
struct virtio_dev *vtblk_new(const struct gmem *mem, struct blockif *bif,
			     const struct vtblk_params *p);
struct virtio_pci *vtblk_pci(struct virtio_dev *vd);
/*
 * Poll the device on the loop (evloop pollers): while the loop polls, the
 * driver does not kick and completions are reaped without the eventfd.
 * hold_max > 0: requests are batched (vbatch.h), held for hold_max ns at most
 * and until the driver has been quiet for hold_max / VTBLK_HOLD_MIN_DIV at least.
 */
#define VTBLK_HOLD_MIN_DIV 20
int vtblk_add_poller(struct virtio_dev *vd, struct evloop *loop, uint64_t hold_max);
const struct vtblk_counters *vtblk_counters(struct virtio_dev *vd);
void vtblk_free(struct virtio_dev *vd);
/* bhyve's default serial: "BHYVE-" and six bytes of the MD5 of the path, in hex. */
void vtblk_default_serial(const char *path, char out[VIRTIO_BLK_ID_BYTES + 1]);

#endif
