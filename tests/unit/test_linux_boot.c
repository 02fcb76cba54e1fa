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

static Suite *suite(void)
{
	Suite *s = suite_create("linux_boot");
	TCase *tc = tcase_create("bzImage");
	tcase_add_test(tc, loads_everything);
	tcase_add_test(tc, rejects_bad_images);
	tcase_add_test(tc, e820);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
