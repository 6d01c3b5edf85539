/* policy.c — parse and validate the policy file's lines; the checks give them meaning. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvids/err.h"
#include "xvids/policy.h"

/* What a key's value must look like. Checked at load: a typo (uid=abc, severity=hihg) must refuse
 * the policy, never become uid 0 or the default severity. */
enum vtype {
	V_TEXT,   /* any string; globs where documented */
	V_UID,    /* decimal 0..4294967295 */
	V_ID,     /* fchk: N or !N, N decimal 0..4294967295 */
	V_SEV,    /* info low medium high critical */
	V_MODE,   /* fchk: octal permission bits <= 07777, optionally after '/' (any) or '-' (all) */
	V_U64,    /* decimal, unsigned 64-bit */
	V_S64,    /* decimal, signed 64-bit (mtime: seconds, may predate 1970) */
	V_SHA256, /* 64 hex digits */
	V_FTYPE,  /* file dir symlink chardev blockdev fifo socket */
};

struct key_spec {
	const char *key;
	enum vtype type;
};

/* Which actions and keys each kind accepts: an unknown word is an error, never ignored. */
struct kind_spec {
	const char *kind;
	const char *actions[4];
	struct key_spec keys[13];
};

static const struct kind_spec kinds[] = {
	{ "process", { "allow", "deny" },
	  { { "comm", V_TEXT }, { "exe", V_TEXT }, { "uid", V_UID }, { "severity", V_SEV } } },
	{ "kthread", { "allow", "deny" }, { { "comm", V_TEXT }, { "severity", V_SEV } } },
	{ "module", { "allow", "deny" }, { { "name", V_TEXT }, { "severity", V_SEV } } },
	{ "file", { "expect", "deny" },
	  { { "path", V_TEXT }, { "type", V_FTYPE }, { "mode", V_MODE }, { "uid", V_ID },
	    { "gid", V_ID }, { "size", V_U64 }, { "mtime", V_S64 }, { "sha256", V_SHA256 },
	    { "target", V_TEXT }, { "inode", V_U64 }, { "nlink", V_U64 }, { "severity", V_SEV } } },
	/* attrs is checked by fchk's scope rules (xv_fa_parse), which own the attribute names. */
	{ "tree", { "include", "exclude" }, { { "path", V_TEXT }, { "attrs", V_TEXT } } },
};

static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };
/* "unknown": what the file manifest writes for an inode of no known type. */
static const char *const ftype_names[] = { "file", "dir", "symlink", "chardev", "blockdev", "fifo",
					   "socket", "unknown" };

/* Decimal digits only (no sign, space or '+'), at most max. */
static int dec_ok(const char *s, uint64_t max)
{
	uint64_t v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return 1;
}

static int word_in(const char *const *list, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], w) == 0)
			return 1;
	return 0;
}

/* NULL if v is a valid value of type t, else what was expected (for the message). */
static const char *value_problem(enum vtype t, const char *v)
{
	size_t n;

	switch (t) {
	case V_TEXT:
		return NULL;
	case V_UID:
		return dec_ok(v, UINT32_MAX) ? NULL : "expected a decimal id 0..4294967295";
	case V_ID:
		return dec_ok(v + (v[0] == '!'), UINT32_MAX) ? NULL
			: "expected a decimal id 0..4294967295 or !id";
	case V_SEV:
		return word_in(sev_names, 5, v) ? NULL
			: "expected one of info, low, medium, high, critical";
	case V_MODE: {
		const char *d = v + (v[0] == '/' || v[0] == '-');
		unsigned long m = 0;

		for (n = 0; d[n] >= '0' && d[n] <= '7' && n < 6; n++)
			m = m * 8 + (unsigned long)(d[n] - '0');
		return n > 0 && d[n] == '\0' && m <= 07777 ? NULL
			: "expected octal permission bits like 0644, /6000 or -0002";
	}
	case V_U64:
		return dec_ok(v, UINT64_MAX) ? NULL : "expected a decimal number";
	case V_S64:
		return dec_ok(v + (v[0] == '-'), v[0] == '-' ? (uint64_t)INT64_MAX + 1 : INT64_MAX)
			? NULL : "expected a decimal number";
	case V_SHA256:
		for (n = 0; isxdigit((unsigned char)v[n]); n++)
			;
		return n == 64 && v[n] == '\0' ? NULL : "expected 64 hex digits";
	case V_FTYPE:
		return word_in(ftype_names, 8, v) ? NULL
			: "expected file, dir, symlink, chardev, blockdev, fifo, socket or unknown";
	}
	return "unknown value type";
}

struct xv_policy {
	struct xv_policy_entry *v;
	size_t n, cap;
	char *name;
	/* Every string lives in one arena per line, freed together. */
	char **lines;
	size_t nlines;
};

static const struct kind_spec *find_kind(const char *k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, k) == 0)
			return &kinds[i];
	return NULL;
}

static int in_list(const char *const *list, size_t n, const char *w)
{
	for (size_t i = 0; i < n && list[i]; i++)
		if (strcmp(list[i], w) == 0)
			return 1;
	return 0;
}

static const struct key_spec *find_key(const struct kind_spec *ks, const char *key)
{
	for (size_t i = 0; i < sizeof(ks->keys) / sizeof(ks->keys[0]) && ks->keys[i].key; i++)
		if (strcmp(ks->keys[i].key, key) == 0)
			return &ks->keys[i];
	return NULL;
}

/* Split the next value in place: a bare word (up to space or '#') or a quoted string with \" and
 * \\ escapes. Returns it, or NULL at end of line (then *err says why if it was malformed). */
static char *next_token(char **pp, const char **err)
{
	char *p = *pp, *out, *tok;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return NULL;
	if (*p == '"') {
		tok = out = ++p;
		while (*p && *p != '"') {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*out++ = *p++;
		}
		if (*p != '"') {
			*err = "unterminated quoted string";
			return NULL;
		}
		p++;
		if (*p && *p != ' ' && *p != '\t' && *p != '#') {
			*err = "text right after a closing quote";
			return NULL;
		}
		*out = '\0';
		*pp = p;
		return tok;
	}
	tok = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '#')
		p++;
	if (*p == ' ' || *p == '\t') {
		*p = '\0';
		*pp = p + 1;
	} else {
		/* end of line, or a '#' comment right after the word: stop here next time */
		*p = '\0';
		*pp = p;
	}
	return tok;
}

static int parse_line(struct xv_policy *pol, char *text, int lineno)
{
	const struct kind_spec *ks;
	struct xv_policy_entry e = { .file = pol->name, .line = lineno };
	const char *err = NULL;
	char *p = text, *kind, *action;

	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return xv_err(EINVAL, "%s:%d: control character in line", pol->name, lineno);
	kind = next_token(&p, &err);
	if (!kind)
		return err ? xv_err(EINVAL, "%s:%d: %s", pol->name, lineno, err) : 0;
	ks = find_kind(kind);
	if (!ks)
		return xv_err(EINVAL, "%s:%d: unknown kind '%s' (expected process, kthread, module, "
				      "file or tree)", pol->name, lineno, kind);
	action = next_token(&p, &err);
	if (!action)
		return xv_err(EINVAL, "%s:%d: '%s' needs an action (%s%s%s)", pol->name, lineno, kind,
			      ks->actions[0], ks->actions[1] ? " or " : "",
			      ks->actions[1] ? ks->actions[1] : "");
	if (!in_list(ks->actions, 4, action))
		return xv_err(EINVAL, "%s:%d: '%s %s': unknown action (expected %s%s%s)", pol->name,
			      lineno, kind, action, ks->actions[0], ks->actions[1] ? " or " : "",
			      ks->actions[1] ? ks->actions[1] : "");
	e.kind = kind;
	e.action = action;
	for (;;) {
		const struct key_spec *kspec;
		const char *why;
		char *key, *val;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		key = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (p == key || *p != '=')
			return xv_err(EINVAL, "%s:%d: expected key=value at '%.40s'", pol->name, lineno,
				      key);
		*p++ = '\0';
		if (!(kspec = find_key(ks, key)))
			return xv_err(EINVAL, "%s:%d: '%s' takes no key '%s'", pol->name, lineno, kind, key);
		if (*p == ' ' || *p == '\t' || *p == '\0' || *p == '#')
			return xv_err(EINVAL, "%s:%d: key '%s' has no value", pol->name, lineno, key);
		val = next_token(&p, &err);
		if (!val)
			return xv_err(EINVAL, "%s:%d: %s", pol->name, lineno,
				      err ? err : "missing value");
		if ((why = value_problem(kspec->type, val)))
			return xv_err(EINVAL, "%s:%d: %s='%.60s': %s", pol->name, lineno, key, val, why);
		if (e.nkv >= XV_POLICY_MAX_KEYS)
			return xv_err(EINVAL, "%s:%d: more than %d keys", pol->name, lineno,
				      XV_POLICY_MAX_KEYS);
		for (size_t i = 0; i < e.nkv; i++)
			if (strcmp(e.kv[i].key, key) == 0)
				return xv_err(EINVAL, "%s:%d: key '%s' given twice", pol->name, lineno, key);
		e.kv[e.nkv].key = key;
		e.kv[e.nkv++].value = val;
	}
	if (e.nkv == 0 && strcmp(kind, "tree") != 0)
		return xv_err(EINVAL, "%s:%d: '%s %s' matches everything; give at least one key",
			      pol->name, lineno, kind, action);
	if (pol->n == pol->cap) {
		size_t nc = pol->cap ? pol->cap * 2 : 64;
		struct xv_policy_entry *nv = realloc(pol->v, nc * sizeof(*nv));

		if (!nv)
			return xv_err(ENOMEM, "out of memory");
		pol->v = nv;
		pol->cap = nc;
	}
	pol->v[pol->n++] = e;
	return 1;
}

struct xv_policy *xv_policy_parse(const char *text, size_t len, const char *name)
{
	struct xv_policy *pol = calloc(1, sizeof(*pol));
	size_t pos = 0, lines_cap = 0;
	int lineno = 0;

	if (!pol || !(pol->name = strdup(name ? name : "policy"))) {
		free(pol);
		xv_err(ENOMEM, "out of memory");
		return NULL;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (lineno > XV_POLICY_MAX_LINES) {
			xv_err(E2BIG, "%s:%d: more than %d lines", pol->name, lineno, XV_POLICY_MAX_LINES);
			goto fail;
		}
		if (ll > XV_POLICY_MAX_LINE) {
			xv_err(EINVAL, "%s:%d: line longer than %d bytes", pol->name, lineno,
			       XV_POLICY_MAX_LINE);
			goto fail;
		}
		if (memchr(text + pos, '\0', ll)) {
			xv_err(EINVAL, "%s:%d: NUL byte in line (not a text file?)", pol->name, lineno);
			goto fail;
		}
		char *copy = strndup(text + pos, ll);
		/* grown by doubling: one realloc per line made a long policy quadratic */
		char **nl2 = copy && pol->nlines == lines_cap ?
				     realloc(pol->lines, (lines_cap ? lines_cap * 2 : 64) * sizeof(char *)) :
				     pol->lines;

		if (!copy || !nl2) {
			free(copy);
			xv_err(ENOMEM, "out of memory");
			goto fail;
		}
		if (pol->nlines == lines_cap)
			lines_cap = lines_cap ? lines_cap * 2 : 64;
		pol->lines = nl2;
		pol->lines[pol->nlines++] = copy;
		if (ll && copy[ll - 1] == '\r')
			copy[ll - 1] = '\0';
		if (parse_line(pol, copy, lineno) < 0)
			goto fail;
		pos += ll + (nl ? 1 : 0);
	}
	return pol;
fail:
	xv_policy_free(pol);
	errno = EINVAL;
	return NULL;
}

struct xv_policy *xv_policy_load(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		xv_err(errno, "cannot open policy %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			if (cap > (256u << 20)) {
				fclose(f);
				free(buf);
				xv_err(E2BIG, "%s: policy larger than 256 MiB", path);
				return NULL;
			}
			char *nb = realloc(buf, cap ? cap * 2 : 131072);

			if (!nb) {
				fclose(f);
				free(buf);
				xv_err(ENOMEM, "out of memory");
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 131072;
		}
		size_t r = fread(buf + len, 1, cap - len, f);

		len += r;
		if (r == 0)
			break;
	}
	int bad = ferror(f);

	fclose(f);
	if (bad) {
		free(buf);
		xv_err(EIO, "%s: read error", path);
		return NULL;
	}
	struct xv_policy *p = xv_policy_parse(buf, len, path);

	free(buf);
	return p;
}

void xv_policy_free(struct xv_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nlines; i++)
		free(p->lines[i]);
	free(p->lines);
	free(p->v);
	free(p->name);
	free(p);
}

size_t xv_policy_count(const struct xv_policy *p)
{
	return p->n;
}

const struct xv_policy_entry *xv_policy_get(const struct xv_policy *p, size_t i)
{
	return i < p->n ? &p->v[i] : NULL;
}

const char *xv_policy_value(const struct xv_policy_entry *e, const char *key)
{
	for (size_t i = 0; i < e->nkv; i++)
		if (strcmp(e->kv[i].key, key) == 0)
			return e->kv[i].value;
	return NULL;
}

void xv_policy_write_value(FILE *f, const char *v)
{
	int quote = *v == '\0';

	for (const char *c = v; *c && !quote; c++)
		if (*c == ' ' || *c == '\t' || *c == '"' || *c == '#' || *c == '=' || *c == '\\' ||
		    (unsigned char)*c < 0x20)
			quote = 1;
	if (!quote) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (const char *c = v; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', f);
		fputc((unsigned char)*c < 0x20 ? '?' : *c, f);
	}
	fputc('"', f);
}
