/* cmd_cat.c — `cat`: a guest file's bytes from its page cache, raw to stdout. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/fs.h"

struct cat_ctx {
	FILE *out;
	int werr;
};

static int to_out(const void *data, size_t len, void *arg)
{
	struct cat_ctx *c = arg;

	if (fwrite(data, 1, len, c->out) != len) {
		c->werr = 1;
		return 1;
	}
	return 0;
}

static int cat_run(struct xv_ctx *ctx, int argc, char **argv)
{
	struct xv_kernel *k;
	struct xv_fs *fs;
	static const struct option opts[] = {
		{ "max-size", required_argument, NULL, 'm' }, { 0 },
	};
	/* A corrupt (or hostile) i_size must not make cat stream terabytes of zeros. */
	uint64_t max = 16ull << 30;
	int c, first, status = XV_EXIT_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+m:", opts, NULL)) != -1) {
		char *end;

		if (c != 'm') {
			xv_cmd_usage(&xv_cmd_cat, ctx->err);
			return XV_EXIT_ERROR;
		}
		max = strtoull(optarg, &end, 0);
		if (*end) {
			fprintf(ctx->err, "xvids: cat: --max-size takes bytes\n");
			return XV_EXIT_ERROR;
		}
	}
	first = optind;
	if (first >= argc) {
		xv_cmd_usage(&xv_cmd_cat, ctx->err);
		return XV_EXIT_ERROR;
	}
	if (xv_ctx_kernel(ctx, &k) < 0 || xv_fs_open(k, &fs) < 0)
		return xv_cmd_fail(ctx, "cat");
	for (int i = first; i < argc; i++) {
		struct xv_fs_node n;
		struct xv_fs_stat st;
		struct xv_fs_readinfo ri;
		struct cat_ctx c = { ctx->out, 0 };
		int rc;

		if (xv_fs_lookup(fs, argv[i], 1, &n) < 0 || xv_fs_stat(fs, &n, &st) < 0) {
			fprintf(ctx->err, "xvids: cat: %s\n", xv_errmsg());
			status = XV_EXIT_ERROR;
			continue;
		}
		if (st.type != XV_FT_REG) {
			fprintf(ctx->err, "xvids: cat: %s: not a regular file (%s)\n", argv[i],
				xv_ftype_name(st.type));
			status = XV_EXIT_ERROR;
			continue;
		}
		if (st.size > max) {
			fprintf(ctx->err, "xvids: cat: %s: %" PRIu64 " bytes, over --max-size %" PRIu64
				"\n", argv[i], st.size, max);
			status = XV_EXIT_ERROR;
			continue;
		}
		rc = xv_fs_stream(fs, &n, 0, UINT64_MAX, to_out, &c, &ri);
		if (c.werr) {
			fprintf(ctx->err, "xvids: cat: write error\n");
			status = XV_EXIT_ERROR;
			break;
		}
		if (rc < 0) {
			fprintf(ctx->err, "xvids: cat: %s: %s\n", argv[i], xv_errmsg());
			status = XV_EXIT_ERROR;
		} else if (ri.missing) {
			fprintf(ctx->err, "xvids: cat: %s: partial: %" PRIu64 " of %" PRIu64
				" pages are not in guest RAM (written as zeros)\n", argv[i], ri.missing,
				ri.pages);
			if (status == XV_EXIT_OK)
				status = XV_EXIT_FINDINGS;
		}
		if (!st.memfs)
			fprintf(ctx->err, "xvids: cat: %s: on %s, not a memory file system: only cached "
				"pages are exact\n", argv[i], st.fstype);
	}
	fflush(ctx->out);
	xv_fs_close(fs);
	return status;
}

const struct xv_cmd xv_cmd_cat = {
	.name = "cat",
	.synopsis = "cat [--max-size BYTES] PATH...",
	.summary = "write a guest file's bytes (from its page cache) to stdout",
	.help = "Follows symlinks. Holes of memory file systems read as zeros, as in the guest.\n"
		"Pages that are not in guest RAM (swapped out, evicted, or lost from a page cache\n"
		"that counts more pages than it holds) are written as zeros and the file is\n"
		"reported as partial on stderr, with exit status 1. Files over\n"
		"--max-size (default 16 GiB) are refused: a corrupt i_size is not streamed.\n",
	.flags = XV_CMD_NEEDS_VM | XV_CMD_CLI_ONLY,
	.run = cat_run,
};
