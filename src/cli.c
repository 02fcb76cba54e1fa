// SPDX-License-Identifier: BSD-2-Clause
/* bhyve(8) flags → config keys, applied in command-line order. */
#include "khyve/cli.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#define OPTSTRING "+aAbCc:DeG:g:Hhk:l:m:o:p:PSs:uU:wWxYf:"
#define MAX_TOPOLOGY 0xffff

static const struct {
	char flag;
	const char *key, *value;
} bool_flags[] = {
	{'a', "x86.x2apic", "false"},	  {'A', "acpi_tables", "true"},
	{'C', "memory.guest_in_core", "true"}, {'D', "destroy_on_poweroff", "true"},
	{'e', "x86.strictio", "true"},	  {'H', "x86.vmexit_on_hlt", "true"},
	{'P', "x86.vmexit_on_pause", "true"},  {'S', "memory.wired", "true"},
	{'u', "rtc.use_localtime", "false"},	  {'w', "x86.strictmsr", "false"},
	{'W', "virtio_msix", "false"},	  {'x', "x86.x2apic", "true"},
	{'Y', "x86.mptable", "false"},
};

static void usage(const char *prog, FILE *f)
{
	fprintf(f,
		"Usage: %s [-aCDeHhPSuWwxY]\n"
		"       %*s [-c [[cpus=]numcpus][,sockets=n][,cores=n][,threads=n]]\n"
		"       %*s [-G [w][address:]port] [-k config_file] [-l lpc] [-m mem]\n"
		"       %*s [-o var=value] [-p vcpu:hostcpu] [-s pci] [-U uuid]\n"
		"       %*s [-f name,[string|file]=data] <vm>\n"
		"       -a: local apic is in xAPIC mode (deprecated)\n"
		"       -A: create ACPI tables (always done)\n"
		"       -c: number of CPUs and/or topology specification\n"
		"       -C: include guest memory in core file\n"
		"       -D: destroy on power-off\n"
		"       -e: exit on unhandled I/O access\n"
		"       -f: firmware config item\n"
		"       -G: start a debug server\n"
		"       -h: help\n"
		"       -H: vmexit from the guest on HLT\n"
		"       -k: key=value flat config file\n"
		"       -l: LPC device configuration (-l help)\n"
		"       -m: memory size (default 256M)\n"
		"       -o: set config 'var' to 'value'\n"
		"       -p: pin 'vcpu' to 'hostcpu'\n"
		"       -P: vmexit from the guest on pause\n"
		"       -s: <slot,driver,configinfo> PCI slot config (-s help)\n"
		"       -S: guest memory cannot be swapped\n"
		"       -u: RTC keeps UTC time\n"
		"       -U: UUID\n"
		"       -w: ignore unimplemented MSRs\n"
		"       -W: force virtio to use single-vector MSI\n"
		"       -x: local APIC is in x2APIC mode\n"
		"       -Y: disable MPtable generation\n"
		"       Linux direct boot: -o boot.kernel=bzImage -o boot.initrd=file "
		"-o boot.cmdline=string\n",
		prog, (int)strlen(prog), "", (int)strlen(prog), "", (int)strlen(prog), "",
		(int)strlen(prog), "");
}

int cli_parse_memsize(const char *s, uint64_t *bytes)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	unsigned shift = 0;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		if (end[1] != '\0')
			return -EINVAL;
	} else if (v < (1ull << 20)) {
		shift = 20; /* a plain number below 1 MiB means MiB, as bhyve */
	}
	if (v == 0 || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*bytes = v << shift;
	return 0;
}

static int parse_u(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* -c [[cpus=]n][,sockets=n][,cores=n][,threads=n] */
static int parse_topology(struct config *cfg, const char *arg)
{
	char *s = strdup(arg), *save = NULL;
	if (s == NULL)
		return -ENOMEM;
	unsigned long cpus = 0, sockets = 1, cores = 1, threads = 1, v;
	bool topo = false;
	int rc = 0;
	for (char *tok = strtok_r(s, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (eq == NULL) {
			rc = parse_u(tok, MAX_TOPOLOGY, &cpus);
			continue;
		}
		*eq = '\0';
		rc = parse_u(eq + 1, MAX_TOPOLOGY, &v);
		if (rc)
			break;
		if (strcmp(tok, "cpus") == 0)
			cpus = v;
		else if (strcmp(tok, "sockets") == 0)
			sockets = v, topo = true;
		else if (strcmp(tok, "cores") == 0)
			cores = v, topo = true;
		else if (strcmp(tok, "threads") == 0)
			threads = v, topo = true;
		else
			rc = -EINVAL;
	}
	free(s);
	if (rc)
		return rc;
	unsigned long prod = sockets * cores * threads;
	if (cpus == 0)
		cpus = prod;
	if (topo && cpus > prod)
		return -EINVAL; /* more vCPUs than the topology has places for */
	char buf[32];
	snprintf(buf, sizeof(buf), "%lu", cpus);
	config_set(cfg, "cpus", buf);
	if (topo) {
		snprintf(buf, sizeof(buf), "%lu", sockets);
		config_set(cfg, "sockets", buf);
		snprintf(buf, sizeof(buf), "%lu", cores);
		config_set(cfg, "cores", buf);
		snprintf(buf, sizeof(buf), "%lu", threads);
		config_set(cfg, "threads", buf);
	}
	return 0;
}

/* -p vcpu:hostcpu, repeatable: vcpu.N.cpuset collects a list. */
static int parse_pin(struct config *cfg, const char *arg)
{
	unsigned long vcpu, host;
	char *end;
	errno = 0;
	vcpu = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != ':' || arg[0] == '-')
		return -EINVAL;
	const char *h = end + 1;
	if (*h < '0' || *h > '9')
		return -EINVAL;
	host = strtoul(h, &end, 10);
	if (errno || *end || vcpu >= 256 || host >= 1024)
		return -EINVAL;
	char key[32], val[4096];
	snprintf(key, sizeof(key), "vcpu.%lu.cpuset", vcpu);
	const char *old = config_get(cfg, key);
	if (old)
		snprintf(val, sizeof(val), "%s,%lu", old, host);
	else
		snprintf(val, sizeof(val), "%lu", host);
	return config_set(cfg, key, val);
}

/* -G [w][address:]port */
static int parse_gdb(struct config *cfg, const char *arg)
{
	if (*arg == 'w') {
		config_set(cfg, "gdb.wait", "true");
		arg++;
	}
	const char *colon = strrchr(arg, ':');
	const char *port = colon ? colon + 1 : arg;
	unsigned long p;
	if (parse_u(port, 65535, &p) < 0)
		return -EINVAL;
	if (colon) {
		char addr[256];
		size_t n = (size_t)(colon - arg);
		if (n == 0 || n >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, arg, n);
		addr[n] = '\0';
		config_set(cfg, "gdb.address", addr);
	}
	return config_set(cfg, "gdb.port", port);
}

/* -f name,string=data | name,file=path */
static int parse_fwcfg(struct config *cfg, const char *arg)
{
	const char *comma = strchr(arg, ',');
	if (comma == NULL || comma == arg)
		return -EINVAL;
	const char *kind = comma + 1;
	bool is_file = strncmp(kind, "file=", 5) == 0;
	if (!is_file && strncmp(kind, "string=", 7) != 0)
		return -EINVAL;
	unsigned idx = 0;
	char key[64];
	for (;; idx++) {
		snprintf(key, sizeof(key), "fwcfg.%u.name", idx);
		if (config_get(cfg, key) == NULL)
			break;
	}
	char name[256];
	size_t n = (size_t)(comma - arg);
	if (n >= sizeof(name))
		return -EINVAL;
	memcpy(name, arg, n);
	name[n] = '\0';
	config_set(cfg, key, name);
	snprintf(key, sizeof(key), "fwcfg.%u.%s", idx, is_file ? "file" : "string");
	return config_set(cfg, key, strchr(kind, '=') + 1);
}

static int set_kv(struct config *cfg, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg)
		return -EINVAL;
	char *key = strndup(arg, (size_t)(eq - arg));
	if (key == NULL)
		return -ENOMEM;
	int rc = config_set(cfg, key, eq + 1);
	free(key);
	return rc;
}

int cli_parse(struct config *cfg, int argc, char *const argv[], FILE *out, FILE *err,
	      int *exit_code)
{
	char *p0 = strdup(argc > 0 ? argv[0] : "khyve");
	const char *prog = p0 && strcmp(basename(p0), "bhyve") == 0 ? "bhyve" : "khyve";
	int ch, rc = 0;
	/* bhyve's defaults, set before the flags so that config.dump shows them. */
	config_set(cfg, "memory.size", "256M");
	config_set(cfg, "x86.strictmsr", "true");
	optind = 0; /* glibc: full re-initialisation, so tests may parse many times */
	opterr = 0;
	*exit_code = KHYVE_EXIT_POWEROFF;
	while ((ch = getopt(argc, argv, OPTSTRING)) != -1) {
		bool done = false;
		for (size_t i = 0; i < sizeof(bool_flags) / sizeof(bool_flags[0]); i++) {
			if (bool_flags[i].flag == ch) {
				config_set(cfg, bool_flags[i].key, bool_flags[i].value);
				done = true;
			}
		}
		if (done)
			continue;
		char msg[512] = "";
		switch (ch) {
		case 'b':
			break; /* bvmconsole: gone from bhyve too */
		case 'c':
			if (parse_topology(cfg, optarg) < 0) {
				fprintf(err, "%s: invalid cpu topology '%s'\n", prog, optarg);
				*exit_code = KHYVE_EXIT_USAGE;
				goto stop;
			}
			break;
		case 'f':
			if (parse_fwcfg(cfg, optarg) < 0) {
				fprintf(err, "%s: invalid fwcfg item '%s': expected "
					     "name,string=data or name,file=path\n", prog, optarg);
				*exit_code = KHYVE_EXIT_USAGE;
				goto stop;
			}
			break;
		case 'g':
			config_set(cfg, "gdb.port", optarg);
			break;
		case 'G':
			if (parse_gdb(cfg, optarg) < 0) {
				fprintf(err, "%s: invalid gdb port '%s'\n", prog, optarg);
				*exit_code = KHYVE_EXIT_USAGE;
				goto stop;
			}
			break;
		case 'k':
			if (config_load_file(cfg, optarg, msg, sizeof(msg)) < 0) {
				fprintf(err, "%s: %s\n", prog, msg);
				*exit_code = KHYVE_EXIT_ERROR;
				goto stop;
			}
			break;
		case 'l':
			if (strcmp(optarg, "help") == 0) {
				cli_list_lpc(out);
				*exit_code = KHYVE_EXIT_REBOOT;
				goto stop;
			}
			rc = cli_parse_lpc(cfg, optarg, err);
			if (rc < 0) {
				*exit_code = rc == -ENOTSUP ? KHYVE_EXIT_ERROR : KHYVE_EXIT_USAGE;
				goto stop;
			}
			break;
		case 'm': {
			uint64_t b;
			if (cli_parse_memsize(optarg, &b) < 0) {
				fprintf(err, "%s: invalid memsize '%s'\n", prog, optarg);
				*exit_code = KHYVE_EXIT_USAGE;
				goto stop;
			}
			config_set(cfg, "memory.size", optarg);
			break;
		}
		case 'o':
			if (set_kv(cfg, optarg) < 0) {
				fprintf(err, "%s: invalid configuration option '%s'\n", prog, optarg);
				*exit_code = KHYVE_EXIT_USAGE;
				goto stop;
			}
			break;
		case 'p':
			if (parse_pin(cfg, optarg) < 0) {
				fprintf(err, "%s: invalid vcpu pinning configuration '%s'\n", prog,
					optarg);
				*exit_code = KHYVE_EXIT_USAGE;
				goto stop;
			}
			break;
		case 's':
			if (strcmp(optarg, "help") == 0) {
				cli_list_emulations(out);
				*exit_code = KHYVE_EXIT_REBOOT;
				goto stop;
			}
			if (cli_parse_pci_slot(cfg, optarg, err) < 0) {
				*exit_code = KHYVE_EXIT_ERROR;
				goto stop;
			}
			break;
		case 'U':
			config_set(cfg, "uuid", optarg);
			break;
		case 'h':
			usage(prog, out);
			*exit_code = KHYVE_EXIT_REBOOT;
			goto stop;
		default:
			if (optopt)
				fprintf(err, "%s: %s -- '%c'\n", prog,
					strchr(OPTSTRING, optopt) ? "option requires an argument"
								  : "illegal option",
					optopt);
			usage(prog, err);
			*exit_code = KHYVE_EXIT_POWEROFF;
			goto stop;
		}
	}
	int rest = argc - optind;
	if (rest > 1 || (rest == 0 && config_get(cfg, "name") == NULL)) {
		fprintf(err, rest ? "%s: too many arguments\n" : "%s: no VM name given\n", prog);
		usage(prog, err);
		*exit_code = KHYVE_EXIT_POWEROFF;
		goto stop;
	}
	if (rest == 1)
		config_set(cfg, "name", argv[optind]);
	bool dump = false;
	if (config_get_bool(cfg, "config.dump", false, &dump) == 0 && dump) {
		config_dump(cfg, out);
		*exit_code = KHYVE_EXIT_POWEROFF;
		goto stop;
	}
	free(p0);
	return 1;
stop:
	free(p0);
	return 0;
}
