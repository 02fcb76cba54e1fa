// SPDX-License-Identifier: BSD-2-Clause
/*
 * Message-signalled interrupts: MSI-X (PCI Local Bus 3.0, section 6.8.2),
 * the capability, the vector table and pending bit array inside a BAR; MSI
 * (6.8.1) for -W; and the delivery of messages both share.
 *
 * The state lives in struct pci_msix under its own mutex, since vectors are
 * raised from any thread (event loop, vCPUs). Config writes to the message
 * control register arrive with root->lock held and take msix->lock after it;
 * table accesses and pci_msix_notify take msix->lock alone, so no cycle.
 *
 * With KVM each vector that has been unmasked gets an MSI route and an
 * irqfd bound to it: sending is one eventfd write, without an ioctl. The
 * route follows the entry's address and data while it is unmasked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "khyve/kvm.h"
#include "pci_priv.h"

void pci_vec_init(struct pci_vec *v)
{
	memset(v, 0, sizeof(*v));
	v->gsi = v->efd = -1;
}

int pci_vec_sync(struct pci_root *root, struct pci_vec *v)
{
	struct kvm *kvm = root->kvm;
	if (kvm == NULL)
		return -ENOSYS;
	if (v->gsi < 0) {
		int gsi = kvm_msi_route_add(kvm, v->addr, v->data);
		if (gsi < 0)
			return gsi;
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		int rc = efd < 0 ? -errno : kvm_irqfd(kvm, efd, (unsigned)gsi, true);
		if (rc < 0) {
			if (efd >= 0)
				close(efd);
			kvm_msi_route_del(kvm, (unsigned)gsi);
			return rc;
		}
		v->gsi = gsi;
		v->efd = efd;
	} else if (v->raddr != v->addr || v->rdata != v->data) {
		int rc = kvm_msi_route_update(kvm, (unsigned)v->gsi, v->addr, v->data);
		if (rc < 0)
			return rc;
	}
	v->raddr = v->addr;
	v->rdata = v->data;
	return 0;
}

int pci_vec_send(struct pci_root *root, struct pci_vec *v)
{
	if (root->kvm && pci_vec_sync(root, v) == 0) {
		uint64_t one = 1;
		if (write(v->efd, &one, sizeof(one)) == sizeof(one))
			return 0;
	}
	/* No KVM, or no route to be had (GSIs used up): deliver it directly. */
	if (root->msi_send == NULL)
		return -ENOSYS;
	return root->msi_send(root->irq_arg, v->addr, v->data);
}

void pci_vec_release(struct pci_root *root, struct pci_vec *v, bool with_kvm)
{
	bool k = with_kvm && root->kvm;
	if (v->efd >= 0) {
		if (k)
			kvm_irqfd(root->kvm, v->efd, (unsigned)v->gsi, false);
		close(v->efd);
	}
	if (v->gsi >= 0 && k)
		kvm_msi_route_del(root->kvm, (unsigned)v->gsi);
	v->efd = v->gsi = -1;
}

size_t pci_msix_table_size(unsigned nvec)
{
	return (size_t)nvec * MSIX_ENTRY_SIZE;
}

size_t pci_msix_pba_size(unsigned nvec)
{
	return ((size_t)nvec + 63) / 64 * 8;
}

int pci_msix_init(struct pci_dev *d, unsigned nvec, unsigned bar, uint32_t table_off,
		  uint32_t pba_off)
{
	if (d == NULL || d->root == NULL || d->msix || nvec == 0 || nvec > MSIX_MAX_VECTORS ||
	    bar >= PCI_NUM_BARS || table_off % 8 || pba_off % 8)
		return -EINVAL;
	uint64_t tend = (uint64_t)table_off + pci_msix_table_size(nvec);
	uint64_t pend = (uint64_t)pba_off + pci_msix_pba_size(nvec);
	if (table_off < pend && pba_off < tend) /* table and PBA overlap */
		return -EINVAL;
	const struct pci_bar *b = &d->bar[bar];
	if (b->type != PCI_BAR_NONE && (tend > b->size || pend > b->size))
		return -EINVAL;
	struct pci_msix *m = calloc(1, sizeof(*m) + nvec * sizeof(m->vec[0]));
	if (m == NULL)
		return -ENOMEM;
	int rc = -pthread_mutex_init(&m->lock, NULL);
	if (rc < 0) {
		free(m);
		return rc;
	}
	m->nvec = nvec;
	for (unsigned i = 0; i < nvec; i++) {
		pci_vec_init(&m->vec[i].v);
		m->vec[i].ctrl = MSIX_VEC_MASKED; /* vectors start masked */
	}
	uint8_t cap[MSIX_CAP_LEN] = {PCI_CAP_ID_MSIX}, wmask[MSIX_CAP_LEN] = {0};
	uint32_t tbl = table_off | bar, pba = pba_off | bar;
	cap[2] = (uint8_t)(nvec - 1);
	cap[3] = (uint8_t)((nvec - 1) >> 8);
	memcpy(&cap[4], &tbl, 4);
	memcpy(&cap[8], &pba, 4);
	wmask[3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
	pthread_mutex_lock(&d->root->lock);
	rc = pci_cap_add(d, cap, sizeof(cap), wmask);
	if (rc >= 0) {
		m->cap = (uint8_t)rc;
		d->msix = m;
		rc = 0;
	}
	pthread_mutex_unlock(&d->root->lock);
	if (rc < 0) {
		pthread_mutex_destroy(&m->lock);
		free(m);
	}
	return rc;
}

static bool deliverable(const struct pci_msix *m, const struct pci_msix_vec *e)
{
	return m->enabled && !m->fmask && !(e->ctrl & MSIX_VEC_MASKED);
}

/* Vector e became deliverable: route it, and send what was held back. */
static void vec_unmasked(struct pci_root *root, struct pci_msix_vec *e)
{
	if (root->kvm)
		pci_vec_sync(root, &e->v);
	if (e->pending) {
		e->pending = false;
		pci_vec_send(root, &e->v);
	}
}

void pci_msix_cfg_written(struct pci_dev *d, unsigned off, unsigned size)
{
	struct pci_msix *m = d->msix;
	if (!pci_overlaps(off, size, m->cap + 2u, 2))
		return;
	uint16_t ctrl = pci_get16(d, m->cap + 2u);
	pthread_mutex_lock(&m->lock);
	bool was = m->enabled && !m->fmask;
	m->enabled = ctrl & MSIX_CTRL_ENABLE;
	m->fmask = ctrl & MSIX_CTRL_MASKALL;
	if (!was && m->enabled && !m->fmask)
		for (unsigned i = 0; i < m->nvec; i++)
			if (!(m->vec[i].ctrl & MSIX_VEC_MASKED))
				vec_unmasked(d->root, &m->vec[i]);
	pthread_mutex_unlock(&m->lock);
}

/* One dword of entry e at register reg (0, 4, 8, 12). msix->lock held. */
static void table_dword(struct pci_msix_vec *e, unsigned reg, uint8_t *data, bool is_write)
{
	uint32_t v;
	if (!is_write) {
		switch (reg) {
		case 0:
			v = (uint32_t)e->v.addr;
			break;
		case 4:
			v = (uint32_t)(e->v.addr >> 32);
			break;
		case 8:
			v = e->v.data;
			break;
		default:
			v = e->ctrl;
		}
		memcpy(data, &v, 4);
		return;
	}
	memcpy(&v, data, 4);
	switch (reg) {
	case 0: /* bits 1:0 are reserved: a message address is dword aligned */
		e->v.addr = (e->v.addr & ~0xffffffffull) | (v & ~3u);
		break;
	case 4:
		e->v.addr = (e->v.addr & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case 8:
		e->v.data = v;
		break;
	default:
		e->ctrl = v & MSIX_VEC_MASKED;
	}
}

/*
 * Only aligned dword and qword accesses are defined (6.8.2); others are
 * ignored and read as 0, as are entries past the table (BAD-INPUTS Q3, Q4).
 */
static bool table_access_ok(uint64_t off, unsigned size)
{
	return (size == 4 || size == 8) && off % size == 0;
}

void pci_msix_table_access(struct pci_dev *d, uint64_t off, uint8_t *data, unsigned size,
			   bool is_write)
{
	struct pci_msix *m = d->msix;
	if (m == NULL || !table_access_ok(off, size) || off / MSIX_ENTRY_SIZE >= m->nvec) {
		if (!is_write && size <= 8)
			memset(data, 0, size);
		return;
	}
	struct pci_msix_vec *e = &m->vec[off / MSIX_ENTRY_SIZE];
	unsigned reg = (unsigned)(off % MSIX_ENTRY_SIZE);
	pthread_mutex_lock(&m->lock);
	bool was = deliverable(m, e);
	uint64_t addr = e->v.addr;
	uint32_t msg = e->v.data;
	for (unsigned i = 0; i < size; i += 4)
		table_dword(e, reg + i, data + i, is_write);
	if (is_write && deliverable(m, e)) {
		if (!was)
			vec_unmasked(d->root, e);
		else if ((addr != e->v.addr || msg != e->v.data) && d->root->kvm)
			pci_vec_sync(d->root, &e->v); /* the route follows the entry */
	}
	pthread_mutex_unlock(&m->lock);
}

void pci_msix_pba_access(struct pci_dev *d, uint64_t off, uint8_t *data, unsigned size,
			 bool is_write)
{
	struct pci_msix *m = d->msix;
	if (is_write) /* read-only */
		return;
	if (size > 8)
		return;
	memset(data, 0, size);
	if (m == NULL || !table_access_ok(off, size))
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < size * 8; i++) {
		uint64_t vec = off * 8 + i;
		if (vec < m->nvec && m->vec[vec].pending)
			data[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	pthread_mutex_unlock(&m->lock);
}

/* A flag read under the mutex that guards it. */
static bool flag_locked(pthread_mutex_t *lock, const bool *flag)
{
	pthread_mutex_lock(lock);
	bool v = *flag;
	pthread_mutex_unlock(lock);
	return v;
}

bool pci_msix_enabled(const struct pci_dev *d)
{
	return d->msix != NULL && flag_locked(&d->msix->lock, &d->msix->enabled);
}

int pci_msix_notify(struct pci_dev *d, unsigned vec)
{
	struct pci_msix *m = d->msix;
	if (m == NULL || vec >= m->nvec)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&m->lock);
	struct pci_msix_vec *e = &m->vec[vec];
	if (deliverable(m, e))
		rc = pci_vec_send(d->root, &e->v);
	else
		e->pending = true; /* sent when unmasked */
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void pci_msix_release(struct pci_dev *d, bool with_kvm)
{
	struct pci_msix *m = d->msix;
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < m->nvec; i++)
		pci_vec_release(d->root, &m->vec[i].v, with_kvm);
	pthread_mutex_unlock(&m->lock);
}

void pci_msix_free(struct pci_dev *d)
{
	if (d->msix == NULL)
		return;
	pci_msix_release(d, false);
	pthread_mutex_destroy(&d->msix->lock);
	free(d->msix);
	d->msix = NULL;
}

/*
 * MSI (section 6.8.1), for -W: a 64-bit address capable
 * capability with per-vector masking and up to 32 vectors (multiple message
 * enable). The guest's registers live in cfg[]; each config write to the
 * capability copies them, under msi->lock, into struct pci_msi, which
 * pci_msi_notify reads from any thread without root->lock. The pending bits
 * live only there: config reads fetch them (root->lock, then msi->lock).
 * Vector v of count enabled vectors sends the message data with its low
 * log2(count) bits replaced by v. Delivery is as for MSI-X.
 */
int pci_msi_init(struct pci_dev *d, unsigned nvec)
{
	if (d == NULL || d->root == NULL || d->msi || nvec == 0 || nvec > MSI_MAX_VECTORS ||
	    (nvec & (nvec - 1)) != 0)
		return -EINVAL;
	struct pci_msi *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	int rc = -pthread_mutex_init(&m->lock, NULL);
	if (rc < 0) {
		free(m);
		return rc;
	}
	m->nvec = nvec;
	for (unsigned i = 0; i < MSI_MAX_VECTORS; i++)
		pci_vec_init(&m->vec[i]);
	uint8_t cap[MSI_CAP_LEN] = {PCI_CAP_ID_MSI}, wmask[MSI_CAP_LEN] = {0};
	uint16_t ctrl = MSI_CTRL_64BIT | MSI_CTRL_MASKABLE |
			(uint16_t)(__builtin_ctz(nvec) << 1); /* multiple message capable */
	uint32_t vmask = nvec == 32 ? 0xffffffffu : (1u << nvec) - 1;
	memcpy(&cap[MSI_CTRL], &ctrl, 2);
	wmask[MSI_CTRL] = 0x71; /* enable, multiple message enable */
	memset(&wmask[MSI_ADDR_LO], 0xff, 8);
	wmask[MSI_ADDR_LO] = 0xfc; /* dword aligned */
	memset(&wmask[MSI_DATA], 0xff, 2);
	memcpy(&wmask[MSI_MASK], &vmask, 4);
	pthread_mutex_lock(&d->root->lock);
	rc = pci_cap_add(d, cap, sizeof(cap), wmask);
	if (rc >= 0) {
		m->cap = (uint8_t)rc;
		d->msi = m;
		rc = 0;
	}
	pthread_mutex_unlock(&d->root->lock);
	if (rc < 0) {
		pthread_mutex_destroy(&m->lock);
		free(m);
	}
	return rc;
}

static bool msi_deliverable(const struct pci_msi *m, unsigned v)
{
	return m->enabled && v < m->count && !(m->mask >> v & 1);
}

static uint32_t cfg32(const struct pci_dev *d, unsigned off)
{
	uint32_t v;
	memcpy(&v, &d->cfg[off], 4);
	return v;
}

void pci_msi_cfg_written(struct pci_dev *d, unsigned off, unsigned size)
{
	struct pci_msi *m = d->msi;
	unsigned c = m->cap;
	if (!pci_overlaps(off, size, c + MSI_CTRL, MSI_CAP_LEN - MSI_CTRL))
		return;
	uint16_t ctrl = pci_get16(d, c + MSI_CTRL);
	unsigned mme = (ctrl >> 4) & 7;
	uint64_t addr = cfg32(d, c + MSI_ADDR_LO) | (uint64_t)cfg32(d, c + MSI_ADDR_HI) << 32;
	uint32_t data = pci_get16(d, c + MSI_DATA);
	pthread_mutex_lock(&m->lock);
	bool was[MSI_MAX_VECTORS];
	for (unsigned v = 0; v < m->nvec; v++)
		was[v] = msi_deliverable(m, v);
	m->enabled = ctrl & MSI_CTRL_ENABLE;
	/* more than offered (or a reserved encoding): as many as offered */
	m->count = mme < 6 && (1u << mme) < m->nvec ? 1u << mme : m->nvec;
	m->mask = cfg32(d, c + MSI_MASK);
	for (unsigned v = 0; v < m->count; v++) {
		struct pci_vec *x = &m->vec[v];
		x->addr = addr;
		x->data = (data & ~(m->count - 1)) | v;
		if (!msi_deliverable(m, v))
			continue;
		if (d->root->kvm)
			pci_vec_sync(d->root, x); /* new, or the message changed */
		if (!was[v] && (m->pending >> v & 1)) {
			m->pending &= ~(1u << v);
			pci_vec_send(d->root, x);
		}
	}
	pthread_mutex_unlock(&m->lock);
}

uint32_t pci_msi_cfg_read(struct pci_dev *d, unsigned off, unsigned size)
{
	struct pci_msi *m = d->msi;
	unsigned p = m->cap + MSI_PENDING;
	if (!pci_overlaps(off, size, p, 4))
		return 0;
	uint32_t v = 0;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < size; i++)
		if (off + i >= p && off + i < p + 4)
			v |= ((m->pending >> (8 * (off + i - p))) & 0xff) << (8 * i);
	pthread_mutex_unlock(&m->lock);
	return v;
}

bool pci_msi_enabled(const struct pci_dev *d)
{
	return d->msi != NULL && flag_locked(&d->msi->lock, &d->msi->enabled);
}

int pci_msi_notify(struct pci_dev *d, unsigned vec)
{
	struct pci_msi *m = d->msi;
	if (m == NULL || vec >= m->nvec)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&m->lock);
	if (!m->enabled || vec >= m->count)
		rc = -EAGAIN; /* MSI off, or a vector the guest did not enable: nothing sent */
	else if (m->mask >> vec & 1)
		m->pending |= 1u << vec; /* sent when unmasked */
	else
		rc = pci_vec_send(d->root, &m->vec[vec]);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void pci_msi_release(struct pci_dev *d, bool with_kvm)
{
	struct pci_msi *m = d->msi;
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < MSI_MAX_VECTORS; i++)
		pci_vec_release(d->root, &m->vec[i], with_kvm);
	pthread_mutex_unlock(&m->lock);
}

void pci_msi_free(struct pci_dev *d)
{
	if (d->msi == NULL)
		return;
	pci_msi_release(d, false);
	pthread_mutex_destroy(&d->msi->lock);
	free(d->msi);
	d->msi = NULL;
}
