// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/config.h"

/* Children of a node as "name=v name ..." (=v for a value, bare for a parent). */
struct visit {
	char buf[512];
	int stop_after; /* 0: never */
	int seen;
};

static int collect(const char *name, const char *value, void *arg)
{
	struct visit *v = arg;
	size_t len = strlen(v->buf);
	snprintf(v->buf + len, sizeof(v->buf) - len, "%s%s ", name, value ? "=v" : "");
	if (++v->seen == v->stop_after)
		return 7;
	return 0;
}

static char *children(const struct config *c, const char *node)
{
	static struct visit v;
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(config_foreach_child(c, node, collect, &v), 0);
	return v.buf;
}

static char *dump_str(const struct config *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	config_dump(c, f);
	fclose(f);
	return out;
}

START_TEST(keys_and_values)
{
	struct config *c = config_new();
	ck_assert_int_eq(config_set(c, "pci.0.3.0.device", "lpc"), 0);
	ck_assert_int_eq(config_set(c, "pci.0.3.0.path", "/a b,c=d"), 0);
	ck_assert_str_eq(config_get(c, "pci.0.3.0.path"), "/a b,c=d");
	ck_assert_str_eq(config_get(c, "pci.0.3.0.device"), "lpc");
	ck_assert_str_eq(config_get_at(c, "pci.0.3.0", "path"), "/a b,c=d"); /* node.name */
	ck_assert_ptr_null(config_get_at(c, "pci.0.3.0", "ser"));
	ck_assert_ptr_null(config_get(c, "pci.0.3"));	/* a parent has no value */
	ck_assert_ptr_null(config_get(c, "pci.0.4.0"));	/* absent */
	ck_assert_ptr_null(config_get(c, "pci.0.3.0.device.x")); /* below a leaf */
	ck_assert_ptr_null(config_get(c, "pci"));
	ck_assert_ptr_null(config_get(c, ""));
	ck_assert_ptr_null(config_get(c, NULL));
	/* a key is a leaf or a parent, never both */
	ck_assert_int_eq(config_set(c, "pci.0.3", "x"), -EEXIST);
	ck_assert_int_eq(config_set(c, "pci.0.3.0.device.sub", "x"), -EEXIST);
	ck_assert_str_eq(config_get(c, "pci.0.3.0.device"), "lpc");
	/* empty components */
	ck_assert_int_eq(config_set(c, "a..b", "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, ".a", "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, "a.", "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, ".", "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, "", "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, NULL, "x"), -EINVAL);
	ck_assert_int_eq(config_set(c, "k", NULL), -EINVAL);
	ck_assert_ptr_null(config_get(c, "a")); /* a bad key creates nothing */
	/* values are copied; empty values are values */
	char v[] = "abc";
	ck_assert_int_eq(config_set(c, "copy", v), 0);
	v[0] = 'X';
	ck_assert_str_eq(config_get(c, "copy"), "abc");
	ck_assert_int_eq(config_set(c, "empty", ""), 0);
	ck_assert_str_eq(config_get(c, "empty"), "");
	/* set_default only fills a hole */
	ck_assert_int_eq(config_set_default(c, "pci.0.3.0.device", "other"), 0);
	ck_assert_str_eq(config_get(c, "pci.0.3.0.device"), "lpc");
	ck_assert_int_eq(config_set_default(c, "new.key", "d"), 0);
	ck_assert_str_eq(config_get(c, "new.key"), "d");
	ck_assert_int_eq(config_set_default(c, "pci.0.3", "x"), -EEXIST);
	ck_assert_int_eq(config_set(c, "pci.0.3.0.device", "hostbridge"), 0);
	ck_assert_str_eq(config_get(c, "pci.0.3.0.device"), "hostbridge");
	config_free(c);
	config_free(NULL);
}
END_TEST

START_TEST(unset_prunes)
{
	struct config *c = config_new();
	config_set(c, "a.b.c", "1");
	config_set(c, "a.x", "2");
	ck_assert_int_eq(config_unset(c, "a.b"), -ENOENT); /* a parent */
	ck_assert_int_eq(config_unset(c, "a.b.c.d"), -ENOENT);
	ck_assert_int_eq(config_unset(c, "nope"), -ENOENT);
	ck_assert_int_eq(config_unset(c, "a..b"), -EINVAL);
	ck_assert_int_eq(config_unset(c, "a.b.c"), 0);
	ck_assert_ptr_null(config_get(c, "a.b.c"));
	ck_assert_str_eq(children(c, "a"), "x=v "); /* the emptied "b" is gone */
	/* the pruned place can become a leaf */
	ck_assert_int_eq(config_set(c, "a.b", "leaf"), 0);
	ck_assert_int_eq(config_unset(c, "a.x"), 0);
	ck_assert_int_eq(config_unset(c, "a.b"), 0);
	ck_assert_str_eq(children(c, NULL), "");
	char *d = dump_str(c);
	ck_assert_str_eq(d, "");
	free(d);
	ck_assert_int_eq(config_set(c, "a", "now a leaf"), 0);
	ck_assert_str_eq(config_get(c, "a"), "now a leaf");
	config_free(c);
}
END_TEST

START_TEST(order_and_visits)
{
	struct config *c = config_new();
	config_set(c, "pci.0.3.0.device", "x");
	config_set(c, "pci.0.1.0.device", "y");
	config_set(c, "memory.size", "1G");
	config_set(c, "name", "vm");
	config_set(c, "memory.wired", "true");
	ck_assert_str_eq(children(c, "pci.0"), "3 1 "); /* insertion order */
	ck_assert_str_eq(children(c, NULL), "pci memory name=v ");
	ck_assert_str_eq(children(c, ""), "pci memory name=v ");
	ck_assert_str_eq(children(c, "memory"), "size=v wired=v ");
	ck_assert_str_eq(children(c, "absent.node"), "");
	ck_assert_str_eq(children(c, "name"), ""); /* a leaf has no children */
	ck_assert_int_eq(config_foreach_child(c, "a..b", collect, &(struct visit){0}), -EINVAL);
	/* setting a key again moves it last among its siblings, as bhyve's tree */
	config_set(c, "memory.size", "2G");
	ck_assert_str_eq(children(c, "memory"), "wired=v size=v ");
	config_set(c, "pci.0.3.0.device", "z");
	ck_assert_str_eq(children(c, "pci.0"), "3 1 "); /* the parents stay */
	config_set_default(c, "memory.wired", "false"); /* no change, no move */
	ck_assert_str_eq(children(c, "memory"), "wired=v size=v ");
	/* a non-zero return stops the walk and is returned */
	struct visit v = {.stop_after = 2};
	ck_assert_int_eq(config_foreach_child(c, NULL, collect, &v), 7);
	ck_assert_str_eq(v.buf, "pci memory ");
	char *d = dump_str(c);
	ck_assert_str_eq(d, "pci.0.3.0.device=z\n"
			    "pci.0.1.0.device=y\n"
			    "memory.wired=true\n"
			    "memory.size=2G\n"
			    "name=vm\n");
	free(d);
	config_free(c);
}
END_TEST

START_TEST(dump_long_keys)
{
	struct config *c = config_new();
	char key[3000] = "";
	for (int i = 0; i < 500; i++)
		strcat(key, i ? ".ab" : "ab");
	ck_assert_int_eq(config_set(c, key, "v=w x"), 0);
	char *d = dump_str(c);
	ck_assert_uint_eq(strlen(d), strlen(key) + strlen("=v=w x\n"));
	ck_assert_int_eq(strncmp(d, key, strlen(key)), 0);
	ck_assert_str_eq(d + strlen(key), "=v=w x\n");
	free(d);
	config_free(c);
}
END_TEST

START_TEST(booleans)
{
	struct config *c = config_new();
	bool b;
	const char *yes[] = {"true", "on", "YES", "1", "True", "ON"};
	const char *no[] = {"false", "Off", "no", "0", "FALSE", "NO"};
	for (unsigned i = 0; i < 6; i++) {
		config_set(c, "k", yes[i]);
		b = false;
		ck_assert_int_eq(config_get_bool(c, "k", false, &b), 0);
		ck_assert(b);
		config_set(c, "k", no[i]);
		ck_assert_int_eq(config_get_bool(c, "k", true, &b), 0);
		ck_assert(!b);
	}
	const char *bad[] = {"maybe", "", "2", "01", "truee", " true", "y"};
	for (unsigned i = 0; i < 7; i++) {
		config_set(c, "k", bad[i]);
		ck_assert_int_eq(config_get_bool(c, "k", true, &b), -EINVAL);
		ck_assert_int_eq(config_parse_bool(bad[i], &b), -EINVAL);
	}
	ck_assert_int_eq(config_parse_bool(NULL, &b), -EINVAL);
	ck_assert_int_eq(config_get_bool(c, "unset", true, &b), 0);
	ck_assert(b);
	ck_assert_int_eq(config_get_bool(c, "unset", false, &b), 0);
	ck_assert(!b);
	config_free(c);
}
END_TEST

START_TEST(numbers)
{
	struct config *c = config_new();
	uint64_t n;
	const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
		{"0", 0, 0},
		{"42", 0, 42},
		{"0x10", 0, 16},
		{"0X1f", 0, 31},
		{"010", 0, 8}, /* C prefixes, as bhyve's strtoul(…, 0) */
		{"18446744073709551615", 0, UINT64_MAX},
		{"18446744073709551616", -ERANGE, 0},
		{"99999999999999999999999", -ERANGE, 0},
		{"12abc", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"+1", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1 ", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"0x", -EINVAL, 0},
		{"08", -EINVAL, 0},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_set(c, "n", cases[i].s);
		n = 12345;
		ck_assert_msg(config_get_u64(c, "n", 0, &n) == cases[i].rc, "'%s'", cases[i].s);
		if (cases[i].rc == 0)
			ck_assert_uint_eq(n, cases[i].v);
	}
	ck_assert_int_eq(config_get_u64(c, "unset", 77, &n), 0);
	ck_assert_uint_eq(n, 77);
	config_free(c);
}
END_TEST

static char *write_temp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/khyve-cfg-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(load_file)
{
	const char *text = "# a comment\n"
			   "\n"
			   "   \t\n"
			   "  # an indented comment\n"
			   "  name = vm1  \n"
			   "boot.cmdline=console=ttyS0 a=b\n"
			   "memory.size=1G\r\n"
			   "pci.0.3.0.device=lpc";
	char *path = write_temp(text);
	struct config *c = config_new();
	config_set(c, "memory.size", "256M");
	char err[256] = "";
	ck_assert_int_eq(config_load_file(c, path, err, sizeof(err)), 0);
	ck_assert_str_eq(config_get(c, "name"), "vm1");
	ck_assert_str_eq(config_get(c, "boot.cmdline"), "console=ttyS0 a=b");
	ck_assert_str_eq(config_get(c, "memory.size"), "1G"); /* CR dropped, later wins */
	ck_assert_str_eq(config_get(c, "pci.0.3.0.device"), "lpc"); /* no final newline */
	char *d = dump_str(c);
	/* memory.size moved last within "memory", which keeps its place */
	ck_assert_str_eq(d, "memory.size=1G\n"
			    "name=vm1\n"
			    "boot.cmdline=console=ttyS0 a=b\n"
			    "pci.0.3.0.device=lpc\n");
	free(d);
	unlink(path);
	config_free(c);
}
END_TEST

START_TEST(load_file_errors)
{
	const struct {
		const char *text;
		int rc;
		const char *msg;
	} cases[] = {
		{"ok=1\nnot a pair\n", -EINVAL, " line 2: invalid config option 'not a pair'"},
		{"ok=1\n\nkey=\n", -EINVAL, " line 3: invalid config option 'key='"},
		{"key=   \n", -EINVAL, " line 1: invalid config option 'key='"},
		{"key= \t x\n", 0, ""},
		{"=value\n", -EINVAL, " line 1: invalid config option '=value'"},
		{"  =value\n", -EINVAL, " line 1: invalid config option '=value'"},
		{"a..b=1\n", -EINVAL, " line 1: cannot set 'a..b': bad key"},
		{"a=1\na.b=2\n", -EINVAL, " line 2: cannot set 'a.b': a key cannot both"},
	};
	char err[256];
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_temp(cases[i].text);
		struct config *c = config_new();
		err[0] = '\0';
		ck_assert_int_eq(config_load_file(c, path, err, sizeof(err)), cases[i].rc);
		if (cases[i].rc)
			ck_assert_msg(strstr(err, path) && strstr(err, cases[i].msg), "%s", err);
		else
			ck_assert_str_eq(config_get(c, "key"), "x");
		unlink(path);
		config_free(c);
	}
	struct config *c = config_new();
	ck_assert_int_eq(config_load_file(c, "/nonexistent/khyve.conf", err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/khyve.conf"));
	char dir[] = "/tmp/khyve-dir-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_lt(config_load_file(c, dir, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, dir));
	rmdir(dir);
	config_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("tree");
	tcase_add_test(tc, keys_and_values);
	tcase_add_test(tc, unset_prunes);
	tcase_add_test(tc, order_and_visits);
	tcase_add_test(tc, dump_long_keys);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, numbers);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, load_file_errors);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
