/* cmd_pchk.c — `pchk`: processes that should not run, and processes a rootkit hides. */
#include "cmd/cmd.h"
#include "xvids/check.h"

static int pchk_run(struct xv_ctx *ctx, int argc, char **argv)
{
	return xv_cmd_run_check(ctx, &xv_cmd_pchk, argc, argv, xv_pchk);
}

const struct xv_cmd xv_cmd_pchk = {
	.name = "pchk",
	.synopsis = "pchk [--policy FILE] [--json] [--eve FILE]",
	.summary = "find unauthorized and hidden processes",
	.help = "Finding kinds (docs/checks.md):\n"
		"  hidden          a process the PID table or its parent's children list knows but the\n"
		"                  task list does not (DKOM); works without a policy\n"
		"  unauthorized    a process (or kernel thread) the policy does not allow, or denies\n"
		"  kernel-cred     a user process running with the kernel's own init_cred\n"
		"  deleted-exe     a root process whose executable was deleted\n"
		"  corrupt-*       a kernel list that cannot be walked (cycle, bad pointer)\n"
		"Exit status: 0 no findings, 1 findings, 2 error. JSON: {\"findings\": [...]}.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = pchk_run,
};
