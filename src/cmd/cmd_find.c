/* cmd_find.c — `find`: walk a guest directory tree with a few find(1) tests. */
#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/fs.h"

struct find_ctx {
	struct xv_ctx *ctx;
	const char *name, *type_s, *perm, *uid;
	enum xv_ftype type;
	int have_newer;
	int64_t newer_sec;
	uint32_t newer_ns;
	int mmin_cmp; /* -1 less than, 0 exactly, +1 more than */
	long mmin;
	int have_mmin;
	time_t now;
	struct json_object *arr;
	int errors;
};

static int visit(struct xv_fs *fs, const char *path, const struct xv_fs_node *n,
		 const struct xv_fs_stat *st, void *arg)
{
	struct find_ctx *c = arg;
	const char *base = strrchr(path, '/');

	base = base && base[1] ? base + 1 : path;
	if (c->name && fnmatch(c->name, base, 0) != 0)
		return 0;
	if (c->type_s && st->type != c->type)
		return 0;
	if (c->perm && xv_fs_mode_match(c->perm, st->mode) != 1)
		return 0;
	if (c->uid && xv_fs_id_match(c->uid, st->uid) != 1)
		return 0;
	if (c->have_newer && !(st->mtime > c->newer_sec ||
			       (st->mtime == c->newer_sec && st->mtime_ns > c->newer_ns)))
		return 0;
	if (c->have_mmin) {
		/* find(1) rounds the age up to whole minutes. */
		long age = (long)((c->now - st->mtime + 59) / 60);

		if ((c->mmin_cmp < 0 && !(age < c->mmin)) || (c->mmin_cmp > 0 && !(age > c->mmin)) ||
		    (c->mmin_cmp == 0 && age != c->mmin))
			return 0;
	}
	if (c->arr) {
		char target[4096];
		const char *tp = NULL;

		if (st->type == XV_FT_LNK && xv_fs_readlink(fs, n, target, sizeof(target)) == 0)
			tp = target;
		xv_err_clear();
		const char *nm = strrchr(path, '/');

		json_object_array_add(c->arr, xv_fs_stat_json(nm && nm[1] ? nm + 1 : path, path, st, tp));
	} else {
		fprintf(c->ctx->out, "%s\n", path);
	}
	return 0;
}

static void on_err(struct xv_fs *fs, const char *path, int rc, const char *msg, void *arg)
{
	struct find_ctx *c = arg;

	(void)fs;
	(void)rc;
	fprintf(c->ctx->err, "xvids: find: %s: %s\n", path, msg);
	c->errors++;
}

static int find_run(struct xv_ctx *ctx, int argc, char **argv)
{
	struct find_ctx c = { .ctx = ctx, .now = time(NULL) };
	const char *start = NULL, *newer = NULL;
	struct xv_kernel *k;
	struct xv_fs *fs;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			ctx->json = 1;
			continue;
		}
		if (a[0] != '-' && !start) {
			start = a;
			continue;
		}
		if (!v) {
			xv_cmd_usage(&xv_cmd_find, ctx->err);
			return XV_EXIT_ERROR;
		}
		if (strcmp(a, "-name") == 0)
			c.name = v;
		else if (strcmp(a, "-type") == 0)
			c.type_s = v;
		else if (strcmp(a, "-perm") == 0)
			c.perm = v;
		else if (strcmp(a, "-uid") == 0)
			c.uid = v;
		else if (strcmp(a, "-newer") == 0)
			newer = v;
		else if (strcmp(a, "-mmin") == 0) {
			char *end;

			c.have_mmin = 1;
			c.mmin_cmp = v[0] == '-' ? -1 : v[0] == '+' ? 1 : 0;
			c.mmin = strtol(v + (c.mmin_cmp != 0), &end, 10);
			if (*end || c.mmin < 0) {
				fprintf(ctx->err, "xvids: find: -mmin %s: expected N, -N or +N\n", v);
				return XV_EXIT_ERROR;
			}
		} else {
			fprintf(ctx->err, "xvids: find: unknown test '%s'\n", a);
			xv_cmd_usage(&xv_cmd_find, ctx->err);
			return XV_EXIT_ERROR;
		}
		i++;
	}
	if (c.type_s) {
		static const char *const letters = "fdlcbps";
		enum xv_ftype map[] = { XV_FT_REG, XV_FT_DIR, XV_FT_LNK, XV_FT_CHR, XV_FT_BLK,
					XV_FT_FIFO, XV_FT_SOCK };
		const char *p = strlen(c.type_s) == 1 ? strchr(letters, c.type_s[0]) : NULL;

		if (p)
			c.type = map[p - letters];
		else if (xv_ftype_parse(c.type_s, &c.type) < 0) {
			fprintf(ctx->err, "xvids: find: -type: %s\n", xv_errmsg());
			return XV_EXIT_ERROR;
		}
	}
	if (c.perm && xv_fs_mode_match(c.perm, 0) < 0) {
		fprintf(ctx->err, "xvids: find: -perm: %s\n", xv_errmsg());
		return XV_EXIT_ERROR;
	}
	if (c.uid && xv_fs_id_match(c.uid, 0) < 0) {
		fprintf(ctx->err, "xvids: find: -uid: %s\n", xv_errmsg());
		return XV_EXIT_ERROR;
	}
	if (xv_ctx_kernel(ctx, &k) < 0 || xv_fs_open(k, &fs) < 0)
		return xv_cmd_fail(ctx, "find");
	if (newer) {
		struct xv_fs_node n;
		struct xv_fs_stat st;

		if (xv_fs_lookup(fs, newer, 1, &n) < 0 || xv_fs_stat(fs, &n, &st) < 0) {
			xv_fs_close(fs);
			return xv_cmd_fail(ctx, "find -newer");
		}
		c.have_newer = 1;
		c.newer_sec = st.mtime;
		c.newer_ns = st.mtime_ns;
	}
	if (ctx->json)
		c.arr = json_object_new_array();
	rc = xv_fs_walk(fs, start ? start : "/", visit, on_err, &c);
	if (rc < 0) {
		fprintf(ctx->err, "xvids: find: %s\n", xv_errmsg());
		c.errors++;
	}
	if (c.arr)
		xv_cmd_print_json(ctx, c.arr);
	xv_fs_close(fs);
	return c.errors ? XV_EXIT_ERROR : XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_find = {
	.name = "find",
	.synopsis = "find [PATH] [-name GLOB] [-type f|d|l|c|b|p|s] [-perm MODE] [-uid [!]N] "
		    "[-newer PATH] [-mmin [-+]N] [--json]",
	.summary = "walk a guest directory tree (crossing mounts) and print matching paths",
	.help = "Tests combine with AND, as in find(1). -perm takes 0644 (exact), /6000 (any of the\n"
		"bits) or -0002 (all of them). -mmin compares with the host's clock. Unreadable or\n"
		"corrupt parts of the tree are reported on stderr (exit 2) and the walk goes on.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = find_run,
};
