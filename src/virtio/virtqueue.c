// SPDX-License-Identifier: BSD-2-Clause
/*
 * Split virtqueue, device side (virtio 1.x section 2.7). The guest writes the
 * descriptor table and the available ring, khyve writes the used ring; every
 * value read from guest memory is checked before it indexes anything or
 * becomes a host pointer.
 *
 * Memory ordering (the driver is Linux's virtio_ring.c or any other):
 *  - avail->idx is loaded with acquire: pairs with the driver's write barrier
 *    between filling avail->ring[] (and the descriptors) and storing avail->idx.
 *  - used->idx is stored with release: pairs with the driver's read barrier
 *    between loading used->idx and reading used->ring[] entries.
 *  - a full fence between publishing used->idx and reading used_event /
 *    avail->flags: pairs with the driver's full barrier between writing
 *    used_event (or clearing VRING_AVAIL_F_NO_INTERRUPT) and re-reading used->idx.
 *  - a full fence between writing avail_event / used->flags and re-reading
 *    avail->idx: pairs with the driver's full barrier between storing avail->idx
 *    and reading avail_event / used->flags to decide whether to kick.
 */
#include "khyve/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Guest ring words are little-endian (virtio 1.x section 2.4). */
typedef uint16_t le16;
typedef uint32_t le32;
typedef uint64_t le64;

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_USED_F_NO_NOTIFY 1
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	le64 addr;
	le32 len;
	le16 flags;
	le16 next;
};

/* flags, idx, ring[size], then used_event (EVENT_IDX). */
struct vring_avail {
	le16 flags;
	le16 idx;
	le16 ring[];
};

struct vring_used_elem {
	le32 id;
	le32 len;
};

/* flags, idx, ring[size], then avail_event (EVENT_IDX). */
struct vring_used {
	le16 flags;
	le16 idx;
	struct vring_used_elem ring[];
};

_Static_assert(sizeof(struct vring_desc) == 16, "descriptor is 16 bytes");
_Static_assert(sizeof(struct vring_used_elem) == 8, "used element is 8 bytes");

/* Shared ring words: single, untorn accesses through the __atomic builtins. */
static inline uint16_t load16(const volatile le16 *p, int order)
{
	return le16toh(__atomic_load_n(p, order));
}

static inline void store16(volatile le16 *p, uint16_t v, int order)
{
	__atomic_store_n(p, htole16(v), order);
}

static inline void store32(volatile le32 *p, uint32_t v)
{
	__atomic_store_n(p, htole32(v), __ATOMIC_RELAXED);
}

static inline volatile struct vring_avail *avail_ring(const struct virtqueue *vq)
{
	return (volatile struct vring_avail *)vq->avail;
}

static inline volatile struct vring_used *used_ring(const struct virtqueue *vq)
{
	return (volatile struct vring_used *)vq->used;
}

/* used_event: the avail ring's trailing word (section 2.7.10). */
static inline volatile le16 *used_event(const struct virtqueue *vq)
{
	return &avail_ring(vq)->ring[vq->size];
}

/* avail_event: the used ring's trailing word (section 2.7.10). */
static inline volatile le16 *avail_event(const struct virtqueue *vq)
{
	return (volatile le16 *)&used_ring(vq)->ring[vq->size];
}

size_t vq_desc_bytes(unsigned size)
{
	return (size_t)16 * size;
}

size_t vq_avail_bytes(unsigned size)
{
	return 6 + (size_t)2 * size;
}

size_t vq_used_bytes(unsigned size)
{
	return 6 + (size_t)8 * size;
}

void vq_legacy_layout(uint32_t pfn, unsigned size, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	/* Virtio 0.9.5 / legacy section 2.7.2: one block, the used ring page-aligned. */
	uint64_t base = (uint64_t)pfn * VQ_LEGACY_ALIGN;
	*desc = base;
	*avail = base + vq_desc_bytes(size);
	uint64_t end = *avail + vq_avail_bytes(size);
	*used = (end + VQ_LEGACY_ALIGN - 1) & ~(uint64_t)(VQ_LEGACY_ALIGN - 1);
}

int vq_setup(struct virtqueue *vq, const struct gmem *mem, unsigned size, uint64_t desc,
	     uint64_t avail, uint64_t used, uint64_t features)
{
	/* Section 2.7: Queue Size is a power of 2; khyve offers at most VQ_MAX_SIZE. */
	if (size == 0 || size > VQ_MAX_SIZE || (size & (size - 1)) != 0)
		return -EINVAL;
	/* Section 2.7 table "Virtqueue Part Alignment". */
	if (desc % 16 != 0 || avail % 2 != 0 || used % 4 != 0)
		return -EINVAL;
	/* Each ring lies wholly inside one region, so later accesses need no check. */
	void *d = gmem_ptr(mem, desc, vq_desc_bytes(size));
	void *a = gmem_ptr(mem, avail, vq_avail_bytes(size));
	void *u = gmem_ptr(mem, used, vq_used_bytes(size));
	if (d == NULL || a == NULL || u == NULL)
		return -EINVAL;

	vq_reset(vq);
	vq->mem = mem;
	vq->size = (uint16_t)size;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	vq->event_idx = (features >> VIRTIO_RING_F_EVENT_IDX) & 1;
	vq->indirect = (features >> VIRTIO_RING_F_INDIRECT_DESC) & 1;
	vq->ready = true;
	return 0;
}

void vq_reset(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
}

static bool inflight_test(const struct virtqueue *vq, uint16_t head)
{
	return (vq->inflight[head / 64] >> (head % 64)) & 1;
}

static void inflight_set(struct virtqueue *vq, uint16_t head)
{
	vq->inflight[head / 64] |= (uint64_t)1 << (head % 64);
}

static void inflight_clear(struct virtqueue *vq, uint16_t head)
{
	vq->inflight[head / 64] &= ~((uint64_t)1 << (head % 64));
}

/* Mark the queue broken: nothing more is taken from it until vq_reset(). */
static int violation(struct virtqueue *vq, const char *rule)
{
	vq->broken = true;
	vq->error = rule;
	return -EPROTO;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/*
 * Read one descriptor into a local copy exactly once: the guest may rewrite
 * it concurrently, and every check below must apply to the value that is used.
 * Indirect tables need not be 16-byte aligned, hence memcpy; the compiler
 * barrier keeps the compiler from re-reading guest memory instead of the copy.
 */
static struct desc read_desc(const volatile struct vring_desc *p)
{
	struct vring_desc raw;
	memcpy(&raw, (const void *)p, sizeof(raw));
	__asm__ __volatile__("" ::: "memory");
	return (struct desc){.addr = le64toh(raw.addr),
			     .len = le32toh(raw.len),
			     .flags = le16toh(raw.flags),
			     .next = le16toh(raw.next)};
}

/* Chain walk state: where descriptors are read from and what was collected. */
struct walk {
	const volatile struct vring_desc *table;
	uint32_t table_size; /* entries in table: queue size or indirect len / 16 */
	bool in_indirect;
	bool seen_writable;
	unsigned count; /* buffer descriptors read, zero-length ones included */
	unsigned niov, nread;
	bool overflow; /* more non-empty buffers than max_iov */
	uint64_t read_len, write_len;
};

/*
 * Switch the walk to the indirect table that descriptor d points to
 * (section 2.7.5.3). NULL, or the rule d breaks.
 */
static const char *enter_indirect(struct virtqueue *vq, struct walk *w, const struct desc *d)
{
	if (!vq->indirect)
		return "INDIRECT descriptor without VIRTIO_RING_F_INDIRECT_DESC";
	if (w->in_indirect)
		return "INDIRECT descriptor inside an indirect table";
	if (d->flags & VRING_DESC_F_NEXT)
		return "INDIRECT descriptor with NEXT";
	if (d->len == 0 || d->len % sizeof(struct vring_desc) != 0)
		return "indirect table length 0 or not a multiple of 16";
	const void *t = gmem_ptr(vq->mem, d->addr, d->len);
	if (t == NULL)
		return "indirect table outside guest memory";
	w->table = t;
	w->table_size = d->len / sizeof(struct vring_desc);
	w->in_indirect = true;
	return NULL;
}

/* Account one buffer descriptor (not an indirect one). NULL, or the rule d breaks. */
static const char *add_buffer(struct virtqueue *vq, struct walk *w, const struct desc *d,
			      struct iovec *iov, unsigned max_iov)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	/* Section 2.7.4.2: device-readable descriptors come before device-writable ones. */
	if (!writable && w->seen_writable)
		return "device-readable descriptor after a device-writable one";
	w->seen_writable |= writable;
	if (d->len == 0)
		return NULL;
	/* The whole buffer inside one region: no hole, no second region, no wrap. */
	void *p = gmem_ptr(vq->mem, d->addr, d->len);
	if (p == NULL)
		return "buffer outside guest memory";
	if (writable)
		w->write_len += d->len;
	else
		w->read_len += d->len;
	if (w->niov >= max_iov) {
		w->overflow = true;
		return NULL;
	}
	iov[w->niov++] = (struct iovec){.iov_base = p, .iov_len = d->len};
	if (!writable)
		w->nread++;
	return NULL;
}

/* Walk the chain from head. NULL, or the rule it breaks. */
static const char *walk_chain(struct virtqueue *vq, uint16_t head, struct iovec *iov,
			      unsigned max_iov, struct walk *w)
{
	*w = (struct walk){.table = vq->desc, .table_size = vq->size};
	uint32_t idx = head;
	for (;;) {
		/* idx < table_size: head checked by the caller, next below. */
		struct desc d = read_desc(&w->table[idx]);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/*
			 * Names no buffer, so not counted below. There is at most one
			 * per chain (no NEXT, none inside a table): the walk reads at
			 * most size + 1 descriptors.
			 */
			const char *err = enter_indirect(vq, w, &d);
			if (err)
				return err;
			idx = 0;
			continue;
		}
		/*
		 * Section 2.7.5.3.1: no chain longer than the queue size, indirect
		 * entries included. This also ends every loop, direct or indirect.
		 */
		if (++w->count > vq->size)
			return "descriptor chain loops or is longer than the queue size";
		const char *err = add_buffer(vq, w, &d, iov, max_iov);
		if (err)
			return err;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return NULL;
		if (d.next >= w->table_size)
			return "descriptor next index out of range";
		idx = d.next;
	}
}

int vq_get_chain(struct virtqueue *vq, struct iovec *iov, unsigned max_iov, struct vq_chain *chain)
{
	/* Nothing from a failed or partial walk reaches the caller. */
	*chain = (struct vq_chain){0};
	if (!vq->ready || vq->broken)
		return 0;
	volatile struct vring_avail *avail = avail_ring(vq);
	/* Acquire: pairs with the driver's write barrier before its avail->idx store. */
	uint16_t avail_idx = load16(&avail->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0)
		return 0;
	/* Free-running 16-bit indexes: more than size pending means a bogus index. */
	if (pending > vq->size)
		return violation(vq, "avail index moved by more than the queue size");

	uint16_t slot = vq->last_avail & (vq->size - 1);
	uint16_t head = load16(&avail->ring[slot], __ATOMIC_RELAXED);
	if (head >= vq->size)
		return violation(vq, "avail ring head index out of range");
	if (inflight_test(vq, head))
		return violation(vq, "head made available again while in flight");

	struct walk w;
	const char *err = walk_chain(vq, head, iov, max_iov, &w);
	if (err)
		return violation(vq, err);

	vq->last_avail++;
	inflight_set(vq, head);
	if (w.overflow) {
		/* Give it back empty: the device could not take it as it is. */
		vq_put_chain(vq, head, 0);
		return -ENOBUFS;
	}
	*chain = (struct vq_chain){.head = head,
				   .niov = w.niov,
				   .nread = w.nread,
				   .read_len = w.read_len,
				   .write_len = w.write_len};
	return 1;
}

void vq_put_chain(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	if (!vq->ready || head >= vq->size || !inflight_test(vq, head))
		return;
	inflight_clear(vq, head);
	volatile struct vring_used *used = used_ring(vq);
	volatile struct vring_used_elem *e = &used->ring[vq->used_idx & (vq->size - 1)];
	store32(&e->id, head);
	store32(&e->len, written);
	vq->used_idx++;
	/* Release: pairs with the driver's read barrier after it loads used->idx. */
	store16(&used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

/* Section 2.7.10: has new_idx moved past event since old? (all free-running) */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_should_interrupt(struct virtqueue *vq)
{
	if (!vq->ready)
		return false;
	uint16_t old = vq->signalled, new_idx = vq->used_idx;
	if (old == new_idx)
		return false; /* nothing returned since the last decision */
	/* The first decision after setup interrupts whatever used_event says: cheap and safe. */
	bool first = !vq->signalled_valid;
	vq->signalled = new_idx;
	vq->signalled_valid = true;
	/*
	 * Full fence: orders our used->idx store before the used_event /
	 * avail->flags load. Pairs with the driver's full barrier between
	 * writing used_event (or clearing NO_INTERRUPT) and re-reading
	 * used->idx, so one side always sees the other's update.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		uint16_t event = load16(used_event(vq), __ATOMIC_RELAXED);
		return first || need_event(event, new_idx, old);
	}
	return !(load16(&avail_ring(vq)->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
}

void vq_notify_off(struct virtqueue *vq)
{
	if (!vq->ready)
		return;
	if (vq->event_idx) {
		/*
		 * An index the driver has already passed: its vring_need_event()
		 * check stays false until the 16-bit index comes round again.
		 */
		store16(avail_event(vq), (uint16_t)(vq->last_avail - 1), __ATOMIC_RELAXED);
	} else {
		store16(&used_ring(vq)->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
}

bool vq_notify_on(struct virtqueue *vq)
{
	if (!vq->ready)
		return false;
	if (vq->event_idx) /* kick when the entry at last_avail is published */
		store16(avail_event(vq), vq->last_avail, __ATOMIC_RELAXED);
	else
		store16(&used_ring(vq)->flags, 0, __ATOMIC_RELAXED);
	/*
	 * Full fence: orders the store above before the avail->idx load in
	 * vq_has_avail(). Pairs with the driver's full barrier between storing
	 * avail->idx and reading avail_event / used->flags: either it sees
	 * notifications on and kicks, or we see its new chains here.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_has_avail(vq);
}

bool vq_has_avail(const struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	/* Acquire: pairs with the driver's write barrier before its avail->idx store. */
	return load16(&avail_ring(vq)->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/* [skip, skip + len) of the iovecs and buf, copied into buf (out) or into the iovecs. */
static size_t iov_copy(const struct iovec *iov, unsigned niov, size_t skip, uint8_t *buf,
		       size_t len, bool out)
{
	size_t done = 0;
	for (unsigned i = 0; i < niov && done < len; i++) {
		size_t n = iov[i].iov_len;
		if (skip >= n) {
			skip -= n;
			continue;
		}
		n -= skip;
		if (n > len - done)
			n = len - done;
		uint8_t *at = (uint8_t *)iov[i].iov_base + skip;
		if (out)
			memcpy(buf + done, at, n);
		else
			memcpy(at, buf + done, n);
		done += n;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned niov, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, niov, skip, buf, len, true);
}

size_t buf_to_iov(const struct iovec *iov, unsigned niov, size_t skip, const void *buf, size_t len)
{
	return iov_copy(iov, niov, skip, (uint8_t *)buf, len, false); /* buf is only read */
}
