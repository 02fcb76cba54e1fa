/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMBIOS 3.0 tables (DSP0134): BIOS information (type 0), system
 * information with the VM's UUID (type 1), end of table (type 127).
 * Guests read the UUID as /sys/class/dmi/id/product_uuid.
 */
#ifndef KHYVE_SMBIOS_H
#define KHYVE_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#define SMBIOS_GPA 0xf0000ull /* guests scan 0xF0000-0xFFFFF for the entry point */
#define SMBIOS_MAX_SIZE 0x1000

struct smbios_info {
	uint8_t uuid[16]; /* RFC 4122 byte order, as printed */
	const char *manufacturer, *product, *version, *serial;
};

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, either case). 0 or -EINVAL. */
int smbios_parse_uuid(const char *s, uint8_t out[16]);
/* bhyve's default: an MD5 over the VM name and the host name, made a version-3 UUID. */
void smbios_default_uuid(const char *vmname, const char *hostname, uint8_t out[16]);
/* Build entry point + structures into buf placed at gpa; bytes used or -ENOSPC. */
long smbios_build(const struct smbios_info *info, uint8_t *buf, size_t len, uint64_t gpa);

#endif
