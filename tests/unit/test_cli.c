// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "khyve/cli.h"

struct run {
	struct config *cfg;
	int ret, code;
	char *out, *err;
};

/* cli_parse with argv[0] = prog and the words after it; streams captured. */
static struct run parse_as(const char *prog, const char *const *args)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)prog;
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	struct run r = {.cfg = config_new(), .code = -1};
	size_t ol, el;
	FILE *out = open_memstream(&r.out, &ol), *err = open_memstream(&r.err, &el);
	r.ret = cli_parse(r.cfg, argc, argv, out, err, &r.code);
	fclose(out);
	fclose(err);
	return r;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define PARSE(...) parse_as("/usr/sbin/bhyve", ARGS(__VA_ARGS__))

static void done(struct run *r)
{
	config_free(r->cfg);
	free(r->out);
	free(r->err);
}

static void expect_key(const struct run *r, const char *key, const char *value)
{
	const char *v = config_get(r->cfg, key);
	ck_assert_msg(v && strcmp(v, value) == 0, "%s: want '%s', have '%s' (err: %s)", key, value,
		      v ? v : "(unset)", r->err);
}

/* An exit status and a message, with nothing on out. */
static void expect_exit(const struct run *r, int code, const char *msg)
{
	ck_assert_int_eq(r->ret, 0);
	ck_assert_msg(r->code == code, "exit %d, want %d; err: %s", r->code, code, r->err);
	ck_assert_msg(strstr(r->err, msg) != NULL, "'%s' not in: %s", msg, r->err);
}

START_TEST(runs_with_defaults)
{
	struct run r = PARSE("vm");
	ck_assert_int_eq(r.ret, 1);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "");
	expect_key(&r, "name", "vm");
	expect_key(&r, "memory.size", "256M");
	expect_key(&r, "x86.strictmsr", "true");
	expect_key(&r, "acpi_tables", "true");
	ck_assert_ptr_null(config_get(r.cfg, "cpus"));
	done(&r);
	/* a caller's value is not replaced by a default */
	struct config *cfg = config_new();
	config_set(cfg, "memory.size", "1G");
	int code;
	FILE *null = fopen("/dev/null", "w");
	char *argv[] = {"khyve", "vm", NULL};
	ck_assert_int_eq(cli_parse(cfg, 2, argv, null, null, &code), 1);
	ck_assert_str_eq(config_get(cfg, "memory.size"), "1G");
	fclose(null);
	config_free(cfg);
}
END_TEST

START_TEST(every_flag_key)
{
	const struct {
		const char *const *args;
		const char *key, *value;
	} cases[] = {
		{ARGS("-a", "vm"), "x86.x2apic", "false"},
		{ARGS("-A", "vm"), "acpi_tables", "true"},
		{ARGS("-C", "vm"), "memory.guest_in_core", "true"},
		{ARGS("-c", "3", "vm"), "cpus", "3"},
		{ARGS("-D", "vm"), "destroy_on_poweroff", "true"},
		{ARGS("-e", "vm"), "x86.strictio", "true"},
		{ARGS("-f", "opt/a,string=x", "vm"), "fwcfg.0.string", "x"},
		{ARGS("-G", "1234", "vm"), "gdb.port", "1234"},
		{ARGS("-g", "1234", "vm"), "gdb.port", "1234"},
		{ARGS("-H", "vm"), "x86.vmexit_on_hlt", "true"},
		{ARGS("-K", "de", "vm"), "keyboard.layout", "de"},
		{ARGS("-l", "com1,stdio", "vm"), "lpc.com1.path", "stdio"},
		{ARGS("-m", "2G", "vm"), "memory.size", "2G"},
		{ARGS("-o", "a.b=c", "vm"), "a.b", "c"},
		{ARGS("-p", "1:2", "vm"), "vcpu.1.cpuset", "2"},
		{ARGS("-P", "vm"), "x86.vmexit_on_pause", "true"},
		{ARGS("-S", "vm"), "memory.wired", "true"},
		{ARGS("-s", "0,hostbridge", "vm"), "pci.0.0.0.device", "hostbridge"},
		{ARGS("-u", "vm"), "rtc.use_localtime", "false"},
		{ARGS("-U", "6ba7b810-9dad-41d1-80b4-00c04fd430c8", "vm"), "uuid",
		 "6ba7b810-9dad-41d1-80b4-00c04fd430c8"},
		{ARGS("-w", "vm"), "x86.strictmsr", "false"},
		{ARGS("-W", "vm"), "virtio_msix", "false"},
		{ARGS("-x", "vm"), "x86.x2apic", "true"},
		{ARGS("-Y", "vm"), "x86.mptable", "false"},
		{ARGS("-I", "-b", "vm"), "name", "vm"}, /* accepted, nothing set */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = parse_as("khyve", cases[i].args);
		ck_assert_msg(r.ret == 1, "case %u: %s", i, r.err);
		expect_key(&r, cases[i].key, cases[i].value);
		done(&r);
	}
}
END_TEST

START_TEST(grouped_glued_ordered)
{
	struct run r = PARSE("-AHPw", "-lcom1,stdio", "-m", "512", "-o", "memory.size=1G", "-c4",
			     "-xa", "-s2,virtio-rnd", "-Uabc", "vm");
	ck_assert_int_eq(r.ret, 0); /* "abc" is no UUID */
	expect_exit(&r, 4, "invalid UUID 'abc'");
	expect_key(&r, "acpi_tables", "true");
	expect_key(&r, "x86.vmexit_on_hlt", "true");
	expect_key(&r, "x86.vmexit_on_pause", "true");
	expect_key(&r, "x86.strictmsr", "false");
	expect_key(&r, "lpc.com1.path", "stdio");
	expect_key(&r, "memory.size", "1G"); /* the later -o wins */
	expect_key(&r, "cpus", "4");
	expect_key(&r, "x86.x2apic", "false"); /* -x then -a */
	expect_key(&r, "pci.0.2.0.device", "virtio-rnd");
	done(&r);
	r = PARSE("-o", "memory.size=1G", "-m", "3G", "-o", "x86.x2apic=true", "-a", "vm");
	ck_assert_int_eq(r.ret, 1);
	expect_key(&r, "memory.size", "3G"); /* the later flag wins */
	expect_key(&r, "x86.x2apic", "false");
	done(&r);
	/* repeated flags accumulate or override */
	r = PARSE("-p", "0:1", "-p", "0:3", "-p", "1:0", "-l", "com1,stdio", "-l", "com1,/dev/pts/2",
		  "vm");
	expect_key(&r, "vcpu.0.cpuset", "1,3");
	expect_key(&r, "vcpu.1.cpuset", "0");
	expect_key(&r, "lpc.com1.path", "/dev/pts/2");
	done(&r);
}
END_TEST

START_TEST(stops_at_first_operand)
{
	/* "-h" after the VM name is a second operand, not help */
	struct run r = PARSE("-A", "vm", "-h");
	expect_exit(&r, 1, "too many arguments: '-h' after the VM name 'vm'");
	ck_assert_ptr_nonnull(strstr(r.err, "Usage: bhyve"));
	done(&r);
	r = PARSE("-A", "--", "-vm");
	ck_assert_int_eq(r.ret, 1);
	expect_key(&r, "name", "-vm");
	done(&r);
	/* the operand names the VM over -o name= */
	r = PARSE("-o", "name=fromkey", "fromargv");
	expect_key(&r, "name", "fromargv");
	done(&r);
	r = PARSE("-o", "name=fromkey");
	ck_assert_int_eq(r.ret, 1);
	expect_key(&r, "name", "fromkey");
	done(&r);
}
END_TEST

START_TEST(usage_errors)
{
	struct run r = PARSE("-Z", "vm");
	expect_exit(&r, 1, "bhyve: illegal option -- Z");
	ck_assert_ptr_nonnull(strstr(r.err, "Usage: bhyve [-aCDeHhPSuWwxY]"));
	ck_assert_str_eq(r.out, "");
	done(&r);
	r = PARSE("-A", "-c");
	expect_exit(&r, 1, "option requires an argument -- c");
	done(&r);
	r = PARSE("-A");
	expect_exit(&r, 1, "no VM name given");
	done(&r);
	r = PARSE("a", "b");
	expect_exit(&r, 1, "too many arguments");
	done(&r);
	r = parse_as("./build/khyve", ARGS("-Z"));
	expect_exit(&r, 1, "khyve: illegal option -- Z");
	ck_assert_ptr_nonnull(strstr(r.err, "Usage: khyve"));
	done(&r);
	/* getopt starts afresh on every call */
	for (int i = 0; i < 3; i++) {
		r = PARSE("-c", "2", "vm");
		ck_assert_int_eq(r.ret, 1);
		expect_key(&r, "cpus", "2");
		done(&r);
		r = PARSE("-AZ", "vm");
		expect_exit(&r, 1, "illegal option -- Z");
		done(&r);
	}
}
END_TEST

START_TEST(help_and_lists)
{
	struct run r = PARSE("-h");
	expect_exit(&r, 0, "Usage: bhyve [-aCDeHhPSuWwxY]");
	ck_assert_str_eq(r.out, ""); /* bhyve: usage on stderr, status 0 */
	done(&r);
	r = PARSE("-H", "-s", "help", "-Z");
	ck_assert_int_eq(r.ret, 0);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "hostbridge\namd_hostbridge\nlpc\nvirtio-blk\nvirtio-net\n"
				"virtio-rnd\nvirtio-balloon\nvirtio-console\n");
	done(&r);
	r = PARSE("-l", "help");
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "com1\ncom2\ncom3\ncom4\nfwcfg\n");
	done(&r);
	r = PARSE("-s", "he", "vm"); /* bhyve takes any prefix of "help" */
	ck_assert_int_eq(r.code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "virtio-net"));
	done(&r);
	r = PARSE("-s", "helpx", "vm");
	expect_exit(&r, 4, "invalid PCI slot info field 'helpx'");
	done(&r);
}
END_TEST

START_TEST(dump_option)
{
	struct run r = PARSE("-c", "2", "-s", "0,hostbridge", "-l", "com1,stdio", "-o",
			     "config.dump=yes", "vm1");
	expect_exit(&r, 1, "");
	ck_assert_str_eq(r.out, "acpi_tables=true\n"
				"memory.size=256M\n"
				"x86.strictmsr=true\n"
				"cpus=2\n"
				"pci.0.0.0.device=hostbridge\n"
				"lpc.com1.path=stdio\n"
				"config.dump=yes\n"
				"name=vm1\n");
	ck_assert_str_eq(r.err, "");
	done(&r);
	/* dumped before the late checks, as bhyve */
	r = PARSE("-m", "junk", "-o", "config.dump=1", "vm");
	expect_exit(&r, 1, "");
	ck_assert_ptr_nonnull(strstr(r.out, "memory.size=junk\n"));
	done(&r);
	r = PARSE("-o", "config.dump=0", "vm");
	ck_assert_int_eq(r.ret, 1);
	ck_assert_str_eq(r.out, "");
	done(&r);
	r = PARSE("-o", "config.dump=maybe", "vm");
	expect_exit(&r, 4, "invalid value 'maybe' for boolean config.dump");
	done(&r);
}
END_TEST

START_TEST(option_flag)
{
	struct run r = PARSE("-o", "boot.cmdline=console=ttyS0 root=/dev/vda", "vm");
	expect_key(&r, "boot.cmdline", "console=ttyS0 root=/dev/vda"); /* the first '=' splits */
	done(&r);
	const struct {
		const char *arg;
		int code;
		const char *msg;
	} bad[] = {
		{"novalue", 64, "invalid configuration option 'novalue'"},
		{"key=", 64, "invalid configuration option 'key='"},
		{"=value", 64, "invalid configuration option '=value'"},
		{"a..b=1", 4, "cannot set 'a..b': bad key"},
		{"memory.size.x=1", 4, "cannot set 'memory.size.x'"},
		{"memory=1", 4, "cannot set 'memory'"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = PARSE("-o", bad[i].arg, "vm");
		expect_exit(&r, bad[i].code, bad[i].msg);
		done(&r);
	}
}
END_TEST

START_TEST(k_files)
{
	char path[] = "/tmp/khyve-k-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# vm\nmemory.size=2G\ncpus=2\nname=fromfile\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	/* loaded at its place among the flags */
	struct run r = PARSE("-m", "512", "-c", "8", "-k", path, "-c", "4");
	ck_assert_int_eq(r.ret, 1);
	expect_key(&r, "memory.size", "2G");
	expect_key(&r, "cpus", "4");
	expect_key(&r, "name", "fromfile");
	done(&r);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "ok=1\nbad line\n", 14), 14);
	close(fd);
	r = PARSE("-k", path, "vm");
	expect_exit(&r, 4, "line 2: invalid config option 'bad line'");
	done(&r);
	unlink(path);
	r = PARSE("-k", path, "vm");
	expect_exit(&r, 4, path);
	done(&r);
}
END_TEST

START_TEST(topology)
{
	const struct {
		const char *const *args;
		int ret, code;
		const char *cpus, *sockets, *cores, *threads, *msg;
	} cases[] = {
		{ARGS("-c", "4", "vm"), 1, 0, "4", NULL, NULL, NULL, ""},
		{ARGS("-c", "cpus=4", "vm"), 1, 0, "4", NULL, NULL, NULL, ""},
		{ARGS("-c", "0x10", "vm"), 1, 0, "0x10", NULL, NULL, NULL, ""},
		{ARGS("-c", "cpus=4,sockets=2,cores=2", "vm"), 1, 0, "4", "2", "2", NULL, ""},
		{ARGS("-c", "3,sockets=2,cores=2", "vm"), 1, 0, "3", "2", "2", NULL, ""},
		/* without a count, the places are the vCPUs (filled in after the dump) */
		{ARGS("-c", "sockets=2,threads=2", "vm"), 1, 0, "4", "2", NULL, "2", ""},
		{ARGS("-c", "", "vm"), 1, 0, "1", "1", "1", "1", ""},
		{ARGS("-c", "2,,", "vm"), 1, 0, "2", NULL, NULL, NULL, ""},
		{ARGS("-c", "2,cpus=3", "vm"), 1, 0, "3", NULL, NULL, NULL, ""},
		{ARGS("-c", "0", "vm"), 0, 64, NULL, NULL, NULL, NULL, "invalid cpu topology '0'"},
		{ARGS("-c", "65536", "vm"), 0, 64, NULL, NULL, NULL, NULL, "invalid cpu topology"},
		{ARGS("-c", "x", "vm"), 0, 64, NULL, NULL, NULL, NULL, "invalid cpu topology"},
		{ARGS("-c", "-1", "vm"), 0, 64, NULL, NULL, NULL, NULL, "invalid cpu topology"},
		{ARGS("-c", "4,dies=2", "vm"), 0, 64, NULL, NULL, NULL, NULL, "invalid cpu topology"},
		{ARGS("-c", "cpus=", "vm"), 0, 64, NULL, NULL, NULL, NULL, "invalid cpu topology"},
		{ARGS("-c", "cpus=8,sockets=1,cores=2", "vm"), 0, 64, NULL, NULL, NULL, NULL,
		 "invalid cpu topology"},
		{ARGS("-c", "sockets=256,cores=256", "vm"), 0, 64, NULL, NULL, NULL, NULL,
		 "invalid cpu topology"},
		/* checked again after parsing, whatever set the keys */
		{ARGS("-c", "8", "-c", "sockets=2,cores=2", "vm"), 0, 4, NULL, NULL, NULL, NULL,
		 "has places for 4 vCPUs, not 8"},
		{ARGS("-o", "cpus=0", "vm"), 0, 4, NULL, NULL, NULL, NULL,
		 "invalid value for cpus: '0'"},
		{ARGS("-o", "threads=x", "vm"), 0, 4, NULL, NULL, NULL, NULL,
		 "invalid value for threads: 'x'"},
		{ARGS("-o", "sockets=300", "-o", "cores=300", "vm"), 0, 4, NULL, NULL, NULL, NULL,
		 "too high: 90000"},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = parse_as("khyve", cases[i].args);
		ck_assert_msg(r.ret == cases[i].ret && r.code == cases[i].code,
			      "case %u: ret %d code %d: %s", i, r.ret, r.code, r.err);
		ck_assert_msg(strstr(r.err, cases[i].msg), "case %u: %s", i, r.err);
		if (r.ret) {
			const char *want[] = {cases[i].cpus, cases[i].sockets, cases[i].cores,
					      cases[i].threads};
			const char *keys[] = {"cpus", "sockets", "cores", "threads"};
			for (unsigned k = 0; k < 4; k++) {
				const char *v = config_get(r.cfg, keys[k]);
				ck_assert_msg(want[k] ? v && strcmp(v, want[k]) == 0 : v == NULL,
					      "case %u: %s=%s", i, keys[k], v ? v : "(unset)");
			}
		}
		done(&r);
	}
}
END_TEST

START_TEST(pinning_gdb_fwcfg)
{
	const struct {
		const char *const *args;
		int code;
		const char *msg;
	} bad[] = {
		{ARGS("-p", "0-1", "vm"), 64, "invalid vcpu pinning configuration '0-1'"},
		{ARGS("-p", "0:", "vm"), 64, "invalid vcpu pinning"},
		{ARGS("-p", ":1", "vm"), 64, "invalid vcpu pinning"},
		{ARGS("-p", "-1:1", "vm"), 64, "invalid vcpu pinning"},
		{ARGS("-p", "0:1024", "vm"), 64, "invalid vcpu pinning"},
		{ARGS("-p", "65535:1", "vm"), 64, "invalid vcpu pinning"},
		{ARGS("-p", "0:1x", "vm"), 64, "invalid vcpu pinning"},
		{ARGS("-G", "w", "vm"), 4, "invalid debug server 'w'"},
		{ARGS("-G", ":1234", "vm"), 4, "invalid debug server"},
		{ARGS("-G", "localhost:gdb", "vm"), 4, "invalid gdb.port 'gdb'"},
		{ARGS("-G", "70000", "vm"), 4, "invalid gdb.port '70000'"},
		{ARGS("-f", "opt/x", "vm"), 64, "invalid fwcfg item 'opt/x'"},
		{ARGS("-f", ",string=x", "vm"), 64, "invalid fwcfg item"},
		{ARGS("-f", "opt/x,data=x", "vm"), 64, "invalid fwcfg item"},
		{ARGS("-f", "opt/x,file=/nonexistent/f", "vm"), 64, "cannot read '/nonexistent/f'"},
		{ARGS("-f",
		      "opt/0123456789012345678901234567890123456789012345678901234,string=x",
		      "vm"),
		 64, "longer than 55 characters"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r = parse_as("khyve", bad[i].args);
		expect_exit(&r, bad[i].code, bad[i].msg);
		done(&r);
	}
	struct run r = PARSE("-p", "65534:1023", "-G", "w[::1]:1234", "-f",
			     "name=opt/a,string=x=y,z", "-f", "opt/b,file=/dev/null", "vm");
	ck_assert_int_eq(r.ret, 1);
	expect_key(&r, "vcpu.65534.cpuset", "1023");
	expect_key(&r, "gdb.wait", "true");
	expect_key(&r, "gdb.address", "[::1]");
	expect_key(&r, "gdb.port", "1234");
	expect_key(&r, "fwcfg.0.name", "opt/a");
	expect_key(&r, "fwcfg.0.string", "x=y,z");
	expect_key(&r, "fwcfg.1.name", "opt/b");
	expect_key(&r, "fwcfg.1.file", "/dev/null");
	done(&r);
	r = PARSE("-G", "5555", "vm");
	ck_assert_ptr_null(config_get(r.cfg, "gdb.wait"));
	ck_assert_ptr_null(config_get(r.cfg, "gdb.address"));
	done(&r);
}
END_TEST

START_TEST(memsize)
{
	const struct {
		const char *s;
		uint64_t bytes; /* 0: invalid */
	} cases[] = {
		{"256", 256ull << 20},	 /* below 1 MiB: MiB */
		{"1048575", 1048575ull << 20},
		{"1048576", 1048576}, /* from 1 MiB on: bytes */
		{"2097152", 2097152},
		{"2g", 2ull << 30},
		{"2G", 2ull << 30},
		{"512m", 512ull << 20},
		{"512M", 512ull << 20},
		{"4096k", 4ull << 20},
		{"4096K", 4ull << 20},
		{"1t", 1ull << 40},
		{"1T", 1ull << 40},
		{"1024b", 1024},
		{"1p", 1ull << 50},
		{"15E", 15ull << 60},
		{"0x10G", 16ull << 30}, /* C prefixes, as strtoul(…, 0) */
		{"16777215T", 16777215ull << 40},
		{"16777216T", 0}, /* 2^64: overflow */
		{"16E", 0},
		{"99999999999999999999", 0},
		{"0", 0},
		{"0G", 0},
		{"", 0},
		{"G", 0},
		{"1GB", 0},
		{"1 G", 0},
		{" 1G", 0},
		{"-1G", 0},
		{"+1G", 0},
		{"1.5G", 0},
		{"12Q", 0},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t b = 0;
		int rc = cli_parse_memsize(cases[i].s, &b);
		ck_assert_msg(rc == (cases[i].bytes ? 0 : -EINVAL), "'%s': %d", cases[i].s, rc);
		if (cases[i].bytes)
			ck_assert_msg(b == cases[i].bytes, "'%s': %llu", cases[i].s,
				      (unsigned long long)b);
	}
	uint64_t b;
	ck_assert_int_eq(cli_parse_memsize(NULL, &b), -EINVAL);
	/* the final memory.size is checked, from -m, -o or -k alike */
	struct run r = PARSE("-m", "12Q", "vm");
	expect_exit(&r, 64, "invalid memsize '12Q'");
	done(&r);
	r = PARSE("-o", "memory.size=0", "vm");
	expect_exit(&r, 64, "invalid memsize '0'");
	done(&r);
	r = PARSE("-m", "12Q", "-m", "1G", "vm");
	ck_assert_int_eq(r.ret, 1);
	done(&r);
}
END_TEST

START_TEST(exit_statuses)
{
	const struct {
		const char *const *args;
		int code;
	} cases[] = {
		{ARGS("-h"), 0},
		{ARGS("-s", "help"), 0},
		{ARGS("-l", "help"), 0},
		{ARGS("-q", "vm"), 1},
		{ARGS("-A"), 1},
		{ARGS("a", "b"), 1},
		{ARGS("-o", "config.dump=1", "vm"), 1},
		{ARGS("-s", "3,nosuch", "vm"), 4},
		{ARGS("-s", "40,hostbridge", "vm"), 4},
		{ARGS("-k", "/nonexistent", "vm"), 4},
		{ARGS("-U", "x", "vm"), 4},
		{ARGS("-l", "bootrom,/rom", "vm"), 4},
		{ARGS("-l", "com1,/dev/nmdm0A", "vm"), 4},
		{ARGS("-m", "0", "vm"), 64},
		{ARGS("-p", "x:1", "vm"), 64},
		{ARGS("-c", "0", "vm"), 64},
		{ARGS("-l", "com5,stdio", "vm"), 64},
		{ARGS("-o", "x", "vm"), 64},
		{ARGS("-f", "x", "vm"), 64},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = parse_as("khyve", cases[i].args);
		ck_assert_msg(r.ret == 0 && r.code == cases[i].code, "case %u: %d/%d, want %d: %s",
			      i, r.ret, r.code, cases[i].code, r.err);
		done(&r);
	}
	ck_assert_int_eq(KHYVE_EXIT_USAGE, 64);
}
END_TEST


/* cli_parse_pci_slot / cli_parse_lpc on a shared tree, messages captured. */
struct dev {
	struct config *cfg;
	char *err;
	size_t len;
	FILE *f;
};

static void dev_init(struct dev *d)
{
	d->cfg = config_new();
	d->err = NULL;
	d->f = open_memstream(&d->err, &d->len);
}

/* Everything written to err since the last call. */
static const char *dev_err(struct dev *d)
{
	static char last[1024];
	fflush(d->f);
	snprintf(last, sizeof(last), "%s", d->err ? d->err : "");
	fclose(d->f);
	free(d->err);
	d->err = NULL;
	d->f = open_memstream(&d->err, &d->len);
	return last;
}

static void dev_fini(struct dev *d)
{
	fclose(d->f);
	free(d->err);
	config_free(d->cfg);
}

static void expect_slot_error(struct dev *d, const char *arg, const char *msg)
{
	ck_assert_msg(cli_parse_pci_slot(d->cfg, arg, d->f) == -EINVAL, "'%s' accepted", arg);
	const char *e = dev_err(d);
	ck_assert_msg(strstr(e, msg), "'%s': '%s' not in: %s", arg, msg, e);
}

START_TEST(slot_syntax)
{
	struct dev d;
	dev_init(&d);
	const struct {
		const char *arg, *node;
	} ok[] = {
		{"0,hostbridge", "pci.0.0.0"},	 {"31,virtio-rnd", "pci.0.31.0"},
		{"3:7,virtio-rnd", "pci.0.3.7"}, {"255:31:7,virtio-rnd", "pci.255.31.7"},
		{"1:2:3,virtio-rnd", "pci.1.2.3"}, {"04:05,virtio-rnd", "pci.0.4.5"},
		{"007,virtio-rnd", "pci.0.7.0"},
	};
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(cli_parse_pci_slot(d.cfg, ok[i].arg, d.f) == 0, "%s: %s", ok[i].arg,
			      dev_err(&d));
		char key[64];
		snprintf(key, sizeof(key), "%s.device", ok[i].node);
		ck_assert_ptr_nonnull(config_get(d.cfg, key));
	}
	ck_assert_str_eq(dev_err(&d), "");
	const char *bad[] = {"32,hostbridge",	  "3:8,hostbridge", "256:0:0,hostbridge",
			     "-1,hostbridge",	  "x,hostbridge",   "3x,hostbridge",
			     "1:2:3:4,hostbridge", ":3,hostbridge",   "3:,hostbridge",
			     ",hostbridge",	  "1::2,hostbridge", "0x3,hostbridge",
			     " 3,hostbridge",	  "1000,hostbridge", "+3,hostbridge"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_slot_error(&d, bad[i], "invalid PCI slot info field");
	expect_slot_error(&d, "32,hostbridge", "slot 0-31, function 0-7");
	expect_slot_error(&d, "3", "no emulation");
	expect_slot_error(&d, "9,", "unknown emulation \"\"");
	expect_slot_error(&d, "9,e1000", "pci slot 0:9:0: unknown emulation \"e1000\"; this "
					  "build has: hostbridge, amd_hostbridge, lpc");
	expect_slot_error(&d, "9,Virtio-blk", "unknown emulation"); /* names are exact */
	ck_assert_ptr_null(config_get(d.cfg, "pci.0.9.0.device"));
	dev_fini(&d);
}
END_TEST

START_TEST(slot_conflicts_and_lpc)
{
	struct dev d;
	dev_init(&d);
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "3,hostbridge", d.f), 0);
	expect_slot_error(&d, "3:0,virtio-rnd", "pci slot 0:3:0 is already occupied by hostbridge");
	expect_slot_error(&d, "0:3:0,virtio-rnd", "already occupied");
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "3:1,virtio-rnd", d.f), 0);
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "1:3:0,virtio-rnd", d.f), 0);
	/* a key set another way occupies the slot too, as in bhyve */
	config_set(d.cfg, "pci.0.4.0.path", "/img");
	expect_slot_error(&d, "4,virtio-blk,/img", "pci slot 0:4:0 is already occupied\n");
	/* lpc: bus 0 only, once */
	expect_slot_error(&d, "1:5:0,lpc", "the lpc bridge can only be on bus 0");
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "5:2,lpc", d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "pci.0.5.2.device"), "lpc");
	expect_slot_error(&d, "6,lpc", "only one lpc bridge is allowed; there is one at 0.5.2");
	dev_fini(&d);
	dev_init(&d);
	config_set(d.cfg, "pci.0.7.0.device", "lpc"); /* from -o or -k */
	expect_slot_error(&d, "8,lpc", "there is one at 0.7.0");
	dev_fini(&d);
	dev_init(&d);
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "31,lpc,pcireg.vendor=1", d.f), 0);
	ck_assert_ptr_nonnull(strstr(dev_err(&d), "lpc does not use option 'pcireg.vendor'"));
	dev_fini(&d);
}
END_TEST

START_TEST(slot_options)
{
	struct dev d;
	dev_init(&d);
	const char *e;
	/* generic options: name=value, bare name = true, empty skipped, unknown kept */
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "0,hostbridge,pcireg.vendor=0x8086,,odd,x=a=b",
					    d.f), 0);
	e = dev_err(&d);
	ck_assert_ptr_nonnull(strstr(e, "warning: pci.0.0.0: empty hostbridge option ignored"));
	ck_assert_ptr_nonnull(strstr(e, "hostbridge does not use option 'odd'"));
	ck_assert_ptr_nonnull(strstr(e, "hostbridge does not use option 'x'"));
	ck_assert_ptr_null(strstr(e, "'pcireg.vendor'"));
	ck_assert_str_eq(config_get(d.cfg, "pci.0.0.0.pcireg.vendor"), "0x8086");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.0.0.odd"), "true");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.0.0.x"), "a=b");
	/* amd_hostbridge is bhyve's alias: a hostbridge with AMD's IDs */
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "1,amd_hostbridge", d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "pci.0.1.0.device"), "hostbridge");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.1.0.pcireg.vendor"), "0x1022");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.1.0.pcireg.device"), "0x7432");
	ck_assert_str_eq(dev_err(&d), "");
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "1:1,amd_hostbridge,foo", d.f), 0);
	ck_assert_ptr_nonnull(strstr(dev_err(&d), "takes no options; 'foo' ignored"));
	/* virtio-blk: the path first */
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "2,virtio-blk,/img/a=b.raw,ro,ser=X1", d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "pci.0.2.0.path"), "/img/a=b.raw");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.2.0.ro"), "true");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.2.0.ser"), "X1");
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "2:1,virtio-blk,path=/b,nocache", d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "pci.0.2.1.path"), "/b");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.2.1.nocache"), "true");
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "2:2,virtio-blk", d.f), 0);
	ck_assert_ptr_null(config_get(d.cfg, "pci.0.2.2.path"));
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "2:3,virtio-blk,,ro", d.f), 0);
	ck_assert_ptr_null(config_get(d.cfg, "pci.0.2.3.path"));
	ck_assert_str_eq(config_get(d.cfg, "pci.0.2.3.ro"), "true");
	ck_assert_str_eq(dev_err(&d), "warning: pci.0.2.3: empty virtio-blk option ignored\n");
	/* virtio-net: the backend first, unless it is an option */
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "3,virtio-net,tap0,mac=00:be:fa:76:45:00",
					    d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "pci.0.3.0.backend"), "tap0");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.3.0.mac"), "00:be:fa:76:45:00");
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "3:1,virtio-net,mtu=9000,backend=vmnet3", d.f),
			 0);
	ck_assert_str_eq(config_get(d.cfg, "pci.0.3.1.backend"), "vmnet3");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.3.1.mtu"), "9000");
	ck_assert_str_eq(dev_err(&d), "");
	expect_slot_error(&d, "4,virtio-net,netgraph,path=vmbridge:,peerhook=link2",
			  "virtio-net backend 'netgraph' exists only on FreeBSD");
	expect_slot_error(&d, "5,virtio-net,netmap:ix0", "exists only on FreeBSD");
	expect_slot_error(&d, "6,virtio-net,backend=vale1:2", "exists only on FreeBSD");
	/* virtio-console: NAME=PATH ports, numbered from 0 */
	ck_assert_int_eq(cli_parse_pci_slot(d.cfg, "7,virtio-console,org.x=/s0,b=/s1", d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "pci.0.7.0.port.0.name"), "org.x");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.7.0.port.0.path"), "/s0");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.7.0.port.1.name"), "b");
	ck_assert_str_eq(config_get(d.cfg, "pci.0.7.0.port.1.path"), "/s1");
	expect_slot_error(&d, "8,virtio-console,port1", "port 'port1' needs NAME=/path/to/socket");
	expect_slot_error(&d, "9,virtio-console,=/s", "needs NAME=/path/to/socket");
	char many[512] = "10,virtio-console";
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",p%d=/s%d", i, i);
	expect_slot_error(&d, many, "at most 16 ports");
	/* a clash between options is an error */
	expect_slot_error(&d, "11,virtio-rnd,a=1,a.b=2", "invalid option 'a.b'");
	expect_slot_error(&d, "12,virtio-rnd,a..b", "invalid option 'a..b'");
	dev_fini(&d);
}
END_TEST

START_TEST(lpc_devices)
{
	struct dev d;
	dev_init(&d);
	ck_assert_int_eq(cli_parse_lpc(d.cfg, "com1,stdio", d.f), 0);
	ck_assert_int_eq(cli_parse_lpc(d.cfg, "COM2,tcp=127.0.0.1:4000", d.f), 0);
	ck_assert_int_eq(cli_parse_lpc(d.cfg, "Com3,/dev/pts/4", d.f), 0);
	ck_assert_int_eq(cli_parse_lpc(d.cfg, "com4,/dev/ttyS0,extra", d.f), 0);
	ck_assert_int_eq(cli_parse_lpc(d.cfg, "fwcfg=qemu", d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "lpc.com1.path"), "stdio");
	ck_assert_str_eq(config_get(d.cfg, "lpc.com2.path"), "tcp=127.0.0.1:4000");
	ck_assert_str_eq(config_get(d.cfg, "lpc.com3.path"), "/dev/pts/4");
	ck_assert_str_eq(config_get(d.cfg, "lpc.com4.path"), "/dev/ttyS0,extra");
	ck_assert_str_eq(config_get(d.cfg, "lpc.fwcfg"), "qemu");
	ck_assert_int_eq(cli_parse_lpc(d.cfg, "fwcfg=bhyve", d.f), 0);
	ck_assert_str_eq(config_get(d.cfg, "lpc.fwcfg"), "bhyve");
	ck_assert_str_eq(dev_err(&d), "");
	const struct {
		const char *arg;
		int rc;
		const char *msg;
	} bad[] = {
		{"com1", -EINVAL, "com1 needs a backend"},
		{"com1,", -EINVAL, "com1 needs a backend"},
		{"com5,stdio", -EINVAL, "invalid lpc device configuration 'com5,stdio'"},
		{"", -EINVAL, "invalid lpc device configuration"},
		{"fwcfg=seabios", -EINVAL, "expected fwcfg=bhyve or fwcfg=qemu"},
		{"fwcfg=qemu,x", -EINVAL, "expected fwcfg=bhyve or fwcfg=qemu"},
		{"fwcfg", -EINVAL, "invalid lpc device configuration"},
		{"com1,/dev/nmdm0A", -ENOTSUP, "exist only on FreeBSD"},
		{"bootrom,/rom.fd", -ENOTSUP, "'bootrom' is not supported by khyve"},
		{"BOOTROM,/rom.fd,/vars.fd", -ENOTSUP, "'bootrom' is not supported"},
		{"tpm,swtpm,/sock", -ENOTSUP, "'tpm' is not supported"},
		{"pc-testdev", -ENOTSUP, "'pc-testdev' is not supported"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cli_parse_lpc(d.cfg, bad[i].arg, d.f) == bad[i].rc, "'%s'",
			      bad[i].arg);
		const char *e = dev_err(&d);
		ck_assert_msg(strstr(e, bad[i].msg), "'%s': %s", bad[i].arg, e);
	}
	ck_assert_str_eq(config_get(d.cfg, "lpc.com1.path"), "stdio");
	dev_fini(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("flags");
	tcase_add_test(tc, runs_with_defaults);
	tcase_add_test(tc, every_flag_key);
	tcase_add_test(tc, grouped_glued_ordered);
	tcase_add_test(tc, stops_at_first_operand);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, help_and_lists);
	tcase_add_test(tc, dump_option);
	tcase_add_test(tc, option_flag);
	tcase_add_test(tc, k_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("values");
	tcase_add_test(tc, topology);
	tcase_add_test(tc, pinning_gdb_fwcfg);
	tcase_add_test(tc, memsize);
	tcase_add_test(tc, exit_statuses);
	suite_add_tcase(s, tc);
	tc = tcase_create("devices");
	tcase_add_test(tc, slot_syntax);
	tcase_add_test(tc, slot_conflicts_and_lpc);
	tcase_add_test(tc, slot_options);
	tcase_add_test(tc, lpc_devices);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
