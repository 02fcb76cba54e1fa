// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/linux_boot.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MIN_PROTOCOL 0x0206 /* cmdline_size, 64-bit entry needs 2.12 below */
#define PROTOCOL_64BIT 0x020c
#define LOADER_TYPE_UNKNOWN 0xff
#define PAGE_2M (2ull << 20)
#define GIB (1ull << 30)
#define BIOS_AREA_GPA 0xe0000ull
#define PTE_PRESENT 0x1
#define PTE_RW 0x2
#define PTE_PS 0x80

int e820_build(struct e820_map *map, uint64_t lowmem, uint64_t highmem, uint64_t ecam_base,
	       uint64_t ecam_size)
{
	memset(map, 0, sizeof(*map));
	if (lowmem <= BOOT_KERNEL_GPA)
		return -EINVAL;
#define ADD(a, s, t)                                                                               \
	do {                                                                                       \
		map->entry[map->nr].addr = (a);                                                    \
		map->entry[map->nr].size = (s);                                                    \
		map->entry[map->nr].type = (t);                                                    \
		map->nr++;                                                                         \
	} while (0)
	ADD(0, BOOT_EBDA_GPA, E820_RAM);
	ADD(BIOS_AREA_GPA, BOOT_KERNEL_GPA - BIOS_AREA_GPA, E820_RESERVED);
	ADD(BOOT_KERNEL_GPA, lowmem - BOOT_KERNEL_GPA, E820_RAM);
	if (ecam_size)
		ADD(ecam_base, ecam_size, E820_RESERVED);
	if (highmem)
		ADD(4 * GIB, highmem, E820_RAM);
#undef ADD
	return 0;
}

static void put_pte(const struct gmem *m, uint64_t gpa, uint64_t val)
{
	gmem_write(m, gpa, &val, sizeof(val));
}

/* Identity-map the first 4 GiB with 2 MiB pages: enough for the boot protocol's needs. */
static int build_page_tables(const struct gmem *m)
{
	if (gmem_ptr(m, BOOT_PML4_GPA, BOOT_PD_GPA + 4 * 4096 - BOOT_PML4_GPA) == NULL)
		return -ENOSPC;
	memset(gmem_ptr(m, BOOT_PML4_GPA, 4096), 0, 4096);
	memset(gmem_ptr(m, BOOT_PDPT_GPA, 4096), 0, 4096);
	put_pte(m, BOOT_PML4_GPA, BOOT_PDPT_GPA | PTE_PRESENT | PTE_RW);
	for (uint64_t g = 0; g < 4; g++) {
		uint64_t pd = BOOT_PD_GPA + g * 4096;
		put_pte(m, BOOT_PDPT_GPA + g * 8, pd | PTE_PRESENT | PTE_RW);
		for (uint64_t i = 0; i < 512; i++)
			put_pte(m, pd + i * 8,
				(g * GIB + i * PAGE_2M) | PTE_PRESENT | PTE_RW | PTE_PS);
	}
	return 0;
}

static int build_gdt(const struct gmem *m)
{
	/* null, null, 64-bit code (__BOOT_CS), data (__BOOT_DS), 32-bit TSS */
	const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffull,
		0x00cf93000000ffffull,
		0x008f8b000000ffffull,
	};
	return gmem_write(m, BOOT_GDT_GPA, gdt, sizeof(gdt)) ? -ENOSPC : 0;
}

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/*
 * The setup header of an ELF vmlinux, which carries none: what the kernel reads of it
 * when entered at startup_64.
 */
static void vmlinux_setup_header(struct setup_header *h)
{
	memset(h, 0, sizeof(*h));
	h->boot_flag = 0xaa55;
	h->header = BZIMAGE_HDRS_MAGIC;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->kernel_alignment = (uint32_t)PAGE_2M;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 2047; /* x86's COMMAND_LINE_SIZE, less its NUL */
	h->initrd_addr_max = 0x7fffffff;
}

/*
 * A bzImage: its header checked and copied into bp; unless its kernel is already in guest
 * memory (a->vmlinux), its protected-mode code loaded at 1 MiB. *kernel_end: the first
 * byte the kernel does not need.
 */
static int load_bzimage(const struct gmem *m, const struct linux_boot_args *a,
			struct boot_params *bp, uint64_t *kernel_end, char *err, size_t errlen)
{
	struct setup_header h;
	const struct setup_header *fh = &h;
	size_t setup_len;
	int rc = bzimage_setup(a->kernel, a->kernel_len, &h, &setup_len, err, errlen);
	if (rc < 0)
		return rc;
	if (fh->version < PROTOCOL_64BIT || !(fh->xloadflags & XLF_KERNEL_64))
		return ERR("kernel boot protocol %u.%02u has no 64-bit entry point",
			   fh->version >> 8, fh->version & 0xff);
	if (!(fh->loadflags & LOADED_HIGH))
		return ERR("zImage kernels are not supported");

	/* The setup header runs from 0x1f1 to 0x202 + the jump's displacement byte. */
	size_t hdr_end = 0x202 + a->kernel[0x201];
	if (hdr_end > sizeof(struct boot_params) || hdr_end > a->kernel_len)
		return ERR("corrupt bzImage setup header");
	size_t pm_len = a->kernel_len - setup_len;
	if (a->vmlinux) {
		/* already in guest memory, unpacked: nothing of the bzImage's code is needed */
		*kernel_end = a->vmlinux->end;
	} else {
		uint64_t need = fh->init_size > pm_len ? fh->init_size : pm_len;
		if (BOOT_KERNEL_GPA + need > a->lowmem_top)
			return ERR("guest memory too small for the kernel (%llu bytes needed)",
				   (unsigned long long)(BOOT_KERNEL_GPA + need));
		if (gmem_write(m, BOOT_KERNEL_GPA, a->kernel + setup_len, pm_len))
			return ERR("kernel does not fit in guest memory");
		*kernel_end = BOOT_KERNEL_GPA + need;
	}
	memcpy((uint8_t *)bp + BZIMAGE_HDR_OFF, a->kernel + BZIMAGE_HDR_OFF,
	       hdr_end - BZIMAGE_HDR_OFF);
	return 0;
}

int linux_boot_load(const struct gmem *m, const struct linux_boot_args *a, struct linux_entry *out,
		    char *err, size_t errlen)
{
	struct boot_params bp;
	uint64_t kernel_end;
	memset(&bp, 0, sizeof(bp));
	if (a->vmlinux && vmlinux_is_elf(a->kernel, a->kernel_len)) {
		vmlinux_setup_header(&bp.hdr);
		kernel_end = a->vmlinux->end;
	} else {
		int rc = load_bzimage(m, a, &bp, &kernel_end, err, errlen);
		if (rc < 0)
			return rc;
	}
	const struct setup_header *fh = &bp.hdr;
	bp.hdr.type_of_loader = LOADER_TYPE_UNKNOWN;
	bp.hdr.loadflags |= CAN_USE_HEAP;
	bp.hdr.loadflags &= (uint8_t)~KEEP_SEGMENTS;
	bp.hdr.heap_end_ptr = 0xfe00;
	bp.hdr.vid_mode = 0xffff; /* "normal" */

	size_t clen = a->cmdline ? strlen(a->cmdline) : 0;
	uint32_t cmax = fh->cmdline_size ? fh->cmdline_size : 255;
	if (clen > cmax || clen >= BOOT_CMDLINE_MAX)
		return ERR("kernel command line too long (%zu bytes, the kernel takes %u)", clen,
			   cmax);
	if (gmem_write(m, BOOT_CMDLINE_GPA, a->cmdline ? a->cmdline : "", clen) ||
	    gmem_write(m, BOOT_CMDLINE_GPA + clen, "", 1))
		return -ENOSPC;
	bp.hdr.cmd_line_ptr = BOOT_CMDLINE_GPA;

	if (a->initrd && a->initrd_len) {
		uint64_t max = fh->initrd_addr_max ? (uint64_t)fh->initrd_addr_max + 1 : 0x38000000;
		if (fh->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)
			max = a->lowmem_top;
		if (max > a->lowmem_top)
			max = a->lowmem_top;
		if (a->initrd_len > max || max - a->initrd_len < kernel_end)
			return ERR("initrd (%zu bytes) does not fit in guest memory below %#llx",
				   a->initrd_len, (unsigned long long)max);
		uint64_t at = (max - a->initrd_len) & ~0xfffull;
		if (at < kernel_end)
			return ERR("initrd (%zu bytes) does not fit above the kernel",
				   a->initrd_len);
		if (gmem_write(m, at, a->initrd, a->initrd_len))
			return -ENOSPC;
		bp.hdr.ramdisk_image = (uint32_t)at;
		bp.hdr.ramdisk_size = (uint32_t)a->initrd_len;
		bp.ext_ramdisk_image = (uint32_t)(at >> 32);
		bp.ext_ramdisk_size = (uint32_t)((uint64_t)a->initrd_len >> 32);
	}

	if (a->e820->nr > E820_MAX_ENTRIES_ZEROPAGE)
		return -E2BIG;
	for (unsigned i = 0; i < a->e820->nr; i++) {
		bp.e820_table[i].addr = a->e820->entry[i].addr;
		bp.e820_table[i].size = a->e820->entry[i].size;
		bp.e820_table[i].type = a->e820->entry[i].type;
	}
	bp.e820_entries = (uint8_t)a->e820->nr;
	bp.acpi_rsdp_addr = a->rsdp_gpa;
	if (gmem_write(m, BOOT_PARAMS_GPA, &bp, sizeof(bp)))
		return -ENOSPC;

	int rc = build_page_tables(m);
	if (rc == 0)
		rc = build_gdt(m);
	if (rc)
		return rc;
	*out = (struct linux_entry){
		/* startup_64: the bzImage's (its decompressor), or the kernel's own */
		.rip = a->vmlinux ? a->vmlinux->entry : BOOT_KERNEL_GPA + 0x200,
		.rsi = BOOT_PARAMS_GPA,
		.rsp = BOOT_STACK_GPA,
		.cr3 = BOOT_PML4_GPA,
		.gdt_gpa = BOOT_GDT_GPA,
		.gdt_limit = 5 * 8 - 1,
	};
	return 0;
}
