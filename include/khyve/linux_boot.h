/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux direct boot through the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): bzImage, initrd, command line,
 * boot_params with the e820 map, identity page tables and a flat GDT.
 */
#ifndef KHYVE_LINUX_BOOT_H
#define KHYVE_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "khyve/gmem.h"
#include "khyve/vmlinux.h"

/* Low guest-physical layout used while booting (all below 1 MiB). */
#define BOOT_GDT_GPA 0x500
#define BOOT_IDT_GPA 0x520
#define BOOT_PARAMS_GPA 0x7000
#define BOOT_STACK_GPA 0x8ff0
#define BOOT_PML4_GPA 0x9000
#define BOOT_PDPT_GPA 0xa000
#define BOOT_PD_GPA 0xb000 /* four pages: 0xb000-0xefff map 4 GiB with 2 MiB pages */
#define BOOT_CMDLINE_GPA 0x20000
#define BOOT_CMDLINE_MAX 0x10000
#define BOOT_EBDA_GPA 0x9fc00
#define BOOT_KERNEL_GPA 0x100000

#define BOOT_SEL_CODE 0x10 /* __BOOT_CS */
#define BOOT_SEL_DATA 0x18 /* __BOOT_DS */
#define BOOT_SEL_TSS 0x20

#define E820_RAM 1
#define E820_RESERVED 2

struct e820_map {
	struct {
		uint64_t addr, size;
		uint32_t type;
	} entry[16];
	unsigned nr;
};

/* The e820 map of a khyve VM: low RAM, BIOS area, ECAM hole, high RAM. */
int e820_build(struct e820_map *map, uint64_t lowmem, uint64_t highmem, uint64_t ecam_base,
	       uint64_t ecam_size);

struct linux_boot_args {
	const uint8_t *kernel; /* the bzImage file contents */
	size_t kernel_len;
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_len;
	const char *cmdline; /* may be NULL */
	const struct e820_map *e820;
	uint64_t lowmem_top; /* end of RAM below 4 GiB */
	uint64_t rsdp_gpa;   /* 0 = none */
	/* The bzImage's kernel, unpacked and already in guest memory (boot.kernel_cache),
	 * or NULL: the bzImage's own code is loaded and unpacks it. */
	const struct vmlinux *vmlinux;
};

/* Where the boot CPU starts: 64-bit mode, rip/rsi as the protocol requires. */
struct linux_entry {
	uint64_t rip, rsi, rsp, cr3;
	uint64_t gdt_gpa;
	uint16_t gdt_limit;
};

/*
 * Validate the bzImage, copy kernel, initrd, command line, boot_params,
 * GDT and page tables into guest memory. On error returns -EINVAL/-E2BIG/
 * -ENOSPC and writes a message (without the file name) into err.
 */
int linux_boot_load(const struct gmem *m, const struct linux_boot_args *a, struct linux_entry *out,
		    char *err, size_t errlen);

#endif
