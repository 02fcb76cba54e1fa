/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-balloon: inflated pages go back to the host. */
#ifndef KHYVE_VIRTIO_BALLOON_H
#define KHYVE_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#include "khyve/gmem.h"
#include "khyve/pci.h"
#include "khyve/virtio.h"

#define VIRTIO_BALLOON_F_MUST_TELL_HOST 0
#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2

/* Frames taken from one inflate request at most, and statistics tags recorded. */
#define BALLOON_MAX_PFNS 4096
#define BALLOON_MAX_STATS 16

struct balloon_stats {
	uint64_t pages_inflated, pages_freed, pages_deflated, bad_pfns;
	uint64_t stats_updates;
	uint32_t stat_valid; /* bit per tag */
	uint64_t stat[BALLOON_MAX_STATS];
};

struct virtio_pci;

extern const struct pci_devemu virtio_balloon_emu;

/* For tests: num_pages is the balloon size the host asks for. */
struct virtio_dev *vtballoon_new(const struct gmem *mem, uint32_t num_pages, bool deflate_on_oom,
				 bool wired);
struct virtio_pci *vtballoon_pci(struct virtio_dev *vd);
const struct balloon_stats *vtballoon_stats(struct virtio_dev *vd);
/* A new target: config change notification. vd->lock held. */
void vtballoon_set_target(struct virtio_dev *vd, uint32_t num_pages);
void vtballoon_free(struct virtio_dev *vd);

#endif
