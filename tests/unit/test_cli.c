// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "khyve/cli.h"

struct run {
	struct config *cfg;
	int ret, code;
	char *out, *err;
};

static struct run parse(const char *const *args)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)"/usr/sbin/bhyve";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	struct run r = {.cfg = config_new()};
	size_t ol, el;
	FILE *out = open_memstream(&r.out, &ol), *err = open_memstream(&r.err, &el);
	r.ret = cli_parse(r.cfg, argc, argv, out, err, &r.code);
	fclose(out);
	fclose(err);
	return r;
}

static void done(struct run *r)
{
	config_free(r->cfg);
	free(r->out);
	free(r->err);
}

START_TEST(grouped_glued_ordered)
{
	const char *a[] = {"-AHP", "-lcom1,stdio", "-m", "512", "-o", "memory.size=1G",
			   "-c4",  "vm",	   "-h",  NULL};
	struct run r = parse(a);
	/* parsing stops at "vm": "-h" is a second argument, not help → usage error */
	ck_assert_int_eq(r.ret, 0);
	ck_assert_int_eq(r.code, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "too many arguments"));
	ck_assert_str_eq(config_get(r.cfg, "acpi_tables"), "true");
	ck_assert_str_eq(config_get(r.cfg, "x86.vmexit_on_hlt"), "true");
	ck_assert_str_eq(config_get(r.cfg, "lpc.com1.path"), "stdio");
	ck_assert_str_eq(config_get(r.cfg, "memory.size"), "1G"); /* later flag wins */
	ck_assert_str_eq(config_get(r.cfg, "cpus"), "4");
	done(&r);
}
END_TEST

START_TEST(help_and_listings)
{
	const char *h[] = {"-h", NULL};
	struct run r = parse(h);
	ck_assert_int_eq(r.ret, 0);
	ck_assert_int_eq(r.code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: bhyve"));
	done(&r);
	const char *s[] = {"-s", "help", NULL};
	r = parse(s);
	ck_assert_int_eq(r.code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "hostbridge"));
	ck_assert_ptr_nonnull(strstr(r.out, "lpc"));
	done(&r);
	const char *l[] = {"-l", "help", NULL};
	r = parse(l);
	ck_assert_int_eq(r.code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "com4"));
	done(&r);
}
END_TEST

START_TEST(exit_statuses)
{
	const char *unknown[] = {"-q", "vm", NULL}, *noname[] = {NULL}, *two[] = {"a", "b", NULL};
	const char *mem[] = {"-m", "0", "vm", NULL}, *pin[] = {"-p", "x:1", "vm", NULL};
	const char *slot[] = {"-s", "3,nosuch", "vm", NULL}, *dump[] = {"-o", "config.dump=1", "vm", NULL};
	const struct {
		const char *const *args;
		int code;
	} cases[] = {{unknown, 1}, {noname, 1}, {two, 1}, {mem, 64}, {pin, 64}, {slot, 4}, {dump, 1}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = parse(cases[i].args);
		ck_assert_int_eq(r.ret, 0);
		ck_assert_int_eq(r.code, cases[i].code);
		done(&r);
	}
}
END_TEST

START_TEST(memsize)
{
	uint64_t b;
	ck_assert_int_eq(cli_parse_memsize("256", &b), 0);
	ck_assert_uint_eq(b, 256ull << 20);
	ck_assert_int_eq(cli_parse_memsize("2g", &b), 0);
	ck_assert_uint_eq(b, 2ull << 30);
	ck_assert_int_eq(cli_parse_memsize("1T", &b), 0);
	ck_assert_uint_eq(b, 1ull << 40);
	ck_assert_int_eq(cli_parse_memsize("4096k", &b), 0);
	ck_assert_uint_eq(b, 4ull << 20);
	ck_assert_int_eq(cli_parse_memsize("2097152", &b), 0); /* ≥ 1 Mi: bytes */
	ck_assert_uint_eq(b, 2097152);
	ck_assert_int_eq(cli_parse_memsize("0", &b), -EINVAL);
	ck_assert_int_eq(cli_parse_memsize("1GB", &b), -EINVAL);
	ck_assert_int_eq(cli_parse_memsize("-1G", &b), -EINVAL);
	ck_assert_int_eq(cli_parse_memsize("99999999999T", &b), -EINVAL);
	ck_assert_int_eq(cli_parse_memsize("", &b), -EINVAL);
}
END_TEST

START_TEST(slots_and_options)
{
	struct config *c = config_new();
	FILE *err = fopen("/dev/null", "w");
	ck_assert_int_eq(cli_parse_pci_slot(c, "2:3:4,hostbridge,pcireg.vendor=0x10,,odd", err), 0);
	ck_assert_str_eq(config_get(c, "pci.2.3.4.device"), "hostbridge");
	ck_assert_str_eq(config_get(c, "pci.2.3.4.pcireg.vendor"), "0x10");
	ck_assert_str_eq(config_get(c, "pci.2.3.4.odd"), "true"); /* kept, warned */
	ck_assert_int_eq(cli_parse_pci_slot(c, "5:1,lpc", err), 0);
	ck_assert_str_eq(config_get(c, "pci.0.5.1.device"), "lpc");
	ck_assert_int_eq(cli_parse_pci_slot(c, "5:1,hostbridge", err), -EINVAL);
	ck_assert_int_eq(cli_parse_pci_slot(c, "6,lpc", err), -EINVAL);
	ck_assert_int_eq(cli_parse_pci_slot(c, "0:0:8,hostbridge", err), -EINVAL);
	ck_assert_int_eq(cli_parse_pci_slot(c, "256:0:0,hostbridge", err), -EINVAL);
	ck_assert_int_eq(cli_parse_pci_slot(c, "x,hostbridge", err), -EINVAL);
	ck_assert_int_eq(cli_parse_pci_slot(c, "1:2:3:4,hostbridge", err), -EINVAL);
	ck_assert_int_eq(cli_parse_pci_slot(c, "7", err), -EINVAL);
	ck_assert_int_eq(cli_parse_lpc(c, "COM2,tcp=127.0.0.1:4000", err), 0);
	ck_assert_str_eq(config_get(c, "lpc.com2.path"), "tcp=127.0.0.1:4000");
	ck_assert_int_eq(cli_parse_lpc(c, "com3", err), -EINVAL);
	fclose(err);
	config_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("bhyve flags");
	tcase_add_test(tc, grouped_glued_ordered);
	tcase_add_test(tc, help_and_listings);
	tcase_add_test(tc, exit_statuses);
	tcase_add_test(tc, memsize);
	tcase_add_test(tc, slots_and_options);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
