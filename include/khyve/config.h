/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree: dotted keys ("pci.0.3.0.path") with string values,
 * as bhyve_config(5). There is no global tree: every user is handed one.
 */
#ifndef KHYVE_CONFIG_H
#define KHYVE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct config;

struct config *config_new(void);
void config_free(struct config *cfg);

/*
 * Set key to value (both copied). Keys are dot-separated non-empty
 * components. A key cannot be both a leaf with a value and a parent of
 * other keys (as in bhyve): that is -EEXIST. Bad key syntax is -EINVAL.
 */
int config_set(struct config *cfg, const char *key, const char *value);
/* Set only when the key has no value yet (bhyve's set_config_value_if_unset). */
int config_set_default(struct config *cfg, const char *key, const char *value);
/* The value, or NULL when the key is unset or names a parent node. */
const char *config_get(const struct config *cfg, const char *key);
/* The value of "node.name" (a device's option under its node), as config_get. */
const char *config_get_at(const struct config *cfg, const char *node, const char *name);
int config_unset(struct config *cfg, const char *key);

/* bhyve's boolean spellings: true/false, on/off, yes/no, 1/0 (case-insensitive). */
int config_parse_bool(const char *s, bool *out);
/* Look up a boolean; *out = dflt when unset; -EINVAL when the value is not a boolean. */
int config_get_bool(const struct config *cfg, const char *key, bool dflt, bool *out);
/* Unsigned integer (decimal, 0x hex, 0 octal), full-string, range-checked; -EINVAL/-ERANGE. */
int config_get_u64(const struct config *cfg, const char *key, uint64_t dflt, uint64_t *out);

/*
 * Visit the direct children of a node ("pci.0" → "3", ...) in insertion
 * order. name is the child's last component; value is NULL for a parent node.
 * A non-zero return from fn stops the walk and is returned.
 */
typedef int (*config_visit_fn)(const char *name, const char *value, void *arg);
int config_foreach_child(const struct config *cfg, const char *node, config_visit_fn fn, void *arg);

/* Print "key=value" lines, as bhyve's config.dump does. */
void config_dump(const struct config *cfg, FILE *out);

/*
 * Read a -k file: "key=value" lines, '#' comments, blank lines ignored,
 * split at the first '='. On error returns -errno (unreadable) or -EINVAL
 * (bad line) and writes a message naming file and line into err.
 */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

#endif
