/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-rnd: entropy from getrandom(2). */
#ifndef KHYVE_VIRTIO_RND_H
#define KHYVE_VIRTIO_RND_H

#include "khyve/gmem.h"
#include "khyve/pci.h"
#include "khyve/virtio.h"

/* The most bytes one request gets, however large its buffers (BAD-INPUTS V7). */
#define RND_MAX_REQUEST (64 * 1024)

struct virtio_pci;

extern const struct pci_devemu virtio_rnd_emu;

/* For tests: a device on mem, its transport state, and teardown. */
struct virtio_dev *vtrnd_new(const struct gmem *mem);
struct virtio_pci *vtrnd_pci(struct virtio_dev *vd);
void vtrnd_free(struct virtio_dev *vd);

#endif
