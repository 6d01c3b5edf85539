/* policy.h — the xvids policy file: what may run, load and exist in a guest (baseline and hand-written). */
#ifndef XVIDS_POLICY_H
#define XVIDS_POLICY_H

#include <stddef.h>
#include <stdio.h>

/*
 * A policy is a text file of lines:   KIND ACTION key=value key=value ...   # comment
 *   KIND    process | kthread | module | file | tree  (each check interprets its own kinds)
 *   ACTION  allow | deny | expect | include | exclude (which ones a kind takes is checked at load)
 *   value   a word, or "a quoted string" with \" and \\ escapes; globs (fnmatch) where documented
 * Blank lines and '#' comments are ignored. Any error is reported as "FILE:LINE: what is wrong"
 * and the whole policy is refused: a half-read policy would silently allow too much.
 * See docs/policy.md for every kind and key.
 */

#define XV_POLICY_MAX_LINES 1000000
#define XV_POLICY_MAX_LINE 8192
#define XV_POLICY_MAX_KEYS 16

struct xv_policy_kv {
	const char *key, *value;
};

struct xv_policy_entry {
	const char *kind, *action;
	struct xv_policy_kv kv[XV_POLICY_MAX_KEYS];
	size_t nkv;
	const char *file;
	int line;
};

struct xv_policy;

/* Load and validate path. NULL+errno with "FILE:LINE: ..." in xv_errmsg() on any error. */
struct xv_policy *xv_policy_load(const char *path);
/* Same from a string (tests, the daemon); name is used in messages. */
struct xv_policy *xv_policy_parse(const char *text, size_t len, const char *name);
void xv_policy_free(struct xv_policy *p);

size_t xv_policy_count(const struct xv_policy *p);
const struct xv_policy_entry *xv_policy_get(const struct xv_policy *p, size_t i);

/* Value of key in e, or NULL. */
const char *xv_policy_value(const struct xv_policy_entry *e, const char *key);

/* Write a value quoted if it needs to be (spaces, quotes, '#', '=', control bytes). */
void xv_policy_write_value(FILE *f, const char *v);

#endif
