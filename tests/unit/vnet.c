// SPDX-License-Identifier: BSD-2-Clause
/* The virtio-net test bench (vnet.h). */
#include "vnet.h"

#include <check.h>
#include <liburing.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct virtio_dev *vd;
int peers[VTNET_MAX_PAIRS] = {-1};
unsigned npeers;
uint16_t avail_idx[VIRTIO_MAX_QUEUES], next_desc[VIRTIO_MAX_QUEUES];
bool plain;

uint64_t q_desc(unsigned q)
{
	return VT_DESC + q * 0x10000ull;
}
uint64_t q_avail(unsigned q)
{
	return VT_AVAIL + q * 0x10000ull;
}
uint64_t q_used(unsigned q)
{
	return VT_USED + q * 0x10000ull;
}

bool uring_works(void)
{
	struct io_uring r;
	if (io_uring_queue_init(2, &r, 0) < 0)
		return false;
	io_uring_queue_exit(&r);
	return true;
}

/* A device with n queue pairs, a socketpair for each tap queue; the engine as `plain` says. */
void make_n(const struct vtnet_params *p, unsigned n)
{
	vt_init(&virtio_net_emu);
	int fds[VTNET_MAX_PAIRS];
	for (unsigned i = 0; i < n; i++) {
		int sv[2];
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
		fds[i] = sv[0];
		peers[i] = sv[1];
	}
	npeers = n;
	struct tap *tap;
	ck_assert_int_eq(tap_from_fds(&tap, fds, n), 0);
	struct vtnet_params q = *p;
	q.queues = n;
	q.no_uring = plain;
	vd = vtnet_new(&vt_mem.gmem, tap, NULL, &q);
	ck_assert_ptr_nonnull(vd);
	/* Where io_uring works, the device uses it unless told not to. */
	ck_assert(vtnet_uses_io_uring(vd) == (!plain && uring_works()));
	ck_assert_int_eq(
	    virtio_pci_setup(vtnet_pci(vd), vt_dev, vd, VIRTIO_TRANSITIONAL, true, NULL), 0);
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(next_desc, 0, sizeof(next_desc));
}

void make(const struct vtnet_params *p)
{
	make_n(p, 1);
}

void up_n(uint32_t word0, unsigned nq)
{
	vt_modern_features(word0);
	for (unsigned q = 0; q < nq; q++)
		vt_modern_queue(q);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0x0f);
}

void up(uint32_t word0)
{
	up_n(word0, 3);
}

/* What the event loop would do: completions reaped, readable taps served. */
void settle(void)
{
	vtnet_poll(vd);
}

void teardown(void)
{
	vtnet_free(vd);
	vd = NULL;
	for (unsigned i = 0; i < npeers; i++) {
		if (peers[i] >= 0)
			close(peers[i]);
		peers[i] = -1;
	}
	npeers = 0;
	plain = false;
	vt_fini();
}

/* Offer a chain of n buffers (addr[i], len[i]), the first nread readable. */
uint16_t offer(unsigned q, unsigned n, const uint64_t *addr, const uint32_t *len, unsigned nread)
{
	uint16_t head = next_desc[q];
	for (unsigned i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % VT_QSZ);
		uint16_t flags = (uint16_t)((i + 1 < n ? 1 : 0) | (i >= nread ? 2 : 0));
		vt_desc(q_desc(q), d, addr[i], len[i], flags, (uint16_t)((d + 1) % VT_QSZ));
	}
	next_desc[q] = (uint16_t)((head + n) % VT_QSZ);
	vt_offer(q_avail(q), avail_idx[q], head);
	avail_idx[q]++;
	return head;
}

uint16_t used_idx(unsigned q)
{
	return vt_r16(q_used(q) + 2);
}
uint32_t used_id(unsigned q, unsigned i)
{
	return vt_r32(q_used(q) + 4 + 8 * (i % VT_QSZ));
}
uint32_t used_len(unsigned q, unsigned i)
{
	return vt_r32(q_used(q) + 8 + 8 * (i % VT_QSZ));
}

void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* A 12-byte header: flags, gso_type, then zeros. */
void hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t gso_size)
{
	memset(h, 0, 12);
	h[0] = flags;
	h[1] = gso;
	memcpy(h + 4, &gso_size, 2);
}

/* Transmit header h and a frame of flen bytes (two buffers); returns the head. */
uint16_t tx(const uint8_t *h, size_t hlen, size_t flen, uint8_t seed)
{
	static uint8_t f[VTNET_MAX_FRAME + 64];
	fill(f, flen, seed);
	gmem_write(&vt_mem.gmem, BUF, h, hlen);
	gmem_write(&vt_mem.gmem, BUF + 0x100, f, flen);
	uint64_t a[2] = {BUF, BUF + 0x100};
	uint32_t l[2] = {(uint32_t)hlen, (uint32_t)flen};
	uint16_t head = offer(TXQ, flen ? 2 : 1, a, l, 2);
	vt_modern_kick(TXQ);
	settle();
	return head;
}

/* MSI-X on, queue q on vector 1. */
void msix_queue(unsigned q)
{
	unsigned x = vt_find_cap(PCI_CAP_ID_MSIX, 0);
	vt_cfg_wr(x + 2, 2, 0x8000);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 0, 4, 0xfee00000);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 4, 4, 0);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 8, 4, 0x4041);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 12, 4, 0);
	VT_MW(VIRTIO_COMMON_Q_SELECT, 2, q);
	VT_MW(VIRTIO_COMMON_Q_MSIX, 2, 1);
}

ssize_t peer_recv(uint8_t *b, size_t n)
{
	return recv(peer, b, n, MSG_DONTWAIT);
}

TCase *vnet_tcase(Suite *s, const char *name)
{
	TCase *t = tcase_create(name);
	tcase_add_checked_fixture(t, NULL, teardown);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return t;
}

uint8_t ctl(unsigned q, const uint8_t *cmd, uint32_t len)
{
	uint8_t ack = 0xee;
	ck_assert_uint_le(len, 0x7000);
	gmem_write(&vt_mem.gmem, BUF + 0x8000, cmd, len);
	gmem_write(&vt_mem.gmem, BUF + 0xf000, &ack, 1);
	uint64_t a[2] = {BUF + 0x8000, BUF + 0xf000};
	uint32_t l[2] = {len, 1};
	uint16_t before = used_idx(q);
	offer(q, 2, a, l, 1);
	vt_modern_kick(q);
	ck_assert_uint_eq(used_idx(q), (uint16_t)(before + 1));
	gmem_read(&vt_mem.gmem, BUF + 0xf000, &ack, 1);
	return ack;
}
