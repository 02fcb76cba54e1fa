// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-balloon (virtio 1.x section 5.5, "Traditional Memory Balloon
 * Device"): the host asks for num_pages 4 KiB pages; the guest gives them
 * on the inflate queue and the host frees them (MADV_DONTNEED on the
 * private anonymous guest RAM: the next guest access faults in a zero
 * page); deflate needs no host work. The statistics queue's buffer is kept
 * and its values recorded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "khyve/config.h"
#include "khyve/virtio_balloon.h"
#include "khyve/virtio_pci.h"
#include "khyve/vm.h"

#define BALLOON_QUEUE_SIZE 128
#define BALLOON_PAGE 4096u
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2
#define STAT_SIZE 10 /* le16 tag, le64 value, packed */

struct vtballoon {
	struct virtio_dev vd;
	struct virtio_pci vp;
	struct iovec iov[BALLOON_QUEUE_SIZE];
	bool wired; /* -S: guest memory stays locked, pages are not given back */
	bool stats_held;
	uint16_t stats_head;
	struct balloon_stats st;
};

/* Give back [gpa, gpa + n pages) when it is guest RAM; returns pages freed. */
static uint64_t release(struct vtballoon *s, uint64_t pfn, uint64_t n)
{
	s->st.pages_inflated += n;
	void *host = gmem_ptr(s->vd.mem, pfn * BALLOON_PAGE, n * BALLOON_PAGE);
	if (host == NULL) {
		s->st.bad_pfns += n;
		return 0;
	}
	if (s->wired || madvise(host, n * BALLOON_PAGE, MADV_DONTNEED) < 0)
		return 0;
	s->st.pages_freed += n;
	return n;
}

static void inflate(struct vtballoon *s, const struct iovec *iov, unsigned nread,
		    uint64_t read_len)
{
	uint64_t total = read_len / 4;
	if (total > BALLOON_MAX_PFNS) /* bounded work per request, whatever the guest claims */
		total = BALLOON_MAX_PFNS;
	uint32_t pfns[256];
	uint64_t run_start = 0, run_len = 0;
	for (uint64_t done = 0; done < total;) {
		size_t want = total - done < 256 ? (size_t)(total - done) : 256;
		size_t got = iov_to_buf(iov, nread, done * 4, pfns, want * 4) / 4;
		if (got == 0)
			break;
		/* Runs of consecutive frames become one madvise. */
		for (size_t i = 0; i < got; i++) {
			if (run_len && pfns[i] == run_start + run_len) {
				run_len++;
				continue;
			}
			if (run_len)
				release(s, run_start, run_len);
			run_start = pfns[i];
			run_len = 1;
		}
		done += got;
	}
	if (run_len)
		release(s, run_start, run_len);
}

static void record_stats(struct vtballoon *s, const struct iovec *iov, unsigned nread,
			 uint64_t read_len)
{
	uint64_t n = read_len / STAT_SIZE;
	if (n > BALLOON_MAX_STATS)
		n = BALLOON_MAX_STATS;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t e[STAT_SIZE];
		if (iov_to_buf(iov, nread, i * STAT_SIZE, e, STAT_SIZE) != STAT_SIZE)
			break;
		uint16_t tag = (uint16_t)(e[0] | e[1] << 8);
		uint64_t v;
		memcpy(&v, &e[2], 8);
		if (tag < BALLOON_MAX_STATS) {
			s->st.stat[tag] = v;
			s->st.stat_valid |= 1u << tag;
		}
	}
	s->st.stats_updates++;
}

static void balloon_notify(struct virtio_dev *vd, unsigned q)
{
	struct vtballoon *s = vd->priv;
	struct vq_chain c;
	int rc;
	bool any = false;
	while ((rc = virtio_get_chain(vd, q, s->iov, BALLOON_QUEUE_SIZE, &c)) != 0) {
		if (rc == -ENOBUFS)
			continue;
		if (rc < 0)
			break;
		if (q == Q_INFLATE)
			inflate(s, s->iov, c.nread, c.read_len);
		else if (q == Q_DEFLATE)
			s->st.pages_deflated += c.read_len / 4;
		if (q == Q_STATS) {
			record_stats(s, s->iov, c.nread, c.read_len);
			/*
			 * Section 5.5.6.3: the device keeps the buffer and returns it to
			 * ask for fresh values. Only one is outstanding; an extra one
			 * goes back at once.
			 */
			if (s->stats_held) {
				vq_put_chain(&vd->q[q].vq, c.head, 0);
				any = true;
				continue;
			}
			s->stats_held = true;
			s->stats_head = c.head;
			continue;
		}
		vq_put_chain(&vd->q[q].vq, c.head, 0);
		any = true;
	}
	if (any)
		virtio_queue_done(vd, q);
}

/* Only `actual` (bytes 4-7) is the driver's to write. */
static void balloon_config_write(struct virtio_dev *vd, size_t off, const uint8_t *data,
				 unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (off + i >= 4 && off + i < 8)
			vd->config[off + i] = data[i];
}

static void balloon_reset(struct virtio_dev *vd)
{
	struct vtballoon *s = vd->priv;
	s->stats_held = false;
	memset(vd->config + 4, 0, 4); /* actual */
}

static const struct virtio_ops balloon_ops = {
	.name = "virtio-balloon",
	.type = VIRTIO_ID_BALLOON,
	.pci_class = 0x05, /* memory controller */
	.pci_subclass = 0x80,
	.nqueues = 3,
	.queue_size = BALLOON_QUEUE_SIZE,
	.config_size = 8,
	.queue_notify = balloon_notify,
	.config_write = balloon_config_write,
	.reset = balloon_reset,
};

struct virtio_dev *vtballoon_new(const struct gmem *mem, uint32_t num_pages, bool deflate_on_oom,
				 bool wired)
{
	struct vtballoon *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	uint64_t f = 1ull << VIRTIO_BALLOON_F_STATS_VQ;
	if (deflate_on_oom)
		f |= 1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
	if (virtio_dev_init(&s->vd, &balloon_ops, mem, f, s) < 0) {
		free(s);
		return NULL;
	}
	s->wired = wired;
	memcpy(s->vd.config, &num_pages, 4);
	return &s->vd;
}

struct virtio_pci *vtballoon_pci(struct virtio_dev *vd)
{
	return &((struct vtballoon *)vd->priv)->vp;
}

const struct balloon_stats *vtballoon_stats(struct virtio_dev *vd)
{
	return &((struct vtballoon *)vd->priv)->st;
}

void vtballoon_set_target(struct virtio_dev *vd, uint32_t num_pages)
{
	memcpy(vd->config, &num_pages, 4);
	virtio_config_changed(vd);
}

void vtballoon_free(struct virtio_dev *vd)
{
	if (vd == NULL)
		return;
	struct vtballoon *s = vd->priv;
	virtio_dev_fini(vd);
	free(s);
}

/* target=MiB: the memory the guest keeps; the balloon asks for the rest. */
static int balloon_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err,
			size_t errlen)
{
	char key[96];
	uint64_t target = 0;
	bool oom = false, wired = false;
	snprintf(key, sizeof(key), "%s.target", node);
	const char *t = config_get(vm->cfg, key);
	if (t && (config_get_u64(vm->cfg, key, 0, &target) < 0 || target == 0)) {
		snprintf(err, errlen, "%s=%s: expected the guest's memory target in MiB", key, t);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%s.deflate_on_oom", node);
	if (config_get_bool(vm->cfg, key, false, &oom) < 0 ||
	    config_get_bool(vm->cfg, "memory.wired", false, &wired) < 0) {
		snprintf(err, errlen, "%s: expected a boolean", key);
		return -EINVAL;
	}
	uint64_t pages = 0;
	if (t) {
		uint64_t ram_mib = vm->ram_size >> 20;
		if (target > ram_mib) {
			snprintf(err, errlen, "%s.target=%s: more than the guest's %" PRIu64 " MiB", node,
				 t, ram_mib);
			return -EINVAL;
		}
		pages = (ram_mib - target) << 8;
		if (pages > UINT32_MAX)
			pages = UINT32_MAX;
	}
	if (wired)
		fprintf(stderr, "khyve: %s: guest memory is wired (-S): ballooned pages stay "
				"resident\n", node);
	struct virtio_dev *vd = vtballoon_new(&vm->gmem, (uint32_t)pages, oom, wired);
	if (vd == NULL) {
		snprintf(err, errlen, "%s: virtio-balloon: out of memory", node);
		return -ENOMEM;
	}
	return virtio_pci_vm_setup(vm, vtballoon_pci(vd), dev, vd, node, err, errlen);
}

static const char *const balloon_options[] = {"transport", "target", "deflate_on_oom", NULL};

const struct pci_devemu virtio_balloon_emu = {
	.name = "virtio-balloon",
	.help = "virtio memory balloon (options: target=MiB, deflate_on_oom, transport=...)",
	.options = balloon_options,
	.init = balloon_init,
	.cfg_access = virtio_pci_cfg_access,
	.bar_moved = virtio_pci_bar_moved,
};
