/* cmd_fchk.c — `fchk`: the guest's files against the baseline manifest and the policy's file rules. */
#include <getopt.h>
#include <string.h>

#include "cmd/cmd.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/policy.h"

/* fchk --init: only the file manifest (what `baseline` also writes), like aide --init. */
static int fchk_init(struct xv_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "init", no_argument, NULL, 'i' }, { "policy", required_argument, NULL, 'p' }, { 0 },
	};
	const char *scope_path = NULL;
	struct xv_policy *scope = NULL;
	struct xv_kernel *k;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+p:", opts, NULL)) != -1) {
		if (c == 'p')
			scope_path = optarg;
		else if (c != 'i') {
			xv_cmd_usage(&xv_cmd_fchk, ctx->err);
			return XV_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(ctx->err, "xvids: fchk: unexpected argument '%s'\n", argv[optind]);
		return XV_EXIT_ERROR;
	}
	if (scope_path && !(scope = xv_policy_load(scope_path)))
		return xv_cmd_fail(ctx, "fchk --init");
	if (xv_ctx_kernel(ctx, &k) < 0) {
		xv_policy_free(scope);
		return xv_cmd_fail(ctx, "fchk --init");
	}
	if (ctx->pause)
		xv_mem_pause(ctx->mem);
	rc = xv_fchk_baseline(k, scope, ctx->out);
	if (ctx->pause)
		xv_mem_resume(ctx->mem);
	xv_policy_free(scope);
	return rc < 0 ? xv_cmd_fail(ctx, "fchk --init") : XV_EXIT_OK;
}

static int fchk_run(struct xv_ctx *ctx, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--init") == 0)
			return fchk_init(ctx, argc, argv);
	return xv_cmd_run_check(ctx, &xv_cmd_fchk, argc, argv, xv_fchk);
}

const struct xv_cmd xv_cmd_fchk = {
	.name = "fchk",
	.synopsis = "fchk --policy FILE [--json] [--eve FILE] | fchk --init [--policy SCOPE]",
	.summary = "find added, removed and changed files and files the policy denies",
	.help = "Walks the guest's memory file systems from / (docs/files.md). Finding kinds:\n"
		"  added       a file in a `tree include` scope that the manifest does not list\n"
		"  removed     a `file expect` line whose file is gone\n"
		"  changed     attributes differ from the `file expect` line (each: attr, old, new)\n"
		"  denied      a file matching a `file deny` rule (path glob, mode, uid, gid, type, sha256)\n"
		"  partial     content not fully in RAM, its SHA-256 cannot be checked\n"
		"  corrupt-fs  a part of the dentry tree that cannot be walked (loop, bad pointer)\n"
		"Exit status: 0 no findings, 1 findings, 2 error. JSON: {\"findings\": [...]}.\n"
		"--init writes only the file manifest (tree lines and one `file expect` line per file)\n"
		"to stdout; its scope comes from the tree lines of --policy SCOPE, if given.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = fchk_run,
};
