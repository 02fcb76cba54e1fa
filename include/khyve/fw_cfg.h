/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU's firmware configuration device (fw_cfg), the interface bhyve offers
 * with -l fwcfg=qemu and that Linux's qemu_fw_cfg driver reads on x86:
 *
 *   0x510  selector, 16-bit little-endian write: picks an item, offset 0
 *   0x511  data, byte reads: the item's next byte, 0 past its end
 *   0x514  DMA address, big-endian, written as two 32-bit halves; the write
 *          of the low half (0x518) runs the FWCfgDmaAccess structure found
 *          at that guest-physical address. Reads give "QEMU CFG".
 *
 * Items: the signature "QEMU" (key 0), the feature bits (1: traditional
 * interface and DMA), the vCPU count (5 and 15, as bhyve), the file
 * directory (0x19) and the -f items from key 0x20 up, sorted by name as
 * QEMU does. Every item is read-only: DMA writes are refused.
 *
 * The guest hands the DMA interface guest-physical addresses: each one goes
 * through gmem, whole or not at all, and lengths are bounded.
 */
#ifndef KHYVE_FW_CFG_H
#define KHYVE_FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khyve/config.h"
#include "khyve/gmem.h"

#define FW_CFG_IO_BASE 0x510
#define FW_CFG_IO_LEN 12 /* selector, data, two reserved ports, DMA address (8) */

#define FW_CFG_NAME_MAX 56	    /* bytes of a file name, NUL included */
#define FW_CFG_FILE_MAX (16u << 20) /* the largest item a file= may give */
#define FW_CFG_DMA_MAX (32u << 20)  /* the longest DMA read, write or skip */

/* Selector keys (QEMU docs/specs/fw_cfg.rst). */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_KEY_MASK 0x3fff	 /* bit 14 (write channel) plays no part */
#define FW_CFG_ARCH_LOCAL 0x8000 /* architecture items: none here */
#define FW_CFG_MAX_FILES (FW_CFG_KEY_MASK + 1 - FW_CFG_FILE_FIRST)

/* FW_CFG_ID bits. */
#define FW_CFG_VERSION 0x01
#define FW_CFG_VERSION_DMA 0x02

/* FWCfgDmaAccess: control, length, address, all big-endian (16 bytes). */
#define FW_CFG_DMA_ACCESS_LEN 16
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08 /* the key is in bits 16-31 */
#define FW_CFG_DMA_CTL_WRITE 0x10

/* A directory entry: size (BE32), select (BE16), reserved, name[56]. */
#define FW_CFG_DIR_ENTRY_LEN 64

struct fw_cfg_file {
	char name[FW_CFG_NAME_MAX];
	uint8_t *data;
	uint32_t size;
};

struct fw_cfg {
	pthread_mutex_t lock; /* the guest-visible state below; items are fixed once built */
	const struct gmem *gmem;
	uint8_t ncpus[2]; /* little-endian */
	struct fw_cfg_file *file;
	unsigned nfiles, cap;
	uint8_t *dir; /* FW_CFG_FILE_DIR, built by fw_cfg_finish */
	uint32_t dir_len;
	uint16_t select;
	uint32_t offset;
	uint32_t dma_high; /* the DMA address's upper half, until the lower one arrives */
};

void fw_cfg_init(struct fw_cfg *fc, const struct gmem *gmem, unsigned ncpus);
void fw_cfg_fini(struct fw_cfg *fc);

/*
 * Add a file item (the bytes are copied). -EINVAL for an empty name or one
 * of FW_CFG_NAME_MAX bytes or more, or size above FW_CFG_FILE_MAX; -ENOSPC
 * past FW_CFG_MAX_FILES; -ENOMEM.
 */
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, uint32_t size);

/*
 * Sort the files by name, give them their keys and build the directory.
 * -EEXIST when two files share a name (written to err), -ENOMEM.
 */
int fw_cfg_finish(struct fw_cfg *fc, char *err, size_t errlen);

/*
 * Whether the configuration asks for the device: lpc.fwcfg=qemu or any
 * fwcfg.N item. -EINVAL (with a message) for an lpc.fwcfg other than
 * bhyve or qemu.
 */
int fw_cfg_wanted(const struct config *cfg, bool *out, char *err, size_t errlen);

/*
 * Add every fwcfg.N item of the configuration: fwcfg.N.name with
 * fwcfg.N.string (the string and its NUL, as bhyve) or fwcfg.N.file (the
 * file's contents, read now, at most FW_CFG_FILE_MAX bytes), then finish.
 * Errors name the item or the file.
 */
int fw_cfg_load_config(struct fw_cfg *fc, const struct config *cfg, char *err, size_t errlen);

/* iobus handler for FW_CFG_IO_BASE, FW_CFG_IO_LEN ports. */
void fw_cfg_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);

#endif
