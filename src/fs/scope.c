/* scope.c — the file manifest's scope: AIDE-like tree include/exclude rules and attribute sets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "xvids/err.h"
#include "xvids/policy.h"

static const char *const fa_names[XV_FA_COUNT] = { "type", "mode", "uid", "gid", "size",
						   "mtime", "sha256", "target", "inode", "nlink" };

const char *xv_fa_name(int i)
{
	return i >= 0 && i < XV_FA_COUNT ? fa_names[i] : "?";
}

int xv_fa_parse(const char *s, unsigned *mask)
{
	char word[32];

	*mask = 0;
	while (*s) {
		size_t l = strcspn(s, ",+");
		int i;

		if (l == 0 || l >= sizeof(word))
			return xv_err(EINVAL, "attrs: empty or overlong name in list");
		memcpy(word, s, l);
		word[l] = '\0';
		if (strcmp(word, "all") == 0)
			*mask |= XV_FA_ALL;
		else if (strcmp(word, "default") == 0)
			*mask |= XV_FA_DEFAULT;
		else if (strcmp(word, "perms") == 0)
			*mask |= XV_FA_PERMS;
		else {
			for (i = 0; i < XV_FA_COUNT && strcmp(word, fa_names[i]); i++)
				;
			if (i == XV_FA_COUNT)
				return xv_err(EINVAL, "attrs: unknown attribute '%s' (type, mode, uid, gid, "
						      "size, mtime, sha256, target, inode, nlink, perms, "
						      "default, all)", word);
			*mask |= 1u << i;
		}
		s += l;
		if (*s)
			s++;
	}
	if (!*mask)
		return xv_err(EINVAL, "attrs: empty list");
	return 0;
}

static const char *const default_excludes[] = { "/proc", "/sys", "/dev", "/run", "/tmp" };

int xv_scope_init(struct xv_scope *s, const struct xv_policy *p)
{
	size_t n = p ? xv_policy_count(p) : 0, cnt = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++)
		if (strcmp(xv_policy_get(p, i)->kind, "tree") == 0)
			cnt++;
	if (cnt == 0) {
		s->r = calloc(6, sizeof(*s->r));
		if (!s->r)
			return xv_err(ENOMEM, "out of memory");
		s->r[0] = (struct xv_scope_rule){ "/", 1, XV_FA_DEFAULT, 0 };
		for (int i = 0; i < 5; i++)
			s->r[1 + i] = (struct xv_scope_rule){ default_excludes[i], 0, 0, 0 };
		s->n = 6;
		s->defaulted = 1;
		return 0;
	}
	s->r = calloc(cnt, sizeof(*s->r));
	if (!s->r)
		return xv_err(ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct xv_policy_entry *e = xv_policy_get(p, i);
		struct xv_scope_rule *r = &s->r[s->n];
		const char *path, *attrs;

		if (strcmp(e->kind, "tree") != 0)
			continue;
		path = xv_policy_value(e, "path");
		attrs = xv_policy_value(e, "attrs");
		r->include = strcmp(e->action, "include") == 0;
		r->glob = path && strpbrk(path, "*?[") != NULL;
		/* Exclude globs match the whole path, so "*.log" is fine; directories are absolute. */
		if (!path || (path[0] != '/' && !(r->glob && !r->include))) {
			xv_scope_free(s);
			return xv_err(EINVAL, "%s:%d: tree %s needs an absolute path=", e->file, e->line,
				      e->action);
		}
		r->path = path;
		r->attrs = XV_FA_DEFAULT;
		if (attrs && !r->include) {
			xv_scope_free(s);
			return xv_err(EINVAL, "%s:%d: tree exclude takes no attrs=", e->file, e->line);
		}
		if (attrs && xv_fa_parse(attrs, &r->attrs) < 0) {
			xv_scope_free(s);
			return xv_err_ctx(EINVAL, "%s:%d: ", e->file, e->line);
		}
		if (r->glob && r->include) {
			xv_scope_free(s);
			return xv_err(EINVAL, "%s:%d: tree include takes a directory, not a glob",
				      e->file, e->line);
		}
		s->n++;
	}
	return 0;
}

void xv_scope_free(struct xv_scope *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

unsigned xv_scope_attrs(const struct xv_scope *s, const char *path)
{
	const struct xv_scope_rule *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct xv_scope_rule *r = &s->r[i];

		if (r->glob) {
			if (xv_fs_glob_match(r->path, path))
				return 0;
			continue;
		}
		size_t l = strlen(r->path);

		/* later lines win ties, so a policy can override an earlier rule */
		if (xv_fs_path_under(path, r->path) && (!best || l >= best_len)) {
			best = r;
			best_len = l;
		}
	}
	return best && best->include ? best->attrs : 0;
}
