// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-rnd (virtio 1.x section 5.4, "Entropy Device"): one queue; each
 * chain's writable buffers are filled from getrandom(2), at most
 * RND_MAX_REQUEST bytes a request (BAD-INPUTS V7).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "khyve/virtio_pci.h"
#include "khyve/virtio_rnd.h"
#include "khyve/vm.h"

#define RND_QUEUE_SIZE 64

struct vtrnd {
	struct virtio_dev vd;
	struct virtio_pci vp;
	struct iovec iov[RND_QUEUE_SIZE];
	uint64_t requests, bytes;
};

/* Fill the writable part of a chain; returns the bytes written. */
static uint32_t fill(const struct iovec *iov, unsigned niov)
{
	size_t left = RND_MAX_REQUEST, done = 0;
	for (unsigned i = 0; i < niov && left; i++) {
		size_t want = iov[i].iov_len < left ? iov[i].iov_len : left;
		size_t got = 0;
		while (got < want) {
			ssize_t n = getrandom((uint8_t *)iov[i].iov_base + got, want - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return (uint32_t)(done + got);
			got += (size_t)n;
		}
		done += got;
		left -= got;
	}
	return (uint32_t)done;
}

static void rnd_notify(struct virtio_dev *vd, unsigned q)
{
	struct vtrnd *s = vd->priv;
	struct vq_chain c;
	int rc;
	bool any = false;
	while ((rc = virtio_get_chain(vd, q, s->iov, RND_QUEUE_SIZE, &c)) != 0) {
		if (rc < 0) {
			if (rc == -ENOBUFS)
				continue; /* returned empty by the engine */
			break;
		}
		/* Only device-writable buffers are filled; a chain without one gets 0 bytes (V9). */
		uint32_t n = fill(&s->iov[c.nread], c.niov - c.nread);
		vq_put_chain(&vd->q[q].vq, c.head, n);
		s->requests++;
		s->bytes += n;
		any = true;
	}
	if (any)
		virtio_queue_done(vd, q);
}

static const struct virtio_ops rnd_ops = {
	.name = "virtio-rnd",
	.type = VIRTIO_ID_RNG,
	.pci_class = 0xff, /* unclassified device */
	.pci_subclass = 0x00,
	.nqueues = 1,
	.queue_size = RND_QUEUE_SIZE,
	.queue_notify = rnd_notify,
};

struct virtio_dev *vtrnd_new(const struct gmem *mem)
{
	struct vtrnd *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (virtio_dev_init(&s->vd, &rnd_ops, mem, 0, s) < 0) {
		free(s);
		return NULL;
	}
	return &s->vd;
}

struct virtio_pci *vtrnd_pci(struct virtio_dev *vd)
{
	return &((struct vtrnd *)vd->priv)->vp;
}

void vtrnd_free(struct virtio_dev *vd)
{
	if (vd == NULL)
		return;
	struct vtrnd *s = vd->priv;
	virtio_dev_fini(vd);
	free(s);
}

static int rnd_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err,
		    size_t errlen)
{
	struct virtio_dev *vd = vtrnd_new(&vm->gmem);
	if (vd == NULL) {
		snprintf(err, errlen, "%s: virtio-rnd: out of memory", node);
		return -ENOMEM;
	}
	return virtio_pci_vm_setup(vm, vtrnd_pci(vd), dev, vd, node, err, errlen);
}

static const char *const rnd_options[] = {"transport", NULL};

const struct pci_devemu virtio_rnd_emu = {
	.name = "virtio-rnd",
	.help = "virtio entropy source (options: transport=transitional|modern|legacy)",
	.options = rnd_options,
	.init = rnd_init,
	.cfg_access = virtio_pci_cfg_access,
	.bar_moved = virtio_pci_bar_moved,
};
