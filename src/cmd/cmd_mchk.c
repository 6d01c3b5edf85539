/* cmd_mchk.c — `mchk`: kernel modules that should not be loaded, and modules a rootkit hides. */
#include "cmd/cmd.h"
#include "xvids/check.h"

static int mchk_run(struct xv_ctx *ctx, int argc, char **argv)
{
	return xv_cmd_run_check(ctx, &xv_cmd_mchk, argc, argv, xv_mchk);
}

const struct xv_cmd xv_cmd_mchk = {
	.name = "mchk",
	.synopsis = "mchk [--policy FILE] [--json] [--eve FILE]",
	.summary = "find unauthorized and hidden kernel modules",
	.help = "Finding kinds (docs/checks.md):\n"
		"  hidden          a module missing from the module list but present in sysfs\n"
		"                  (module_kset) or carved from the module memory area; no policy needed\n"
		"  unauthorized    a module the policy does not allow, or denies\n"
		"  corrupt-view    a kernel list that cannot be walked (cycle, bad pointer)\n"
		"Exit status: 0 no findings, 1 findings, 2 error. JSON: {\"findings\": [...]}.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = mchk_run,
};
