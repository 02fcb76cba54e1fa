// SPDX-License-Identifier: BSD-2-Clause
/* read_whole_file: a regular file whole; directories, FIFOs, missing and too large files refused.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/readfile.h"

static char dir[] = "/tmp/khyve-readfile-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/khyve-readfile-XXXXXX");
}

static const char *at(const char *name)
{
	static char p[80];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void put(const char *name, size_t n)
{
	FILE *f = fopen(at(name), "w");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(i * 7 & 0xff), f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(whole)
{
	put("f", 100000);
	uint8_t *b = NULL;
	size_t n = 0;
	ck_assert_int_eq(read_whole_file(at("f"), 100000, &b, &n), 0);
	ck_assert_uint_eq(n, 100000);
	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)(i * 7))
			ck_abort_msg("byte %zu", i);
	free(b);
	put("empty", 0);
	ck_assert_int_eq(read_whole_file(at("empty"), 0, &b, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(b);
}
END_TEST

START_TEST(refused)
{
	uint8_t *b = (uint8_t *)1;
	size_t n = 7;
	put("f", 4097);
	ck_assert_int_eq(read_whole_file(at("f"), 4096, &b, &n), -EFBIG);
	ck_assert_int_eq(read_whole_file(at("none"), 4096, &b, &n), -ENOENT);
	ck_assert_int_eq(read_whole_file(dir, 4096, &b, &n), -EINVAL);
	/* A FIFO without a writer: refused at once, not waited on. */
	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	ck_assert_int_eq(read_whole_file(at("fifo"), 4096, &b, &n), -EINVAL);
	ck_assert_ptr_eq(b, (uint8_t *)1); /* nothing handed out */
	ck_assert_uint_eq(n, 7);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("readfile");
	TCase *t = tcase_create("readfile");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, whole);
	tcase_add_test(t, refused);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
