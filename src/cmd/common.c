/* common.c — what every command shares: opening the guest on demand, errors, usage. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/kernel.h"
#include "xvids/mem.h"

int xv_ctx_kernel(struct xv_ctx *ctx, struct xv_kernel **k)
{
	int rc;

	if (ctx->kernel) {
		*k = ctx->kernel;
		return 0;
	}
	if (!ctx->vm_spec)
		return xv_err(EINVAL, "no guest given: use --vm ram:PATH@BASE, dump:PATH or qmp:SOCKET");
	if (!ctx->mem) {
		struct xv_mem_opts mo = { .pause = ctx->pause };

		rc = xv_mem_open(ctx->vm_spec, &mo, &ctx->mem);
		if (rc < 0)
			return rc;
	}
	struct xv_kernel_opts ko = { .btf_path = ctx->btf_path, .system_map = ctx->system_map,
				     .vmcoreinfo_path = ctx->vmcoreinfo_path };

	if (ctx->pause)
		xv_mem_pause(ctx->mem);
	rc = xv_kernel_open(ctx->mem, &ko, &ctx->kernel);
	if (ctx->pause)
		xv_mem_resume(ctx->mem);
	if (rc < 0)
		return rc;
	*k = ctx->kernel;
	return 0;
}

void xv_ctx_release(struct xv_ctx *ctx)
{
	if (ctx->kernel)
		xv_kernel_close(ctx->kernel);
	ctx->kernel = NULL;
	if (ctx->mem)
		xv_mem_close(ctx->mem);
	ctx->mem = NULL;
}

int xv_cmd_fail(struct xv_ctx *ctx, const char *cmd)
{
	fprintf(ctx->err ? ctx->err : stderr, "xvids: %s: %s\n", cmd, xv_errmsg());
	return XV_EXIT_ERROR;
}

void xv_cmd_usage(const struct xv_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: xvids [--vm SPEC] %s\n  %s\n", cmd->synopsis, cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s", cmd->help);
}

int xv_cmd_simple_opts(struct xv_ctx *ctx, const struct xv_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+j", opts, NULL)) != -1) {
		if (c == 'j') {
			ctx->json = 1;
			continue;
		}
		xv_cmd_usage(cmd, ctx->err);
		return -1;
	}
	return optind;
}

void xv_cmd_print_json(struct xv_ctx *ctx, struct json_object *obj)
{
	fprintf(ctx->out, "%s\n",
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}
