/* xvnet_main.c — a stand-alone front end for the `net` and `switch` commands, for tests and bench
 * (the real CLI is build/xvids; this one links only libxvids and the two command files). */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "xvids/err.h"

extern const struct xv_cmd xv_cmd_net, xv_cmd_switch;

int xv_cmd_fail(struct xv_ctx *ctx, const char *cmd)
{
	fprintf(ctx->err, "xvids: %s: %s\n", cmd, xv_errmsg());
	return XV_EXIT_ERROR;
}

void xv_cmd_usage(const struct xv_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: xvids %s\n  %s\n", cmd->synopsis, cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s", cmd->help);
}

int main(int argc, char **argv)
{
	struct xv_ctx ctx = { .out = stdout, .err = stderr };
	if (argc < 2) {
		fprintf(stderr, "usage: %s net|switch [OPTIONS]\n", argv[0]);
		return 2;
	}
	const struct xv_cmd *c = !strcmp(argv[1], "net") ? &xv_cmd_net
				 : !strcmp(argv[1], "switch") ? &xv_cmd_switch : NULL;
	if (!c) {
		fprintf(stderr, "%s: unknown command %s\n", argv[0], argv[1]);
		return 2;
	}
	int rc = c->run(&ctx, argc - 1, argv + 1);
	fflush(stdout);
	return rc;
}
