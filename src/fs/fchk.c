/* fchk.c — the file manifest: write it (baseline) and compare the guest's files with it (fchk). */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/policy.h"

/* Files larger than this are listed but not hashed (a note says so). */
#define HASH_MAX (1ull << 30)

/* Directory size and mtime change with every entry made in them, and added/removed findings
 * already say what changed; symlinks have no content but a target; files no target. */
static unsigned attrs_for(unsigned mask, enum xv_ftype t)
{
	if (t == XV_FT_DIR)
		mask &= ~(unsigned)(XV_FA_SIZE | XV_FA_MTIME | XV_FA_SHA256 | XV_FA_TARGET);
	else if (t == XV_FT_LNK)
		mask &= ~(unsigned)XV_FA_SHA256;
	else if (t == XV_FT_REG)
		mask &= ~(unsigned)XV_FA_TARGET;
	else
		mask &= ~(unsigned)(XV_FA_SHA256 | XV_FA_TARGET);
	return mask;
}

/* Current values of a file's attributes as text, the form the manifest stores. */
struct fvals {
	char v[XV_FA_COUNT][4096 + 1];
	int have[XV_FA_COUNT];
	int partial;  /* content not fully in RAM: no sha256 */
	int toolarge; /* not hashed */
	char why[256];
};

static void values(struct xv_fs *fs, const struct xv_fs_node *n, const struct xv_fs_stat *st,
		   unsigned mask, struct fvals *fv)
{
	memset(fv->have, 0, sizeof(fv->have));
	fv->partial = fv->toolarge = 0;
	fv->why[0] = '\0';
	snprintf(fv->v[0], sizeof(fv->v[0]), "%s", xv_ftype_name(st->type));
	snprintf(fv->v[1], sizeof(fv->v[1]), "%04o", st->mode & 07777);
	snprintf(fv->v[2], sizeof(fv->v[2]), "%u", st->uid);
	snprintf(fv->v[3], sizeof(fv->v[3]), "%u", st->gid);
	snprintf(fv->v[4], sizeof(fv->v[4]), "%" PRIu64, st->size);
	snprintf(fv->v[5], sizeof(fv->v[5]), "%" PRId64, st->mtime);
	snprintf(fv->v[8], sizeof(fv->v[8]), "%" PRIu64, st->ino);
	snprintf(fv->v[9], sizeof(fv->v[9]), "%" PRIu64, st->nlink);
	for (int i = 0; i < XV_FA_COUNT; i++)
		fv->have[i] = i != 6 && i != 7;
	if ((mask & XV_FA_TARGET) && st->type == XV_FT_LNK) {
		if (xv_fs_readlink(fs, n, fv->v[7], sizeof(fv->v[7])) == 0)
			fv->have[7] = 1;
		else
			snprintf(fv->why, sizeof(fv->why), "target unreadable: %s", xv_errmsg());
	}
	if ((mask & XV_FA_SHA256) && st->type == XV_FT_REG) {
		struct xv_fs_readinfo ri;

		if (st->size > HASH_MAX) {
			fv->toolarge = 1;
			snprintf(fv->why, sizeof(fv->why), "%" PRIu64 " bytes: larger than %llu, not hashed",
				 st->size, (unsigned long long)HASH_MAX);
		} else if (xv_fs_sha256(fs, n, fv->v[6], &ri) == 0) {
			fv->have[6] = 1;
		} else {
			fv->partial = 1;
			snprintf(fv->why, sizeof(fv->why), "%s", xv_errmsg());
		}
	}
	xv_err_clear();
}

/* Keys and summaries are bounded; a long path is cut, which is fine for both. */
static int xfmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int xfmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : n;
}

/* ---- baseline ---- */

struct bl_ctx {
	struct xv_scope scope;
	FILE *out;
	struct fvals fv;
	size_t files, errors;
};

static void comment(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static int skip_non_memfs(const struct xv_fs_stat *st)
{
	return !st->memfs; /* proc, sysfs, disks: not complete in RAM, not part of the RAM disk */
}

static int bl_visit(struct xv_fs *fs, const char *path, const struct xv_fs_node *n,
		    const struct xv_fs_stat *st, void *arg)
{
	struct bl_ctx *c = arg;
	unsigned mask;

	if (skip_non_memfs(st))
		return 1;
	mask = xv_scope_attrs(&c->scope, path);
	if (!mask)
		return 0; /* children may be included again by a deeper rule */
	mask = attrs_for(mask, st->type);
	values(fs, n, st, mask, &c->fv);
	/* A guest-made name or target must not be able to make the manifest unloadable (control
	 * characters in a comment, a line over XV_POLICY_MAX_LINE). */
	if (c->fv.have[7] && strlen(c->fv.v[7]) > 2048) {
		c->fv.have[7] = 0;
		snprintf(c->fv.why, sizeof(c->fv.why), "symlink target longer than 2048 bytes, not recorded");
	}
	if (c->fv.why[0]) {
		fputs("# ", c->out);
		comment(c->out, path);
		fputs(": ", c->out);
		comment(c->out, c->fv.why);
		fputc('\n', c->out);
	}
	fputs("file expect path=", c->out);
	xv_policy_write_value(c->out, path);
	for (int i = 0; i < XV_FA_COUNT; i++)
		if ((mask & (1u << i)) && c->fv.have[i]) {
			fprintf(c->out, " %s=", xv_fa_name(i));
			xv_policy_write_value(c->out, c->fv.v[i]);
		}
	fputc('\n', c->out);
	c->files++;
	return 0;
}

static void bl_err(struct xv_fs *fs, const char *path, int rc, const char *msg, void *arg)
{
	struct bl_ctx *c = arg;

	(void)fs;
	(void)rc;
	fputs("# error under ", c->out);
	comment(c->out, path);
	fputs(": ", c->out);
	comment(c->out, msg);
	fputc('\n', c->out);
	c->errors++;
}

static void write_attrs(FILE *f, unsigned mask)
{
	int first = 1;

	if (mask == XV_FA_DEFAULT)
		return;
	fputs(" attrs=", f);
	for (int i = 0; i < XV_FA_COUNT; i++)
		if (mask & (1u << i)) {
			fprintf(f, "%s%s", first ? "" : ",", xv_fa_name(i));
			first = 0;
		}
}

int xv_fchk_baseline(struct xv_kernel *k, const struct xv_policy *scope, FILE *out)
{
	struct bl_ctx *c = calloc(1, sizeof(*c));
	struct xv_fs *fs;
	int rc;

	if (!c)
		return xv_err(ENOMEM, "out of memory");
	if ((rc = xv_scope_init(&c->scope, scope)) < 0) {
		free(c);
		return rc;
	}
	if ((rc = xv_fs_open(k, &fs)) < 0) {
		xv_scope_free(&c->scope);
		free(c);
		return rc;
	}
	c->out = out;
	fprintf(out, "# files: manifest of the guest's memory file systems (%s)\n", xv_fs_describe(fs));
	for (size_t i = 0; i < c->scope.n; i++) {
		const struct xv_scope_rule *r = &c->scope.r[i];

		fprintf(out, "tree %s path=", r->include ? "include" : "exclude");
		xv_policy_write_value(out, r->path);
		if (r->include)
			write_attrs(out, r->attrs);
		fputc('\n', out);
	}
	rc = xv_fs_walk(fs, "/", bl_visit, bl_err, c);
	if (rc == 0)
		fprintf(out, "# %zu files%s\n", c->files, c->errors ? ", with errors (see above)" : "");
	xv_fs_close(fs);
	xv_scope_free(&c->scope);
	free(c);
	return rc;
}

/* ---- fchk ---- */

struct expect {
	const char *path;
	const struct xv_policy_entry *e;
	int seen;
};

struct fc_ctx {
	struct xv_scope scope;
	struct expect *exp;
	size_t nexp;
	const struct xv_policy_entry **deny;
	size_t ndeny;
	struct xv_findings *out;
	struct fvals fv;
	int rc;
};

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct expect *)a)->path, ((const struct expect *)b)->path);
}

static struct expect *find_expect(struct fc_ctx *c, const char *path)
{
	struct expect key = { .path = path };

	return c->nexp ? bsearch(&key, c->exp, c->nexp, sizeof(*c->exp), by_path) : NULL;
}

static enum xv_severity sev_of(const struct xv_policy_entry *e, enum xv_severity def)
{
	const char *s = e ? xv_policy_value(e, "severity") : NULL;

	for (int i = XV_SEV_INFO; s && i <= XV_SEV_CRITICAL; i++)
		if (strcmp(s, xv_severity_name((enum xv_severity)i)) == 0)
			return (enum xv_severity)i;
	return def;
}

static struct json_object *file_obj(const char *path, const struct xv_fs_stat *st,
				    const struct fvals *fv)
{
	struct json_object *o = xv_fs_stat_json(NULL, path, st, fv && fv->have[7] ? fv->v[7] : NULL);

	if (fv && fv->have[6])
		json_object_object_add(o, "sha256", json_object_new_string(fv->v[6]));
	return o;
}

/* Do the expected and current values agree? Numbers compare as numbers (mode in octal). */
static int same(int attr, const char *want, const char *have)
{
	if (attr == 1 || attr == 2 || attr == 3 || attr == 4 || attr == 5 || attr == 8 || attr == 9) {
		char *e1, *e2;
		int base = attr == 1 ? 8 : 10;
		long long a = strtoll(want, &e1, base), b = strtoll(have, &e2, base);

		if (!*e1 && !*e2 && *want && *have)
			return a == b;
	}
	return strcmp(want, have) == 0;
}

static int add(struct fc_ctx *c, const char *kind, enum xv_severity sev, struct json_object *o,
	       const char *key, const char *summary)
{
	char sum[512];
	size_t i;

	/* Guest-chosen names must not forge lines in text output (JSON escapes them anyway). */
	for (i = 0; summary[i] && i + 1 < sizeof(sum); i++)
		sum[i] = (unsigned char)summary[i] < 0x20 || summary[i] == 0x7f ? '?' : summary[i];
	sum[i] = '\0';
	int rc = xv_findings_add(c->out, "fchk", kind, sev, o, key, "%s", sum);

	if (rc < 0)
		c->rc = rc;
	return rc;
}

static int deny_match(struct xv_fs *fs, const struct xv_fs_node *n, const struct xv_policy_entry *e,
		      const char *path, const struct xv_fs_stat *st, struct fvals *fv)
{
	for (size_t i = 0; i < e->nkv; i++) {
		const char *k = e->kv[i].key, *v = e->kv[i].value;
		int m = 1;

		if (strcmp(k, "severity") == 0)
			continue;
		if (strcmp(k, "path") == 0)
			m = xv_fs_glob_match(v, path);
		else if (strcmp(k, "type") == 0)
			m = strcmp(v, xv_ftype_name(st->type)) == 0;
		else if (strcmp(k, "mode") == 0)
			m = xv_fs_mode_match(v, st->mode) == 1;
		else if (strcmp(k, "uid") == 0)
			m = xv_fs_id_match(v, st->uid) == 1;
		else if (strcmp(k, "gid") == 0)
			m = xv_fs_id_match(v, st->gid) == 1;
		else if (strcmp(k, "sha256") == 0) {
			if (st->type != XV_FT_REG)
				return 0;
			if (!fv->have[6])
				values(fs, n, st, XV_FA_SHA256, fv);
			m = fv->have[6] && strcmp(v, fv->v[6]) == 0;
		} else if (strcmp(k, "target") == 0) {
			m = st->type == XV_FT_LNK && fv->have[7] && xv_fs_glob_match(v, fv->v[7]);
		} else if (strcmp(k, "size") == 0 || strcmp(k, "mtime") == 0 ||
			   strcmp(k, "inode") == 0 || strcmp(k, "nlink") == 0) {
			int a = strcmp(k, "size") == 0 ? 4 : strcmp(k, "mtime") == 0 ? 5 :
				strcmp(k, "inode") == 0 ? 8 : 9;

			m = same(a, v, fv->v[a]);
		}
		if (!m)
			return 0;
	}
	return 1;
}

static int fc_visit(struct xv_fs *fs, const char *path, const struct xv_fs_node *n,
		    const struct xv_fs_stat *st, void *arg)
{
	struct fc_ctx *c = arg;
	struct fvals *fv = &c->fv;
	unsigned mask;
	struct expect *x;
	char key[256], sum[512];

	if (skip_non_memfs(st))
		return 1;
	mask = attrs_for(xv_scope_attrs(&c->scope, path), st->type);
	x = find_expect(c, path);
	if (x)
		x->seen = 1;
	if (mask && x) {
		/* Compare what the line records and the scope asks for. */
		unsigned want = 0;

		for (int i = 0; i < XV_FA_COUNT; i++)
			if ((mask & (1u << i)) && xv_policy_value(x->e, xv_fa_name(i)))
				want |= 1u << i;
		values(fs, n, st, want, fv);
		struct json_object *changes = json_object_new_array();
		enum xv_severity sev = XV_SEV_MEDIUM;
		size_t sl = 0, kl;
		int nchg = 0;

		kl = (size_t)xfmt(key, sizeof(key), "fchk changed path=%s attrs=", path);
		sl = (size_t)xfmt(sum, sizeof(sum), "%s:", path);
		for (int i = 0; i < XV_FA_COUNT; i++) {
			const char *w = (want & (1u << i)) ? xv_policy_value(x->e, xv_fa_name(i)) : NULL;

			if (!w)
				continue;
			if (!fv->have[i]) {
				if (i == 6 && (fv->partial || fv->toolarge)) {
					struct json_object *o = file_obj(path, st, fv);

					json_object_object_add(o, "reason", json_object_new_string(fv->why));
					xfmt(key, sizeof(key), "fchk partial path=%s", path);
					xfmt(sum, sizeof(sum), "%s: content cannot be checked: %s", path,
						 fv->why);
					json_object_put(changes);
					return add(c, "partial", XV_SEV_LOW, o, key, sum) < 0 ? -1 : 0;
				}
				continue;
			}
			if (same(i, w, fv->v[i]))
				continue;
			struct json_object *ch = json_object_new_object();

			json_object_object_add(ch, "attr", json_object_new_string(xv_fa_name(i)));
			json_object_object_add(ch, "old", json_object_new_string(w));
			json_object_object_add(ch, "new", json_object_new_string(fv->v[i]));
			json_object_array_add(changes, ch);
			if (i != 4 && i != 5 && i != 8 && i != 9)
				sev = XV_SEV_HIGH; /* content, type, owner, mode, target */
			if (kl < sizeof(key))
				kl += (size_t)snprintf(key + kl, sizeof(key) - kl, "%s%s", nchg ? "," : "",
						       xv_fa_name(i));
			if (sl < sizeof(sum))
				sl += (size_t)snprintf(sum + sl, sizeof(sum) - sl, " %s %.16s -> %.16s",
						       xv_fa_name(i), w, fv->v[i]);
			nchg++;
		}
		if (nchg) {
			struct json_object *o = file_obj(path, st, fv);

			json_object_object_add(o, "changes", changes);
			if (add(c, "changed", sev, o, key, sum) < 0)
				return -1;
		} else {
			json_object_put(changes);
		}
	} else if (mask) {
		values(fs, n, st, mask, fv);
		xfmt(key, sizeof(key), "fchk added path=%s", path);
		xfmt(sum, sizeof(sum), "%s: new %s mode %04o uid %u gid %u size %" PRIu64, path,
			 xv_ftype_name(st->type), st->mode & 07777, st->uid, st->gid, st->size);
		if (add(c, "added", (st->mode & 06000) ? XV_SEV_HIGH : XV_SEV_MEDIUM,
			file_obj(path, st, fv), key, sum) < 0)
			return -1;
	} else if (c->ndeny) {
		values(fs, n, st, XV_FA_TARGET, fv);
	}
	for (size_t i = 0; i < c->ndeny; i++) {
		const struct xv_policy_entry *e = c->deny[i];

		if (!deny_match(fs, n, e, path, st, fv))
			continue;
		struct json_object *o = file_obj(path, st, fv);
		char rule[300];

		snprintf(rule, sizeof(rule), "%s:%d", e->file, e->line);
		json_object_object_add(o, "rule", json_object_new_string(rule));
		xfmt(key, sizeof(key), "fchk denied path=%s rule=%s", path, rule);
		xfmt(sum, sizeof(sum), "%s: %s mode %04o uid %u gid %u denied by %s", path,
			 xv_ftype_name(st->type), st->mode & 07777, st->uid, st->gid, rule);
		if (add(c, "denied", sev_of(e, XV_SEV_HIGH), o, key, sum) < 0)
			return -1;
	}
	return 0;
}

static void fc_err(struct xv_fs *fs, const char *path, int rc, const char *msg, void *arg)
{
	struct fc_ctx *c = arg;
	struct json_object *o = json_object_new_object();
	char key[256], sum[512];

	(void)fs;
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "error", json_object_new_string(msg));
	json_object_object_add(o, "errno", json_object_new_int(-rc));
	xfmt(key, sizeof(key), "fchk corrupt-fs path=%s", path);
	xfmt(sum, sizeof(sum), "%s: file tree cannot be walked: %s", path, msg);
	add(c, "corrupt-fs", XV_SEV_HIGH, o, key, sum);
}

/* Validate deny lines up front: a typo must not silently allow. */
static int check_deny(const struct xv_policy_entry *e)
{
	const char *v;
	enum xv_ftype t;

	/* xv_err_ctx, not xv_err("%s", xv_errmsg()): the message buffer cannot be its own source. */
	if ((v = xv_policy_value(e, "mode")) && xv_fs_mode_match(v, 0) < 0)
		return xv_err_ctx(EINVAL, "%s:%d: ", e->file, e->line);
	if ((v = xv_policy_value(e, "uid")) && xv_fs_id_match(v, 0) < 0)
		return xv_err_ctx(EINVAL, "%s:%d: uid: ", e->file, e->line);
	if ((v = xv_policy_value(e, "gid")) && xv_fs_id_match(v, 0) < 0)
		return xv_err_ctx(EINVAL, "%s:%d: gid: ", e->file, e->line);
	if ((v = xv_policy_value(e, "type")) && xv_ftype_parse(v, &t) < 0)
		return xv_err_ctx(EINVAL, "%s:%d: ", e->file, e->line);
	return 0;
}

int xv_fchk(struct xv_kernel *k, const struct xv_policy *p, struct xv_findings *out)
{
	struct fc_ctx *c = calloc(1, sizeof(*c));
	size_t n = p ? xv_policy_count(p) : 0, ntree = 0;
	struct xv_fs *fs = NULL;
	int rc;

	if (!c)
		return xv_err(ENOMEM, "out of memory");
	c->out = out;
	c->exp = calloc(n + 1, sizeof(*c->exp));
	c->deny = calloc(n + 1, sizeof(*c->deny));
	if (!c->exp || !c->deny) {
		rc = xv_err(ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct xv_policy_entry *e = xv_policy_get(p, i);

		if (strcmp(e->kind, "tree") == 0)
			ntree++;
		if (strcmp(e->kind, "file") != 0)
			continue;
		if (strcmp(e->action, "deny") == 0) {
			if ((rc = check_deny(e)) < 0)
				goto out;
			c->deny[c->ndeny++] = e;
		} else {
			const char *path = xv_policy_value(e, "path");

			/* Literal: names like /usr/bin/[ are common. */
			if (!path || path[0] != '/') {
				rc = xv_err(EINVAL, "%s:%d: file expect needs an absolute path=",
					    e->file, e->line);
				goto out;
			}
			c->exp[c->nexp].path = path;
			c->exp[c->nexp++].e = e;
		}
	}
	qsort(c->exp, c->nexp, sizeof(*c->exp), by_path);
	for (size_t i = 1; i < c->nexp; i++)
		if (strcmp(c->exp[i].path, c->exp[i - 1].path) == 0) {
			rc = xv_err(EINVAL, "%s:%d: path %s expected twice (also line %d)",
				    c->exp[i].e->file, c->exp[i].e->line, c->exp[i].path,
				    c->exp[i - 1].e->line);
			goto out;
		}
	/* Without tree lines and without expectations there is no manifest: deny rules only. */
	if ((rc = xv_scope_init(&c->scope, p)) < 0)
		goto out;
	if (ntree == 0 && c->nexp == 0)
		c->scope.n = 0;
	if ((rc = xv_fs_open(k, &fs)) < 0)
		goto out;
	rc = xv_fs_walk(fs, "/", fc_visit, fc_err, c);
	if (rc < 0 && c->rc == 0) {
		/* The root itself cannot be read: that is a finding about the guest, too. */
		fc_err(fs, "/", rc, xv_errmsg(), c);
	}
	if (c->rc < 0) {
		rc = c->rc;
		goto out;
	}
	for (size_t i = 0; i < c->nexp; i++) {
		struct expect *x = &c->exp[i];
		char key[256], sum[512];

		if (x->seen || !xv_scope_attrs(&c->scope, x->path))
			continue;
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(x->path));
		for (int a = 0; a < XV_FA_COUNT; a++) {
			const char *v = xv_policy_value(x->e, xv_fa_name(a));

			if (v)
				json_object_object_add(o, xv_fa_name(a), json_object_new_string(v));
		}
		xfmt(key, sizeof(key), "fchk removed path=%s", x->path);
		xfmt(sum, sizeof(sum), "%s: %s is gone", x->path,
			 xv_policy_value(x->e, "type") ? xv_policy_value(x->e, "type") : "file");
		if ((rc = add(c, "removed", XV_SEV_MEDIUM, o, key, sum)) < 0)
			goto out;
	}
	rc = 0;
out:
	xv_fs_close(fs);
	xv_scope_free(&c->scope);
	free(c->exp);
	free(c->deny);
	free(c);
	return rc;
}
