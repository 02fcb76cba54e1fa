// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cnode {
	char *name;
	char *value; /* NULL for a parent node */
	struct cnode *child, *last, *next;
};

struct config {
	struct cnode root;
};

struct config *config_new(void)
{
	return calloc(1, sizeof(struct config));
}

static void free_node(struct cnode *n)
{
	while (n) {
		struct cnode *next = n->next;
		free_node(n->child);
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
	free_node(cfg->root.child);
	free(cfg);
}

static struct cnode *find_child(const struct cnode *parent, const char *name, size_t len)
{
	for (struct cnode *c = parent->child; c; c = c->next)
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
			return c;
	return NULL;
}

/* Walk key; create missing nodes when create is set. NULL when absent or bad syntax. */
static struct cnode *lookup(const struct config *cfg, const char *key, bool create, int *err)
{
	struct cnode *n = (struct cnode *)&cfg->root;
	const char *p = key;
	*err = 0;
	if (key == NULL || *key == '\0') {
		*err = -EINVAL;
		return NULL;
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0) {
			*err = -EINVAL;
			return NULL;
		}
		struct cnode *c = find_child(n, p, len);
		if (c == NULL) {
			if (!create)
				return NULL;
			if (n->value) { /* a leaf cannot become a parent */
				*err = -EEXIST;
				return NULL;
			}
			c = calloc(1, sizeof(*c));
			if (c == NULL || (c->name = strndup(p, len)) == NULL) {
				free(c);
				*err = -ENOMEM;
				return NULL;
			}
			if (n->last)
				n->last->next = c;
			else
				n->child = c;
			n->last = c;
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
	if (value == NULL)
		return -EINVAL;
	struct cnode *n = lookup(cfg, key, true, &err);
	if (n == NULL)
		return err ? err : -ENOMEM;
	if (n->child)
		return -EEXIST; /* a parent cannot take a value */
	if (only_if_unset && n->value)
		return 0;
	char *v = strdup(value);
	if (v == NULL)
		return -ENOMEM;
	free(n->value);
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
	const struct cnode *n = lookup(cfg, key, false, &err);
	return n ? n->value : NULL;
}

int config_unset(struct config *cfg, const char *key)
{
	int err;
	struct cnode *n = lookup(cfg, key, false, &err);
	if (n == NULL || n->value == NULL)
		return -ENOENT;
	free(n->value);
	n->value = NULL;
	return 0;
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "on", "yes", "1"};
	static const char *const no[] = {"false", "off", "no", "0"};
	for (size_t i = 0; i < 4; i++) {
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
		return -EINVAL; /* no sign, no blanks */
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
	int err;
	const struct cnode *n = lookup(cfg, node, false, &err);
	if (n == NULL)
		return err;
	for (const struct cnode *c = n->child; c; c = c->next) {
		int rc = fn(c->name, c->value, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static void dump(const struct cnode *n, char *path, size_t len, size_t cap, FILE *out)
{
	for (; n; n = n->next) {
		size_t l = len;
		int w = snprintf(path + len, cap - len, "%s%s", len ? "." : "", n->name);
		if (w < 0 || (size_t)w >= cap - len)
			continue; /* a key longer than any bhyve uses */
		l += (size_t)w;
		if (n->value)
			fprintf(out, "%s=%s\n", path, n->value);
		dump(n->child, path, l, cap, out);
		path[len] = '\0';
	}
}

void config_dump(const struct config *cfg, FILE *out)
{
	char path[1024] = "";
	dump(cfg->root.child, path, 0, sizeof(path), out);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
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
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%u: expected key=value, got '%s'", path, lineno, s);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		char *key = trim(s);
		rc = config_set(cfg, key, eq + 1);
		if (rc < 0) {
			snprintf(err, errlen, "%s:%u: cannot set '%s': %s", path, lineno, key,
				 rc == -EEXIST ? "conflicts with another key" : "bad key");
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "cannot read config file %s", path);
	}
	free(line);
	fclose(f);
	return rc;
}
