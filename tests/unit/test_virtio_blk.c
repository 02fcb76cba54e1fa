// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-blk on fake guest memory over a memfd disk and the real block
 * backend: requests, BAD-INPUTS B1-B4 and R1, configuration.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/evloop.h"
#include "khyve/virtio_blk.h"
#include "vtest.h"

#define DISK_SECTORS 64
#define HDR VT_BUF
#define STATUS (VT_BUF + 0x80)
#define DATA (VT_BUF + 0x1000)
#define SENTINEL 0xaa

static struct evloop *loop;
static struct blockif *bif;
static struct virtio_dev *vd;
static int disk = -1, tick = -1;
static unsigned ticks, want_used, stop_ticks;
static uint16_t avail_idx;
static bool use_uring; /* make(): the io_uring engine instead of the threads */
static bool no_kick;   /* request(): the driver was told not to kick */

static void on_tick(void *arg)
{
	(void)arg;
	uint64_t n;
	if (read(tick, &n, sizeof(n)) != sizeof(n))
		return;
	/* done: the used index reached the goal and nothing is in flight, or 5 s passed */
	bool done = stop_ticks ? ticks + 1 >= stop_ticks
			       : vt_r16(VT_USED + 2) >= want_used && vd->inflight == 0;
	if (done || ++ticks > 2500)
		evloop_stop(loop);
}

/* Run the loop until the used index reaches n with nothing in flight. */
static void run_until(unsigned n)
{
	want_used = n;
	ticks = 0;
	ck_assert_int_eq(evloop_run(loop), 0);
	ck_assert_uint_lt(ticks, 2500);
}

static void make(bool ro, uint32_t features0)
{
	vt_init(&virtio_blk_emu);
	disk = memfd_create("disk", 0);
	ck_assert_int_ge(disk, 0);
	ck_assert_int_eq(ftruncate(disk, DISK_SECTORS * 512), 0);
	ck_assert_int_eq(evloop_new(&loop, false), 0);
	tick = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {.it_interval = {0, 2000000}, .it_value = {0, 2000000}};
	timerfd_settime(tick, 0, &its, NULL);
	ck_assert_ptr_nonnull(evloop_add_fd(loop, tick, on_tick, NULL));
	char path[64], err[256] = "";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", disk);
	struct blockif_opts o = {.path = path, .ro = ro, .force_threads = !use_uring};
	ck_assert_msg(blockif_open(&bif, loop, &o, err, sizeof(err)) == 0, "%s", err);
	struct vtblk_params p = {.ro = ro, .logical = 512, .physical = 4096, .nqueues = 2};
	strcpy(p.serial, "serial-0123456789abc");
	vd = vtblk_new(&vt_mem.gmem, bif, &p);
	ck_assert_ptr_nonnull(vd);
	ck_assert_int_eq(virtio_pci_setup(vtblk_pci(vd), vt_dev, vd, VIRTIO_TRANSITIONAL, true, NULL),
			 0);
	vt_modern_features(features0);
	vt_modern_queue(0);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	avail_idx = 0;
}

static void teardown(void)
{
	vtblk_free(vd);
	blockif_close(bif);
	evloop_free(loop);
	close(tick);
	close(disk);
	vt_fini();
	use_uring = no_kick = false;
	stop_ticks = 0;
}

/*
 * One request: header, then (dlen bytes at DATA, device-writable when
 * dwrite), then the status byte. Returns the used index to wait for.
 */
static unsigned request(uint32_t type, uint64_t sector, uint32_t dlen, bool dwrite)
{
	uint8_t hdr[16] = {0};
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	gmem_write(&vt_mem.gmem, HDR, hdr, 16);
	uint8_t s = SENTINEL;
	gmem_write(&vt_mem.gmem, STATUS, &s, 1);
	unsigned d = (avail_idx % 4) * 3; /* fresh descriptors each time */
	vt_desc(VT_DESC, d, HDR, 16, 1, (uint16_t)(d + 1));
	if (dlen) {
		vt_desc(VT_DESC, d + 1, DATA, dlen, 1 | (dwrite ? 2 : 0), (uint16_t)(d + 2));
		vt_desc(VT_DESC, d + 2, STATUS, 1, 2, 0);
	} else {
		vt_desc(VT_DESC, d + 1, STATUS, 1, 2, 0);
	}
	vt_offer(VT_AVAIL, avail_idx, (uint16_t)d);
	avail_idx++;
	if (!no_kick)
		vt_modern_kick(0);
	return avail_idx;
}

static uint8_t status_byte(void)
{
	uint8_t s = 0;
	gmem_read(&vt_mem.gmem, STATUS, &s, 1);
	return s;
}

/* used length of the last completed element */
static uint32_t used_len(void)
{
	uint16_t idx = vt_r16(VT_USED + 2);
	return vt_r32(VT_USED + 4 + 8u * ((idx - 1u) % VT_QSZ) + 4);
}

static off_t disk_size(void)
{
	return lseek(disk, 0, SEEK_END);
}

START_TEST(write_then_read)
{
	make(false, 1u << VIRTIO_BLK_F_FLUSH);
	uint8_t pat[1024], got[1024];
	for (unsigned i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 3);
	gmem_write(&vt_mem.gmem, DATA, pat, sizeof(pat));
	run_until(request(VIRTIO_BLK_T_OUT, 2, sizeof(pat), false));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 1);
	ck_assert_int_eq(pread(disk, got, sizeof(got), 1024), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, pat, sizeof(pat));
	memset(got, 0, sizeof(got));
	gmem_write(&vt_mem.gmem, DATA, got, sizeof(got));
	run_until(request(VIRTIO_BLK_T_IN, 2, sizeof(pat), true));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), sizeof(pat) + 1);
	gmem_read(&vt_mem.gmem, DATA, got, sizeof(got));
	ck_assert_mem_eq(got, pat, sizeof(pat));
	run_until(request(VIRTIO_BLK_T_FLUSH, 0, 0, false));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
}
END_TEST

/* B1: past the end, wrapping, not whole sectors: IOERR, the image never grows. */
START_TEST(b1_out_of_range)
{
	make(false, 0);
	unsigned n = request(VIRTIO_BLK_T_OUT, DISK_SECTORS, 512, false);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), n); /* refused at once */
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 1024, false);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_IN, UINT64_MAX / 256, 512, true);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_OUT, 0, 100, false);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_IN, 0, 700, true);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(), 1);
	ck_assert_int_eq(disk_size(), DISK_SECTORS * 512);
	/* The last sector itself is fine. */
	run_until(request(VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 512, false));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(disk_size(), DISK_SECTORS * 512);
}
END_TEST

/* B2: a write to a read-only disk is refused whether or not RO was negotiated. */
START_TEST(b2_read_only)
{
	make(true, 0);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_DF, 4) & 1u << VIRTIO_BLK_F_RO, 0);
	uint8_t pat[512];
	memset(pat, 0x77, sizeof(pat));
	gmem_write(&vt_mem.gmem, DATA, pat, sizeof(pat));
	request(VIRTIO_BLK_T_OUT, 0, 512, false);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 0, false);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	uint8_t got[512], zero[512] = {0};
	ck_assert_int_eq(pread(disk, got, sizeof(got), 0), 512);
	ck_assert_mem_eq(got, zero, sizeof(got));
	run_until(request(VIRTIO_BLK_T_IN, 0, 512, true));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
}
END_TEST

/* B3: unknown type, flush with data or without the feature, GET_ID, bad status byte. */
START_TEST(b3_bad_requests)
{
	make(false, 0);
	request(99, 0, 0, false);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_UNSUPP);
	request(VIRTIO_BLK_T_FLUSH, 0, 0, false); /* FLUSH not negotiated */
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_UNSUPP);
	/* GET_ID into a short buffer: what fits */
	uint8_t id[20];
	memset(id, 0, sizeof(id));
	gmem_write(&vt_mem.gmem, DATA, id, sizeof(id));
	request(VIRTIO_BLK_T_GET_ID, 0, 8, true);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(), 9);
	gmem_read(&vt_mem.gmem, DATA, id, sizeof(id));
	ck_assert_mem_eq(id, "serial-0", 8);
	ck_assert_uint_eq(id[8], 0);
	request(VIRTIO_BLK_T_GET_ID, 0, 20, true);
	gmem_read(&vt_mem.gmem, DATA, id, sizeof(id));
	ck_assert_mem_eq(id, "serial-0123456789abc", 20);
	/* No device-writable status byte: dropped with length 0, nothing written. */
	uint8_t hdr[16] = {0}, s = SENTINEL;
	gmem_write(&vt_mem.gmem, HDR, hdr, 16);
	gmem_write(&vt_mem.gmem, STATUS, &s, 1);
	vt_desc(VT_DESC, 12, HDR, 16, 1, 13);
	vt_desc(VT_DESC, 13, STATUS, 1, 0, 0);
	vt_offer(VT_AVAIL, avail_idx, 12);
	avail_idx++;
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), avail_idx);
	ck_assert_uint_eq(used_len(), 0);
	ck_assert_uint_eq(status_byte(), SENTINEL);
	/* A header shorter than 16 bytes: IOERR */
	vt_desc(VT_DESC, 12, HDR, 8, 1, 13);
	vt_desc(VT_DESC, 13, STATUS, 1, 2, 0);
	vt_offer(VT_AVAIL, avail_idx, 12);
	avail_idx++;
	vt_modern_kick(0);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(vtblk_counters(vd)->dropped, 1);
}
END_TEST

START_TEST(b3_flush_with_data)
{
	make(false, 1u << VIRTIO_BLK_F_FLUSH);
	request(VIRTIO_BLK_T_FLUSH, 0, 512, false);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
}
END_TEST

/* Write-zeroes (and discard where the disk can) reads back zeros; the size stays. */
START_TEST(write_zeroes_and_discard)
{
	make(false, 1u << VIRTIO_BLK_F_WRITE_ZEROES | 1u << VIRTIO_BLK_F_DISCARD);
	uint8_t pat[4096], got[4096], zero[4096] = {0};
	memset(pat, 0x5c, sizeof(pat));
	ck_assert_int_eq(pwrite(disk, pat, sizeof(pat), 0), (ssize_t)sizeof(pat));
	/* segment: sector 1, 4 sectors, flags 0 */
	uint8_t seg[16] = {0};
	uint64_t sector = 1;
	uint32_t num = 4;
	memcpy(seg, &sector, 8);
	memcpy(seg + 8, &num, 4);
	gmem_write(&vt_mem.gmem, DATA, seg, 16);
	run_until(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(pread(disk, got, sizeof(got), 0), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, pat, 512);
	ck_assert_mem_eq(got + 512, zero, 2048);
	ck_assert_mem_eq(got + 2560, pat, 1536);
	/* past the end, or unknown flags: IOERR */
	sector = DISK_SECTORS - 2;
	memcpy(seg, &sector, 8);
	gmem_write(&vt_mem.gmem, DATA, seg, 16);
	request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(disk_size(), DISK_SECTORS * 512);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	if (VT_M(VIRTIO_COMMON_DF, 4) & 1u << VIRTIO_BLK_F_DISCARD) {
		sector = 5;
		memcpy(seg, &sector, 8);
		gmem_write(&vt_mem.gmem, DATA, seg, 16);
		run_until(request(VIRTIO_BLK_T_DISCARD, 0, 16, false));
		ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
		ck_assert_int_eq(pread(disk, got, 512, 5 * 512), 512);
		ck_assert_mem_eq(got, zero, 512);
	}
}
END_TEST

/* R1: a reset with a request in flight completes only once it drained; nothing reaches the guest. */
START_TEST(r1_reset_in_flight)
{
	make(false, 0);
	uint8_t pat[512];
	memset(pat, 0x11, sizeof(pat));
	ck_assert_int_eq(pwrite(disk, pat, sizeof(pat), 0), 512);
	request(VIRTIO_BLK_T_IN, 0, 512, true);
	ck_assert_uint_eq(vd->inflight, 1);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_STATUS, 1), 0); /* not yet */
	run_until(0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 0);
	ck_assert_uint_eq(status_byte(), SENTINEL);
	/* and it works again after the reset */
	vt_w16(VT_AVAIL + 2, 0);
	vt_modern_features(0);
	vt_modern_queue(0);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	avail_idx = 0;
	run_until(request(VIRTIO_BLK_T_IN, 0, 512, true));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
}
END_TEST

/* avail_event, the used ring's trailing word: the driver kicks when it publishes this index. */
static uint16_t avail_event(void)
{
	return vt_r16(VT_USED + 4 + 8u * VT_QSZ);
}

/*
 * Polling: requests the driver publishes without a kick are taken by the
 * loop's poller, completions reaped from the io_uring without the eventfd;
 * while polled the driver is asked not to kick, once asleep it is again.
 */
START_TEST(polled_without_kicks)
{
	use_uring = true;
	make(false, 1u << VIRTIO_RING_F_EVENT_IDX);
	if (!blockif_uses_io_uring(bif)) {
		fprintf(stderr, "virtio_blk: io_uring unavailable here, polled_without_kicks not run\n");
		return;
	}
	ck_assert_int_eq(vtblk_add_poller(vd, loop, 0), 0);
	/* Wake-ups 2 ms apart and a 1 s limit: the window grows past 2 ms, the loop keeps polling. */
	evloop_set_poll_max(loop, 1000000000);
	stop_ticks = 20;
	run_until(0);
	stop_ticks = 0;
	struct evloop_stats st;
	evloop_get_stats(loop, &st);
	ck_assert_uint_gt(st.poll_ns, 2000000);
	uint8_t pat[512];
	memset(pat, 0x5a, sizeof(pat));
	gmem_write(&vt_mem.gmem, DATA, pat, sizeof(pat));
	no_kick = true;
	run_until(request(VIRTIO_BLK_T_OUT, 1, sizeof(pat), false));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(avail_idx, 1);
	/* Polled: the next publication (index 1 → 2) does not ask for a kick. */
	ck_assert_uint_ne(avail_event(), avail_idx);
	gmem_write(&vt_mem.gmem, DATA, (uint8_t[512]){0}, 512);
	run_until(request(VIRTIO_BLK_T_IN, 1, 512, true));
	uint8_t got[512];
	gmem_read(&vt_mem.gmem, DATA, got, sizeof(got));
	ck_assert_mem_eq(got, pat, sizeof(pat));
	evloop_get_stats(loop, &st);
	ck_assert_uint_gt(st.poll_hits, 0);
	/* Without a polling window the poller sleeps after each wake-up: kicks are asked for. */
	evloop_set_poll_max(loop, 0);
	stop_ticks = 3;
	run_until(0);
	stop_ticks = 0;
	ck_assert_uint_eq(avail_event(), avail_idx);
	/* and a kicked request still completes */
	no_kick = false;
	run_until(request(VIRTIO_BLK_T_IN, 1, 512, true));
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
}
END_TEST

/* ---- a driver on its own thread, against the polling loop ---- */

static unsigned raises;
static void (*real_raise)(struct virtio_dev *, uint16_t, uint8_t);
static int guest_done_fd = -1;
static volatile const char *guest_failed;

static void count_raise(struct virtio_dev *d, uint16_t vector, uint8_t isr)
{
	__atomic_fetch_add(&raises, 1, __ATOMIC_SEQ_CST);
	real_raise(d, vector, isr);
}

static void on_guest_done(void *arg)
{
	(void)arg;
	evloop_stop(loop);
}

static volatile uint16_t *ring16(uint64_t gpa)
{
	return gmem_ptr(&vt_mem.gmem, gpa, 2);
}

/*
 * As Linux's virtio_blk with EVENT_IDX: publish `depth` reads one after the
 * other (kicking when avail_event asks for it), then wait for them: write
 * used_event, re-check the used index, wait for an interrupt. Random pauses
 * put the publications on both sides of the loop's poll/sleep transitions
 * and of held batches. A lost kick or interrupt shows as a 2 s wait.
 */
struct drv {
	unsigned requests, depth;
};

static bool wait_raise(unsigned before)
{
	for (unsigned spin = 0; spin < 2000000; spin++) {
		if (__atomic_load_n(&raises, __ATOMIC_SEQ_CST) != before)
			return true;
		if (spin > 1000)
			usleep(1);
	}
	return false;
}

static void *guest_thread(void *arg)
{
	const struct drv *d = arg;
	unsigned seed = 1;
	volatile uint16_t *avail_idx_p = ring16(VT_AVAIL + 2), *used_idx_p = ring16(VT_USED + 2);
	volatile uint16_t *avail_event_p = ring16(VT_USED + 4 + 8u * VT_QSZ);
	volatile uint16_t *used_event_p = ring16(VT_AVAIL + 4 + 2u * VT_QSZ);
	uint16_t idx = 0;
	while (idx < d->requests && !guest_failed) {
		for (unsigned k = 0; k < d->depth; k++, idx++) {
			*ring16(VT_AVAIL + 4 + 2u * (idx % VT_QSZ)) = (uint16_t)(3 * k);
			__atomic_store_n(avail_idx_p, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			uint16_t ev = *avail_event_p;
			if ((uint16_t)(idx + 1 - ev - 1) < 1)
				(void)eventfd_write(vd->q[0].kick_fd, 1);
			seed = seed * 1103515245 + 12345;
			unsigned pause = (seed >> 16) % 4;
			if (pause)
				usleep(pause * 40);
		}
		uint16_t seen = __atomic_load_n(used_idx_p, __ATOMIC_ACQUIRE);
		while (seen != idx) {
			unsigned before = __atomic_load_n(&raises, __ATOMIC_SEQ_CST);
			*used_event_p = seen; /* interrupt me past this */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			uint16_t now = __atomic_load_n(used_idx_p, __ATOMIC_ACQUIRE);
			if (now != seen) {
				seen = now;
				continue;
			}
			if (!wait_raise(before)) {
				guest_failed = __atomic_load_n(used_idx_p, __ATOMIC_ACQUIRE) != seen
						       ? "completed without an interrupt"
						       : "request never completed (lost kick)";
				break;
			}
			seen = __atomic_load_n(used_idx_p, __ATOMIC_ACQUIRE);
		}
	}
	(void)eventfd_write(guest_done_fd, 1);
	return NULL;
}

/* Loop index: 0 one request at a time, no batching; 1 four at a time, batched. */
START_TEST(polled_driver_thread)
{
	use_uring = true;
	make(false, 1u << VIRTIO_RING_F_EVENT_IDX);
	if (!blockif_uses_io_uring(bif)) {
		fprintf(stderr, "virtio_blk: io_uring unavailable here, polled_driver_thread not run\n");
		return;
	}
	struct drv d = {.requests = 3000, .depth = _i ? 4 : 1};
	ck_assert_int_eq(virtio_dev_attach_loop(vd, loop), 0);
	ck_assert_int_eq(vtblk_add_poller(vd, loop, _i ? 300000 : 0), 0);
	evloop_set_poll_max(loop, 300000); /* 300 µs: the loop polls and sleeps by turns */
	real_raise = vd->raise;
	vd->raise = count_raise;
	raises = 0;
	guest_failed = NULL;
	guest_done_fd = eventfd(0, EFD_NONBLOCK);
	ck_assert_ptr_nonnull(evloop_add_fd(loop, guest_done_fd, on_guest_done, NULL));
	for (unsigned k = 0; k < d.depth; k++) {
		vt_desc(VT_DESC, 3 * k, HDR, 16, 1, (uint16_t)(3 * k + 1));
		vt_desc(VT_DESC, 3 * k + 1, DATA + 512 * k, 512, 1 | 2, (uint16_t)(3 * k + 2));
		vt_desc(VT_DESC, 3 * k + 2, STATUS + k, 1, 2, 0);
	}
	uint8_t hdr[16] = {VIRTIO_BLK_T_IN};
	gmem_write(&vt_mem.gmem, HDR, hdr, 16);
	stop_ticks = 100000; /* the guest thread stops the loop */
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, guest_thread, &d), 0);
	ck_assert_int_eq(evloop_run(loop), 0);
	pthread_join(t, NULL);
	close(guest_done_fd);
	ck_assert_msg(guest_failed == NULL, "%s", guest_failed);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), d.requests);
	const struct vtblk_counters *c = vtblk_counters(vd);
	ck_assert_uint_eq(c->ok, d.requests);
	struct evloop_stats st;
	evloop_get_stats(loop, &st);
	fprintf(stderr, "virtio_blk: driver thread, depth %u: %u requests, %u interrupts, %lu "
			"blocks, %lu poll hits, %lu batches of %lu\n", d.depth, d.requests, raises,
		(unsigned long)st.blocks, (unsigned long)st.poll_hits, (unsigned long)c->batches,
		(unsigned long)c->batched);
	ck_assert_uint_gt(st.poll_hits, 10);
	if (_i) /* some batches of more than one request, with one interrupt each */
		ck_assert_uint_gt(c->batched, c->batches);
	else
		ck_assert_uint_eq(c->batches, 0);
}
END_TEST

START_TEST(config_space)
{
	make(false, 1u << VIRTIO_BLK_F_CONFIG_WCE);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 0, 8), DISK_SECTORS); /* capacity */
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 12, 4), BLK_SEG_MAX);
	ck_assert_uint_le(BLK_SEG_MAX, BLK_QUEUE_SIZE - 2);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 20, 4), 512);    /* blk_size */
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 24, 1), 3);      /* 4096 = 512 << 3 */
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 34, 2), 2);      /* num_queues */
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTBLK_CFG_WRITEBACK, 1), 1);
	VT_MW(VIRTIO_MODERN_DEVICE + VTBLK_CFG_WRITEBACK, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + VTBLK_CFG_WRITEBACK, 1), 0);
	VT_MW(VIRTIO_MODERN_DEVICE + 0, 4, 1); /* capacity is read-only */
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 0, 8), DISK_SECTORS);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	uint32_t f = (uint32_t)VT_M(VIRTIO_COMMON_DF, 4);
	ck_assert_uint_ne(f & 1u << VIRTIO_BLK_F_MQ, 0);
	ck_assert_uint_ne(f & 1u << VIRTIO_BLK_F_FLUSH, 0);
	ck_assert_uint_eq(f & 1u << VIRTIO_BLK_F_RO, 0);
	char ser[VIRTIO_BLK_ID_BYTES + 1];
	vtblk_default_serial("/tmp/khyve-e2e-disk.img", ser);
	ck_assert_str_eq(ser, "BHYVE-D6F8-5087-D5E");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *t = tcase_create("blk");
	tcase_add_checked_fixture(t, NULL, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, write_then_read);
	tcase_add_test(t, b1_out_of_range);
	tcase_add_test(t, b2_read_only);
	tcase_add_test(t, b3_bad_requests);
	tcase_add_test(t, b3_flush_with_data);
	tcase_add_test(t, write_zeroes_and_discard);
	tcase_add_test(t, r1_reset_in_flight);
	tcase_add_test(t, config_space);
	tcase_add_test(t, polled_without_kicks);
	tcase_add_loop_test(t, polled_driver_thread, 0, 2);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
