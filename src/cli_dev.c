// SPDX-License-Identifier: BSD-2-Clause
/* -s and -l option strings → config keys, as bhyve's pci_parse_slot and lpc_device_parse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "khyve/cli.h"
#include "khyve/config.h"
#include "khyve/pci.h"

#define MAX_BUSES 256

static bool known_option(const struct pci_devemu *pe, const char *key)
{
	for (const char *const *o = pe->options; o && *o; o++)
		if (strcmp(*o, key) == 0)
			return true;
	return false;
}

/* Generic "name[=value],..." options; a bare name means true. */
static int generic_options(struct config *cfg, const struct pci_devemu *pe, const char *node,
			   const char *opts, FILE *err)
{
	char *copy = strdup(opts), *save = NULL;
	if (copy == NULL)
		return -ENOMEM;
	int rc = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = "true";
		if (eq) {
			*eq = '\0';
			val = eq + 1;
		}
		if (*tok == '\0')
			continue;
		char key[256];
		snprintf(key, sizeof(key), "%s.%s", node, tok);
		if ((rc = config_set(cfg, key, val)) < 0) {
			fprintf(err, "%s: invalid option '%s'\n", node, tok);
			break;
		}
		if (!known_option(pe, tok))
			fprintf(err, "%s: %s does not know option '%s'; it is kept but unused\n",
				node, pe->name, tok);
	}
	free(copy);
	return rc;
}

static int parse_num(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static void slot_usage(const char *arg, FILE *err)
{
	fprintf(err, "invalid PCI slot info field '%s': expected [bus:]slot[:func],emulation[,conf] "
		     "with bus 0-255, slot 0-31, func 0-7 (-s help lists emulations)\n", arg);
}

static void list_emulations(FILE *out)
{
	for (size_t i = 0; i < pci_emul_count(); i++) {
		const struct pci_devemu *pe = pci_emul_at(i);
		fprintf(out, "%-16s %s\n", pe->name, pe->help ? pe->help : "");
	}
}

int cli_parse_pci_slot(struct config *cfg, const char *arg, FILE *err)
{
	char *s = strdup(arg);
	if (s == NULL)
		return -ENOMEM;
	int rc = -EINVAL;
	char *emul = strchr(s, ','), *opts = NULL;
	if (emul == NULL) {
		slot_usage(arg, err);
		goto out;
	}
	*emul++ = '\0';
	if ((opts = strchr(emul, ',')) != NULL)
		*opts++ = '\0';
	long f[3] = {0, 0, 0}, bus = 0, slot, func = 0;
	unsigned n = 0;
	for (char *p = s, *c; n < 3; p = c + 1) {
		c = strchr(p, ':');
		if (c)
			*c = '\0';
		if (parse_num(p, &f[n++]) < 0) {
			slot_usage(arg, err);
			goto out;
		}
		if (c == NULL)
			break;
		if (n == 3) {
			slot_usage(arg, err);
			goto out;
		}
	}
	if (n == 1) {
		slot = f[0];
	} else if (n == 2) {
		slot = f[0];
		func = f[1];
	} else {
		bus = f[0];
		slot = f[1];
		func = f[2];
	}
	if (bus < 0 || bus >= MAX_BUSES || slot < 0 || slot >= PCI_SLOTS || func < 0 ||
	    func >= PCI_FUNCS) {
		slot_usage(arg, err);
		goto out;
	}
	char node[32], key[64];
	snprintf(node, sizeof(node), "pci.%ld.%ld.%ld", bus, slot, func);
	snprintf(key, sizeof(key), "%s.device", node);
	if (config_get(cfg, key) != NULL) {
		fprintf(err, "PCI slot %ld:%ld:%ld is already occupied by %s\n", bus, slot, func,
			config_get(cfg, key));
		goto out;
	}
	const struct pci_devemu *pe = pci_emul_find(emul);
	if (pe == NULL) {
		fprintf(err, "PCI slot %ld:%ld:%ld: unknown emulation \"%s\"; this build has:\n", bus,
			slot, func, emul);
		list_emulations(err);
		goto out;
	}
	if (strcmp(pe->name, "lpc") == 0) {
		if (bus != 0) {
			fprintf(err, "lpc bridge must be on bus 0 (got %ld:%ld:%ld)\n", bus, slot, func);
			goto out;
		}
		if (config_get(cfg, "lpc.pcislot") != NULL) {
			fprintf(err, "only one lpc bridge is allowed (already at %s)\n",
				config_get(cfg, "lpc.pcislot"));
			goto out;
		}
		char where[16];
		snprintf(where, sizeof(where), "%ld:%ld", slot, func);
		config_set(cfg, "lpc.pcislot", where);
	}
	if ((rc = config_set(cfg, key, pe->name)) < 0)
		goto out;
	rc = 0;
	if (opts && *opts) {
		char msg[256] = "";
		if (pe->legacy_config)
			rc = pe->legacy_config(cfg, node, opts, msg, sizeof(msg));
		else
			rc = generic_options(cfg, pe, node, opts, err);
		if (rc < 0 && msg[0])
			fprintf(err, "%s: %s\n", node, msg);
	}
out:
	free(s);
	return rc;
}

static const char *const lpc_devices[] = {"com1", "com2", "com3", "com4"};

static void list_lpc(FILE *out)
{
	for (size_t i = 0; i < 4; i++)
		fprintf(out, "%s\n", lpc_devices[i]);
}

int cli_parse_lpc(struct config *cfg, const char *arg, FILE *err)
{
	char *s = strdup(arg);
	if (s == NULL)
		return -ENOMEM;
	int rc = -EINVAL;
	char *conf = strchr(s, ',');
	if (conf)
		*conf++ = '\0';
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, lpc_devices[i]) != 0)
			continue;
		if (conf == NULL || *conf == '\0') {
			fprintf(err, "invalid lpc device configuration '%s': %s needs a backend "
				     "(stdio, a tty path or tcp=ip:port)\n", arg, lpc_devices[i]);
			goto out;
		}
		if (strncmp(conf, "/dev/nmdm", 9) == 0) {
			fprintf(err, "%s: nmdm(4) null-modem devices exist only on FreeBSD; use a "
				     "pty or tcp=ip:port\n", lpc_devices[i]);
			rc = -ENOTSUP;
			goto out;
		}
		char key[32];
		snprintf(key, sizeof(key), "lpc.%s.path", lpc_devices[i]);
		rc = config_set(cfg, key, conf);
		goto out;
	}
	if (strcmp(s, "bootrom") == 0 || strcmp(s, "fwcfg") == 0 || strcmp(s, "tpm") == 0 ||
	    strcmp(s, "pc-testdev") == 0) {
		fprintf(err, "lpc device '%s' is not supported by this build; khyve boots Linux "
			     "directly (-o boot.kernel=...). Supported: com1-com4\n", s);
		rc = -ENOTSUP;
		goto out;
	}
	fprintf(err, "invalid lpc device configuration '%s' (-l help lists devices)\n", arg);
out:
	free(s);
	return rc;
}

void cli_list_emulations(FILE *out)
{
	list_emulations(out);
}

void cli_list_lpc(FILE *out)
{
	list_lpc(out);
}
