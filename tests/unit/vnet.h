/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net test bench on vtest.h: a device whose tap queues are
 * SOCK_SEQPACKET socketpairs (the peers stand for the host side), a
 * driver-side view of its rings (queue q at VT_DESC/AVAIL/USED + q * 0x10000)
 * and frame helpers. For test_virtio_net*.c only.
 */
#ifndef KHYVE_TEST_VNET_H
#define KHYVE_TEST_VNET_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "khyve/virtio_net.h"
#include "khyve/virtio_pci.h"
#include "vtest.h"

#define RXQ 0
#define TXQ 1
#define BUF 0x60000u /* guest buffers from here, past queue 4's rings, below VT_RAM_LO */
#define F(bit) (1u << (bit))

extern struct virtio_dev *vd;
extern int peers[VTNET_MAX_PAIRS]; /* the host side of tap queue i */
#define peer peers[0]
extern unsigned npeers;
extern uint16_t avail_idx[VIRTIO_MAX_QUEUES], next_desc[VIRTIO_MAX_QUEUES];
extern bool plain; /* the readv/writev engine (loop tests: _i == 1) */

uint64_t q_desc(unsigned q);
uint64_t q_avail(unsigned q);
uint64_t q_used(unsigned q);
bool uring_works(void);
/* A device with n queue pairs, a socketpair a tap queue; the engine as `plain` says. */
void make_n(const struct vtnet_params *p, unsigned n);
void make(const struct vtnet_params *p);
/* Modern driver: features, queues [0, nq), DRIVER_OK. up(): three queues. */
void up_n(uint32_t word0, unsigned nq);
void up(uint32_t word0);
/* What the event loop would do: completions reaped, readable taps served. */
void settle(void);
void teardown(void);
/* Offer a chain of n buffers (addr[i], len[i]) on queue q, the first nread readable. */
uint16_t offer(unsigned q, unsigned n, const uint64_t *addr, const uint32_t *len, unsigned nread);
uint16_t used_idx(unsigned q);
uint32_t used_id(unsigned q, unsigned i);
uint32_t used_len(unsigned q, unsigned i);
void fill(uint8_t *p, size_t n, uint8_t seed);
/* A 12-byte header: flags, gso_type, gso_size, then zeros. */
void hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t gso_size);
/* Transmit header h and a frame of flen bytes (two buffers), settled; returns the head. */
uint16_t tx(const uint8_t *h, size_t hlen, size_t flen, uint8_t seed);
/* A control command on queue q (class, command, data: len bytes, one buffer); its ack. */
uint8_t ctl(unsigned q, const uint8_t *cmd, uint32_t len);
/* MSI-X on, queue q on vector 1 (vt_msi_count counts its interrupts). */
void msix_queue(unsigned q);
ssize_t peer_recv(uint8_t *b, size_t n);
/* A test case with teardown and a 30 s timeout, added to s. */
TCase *vnet_tcase(Suite *s, const char *name);

#endif
