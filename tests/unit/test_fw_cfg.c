// SPDX-License-Identifier: BSD-2-Clause
/*
 * QEMU fw_cfg through its ports, as Linux's qemu_fw_cfg driver and firmware
 * use them: selector and data port, the file directory, and the DMA
 * interface on fake guest memory (two regions, a hole, guard pages), where
 * every bad address must end in the error bit and no byte written.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "fakemem.h"
#include "khyve/config.h"
#include "khyve/fw_cfg.h"

#define LO (48u << 20) /* room for a read longer than FW_CFG_DMA_MAX */
#define HI_GPA (4ull << 30)
#define HI (1u << 20)
#define ACC 0x10000ull /* the FWCfgDmaAccess structure */
#define DST 0x20000ull /* where DMA reads land */
#define CANARY 0x5a

static struct fakemem fm;
static struct fw_cfg fc;

/* Files added out of order; the directory sorts them with strcmp (upper case first). */
static const struct {
	const char *name, *data;
} files[] = {
    {"opt/org.khyve/zeta", "last"},
    {"opt/org.khyve/alpha", "first item"},
    {"etc/boot", "e"},
    {"opt/org.khyve/Beta", "upper case sorts before lower"},
};
static const char *const sorted[] = {"etc/boot", "opt/org.khyve/Beta", "opt/org.khyve/alpha",
				     "opt/org.khyve/zeta"};
#define NFILES 4

static uint8_t *gp(uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(&fm.gmem, gpa, len);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void setup(void)
{
	ck_assert_int_eq(fakemem_init(&fm, LO, HI_GPA, HI), 0);
	fw_cfg_init(&fc, &fm.gmem, 3);
	for (unsigned i = 0; i < NFILES; i++)
		ck_assert_int_eq(
		    fw_cfg_add_file(&fc, files[i].name, files[i].data, strlen(files[i].data)), 0);
	char err[128];
	ck_assert_int_eq(fw_cfg_finish(&fc, err, sizeof(err)), 0);
	memset(gp(DST - 0x1000, 0x10000), CANARY, 0x10000);
}

static void teardown(void)
{
	fw_cfg_fini(&fc);
	fakemem_fini(&fm);
}

static void sel(uint16_t key)
{
	uint8_t d[2] = {(uint8_t)key, (uint8_t)(key >> 8)};
	fw_cfg_io(&fc, 0, d, 2, true);
}

static uint8_t rd(void)
{
	uint8_t b = 0xee;
	fw_cfg_io(&fc, 1, &b, 1, false);
	return b;
}

static void rdn(uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = rd();
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* Write the address register as Linux does: upper half at 0x514, lower at 0x518. */
static void dma_kick(uint64_t gpa)
{
	uint8_t d[4];
	put_be32(d, (uint32_t)(gpa >> 32));
	fw_cfg_io(&fc, 4, d, 4, true);
	put_be32(d, (uint32_t)gpa);
	fw_cfg_io(&fc, 8, d, 4, true);
}

/* Put an FWCfgDmaAccess at acc, run it, return the control word the device left. */
static uint32_t dma_at(uint64_t acc, uint32_t control, uint32_t length, uint64_t addr)
{
	uint8_t *a = gp(acc, FW_CFG_DMA_ACCESS_LEN);
	put_be32(a, control);
	put_be32(a + 4, length);
	put_be32(a + 8, (uint32_t)(addr >> 32));
	put_be32(a + 12, (uint32_t)addr);
	dma_kick(acc);
	return be32(a);
}

static uint32_t dma(uint32_t control, uint32_t length, uint64_t addr)
{
	return dma_at(ACC, control, length, addr);
}

static bool all(const uint8_t *p, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

START_TEST(signature_and_id)
{
	uint8_t b[8];
	sel(FW_CFG_SIGNATURE);
	rdn(b, 5);
	ck_assert_mem_eq(b, "QEMU", 4);
	ck_assert_uint_eq(b[4], 0); /* past the end */
	sel(FW_CFG_ID);
	rdn(b, 5);
	ck_assert_uint_eq(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24, 3); /* + DMA */
	ck_assert_uint_eq(b[4], 0);
	/* As bhyve: the vCPU count, 16-bit little-endian, twice. */
	sel(FW_CFG_NB_CPUS);
	rdn(b, 3);
	ck_assert_uint_eq(b[0], 3);
	ck_assert_uint_eq(b[1], 0);
	ck_assert_uint_eq(b[2], 0);
	sel(FW_CFG_MAX_CPUS);
	ck_assert_uint_eq(rd(), 3);
	/* The DMA address register reads "QEMU CFG", big-endian, in 32-bit halves. */
	memset(b, 0, sizeof(b));
	fw_cfg_io(&fc, 4, b, 4, false);
	fw_cfg_io(&fc, 8, b + 4, 4, false);
	ck_assert_mem_eq(b, "QEMU CFG", 8);
	/* The selector reads back; the reserved ports read 0. */
	uint8_t s[2] = {0};
	sel(0x19);
	fw_cfg_io(&fc, 0, s, 2, false);
	ck_assert_uint_eq(s[0] | s[1] << 8, 0x19);
	b[0] = 0xff;
	fw_cfg_io(&fc, 2, b, 1, false);
	ck_assert_uint_eq(b[0], 0);
}
END_TEST

START_TEST(directory_sorted)
{
	uint8_t b[4 + NFILES * FW_CFG_DIR_ENTRY_LEN + 1];
	sel(FW_CFG_FILE_DIR);
	rdn(b, sizeof(b));
	ck_assert_uint_eq(be32(b), NFILES);
	ck_assert_uint_eq(b[sizeof(b) - 1], 0); /* the directory ends there */
	for (unsigned i = 0; i < NFILES; i++) {
		const uint8_t *e = b + 4 + i * FW_CFG_DIR_ENTRY_LEN;
		const char *name = (const char *)e + 8;
		ck_assert_str_eq(name, sorted[i]);
		size_t n = strlen(name);
		ck_assert(all(e + 8 + n, 0, FW_CFG_NAME_MAX - n));	    /* NUL-padded */
		ck_assert_uint_eq(e[4] << 8 | e[5], FW_CFG_FILE_FIRST + i); /* big-endian key */
		ck_assert_uint_eq(e[6] | e[7], 0);			    /* reserved */
		unsigned k = 0;
		while (strcmp(files[k].name, name) != 0)
			k++;
		ck_assert_uint_eq(be32(e), strlen(files[k].data));
		/* The key gives the item the entry names. */
		char data[64] = {0};
		sel((uint16_t)(FW_CFG_FILE_FIRST + i));
		rdn((uint8_t *)data, be32(e));
		ck_assert_str_eq(data, files[k].data);
		ck_assert_uint_eq(rd(), 0);
	}
}
END_TEST

START_TEST(data_port_reads)
{
	uint8_t b[16];
	sel(FW_CFG_FILE_FIRST + 2); /* opt/org.khyve/alpha */
	rdn(b, 5);
	ck_assert_mem_eq(b, "first", 5);
	rdn(b, 5);
	ck_assert_mem_eq(b, " item", 5);
	ck_assert_uint_eq(rd(), 0);
	ck_assert_uint_eq(rd(), 0); /* stays at the end */
	sel(FW_CFG_FILE_FIRST + 2); /* selecting again starts over */
	ck_assert_uint_eq(rd(), 'f');
	/* A wider read takes the next bytes in order. */
	memset(b, 0, sizeof(b));
	fw_cfg_io(&fc, 1, b, 4, false);
	ck_assert_mem_eq(b, "irst", 4);
	/* Bit 14 (the old write channel) picks the same item; data port writes do nothing. */
	sel(0x4000 | (FW_CFG_FILE_FIRST + 2));
	b[0] = 'X';
	fw_cfg_io(&fc, 1, b, 1, true);
	ck_assert_uint_eq(rd(), 'f');
	/* A byte write to the selector is not a selection. */
	b[0] = FW_CFG_SIGNATURE;
	fw_cfg_io(&fc, 0, b, 1, true);
	ck_assert_uint_eq(rd(), 'i');
}
END_TEST

START_TEST(selector_out_of_range)
{
	static const uint16_t none[] = {
	    0x02, 0x18, FW_CFG_FILE_FIRST + NFILES, 0x3fff, 0x8000, 0xc000 | FW_CFG_ID, 0xffff};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		sel(none[i]);
		for (int k = 0; k < 4; k++)
			ck_assert_msg(rd() == 0, "key %#x reads non-zero", none[i]);
	}
	/* DMA from a missing item gives zeros, and succeeds. */
	ck_assert_uint_eq(
	    dma((0x3fffu << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 8, DST), 0);
	ck_assert(all(gp(DST, 8), 0, 8));
	ck_assert_uint_eq(*gp(DST + 8, 1), CANARY);
}
END_TEST

START_TEST(dma_read)
{
	const char *want = "upper case sorts before lower";
	size_t n = strlen(want);
	uint32_t key = FW_CFG_FILE_FIRST + 1;
	ck_assert_uint_eq(dma(key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 5, DST), 0);
	ck_assert_mem_eq(gp(DST, 5), want, 5);
	/* No select: the read goes on where the last one stopped, into a 64-bit address. */
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, (uint32_t)n - 5, HI_GPA + 0x100), 0);
	ck_assert_mem_eq(gp(HI_GPA + 0x100, n - 5), want + 5, n - 5);
	/* Past the end the buffer is filled with zeros; nothing beyond it is touched. */
	ck_assert_uint_eq(dma(key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 40, DST), 0);
	ck_assert_mem_eq(gp(DST, n), want, n);
	ck_assert(all(gp(DST + n, 40 - n), 0, 40 - n));
	ck_assert(all(gp(DST + 40, 0x100), CANARY, 0x100));
	ck_assert(all(gp(DST - 0x100, 0x100), CANARY, 0x100));
	/* The data port shares the offset: at the end now. */
	ck_assert_uint_eq(rd(), 0);
	/* Select alone switches items for the data port. */
	ck_assert_uint_eq(dma(FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0), 0);
	ck_assert_uint_eq(rd(), 'Q');
	/* The directory by DMA, as firmware reads it. */
	ck_assert_uint_eq(
	    dma(FW_CFG_FILE_DIR << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, DST), 0);
	ck_assert_uint_eq(be32(gp(DST, 4)), NFILES);
}
END_TEST

START_TEST(dma_skip)
{
	uint32_t key = FW_CFG_FILE_FIRST + 2; /* "first item" */
	ck_assert_uint_eq(dma(key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 6, 0), 0);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 2, DST), 0);
	ck_assert_mem_eq(gp(DST, 2), "it", 2);
	ck_assert_uint_eq(rd(), 'e'); /* the data port goes on from there */
	/* Skipping past the end stops at the end. */
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_SKIP, 1000, 0), 0);
	ck_assert_uint_eq(rd(), 0);
	sel((uint16_t)key);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_SKIP, 9, 0), 0);
	ck_assert_uint_eq(rd(), 'm');
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_SKIP, FW_CFG_DMA_MAX + 1, 0), FW_CFG_DMA_CTL_ERROR);
}
END_TEST

START_TEST(dma_bad_buffers)
{
	uint32_t rd_alpha =
	    (FW_CFG_FILE_FIRST + 2) << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
	memset(gp(LO - 0x1000, 0x1000), CANARY, 0x1000);
	memset(gp(HI_GPA, HI), CANARY, HI);
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
	    {LO, 4},		       /* the hole */
	    {LO - 4, 8},	       /* across the end of low RAM */
	    {HI_GPA - 4, 8},	       /* into high RAM from the hole */
	    {HI_GPA + HI - 2, 4},      /* past the end of high RAM */
	    {UINT64_MAX - 3, 16},      /* address + length wraps */
	    {0x100000000000ull, 1},    /* far above RAM */
	    {DST, FW_CFG_DMA_MAX + 1}, /* longer than the bound (but inside RAM) */
	    {LO - 0x800, 0xffffffffu}, /* the longest length */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(dma(rd_alpha, bad[i].len, bad[i].addr) == FW_CFG_DMA_CTL_ERROR,
			      "case %zu: no error bit", i);
		ck_assert_msg(all(gp(LO - 0x1000, 0x1000), CANARY, 0x1000), "case %zu wrote", i);
		ck_assert_msg(all(gp(HI_GPA, HI), CANARY, HI), "case %zu wrote", i);
		ck_assert_msg(all(gp(DST, 0x1000), CANARY, 0x1000), "case %zu wrote", i);
	}
	/* A failed read moves nothing: the item is still at its start. */
	ck_assert_uint_eq(rd(), 'f');
	/* Just inside both ends works. */
	ck_assert_uint_eq(dma(rd_alpha, 4, LO - 4), 0);
	ck_assert_mem_eq(gp(LO - 4, 4), "firs", 4);
	ck_assert_uint_eq(dma(rd_alpha, 2, HI_GPA + HI - 2), 0);
	ck_assert_mem_eq(gp(HI_GPA + HI - 2, 2), "fi", 2);
}
END_TEST

START_TEST(dma_bad_control_structure)
{
	memset(gp(LO - 0x1000, 0x1000), CANARY, 0x1000);
	sel(FW_CFG_SIGNATURE);
	/* Nowhere to read it from or report to: nothing happens, no selection either. */
	static const uint64_t bad[] = {
	    LO, LO - 8, HI_GPA - 8, HI_GPA + HI - 8, UINT64_MAX - 7, 0xfffffffffffff000ull};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		dma_kick(bad[i]);
	ck_assert(all(gp(LO - 0x1000, 0x1000), CANARY, 0x1000));
	ck_assert(all(gp(HI_GPA + HI - 0x100, 0x100), 0, 0x100));
	ck_assert_uint_eq(rd(), 'Q');
	/* The upper half is forgotten after each operation: a lone low write is a 32-bit address.
	 */
	uint8_t d[4];
	put_be32(d, 2);
	fw_cfg_io(&fc, 4, d, 4, true);
	put_be32(d, (uint32_t)ACC);
	fw_cfg_io(&fc, 8, d, 4, true); /* 0x2_0001_0000: above RAM, ignored */
	uint8_t *a = gp(ACC, 16);
	put_be32(a, FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT);
	memset(a + 4, 0, 12);
	fw_cfg_io(&fc, 8, d, 4, true); /* now at ACC */
	ck_assert_uint_eq(be32(a), 0);
	ck_assert_uint_eq(rd(), 3);
	/* Other widths do not trigger anything. */
	put_be32(a, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT);
	fw_cfg_io(&fc, 8, d, 2, true);
	fw_cfg_io(&fc, 8, d, 1, true);
	ck_assert_uint_eq(be32(a), FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT);
}
END_TEST

START_TEST(dma_write_refused)
{
	uint32_t key = FW_CFG_FILE_FIRST + 2;
	memcpy(gp(DST, 4), "XXXX", 4);
	ck_assert_uint_eq(dma(key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, DST),
			  FW_CFG_DMA_CTL_ERROR);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_WRITE, 0, 0), FW_CFG_DMA_CTL_ERROR);
	sel((uint16_t)key);
	uint8_t b[5];
	rdn(b, 5);
	ck_assert_mem_eq(b, "first", 5);
	/* Read wins over write when both are set, as in QEMU. */
	ck_assert_uint_eq(
	    dma(key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_WRITE, 4,
		DST),
	    0);
	ck_assert_mem_eq(gp(DST, 4), "firs", 4);
}
END_TEST

START_TEST(add_and_finish)
{
	struct fw_cfg f;
	char err[128] = "";
	char name[FW_CFG_NAME_MAX + 1];
	fw_cfg_init(&f, &fm.gmem, 1);
	ck_assert_int_eq(fw_cfg_add_file(&f, "", "x", 1), -EINVAL);
	memset(name, 'n', sizeof(name));
	name[FW_CFG_NAME_MAX] = '\0';
	ck_assert_int_eq(fw_cfg_add_file(&f, name, "x", 1), -EINVAL); /* 56 characters */
	name[FW_CFG_NAME_MAX - 1] = '\0';
	ck_assert_int_eq(fw_cfg_add_file(&f, name, "x", 1), 0); /* 55 */
	ck_assert_int_eq(fw_cfg_add_file(&f, "opt/big", "x", FW_CFG_FILE_MAX + 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_file(&f, "opt/empty", NULL, 0), 0);
	ck_assert_int_eq(fw_cfg_finish(&f, err, sizeof(err)), 0);
	ck_assert_int_eq(fw_cfg_add_file(&f, "opt/empty", "y", 1), 0);
	ck_assert_int_eq(fw_cfg_finish(&f, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "'opt/empty'"));
	fw_cfg_fini(&f);
}
END_TEST

static char tmpdir[] = "/tmp/khyve-fwcfg-XXXXXX";

static void write_file(const char *path, const char *data, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	if (size)
		ck_assert_int_eq(ftruncate(fd, size), 0);
	close(fd);
}

/*
 * Whether a configuration of key, value pairs (NULL-terminated) wants the
 * device, then its items loaded when it does.
 */
static int load(const char *const *kv, char *err, size_t errlen, bool *wanted)
{
	struct config *cfg = config_new();
	for (; *kv; kv += 2)
		ck_assert_int_eq(config_set(cfg, kv[0], kv[1]), 0);
	struct fw_cfg f;
	fw_cfg_init(&f, &fm.gmem, 1);
	err[0] = '\0';
	int rc = fw_cfg_wanted(cfg, wanted, err, errlen);
	if (rc == 0 && *wanted)
		rc = fw_cfg_load_config(&f, cfg, err, errlen);
	if (rc == 0 && f.nfiles) { /* the one good set of items the test has */
		ck_assert_uint_eq(f.nfiles, 2);
		ck_assert_str_eq(f.file[0].name, "opt/a");
		ck_assert_uint_eq(f.file[0].size, 6); /* the NUL is part of a string item */
		ck_assert_mem_eq(f.file[0].data, "hello", 6);
		ck_assert_str_eq(f.file[1].name, "opt/b");
		ck_assert_uint_eq(f.file[1].size, 9);
		ck_assert_mem_eq(f.file[1].data, "from file", 9);
	}
	fw_cfg_fini(&f);
	config_free(cfg);
	return rc;
}

START_TEST(load_from_config)
{
	char err[256], good[64], big[64], dir[64];
	bool wanted;
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(good, sizeof(good), "%s/good", tmpdir);
	snprintf(big, sizeof(big), "%s/big", tmpdir);
	snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
	write_file(good, "from file", 0);
	write_file(big, "x", FW_CFG_FILE_MAX + 1);
	ck_assert_int_eq(mkdir(dir, 0700), 0);

	const char *ok[] = {"fwcfg.1.name", "opt/b",	      "fwcfg.1.file", good, "fwcfg.0.name",
			    "opt/a",	    "fwcfg.0.string", "hello",	      NULL};
	ck_assert_int_eq(load(ok, err, sizeof(err), &wanted), 0);
	ck_assert(wanted);
	const char *none[] = {"lpc.fwcfg", "bhyve", NULL};
	ck_assert_int_eq(load(none, err, sizeof(err), &wanted), 0);
	ck_assert(!wanted);
	const char *qemu[] = {"lpc.fwcfg", "qemu", NULL}; /* the device with no files */
	ck_assert_int_eq(load(qemu, err, sizeof(err), &wanted), 0);
	ck_assert(wanted);
	const char *iface[] = {"lpc.fwcfg", "seabios", NULL};
	ck_assert_int_eq(load(iface, err, sizeof(err), &wanted), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "seabios"));

	const char *toobig[] = {"fwcfg.0.name", "opt/a", "fwcfg.0.file", big, NULL};
	ck_assert_int_eq(load(toobig, err, sizeof(err), &wanted), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err, big));
	const char *missing[] = {"fwcfg.0.name", "opt/a", "fwcfg.0.file", "/nonexistent/f", NULL};
	ck_assert_int_eq(load(missing, err, sizeof(err), &wanted), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/f"));
	const char *notreg[] = {"fwcfg.0.name", "opt/a", "fwcfg.0.file", dir, NULL};
	ck_assert_int_eq(load(notreg, err, sizeof(err), &wanted), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	const char *both[] = {
	    "fwcfg.0.name", "opt/a", "fwcfg.0.file", good, "fwcfg.0.string", "x", NULL};
	ck_assert_int_eq(load(both, err, sizeof(err), &wanted), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "fwcfg.0"));
	const char *noname[] = {"fwcfg.0.string", "x", NULL};
	ck_assert_int_eq(load(noname, err, sizeof(err), &wanted), -EINVAL);
	const char *twice[] = {
	    "fwcfg.0.name", "opt/a", "fwcfg.0.string", "x", "fwcfg.7.name", "opt/a", "fwcfg.7.file",
	    good,	    NULL};
	ck_assert_int_eq(load(twice, err, sizeof(err), &wanted), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "opt/a"));

	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fw_cfg");
	TCase *tc = tcase_create("device");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, signature_and_id);
	tcase_add_test(tc, directory_sorted);
	tcase_add_test(tc, data_port_reads);
	tcase_add_test(tc, selector_out_of_range);
	tcase_add_test(tc, dma_read);
	tcase_add_test(tc, dma_skip);
	tcase_add_test(tc, dma_bad_buffers);
	tcase_add_test(tc, dma_bad_control_structure);
	tcase_add_test(tc, dma_write_refused);
	tcase_add_test(tc, add_and_finish);
	tcase_add_test(tc, load_from_config);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
