// SPDX-License-Identifier: BSD-2-Clause
/*
 * The unpacked-kernel path: the bzImage's payload, the vmlinux ELF checks and loader,
 * and boot.kernel_cache (unpack, store, load, refill) on a small kernel made here: an
 * ELF image with two segments, xz-compressed as the kernel build does it (the unpacked
 * size appended), inside a bzImage header.
 */
#include <asm/bootparam.h>
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "fakemem.h"
#include "khyve/kernel_cache.h"
#include "khyve/linux_boot.h"
#include "khyve/vmlinux.h"

#define LOW (64u << 20)
#define KGPA 0x1000000ull /* where the segments load */
#define ELF_LEN (24 * 1024)
#define SETUP_LEN (4 * 512)
#define PAYLOAD_OFF 0x200 /* from the start of the protected-mode part */

/* An x86-64 vmlinux: text (8 KiB at 16 MiB, the entry) and data (4 KiB in the file,
 * 12 KiB in memory, at 16 MiB + 64 KiB); a trailer after them stands for the relocs. */
static uint8_t *make_elf(size_t *len)
{
	uint8_t *f = calloc(1, ELF_LEN);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = KGPA + 0x40;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));
	ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_offset = 0x1000,
			     .p_paddr = KGPA,
			     .p_filesz = 0x2000,
			     .p_memsz = 0x2000};
	ph[1] = (Elf64_Phdr){.p_type = PT_NOTE,
			     .p_offset = 0x1100,
			     .p_paddr = KGPA + 0x100,
			     .p_filesz = 0x10,
			     .p_memsz = 0x10};
	ph[2] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_offset = 0x3000,
			     .p_paddr = KGPA + 0x10000,
			     .p_filesz = 0x1000,
			     .p_memsz = 0x3000};
	for (size_t i = 0x1000; i < ELF_LEN; i++)
		f[i] = (uint8_t)(i * 13 + 1);
	*len = ELF_LEN;
	return f;
}

static Elf64_Phdr *phdr(uint8_t *elf, unsigned i)
{
	return (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr)) + i;
}

/* A bzImage around an xz payload of elf (or of raw bytes given as the payload). */
static uint8_t *make_bzimage_of(const uint8_t *payload, size_t plen, size_t *len)
{
	size_t total = SETUP_LEN + PAYLOAD_OFF + plen + 0x800;
	uint8_t *k = calloc(1, total);
	struct setup_header *h = (struct setup_header *)(k + 0x1f1);
	h->setup_sects = 3;
	h->boot_flag = 0xaa55;
	k[0x200] = 0xeb;
	k[0x201] = 0x66;
	h->header = 0x53726448;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->xloadflags = XLF_KERNEL_64;
	h->cmdline_size = 64;
	h->initrd_addr_max = 0x7fffffff;
	h->init_size = 8u << 20;
	h->payload_offset = PAYLOAD_OFF;
	h->payload_length = (uint32_t)plen;
	memcpy(k + SETUP_LEN + PAYLOAD_OFF, payload, plen);
	*len = total;
	return k;
}

static uint8_t *make_bzimage(const uint8_t *elf, size_t elen, uint32_t claimed, size_t *len)
{
	size_t cap = lzma_stream_buffer_bound(elen) + 4, plen = 0;
	uint8_t *p = malloc(cap);
	ck_assert_int_eq(
	    lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, elf, elen, p, &plen, cap), LZMA_OK);
	memcpy(p + plen, &claimed, 4);
	uint8_t *k = make_bzimage_of(p, plen + 4, len);
	free(p);
	return k;
}

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/khyve-kcache-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void check_loaded(struct fakemem *fm, const uint8_t *elf)
{
	ck_assert_mem_eq(gmem_ptr(&fm->gmem, KGPA, 0x2000), elf + 0x1000, 0x2000);
	ck_assert_mem_eq(gmem_ptr(&fm->gmem, KGPA + 0x10000, 0x1000), elf + 0x3000, 0x1000);
	const uint8_t *tail = gmem_ptr(&fm->gmem, KGPA + 0x11000, 0x2000);
	for (size_t i = 0; i < 0x2000; i++)
		ck_assert_uint_eq(tail[i], 0);
	/* nothing past the data segment's memory */
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&fm->gmem, KGPA + 0x13000, 1), 0xaa);
}

static void fresh_mem(struct fakemem *fm)
{
	ck_assert_int_eq(fakemem_init(fm, LOW, 4ull << 30, 2u << 20), 0);
	memset(gmem_ptr(&fm->gmem, KGPA, 0x20000), 0xaa, 0x20000);
}

START_TEST(payload)
{
	size_t elen, klen;
	uint8_t *elf = make_elf(&elen);
	uint8_t *k = make_bzimage(elf, elen, ELF_LEN, &klen);
	struct bzimage_payload pl;
	char err[200];
	ck_assert_int_eq(bzimage_find_payload(k, klen, &pl, err, sizeof(err)), 0);
	ck_assert_uint_eq(pl.off, SETUP_LEN + PAYLOAD_OFF);
	ck_assert_uint_eq(pl.unpacked_len, ELF_LEN);
	ck_assert_mem_eq(k + pl.off,
			 "\xfd"
			 "7zXZ",
			 5);
	struct setup_header *h = (struct setup_header *)(k + 0x1f1);
	h->version = 0x0207;
	ck_assert_int_eq(bzimage_find_payload(k, klen, &pl, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "2.07"));
	h->version = 0x020f;
	uint32_t len = h->payload_length;
	h->payload_length = (uint32_t)(klen - SETUP_LEN - PAYLOAD_OFF + 1); /* one past */
	ck_assert_int_eq(bzimage_find_payload(k, klen, &pl, err, sizeof(err)), -EINVAL);
	h->payload_length = 4; /* no room for the size trailer and data */
	ck_assert_int_eq(bzimage_find_payload(k, klen, &pl, err, sizeof(err)), -EINVAL);
	h->payload_length = len;
	h->payload_offset = 0xfffffff0; /* wraps nothing: checked in 64 bits */
	ck_assert_int_eq(bzimage_find_payload(k, klen, &pl, err, sizeof(err)), -EINVAL);
	h->payload_offset = PAYLOAD_OFF;
	h->header = 0;
	ck_assert_int_eq(bzimage_find_payload(k, klen, &pl, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(bzimage_find_payload(k, 0x800, &pl, err, sizeof(err)), -EINVAL);
	free(k);
	free(elf);
}
END_TEST

static int parse(const uint8_t *elf, size_t len, struct vmlinux *v, char *err)
{
	return vmlinux_parse(elf, len < VMLINUX_HEAD_MAX ? len : VMLINUX_HEAD_MAX, len, 0x100000,
			     LOW, v, err, 200);
}

START_TEST(elf_checks)
{
	size_t elen;
	uint8_t *elf = make_elf(&elen);
	struct vmlinux v;
	char err[200];
	ck_assert_int_eq(parse(elf, elen, &v, err), 0);
	ck_assert_uint_eq(v.nseg, 2); /* the PT_NOTE is not loaded */
	ck_assert_uint_eq(v.entry, KGPA + 0x40);
	ck_assert_uint_eq(v.end, KGPA + 0x13000);
	ck_assert_uint_eq(v.seg[1].memsz, 0x3000);

	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
	Elf64_Phdr *p0 = phdr(elf, 0), *p2 = phdr(elf, 2), save0 = *p0, save2 = *p2;
	Elf64_Ehdr saveh = *eh;
#define BAD(what, mutate, restore)                                                                 \
	do {                                                                                       \
		mutate;                                                                            \
		ck_assert_msg(parse(elf, elen, &v, err) == -EINVAL, "accepted: %s", what);         \
		restore;                                                                           \
		ck_assert_int_eq(parse(elf, elen, &v, err), 0);                                    \
	} while (0)
	BAD("magic", eh->e_ident[1] = 'X', *eh = saveh);
	BAD("32-bit", eh->e_ident[EI_CLASS] = ELFCLASS32, *eh = saveh);
	BAD("big-endian", eh->e_ident[EI_DATA] = ELFDATA2MSB, *eh = saveh);
	BAD("machine", eh->e_machine = EM_386, *eh = saveh);
	BAD("shared object", eh->e_type = ET_DYN, *eh = saveh);
	BAD("phentsize", eh->e_phentsize = 32, *eh = saveh);
	BAD("no phdrs", eh->e_phnum = 0, *eh = saveh);
	BAD("phdrs past the head", eh->e_phoff = VMLINUX_HEAD_MAX - 100, *eh = saveh);
	BAD("phoff huge", eh->e_phoff = ~0ull - 10, *eh = saveh);
	BAD("phnum past the head", eh->e_phnum = 200, *eh = saveh);
	BAD("entry outside", eh->e_entry = KGPA + 0x5000, *eh = saveh);
	BAD("filesz > memsz", p2->p_filesz = 0x4000, *p2 = save2);
	BAD("offset past the file", p2->p_offset = ELF_LEN + 1, *p2 = save2);
	BAD("bytes past the file", p2->p_filesz = p2->p_memsz = ELF_LEN, *p2 = save2);
	BAD("offset wraps", (p2->p_offset = ~0ull - 0x10, p2->p_filesz = 0x20), *p2 = save2);
	BAD("below the minimum", p2->p_paddr = 0x1000, *p2 = save2);
	BAD("past guest memory", p2->p_paddr = LOW - 0x1000, *p2 = save2);
	BAD("address wraps", p2->p_paddr = ~0ull - 0x100, *p2 = save2);
	BAD("memsz huge", p2->p_memsz = ~0ull, *p2 = save2);
	BAD("no PT_LOAD", (p0->p_type = PT_NULL, p2->p_type = PT_NULL), (*p0 = save0, *p2 = save2));
	ck_assert_int_eq(vmlinux_parse(elf, 40, elen, 0x100000, LOW, &v, err, 200), -EINVAL);
	/* more segments than are loaded */
	uint8_t *many = make_elf(&elen);
	((Elf64_Ehdr *)many)->e_phnum = VMLINUX_MAX_SEGS + 1;
	for (unsigned i = 0; i <= VMLINUX_MAX_SEGS; i++)
		*phdr(many, i) = save0;
	ck_assert_int_eq(parse(many, elen, &v, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	((Elf64_Ehdr *)many)->e_phnum = VMLINUX_MAX_SEGS;
	ck_assert_int_eq(parse(many, elen, &v, err), 0);
	free(many);
	free(elf);
#undef BAD
}
END_TEST

START_TEST(elf_load)
{
	size_t elen;
	uint8_t *elf = make_elf(&elen);
	struct vmlinux v;
	char err[200], path[] = "/tmp/khyve-vmlinux-XXXXXX";
	ck_assert_int_eq(parse(elf, elen, &v, err), 0);
	struct fakemem fm;
	fresh_mem(&fm);
	ck_assert_int_eq(vmlinux_load_buf(&fm.gmem, &v, elf), 0);
	check_loaded(&fm, elf);
	fakemem_fini(&fm);

	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, elf, elen), (ssize_t)elen);
	fresh_mem(&fm);
	ck_assert_int_eq(vmlinux_load_fd(&fm.gmem, &v, fd), 0);
	check_loaded(&fm, elf);
	ck_assert_int_eq(ftruncate(fd, 0x3800), 0); /* the file shrank since it was parsed */
	ck_assert_int_eq(vmlinux_load_fd(&fm.gmem, &v, fd), -EIO);
	close(fd);
	fakemem_fini(&fm);
	free(elf);
}
END_TEST

/* An ELF vmlinux given as the kernel: no bzImage header to copy, one is made up. */
START_TEST(boots_elf)
{
	size_t elen;
	uint8_t *elf = make_elf(&elen);
	struct vmlinux v;
	char err[200] = "";
	ck_assert(vmlinux_is_elf(elf, elen));
	ck_assert(!vmlinux_is_elf(elf, 3));
	ck_assert_int_eq(parse(elf, elen, &v, err), 0);
	struct fakemem fm;
	fresh_mem(&fm);
	ck_assert_int_eq(vmlinux_load_buf(&fm.gmem, &v, elf), 0);
	struct e820_map map;
	ck_assert_int_eq(e820_build(&map, LOW, 0, 0xe0000000, 1 << 20), 0);
	char cmdline[2049];
	memset(cmdline, 'x', 2047);
	cmdline[2047] = '\0';
	uint8_t initrd[5000] = {0};
	struct linux_boot_args a = {.kernel = elf, .kernel_len = elen, .initrd = initrd,
				    .initrd_len = sizeof(initrd), .cmdline = cmdline,
				    .e820 = &map, .lowmem_top = LOW, .vmlinux = &v};
	struct linux_entry e;
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(e.rip, KGPA + 0x40);
	check_loaded(&fm, elf);
	struct boot_params *bp = gmem_ptr(&fm.gmem, BOOT_PARAMS_GPA, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.cmdline_size, 2047);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_GPA);
	ck_assert_uint_ge(bp->hdr.ramdisk_image, v.end);
	ck_assert_uint_eq(bp->e820_entries, map.nr);
	/* the kernel's command line holds 2047 bytes, not one more */
	cmdline[2047] = 'x';
	cmdline[2048] = '\0';
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "command line too long"));
	/* without its parsed segments an ELF file is no bzImage */
	a.vmlinux = NULL;
	cmdline[0] = '\0';
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "nor an ELF vmlinux"));
	fakemem_fini(&fm);
	free(elf);
}
END_TEST

/* The cache tests' kernel and directory (a checked fixture: one per test). */
static struct {
	uint8_t *elf, *k;
	size_t elen, klen;
	struct fakemem fm; /* the guest memory of the last cache_load() */
	struct vmlinux v;
	char why[300];
} kt;

static void kit_setup(void)
{
	make_dir();
	kt.elf = make_elf(&kt.elen);
	kt.k = make_bzimage(kt.elf, kt.elen, ELF_LEN, &kt.klen);
}

static void kit_teardown(void)
{
	free(kt.k);
	free(kt.elf);
	remove_dir();
}

static enum kcache_outcome cache_load(const uint8_t *k, size_t klen)
{
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/kc", dir);
	fresh_mem(&kt.fm);
	return kernel_cache_load(sub, k, klen, &kt.fm.gmem, 0x100000, LOW, &kt.v, kt.why,
				 sizeof(kt.why));
}

static void entry_path(const uint8_t *k, size_t klen, char *path)
{
	char name[80];
	kernel_cache_name(k, klen, name);
	snprintf(path, 200, "%s/kc/%s", dir, name);
}

START_TEST(cache_fill_hit_refill)
{
	uint8_t *elf = kt.elf, *k = kt.k;
	size_t klen = kt.klen;
	char path[200];
	struct stat st;

	ck_assert_int_eq(cache_load(k, klen), KCACHE_FILLED);
	ck_assert_str_eq(kt.why, "");
	check_loaded(&kt.fm, elf);
	ck_assert_uint_eq(kt.v.entry, KGPA + 0x40);
	fakemem_fini(&kt.fm);
	entry_path(k, klen, path);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, ELF_LEN);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ino_t ino = st.st_ino;
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/kc", dir);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);

	/* a hit loads the stored entry and leaves it alone */
	ck_assert_int_eq(cache_load(k, klen), KCACHE_HIT);
	check_loaded(&kt.fm, elf);
	fakemem_fini(&kt.fm);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_ino, ino);

	/* a truncated entry, or one that is no ELF image, is replaced */
	ck_assert_int_eq(truncate(path, ELF_LEN / 2), 0);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_FILLED);
	check_loaded(&kt.fm, elf);
	fakemem_fini(&kt.fm);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, ELF_LEN);
	int fd = open(path, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "JUNK", 4, 0), 4);
	close(fd);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_FILLED);
	check_loaded(&kt.fm, elf);
	fakemem_fini(&kt.fm);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_HIT);
	fakemem_fini(&kt.fm);

	/* an entry that cannot be stored: the kernel still boots unpacked, with a note */
	char tmp[300];
	ck_assert_int_eq(unlink(path), 0);
	snprintf(tmp, sizeof(tmp), "%s/kc/.%s.%ld", dir, strrchr(path, '/') + 1, (long)getpid());
	ck_assert_int_eq(mkdir(tmp, 0700), 0); /* in the way of the temporary file */
	ck_assert_int_eq(cache_load(k, klen), KCACHE_FILLED);
	ck_assert_ptr_nonnull(strstr(kt.why, "cannot store the unpacked kernel"));
	check_loaded(&kt.fm, elf);
	fakemem_fini(&kt.fm);
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(rmdir(tmp), 0);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_FILLED);
	ck_assert_str_eq(kt.why, "");
	fakemem_fini(&kt.fm);

	/* another bzImage (one byte of its setup code differs) is another entry */
	k[0x300] ^= 1;
	char path2[200];
	entry_path(k, klen, path2);
	ck_assert_str_ne(path, path2);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_FILLED);
	fakemem_fini(&kt.fm);
	ck_assert_int_eq(stat(path2, &st), 0);
}
END_TEST

START_TEST(cache_refuses)
{
	uint8_t *elf = kt.elf, *k = kt.k;
	size_t elen = kt.elen, klen = kt.klen;
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/kc", dir);

	/* a directory others may write to */
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(chmod(sub, 0770), 0);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "writable by no one else"));
	fakemem_fini(&kt.fm);
	ck_assert_int_eq(rmdir(sub), 0);
	/* not a directory */
	int fd = open(sub, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "cannot"));
	fakemem_fini(&kt.fm);
	ck_assert_int_eq(unlink(sub), 0);

	/* nothing is written to guest memory in these */
	uint8_t *gz = make_bzimage_of((const uint8_t *)"\x1f\x8b\x08\0\0\0\0\0\0\0\0\0", 12, &klen);
	ck_assert_int_eq(cache_load(gz, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "gzip"));
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&kt.fm.gmem, KGPA, 1), 0xaa);
	fakemem_fini(&kt.fm);
	free(gz);

	size_t plen;
	free(k);
	k = make_bzimage(elf, elen, ELF_LEN + 1, &klen); /* the trailer lies */
	ck_assert_int_eq(cache_load(k, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "trailer"));
	fakemem_fini(&kt.fm);
	free(k);
	k = make_bzimage(elf, elen, ELF_LEN - 4096, &klen); /* the trailer says less */
	ck_assert_int_eq(cache_load(k, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "more than its trailer"));
	fakemem_fini(&kt.fm);
	free(k);
	k = make_bzimage(elf, elen, 1u << 31, &klen); /* 2 GiB claimed */
	ck_assert_int_eq(cache_load(k, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "implausible"));
	fakemem_fini(&kt.fm);
	free(k);

	k = make_bzimage(elf, elen, ELF_LEN, &klen);
	struct bzimage_payload pl;
	ck_assert_int_eq(bzimage_find_payload(k, klen, &pl, kt.why, sizeof(kt.why)), 0);
	plen = pl.len;
	k[pl.off + plen / 2] ^= 0x55; /* corrupt compressed data */
	ck_assert_int_eq(cache_load(k, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "does not unpack"));
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&kt.fm.gmem, KGPA, 1), 0xaa);
	fakemem_fini(&kt.fm);
	free(k);

	/* an ELF image that does not fit below the top of guest memory */
	phdr(elf, 2)->p_paddr = LOW - 0x1000;
	k = make_bzimage(elf, elen, ELF_LEN, &klen);
	ck_assert_int_eq(cache_load(k, klen), KCACHE_UNUSED);
	ck_assert_ptr_nonnull(strstr(kt.why, "outside guest memory"));
	fakemem_fini(&kt.fm);
	kt.k = k;
}
END_TEST

START_TEST(boots_unpacked)
{
	uint8_t *elf = kt.elf, *k = kt.k;
	size_t klen = kt.klen;
	ck_assert_int_eq(cache_load(k, klen), KCACHE_FILLED);
	struct e820_map map;
	ck_assert_int_eq(e820_build(&map, LOW, 0, 0xe0000000, 1 << 20), 0);
	uint8_t initrd[5000];
	memset(initrd, 0x5a, sizeof(initrd));
	struct linux_boot_args a = {.kernel = k,
				    .kernel_len = klen,
				    .initrd = initrd,
				    .initrd_len = sizeof(initrd),
				    .cmdline = "console=ttyS0",
				    .e820 = &map,
				    .lowmem_top = LOW,
				    .vmlinux = &kt.v};
	struct linux_entry e;
	char err[128] = "";
	memset(gmem_ptr(&kt.fm.gmem, 0x100000, 0x1000), 0xcc, 0x1000);
	ck_assert_int_eq(linux_boot_load(&kt.fm.gmem, &a, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(e.rip, KGPA + 0x40); /* the kernel's startup_64, not the bzImage's */
	ck_assert_uint_eq(e.rsi, BOOT_PARAMS_GPA);
	/* the bzImage's own code is not loaded */
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&kt.fm.gmem, 0x100000, 1), 0xcc);
	check_loaded(&kt.fm, elf);
	struct boot_params *bp = gmem_ptr(&kt.fm.gmem, BOOT_PARAMS_GPA, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_GPA);
	ck_assert_uint_ge(bp->hdr.ramdisk_image, kt.v.end);
	ck_assert_mem_eq(gmem_ptr(&kt.fm.gmem, bp->hdr.ramdisk_image, sizeof(initrd)), initrd,
			 sizeof(initrd));
	fakemem_fini(&kt.fm);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kernel_cache");
	TCase *tc = tcase_create("vmlinux");
	tcase_add_test(tc, payload);
	tcase_add_test(tc, elf_checks);
	tcase_add_test(tc, elf_load);
	tcase_add_test(tc, boots_elf);
	suite_add_tcase(s, tc);
	tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, kit_setup, kit_teardown);
	tcase_add_test(tc, cache_fill_hit_refill);
	tcase_add_test(tc, cache_refuses);
	tcase_add_test(tc, boots_unpacked);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
