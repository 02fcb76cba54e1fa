/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtio device test bench: fake guest memory, a PCI root with counting
 * interrupt hooks, the device's BARs and config space, and a driver-side
 * view of split rings (descriptors, avail ring, used ring).
 */
#ifndef KHYVE_TEST_VTEST_H
#define KHYVE_TEST_VTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "fakemem.h"
#include "khyve/virtio_pci.h"

#define VT_SLOT 4
#define VT_RAM_LO (1u << 20)
#define VT_DESC 0x1000
#define VT_AVAIL 0x2000
#define VT_USED 0x3000
#define VT_BUF 0x10000
#define VT_QSZ 16

extern struct fakemem vt_mem;
extern struct pci_root vt_root;
extern struct pci_dev *vt_dev;
extern unsigned vt_msi_count, vt_intx_level, vt_intx_changes;
extern uint32_t vt_msi_data;

/* Memory (1 MiB low, 1 MiB at 4 GiB) and a root; then a device at VT_SLOT for emu. */
void vt_init(const struct pci_devemu *emu);
void vt_fini(void);

uint32_t vt_cfg_rd(unsigned off, unsigned size);
void vt_cfg_wr(unsigned off, unsigned size, uint32_t v);
uint64_t vt_bar_rd(unsigned bar, uint64_t off, unsigned size);
void vt_bar_wr(unsigned bar, uint64_t off, unsigned size, uint64_t v);
/* Offset of the first capability with this ID (and cfg_type for vendor ones), 0 if none. */
unsigned vt_find_cap(uint8_t id, uint8_t type);

void vt_w16(uint64_t gpa, uint16_t v);
uint16_t vt_r16(uint64_t gpa);
uint32_t vt_r32(uint64_t gpa);
void vt_desc(uint64_t desc, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
	     uint16_t next);
/* Offer head at avail slot idx (ring of VT_QSZ) and publish idx + 1. */
void vt_offer(uint64_t avail, uint16_t idx, uint16_t head);

/* Modern driver: features (word 0, word 1 gets VERSION_1), FEATURES_OK. */
void vt_modern_features(uint32_t word0);
/* Queue q at VT_DESC/AVAIL/USED + q * 0x10000, VT_QSZ entries, enabled. */
void vt_modern_queue(unsigned q);
void vt_modern_kick(unsigned q);

#define VT_M(off, size) vt_bar_rd(VIRTIO_PCI_MODERN_BAR, (off), (size))
#define VT_MW(off, size, v) vt_bar_wr(VIRTIO_PCI_MODERN_BAR, (off), (size), (v))
#define VT_L(off, size) vt_bar_rd(VIRTIO_PCI_LEGACY_BAR, (off), (size))
#define VT_LW(off, size, v) vt_bar_wr(VIRTIO_PCI_LEGACY_BAR, (off), (size), (v))

#endif
