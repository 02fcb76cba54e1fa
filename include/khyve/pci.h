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

struct vm;
struct pci_dev;

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
};

struct pci_dev {
	uint8_t bus, slot, func;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits cleared by writing 1 */
	const struct pci_devemu *emu;
	void *priv;
};

struct pci_root {
	pthread_mutex_t lock;
	struct pci_dev *dev[PCI_SLOTS][PCI_FUNCS]; /* bus 0 */
	uint32_t cf8;
	/* The reset control register shares port 0xCF9 with CONFIG_ADDRESS. */
	void (*reset_write)(void *arg, uint8_t val);
	void *reset_arg;
};

int pci_root_init(struct pci_root *root);
void pci_root_fini(struct pci_root *root);
const struct pci_devemu *pci_emul_find(const char *name);
/* The emulations, for -s help: count and index. */
size_t pci_emul_count(void);
const struct pci_devemu *pci_emul_at(size_t i);
/* Allocate a device at slot/func (bus 0), with a default writable mask. */
struct pci_dev *pci_dev_add(struct pci_root *root, unsigned slot, unsigned func,
			    const struct pci_devemu *emu);
void pci_set_ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t class,
		 uint8_t subclass, uint8_t progif, uint8_t rev);
/* Set header-type multifunction bits once all devices are added. */
void pci_root_finish(struct pci_root *root);

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
