// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net under a driver that behaves as Linux's does, at random, with
 * the random sequence fixed so that a failure repeats; both engines
 * (io_uring, readv/writev).
 *
 * Receive, with MRG_RXBUF: frames of random sizes from the host side,
 * buffers of random sizes and offsets posted in random batches as the used
 * ring gives them back, kicks now and then. Every frame must arrive whole
 * and in order (its num_buffers chains together), every used length must
 * fit its buffer, and no byte of guest memory around the buffers may change:
 * each buffer sits in a slot of its own filled with a guard pattern.
 *
 * Transmit: frames of random sizes, short ones copied and long ones written
 * in place, each in a chain of one to four buffers (the header alone or with
 * the frame's start), queued in random batches while descriptors are free.
 * Every frame must reach the host side whole and in order, every chain must
 * come back, and the device must not write a byte of guest memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check_main.h"
#include "khyve/virtio.h"
#include "vnet.h"

#define SLOT 0x2000u	/* guest memory a descriptor's buffer lives in */
#define GUARD 0xa5	/* what the slot holds outside the buffer */
#define MAX_FRAME 3000u /* frame bytes after the header: fits 16 buffers of 256 */
#define FRAMES 2000u	/* sent in all */

static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

/* The driver's side: each descriptor's buffer (or free). */
static struct {
	bool posted;
	uint64_t addr;
	uint32_t len;
} buf[VT_QSZ];

static uint64_t slot(unsigned d)
{
	return BUF + d * (uint64_t)SLOT;
}

/* Transmit buffers: slots of their own, after the receive ones. */
static uint64_t tx_slot(unsigned d)
{
	return BUF + (VT_QSZ + d) * (uint64_t)SLOT;
}

static void post(unsigned d)
{
	uint8_t g[SLOT];
	memset(g, GUARD, sizeof(g));
	gmem_write(&vt_mem.gmem, slot(d), g, sizeof(g));
	buf[d].addr = slot(d) + rnd(64);
	/* Half of them small, as Linux's after short frames: frames then span several. */
	buf[d].len = 256 + rnd(rnd(2) ? 1024 : SLOT - 64 - 256);
	buf[d].posted = true;
	vt_desc(q_desc(RXQ), d, buf[d].addr, buf[d].len, 2 /* WRITE */, 0);
	vt_offer(q_avail(RXQ), avail_idx[RXQ], (uint16_t)d);
	avail_idx[RXQ]++;
}

/* Slot d outside its buffer's first n bytes still holds the guard. */
static void check_guard(unsigned d, uint32_t n)
{
	uint8_t g[SLOT];
	gmem_read(&vt_mem.gmem, slot(d), g, sizeof(g));
	uint64_t lo = buf[d].addr - slot(d), hi = lo + n;
	for (uint64_t i = 0; i < SLOT; i++)
		if ((i < lo || i >= hi) &&
		    g[i] != GUARD) /* ck_assert for each byte costs a write */
			ck_abort_msg("descriptor %u: byte %llu of its slot written", d,
				     (unsigned long long)i);
}

static void frame_bytes(uint8_t *p, size_t n, unsigned k)
{
	fill(p, n, (uint8_t)(k * 13));
	if (n >= 2) { /* the frame's number, so that a swapped pair shows */
		p[0] = (uint8_t)k;
		p[1] = (uint8_t)(k >> 8);
	}
}

static size_t frame_len(unsigned k)
{
	uint32_t r = (k * 2654435761u) >> 7;
	return 14 + r % (MAX_FRAME - 13);
}

static unsigned sent, got;
static uint16_t last_used;
static unsigned multi; /* frames over more than one buffer */

/* Every used entry so far: frames taken apart and checked, their descriptors free. */
static void consume(void)
{
	static uint8_t frame[MAX_FRAME + 12], want[MAX_FRAME];
	for (;;) {
		uint16_t idx = used_idx(RXQ);
		if (idx == last_used)
			return;
		unsigned d = used_id(RXQ, last_used);
		ck_assert_uint_lt(d, VT_QSZ);
		ck_assert(buf[d].posted);
		uint32_t l = used_len(RXQ, last_used);
		ck_assert_uint_ge(l, 12);
		ck_assert_uint_le(l, buf[d].len);
		uint8_t h[12];
		gmem_read(&vt_mem.gmem, buf[d].addr, h, 12);
		unsigned nb = h[10] | h[11] << 8;
		ck_assert_uint_ge(nb, 1);
		ck_assert_uint_le(nb, VT_QSZ);
		ck_assert_uint_eq(h[0], 0);
		ck_assert_uint_eq(h[1], 0);
		/* The frame's buffers are consecutive used entries: all there, or none yet. */
		if ((uint16_t)(idx - last_used) < nb)
			return;
		size_t n = 0;
		for (unsigned i = 0; i < nb; i++) {
			unsigned e = used_id(RXQ, (uint16_t)(last_used + i));
			uint32_t el = used_len(RXQ, (uint16_t)(last_used + i));
			ck_assert_uint_lt(e, VT_QSZ);
			ck_assert(buf[e].posted);
			ck_assert_uint_le(el, buf[e].len);
			ck_assert_uint_le(n + el, sizeof(frame));
			gmem_read(&vt_mem.gmem, buf[e].addr, frame + n, el);
			n += el;
			check_guard(e, el);
			buf[e].posted = false;
		}
		last_used = (uint16_t)(last_used + nb);
		if (nb > 1)
			multi++;
		ck_assert_uint_lt(got, sent);
		size_t fl = frame_len(got);
		ck_assert_uint_eq(n, 12 + fl);
		frame_bytes(want, fl, got);
		ck_assert_msg(memcmp(frame + 12, want, fl) == 0, "frame %u arrived changed", got);
		got++;
	}
}

/* Frames from the host side while its socket takes them (up to a few at once). */
static void send_some(unsigned most)
{
	static uint8_t pkt[12 + MAX_FRAME];
	for (unsigned i = 0; i < most && sent < FRAMES; i++) {
		size_t fl = frame_len(sent);
		hdr(pkt, 0, 0, 0);
		frame_bytes(pkt + 12, fl, sent);
		ssize_t w = send(peer, pkt, 12 + fl, MSG_DONTWAIT);
		if (w < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			return;
		}
		ck_assert_int_eq(w, (ssize_t)(12 + fl));
		sent++;
	}
}

START_TEST(rx_soak_mergeable)
{
	plain = _i;
	rng = 12345 + (uint32_t)_i;
	sent = got = multi = 0;
	last_used = 0;
	memset(buf, 0, sizeof(buf));
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(F(VIRTIO_NET_F_MRG_RXBUF));
	for (unsigned round = 0; got < FRAMES && round < 20 * FRAMES; round++) {
		send_some(rnd(8) ? rnd(4) : 12);
		/* Post some of the free descriptors (all of them now and then), kick or not. */
		bool all = rnd(4) == 0;
		for (unsigned d = 0; d < VT_QSZ; d++)
			if (!buf[d].posted && (all || rnd(2)))
				post(d);
		if (rnd(3))
			vt_modern_kick(RXQ);
		settle();
		consume();
	}
	ck_assert_uint_eq(sent, FRAMES);
	ck_assert_uint_eq(got, FRAMES);
	ck_assert_uint_gt(multi, FRAMES / 4); /* the chains of many frames went through merging */
	const struct vtnet_counters *c = vtnet_counters(vd);
	ck_assert_uint_eq(c->rx_frames, FRAMES);
	ck_assert_uint_eq(c->rx_dropped, 0);
	ck_assert(!(vd->status & VIRTIO_STATUS_NEEDS_RESET));
	/* The buffers still posted were never written. */
	for (unsigned d = 0; d < VT_QSZ; d++)
		if (buf[d].posted)
			check_guard(d, 0);
}
END_TEST

/* Transmit: frames up to this many bytes, both sides of VTNET_TX_COPY_MAX (4 KiB). */
#define TX_MAX_FRAME 9000u

static struct {
	bool busy;     /* in a chain the device has not given back */
	uint16_t head; /* the chain's head */
	uint32_t len;  /* bytes of the chain in this buffer */
	uint32_t off;  /* where in its slot */
} txd[VT_QSZ];
static uint8_t tx_image[VT_QSZ][SLOT]; /* each slot as the driver wrote it */
static unsigned tx_queued, tx_seen, tx_back, tx_busy_n;

static size_t tx_frame_len(unsigned k)
{
	uint32_t r = (k * 2246822519u) >> 9;
	return 14 + r % (TX_MAX_FRAME - 13);
}

/* Frame k in a chain of 1 to 4 free descriptors; false when too few are free. */
static bool tx_queue_one(unsigned k)
{
	static uint8_t img[12 + TX_MAX_FRAME];
	size_t fl = tx_frame_len(k), total = 12 + fl;
	unsigned parts = 1 + rnd(4), least = (unsigned)((total + SLOT - 65) / (SLOT - 64));
	if (parts < least)
		parts = least; /* each part fits a slot */
	unsigned d[4], nd = 0;
	for (unsigned i = 0; i < VT_QSZ && nd < parts; i++)
		if (!txd[i].busy)
			d[nd++] = i;
	if (nd < parts)
		return false;
	hdr(img, 0, 0, 0);
	frame_bytes(img + 12, fl, k);
	/* Cut points: the header alone first now and then, the rest split at random. */
	size_t cut[5] = {0};
	cut[parts] = total;
	for (unsigned i = 1; i < parts; i++) {
		size_t lo = cut[i - 1] + 1, room = total - (parts - i) - lo;
		cut[i] = i == 1 && rnd(2) ? 12 : lo + rnd((uint32_t)(room + 1));
		if (cut[i] - cut[i - 1] > SLOT - 64)
			cut[i] = cut[i - 1] + SLOT - 64;
	}
	if (cut[parts] - cut[parts - 1] > SLOT - 64)
		return false; /* the last part would not fit its slot: another time */
	for (unsigned i = 0; i < parts; i++) {
		unsigned e = d[i];
		uint32_t len = (uint32_t)(cut[i + 1] - cut[i]), off = rnd(64);
		memset(tx_image[e], GUARD, SLOT);
		memcpy(tx_image[e] + off, img + cut[i], len);
		gmem_write(&vt_mem.gmem, tx_slot(e), tx_image[e], SLOT);
		vt_desc(q_desc(TXQ), e, tx_slot(e) + off, len, i + 1 < parts ? 1 /* NEXT */ : 0,
			(uint16_t)(i + 1 < parts ? d[i + 1] : 0));
		txd[e] =
		    (typeof(txd[e])){.busy = true, .head = (uint16_t)d[0], .len = len, .off = off};
	}
	tx_busy_n += parts;
	vt_offer(q_avail(TXQ), avail_idx[TXQ], (uint16_t)d[0]);
	avail_idx[TXQ]++;
	return true;
}

/* What reached the host side, in order and whole; the chains that came back, unwritten. */
static void tx_consume(void)
{
	static uint8_t m[12 + TX_MAX_FRAME + 64], want[TX_MAX_FRAME];
	for (;;) {
		ssize_t n = recv(peer, m, sizeof(m), MSG_DONTWAIT);
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		ck_assert_uint_lt(tx_seen, tx_queued);
		size_t fl = tx_frame_len(tx_seen);
		ck_assert_int_eq(n, (ssize_t)(12 + fl));
		frame_bytes(want, fl, tx_seen);
		ck_assert_msg(memcmp(m + 12, want, fl) == 0, "frame %u left changed", tx_seen);
		tx_seen++;
	}
	static uint8_t g[SLOT];
	for (uint16_t idx = used_idx(TXQ); last_used != idx; last_used++) {
		unsigned head = used_id(TXQ, last_used);
		ck_assert_uint_lt(head, VT_QSZ);
		ck_assert(txd[head].busy && txd[head].head == head);
		for (unsigned e = 0; e < VT_QSZ; e++) {
			if (!txd[e].busy || txd[e].head != head)
				continue;
			gmem_read(&vt_mem.gmem, tx_slot(e), g, SLOT);
			if (memcmp(g, tx_image[e], SLOT) != 0)
				ck_abort_msg("transmit descriptor %u: its slot was written", e);
			txd[e].busy = false;
			tx_busy_n--;
		}
		tx_back++;
	}
}

START_TEST(tx_soak)
{
	plain = _i;
	rng = 777 + (uint32_t)_i;
	tx_queued = tx_seen = tx_back = tx_busy_n = 0;
	last_used = 0;
	memset(txd, 0, sizeof(txd));
	make(&(struct vtnet_params){.mac = {2, 0, 0, 0, 0, 1}});
	up(0);
	for (unsigned round = 0; tx_seen < FRAMES && round < 20 * FRAMES; round++) {
		unsigned burst = rnd(8) ? rnd(4) : 8;
		for (unsigned i = 0; i < burst && tx_queued < FRAMES && tx_queue_one(tx_queued);
		     i++)
			tx_queued++;
		if (rnd(4))
			vt_modern_kick(TXQ);
		settle();
		tx_consume();
	}
	ck_assert_uint_eq(tx_seen, FRAMES);
	ck_assert_uint_eq(tx_back, FRAMES);
	ck_assert_uint_eq(tx_busy_n, 0);
	const struct vtnet_counters *c = vtnet_counters(vd);
	ck_assert_uint_eq(c->tx_frames, FRAMES);
	ck_assert_uint_eq(c->tx_malformed + c->tx_errors, 0);
	ck_assert(!(vd->status & VIRTIO_STATUS_NEEDS_RESET));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_net_soak");
	TCase *t = vnet_tcase(s, "soak");
	tcase_add_loop_test(t, rx_soak_mergeable, 0, 2); /* io_uring, readv/writev */
	tcase_add_loop_test(t, tx_soak, 0, 2);
	return s;
}

CHECK_MAIN(suite)
