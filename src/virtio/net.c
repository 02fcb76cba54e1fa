// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net (virtio 1.x section 5.1) on a tap device: the tap speaks the
 * same virtio-net header (IFF_VNET_HDR), so frames pass with their header
 * as they are. Queue 0 receives, queue 1 transmits; both run on the event
 * loop thread. No offloads are offered: the guest sends whole, checksummed
 * frames, and each received frame fills one chain (num_buffers = 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "khyve/config.h"
#include "khyve/evloop.h"
#include "khyve/virtio_net.h"
#include "khyve/virtio_pci.h"
#include "khyve/vm.h"

#define Q_RX 0
#define Q_TX 1
#define HDR_MRG 12    /* virtio_net_hdr with num_buffers: VERSION_1 or MRG_RXBUF */
#define HDR_LEGACY 10 /* without num_buffers: a legacy driver without MRG_RXBUF */
#define MAX_FRAME (65536 + HDR_MRG)

struct vtnet {
	struct virtio_dev vd;
	struct virtio_pci vp;
	int tap;
	struct ev_fd *ev;
	bool rx_paused;
	int hdr_len; /* what the tap is set to, 0 = not yet */
	struct iovec iov[NET_QUEUE_SIZE];
	struct vtnet_counters c;
};

static int want_hdr(const struct virtio_dev *vd)
{
	uint64_t f = vd->guest_features;
	return (f & (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MRG_RXBUF)) ? HDR_MRG
										 : HDR_LEGACY;
}

/* The tap's header length follows what the driver negotiated. */
static int hdr_len(struct vtnet *s)
{
	int h = want_hdr(&s->vd);
	if (h != s->hdr_len && s->tap >= 0 && ioctl(s->tap, TUNSETVNETHDRSZ, &h) == 0)
		s->hdr_len = h;
	return h;
}

static void link_down(struct vtnet *s, const char *why)
{
	fprintf(stderr, "khyve: virtio-net: the tap failed (%s): link down\n", why);
	uint16_t st = 0;
	memcpy(s->vd.config + 6, &st, 2);
	if (s->ev)
		evloop_fd_pause(s->ev);
	close(s->tap);
	s->tap = -1;
	virtio_config_changed(&s->vd);
}

static void tx(struct vtnet *s)
{
	struct virtio_dev *vd = &s->vd;
	struct vq_chain c;
	int rc;
	bool any = false;
	int h = hdr_len(s);
	while ((rc = virtio_get_chain(vd, Q_TX, s->iov, NET_QUEUE_SIZE, &c)) != 0) {
		if (rc == -ENOBUFS)
			continue;
		if (rc < 0)
			break;
		any = true;
		/* BAD-INPUTS N1: shorter than the header, or too long: dropped and counted. */
		if (c.read_len < (uint64_t)h + 14 || c.read_len > MAX_FRAME || c.nread == 0) {
			s->c.tx_dropped++;
		} else if (s->tap >= 0) {
			ssize_t n = writev(s->tap, s->iov, (int)c.nread);
			if (n < 0 && (errno == EIO || errno == EBADFD || errno == ENODEV))
				link_down(s, strerror(errno));
			else if (n < 0)
				s->c.tx_dropped++; /* EAGAIN, ENOBUFS: the host is full, drop as a NIC */
			else
				s->c.tx_frames++;
		}
		vq_put_chain(&vd->q[Q_TX].vq, c.head, 0);
	}
	if (any)
		virtio_queue_done(vd, Q_TX);
}

/* Event loop thread: frames wait on the tap, or the driver added rx buffers. */
static void rx(struct vtnet *s)
{
	struct virtio_dev *vd = &s->vd;
	if (!virtio_live(vd) || !vd->q[Q_RX].vq.ready || s->tap < 0)
		return;
	int h = hdr_len(s);
	bool any = false;
	for (unsigned n = 0; n < NET_QUEUE_SIZE; n++) {
		if (!vq_has_avail(&vd->q[Q_RX].vq)) {
			/*
			 * Ask for a kick when the driver adds buffers (with EVENT_IDX it
			 * kicks only past avail_event); some may have come meanwhile.
			 */
			if (vq_notify_on(&vd->q[Q_RX].vq))
				continue;
			/* No buffers: stop watching the tap until the driver adds some. */
			if (s->ev && !s->rx_paused) {
				evloop_fd_pause(s->ev);
				s->rx_paused = true;
			}
			break;
		}
		struct vq_chain c;
		int rc = virtio_get_chain(vd, Q_RX, s->iov, NET_QUEUE_SIZE, &c);
		if (rc <= 0)
			break;
		if (c.nread || c.write_len < (uint64_t)h) {
			vq_put_chain(&vd->q[Q_RX].vq, c.head, 0); /* not a receive buffer */
			s->c.rx_dropped++;
			any = true;
			continue;
		}
		ssize_t got = readv(s->tap, s->iov, (int)c.niov);
		if (got < 0) {
			/* Nothing to read: the chain stays the driver's, for the next frame. */
			vq_unget_chain(&vd->q[Q_RX].vq, c.head);
			if (errno == EIO || errno == EBADFD || errno == ENODEV)
				link_down(s, strerror(errno));
			break;
		}
		if (h == HDR_MRG) {
			uint16_t one = 1; /* num_buffers: the frame fits this one chain */
			buf_to_iov(s->iov, c.niov, 10, &one, 2);
		}
		vq_put_chain(&vd->q[Q_RX].vq, c.head, (uint32_t)got);
		s->c.rx_frames++;
		any = true;
	}
	if (any)
		virtio_queue_done(vd, Q_RX);
}

void vtnet_tap_readable(struct virtio_dev *vd)
{
	pthread_mutex_lock(&vd->lock);
	rx(vd->priv);
	pthread_mutex_unlock(&vd->lock);
}

static void on_tap(void *arg)
{
	vtnet_tap_readable(&((struct vtnet *)arg)->vd);
}

static void net_notify(struct virtio_dev *vd, unsigned q)
{
	struct vtnet *s = vd->priv;
	if (q == Q_TX) {
		tx(s);
		return;
	}
	if (s->rx_paused && s->ev && s->tap >= 0) {
		s->rx_paused = false;
		evloop_fd_resume(s->ev);
	}
	rx(s);
}

static const struct virtio_ops net_ops = {
	.name = "virtio-net",
	.type = VIRTIO_ID_NET,
	.pci_class = 0x02, /* network controller: Ethernet */
	.pci_subclass = 0x00,
	.nqueues = 2,
	.queue_size = NET_QUEUE_SIZE,
	.config_size = 12,
	.queue_notify = net_notify,
};

void vtnet_default_mac(unsigned slot, unsigned func, const char *vmname, uint8_t mac[6])
{
	char s[128];
	snprintf(s, sizeof(s), "%u-%u-%s", slot, func, vmname);
	MD5_CTX ctx;
	uint8_t d[MD5_DIGEST_LENGTH];
	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)s, strlen(s));
	MD5Final(d, &ctx);
	/* bhyve's: the OUI 00:a0:98 and the first three bytes of the digest */
	mac[0] = 0x00;
	mac[1] = 0xa0;
	mac[2] = 0x98;
	memcpy(mac + 3, d, 3);
}

struct virtio_dev *vtnet_new(const struct gmem *mem, int tap, const uint8_t mac[6],
			     unsigned mtu)
{
	struct vtnet *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		     1ull << VIRTIO_NET_F_MRG_RXBUF;
	if (mtu)
		f |= 1ull << VIRTIO_NET_F_MTU;
	if (virtio_dev_init(&s->vd, &net_ops, mem, f, s) < 0) {
		free(s);
		return NULL;
	}
	s->tap = tap;
	s->vd.q[Q_RX].device_paced = true; /* buffers wait for frames from the tap */
	memcpy(s->vd.config, mac, 6);
	uint16_t st = VIRTIO_NET_S_LINK_UP, pairs = 1, m = (uint16_t)mtu;
	memcpy(s->vd.config + 6, &st, 2);
	memcpy(s->vd.config + 8, &pairs, 2);
	memcpy(s->vd.config + 10, &m, 2);
	return &s->vd;
}

int vtnet_attach_loop(struct virtio_dev *vd, struct evloop *loop)
{
	struct vtnet *s = vd->priv;
	s->ev = evloop_add_fd(loop, s->tap, on_tap, s);
	return s->ev ? 0 : -ENOMEM;
}

struct virtio_pci *vtnet_pci(struct virtio_dev *vd)
{
	return &((struct vtnet *)vd->priv)->vp;
}

const struct vtnet_counters *vtnet_counters(struct virtio_dev *vd)
{
	return &((struct vtnet *)vd->priv)->c;
}

void vtnet_free(struct virtio_dev *vd)
{
	if (vd == NULL)
		return;
	struct vtnet *s = vd->priv;
	virtio_dev_fini(vd);
	if (s->tap >= 0)
		close(s->tap);
	free(s);
}

int vtnet_open_tap(const char *name, char *err, size_t errlen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open /dev/net/tun: %s", name, strerror(errno));
		return -errno;
	}
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int h = HDR_MRG;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &h) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot attach to the tap device: %s", name, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

/* "xx:xx:xx:xx:xx:xx", unicast. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 || (v[0] & 1))
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int net_init(struct vm *vm, struct pci_dev *dev, const char *node, char *err,
		    size_t errlen)
{
	char key[96];
	snprintf(key, sizeof(key), "%s.backend", node);
	const char *be = config_get(vm->cfg, key);
	if (be == NULL || *be == '\0') {
		snprintf(err, errlen, "%s: virtio-net needs a tap device: -s SLOT,virtio-net,tapN",
			 node);
		return -EINVAL;
	}
	uint8_t mac[6];
	snprintf(key, sizeof(key), "%s.mac", node);
	const char *m = config_get(vm->cfg, key);
	if (m && parse_mac(m, mac) < 0) {
		snprintf(err, errlen, "%s=%s: expected a unicast xx:xx:xx:xx:xx:xx", key, m);
		return -EINVAL;
	}
	if (m == NULL) {
		const char *name = config_get(vm->cfg, "name");
		vtnet_default_mac(dev->slot, dev->func, name ? name : "", mac);
	}
	uint64_t mtu = 0;
	snprintf(key, sizeof(key), "%s.mtu", node);
	if (config_get(vm->cfg, key) &&
	    (config_get_u64(vm->cfg, key, 0, &mtu) < 0 || mtu < 68 || mtu > 65535)) {
		snprintf(err, errlen, "%s=%s: expected 68 to 65535", key, config_get(vm->cfg, key));
		return -EINVAL;
	}
	int tap = vtnet_open_tap(be, err, errlen);
	if (tap < 0)
		return tap;
	struct virtio_dev *vd = vtnet_new(&vm->gmem, tap, mac, (unsigned)mtu);
	if (vd == NULL) {
		close(tap);
		snprintf(err, errlen, "%s: virtio-net: out of memory", node);
		return -ENOMEM;
	}
	int rc = vtnet_attach_loop(vd, vm->loop);
	if (rc < 0) {
		snprintf(err, errlen, "%s: virtio-net: cannot watch the tap", node);
		return rc;
	}
	return virtio_pci_vm_setup(vm, vtnet_pci(vd), dev, vd, node, err, errlen);
}

static const char *const net_options[] = {"backend", "mac", "mtu", "transport", NULL};

const struct pci_devemu virtio_net_emu = {
	.name = "virtio-net",
	.help = "virtio network device on a tap: tapN|vmnetN[,mac=xx:xx:xx:xx:xx:xx][,mtu=N]",
	.options = net_options,
	.init = net_init,
	.cfg_access = virtio_pci_cfg_access,
	.bar_moved = virtio_pci_bar_moved,
};
