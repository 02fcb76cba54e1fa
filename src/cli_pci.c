// SPDX-License-Identifier: BSD-2-Clause
/*
 * -s [bus:]slot[:function],emulation[,conf] → pci.B.S.F.* keys, as bhyve's
 * pci_parse_slot: the device key first, then the emulation's own reading of
 * conf (bhyve's pe_legacy_config) or the generic name[=value] list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"
#include "khyve/cli.h"
#include "khyve/virtio_net.h"

#define MAX_BUS 255
#define MAX_SLOT 31
#define MAX_FUNC 7
#define VTCON_MAX_PORTS 16

struct emul;
/* conf (NULL when the -s argument has none) → keys under node; 0, or -EINVAL with a message. */
typedef int (*legacy_config_fn)(struct config *cfg, const char *node, const struct emul *e,
				const char *conf, FILE *err);

struct emul {
	const char *name;
	const char *device; /* the device key's value when not name (bhyve's pe_alias) */
	legacy_config_fn legacy_config; /* NULL: generic_config */
	const char *const *options;	/* keys the emulation reads; others draw a warning */
};

static int set_under(struct config *cfg, const char *node, const char *name, const char *value,
		     FILE *err)
{
	char *key;
	if (asprintf(&key, "%s.%s", node, name) < 0)
		return -ENOMEM;
	int rc = config_set(cfg, key, value);
	if (rc == -EINVAL || rc == -EEXIST) {
		fprintf(err, "%s: invalid option '%s': %s\n", node, name,
			rc == -EEXIST ? "clashes with another option of the device"
				      : "empty name component");
		rc = -EINVAL;
	}
	free(key);
	return rc;
}

static bool known_option(const struct emul *e, const char *name)
{
	for (const char *const *o = e->options; o && *o; o++)
		if (strcmp(*o, name) == 0)
			return true;
	return false;
}

/*
 * bhyve's pci_parse_legacy_config: "name=value" or a bare "name" (= true).
 * An option the emulation does not read is kept and warned about; managers
 * emit such tokens, and bhyve ignores them. An empty one (",,") is skipped.
 */
static int generic_config(struct config *cfg, const char *node, const struct emul *e,
			  const char *conf, FILE *err)
{
	if (conf == NULL)
		return 0;
	char *copy = strdup(conf), *s = copy, *name;
	if (copy == NULL)
		return -ENOMEM;
	int rc = 0;
	while (rc == 0 && (name = strsep(&s, ",")) != NULL) {
		char *value = strchr(name, '=');
		if (value)
			*value++ = '\0';
		if (*name == '\0') {
			fprintf(err, "warning: %s: empty %s option ignored\n", node, e->name);
			continue;
		}
		rc = set_under(cfg, node, name, value ? value : "true", err);
		if (rc == 0 && !known_option(e, name))
			fprintf(err, "warning: %s: %s does not use option '%s'; kept in the "
				     "configuration\n", node, e->name, name);
	}
	free(copy);
	return rc;
}

/* The first token, and what follows its comma (NULL when none). */
static char *first_token(const char *conf, const char **rest)
{
	const char *comma = strchr(conf, ',');
	*rest = comma ? comma + 1 : NULL;
	return strndup(conf, comma ? (size_t)(comma - conf) : strlen(conf));
}

/* An option-shaped first token: "name=value" naming an option of e. */
static bool is_option(const struct emul *e, const char *tok)
{
	const char *eq = strchr(tok, '=');
	if (eq == NULL)
		return false;
	char name[64];
	size_t n = (size_t)(eq - tok);
	if (n >= sizeof(name))
		return false;
	memcpy(name, tok, n);
	name[n] = '\0';
	return known_option(e, name);
}

/*
 * bhyve's blockif_legacy_config: the first token is the path. One that reads
 * as a virtio-blk option ("path=/img", "ro=true") is taken as an option
 * instead, so that a plain option list works too; a path holding '=' that
 * names no option ("/img/a=b.raw") is still a path.
 */
static int blk_config(struct config *cfg, const char *node, const struct emul *e,
		      const char *conf, FILE *err)
{
	if (conf == NULL)
		return 0;
	const char *rest;
	char *path = first_token(conf, &rest);
	if (path == NULL)
		return -ENOMEM;
	int rc;
	if (*path == '\0' || is_option(e, path))
		rc = generic_config(cfg, node, e, conf, err);
	else if ((rc = set_under(cfg, node, "path", path, err)) == 0 && rest)
		rc = generic_config(cfg, node, e, rest, err);
	free(path);
	return rc;
}

/* Backends of FreeBSD's network stack; bhyve picks a backend by prefix. */
static const char *const freebsd_net_backends[] = {"netgraph", "netmap", "vale"};

/*
 * bhyve's netbe_legacy_config: the first token is the backend (tap0,
 * vmnet0, ...) unless it holds '=', then the whole conf is options.
 */
static int net_config(struct config *cfg, const char *node, const struct emul *e,
		      const char *conf, FILE *err)
{
	if (conf == NULL)
		return 0;
	const char *rest;
	char *backend = first_token(conf, &rest);
	if (backend == NULL)
		return -ENOMEM;
	int rc;
	if (*backend == '\0' || strchr(backend, '='))
		rc = generic_config(cfg, node, e, conf, err);
	else if ((rc = set_under(cfg, node, "backend", backend, err)) == 0 && rest)
		rc = generic_config(cfg, node, e, rest, err);
	free(backend);
	if (rc < 0)
		return rc;
	char key[64];
	snprintf(key, sizeof(key), "%s.backend", node);
	const char *be = config_get(cfg, key);
	for (size_t i = 0; be && i < sizeof(freebsd_net_backends) / sizeof(freebsd_net_backends[0]);
	     i++) {
		if (strncmp(be, freebsd_net_backends[i], strlen(freebsd_net_backends[i])) == 0) {
			fprintf(err, "%s: virtio-net backend '%s' exists only on FreeBSD; on Linux "
				     "use tapN or vmnetN (a tap device)\n", node, be);
			return -EINVAL;
		}
	}
	snprintf(key, sizeof(key), "%s.queues", node);
	const char *nq = config_get(cfg, key);
	unsigned n;
	if (nq && vtnet_parse_queues(nq, &n) < 0) {
		fprintf(err, "%s: virtio-net queues=%s: expected 1 to %d queue pairs\n", node, nq,
			VTNET_MAX_PAIRS);
		return -EINVAL;
	}
	return 0;
}

/*
 * bhyve's pci_vtcon_legacy_config: each token "name=path" becomes port.N.name
 * and port.N.path, N counting from 0, at most 16 ports.
 */
static int console_config(struct config *cfg, const char *node, const struct emul *e,
			  const char *conf, FILE *err)
{
	if (conf == NULL)
		return 0;
	char *copy = strdup(conf), *s = copy, *tok;
	if (copy == NULL)
		return -ENOMEM;
	int rc = 0;
	unsigned port = 0;
	while (rc == 0 && (tok = strsep(&s, ",")) != NULL) {
		if (*tok == '\0') {
			fprintf(err, "warning: %s: empty %s option ignored\n", node, e->name);
			continue;
		}
		char *path = strchr(tok, '=');
		if (path == NULL || path == tok || path[1] == '\0') {
			fprintf(err, "%s: virtio-console port '%s' needs NAME=/path/to/socket\n", node,
				tok);
			rc = -EINVAL;
			break;
		}
		*path++ = '\0';
		if (port >= VTCON_MAX_PORTS) {
			fprintf(err, "%s: virtio-console has at most %d ports\n", node,
				VTCON_MAX_PORTS);
			rc = -EINVAL;
			break;
		}
		char sub[32];
		snprintf(sub, sizeof(sub), "port.%u.name", port);
		rc = set_under(cfg, node, sub, tok, err);
		snprintf(sub, sizeof(sub), "port.%u.path", port);
		if (rc == 0)
			rc = set_under(cfg, node, sub, path, err);
		port++;
	}
	free(copy);
	return rc;
}

/* bhyve's amd_hostbridge: a hostbridge with AMD's vendor ID; it reads no options. */
static int amd_hostbridge_config(struct config *cfg, const char *node, const struct emul *e,
				 const char *conf, FILE *err)
{
	if (conf && *conf)
		fprintf(err, "warning: %s: %s takes no options; '%s' ignored\n", node, e->name,
			conf);
	int rc = set_under(cfg, node, "pcireg.vendor", "0x1022", err);
	return rc ? rc : set_under(cfg, node, "pcireg.device", "0x7432", err);
}

static const char *const hostbridge_options[] = {"pcireg.vendor", "pcireg.device", NULL};
static const char *const blk_options[] = {"path",     "nocache", "direct",	  "ro",
					  "sectorsize", "nodelete", "ser",	  "bootindex",
					  "transport", "num-queues", NULL};
static const char *const net_options[] = {"backend", "mac", "mtu", "queues", "transport", NULL};
static const char *const rnd_options[] = {"transport", NULL};
static const char *const balloon_options[] = {"target", "deflate_on_oom", "transport", NULL};

/* The emulations -s accepts, in -s help order. Later emulations are added here. */
static const struct emul emulations[] = {
	{"hostbridge", NULL, NULL, hostbridge_options},
	{"amd_hostbridge", "hostbridge", amd_hostbridge_config, NULL},
	{"lpc", NULL, NULL, NULL},
	{"virtio-blk", NULL, blk_config, blk_options},
	{"virtio-net", NULL, net_config, net_options},
	{"virtio-rnd", NULL, NULL, rnd_options},
	{"virtio-balloon", NULL, NULL, balloon_options},
	{"virtio-console", NULL, console_config, NULL},
};

#define N_EMULATIONS (sizeof(emulations) / sizeof(emulations[0]))

void cli_list_emulations(FILE *out)
{
	for (size_t i = 0; i < N_EMULATIONS; i++)
		fprintf(out, "%s\n", emulations[i].name);
}

static const struct emul *find_emul(const char *name)
{
	for (size_t i = 0; i < N_EMULATIONS; i++)
		if (strcmp(emulations[i].name, name) == 0)
			return &emulations[i];
	return NULL;
}

static int parse_part(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;
	if (len == 0 || len > 3)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* slot | slot:func | bus:slot:func, decimal. */
static int parse_location(const char *s, size_t len, unsigned *bus, unsigned *slot, unsigned *func)
{
	const char *part[3];
	size_t plen[3], n = 0;
	const char *p = s, *end = s + len;
	for (;;) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (n == 3)
			return -EINVAL;
		part[n] = p;
		plen[n++] = colon ? (size_t)(colon - p) : (size_t)(end - p);
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	*bus = *func = 0;
	unsigned first = n == 3 ? 1 : 0;
	if (n == 3 && parse_part(part[0], plen[0], MAX_BUS, bus) < 0)
		return -EINVAL;
	if (parse_part(part[first], plen[first], MAX_SLOT, slot) < 0)
		return -EINVAL;
	if (n > 1 && parse_part(part[first + 1], plen[first + 1], MAX_FUNC, func) < 0)
		return -EINVAL;
	return 0;
}

static int count_child(const char *name, const char *value, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

/* bhyve's test: any key under the slot's node, from -s, -o or -k, occupies it. */
static bool node_exists(const struct config *cfg, const char *node)
{
	unsigned n = 0;
	config_foreach_child(cfg, node, count_child, &n);
	return n > 0 || config_get(cfg, node) != NULL;
}

struct lpc_search {
	const struct config *cfg;
	char path[32]; /* "pci.B.S." while walking */
	char found[32];
};

static int lpc_func_cb(const char *func, const char *value, void *arg)
{
	struct lpc_search *w = arg;
	char key[64];
	snprintf(key, sizeof(key), "%s%s.device", w->path, func);
	const char *dev = config_get(w->cfg, key);
	if (dev && strcmp(dev, "lpc") == 0) {
		snprintf(w->found, sizeof(w->found), "%.*s%s", (int)strlen(w->path) - 4,
			 w->path + 4, func);
		return 1;
	}
	return 0;
}

static int lpc_slot_cb(const char *slot, const char *value, void *arg)
{
	struct lpc_search *w = arg;
	size_t len = strlen(w->path);
	char node[32];
	snprintf(node, sizeof(node), "%s%s", w->path, slot);
	snprintf(w->path + len, sizeof(w->path) - len, "%s.", slot);
	int rc = value ? 0 : config_foreach_child(w->cfg, node, lpc_func_cb, w);
	w->path[len] = '\0';
	return rc;
}

static int lpc_bus_cb(const char *bus, const char *value, void *arg)
{
	struct lpc_search *w = arg;
	char node[32];
	snprintf(node, sizeof(node), "pci.%s", bus);
	snprintf(w->path, sizeof(w->path), "pci.%s.", bus);
	return value ? 0 : config_foreach_child(w->cfg, node, lpc_slot_cb, w);
}

/* Where an lpc device is configured already ("B.S.F"), or NULL. */
static const char *find_lpc(const struct config *cfg, struct lpc_search *w)
{
	w->cfg = cfg;
	w->found[0] = '\0';
	return config_foreach_child(cfg, "pci", lpc_bus_cb, w) > 0 ? w->found : NULL;
}

static void slot_usage(const char *arg, const char *what, FILE *err)
{
	fprintf(err, "invalid PCI slot info field '%s': %s; expected [bus:]slot[:function],"
		     "emulation[,conf] with bus 0-255, slot 0-31, function 0-7 (-s help lists "
		     "the emulations)\n", arg, what);
}

static void unknown_emul(unsigned b, unsigned s, unsigned f, const char *name, FILE *err)
{
	fprintf(err, "pci slot %u:%u:%u: unknown emulation \"%s\"; this build has:", b, s, f, name);
	for (size_t i = 0; i < N_EMULATIONS; i++)
		fprintf(err, "%s %s", i ? "," : "", emulations[i].name);
	fputc('\n', err);
}

int cli_parse_pci_slot(struct config *cfg, const char *arg, FILE *err)
{
	const char *comma = strchr(arg, ',');
	if (comma == NULL) {
		slot_usage(arg, "no emulation", err);
		return -EINVAL;
	}
	unsigned b, s, f;
	if (parse_location(arg, (size_t)(comma - arg), &b, &s, &f) < 0) {
		slot_usage(arg, "bad slot", err);
		return -EINVAL;
	}
	const char *conf;
	char *name = first_token(comma + 1, &conf);
	if (name == NULL)
		return -ENOMEM;
	int rc = -EINVAL;
	const struct emul *e = find_emul(name);
	char node[32], key[48];
	struct lpc_search w;
	const char *lpc_at;
	snprintf(node, sizeof(node), "pci.%u.%u.%u", b, s, f);
	snprintf(key, sizeof(key), "%s.device", node);
	if (e == NULL) {
		unknown_emul(b, s, f, name, err);
	} else if (node_exists(cfg, node)) {
		const char *dev = config_get(cfg, key);
		fprintf(err, "pci slot %u:%u:%u is already occupied%s%s\n", b, s, f,
			dev ? " by " : "", dev ? dev : "");
	} else if (strcmp(e->name, "lpc") == 0 && b != 0) {
		fprintf(err, "pci slot %u:%u:%u: the lpc bridge can only be on bus 0\n", b, s, f);
	} else if (strcmp(e->name, "lpc") == 0 && (lpc_at = find_lpc(cfg, &w)) != NULL) {
		fprintf(err, "pci slot %u:%u:%u: only one lpc bridge is allowed; there is one "
			     "at %s\n", b, s, f, lpc_at);
	} else {
		legacy_config_fn fn = e->legacy_config ? e->legacy_config : generic_config;
		rc = config_set(cfg, key, e->device ? e->device : e->name);
		if (rc == 0)
			rc = fn(cfg, node, e, conf, err);
	}
	free(name);
	return rc;
}
