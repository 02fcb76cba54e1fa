// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/config.h"

static int collect(const char *name, const char *value, void *arg)
{
	char *buf = arg;
	strcat(buf, name);
	strcat(buf, value ? "=v " : " ");
	return 0;
}

START_TEST(keys_and_values)
{
	struct config *c = config_new();
	ck_assert_int_eq(config_set(c, "pci.0.3.0.device", "lpc"), 0);
	ck_assert_int_eq(config_set(c, "pci.0.3.0.path", "/a b,c=d"), 0);
	ck_assert_str_eq(config_get(c, "pci.0.3.0.path"), "/a b,c=d");
	ck_assert_ptr_null(config_get(c, "pci.0.3"));   /* a parent has no value */
	ck_assert_ptr_null(config_get(c, "pci.0.4.0")); /* absent */
	ck_assert_int_eq(config_set(c, "pci.0.3", "x"), -EEXIST);
	ck_assert_int_eq(config_set(c, "pci.0.3.0.device.sub", "x"), -EEXIST);
	ck_assert_int_eq(config_set(c, "a..b", "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, ".a", "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, "", "x"), -EINVAL);
	ck_assert_int_eq(config_set_default(c, "pci.0.3.0.device", "other"), 0);
	ck_assert_str_eq(config_get(c, "pci.0.3.0.device"), "lpc");
	ck_assert_int_eq(config_set(c, "pci.0.3.0.device", "hostbridge"), 0);
	ck_assert_str_eq(config_get(c, "pci.0.3.0.device"), "hostbridge");
	char buf[128] = "";
	config_set(c, "pci.0.1.0.device", "x");
	ck_assert_int_eq(config_foreach_child(c, "pci.0", collect, buf), 0);
	ck_assert_str_eq(buf, "3 1 "); /* insertion order */
	buf[0] = '\0';
	config_foreach_child(c, "pci.0.3.0", collect, buf);
	ck_assert_str_eq(buf, "device=v path=v ");
	ck_assert_int_eq(config_unset(c, "pci.0.3.0.path"), 0);
	ck_assert_ptr_null(config_get(c, "pci.0.3.0.path"));
	config_free(c);
}
END_TEST

START_TEST(typed_values)
{
	struct config *c = config_new();
	bool b;
	uint64_t n;
	const char *yes[] = {"true", "on", "YES", "1"}, *no[] = {"false", "Off", "no", "0"};
	for (int i = 0; i < 4; i++) {
		config_set(c, "k", yes[i]);
		ck_assert_int_eq(config_get_bool(c, "k", false, &b), 0);
		ck_assert(b);
		config_set(c, "k", no[i]);
		ck_assert_int_eq(config_get_bool(c, "k", true, &b), 0);
		ck_assert(!b);
	}
	config_set(c, "k", "maybe");
	ck_assert_int_eq(config_get_bool(c, "k", true, &b), -EINVAL);
	ck_assert_int_eq(config_get_bool(c, "unset", true, &b), 0);
	ck_assert(b);
	config_set(c, "n", "0x10");
	ck_assert_int_eq(config_get_u64(c, "n", 0, &n), 0);
	ck_assert_uint_eq(n, 16);
	config_set(c, "n", "12abc");
	ck_assert_int_eq(config_get_u64(c, "n", 0, &n), -EINVAL);
	config_set(c, "n", "-1");
	ck_assert_int_eq(config_get_u64(c, "n", 0, &n), -EINVAL);
	config_set(c, "n", "99999999999999999999999");
	ck_assert_int_eq(config_get_u64(c, "n", 0, &n), -ERANGE);
	config_free(c);
}
END_TEST

START_TEST(files_and_dump)
{
	char path[] = "/tmp/khyve-cfg-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# a comment\n\n  name = vm1\nboot.cmdline=console=ttyS0 a=b\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct config *c = config_new();
	char err[256] = "";
	ck_assert_int_eq(config_load_file(c, path, err, sizeof(err)), 0);
	ck_assert_str_eq(config_get(c, "name"), " vm1");
	ck_assert_str_eq(config_get(c, "boot.cmdline"), "console=ttyS0 a=b");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	config_dump(c, f);
	fclose(f);
	ck_assert_str_eq(out, "name= vm1\nboot.cmdline=console=ttyS0 a=b\n");
	free(out);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "ok=1\nnot a pair\n", 16), 16);
	close(fd);
	ck_assert_int_eq(config_load_file(c, path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":2:"));
	unlink(path);
	ck_assert_int_eq(config_load_file(c, path, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, path));
	config_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("tree");
	tcase_add_test(tc, keys_and_values);
	tcase_add_test(tc, typed_values);
	tcase_add_test(tc, files_and_dump);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
