/* SPDX-License-Identifier: BSD-2-Clause */
/* One hexadecimal digit (either case): its value, or -1 for any other character. */
#ifndef KHYVE_HEX_H
#define KHYVE_HEX_H

static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
