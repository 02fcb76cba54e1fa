// SPDX-License-Identifier: BSD-2-Clause
/* QEMU fw_cfg: see include/khyve/fw_cfg.h for the interface and its limits. */
#include "khyve/fw_cfg.h"
#include "khyve/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What reading the DMA address register gives: "QEMU CFG" as a big-endian 64-bit value. */
static const uint8_t dma_signature[8] = {'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G'};
static const uint8_t signature[4] = {'Q', 'E', 'M', 'U'};
static const uint8_t id[4] = {FW_CFG_VERSION | FW_CFG_VERSION_DMA, 0, 0, 0};

#define PORT_SELECT 0 /* offsets in the port range */
#define PORT_DATA 1
#define PORT_DMA_HIGH 4
#define PORT_DMA_LOW 8

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void fw_cfg_init(struct fw_cfg *fc, const struct gmem *gmem, unsigned ncpus)
{
	memset(fc, 0, sizeof(*fc));
	pthread_mutex_init(&fc->lock, NULL);
	fc->gmem = gmem;
	fc->ncpus[0] = (uint8_t)ncpus;
	fc->ncpus[1] = (uint8_t)(ncpus >> 8);
}

void fw_cfg_fini(struct fw_cfg *fc)
{
	for (unsigned i = 0; i < fc->nfiles; i++)
		free(fc->file[i].data);
	free(fc->file);
	free(fc->dir);
	fc->file = NULL;
	fc->dir = NULL;
	fc->nfiles = fc->cap = 0;
	pthread_mutex_destroy(&fc->lock);
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, uint32_t size)
{
	size_t n = strnlen(name, FW_CFG_NAME_MAX);
	if (n == 0 || n >= FW_CFG_NAME_MAX || size > FW_CFG_FILE_MAX || (size && !data))
		return -EINVAL;
	if (fc->nfiles >= FW_CFG_MAX_FILES)
		return -ENOSPC;
	if (fc->nfiles == fc->cap) {
		unsigned cap = fc->cap ? 2 * fc->cap : 8;
		struct fw_cfg_file *f = realloc(fc->file, cap * sizeof(*f));
		if (f == NULL)
			return -ENOMEM;
		fc->file = f;
		fc->cap = cap;
	}
	struct fw_cfg_file *f = &fc->file[fc->nfiles];
	memset(f, 0, sizeof(*f));
	f->data = malloc(size ? size : 1);
	if (f->data == NULL)
		return -ENOMEM;
	if (size)
		memcpy(f->data, data, size);
	memcpy(f->name, name, n);
	f->size = size;
	fc->nfiles++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct fw_cfg_file *)a)->name, ((const struct fw_cfg_file *)b)->name);
}

int fw_cfg_finish(struct fw_cfg *fc, char *err, size_t errlen)
{
	if (fc->nfiles)
		qsort(fc->file, fc->nfiles, sizeof(*fc->file), by_name);
	for (unsigned i = 1; i < fc->nfiles; i++) {
		if (strcmp(fc->file[i - 1].name, fc->file[i].name) == 0) {
			snprintf(err, errlen, "fw_cfg item '%s' is given twice", fc->file[i].name);
			return -EEXIST;
		}
	}
	uint32_t len = 4 + FW_CFG_DIR_ENTRY_LEN * fc->nfiles;
	uint8_t *dir = calloc(1, len);
	if (dir == NULL)
		return -ENOMEM;
	put_be(dir, fc->nfiles, 4);
	for (unsigned i = 0; i < fc->nfiles; i++) {
		uint8_t *e = dir + 4 + FW_CFG_DIR_ENTRY_LEN * i;
		put_be(e, fc->file[i].size, 4);
		put_be(e + 4, FW_CFG_FILE_FIRST + i, 2);
		memcpy(e + 8, fc->file[i].name, FW_CFG_NAME_MAX); /* NUL-padded */
	}
	free(fc->dir);
	fc->dir = dir;
	fc->dir_len = len;
	return 0;
}

/* The item a selector picks: its bytes and length; NULL and 0 when there is none. */
static const uint8_t *item(const struct fw_cfg *fc, uint16_t select, uint32_t *len)
{
	unsigned key = select & FW_CFG_KEY_MASK;
	*len = 0;
	if (select & FW_CFG_ARCH_LOCAL)
		return NULL;
	switch (key) {
	case FW_CFG_SIGNATURE:
		*len = sizeof(signature);
		return signature;
	case FW_CFG_ID:
		*len = sizeof(id);
		return id;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS: /* no vCPU hotplug */
		*len = sizeof(fc->ncpus);
		return fc->ncpus;
	case FW_CFG_FILE_DIR:
		*len = fc->dir ? fc->dir_len : 0;
		return fc->dir;
	default:
		if (key < FW_CFG_FILE_FIRST || key - FW_CFG_FILE_FIRST >= fc->nfiles)
			return NULL;
		*len = fc->file[key - FW_CFG_FILE_FIRST].size;
		return fc->file[key - FW_CFG_FILE_FIRST].data;
	}
}

static uint8_t next_byte(struct fw_cfg *fc)
{
	uint32_t len;
	const uint8_t *p = item(fc, fc->select, &len);
	if (p == NULL || fc->offset >= len)
		return 0;
	return p[fc->offset++];
}

static void advance(struct fw_cfg *fc, uint32_t len, uint32_t by)
{
	fc->offset = by < len - fc->offset ? fc->offset + by : len;
}

/*
 * Run one FWCfgDmaAccess at gpa. The structure must lie in guest RAM, or
 * nothing happens (there is nowhere to report to). A transfer's buffer is
 * checked whole before a byte moves: outside RAM, across a hole, wrapping
 * or longer than FW_CFG_DMA_MAX, the operation fails with the error bit.
 */
static void dma_run(struct fw_cfg *fc, uint64_t gpa)
{
	uint8_t acc[FW_CFG_DMA_ACCESS_LEN];
	if (gmem_read(fc->gmem, gpa, acc, sizeof(acc)) < 0)
		return;
	uint32_t control = (uint32_t)get_be(acc, 4);
	uint32_t length = (uint32_t)get_be(acc + 4, 4);
	uint64_t addr = get_be(acc + 8, 8);
	bool ok = true;
	if (control & FW_CFG_DMA_CTL_SELECT) {
		fc->select = (uint16_t)(control >> 16);
		fc->offset = 0;
	}
	uint32_t len;
	const uint8_t *src = item(fc, fc->select, &len);
	if (control & FW_CFG_DMA_CTL_READ) {
		uint8_t *dst = length ? gmem_ptr(fc->gmem, addr, length) : NULL;
		if (length > FW_CFG_DMA_MAX || (length && dst == NULL)) {
			ok = false;
		} else if (length) {
			uint32_t avail = src && fc->offset < len ? len - fc->offset : 0;
			uint32_t n = length < avail ? length : avail;
			if (n)
				memcpy(dst, src + fc->offset, n);
			memset(dst + n, 0, length - n); /* past the end reads as zeros */
			advance(fc, len, length);
		}
	} else if (control & FW_CFG_DMA_CTL_WRITE) {
		ok = false; /* every item is read-only */
	} else if (control & FW_CFG_DMA_CTL_SKIP) {
		if (length > FW_CFG_DMA_MAX)
			ok = false;
		else
			advance(fc, len, length);
	}
	uint8_t done[4];
	put_be(done, ok ? 0 : FW_CFG_DMA_CTL_ERROR, 4);
	gmem_write(fc->gmem, gpa, done, sizeof(done));
}

void fw_cfg_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct fw_cfg *fc = opaque;
	pthread_mutex_lock(&fc->lock);
	if (!is_write) {
		memset(data, 0, size);
		if (off == PORT_SELECT && size == 2) {
			data[0] = (uint8_t)fc->select;
			data[1] = (uint8_t)(fc->select >> 8);
		} else if (off == PORT_DATA) {
			for (unsigned i = 0; i < size; i++)
				data[i] = next_byte(fc);
		} else if (off >= PORT_DMA_HIGH) {
			for (unsigned i = 0; i < size && off + i < FW_CFG_IO_LEN; i++)
				data[i] = dma_signature[off - PORT_DMA_HIGH + i];
		}
	} else if (off == PORT_SELECT && size == 2) {
		fc->select = (uint16_t)(data[0] | data[1] << 8);
		fc->offset = 0;
	} else if (off == PORT_DMA_HIGH && size == 4) {
		fc->dma_high = (uint32_t)get_be(data, 4);
	} else if (off == PORT_DMA_LOW && size == 4) {
		uint64_t gpa = (uint64_t)fc->dma_high << 32 | get_be(data, 4);
		fc->dma_high = 0; /* the address register reads 0 after an operation */
		dma_run(fc, gpa);
	}
	/* Data port writes are ignored, as by QEMU since 2.4; other widths do nothing. */
	pthread_mutex_unlock(&fc->lock);
}

static int any_child(const char *name, const char *value, void *arg)
{
	return 1;
}

int fw_cfg_wanted(const struct config *cfg, bool *out, char *err, size_t errlen)
{
	const char *iface = config_get(cfg, "lpc.fwcfg");
	if (iface && strcmp(iface, "qemu") != 0 && strcmp(iface, "bhyve") != 0) {
		snprintf(err, errlen, "lpc.fwcfg: '%s' is neither bhyve nor qemu", iface);
		return -EINVAL;
	}
	/* A bare "fwcfg" value is wanted too, so that fw_cfg_load_config reports it. */
	*out = (iface && strcmp(iface, "qemu") == 0) || config_get(cfg, "fwcfg") ||
	       config_foreach_child(cfg, "fwcfg", any_child, NULL) > 0;
	return 0;
}

struct load {
	struct fw_cfg *fc;
	const struct config *cfg;
	char *err;
	size_t errlen;
};

static int load_item(const char *idx, const char *value, void *arg)
{
	struct load *l = arg;
	char key[64];
	const char *name, *str, *path;
#define GET(var, leaf)                                                                             \
	(snprintf(key, sizeof(key), "fwcfg.%s." leaf, idx), var = config_get(l->cfg, key))
	GET(name, "name");
	GET(str, "string");
	GET(path, "file");
#undef GET
	if (value || name == NULL || (str == NULL) == (path == NULL)) {
		snprintf(l->err, l->errlen, "fwcfg.%s: needs a name and either a string or a file",
			 idx);
		return -EINVAL;
	}
	uint8_t *data = NULL;
	uint32_t size = 0;
	int rc;
	if (path) {
		size_t n = 0;
		rc = read_whole_file(path, FW_CFG_FILE_MAX, &data, &n);
		size = (uint32_t)n; /* at most FW_CFG_FILE_MAX */
		if (rc == -EFBIG) {
			snprintf(l->err, l->errlen, "fw_cfg item %s: file %s is larger than %u MiB",
				 name, path, FW_CFG_FILE_MAX >> 20);
			return rc;
		}
		if (rc < 0) {
			snprintf(l->err, l->errlen, "fw_cfg item %s: cannot read file %s: %s", name,
				 path, read_whole_file_error(rc));
			return rc;
		}
	} else {
		size_t n = strlen(str) + 1; /* bhyve passes the terminating NUL too */
		if (n > FW_CFG_FILE_MAX) {
			snprintf(l->err, l->errlen, "fw_cfg item %s: the string is too long", name);
			return -EFBIG;
		}
		size = (uint32_t)n;
	}
	rc = fw_cfg_add_file(l->fc, name, path ? data : (const void *)str, size);
	free(data);
	if (rc < 0)
		snprintf(l->err, l->errlen, "fw_cfg item %s: %s", name,
			 rc == -EINVAL ? "the name must be 1 to 55 bytes" : strerror(-rc));
	return rc;
}

int fw_cfg_load_config(struct fw_cfg *fc, const struct config *cfg, char *err, size_t errlen)
{
	struct load l = {.fc = fc, .cfg = cfg, .err = err, .errlen = errlen};
	if (config_get(cfg, "fwcfg")) {
		snprintf(err, errlen, "fwcfg: expected fwcfg.N.name and fwcfg.N.string or .file");
		return -EINVAL;
	}
	int rc = config_foreach_child(cfg, "fwcfg", load_item, &l);
	if (rc < 0)
		return rc;
	rc = fw_cfg_finish(fc, err, errlen);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "fw_cfg: %s", strerror(ENOMEM));
	return rc;
}
