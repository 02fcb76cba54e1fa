// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/smbios.h"

#include <ctype.h>
#include <errno.h>
#include <md5.h>
#include <stdlib.h>
#include <string.h>

#include "khyve/acpi.h"

#define EP3_LEN 0x18
#define TYPE0_LEN 0x18
#define TYPE1_LEN 0x1b
#define BIOS_CHAR_NOT_SUPPORTED (1ull << 3)
#define BIOS_EXT2_VM (1u << 4) /* characteristics extension byte 2: virtual machine */

int smbios_parse_uuid(const char *s, uint8_t out[16])
{
	static const int dash_at[] = {8, 13, 18, 23};
	if (strlen(s) != 36)
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++)
		if (s[dash_at[i]] != '-')
			return -EINVAL;
	unsigned n = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '-')
			continue;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -EINVAL;
		char hex[3] = {p[0], p[1], 0};
		out[n++] = (uint8_t)strtoul(hex, NULL, 16);
		p++;
	}
	return n == 16 ? 0 : -EINVAL;
}

void smbios_default_uuid(const char *vmname, const char *hostname, uint8_t out[16])
{
	char host[256] = {0};
	MD5_CTX ctx;
	strncpy(host, hostname, sizeof(host) - 1);
	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)vmname, strlen(vmname));
	MD5Update(&ctx, (const uint8_t *)host, sizeof(host));
	MD5Final(out, &ctx);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x30); /* version 3: name-based, MD5 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

struct sbuf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct sbuf *b, const void *src, size_t n)
{
	if (b->len + n <= b->cap)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

/* A structure's string set: each string NUL-terminated, then one more NUL. */
static void put_strings(struct sbuf *b, const char *const *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put(b, s[i], strlen(s[i]) + 1);
	put(b, "", 1);
	if (n == 0)
		put(b, "", 1);
}

long smbios_build(const struct smbios_info *info, uint8_t *buf, size_t len, uint64_t gpa)
{
	struct sbuf b = {.p = buf, .cap = len};
	uint8_t ep[EP3_LEN] = {'_', 'S', 'M', '3', '_'};
	put(&b, ep, sizeof(ep)); /* filled in below */
	size_t table = b.len;

	uint8_t t0[TYPE0_LEN] = {0, TYPE0_LEN, 0, 0, 1, 2};
	t0[6] = 0x00; /* BIOS starting segment 0xF000 */
	t0[7] = 0xf0;
	t0[8] = 3; /* release date string */
	uint64_t chars = BIOS_CHAR_NOT_SUPPORTED;
	memcpy(&t0[10], &chars, sizeof(chars));
	t0[19] = BIOS_EXT2_VM;
	t0[20] = 1; /* BIOS release 1.0 */
	t0[22] = t0[23] = 0xff; /* no embedded controller */
	put(&b, t0, sizeof(t0));
	const char *s0[] = {"khyve", "1.0", "11/25/2026"};
	put_strings(&b, s0, 3);

	uint8_t t1[TYPE1_LEN] = {1, TYPE1_LEN, 1, 0, 1, 2, 3, 4};
	/* SMBIOS 2.6+: the first three UUID fields are stored little-endian. */
	const uint8_t *u = info->uuid;
	const uint8_t le[16] = {u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6],
				u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]};
	memcpy(&t1[8], le, 16);
	t1[24] = 6; /* wake-up type: power switch */
	put(&b, t1, sizeof(t1));
	const char *s1[] = {info->manufacturer ? info->manufacturer : "khyve",
			    info->product ? info->product : "khyve",
			    info->version ? info->version : "1.0",
			    info->serial ? info->serial : "None"};
	put_strings(&b, s1, 4);

	const uint8_t t127[4] = {127, 4, 2, 0};
	put(&b, t127, sizeof(t127));
	put_strings(&b, NULL, 0);

	if (b.len > b.cap)
		return -ENOSPC;
	uint32_t table_len = (uint32_t)(b.len - table);
	uint64_t table_gpa = gpa + table;
	buf[6] = EP3_LEN;
	buf[7] = 3; /* SMBIOS 3.0 */
	buf[8] = 0;
	buf[9] = 0;
	buf[10] = 1; /* entry point revision */
	memcpy(&buf[12], &table_len, 4);
	memcpy(&buf[16], &table_gpa, 8);
	buf[5] = 0;
	buf[5] = acpi_checksum(buf, EP3_LEN);
	return (long)b.len;
}
