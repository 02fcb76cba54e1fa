// SPDX-License-Identifier: BSD-2-Clause
/* The host bridge at 0:0.0; bhyve's IDs, overridable with pcireg.vendor/pcireg.device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/config.h"
#include "khyve/lpc.h"
#include "khyve/vm.h"

#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_HOST 0x00

/* "host" means the ID of the host's own host bridge, as bhyve does. */
static int read_host_id(const char *what, uint16_t *out)
{
	char path[96], buf[32];
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/0000:00:00.0/%s", what);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	int rc = fgets(buf, sizeof(buf), f) ? 0 : -EIO;
	fclose(f);
	if (rc == 0)
		*out = (uint16_t)strtoul(buf, NULL, 16);
	return rc;
}

static int get_id(const struct vm *vm, const char *node, const char *key, const char *sysfs,
		  uint16_t *id, char *err, size_t errlen)
{
	char k[96];
	snprintf(k, sizeof(k), "%s.pcireg.%s", node, key);
	const char *v = config_get(vm->cfg, k);
	if (v == NULL)
		return 0;
	if (strcmp(v, "host") == 0) {
		int rc = read_host_id(sysfs, id);
		if (rc < 0)
			snprintf(err, errlen, "%s=host: cannot read the host bridge's %s: %s", k,
				 sysfs, strerror(-rc));
		return rc;
	}
	uint64_t n;
	if (config_get_u64(vm->cfg, k, 0, &n) < 0 || n > 0xffff) {
		snprintf(err, errlen, "%s: '%s' is not a 16-bit number or 'host'", k, v);
		return -EINVAL;
	}
	*id = (uint16_t)n;
	return 0;
}

static int bridge_init(struct vm *vm, struct pci_dev *dev, const char *node, uint16_t vendor,
		       uint16_t device, char *err, size_t errlen)
{
	int rc = get_id(vm, node, "vendor", "vendor", &vendor, err, errlen);
	if (rc == 0)
		rc = get_id(vm, node, "device", "device", &device, err, errlen);
	if (rc < 0)
		return rc;
	pci_set_ids(dev, vendor, device, PCI_CLASS_BRIDGE, PCI_SUBCLASS_HOST, 0, 0);
	return 0;
}

static int hostbridge_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err,
			   size_t errlen)
{
	return bridge_init(vm, dev, node, 0x1275, 0x1275, err, errlen);
}

static int amd_hostbridge_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err,
			       size_t errlen)
{
	return bridge_init(vm, dev, node, 0x1022, 0x7432, err, errlen);
}

static const char *const bridge_options[] = {"pcireg.vendor", "pcireg.device", NULL};

const struct pci_devemu hostbridge_emu = {
	.name = "hostbridge",
	.help = "PCI host bridge",
	.init = hostbridge_init,
	.options = bridge_options,
};
const struct pci_devemu amd_hostbridge_emu = {
	.name = "amd_hostbridge",
	.help = "PCI host bridge with AMD IDs",
	.init = amd_hostbridge_init,
	.options = bridge_options,
};
