/* check_common.c — what pchk, mchk (and the other checks) share: options, output, EVE, exit codes. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "xvids/check.h"
#include "xvids/err.h"

int xv_cmd_run_check(struct xv_ctx *ctx, const struct xv_cmd *cmd, int argc, char **argv,
		     int (*check)(struct xv_kernel *, const struct xv_policy *, struct xv_findings *))
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "eve", required_argument, NULL, 'E' },
		{ 0 },
	};
	const char *policy_path = NULL;
	struct xv_policy *pol = NULL;
	struct xv_findings f = { 0 };
	struct xv_kernel *k;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+p:j", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy_path = optarg; break;
		case 'j': ctx->json = 1; break;
		case 'E': ctx->eve_path = optarg; break;
		default: xv_cmd_usage(cmd, ctx->err); return XV_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(ctx->err, "xvids: %s: unexpected argument '%s'\n", cmd->name, argv[optind]);
		return XV_EXIT_ERROR;
	}
	if (policy_path && !(pol = xv_policy_load(policy_path)))
		return xv_cmd_fail(ctx, cmd->name);
	if (xv_ctx_kernel(ctx, &k) < 0) {
		xv_policy_free(pol);
		return xv_cmd_fail(ctx, cmd->name);
	}
	if (ctx->pause)
		xv_mem_pause(ctx->mem);
	rc = check(k, pol, &f);
	if (ctx->pause)
		xv_mem_resume(ctx->mem);
	xv_policy_free(pol);
	if (rc < 0) {
		xv_findings_free(&f);
		return xv_cmd_fail(ctx, cmd->name);
	}
	if (ctx->eve_path) {
		const char *host = ctx->vm_name ? ctx->vm_name : xv_kernel_info(k)->nodename;

		if (xv_findings_eve(&f, ctx->eve_path, host) < 0) {
			xv_findings_free(&f);
			return xv_cmd_fail(ctx, cmd->name);
		}
	}
	if (ctx->json) {
		xv_cmd_print_json(ctx, xv_findings_json(&f));
	} else if (f.n == 0) {
		fprintf(ctx->out, "%s: no findings%s\n", cmd->name,
			pol ? "" : " (no --policy: hidden-object checks only)");
	} else {
		for (size_t i = 0; i < f.n; i++)
			fprintf(ctx->out, "%-8s %-18s %s\n", xv_severity_name(f.v[i].severity),
				f.v[i].kind, f.v[i].summary);
	}
	rc = f.n ? XV_EXIT_FINDINGS : XV_EXIT_OK;
	xv_findings_free(&f);
	return rc;
}
