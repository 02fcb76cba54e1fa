// SPDX-License-Identifier: BSD-2-Clause
/* The emulations -s can name, in one explicit table. */
#include <string.h>

#include "khyve/lpc.h"
#include "khyve/pci.h"
#include "khyve/virtio_balloon.h"
#include "khyve/virtio_blk.h"
#include "khyve/virtio_net.h"
#include "khyve/virtio_rnd.h"

static const struct pci_devemu *const pci_emulations[] = {
	&hostbridge_emu,
	&amd_hostbridge_emu,
	&lpc_emu,
	&virtio_blk_emu,
	&virtio_net_emu,
	&virtio_rnd_emu,
	&virtio_balloon_emu,
};

size_t pci_emul_count(void)
{
	return sizeof(pci_emulations) / sizeof(pci_emulations[0]);
}

const struct pci_devemu *pci_emul_at(size_t i)
{
	return i < pci_emul_count() ? pci_emulations[i] : NULL;
}

const struct pci_devemu *pci_emul_find(const char *name)
{
	for (size_t i = 0; i < sizeof(pci_emulations) / sizeof(pci_emulations[0]); i++)
		if (strcmp(pci_emulations[i]->name, name) == 0)
			return pci_emulations[i];
	return NULL;
}
