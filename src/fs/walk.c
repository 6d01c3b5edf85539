/* walk.c — bounded depth-first walk of the guest's file tree (each dentry once, sorted by name). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "xvids/err.h"

struct seen {
	uint64_t *v;
	size_t cap, n;
};

/* Open-addressing set of dentry addresses: a dentry met twice means a loop in guest memory. */
static int seen_add(struct seen *s, uint64_t a)
{
	if (s->n * 2 >= s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4096;
		uint64_t *nv = calloc(nc, sizeof(*nv));

		if (!nv)
			return xv_err(ENOMEM, "out of memory");
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				for (size_t h = (s->v[i] >> 4) * 0x9e3779b97f4a7c15ull % nc;; h = (h + 1) % nc)
					if (!nv[h]) {
						nv[h] = s->v[i];
						break;
					}
		free(s->v);
		s->v = nv;
		s->cap = nc;
	}
	for (size_t h = (a >> 4) * 0x9e3779b97f4a7c15ull % s->cap;; h = (h + 1) % s->cap) {
		if (s->v[h] == a)
			return 1;
		if (!s->v[h]) {
			s->v[h] = a;
			s->n++;
			return 0;
		}
	}
}

/* A bind mount shows the same dentries under another mount: the pair is what must not repeat. */
static uint64_t seen_key(const struct xv_fs_node *n)
{
	uint64_t k = n->dentry ^ (n->mnt * 0x9e3779b97f4a7c15ull);

	return k ? k : 1;
}

struct child {
	char *name;
	struct xv_fs_node n;
};

struct kids {
	struct child *v;
	size_t n, cap;
};

static int collect(struct xv_fs *fs, const char *name, const struct xv_fs_node *child, void *arg)
{
	struct kids *k = arg;

	(void)fs;
	if (k->n == k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 32;
		struct child *nv = realloc(k->v, nc * sizeof(*nv));

		if (!nv)
			return xv_err(ENOMEM, "out of memory");
		k->v = nv;
		k->cap = nc;
	}
	if (!(k->v[k->n].name = strdup(name)))
		return xv_err(ENOMEM, "out of memory");
	k->v[k->n++].n = *child;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct child *)a)->name, ((const struct child *)b)->name);
}

static void kids_free(struct kids *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].name);
	free(k->v);
}

struct walk {
	struct xv_fs *fs;
	xv_fs_walk_cb cb;
	xv_fs_err_cb err_cb;
	void *ctx;
	struct seen seen;
};

static int report(struct walk *w, const char *path, int rc)
{
	if (!w->err_cb)
		return rc;
	w->err_cb(w->fs, path, rc, xv_errmsg(), w->ctx);
	xv_err_clear();
	return 0;
}

static int walk_dir(struct walk *w, char *path, size_t plen, const struct xv_fs_node *dir,
		    int depth)
{
	struct kids kids = { 0 };
	int rc;

	if (depth >= XV_FS_MAX_DEPTH)
		return report(w, path, xv_err(ELOOP, "%s: deeper than %d directories", path,
					      XV_FS_MAX_DEPTH));
	rc = xv_fs_readdir(w->fs, dir, collect, &kids);
	if (rc < 0) {
		xv_err_ctx(-rc, "%s: ", path);
		rc = report(w, path, rc);
		if (rc < 0 || kids.n == 0) {
			kids_free(&kids);
			return rc;
		}
	}
	if (kids.n)
		qsort(kids.v, kids.n, sizeof(*kids.v), by_name);
	for (size_t i = 0; i < kids.n && rc >= 0; i++) {
		size_t nl = strlen(kids.v[i].name);
		struct xv_fs_stat st;

		if (plen + 1 + nl >= 4096) {
			rc = report(w, path, xv_err(ENAMETOOLONG, "%s/%s: path too long", path,
						    kids.v[i].name));
			continue;
		}
		size_t np = plen;

		if (np > 1 || path[0] != '/')
			path[np++] = '/';
		memcpy(path + np, kids.v[i].name, nl + 1);
		rc = seen_add(&w->seen, seen_key(&kids.v[i].n));
		if (rc == 1) {
			rc = report(w, path, xv_err(ELOOP, "%s: dentry 0x%" PRIx64 " seen twice (a loop "
							   "in the dentry tree)", path, kids.v[i].n.dentry));
		} else if (rc == 0 && (rc = xv_fs_stat(w->fs, &kids.v[i].n, &st)) < 0) {
			rc = report(w, path, rc);
		} else if (rc == 0) {
			rc = w->cb(w->fs, path, &kids.v[i].n, &st, w->ctx);
			if (rc == 0 && st.type == XV_FT_DIR)
				rc = walk_dir(w, path, np + nl, &kids.v[i].n, depth + 1);
			else if (rc == 1)
				rc = 0;
		}
		path[plen] = '\0';
	}
	kids_free(&kids);
	return rc;
}

int xv_fs_walk(struct xv_fs *fs, const char *start, xv_fs_walk_cb cb, xv_fs_err_cb err_cb,
	       void *ctx)
{
	struct walk w = { fs, cb, err_cb, ctx, { 0 } };
	struct xv_fs_node n;
	struct xv_fs_stat st;
	char *path;
	int rc;

	if ((rc = xv_fs_lookup(fs, start, 0, &n)) < 0 || (rc = xv_fs_stat(fs, &n, &st)) < 0)
		return rc;
	path = malloc(4096);
	if (!path)
		return xv_err(ENOMEM, "out of memory");
	snprintf(path, 4096, "%s", start);
	/* Canonical form: no trailing slash except for "/" itself. */
	for (size_t l = strlen(path); l > 1 && path[l - 1] == '/'; l--)
		path[l - 1] = '\0';
	seen_add(&w.seen, seen_key(&n));
	rc = cb(fs, path, &n, &st, ctx);
	if (rc == 0 && st.type == XV_FT_DIR)
		rc = walk_dir(&w, path, strlen(path), &n, 0);
	else if (rc == 1)
		rc = 0;
	free(path);
	free(w.seen.v);
	return rc < 0 ? rc : 0;
}
