// SPDX-License-Identifier: BSD-2-Clause
/*
 * Block backend on real faults and real block devices, on both engines
 * (loop index 0: io_uring, 1: threads): a full file system (ENOSPC), a loop
 * block device with 4096-byte sectors (size, sector size, BLKDISCARD, zeroing,
 * O_DIRECT), and a flush whose write-back fails (BAD-INPUTS B4, F1). These
 * need root: a small tmpfs mounted nowhere, and loop devices (auto-cleared:
 * they go away with the test process). Exits 77 without root.
 */
#include <linux/loop.h>
#include <liburing.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

#include "blockif_test.h"

#define MiB (1024u * 1024u)

/*
 * A sparse file of size bytes on a new tmpfs of fs_size bytes; -1 (said) if
 * not allowed here. The tmpfs is mounted nowhere (fsmount without
 * move_mount): it goes away with the last descriptor, nothing to clean up.
 */
static int tmpfs_file(size_t fs_size, uint64_t size, char *path, size_t len)
{
	char opt[32];
	snprintf(opt, sizeof(opt), "%zu", fs_size);
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt = -1, fd = -1;
	if (fs >= 0 && fsconfig(fs, FSCONFIG_SET_STRING, "size", opt, 0) == 0 &&
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt >= 0)
		fd = openat(mnt, "disk.img", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		fprintf(stderr, "blockif: no tmpfs of my own (%s): case not run\n",
			strerror(errno));
	if (fs >= 0)
		close(fs);
	if (mnt >= 0)
		close(mnt);
	if (fd < 0)
		return -1;
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* A loop device over backing with lbs-byte sectors, gone once its last descriptor closes. */
static int loop_attach(int backing, unsigned lbs, char *dev, size_t len)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	int lfd = -1;
	for (int tries = 0; tries < 20 && lfd < 0; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			break;
		snprintf(dev, len, "/dev/loop%d", n);
		lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			break;
		struct loop_config cfg = {.fd = (uint32_t)backing, .block_size = lbs};
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
			break;
		int e = errno;
		close(lfd);
		lfd = -1;
		if (e != EBUSY) /* taken by someone else meanwhile: try the next */
			break;
	}
	close(ctl);
	if (lfd < 0)
		fprintf(stderr, "blockif: no loop device (%s): case not run\n", strerror(errno));
	return lfd;
}

/* Loop index → engine; false (said) when io_uring is not there for index 0. */
static bool engine(int i)
{
	test_threads = i == 1;
	if (test_threads)
		return true;
	struct io_uring ring;
	int rc = io_uring_queue_init(8, &ring, 0);
	if (rc < 0) {
		fprintf(stderr, "blockif: io_uring unavailable (%s): io_uring case not run\n",
			strerror(-rc));
		return false;
	}
	io_uring_queue_exit(&ring);
	return true;
}

/* F1: a full file system fails the write with ENOSPC; the image does not grow; space comes back. */
START_TEST(enospc)
{
	char path[64];
	int fd;
	if (!engine(_i) || (fd = tmpfs_file(256 * 1024, 4 * MiB, path, sizeof(path))) < 0)
		return;
	loop_new();
	struct blockif *b = bopen(path, false, false, 0);
	uint8_t *buf = malloc(MiB);
	memset(buf, 0x11, MiB);
	/* 1 MiB into 256 KiB: part of it fits (a short write, continued), then ENOSPC */
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 0, buf, MiB), -ENOSPC);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 4 * MiB);
	ck_assert_int_eq(do_range(b, BLOCKIF_FLUSH, 0, 0), 0);
	/* still usable; a discard frees the space and the write goes through */
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 2 * MiB, buf, 4096), 4096);
	ck_assert(all_bytes(buf, 4096, 0));
	ck_assert_int_eq(do_range(b, BLOCKIF_DISCARD, 0, 4 * MiB), 0);
	memset(buf, 0x12, 65536);
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, MiB, buf, 65536), 65536);
	memset(buf, 0, 65536);
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, MiB, buf, 65536), 65536);
	ck_assert(all_bytes(buf, 65536, 0x12));
	blockif_close(b);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 4 * MiB);
	free(buf);
	close(fd);
	loop_free();
}
END_TEST

/* A block device: BLKGETSIZE64, BLKSSZGET, BLKDISCARD (a pool thread even with io_uring), zeroing.
 */
START_TEST(block_device)
{
	if (!engine(_i))
		return;
	loop_new();
	struct disk d;
	disk_new(&d, DISK_FILE, 8 * MiB);
	char dev[32];
	int lfd = loop_attach(d.fd, 4096, dev, sizeof(dev));
	if (lfd < 0) {
		disk_free(&d);
		loop_free();
		return;
	}
	struct blockif *b = bopen(dev, false, false, 0);
	ck_assert_uint_eq(blockif_size(b), 8 * MiB);
	ck_assert_uint_eq(blockif_logical_sector(b), 4096);
	ck_assert(blockif_can_discard(b));
	ck_assert(blockif_can_write_zeroes(b));
	uint8_t *buf = malloc(MiB);
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 0, buf, 65536), 65536);
	ck_assert(is_pattern(buf, 0, 65536));
	memset(buf, 0x33, 65536);
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 65536, buf, 65536), 65536);
	ck_assert_int_eq(do_range(b, BLOCKIF_DISCARD, MiB, MiB), 0);
	ck_assert_int_eq(do_range(b, BLOCKIF_WRITE_ZEROES, 3 * MiB, 65536), 0);
	/* past the end: refused before the device is asked */
	struct io io;
	io_init(&io, BLOCKIF_DISCARD, 8 * MiB - 4096);
	io.req.len = 8192;
	ck_assert_int_eq(blockif_queue(b, &io.req), -EINVAL);
	memset(buf, 0xFF, MiB);
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, MiB, buf, MiB), (int)MiB);
	ck_assert(all_bytes(buf, MiB, 0));
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 3 * MiB - 4096, buf, 73728), 73728);
	ck_assert(is_pattern(buf, 3 * MiB - 4096, 4096));
	ck_assert(all_bytes(buf + 4096, 65536, 0));
	ck_assert(is_pattern(buf + 69632, 3 * MiB + 65536, 4096));
	ck_assert_int_eq(do_range(b, BLOCKIF_FLUSH, 0, 0), 0);
	blockif_close(b);

	/* nocache on 4096-byte sectors: a misaligned buffer, a 512-byte aligned offset */
	b = bopen(dev, false, true, 0);
	memset(buf, 0x44, 8192 + 1);
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 5 * MiB, buf + 1, 8192), 8192);
	memset(buf, 0x55, 512);
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 5 * MiB + 512, buf, 512), 512);
	memset(buf, 0, 8192);
	ck_assert_int_eq(do_rw(b, BLOCKIF_READ, 5 * MiB, buf + 3, 8192), 8192);
	ck_assert(all_bytes(buf + 3, 512, 0x44));
	ck_assert(all_bytes(buf + 3 + 512, 512, 0x55));
	ck_assert(all_bytes(buf + 3 + 1024, 8192 - 1024, 0x44));
	ck_assert_int_eq(do_range(b, BLOCKIF_FLUSH, 0, 0), 0);
	blockif_close(b);
	close(lfd);

	/* the backing file holds it all */
	uint8_t *all = disk_read_all(&d);
	ck_assert(all_bytes(all + 65536, 65536, 0x33));
	ck_assert(all_bytes(all + MiB, MiB, 0));
	ck_assert(all_bytes(all + 3 * MiB, 65536, 0));
	ck_assert(all_bytes(all + 5 * MiB, 512, 0x44));
	ck_assert(all_bytes(all + 5 * MiB + 512, 512, 0x55));
	ck_assert(is_pattern(all + 6 * MiB, 6 * MiB, 2 * MiB));
	free(all);
	free(buf);
	disk_free(&d);
	loop_free();
}
END_TEST

/*
 * B4/F1: writes that reach only the page cache succeed; the flush that
 * should make them durable fails when write-back fails, and says so. A loop
 * device over a sparse file on a tmpfs too small for it; its O_DIRECT writes
 * fail at once.
 */
START_TEST(flush_reports_write_back_errors)
{
	char path[64], dev[32];
	int fd;
	if (!engine(_i) || (fd = tmpfs_file(MiB, 16 * MiB, path, sizeof(path))) < 0)
		return;
	int lfd = loop_attach(fd, 512, dev, sizeof(dev));
	if (lfd < 0) {
		close(fd);
		return;
	}
	loop_new();
	struct blockif *b = bopen(dev, false, false, 0);
	uint8_t *buf = malloc(4 * MiB);
	memset(buf, 0x22, 4 * MiB);
	ck_assert_int_eq(do_rw(b, BLOCKIF_WRITE, 0, buf, 4 * MiB), (int)(4 * MiB));
	int res = do_range(b, BLOCKIF_FLUSH, 0, 0);
	ck_assert_msg(res == -EIO || res == -ENOSPC, "flush after failed write-back: %d", res);
	/* a durable write (RWF_DSYNC) does not wait for a flush to fail */
	struct io io;
	io_init(&io, BLOCKIF_WRITE, 8 * MiB);
	io_buf(&io, buf, MiB);
	io.req.dsync = true;
	res = do_io(b, &io);
	ck_assert_msg(res == -EIO || res == -ENOSPC, "durable write to a full device: %d", res);
	blockif_close(b);

	b = bopen(dev, false, true, 0);
	res = do_rw(b, BLOCKIF_WRITE, 12 * MiB, buf, MiB);
	ck_assert_msg(res == -EIO || res == -ENOSPC, "direct write to a full device: %d", res);
	blockif_close(b);
	close(lfd);
	free(buf);
	close(fd);
	loop_free();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("blockif_faults");
	TCase *tc = tcase_create("io_uring+threads");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, enospc, 0, 2);
	tcase_add_loop_test(tc, block_device, 0, 2);
	tcase_add_loop_test(tc, flush_reports_write_back_errors, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr,
			"blockif_faults: needs root (tmpfs mounts, loop devices): skipped\n");
		return 77;
	}
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
