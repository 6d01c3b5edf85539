/* cmd_stat.c — `stat`: a guest file's inode as its kernel records it. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/vat.h"

static void when(FILE *f, const char *label, int64_t sec, uint32_t ns)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[64];

	if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		fprintf(f, "%s: %s.%09u +0000\n", label, buf, ns);
	else
		fprintf(f, "%s: %" PRId64 ".%09u\n", label, sec, ns);
}

static int stat_run(struct xv_ctx *ctx, int argc, char **argv)
{
	struct xv_kernel *k;
	struct xv_fs *fs;
	struct json_object *arr = NULL;
	int first = xv_cmd_simple_opts(ctx, &xv_cmd_stat, argc, argv), status = XV_EXIT_OK;

	if (first < 0)
		return XV_EXIT_ERROR;
	if (first >= argc) {
		xv_cmd_usage(&xv_cmd_stat, ctx->err);
		return XV_EXIT_ERROR;
	}
	if (xv_ctx_kernel(ctx, &k) < 0 || xv_fs_open(k, &fs) < 0)
		return xv_cmd_fail(ctx, "stat");
	if (ctx->json)
		arr = json_object_new_array();
	for (int i = first; i < argc; i++) {
		struct xv_fs_node n;
		struct xv_fs_stat st;
		char target[4096], mode[11];
		const char *tp = NULL;

		if (xv_fs_lookup(fs, argv[i], 0, &n) < 0 || xv_fs_stat(fs, &n, &st) < 0) {
			fprintf(ctx->err, "xvids: stat: %s\n", xv_errmsg());
			status = XV_EXIT_ERROR;
			continue;
		}
		if (st.type == XV_FT_LNK && xv_fs_readlink(fs, &n, target, sizeof(target)) == 0)
			tp = target;
		xv_err_clear();
		if (arr) {
			struct json_object *o = xv_fs_stat_json(NULL, argv[i], &st, tp);
			char a[24];

			json_object_object_add(o, "ctime", json_object_new_int64(st.ctime));
			json_object_object_add(o, "atime", json_object_new_int64(st.atime));
			json_object_object_add(o, "blocks", json_object_new_int64((int64_t)st.blocks));
			json_object_object_add(o, "pages", json_object_new_int64((int64_t)st.nrpages));
			json_object_object_add(o, "fstype", json_object_new_string(st.fstype));
			json_object_object_add(o, "memfs", json_object_new_boolean(st.memfs));
			snprintf(a, sizeof(a), "0x%016" PRIx64, n.inode);
			json_object_object_add(o, "inode", json_object_new_string(a));
			snprintf(a, sizeof(a), "0x%016" PRIx64, n.dentry);
			json_object_object_add(o, "dentry", json_object_new_string(a));
			snprintf(a, sizeof(a), "0x%016" PRIx64, n.mnt);
			json_object_object_add(o, "mount", json_object_new_string(a));
			/* Physical addresses too: forensics on a dump, and the hostile-memory tests. */
			uint64_t pa;

			if (xv_vat_translate(xv_kernel_vat(k), n.inode, &pa, NULL) == 0) {
				snprintf(a, sizeof(a), "0x%" PRIx64, pa);
				json_object_object_add(o, "inode_phys", json_object_new_string(a));
			}
			if (xv_vat_translate(xv_kernel_vat(k), n.dentry, &pa, NULL) == 0) {
				snprintf(a, sizeof(a), "0x%" PRIx64, pa);
				json_object_object_add(o, "dentry_phys", json_object_new_string(a));
			}
			xv_err_clear();
			json_object_array_add(arr, o);
			continue;
		}
		xv_fs_mode_string(st.mode, mode);
		fprintf(ctx->out, "  File: %s%s%s\n", argv[i], tp ? " -> " : "", tp ? tp : "");
		fprintf(ctx->out, "  Size: %-10" PRIu64 " Blocks: %-10" PRIu64 " %s\n", st.size,
			st.blocks, xv_ftype_name(st.type));
		fprintf(ctx->out, " Inode: %-10" PRIu64 " Links: %-5" PRIu64, st.ino, st.nlink);
		if (st.type == XV_FT_CHR || st.type == XV_FT_BLK)
			fprintf(ctx->out, " Device type: %u,%u", st.rdev_major, st.rdev_minor);
		fprintf(ctx->out, "\nAccess: (%04o/%s)  Uid: %u  Gid: %u\n", st.mode & 07777, mode,
			st.uid, st.gid);
		when(ctx->out, "Access", st.atime, st.atime_ns);
		when(ctx->out, "Modify", st.mtime, st.mtime_ns);
		when(ctx->out, "Change", st.ctime, st.ctime_ns);
		fprintf(ctx->out, "    Fs: %s%s, %" PRIu64 " pages in the page cache\n", st.fstype,
			st.memfs ? " (memory file system)" : "", st.nrpages);
		fprintf(ctx->out, "Kernel: inode 0x%016" PRIx64 " dentry 0x%016" PRIx64 " mount 0x%016"
			PRIx64 "\n", n.inode, n.dentry, n.mnt);
	}
	if (arr)
		xv_cmd_print_json(ctx, arr);
	xv_fs_close(fs);
	return status;
}

const struct xv_cmd xv_cmd_stat = {
	.name = "stat",
	.synopsis = "stat [--json] PATH...",
	.summary = "show a guest file's inode: type, mode, owner, size, links, times, kernel addresses",
	.help = "Does not follow a final symlink (shows the link and its target).\n"
		"JSON: an array of {path, type, mode, uid, gid, size, mtime, ctime, atime, nlink, ino,\n"
		"blocks, pages, fstype, memfs, inode, dentry, mount, inode_phys, dentry_phys[, target]\n"
		"[, rdev]} (inode, dentry, mount: kernel addresses; *_phys: guest-physical).\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = stat_run,
};
