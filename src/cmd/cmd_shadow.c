/* cmd_shadow.c — `shadow`: run an unmodified host tool against the guest (execs xvids-shadow, src/shadow). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"

/* xvids-shadow next to this binary (installed), in the build tree, or $XVIDS_SHADOW. */
static int find_helper(char *out, size_t size)
{
	const char *env = getenv("XVIDS_SHADOW");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return access(out, X_OK);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');

	if (!slash)
		return -1;
	*slash = '\0';
	static const char *const rel[] = { "xvids-shadow", "../shadow/xvids-shadow",
					   "../libexec/xvids/xvids-shadow" };

	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(out, size, "%s/%s", self, rel[i]);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

static int shadow_run(struct xv_ctx *ctx, int argc, char **argv)
{
	char helper[PATH_MAX + 64];
	char *args[argc + 12];
	int n = 0;

	if (find_helper(helper, sizeof(helper)) < 0) {
		fprintf(ctx->err, "xvids: shadow: the xvids-shadow helper is not installed next to "
			"xvids (set XVIDS_SHADOW=PATH); it needs libfuse3 and libseccomp\n");
		return XV_EXIT_ERROR;
	}
	args[n++] = helper;
	args[n++] = "--vm";
	args[n++] = (char *)ctx->vm_spec;
	if (ctx->btf_path) {
		args[n++] = "--btf";
		args[n++] = (char *)ctx->btf_path;
	}
	if (ctx->system_map) {
		args[n++] = "--system-map";
		args[n++] = (char *)ctx->system_map;
	}
	if (ctx->vmcoreinfo_path) {
		args[n++] = "--vmcoreinfo";
		args[n++] = (char *)ctx->vmcoreinfo_path;
	}
	if (ctx->pause)
		args[n++] = "--pause";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	fflush(NULL);
	execv(helper, args);
	fprintf(ctx->err, "xvids: shadow: cannot run %s: %s\n", helper, strerror(errno));
	return XV_EXIT_ERROR;
}

const struct xv_cmd xv_cmd_shadow = {
	.name = "shadow",
	.synopsis = "shadow [--bind HOSTDIR:/PATH] [--ttl S] [--no-pin] [--] COMMAND [ARGS...]",
	.summary = "run an unmodified host tool (chkrootkit, aide, ps, netstat...) against the guest",
	.help = "COMMAND runs in private mount and PID namespaces where / is the guest's file system\n"
		"(read from its memory, read-only, noexec), /proc is built from the guest kernel's\n"
		"memory, and uname, sysinfo, kill(pid, 0), getpriority and SIOCGIF* ioctls are\n"
		"answered from the guest (seccomp user notification). /usr, /lib64 and /dev are the\n"
		"host's. --bind HOSTDIR:/PATH shows a writable host directory at PATH.\n"
		"Exit status: COMMAND's own (2 if the shadow cannot be set up). See docs/shadow.md.\n",
	.flags = XV_CMD_NEEDS_VM | XV_CMD_CLI_ONLY,
	.run = shadow_run,
};
