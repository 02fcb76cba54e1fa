// SPDX-License-Identifier: BSD-2-Clause
/*
 * -s N,virtio-blk,path[,nocache][,direct][,ro][,sectorsize=L[/P]][,nodelete]
 * [,ser=ID][,num-queues=N][,transport=...]: the options → the backend and
 * the device.
 */
#include <errno.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/config.h"
#include "khyve/virtio_blk.h"
#include "khyve/virtio_pci.h"
#include "khyve/vm.h"

void vtblk_default_serial(const char *path, char out[VIRTIO_BLK_ID_BYTES + 1])
{
	MD5_CTX ctx;
	uint8_t d[MD5_DIGEST_LENGTH];
	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)path, strlen(path));
	MD5Final(d, &ctx);
	/* bhyve's identifier, cut to 19 characters as bhyve's 20-byte buffer cuts it */
	char id[32];
	snprintf(id, sizeof(id), "BHYVE-%02X%02X-%02X%02X-%02X%02X", d[0], d[1], d[2], d[3], d[4],
		 d[5]);
	memcpy(out, id, VIRTIO_BLK_ID_BYTES - 1);
	out[VIRTIO_BLK_ID_BYTES - 1] = '\0';
}

static bool pow2(unsigned v)
{
	return v && (v & (v - 1)) == 0;
}

/* sectorsize=L or L/P: powers of two, 512..32768, P ≥ L (bhyve's rule). */
static int parse_sectorsize(const char *s, unsigned *l, unsigned *p)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (end == s)
		return -EINVAL;
	if (*end == '/') {
		const char *q = end + 1;
		b = strtoul(q, &end, 10);
		if (end == q)
			return -EINVAL;
	}
	if (*end || a < 512 || a > 32768 || b < a || b > 32768 || !pow2((unsigned)a) ||
	    !pow2((unsigned)b))
		return -EINVAL;
	*l = (unsigned)a;
	*p = (unsigned)b;
	return 0;
}

static int opt_bool(const struct vm *vm, const char *node, const char *name, bool *out,
		    char *err, size_t errlen)
{
	char key[128];
	snprintf(key, sizeof(key), "%s.%s", node, name);
	if (config_get_bool(vm->cfg, key, false, out) < 0) {
		snprintf(err, errlen, "%s=%s: expected a boolean", key, config_get(vm->cfg, key));
		return -EINVAL;
	}
	return 0;
}

static int blk_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err,
		    size_t errlen)
{
	struct vtblk_params p = {.logical = 512, .physical = 512};
	struct blockif_opts o = {0};
	bool direct = false;
	int rc;
	o.path = config_get_at(vm->cfg, node, "path");
	if (o.path == NULL || *o.path == '\0') {
		snprintf(err, errlen, "%s: virtio-blk needs a backing file: -s %s,virtio-blk,PATH",
			 node, node + 6);
		return -EINVAL;
	}
	if ((rc = opt_bool(vm, node, "ro", &p.ro, err, errlen)) < 0 ||
	    (rc = opt_bool(vm, node, "nocache", &o.nocache, err, errlen)) < 0 ||
	    (rc = opt_bool(vm, node, "direct", &direct, err, errlen)) < 0 ||
	    (rc = opt_bool(vm, node, "nodelete", &p.nodelete, err, errlen)) < 0)
		return rc;
	o.ro = p.ro;
	o.sync = direct;
	const char *ss = config_get_at(vm->cfg, node, "sectorsize");
	if (ss && parse_sectorsize(ss, &p.logical, &p.physical) < 0) {
		snprintf(err, errlen, "%s.sectorsize=%s: expected L or L/P, powers of two from 512 "
				      "to 32768 with P >= L", node, ss);
		return -EINVAL;
	}
	p.nqueues = vm->ncpus < VTBLK_MAX_QUEUES ? vm->ncpus : VTBLK_MAX_QUEUES;
	const char *nq = config_get_at(vm->cfg, node, "num-queues");
	if (nq) {
		char *end;
		unsigned long n = strtoul(nq, &end, 10);
		if (end == nq || *end || n == 0 || n > VTBLK_MAX_QUEUES) {
			snprintf(err, errlen, "%s.num-queues=%s: expected 1 to %d", node, nq,
				 VTBLK_MAX_QUEUES);
			return -EINVAL;
		}
		p.nqueues = (unsigned)n;
	}
	const char *ser = config_get_at(vm->cfg, node, "ser");
	if (ser)
		snprintf(p.serial, sizeof(p.serial), "%s", ser);
	else
		vtblk_default_serial(o.path, p.serial);

	o.depth = p.nqueues * BLK_QUEUE_SIZE; /* every head of every queue: never -EAGAIN */
	struct blockif *bif;
	if ((rc = blockif_open(&bif, vm->loop, &o, err, errlen)) < 0)
		return rc;
	if (blockif_size(bif) < 512) {
		snprintf(err, errlen, "%s: %s: smaller than one sector", node, o.path);
		blockif_close(bif);
		return -EINVAL;
	}
	struct virtio_dev *vd = vtblk_new(&vm->gmem, bif, &p);
	if (vd == NULL) {
		snprintf(err, errlen, "%s: virtio-blk: out of memory", node);
		blockif_close(bif);
		return -ENOMEM;
	}
	if ((rc = virtio_pci_vm_setup(vm, vtblk_pci(vd), dev, vd, node, err, errlen)) < 0)
		return rc;
	if (vm->poll_us && (rc = vtblk_add_poller(vd, vm->loop, vm->poll_us * 1000)) < 0) {
		snprintf(err, errlen, "%s: virtio-blk: the event loop has no room for a poller", node);
		return rc;
	}
	return 0;
}

static const char *const blk_options[] = {"path",	"ro",	      "nocache", "direct",
					  "sectorsize", "nodelete",   "ser",	 "num-queues",
					  "transport",	"bootindex", NULL};

const struct pci_devemu virtio_blk_emu = {
	.name = "virtio-blk",
	.help = "virtio block device: PATH[,ro][,nocache][,direct][,sectorsize=L[/P]]"
		"[,nodelete][,ser=ID][,num-queues=N]",
	.options = blk_options,
	.init = blk_init,
	.cfg_access = virtio_pci_cfg_access,
	.bar_moved = virtio_pci_bar_moved,
};
