/* cmd_ls.c — `ls`: list the guest's directories from its dentry tree, like ls -ln inside the guest. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/fs.h"

struct ls_opts {
	int lng, rec, all, dir_itself;
	struct json_object *arr;
	struct xv_ctx *ctx;
	int errors;
};

struct ent {
	char *name;
	struct xv_fs_node n;
};

struct ents {
	struct ent *v;
	size_t n, cap;
};

static int collect(struct xv_fs *fs, const char *name, const struct xv_fs_node *child, void *arg)
{
	struct ents *e = arg;

	(void)fs;
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 64;
		struct ent *nv = realloc(e->v, nc * sizeof(*nv));

		if (!nv)
			return xv_err(ENOMEM, "out of memory");
		e->v = nv;
		e->cap = nc;
	}
	if (!(e->v[e->n].name = strdup(name)))
		return xv_err(ENOMEM, "out of memory");
	e->v[e->n++].n = *child;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	size_t l = strlen(dir);

	snprintf(out, size, "%s%s%s", dir, (l && dir[l - 1] == '/') ? "" : "/", name);
}

/* One entry: a line (or just the name) in text, an object in JSON. */
static void show(struct ls_opts *o, struct xv_fs *fs, const char *name, const char *path,
		 const struct xv_fs_node *n)
{
	struct xv_fs_stat st;
	char target[4096];
	const char *tp = NULL;

	if (!o->lng && !o->arr) {
		fprintf(o->ctx->out, "%s\n", name);
		return;
	}
	if (xv_fs_stat(fs, n, &st) < 0) {
		fprintf(o->ctx->err, "xvids: ls: %s: %s\n", path, xv_errmsg());
		o->errors++;
		return;
	}
	if (st.type == XV_FT_LNK) {
		if (xv_fs_readlink(fs, n, target, sizeof(target)) == 0)
			tp = target;
		else
			xv_err_clear();
	}
	if (o->arr)
		json_object_array_add(o->arr, xv_fs_stat_json(name, path, &st, tp));
	else
		xv_fs_print_long(o->ctx->out, name, &st, tp);
}

static int list_dir(struct ls_opts *o, struct xv_fs *fs, const char *path,
		    const struct xv_fs_node *dir, int header, int depth)
{
	struct ents e = { 0 };
	char child[4096];
	int rc = xv_fs_readdir(fs, dir, collect, &e);

	if (rc < 0) {
		fprintf(o->ctx->err, "xvids: ls: %s: %s\n", path, xv_errmsg());
		o->errors++;
	}
	if (e.n)
		qsort(e.v, e.n, sizeof(*e.v), by_name);
	if (header && !o->arr)
		fprintf(o->ctx->out, "%s:\n", path);
	for (size_t i = 0; i < e.n; i++) {
		if (!o->all && e.v[i].name[0] == '.')
			continue;
		join(child, sizeof(child), path, e.v[i].name);
		show(o, fs, e.v[i].name, child, &e.v[i].n);
	}
	if (o->rec && depth < XV_FS_MAX_DEPTH) {
		for (size_t i = 0; i < e.n; i++) {
			struct xv_fs_stat st;

			if (!o->all && e.v[i].name[0] == '.')
				continue;
			if (xv_fs_stat(fs, &e.v[i].n, &st) < 0 || st.type != XV_FT_DIR) {
				xv_err_clear();
				continue;
			}
			join(child, sizeof(child), path, e.v[i].name);
			if (!o->arr)
				fputc('\n', o->ctx->out);
			list_dir(o, fs, child, &e.v[i].n, 1, depth + 1);
		}
	}
	for (size_t i = 0; i < e.n; i++)
		free(e.v[i].name);
	free(e.v);
	return 0;
}

static int ls_run(struct xv_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "long", no_argument, NULL, 'l' },
		{ "recursive", no_argument, NULL, 'R' }, { "all", no_argument, NULL, 'a' },
		{ "directory", no_argument, NULL, 'd' }, { 0 },
	};
	struct ls_opts o = { .ctx = ctx };
	struct xv_kernel *k;
	struct xv_fs *fs;
	int c, first;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+jlRad", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctx->json = 1; break;
		case 'l': o.lng = 1; break;
		case 'R': o.rec = 1; break;
		case 'a': o.all = 1; break;
		case 'd': o.dir_itself = 1; break;
		default: xv_cmd_usage(&xv_cmd_ls, ctx->err); return XV_EXIT_ERROR;
		}
	}
	first = optind;
	if (xv_ctx_kernel(ctx, &k) < 0 || xv_fs_open(k, &fs) < 0)
		return xv_cmd_fail(ctx, "ls");
	if (ctx->json)
		o.arr = json_object_new_array();
	char *defpath[] = { "/" };
	char **paths = first < argc ? argv + first : defpath;
	int npaths = first < argc ? argc - first : 1;

	for (int i = 0; i < npaths; i++) {
		struct xv_fs_node n;
		struct xv_fs_stat st;

		/* Like ls: a trailing slash or a directory operand lists through a symlink. */
		size_t pl = strlen(paths[i]);
		int slash = pl > 1 && paths[i][pl - 1] == '/';
		int follow = slash || (!o.dir_itself && !o.lng);

		if (xv_fs_lookup(fs, paths[i], 0, &n) < 0 || xv_fs_stat(fs, &n, &st) < 0) {
			fprintf(ctx->err, "xvids: ls: %s\n", xv_errmsg());
			o.errors++;
			continue;
		}
		if (st.type == XV_FT_LNK && follow) {
			struct xv_fs_node t;

			if (xv_fs_lookup(fs, paths[i], 1, &t) == 0 && xv_fs_stat(fs, &t, &st) == 0)
				n = t;
			xv_err_clear();
		}
		if (st.type != XV_FT_DIR || o.dir_itself) {
			show(&o, fs, paths[i], paths[i], &n);
			continue;
		}
		if (i > 0 && !o.arr)
			fputc('\n', ctx->out);
		list_dir(&o, fs, paths[i], &n, npaths > 1 || o.rec, 0);
	}
	if (o.arr)
		xv_cmd_print_json(ctx, o.arr);
	xv_fs_close(fs);
	return o.errors ? XV_EXIT_ERROR : XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_ls = {
	.name = "ls",
	.synopsis = "ls [-l] [-R] [-a] [-d] [--json] [PATH...]",
	.summary = "list the guest's directories from its dentry tree (like ls -ln in the guest)",
	.help = "Reads directories from the guest kernel's dentry tree, starting at the root of PID 1,\n"
		"crossing mounts. Memory file systems (rootfs, tmpfs, ramfs, devtmpfs) are complete;\n"
		"elsewhere (proc, sysfs, disks) only what the kernel has cached is listed.\n"
		"  -l   long format: mode, links, uid, gid, size (or major, minor), mtime (UTC), name\n"
		"  -R   recursive    -a  include names starting with '.'    -d  the entry itself\n"
		"JSON: an array of {name, path, type, mode, uid, gid, size, mtime, nlink, ino[, target]}.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = ls_run,
};
