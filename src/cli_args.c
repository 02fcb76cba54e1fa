// SPDX-License-Identifier: BSD-2-Clause
/*
 * The arguments of bhyve's flags: -m sizes, -c topology, -p pinning, -G,
 * -f and -l, each turned into the config keys bhyve uses.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli_priv.h"
#include "khyve/cli.h"

#define FWCFG_MAX_NAME 56 /* bytes of a fw_cfg file name, NUL included */

bool cli_is_help(const char *arg)
{
	return strncmp(arg, "help", strlen(arg)) == 0;
}

/* A whole-string unsigned number in base (0: C prefixes), no sign or blanks, within [min, max]. */
static int parse_num(const char *s, int base, unsigned long long min, unsigned long long max,
		     unsigned long long *out)
{
	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * vm_parse_memsize: a plain number below 1 MiB counts MiB (older bhyve took
 * megabytes only), a larger one bytes; otherwise expand_number's one-letter
 * units b, k, m, g, t, p, e in either case. Numbers take C prefixes as
 * strtoul(…, 0) does. Zero, overflow and anything else are refused.
 */
int cli_parse_memsize(const char *s, uint64_t *bytes)
{
	static const char units[] = "bkmgtpe";
	unsigned long long v;
	char *end;
	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	unsigned shift;
	if (*end == '\0') {
		shift = v < (1ull << 20) ? 20 : 0;
	} else {
		const char *u = strchr(units, tolower((unsigned char)*end));
		if (u == NULL || end[1] != '\0')
			return -EINVAL;
		shift = 10 * (unsigned)(u - units);
	}
	if (v == 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static const char *const topology_keys[] = {"cpus", "sockets", "cores", "threads"};

/*
 * The places a topology offers, missing factors counting 1; sets *any when a
 * socket, core or thread count was given.
 */
static unsigned long long places(const unsigned long long v[4], const bool set[4], bool *any)
{
	unsigned long long p = 1;
	*any = false;
	for (unsigned i = 1; i < 4; i++) {
		if (set[i]) {
			p *= v[i];
			*any = true;
		}
	}
	return p;
}

int cli_parse_topology(struct config *cfg, const char *arg)
{
	unsigned long long v[4] = {1, 1, 1, 1};
	const char *val[4] = {NULL, NULL, NULL, NULL};
	bool set[4] = {false, false, false, false}, any;
	if (*arg == '\0') {
		/* -c "": one vCPU, as bhyve's manual page reads the empty spec */
		for (unsigned i = 0; i < 4; i++)
			if (config_set(cfg, topology_keys[i], "1") < 0)
				return -ENOMEM;
		return 0;
	}
	char *copy = strdup(arg), *s = copy, *tok;
	if (copy == NULL)
		return -ENOMEM;
	int rc = 0;
	while ((tok = strsep(&s, ",")) != NULL) {
		if (*tok == '\0')
			continue; /* ",," */
		unsigned i = 0;
		char *eq = strchr(tok, '=');
		if (eq) {
			*eq = '\0';
			for (i = 0; i < 4 && strcmp(tok, topology_keys[i]) != 0; i++)
				;
			tok = eq + 1;
		}
		if (i == 4 || parse_num(tok, 0, 1, CLI_MAX_TOPOLOGY, &v[i]) < 0) {
			rc = -EINVAL;
			break;
		}
		val[i] = tok;
		set[i] = true;
	}
	unsigned long long p = places(v, set, &any);
	if (rc == 0 && (p > CLI_MAX_TOPOLOGY || (any && set[0] && v[0] > p)))
		rc = -EINVAL;
	for (unsigned i = 0; rc == 0 && i < 4; i++)
		if (set[i])
			rc = config_set(cfg, topology_keys[i], val[i]);
	free(copy);
	return rc;
}

int cli_check_topology(struct config *cfg, char *msg, size_t len)
{
	unsigned long long v[4] = {1, 1, 1, 1};
	bool set[4], any;
	for (unsigned i = 0; i < 4; i++) {
		const char *s = config_get(cfg, topology_keys[i]);
		set[i] = s != NULL;
		if (s && parse_num(s, 0, 1, CLI_MAX_TOPOLOGY, &v[i]) < 0) {
			snprintf(msg, len, "invalid value for %s: '%s' (1 to %u)", topology_keys[i], s,
				 CLI_MAX_TOPOLOGY);
			return -EINVAL;
		}
	}
	unsigned long long p = places(v, set, &any);
	if (p > CLI_MAX_TOPOLOGY) {
		snprintf(msg, len, "computed number of vCPUs too high: %llu (at most %u)", p,
			 CLI_MAX_TOPOLOGY);
		return -EINVAL;
	}
	if (!any)
		return 0;
	if (!set[0]) {
		/* As bhyve: without a count, the topology's places are the vCPUs. */
		char buf[24];
		snprintf(buf, sizeof(buf), "%llu", p);
		return config_set(cfg, "cpus", buf);
	}
	if (v[0] > p) {
		snprintf(msg, len, "topology (%llu sockets, %llu cores, %llu threads) has places "
				   "for %llu vCPUs, not %llu", v[1], v[2], v[3], p, v[0]);
		return -EINVAL;
	}
	return 0;
}

int cli_parse_pin(struct config *cfg, const char *arg)
{
	unsigned long long vcpu, host;
	const char *colon = strchr(arg, ':');
	if (colon == NULL)
		return -EINVAL;
	char vbuf[24];
	size_t n = (size_t)(colon - arg);
	if (n == 0 || n >= sizeof(vbuf))
		return -EINVAL;
	memcpy(vbuf, arg, n);
	vbuf[n] = '\0';
	if (parse_num(vbuf, 10, 0, CLI_MAX_TOPOLOGY - 1, &vcpu) < 0 ||
	    parse_num(colon + 1, 10, 0, CPU_SETSIZE - 1, &host) < 0)
		return -EINVAL;
	char key[40], *val;
	snprintf(key, sizeof(key), "vcpu.%llu.cpuset", vcpu);
	const char *old = config_get(cfg, key);
	if (asprintf(&val, "%s%s%llu", old ? old : "", old ? "," : "", host) < 0)
		return -ENOMEM;
	int rc = config_set(cfg, key, val);
	free(val);
	return rc;
}

int cli_parse_gdb(struct config *cfg, const char *arg)
{
	int rc = 0;
	if (*arg == 'w') {
		rc = config_set(cfg, "gdb.wait", "true");
		arg++;
	}
	const char *colon = strrchr(arg, ':');
	const char *port = colon ? colon + 1 : arg;
	if (rc < 0 || *port == '\0' || colon == arg)
		return rc < 0 ? rc : -EINVAL;
	if (colon) {
		char *addr = strndup(arg, (size_t)(colon - arg));
		if (addr == NULL)
			return -ENOMEM;
		rc = config_set(cfg, "gdb.address", addr);
		free(addr);
	}
	return rc < 0 ? rc : config_set(cfg, "gdb.port", port);
}

/*
 * bhyve keeps -f items outside its tree; here they become fwcfg.N.name and
 * fwcfg.N.string or fwcfg.N.file, N counting from 0. As bhyve, a file must be
 * readable when the flag is parsed.
 */
int cli_parse_fwcfg(struct config *cfg, const char *arg, char *msg, size_t len)
{
	const char *name = strncmp(arg, "name=", 5) == 0 ? arg + 5 : arg;
	const char *comma = strchr(name, ',');
	const char *kind = NULL, *data = NULL;
	if (comma && strncmp(comma + 1, "string=", 7) == 0)
		kind = "string", data = comma + 8;
	else if (comma && strncmp(comma + 1, "file=", 5) == 0)
		kind = "file", data = comma + 6;
	if (kind == NULL || comma == name) {
		snprintf(msg, len, "expected [name=]NAME,string=DATA or [name=]NAME,file=PATH");
		return -EINVAL;
	}
	if (comma - name >= FWCFG_MAX_NAME) {
		snprintf(msg, len, "the name is longer than %d characters", FWCFG_MAX_NAME - 1);
		return -EINVAL;
	}
	if (strcmp(kind, "file") == 0) {
		int fd = *data ? open(data, O_RDONLY | O_CLOEXEC) : -1;
		if (fd < 0) {
			snprintf(msg, len, "cannot read '%s': %s", data,
				 *data ? strerror(errno) : "no path");
			return -EINVAL;
		}
		close(fd);
	}
	char key[48];
	unsigned idx = 0;
	for (;; idx++) {
		snprintf(key, sizeof(key), "fwcfg.%u.name", idx);
		if (config_get(cfg, key) == NULL)
			break;
	}
	char *n = strndup(name, (size_t)(comma - name));
	if (n == NULL)
		return -ENOMEM;
	int rc = config_set(cfg, key, n);
	free(n);
	snprintf(key, sizeof(key), "fwcfg.%u.%s", idx, kind);
	if (rc == 0)
		rc = config_set(cfg, key, data);
	if (rc < 0)
		snprintf(msg, len, "cannot store it: %s", strerror(-rc));
	return rc;
}

/* -l devices this build has. Later LPC devices are added here. */
static const struct {
	const char *name;
	bool is_com;
} lpc_devices[] = {
	{"com1", true}, {"com2", true}, {"com3", true}, {"com4", true}, {"fwcfg", false},
};

/* bhyve's LPC devices that this build lacks: refused with exit status 4, not a usage error. */
static const struct {
	const char *name, *why;
} lpc_missing[] = {
	{"bootrom", "khyve boots Linux directly (-o boot.kernel=PATH)"},
	{"tpm", "there is no TPM emulation"},
	{"pc-testdev", "there is no test device"},
};

void cli_list_lpc(FILE *out)
{
	for (size_t i = 0; i < sizeof(lpc_devices) / sizeof(lpc_devices[0]); i++)
		fprintf(out, "%s\n", lpc_devices[i].name);
}

static int lpc_com(struct config *cfg, const char *arg, const char *name, const char *conf,
		   FILE *err)
{
	if (conf == NULL || *conf == '\0') {
		fprintf(err, "invalid lpc device configuration '%s': %s needs a backend: stdio, a "
			     "terminal device path or tcp=ADDRESS:PORT\n", arg, name);
		return -EINVAL;
	}
	if (strncmp(conf, "/dev/nmdm", 9) == 0) {
		fprintf(err, "lpc device '%s': nmdm(4) null-modem devices exist only on FreeBSD; "
			     "use a pseudo-terminal path, stdio or tcp=ADDRESS:PORT\n", arg);
		return -ENOTSUP;
	}
	char key[32];
	snprintf(key, sizeof(key), "lpc.%s.path", name);
	return config_set(cfg, key, conf);
}

int cli_parse_lpc(struct config *cfg, const char *arg, FILE *err)
{
	char *copy = strdup(arg), *s = copy;
	if (copy == NULL)
		return -ENOMEM;
	const char *dev = strsep(&s, ","), *conf = s;
	int rc = -EINVAL;
	for (size_t i = 0; i < sizeof(lpc_devices) / sizeof(lpc_devices[0]); i++) {
		if (lpc_devices[i].is_com && strcasecmp(dev, lpc_devices[i].name) == 0) {
			rc = lpc_com(cfg, arg, lpc_devices[i].name, conf, err);
			goto out;
		}
	}
	if (strncasecmp(dev, "fwcfg=", 6) == 0) {
		/* bhyve takes fwcfg= after a bootrom; with no bootrom here it stands alone */
		if (conf || (strcmp(dev + 6, "bhyve") != 0 && strcmp(dev + 6, "qemu") != 0)) {
			fprintf(err, "invalid lpc device configuration '%s': expected fwcfg=bhyve "
				     "or fwcfg=qemu\n", arg);
			goto out;
		}
		rc = config_set(cfg, "lpc.fwcfg", dev + 6);
		goto out;
	}
	for (size_t i = 0; i < sizeof(lpc_missing) / sizeof(lpc_missing[0]); i++) {
		if (strcasecmp(dev, lpc_missing[i].name) == 0) {
			fprintf(err, "lpc device '%s' is not supported by khyve: %s\n",
				lpc_missing[i].name, lpc_missing[i].why);
			rc = -ENOTSUP;
			goto out;
		}
	}
	fprintf(err, "invalid lpc device configuration '%s': the devices are com1 to com4 "
		     "(stdio, a terminal path or tcp=ADDRESS:PORT) and fwcfg=bhyve|qemu\n", arg);
out:
	free(copy);
	return rc;
}
