// SPDX-License-Identifier: BSD-2-Clause
#include <asm/bootparam.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "fakemem.h"
#include "khyve/linux_boot.h"

#define LOW (64u << 20)
#define KSIZE (64 * 1024)

static uint8_t *make_bzimage(size_t *len, uint16_t version, uint16_t xlf)
{
	uint8_t *k = calloc(1, KSIZE);
	struct setup_header *h = (struct setup_header *)(k + 0x1f1);
	h->setup_sects = 3; /* 4 sectors of real-mode code incl. the boot sector */
	h->boot_flag = 0xaa55;
	k[0x200] = 0xeb; /* jmp */
	k[0x201] = 0x66; /* header ends at 0x268 */
	h->header = 0x53726448;
	h->version = version;
	h->loadflags = LOADED_HIGH;
	h->xloadflags = xlf;
	h->cmdline_size = 64;
	h->initrd_addr_max = 0x7fffffff;
	h->init_size = 8u << 20;
	for (size_t i = 4 * 512; i < KSIZE; i++)
		k[i] = (uint8_t)(i * 7);
	*len = KSIZE;
	return k;
}

START_TEST(loads_everything)
{
	struct fakemem fm;
	ck_assert_int_eq(fakemem_init(&fm, LOW, 4ull << 30, 2u << 20), 0);
	size_t klen;
	uint8_t *k = make_bzimage(&klen, 0x020f, XLF_KERNEL_64);
	uint8_t initrd[10000];
	memset(initrd, 0x5a, sizeof(initrd));
	struct e820_map map;
	ck_assert_int_eq(e820_build(&map, LOW, 0, 0xe0000000, 1 << 20), 0);
	struct linux_boot_args a = {.kernel = k, .kernel_len = klen, .initrd = initrd,
				    .initrd_len = sizeof(initrd), .cmdline = "console=ttyS0",
				    .e820 = &map, .lowmem_top = LOW, .rsdp_gpa = 0xe0000};
	struct linux_entry e;
	char err[128] = "";
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(e.rip, 0x100200);
	ck_assert_uint_eq(e.rsi, BOOT_PARAMS_GPA);
	struct boot_params *bp = gmem_ptr(&fm.gmem, BOOT_PARAMS_GPA, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_GPA);
	ck_assert_str_eq((char *)gmem_ptr(&fm.gmem, BOOT_CMDLINE_GPA, 14), "console=ttyS0");
	ck_assert_uint_eq(bp->hdr.ramdisk_image % 4096, 0);
	ck_assert_uint_ge(bp->hdr.ramdisk_image, 0x100000 + (8u << 20));
	ck_assert_uint_le(bp->hdr.ramdisk_image + sizeof(initrd), LOW);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, sizeof(initrd));
	ck_assert_mem_eq(gmem_ptr(&fm.gmem, bp->hdr.ramdisk_image, sizeof(initrd)), initrd,
			 sizeof(initrd));
	ck_assert_uint_eq(bp->acpi_rsdp_addr, 0xe0000);
	ck_assert_uint_eq(bp->e820_entries, map.nr);
	ck_assert_uint_eq(bp->e820_table[2].addr, 0x100000);
	ck_assert_uint_eq(bp->e820_table[2].size, LOW - 0x100000);
	/* the protected-mode kernel at 1 MiB */
	ck_assert_mem_eq(gmem_ptr(&fm.gmem, 0x100000, klen - 2048), k + 2048, klen - 2048);
	/* identity map: PML4 → PDPT → PD entry for 3 GiB + 6 MiB */
	uint64_t *pml4 = gmem_ptr(&fm.gmem, e.cr3, 4096);
	uint64_t *pdpt = gmem_ptr(&fm.gmem, pml4[0] & ~0xfffull, 4096);
	uint64_t *pd = gmem_ptr(&fm.gmem, pdpt[3] & ~0xfffull, 4096);
	ck_assert_uint_eq(pd[3], (3ull << 30) + (6ull << 20) + 0x83);
	uint64_t *gdt = gmem_ptr(&fm.gmem, e.gdt_gpa, 40);
	ck_assert_uint_eq(gdt[2], 0x00af9b000000ffffull);
	free(k);
	fakemem_fini(&fm);
}
END_TEST

START_TEST(rejects_bad_images)
{
	struct fakemem fm;
	ck_assert_int_eq(fakemem_init(&fm, LOW, 4ull << 30, 2u << 20), 0);
	struct e820_map map;
	e820_build(&map, LOW, 0, 0xe0000000, 1 << 20);
	size_t klen;
	char err[128];
	struct linux_entry e;
	struct linux_boot_args a = {.e820 = &map, .lowmem_top = LOW, .cmdline = ""};

	uint8_t *k = make_bzimage(&klen, 0x020f, XLF_KERNEL_64);
	a.kernel = k;
	a.kernel_len = klen;
	((struct setup_header *)(k + 0x1f1))->header = 0;
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "HdrS"));
	free(k);

	k = make_bzimage(&klen, 0x020b, XLF_KERNEL_64); /* before the 64-bit entry */
	a.kernel = k;
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	free(k);

	k = make_bzimage(&klen, 0x020f, 0);
	a.kernel = k;
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	free(k);

	k = make_bzimage(&klen, 0x020f, XLF_KERNEL_64);
	a.kernel = k;
	a.cmdline = "0123456789012345678901234567890123456789012345678901234567890123456789";
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "command line"));
	a.cmdline = "";
	static uint8_t big[LOW];
	a.initrd = big;
	a.initrd_len = sizeof(big);
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "initrd"));
	a.initrd = NULL;
	a.initrd_len = 0;
	((struct setup_header *)(k + 0x1f1))->init_size = LOW; /* more than RAM */
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	((struct setup_header *)(k + 0x1f1))->init_size = 1 << 20;
	((struct setup_header *)(k + 0x1f1))->setup_sects = 200; /* beyond the file */
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	a.kernel_len = 100;
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	free(k);
	fakemem_fini(&fm);
}
END_TEST

START_TEST(e820)
{
	struct e820_map m;
	ck_assert_int_eq(e820_build(&m, 3ull << 30, 5ull << 30, 0xe0000000, 1 << 20), 0);
	ck_assert_uint_eq(m.nr, 5);
	ck_assert_uint_eq(m.entry[0].size, 0x9fc00);
	ck_assert_uint_eq(m.entry[1].type, E820_RESERVED);
	ck_assert_uint_eq(m.entry[3].addr, 0xe0000000);
	ck_assert_uint_eq(m.entry[3].type, E820_RESERVED);
	ck_assert_uint_eq(m.entry[4].addr, 4ull << 30);
	ck_assert_uint_eq(m.entry[4].size, 5ull << 30);
	ck_assert_int_eq(e820_build(&m, 256ull << 20, 0, 0xe0000000, 0), 0);
	ck_assert_uint_eq(m.nr, 3);
	ck_assert_int_eq(e820_build(&m, 0x80000, 0, 0, 0), -EINVAL);
}
END_TEST

static struct setup_header *hdr(uint8_t *k)
{
	return (struct setup_header *)(k + 0x1f1);
}

static int load(struct fakemem *fm, const uint8_t *k, size_t klen, const uint8_t *initrd,
		size_t ilen, const char *cmdline, const struct e820_map *map, struct linux_entry *e,
		char *err)
{
	struct linux_boot_args a = {.kernel = k, .kernel_len = klen, .initrd = initrd,
				    .initrd_len = ilen, .cmdline = cmdline, .e820 = map,
				    .lowmem_top = LOW, .rsdp_gpa = 0xf0000};
	return linux_boot_load(&fm->gmem, &a, e, err, 128);
}

START_TEST(boot_params_and_tables)
{
	struct fakemem fm;
	ck_assert_int_eq(fakemem_init(&fm, LOW, 4ull << 30, 2u << 20), 0);
	size_t klen;
	uint8_t *k = make_bzimage(&klen, 0x020c, XLF_KERNEL_64); /* 2.12 is enough */
	memset(k + 0x268, 0xee, 0x400 - 0x268); /* past the header: not boot_params */
	struct e820_map map;
	ck_assert_int_eq(e820_build(&map, LOW, 0, 0xe0000000, 1 << 20), 0);
	uint8_t initrd[10000];
	memset(initrd, 0x3c, sizeof(initrd));
	struct linux_entry e;
	char err[128] = "";
	ck_assert_int_eq(load(&fm, k, klen, initrd, sizeof(initrd), NULL, &map, &e, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(e.rsp, BOOT_STACK_GPA);
	ck_assert_uint_eq(e.cr3, BOOT_PML4_GPA);
	ck_assert_uint_eq(e.gdt_gpa, BOOT_GDT_GPA);
	ck_assert_uint_eq(e.gdt_limit, 39);
	struct boot_params *bp = gmem_ptr(&fm.gmem, BOOT_PARAMS_GPA, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.version, 0x020c);
	ck_assert_uint_eq(bp->hdr.setup_sects, 3);
	ck_assert_uint_eq(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	ck_assert_uint_eq(bp->hdr.heap_end_ptr, 0xfe00);
	ck_assert_uint_eq(bp->hdr.vid_mode, 0xffff);
	ck_assert_uint_eq(bp->acpi_rsdp_addr, 0xf0000);
	/* no command line: an empty string, still pointed to */
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_GPA);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&fm.gmem, BOOT_CMDLINE_GPA, 1), 0);
	/* initrd at the highest page-aligned address below lowmem */
	ck_assert_uint_eq(bp->hdr.ramdisk_image, (LOW - sizeof(initrd)) & ~0xfffu);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, sizeof(initrd));
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	ck_assert_mem_eq(gmem_ptr(&fm.gmem, bp->hdr.ramdisk_image, sizeof(initrd)), initrd,
			 sizeof(initrd));
	/* every e820 entry, and nothing after them */
	ck_assert_uint_eq(bp->e820_entries, 4);
	for (unsigned i = 0; i < map.nr; i++) {
		ck_assert_uint_eq(bp->e820_table[i].addr, map.entry[i].addr);
		ck_assert_uint_eq(bp->e820_table[i].size, map.entry[i].size);
		ck_assert_uint_eq(bp->e820_table[i].type, map.entry[i].type);
	}
	ck_assert_uint_eq(bp->e820_table[4].addr, 0);
	ck_assert_uint_eq(bp->e820_table[4].type, 0);
	/* page tables: one PML4 entry, four PDPT entries, 2048 2 MiB identity pages */
	uint64_t *pml4 = gmem_ptr(&fm.gmem, BOOT_PML4_GPA, 4096);
	uint64_t *pdpt = gmem_ptr(&fm.gmem, BOOT_PDPT_GPA, 4096);
	ck_assert_uint_eq(pml4[0], BOOT_PDPT_GPA | 3);
	for (unsigned i = 1; i < 512; i++)
		ck_assert_uint_eq(pml4[i], 0);
	for (unsigned g = 0; g < 4; g++)
		ck_assert_uint_eq(pdpt[g], (BOOT_PD_GPA + g * 4096) | 3);
	ck_assert_uint_eq(pdpt[4], 0);
	const uint64_t probe[] = {0, 0x100000, 0x200000, 0x3fffffff, 0x40000000, 0xfee00000,
				  0xffffffff};
	for (unsigned i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		uint64_t va = probe[i];
		uint64_t l4 = pml4[(va >> 39) & 511];
		ck_assert_uint_eq(l4 & 1, 1);
		uint64_t *l3 = gmem_ptr(&fm.gmem, l4 & ~0xfffull, 4096);
		uint64_t l3e = l3[(va >> 30) & 511];
		ck_assert_uint_eq(l3e & 0x81, 0x01); /* present, not a 1 GiB page */
		uint64_t *l2 = gmem_ptr(&fm.gmem, l3e & ~0xfffull, 4096);
		uint64_t l2e = l2[(va >> 21) & 511];
		ck_assert_uint_eq(l2e & 0x83, 0x83); /* present, writable, 2 MiB */
		ck_assert_uint_eq((l2e & ~0x1fffffull) | (va & 0x1fffff), va);
	}
	/* GDT: null, null, 64-bit code, flat data, TSS */
	uint64_t *gdt = gmem_ptr(&fm.gmem, BOOT_GDT_GPA, 40);
	ck_assert_uint_eq(gdt[0], 0);
	ck_assert_uint_eq(gdt[1], 0);
	ck_assert_uint_eq(gdt[BOOT_SEL_CODE / 8], 0x00af9b000000ffffull);
	ck_assert_uint_eq(gdt[BOOT_SEL_DATA / 8], 0x00cf93000000ffffull);
	ck_assert_uint_eq(gdt[BOOT_SEL_TSS / 8], 0x008f8b000000ffffull);
	free(k);
	fakemem_fini(&fm);
}
END_TEST

START_TEST(initrd_placement_limits)
{
	struct fakemem fm;
	ck_assert_int_eq(fakemem_init(&fm, LOW, 4ull << 30, 2u << 20), 0);
	size_t klen;
	uint8_t *k = make_bzimage(&klen, 0x020f, XLF_KERNEL_64);
	struct e820_map map;
	e820_build(&map, LOW, 0, 0, 0);
	struct linux_entry e;
	char err[128];
	static uint8_t initrd[(1u << 20) + 1];
	memset(initrd, 0x77, sizeof(initrd));
	struct boot_params *bp = gmem_ptr(&fm.gmem, BOOT_PARAMS_GPA, sizeof(*bp));
	/* initrd_addr_max below lowmem is honoured */
	hdr(k)->initrd_addr_max = (32u << 20) - 1;
	ck_assert_int_eq(load(&fm, k, klen, initrd, 10000, "", &map, &e, err), 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, ((32u << 20) - 10000) & ~0xfffu);
	/* unless the kernel may take it anywhere (XLF_CAN_BE_LOADED_ABOVE_4G) */
	hdr(k)->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	ck_assert_int_eq(load(&fm, k, klen, initrd, 10000, "", &map, &e, err), 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, (LOW - 10000) & ~0xfffu);
	hdr(k)->xloadflags = XLF_KERNEL_64;
	/* exactly between the kernel's init_size (1 MiB + 8 MiB) and the limit */
	hdr(k)->initrd_addr_max = (10u << 20) - 1;
	ck_assert_int_eq(load(&fm, k, klen, initrd, 1u << 20, "", &map, &e, err), 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 9u << 20);
	/* one byte more would overlap the kernel */
	ck_assert_int_eq(load(&fm, k, klen, initrd, sizeof(initrd), "", &map, &e, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "initrd"));
	ck_assert_ptr_nonnull(strstr(err, "below 0xa00000"));
	/* an unaligned kernel end: rounding the initrd down must not reach into it */
	hdr(k)->init_size = (8u << 20) + 100;
	ck_assert_int_eq(load(&fm, k, klen, initrd, (1u << 20) - 200, "", &map, &e, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "above the kernel"));
	ck_assert_int_eq(load(&fm, k, klen, initrd, (1u << 20) - 4096, "", &map, &e, err), 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, (9u << 20) + 4096);
	free(k);
	fakemem_fini(&fm);
}
END_TEST

START_TEST(header_variants)
{
	struct fakemem fm;
	ck_assert_int_eq(fakemem_init(&fm, LOW, 4ull << 30, 2u << 20), 0);
	size_t klen;
	uint8_t *k = make_bzimage(&klen, 0x020f, XLF_KERNEL_64);
	struct e820_map map;
	e820_build(&map, LOW, 0, 0, 0);
	struct linux_entry e;
	char err[128];
	char line[66];
	/* a command line of exactly cmdline_size bytes fits, one more does not */
	memset(line, 'c', 64);
	line[64] = '\0';
	ck_assert_int_eq(load(&fm, k, klen, NULL, 0, line, &map, &e, err), 0);
	ck_assert_mem_eq(gmem_ptr(&fm.gmem, BOOT_CMDLINE_GPA, 65), line, 65);
	line[64] = 'c';
	line[65] = '\0';
	ck_assert_int_eq(load(&fm, k, klen, NULL, 0, line, &map, &e, err), -EINVAL);
	/* setup_sects 0 means 4: the protected-mode part starts at 5 * 512 */
	for (size_t i = 512; i < klen; i++)
		if (i < 0x1f1 || i >= 0x268)
			k[i] = (uint8_t)(i >> 9) ^ (uint8_t)(i * 13);
	hdr(k)->setup_sects = 0;
	ck_assert_int_eq(load(&fm, k, klen, NULL, 0, "", &map, &e, err), 0);
	ck_assert_mem_eq(gmem_ptr(&fm.gmem, BOOT_KERNEL_GPA, klen - 2560), k + 2560, klen - 2560);
	hdr(k)->setup_sects = 3;
	/* no boot flag; no LOADED_HIGH (a zImage) */
	hdr(k)->boot_flag = 0;
	ck_assert_int_eq(load(&fm, k, klen, NULL, 0, "", &map, &e, err), -EINVAL);
	hdr(k)->boot_flag = 0xaa55;
	hdr(k)->loadflags = 0;
	ck_assert_int_eq(load(&fm, k, klen, NULL, 0, "", &map, &e, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "zImage"));
	hdr(k)->loadflags = LOADED_HIGH;
	/* the file itself larger than memory (init_size small) */
	hdr(k)->init_size = 4096;
	struct linux_boot_args a = {.kernel = k, .kernel_len = klen, .cmdline = "", .e820 = &map,
				    .lowmem_top = BOOT_KERNEL_GPA + klen / 2};
	ck_assert_int_eq(linux_boot_load(&fm.gmem, &a, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too small"));
	/* setup_sects covering the whole file: no protected-mode part */
	hdr(k)->setup_sects = KSIZE / 512 - 1;
	ck_assert_int_eq(load(&fm, k, klen, NULL, 0, "", &map, &e, err), -EINVAL);
	free(k);
	fakemem_fini(&fm);
}
END_TEST

START_TEST(e820_exact)
{
	struct e820_map m;
	ck_assert_int_eq(e820_build(&m, 256ull << 20, 0, 0xe0000000, 0), 0);
	ck_assert_uint_eq(m.nr, 3);
	const uint64_t lo[3][3] = {{0, 0x9fc00, E820_RAM},
				   {0xe0000, 0x20000, E820_RESERVED},
				   {0x100000, (256ull << 20) - 0x100000, E820_RAM}};
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(m.entry[i].addr, lo[i][0]);
		ck_assert_uint_eq(m.entry[i].size, lo[i][1]);
		ck_assert_uint_eq(m.entry[i].type, lo[i][2]);
	}
	ck_assert_int_eq(e820_build(&m, 0xc0000000, 1ull << 30, 0xe0000000, 256 << 20), 0);
	ck_assert_uint_eq(m.nr, 5);
	ck_assert_uint_eq(m.entry[2].size, 0xc0000000 - 0x100000);
	ck_assert_uint_eq(m.entry[3].addr, 0xe0000000);
	ck_assert_uint_eq(m.entry[3].size, 256 << 20);
	ck_assert_uint_eq(m.entry[3].type, E820_RESERVED);
	ck_assert_uint_eq(m.entry[4].addr, 1ull << 32);
	ck_assert_uint_eq(m.entry[4].size, 1ull << 30);
	ck_assert_uint_eq(m.entry[4].type, E820_RAM);
	/* highmem without an ECAM window */
	ck_assert_int_eq(e820_build(&m, 0xc0000000, 1ull << 30, 0, 0), 0);
	ck_assert_uint_eq(m.nr, 4);
	ck_assert_uint_eq(m.entry[3].addr, 1ull << 32);
	/* no room for a kernel at 1 MiB */
	ck_assert_int_eq(e820_build(&m, 0x100000, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(e820_build(&m, 0x101000, 0, 0, 0), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("linux_boot");
	TCase *tc = tcase_create("bzImage");
	tcase_add_test(tc, loads_everything);
	tcase_add_test(tc, rejects_bad_images);
	tcase_add_test(tc, e820);
	tcase_add_test(tc, boot_params_and_tables);
	tcase_add_test(tc, initrd_placement_limits);
	tcase_add_test(tc, header_variants);
	tcase_add_test(tc, e820_exact);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
