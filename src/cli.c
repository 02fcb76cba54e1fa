// SPDX-License-Identifier: BSD-2-Clause
/*
 * bhyve(8)'s command line → config keys. BSD getopt semantics: grouped flags
 * (-AHPw), glued arguments (-lcom1,stdio), parsing stops at the first
 * non-option; flags apply in command-line order, so a later -o overrides an
 * earlier flag and the other way round. What bhyve checks only after its
 * option loop (the topology, memory.size) is checked here after the loop
 * too, behind config.dump.
 */
#include "khyve/cli.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"
#include "khyve/netaddr.h"
#include "khyve/smbios.h"
#include "khyve/vm.h"

/* bhyve's letters; '+' stops at the first non-option, ':' reports a missing argument. */
#define OPTSTRING "+:aAbCc:DeG:g:HhIk:K:l:m:o:p:PSs:uU:wWxYf:"
#define CONTINUE (-1) /* not an exit status: keep parsing */

/* Flags that set one key to a fixed value. */
static const struct {
	char flag;
	const char *key, *value;
} fixed_flags[] = {
	{'a', "x86.x2apic", "false"},
	{'A', "acpi_tables", "true"},
	{'C', "memory.guest_in_core", "true"},
	{'D', "destroy_on_poweroff", "true"},
	{'e', "x86.strictio", "true"},
	{'H', "x86.vmexit_on_hlt", "true"},
	{'P', "x86.vmexit_on_pause", "true"},
	{'S', "memory.wired", "true"},
	{'u', "rtc.use_localtime", "false"},
	{'w', "x86.strictmsr", "false"},
	{'W', "virtio_msix", "false"},
	{'x', "x86.x2apic", "true"},
	{'Y', "x86.mptable", "false"},
};

/*
 * bhyve's defaults set before the flags (so config.dump shows them first).
 * bhyve also sets acpi_tables_in_memory, x86.verbosemsr and lpc.fwcfg=bhyve:
 * khyve has no table-loading firmware, MSR logging or fwctl device for them.
 */
static const struct {
	const char *key, *value;
} defaults[] = {
	{"acpi_tables", "true"}, /* the tables are always built */
	{"memory.size", "256M"},
	{"x86.strictmsr", "true"},
};

static void usage(const char *prog, FILE *f)
{
	int w = (int)strlen(prog);
	fprintf(f,
		"Usage: %s [-aCDeHhPSuWwxY]\n"
		"       %*s [-c [[cpus=]numcpus][,sockets=n][,cores=n][,threads=n]]\n"
		"       %*s [-G [w][address:]port] [-k config_file] [-l lpc] [-m mem]\n"
		"       %*s [-o var=value] [-p vcpu:hostcpu] [-s pci] [-U uuid]\n"
		"       %*s [-f name,[string|file]=data] vmname\n"
		"       -a: local apic is in xAPIC mode (deprecated)\n"
		"       -A: create ACPI tables (they always are)\n"
		"       -C: include guest memory in core file\n"
		"       -c: number of CPUs and/or topology specification\n"
		"       -D: destroy on power-off\n"
		"       -e: exit on unhandled I/O access\n"
		"       -f: firmware configuration (fw_cfg) item\n"
		"       -G: start a debug server\n"
		"       -H: vmexit from the guest on HLT\n"
		"       -h: help\n"
		"       -k: key=value flat config file\n"
		"       -K: PS2 keyboard layout\n"
		"       -l: LPC device configuration (-l help lists them)\n"
		"       -m: memory size (K/M/G/T suffix; a plain number below 1048576 is MB)\n"
		"       -o: set config 'var' to 'value'\n"
		"       -P: vmexit from the guest on pause\n"
		"       -p: pin 'vcpu' to 'hostcpu'\n"
		"       -S: guest memory cannot be swapped\n"
		"       -s: <slot,driver,configinfo> PCI slot config (-s help lists them)\n"
		"       -U: UUID\n"
		"       -u: RTC keeps UTC time\n"
		"       -W: force virtio to use single-vector MSI\n"
		"       -w: ignore unimplemented MSRs\n"
		"       -x: local APIC is in x2APIC mode\n"
		"       -Y: disable MPtable generation\n"
		"       Linux guests: -o boot.kernel=bzImage [-o boot.initrd=file] "
		"[-o boot.cmdline=string]\n",
		prog, w, "", w, "", w, "", w, "");
}

/* "bhyve" when run under that name (the installed link), else "khyve". */
static const char *prog_name(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;
	base = base ? base + 1 : argv0;
	return base && strcmp(base, "bhyve") == 0 ? "bhyve" : "khyve";
}

static int out_of_memory(const char *prog, FILE *err)
{
	fprintf(err, "%s: out of memory\n", prog);
	return KHYVE_EXIT_ERROR;
}

/* -o var=value, split at the first '=': bhyve refuses an empty name or value. */
static int set_option(struct config *cfg, const char *arg, const char *prog, FILE *err)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fprintf(err, "%s: invalid configuration option '%s': expected var=value\n", prog,
			arg);
		return KHYVE_EXIT_USAGE;
	}
	char *key = strndup(arg, (size_t)(eq - arg));
	if (key == NULL)
		return out_of_memory(prog, err);
	int rc = config_set(cfg, key, eq + 1);
	if (rc == -EINVAL || rc == -EEXIST)
		fprintf(err, "%s: cannot set '%s': %s\n", prog, key,
			rc == -EEXIST ? "a key cannot both hold a value and have sub-keys"
				      : "bad key (empty component)");
	free(key);
	if (rc == -ENOMEM)
		return out_of_memory(prog, err);
	return rc < 0 ? KHYVE_EXIT_ERROR : CONTINUE;
}

/* Apply one flag; CONTINUE, or the exit status that ends parsing. */
static int apply_flag(struct config *cfg, int ch, const char *arg, const char *prog, FILE *out,
		      FILE *err)
{
	char msg[512] = "";
	int rc = 0;
	for (size_t i = 0; i < sizeof(fixed_flags) / sizeof(fixed_flags[0]); i++)
		if (fixed_flags[i].flag == ch)
			return config_set(cfg, fixed_flags[i].key, fixed_flags[i].value) < 0
				       ? out_of_memory(prog, err)
				       : CONTINUE;
	switch (ch) {
	case 'b': /* bvmconsole, long gone from bhyve */
	case 'I': /* I/O APIC, always present; bhyve still accepts the flag */
		return CONTINUE;
	case 'c':
		rc = cli_parse_topology(cfg, arg);
		if (rc == -EINVAL) {
			fprintf(err, "%s: invalid cpu topology '%s': expected [[cpus=]n][,sockets=n]"
				     "[,cores=n][,threads=n], each 1-%u, with cpus at most "
				     "sockets*cores*threads\n", prog, arg, CLI_MAX_TOPOLOGY);
			return KHYVE_EXIT_USAGE;
		}
		break;
	case 'f':
		rc = cli_parse_fwcfg(cfg, arg, msg, sizeof(msg));
		if (rc == -EINVAL) {
			fprintf(err, "%s: invalid fwcfg item '%s': %s\n", prog, arg, msg);
			return KHYVE_EXIT_USAGE;
		}
		break;
	case 'g': /* the old spelling of -G port */
		rc = config_set(cfg, "gdb.port", arg);
		break;
	case 'G':
		rc = cli_parse_gdb(cfg, arg);
		if (rc == -EINVAL) {
			fprintf(err, "%s: invalid debug server '%s': expected [w][address:]port\n",
				prog, arg);
			return KHYVE_EXIT_ERROR;
		}
		break;
	case 'k':
		rc = config_load_file(cfg, arg, msg, sizeof(msg));
		if (rc < 0) {
			fprintf(err, "%s: %s\n", prog, msg);
			return KHYVE_EXIT_ERROR;
		}
		break;
	case 'K':
		rc = config_set(cfg, "keyboard.layout", arg);
		break;
	case 'l':
		if (cli_is_help(arg)) {
			cli_list_lpc(out);
			return KHYVE_EXIT_REBOOT;
		}
		rc = cli_parse_lpc(cfg, arg, err);
		if (rc == -EINVAL)
			return KHYVE_EXIT_USAGE;
		if (rc == -ENOTSUP)
			return KHYVE_EXIT_ERROR;
		break;
	case 'm': /* checked with the final value, after config.dump, as bhyve */
		rc = config_set(cfg, "memory.size", arg);
		break;
	case 'o':
		return set_option(cfg, arg, prog, err);
	case 'p':
		rc = cli_parse_pin(cfg, arg);
		if (rc == -EINVAL) {
			fprintf(err, "%s: invalid vcpu pinning configuration '%s': expected "
				     "vcpu:hostcpu with vcpu 0-%u and hostcpu 0-%u\n", prog, arg,
				CLI_MAX_TOPOLOGY - 1, CPU_SETSIZE - 1);
			return KHYVE_EXIT_USAGE;
		}
		break;
	case 's':
		if (cli_is_help(arg)) {
			cli_list_emulations(out);
			return KHYVE_EXIT_REBOOT;
		}
		rc = cli_parse_pci_slot(cfg, arg, err);
		if (rc == -EINVAL)
			return KHYVE_EXIT_ERROR;
		break;
	case 'U':
		rc = config_set(cfg, "uuid", arg);
		break;
	case 'h': /* bhyve: usage on stderr, status 0 */
		usage(prog, err);
		return KHYVE_EXIT_REBOOT;
	case ':':
		fprintf(err, "%s: option requires an argument -- %c\n", prog, optopt);
		usage(prog, err);
		return KHYVE_EXIT_POWEROFF;
	default:
		fprintf(err, "%s: illegal option -- %c\n", prog, optopt ? optopt : ch);
		usage(prog, err);
		return KHYVE_EXIT_POWEROFF;
	}
	if (rc == -ENOMEM)
		return out_of_memory(prog, err);
	if (rc < 0) {
		fprintf(err, "%s: cannot apply -%c %s: %s\n", prog, ch, arg, strerror(-rc));
		return KHYVE_EXIT_ERROR;
	}
	return CONTINUE;
}

/* Values bhyve checks after its option loop, before it opens the VM. */
static int check_values(struct config *cfg, const char *prog, FILE *err)
{
	char msg[256];
	uint64_t bytes;
	uint8_t uuid[16];
	int rc = cli_check_topology(cfg, msg, sizeof(msg));
	if (rc == -ENOMEM)
		return out_of_memory(prog, err);
	if (rc < 0) {
		fprintf(err, "%s: %s\n", prog, msg);
		return KHYVE_EXIT_ERROR;
	}
	const char *v = config_get(cfg, "memory.size");
	if (v && cli_parse_memsize(v, &bytes) < 0) {
		fprintf(err, "%s: invalid memsize '%s': expected a number with an optional K, M, "
			     "G or T suffix (either case)\n", prog, v);
		return KHYVE_EXIT_USAGE;
	}
	v = config_get(cfg, "uuid");
	if (v && smbios_parse_uuid(v, uuid) < 0) {
		fprintf(err, "%s: invalid UUID '%s': expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx "
			     "in hexadecimal\n", prog, v);
		return KHYVE_EXIT_ERROR;
	}
	v = config_get(cfg, "gdb.port");
	uint16_t port;
	if (v && netaddr_port(v, 0, &port) < 0) {
		fprintf(err, "%s: invalid gdb.port '%s': expected 0-65535 in decimal\n", prog, v);
		return KHYVE_EXIT_ERROR;
	}
	uint64_t poll_us;
	if (config_get_u64(cfg, "virtio.poll_us", 0, &poll_us) < 0 || poll_us > VM_POLL_US_MAX) {
		fprintf(err, "%s: invalid virtio.poll_us '%s': expected 0-%u (microseconds)\n", prog,
			config_get(cfg, "virtio.poll_us"), VM_POLL_US_MAX);
		return KHYVE_EXIT_ERROR;
	}
	return CONTINUE;
}

/* After the options: the VM name, config.dump, then the late checks. */
static int finish(struct config *cfg, int rest, char *const args[], const char *prog, FILE *out,
		  FILE *err)
{
	if (rest > 1) {
		fprintf(err, "%s: too many arguments: '%s' after the VM name '%s' (options go "
			     "before the VM name)\n", prog, args[1], args[0]);
		usage(prog, err);
		return KHYVE_EXIT_POWEROFF;
	}
	if (rest == 1 && config_set(cfg, "name", args[0]) < 0)
		return out_of_memory(prog, err);
	if (config_get(cfg, "name") == NULL) {
		fprintf(err, "%s: no VM name given\n", prog);
		usage(prog, err);
		return KHYVE_EXIT_POWEROFF;
	}
	bool dump;
	if (config_get_bool(cfg, "config.dump", false, &dump) < 0) {
		fprintf(err, "%s: invalid value '%s' for boolean config.dump\n", prog,
			config_get(cfg, "config.dump"));
		return KHYVE_EXIT_ERROR;
	}
	if (dump) {
		config_dump(cfg, out);
		return KHYVE_EXIT_POWEROFF;
	}
	return check_values(cfg, prog, err);
}

int cli_parse(struct config *cfg, int argc, char *const argv[], FILE *out, FILE *err,
	      int *exit_code)
{
	const char *prog = prog_name(argc > 0 ? argv[0] : NULL);
	int code = CONTINUE, ch;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]) && code == CONTINUE; i++)
		if (config_set_default(cfg, defaults[i].key, defaults[i].value) < 0)
			code = out_of_memory(prog, err);
	optind = 0; /* glibc: a full re-initialisation, so cli_parse can run again */
	opterr = 0; /* the messages are ours, in BSD getopt's words */
	while (code == CONTINUE && argc > 0 && (ch = getopt(argc, argv, OPTSTRING)) != -1)
		code = apply_flag(cfg, ch, optarg, prog, out, err);
	if (code == CONTINUE) {
		int first = argc > 0 && optind <= argc ? optind : argc;
		code = finish(cfg, argc - first, argv + first, prog, out, err);
	}
	fflush(out);
	fflush(err);
	*exit_code = code == CONTINUE ? KHYVE_EXIT_REBOOT : code;
	return code == CONTINUE;
}
