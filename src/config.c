// SPDX-License-Identifier: BSD-2-Clause
/*
 * The configuration tree. Every node but the root holds either a value or
 * children, never both and never neither: an unset leaf is removed together
 * with the parents it leaves empty.
 *
 * Children keep insertion order, and setting an existing key again moves it
 * to the end of its parent's list: bhyve's nvlist-backed tree behaves so
 * (the old value is freed and the new one added), and config.dump output
 * follows that order.
 */
#include "khyve/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cnode {
	char *name;
	char *value; /* NULL for a parent node */
	struct cnode *parent;
	struct cnode *child, *last; /* first and last child */
	struct cnode *next;	    /* next sibling */
};

struct config {
	struct cnode root;
};

struct config *config_new(void)
{
	return calloc(1, sizeof(struct config));
}

static void free_nodes(struct cnode *n)
{
	while (n) {
		struct cnode *next = n->next;
		free_nodes(n->child);
		free(n->name);
		free(n->value);
		free(n);
		n = next;
	}
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free_nodes(cfg->root.child);
	free(cfg);
}

static void append(struct cnode *parent, struct cnode *c)
{
	c->parent = parent;
	c->next = NULL;
	if (parent->last)
		parent->last->next = c;
	else
		parent->child = c;
	parent->last = c;
}

static void unlink_node(struct cnode *c)
{
	struct cnode *p = c->parent, *prev = NULL;
	for (struct cnode *it = p->child; it && it != c; it = it->next)
		prev = it;
	if (prev)
		prev->next = c->next;
	else
		p->child = c->next;
	if (p->last == c)
		p->last = prev;
	c->next = NULL;
}

/* Remove n and every ancestor left with neither a value nor children. */
static void prune(struct config *cfg, struct cnode *n)
{
	while (n && n != &cfg->root && n->value == NULL && n->child == NULL) {
		struct cnode *parent = n->parent;
		unlink_node(n);
		free(n->name);
		free(n);
		n = parent;
	}
}

static struct cnode *find_child(const struct cnode *parent, const char *name, size_t len)
{
	for (struct cnode *c = parent->child; c; c = c->next)
		if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0')
			return c;
	return NULL;
}

/*
 * Walk a dotted key. With create, missing nodes are added; a leaf cannot
 * gain children (-EEXIST). NULL with *err == 0 means "absent".
 */
static struct cnode *walk(const struct config *cfg, const char *key, bool create, int *err)
{
	struct cnode *n = (struct cnode *)&cfg->root;
	*err = 0;
	if (key == NULL || *key == '\0') {
		*err = -EINVAL;
		return NULL;
	}
	/* Check the syntax first so that a bad key creates nothing. */
	for (const char *p = key;; p++) {
		if ((*p == '.' || *p == '\0') && (p == key || p[-1] == '.')) {
			*err = -EINVAL;
			return NULL;
		}
		if (*p == '\0')
			break;
	}
	for (const char *p = key;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		struct cnode *c = find_child(n, p, len);
		if (c == NULL) {
			if (!create)
				return NULL;
			if (n->value) {
				*err = -EEXIST; /* a leaf cannot become a parent */
				return NULL;
			}
			c = calloc(1, sizeof(*c));
			if (c == NULL || (c->name = strndup(p, len)) == NULL) {
				free(c);
				*err = -ENOMEM;
				prune((struct config *)cfg, n);
				return NULL;
			}
			append(n, c);
		}
		n = c;
		if (dot == NULL)
			return n;
		p = dot + 1;
	}
}

static int set(struct config *cfg, const char *key, const char *value, bool only_if_unset)
{
	int err;
	if (cfg == NULL || value == NULL)
		return -EINVAL;
	struct cnode *n = walk(cfg, key, true, &err);
	if (n == NULL)
		return err ? err : -ENOMEM;
	if (n->child)
		return -EEXIST; /* a parent cannot take a value */
	if (only_if_unset && n->value)
		return 0;
	char *v = strdup(value);
	if (v == NULL) {
		prune(cfg, n);
		return -ENOMEM;
	}
	if (n->value) {
		free(n->value);
		if (n->next) { /* re-set: to the end, as bhyve's tree does */
			struct cnode *parent = n->parent;
			unlink_node(n);
			append(parent, n);
		}
	}
	n->value = v;
	return 0;
}

int config_set(struct config *cfg, const char *key, const char *value)
{
	return set(cfg, key, value, false);
}

int config_set_default(struct config *cfg, const char *key, const char *value)
{
	return set(cfg, key, value, true);
}

const char *config_get(const struct config *cfg, const char *key)
{
	int err;
	const struct cnode *n = cfg ? walk(cfg, key, false, &err) : NULL;
	return n ? n->value : NULL;
}

const char *config_get_at(const struct config *cfg, const char *node, const char *name)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "%s.%s", node, name);
	return n > 0 && (size_t)n < sizeof(key) ? config_get(cfg, key) : NULL;
}

int config_unset(struct config *cfg, const char *key)
{
	int err;
	struct cnode *n = walk(cfg, key, false, &err);
	if (n == NULL)
		return err ? err : -ENOENT;
	if (n->value == NULL)
		return -ENOENT; /* a parent node: only values are unset */
	free(n->value);
	n->value = NULL;
	prune(cfg, n);
	return 0;
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "on", "yes", "1"};
	static const char *const no[] = {"false", "off", "no", "0"};
	if (s == NULL)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int config_get_bool(const struct config *cfg, const char *key, bool dflt, bool *out)
{
	const char *v = config_get(cfg, key);
	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	return config_parse_bool(v, out);
}

int config_get_u64(const struct config *cfg, const char *key, uint64_t dflt, uint64_t *out)
{
	const char *v = config_get(cfg, key);
	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return -EINVAL; /* no sign, no blanks: strtoull would take both */
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	*out = n;
	return 0;
}

int config_foreach_child(const struct config *cfg, const char *node, config_visit_fn fn, void *arg)
{
	int err = 0;
	const struct cnode *n = &cfg->root;
	if (node && *node) {
		n = walk(cfg, node, false, &err);
		if (n == NULL)
			return err; /* absent: no children */
	}
	for (const struct cnode *c = n->child, *next; c; c = next) {
		next = c->next;
		int rc = fn(c->name, c->value, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static void print_path(const struct cnode *n, FILE *out)
{
	if (n->parent && n->parent->parent) {
		print_path(n->parent, out);
		fputc('.', out);
	}
	fputs(n->name, out);
}

static void dump(const struct cnode *n, FILE *out)
{
	for (; n; n = n->next) {
		if (n->value) {
			print_path(n, out);
			fprintf(out, "=%s\n", n->value);
		}
		dump(n->child, out);
	}
}

void config_dump(const struct config *cfg, FILE *out)
{
	dump(cfg->root.child, out);
}

/*
 * bhyve's -k format: "key=value" per line, '#' starts a comment line, an
 * empty value is an error. bhyve permits no blanks around the key, the '='
 * or the value and would keep them in the key, where no lookup finds it;
 * here blanks around the key and the value are dropped instead.
 */
static int load_line(struct config *cfg, char *line, const char *path, unsigned lineno,
		     char *err, size_t errlen)
{
	size_t len = strlen(line);
	while (len && isspace((unsigned char)line[len - 1]))
		line[--len] = '\0';
	while (isspace((unsigned char)*line))
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	char *eq = strchr(line, '=');
	if (eq == NULL || eq == line || eq[1] == '\0') {
		snprintf(err, errlen, "%s line %u: invalid config option '%s': expected key=value",
			 path, lineno, line);
		return -EINVAL;
	}
	*eq = '\0';
	char *end = eq, *value = eq + 1;
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	while (isspace((unsigned char)*value))
		value++; /* not to the end: the line's trailing blanks are gone */
	int rc = config_set(cfg, line, value);
	if (rc == -ENOMEM) {
		snprintf(err, errlen, "%s line %u: out of memory", path, lineno);
	} else if (rc < 0) {
		snprintf(err, errlen, "%s line %u: cannot set '%s': %s", path, lineno, line,
			 rc == -EEXIST ? "a key cannot both hold a value and have sub-keys"
				       : "bad key (empty component)");
		rc = -EINVAL;
	}
	return rc;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		int rc = -errno;
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
		return rc;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	errno = 0;
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		rc = load_line(cfg, line, path, lineno, err, errlen);
		errno = 0;
	}
	if (rc == 0 && ferror(f)) {
		rc = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(-rc));
	}
	free(line);
	fclose(f);
	return rc;
}
