// SPDX-License-Identifier: BSD-2-Clause
/*
 * -s N,virtio-net,tapN|vmnetN[,mac=xx:xx:xx:xx:xx:xx][,mtu=N][,queues=N][,transport=...]:
 * the options → the tap backend and the device.
 */
#include <errno.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/config.h"
#include "khyve/hex.h"
#include "khyve/virtio_net.h"
#include "khyve/virtio_pci.h"
#include "khyve/vm.h"

void vtnet_default_mac(unsigned slot, unsigned func, const char *vmname, uint8_t mac[6])
{
	char s[80];
	snprintf(s, sizeof(s), "%u-%u-%s", slot, func, vmname ? vmname : "");
	MD5_CTX ctx;
	uint8_t d[MD5_DIGEST_LENGTH];
	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)s, strlen(s));
	MD5Final(d, &ctx);
	mac[0] = 0x00;
	mac[1] = 0xa0;
	mac[2] = 0x98;
	mac[3] = d[0];
	mac[4] = d[1];
	mac[5] = d[2];
}

int vtnet_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	for (unsigned i = 0; i < 6; i++) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (hi < 0)
			return -EINVAL;
		if (lo < 0) { /* one digit: "0:a0:..." */
			m[i] = (uint8_t)hi;
			s += 1;
		} else {
			m[i] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;
	static const uint8_t zero[6];
	if ((m[0] & 1) || memcmp(m, zero, 6) == 0)
		return -EINVAL; /* multicast or all zero, as bhyve refuses them */
	memcpy(mac, m, 6);
	return 0;
}

int vtnet_parse_queues(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (end == s || *end || *s == '-' || *s == '+' || v < 1 || v > VTNET_MAX_PAIRS)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int net_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err, size_t errlen)
{
	struct vtnet_params p = {0};
	const char *mac = config_get_at(vm->cfg, node, "mac");
	if (mac) {
		if (vtnet_parse_mac(mac, p.mac) < 0) {
			snprintf(err, errlen,
				 "%s.mac=%s: expected xx:xx:xx:xx:xx:xx, unicast and "
				 "not all zero",
				 node, mac);
			return -EINVAL;
		}
	} else {
		vtnet_default_mac(dev->slot, dev->func, config_get(vm->cfg, "name"), p.mac);
	}
	const char *mtu = config_get_at(vm->cfg, node, "mtu");
	if (mtu) {
		char *end;
		unsigned long v = strtoul(mtu, &end, 10);
		if (end == mtu || *end || v < VTNET_MIN_MTU || v > VTNET_MAX_MTU) {
			snprintf(err, errlen, "%s.mtu=%s: expected %d to %d", node, mtu,
				 VTNET_MIN_MTU, VTNET_MAX_MTU);
			return -EINVAL;
		}
		p.mtu = (uint16_t)v;
	}
	p.queues = 1;
	const char *nq = config_get_at(vm->cfg, node, "queues");
	if (nq && vtnet_parse_queues(nq, &p.queues) < 0) {
		snprintf(err, errlen, "%s.queues=%s: expected 1 to %d queue pairs", node, nq,
			 VTNET_MAX_PAIRS);
		return -EINVAL;
	}
	const char *be = config_get_at(vm->cfg, node, "backend");
	if (be == NULL || *be == '\0') {
		snprintf(err, errlen, "%s: virtio-net needs a backend: -s %s,virtio-net,tapN", node,
			 node + 6);
		return -EINVAL;
	}
	if (strncmp(be, "tap", 3) != 0 && strncmp(be, "vmnet", 5) != 0) {
		snprintf(err, errlen, "%s: virtio-net backend '%s': expected tapN or vmnetN", node,
			 be);
		return -EINVAL;
	}
	struct tap *tap;
	char terr[200];
	int rc = tap_open(&tap, be, p.queues, terr, sizeof(terr));
	if (rc < 0) {
		snprintf(err, errlen, "%s: virtio-net: %s", node, terr);
		return rc;
	}
	struct virtio_dev *vd = vtnet_new(&vm->gmem, tap, vm->loop, &p);
	if (vd == NULL) {
		snprintf(err, errlen, "%s: virtio-net: out of memory", node);
		tap_close(tap);
		return -ENOMEM;
	}
	return virtio_pci_vm_setup(vm, vtnet_pci(vd), dev, vd, node, err, errlen);
}

/* The tap goes with khyve: the ring lets go of it first (vtnet_free). */
static void net_fini(struct pci_dev *dev)
{
	struct virtio_pci *vp = dev->priv;
	if (vp && vp->vd) {
		vtnet_free(vp->vd);
		vp->vd = NULL;
	}
}

static const char *const net_options[] = {"backend", "mac", "mtu", "queues", "transport", NULL};

const struct pci_devemu virtio_net_emu = {
    .name = "virtio-net",
    .help = "virtio network device: tapN|vmnetN[,mac=xx:xx:xx:xx:xx:xx][,mtu=N][,queues=N]",
    .options = net_options,
    .init = net_init,
    .cfg_access = virtio_pci_cfg_access,
    .bar_moved = virtio_pci_bar_moved,
    .fini = net_fini,
};
