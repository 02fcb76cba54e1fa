/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI root bus: configuration space through ports 0xCF8/0xCFC and ECAM,
 * and the table of emulations selectable with -s.
 */
#ifndef KHYVE_PCI_H
#define KHYVE_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_SLOTS 32
#define PCI_FUNCS 8
#define PCI_CFG_SIZE 256
#define PCI_ECAM_FN_SIZE 4096

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_HEADER_TYPE 0x0e
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_BAR0 0x10
#define PCI_CAPABILITY_LIST 0x34
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define PCI_NUM_BARS 6
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_INTX_GSI_MAX 24 /* INTx GSIs are I/O APIC pins */

struct vm;
struct pci_dev;
struct pci_msix;
struct pci_msi;
struct iobus;
struct kvm;

/* off is relative to the BAR's base; as io_access_fn in iobus.h. */
typedef void (*pci_bar_fn)(void *opaque, uint64_t off, uint8_t *data, unsigned size,
			   bool is_write);

enum pci_bar_type { PCI_BAR_NONE = 0, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;  /* a power of two */
	uint64_t addr;  /* base as the guest last programmed it (or as assigned at start) */
	bool decoded;   /* registered on its bus at addr */
	pci_bar_fn fn;
	void *opaque;
};

struct config;

struct pci_devemu {
	const char *name;
	const char *help; /* one line for -s help */
	/*
	 * The -s option string after the emulation name → keys under node.
	 * NULL: the generic "name[=value],..." parser. 0 or -EINVAL with a message.
	 */
	int (*legacy_config)(struct config *cfg, const char *node, const char *opts, char *err,
			     size_t errlen);
	const char *const *options; /* keys this emulation reads; others draw a warning */
	/* node is the device's config node, e.g. "pci.0.3.0". 0 or -errno with a message. */
	int (*init)(struct vm *vm, struct pci_dev *dev, const char *node, char *err,
		    size_t errlen);
	/* Optional hook after the generic write has been applied to cfg[]. */
	void (*cfg_written)(struct pci_dev *dev, unsigned off, unsigned size);
	/*
	 * Optional: an access to config space before the generic handling (with
	 * the root lock held); return true when the device handled it (*val is
	 * the value read or written). For registers with side effects, such as
	 * virtio's PCI-configuration access capability.
	 */
	bool (*cfg_access)(struct pci_dev *dev, unsigned off, unsigned size, uint32_t *val,
			   bool is_write);
	/*
	 * Optional: BAR idx was (de)registered; decoded says whether it now
	 * decodes at addr. Lets a device move its ioeventfds with the BAR.
	 * Called with the root lock held (from pci_bar_add or a config write).
	 */
	void (*bar_moved)(struct pci_dev *dev, unsigned idx, bool decoded, uint64_t addr);
	/*
	 * Optional, at teardown (vCPUs gone, the event loop still there but no
	 * longer run): let go of host resources that would otherwise outlive
	 * the process for a moment, such as a tap an io_uring ring holds.
	 */
	void (*fini)(struct pci_dev *dev);
};

struct pci_dev {
	uint8_t bus, slot, func;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits cleared by writing 1 */
	const struct pci_devemu *emu;
	void *priv;
	struct pci_root *root;
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t cap_last; /* offset of the last capability in the list, 0 = none */
	uint8_t cap_free; /* next free offset for a capability (starts at 0x40) */
	struct pci_msix *msix; /* NULL unless pci_msix_init() */
	struct pci_msi *msi;   /* NULL unless pci_msi_init() */
	unsigned intx_gsi;     /* GSI of INTA# (ACPI _PRT routing); set by pci_dev_add */
	/* INTx state, under root->intx_lock; private to pci.c. */
	bool intx_level;    /* as the device last set it (PCI_STATUS_INTERRUPT) */
	bool intx_driven;   /* this device counts in root->intx_count[intx_gsi] */
	bool intx_disabled; /* PCI_COMMAND_INTX_DISABLE, mirrored at each command write */
};

struct pci_root {
	pthread_mutex_t lock;
	struct pci_dev *dev[PCI_SLOTS][PCI_FUNCS]; /* bus 0 */
	uint32_t cf8;
	/* The reset control register shares port 0xCF9 with CONFIG_ADDRESS. */
	void (*reset_write)(void *arg, uint8_t val);
	void *reset_arg;
	/* Where BARs decode (NULL: BARs are never registered, as in some unit tests). */
	struct iobus *pio, *mmio;
	/* Windows BARs are allocated from and must stay inside to decode. */
	uint64_t io_base, io_limit, io_next;       /* [base, limit) */
	uint64_t mem32_base, mem32_limit, mem32_next;
	uint64_t mem64_base, mem64_limit, mem64_next;
	/*
	 * Interrupt delivery, set by the VM (tests set counters):
	 * msi_send: deliver one MSI (address, data); 0 or -errno.
	 * intx_set: set the level of a GSI.
	 * The KVM-side helpers for MSI-X live in kvm.h (routes, irqfd).
	 */
	int (*msi_send)(void *arg, uint64_t addr, uint32_t data);
	void (*intx_set)(void *arg, unsigned gsi, int level);
	void *irq_arg;
	struct kvm *kvm; /* for MSI routes and irqfds; NULL: always msi_send */
	/*
	 * INTx lines are shared (wired-OR): a GSI is asserted while any device
	 * drives it. Private to pci.c.
	 */
	pthread_mutex_t intx_lock;
	uint16_t intx_count[PCI_INTX_GSI_MAX];
};

int pci_root_init(struct pci_root *root);
void pci_root_fini(struct pci_root *root);
const struct pci_devemu *pci_emul_find(const char *name);
/* The emulations, for -s help: count and index. */
size_t pci_emul_count(void);
const struct pci_devemu *pci_emul_at(size_t i);
/*
 * Allocate a device at slot/func (bus 0), with a default writable mask; sets
 * root, cap_free, intx_gsi and the interrupt line register (= intx_gsi).
 */
struct pci_dev *pci_dev_add(struct pci_root *root, unsigned slot, unsigned func,
			    const struct pci_devemu *emu);
void pci_set_ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t class,
		 uint8_t subclass, uint8_t progif, uint8_t rev);
/* Set header-type multifunction bits once all devices are added. */
void pci_root_finish(struct pci_root *root);

/*
 * Add a BAR. The address is allocated from the root's window for the type
 * (naturally aligned); a 64-bit BAR takes idx and idx+1. The BAR decodes
 * once the guest enables I/O or memory decoding in the command register, and
 * moves when the guest rewrites it; while its range overlaps another range,
 * or leaves the window, it does not decode (no BAR over RAM or another BAR).
 * 0, -EINVAL (bad index/size/type), -ENOSPC (window full).
 */
int pci_bar_add(struct pci_dev *d, unsigned idx, enum pci_bar_type type, uint64_t size,
		pci_bar_fn fn, void *opaque);
/*
 * Append a capability (cap[0] = ID; cap[1], the next pointer, is filled in)
 * of len bytes, 4-byte aligned, to the capability list; wmask (may be NULL)
 * gives its guest-writable bits. Returns its offset, or -ENOSPC.
 */
int pci_cap_add(struct pci_dev *d, const uint8_t *cap, unsigned len, const uint8_t *wmask);

/*
 * MSI-X: nvec vectors, table and PBA inside BAR bar at table_off / pba_off
 * (the device's BAR handler passes accesses there to pci_msix_table_access
 * and pci_msix_pba_access, with off relative to the table's resp. the PBA's
 * start). Vectors start masked, as the spec says. Aligned dword and qword
 * accesses are served; others, and entries past nvec, are ignored and read 0.
 * 0, -EINVAL (bad nvec/bar/offsets, table past the BAR), -ENOSPC (no room
 * for the capability). Call at device init, not under root->lock.
 */
int pci_msix_init(struct pci_dev *d, unsigned nvec, unsigned bar, uint32_t table_off,
		  uint32_t pba_off);
size_t pci_msix_table_size(unsigned nvec);
size_t pci_msix_pba_size(unsigned nvec);
void pci_msix_table_access(struct pci_dev *d, uint64_t off, uint8_t *data, unsigned size,
			   bool is_write);
void pci_msix_pba_access(struct pci_dev *d, uint64_t off, uint8_t *data, unsigned size,
			 bool is_write);
bool pci_msix_enabled(const struct pci_dev *d);
/*
 * Raise vector vec: when masked (per vector or function) the pending bit is
 * set and the message is sent at unmask; otherwise sent (irqfd when routed in
 * KVM, else msi_send). vec out of range → ignored, -EINVAL. Any thread.
 */
int pci_msix_notify(struct pci_dev *d, unsigned vec);
/*
 * MSI (for -W): a 64-bit capable, per-vector-mask capable capability with up
 * to nvec vectors (a power of two, at most 32). Call at device init.
 */
int pci_msi_init(struct pci_dev *d, unsigned nvec);
bool pci_msi_enabled(const struct pci_dev *d);
/*
 * Raise vector vec: sent, or held as pending while masked (0); -EAGAIN when
 * MSI is off or vec is beyond the vectors the guest enabled (nothing sent);
 * -EINVAL for vec >= nvec. Any thread.
 */
int pci_msi_notify(struct pci_dev *d, unsigned vec);
/*
 * INTA# level (through intx_set; held deasserted while the command register
 * disables INTx; PCI_STATUS_INTERRUPT follows the level). Any thread.
 */
void pci_intx_set(struct pci_dev *d, int level);
/* Device teardown: release irqfds and routes, deassert INTx. Before kvm_close. */
void pci_dev_release_irqs(struct pci_dev *d);

uint32_t pci_cfg_read(struct pci_root *root, unsigned bus, unsigned slot, unsigned func,
		      unsigned off, unsigned size);
void pci_cfg_write(struct pci_root *root, unsigned bus, unsigned slot, unsigned func,
		   unsigned off, unsigned size, uint32_t val);

/* iobus handlers: ports 0xCF8-0xCFB, 0xCFC-0xCFF, and the ECAM window. */
void pci_cf8_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);
void pci_cfc_io(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);
void pci_ecam_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write);

static inline void pci_put16(struct pci_dev *d, unsigned off, uint16_t v)
{
	d->cfg[off] = (uint8_t)v;
	d->cfg[off + 1] = (uint8_t)(v >> 8);
}
static inline uint16_t pci_get16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

#endif
