/* cmd_baseline.c — `baseline`: write a policy that allows the guest's current state (like aide --init). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/kernel.h"

static int baseline_write(struct xv_ctx *ctx, struct xv_kernel *k, FILE *f, unsigned learn_ms)
{
	const struct xv_kernel_info *i = xv_kernel_info(k);
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f,
		"# xvids policy — baseline of guest %s (%s %s), %s.\n"
		"# Lines: KIND ACTION key=value ...  (docs/policy.md). Edit freely: add 'deny' lines,\n"
		"# widen names with globs (* ? [..]), drop what should never run. Checks:\n"
		"#   xvids --vm SPEC pchk --policy THIS   xvids --vm SPEC mchk --policy THIS\n",
		i->nodename, i->arch_name, i->release, when);
	(void)ctx;
	if (xv_baseline_procs(k, f, learn_ms) < 0 || xv_baseline_modules(k, f) < 0 ||
	    xv_fchk_baseline(k, NULL, f) < 0)
		return -1;
	return 0;
}

static int baseline_run(struct xv_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "learn", required_argument, NULL, 'l' },
		{ 0 },
	};
	const char *path = NULL;
	unsigned learn_ms = 0;
	struct xv_kernel *k;
	char tmp[4096];
	FILE *f;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+o:l:", opts, NULL)) != -1) {
		if (c == 'o') {
			path = optarg;
			continue;
		}
		if (c == 'l') {
			char *end;
			double s = strtod(optarg, &end);

			if (end == optarg || *end || s < 0 || s > 86400) {
				fprintf(ctx->err, "xvids: baseline: --learn takes seconds (0 to 86400), "
						  "not '%s'\n", optarg);
				return XV_EXIT_ERROR;
			}
			learn_ms = (unsigned)(s * 1000);
			continue;
		}
		xv_cmd_usage(&xv_cmd_baseline, ctx->err);
		return XV_EXIT_ERROR;
	}
	if (xv_ctx_kernel(ctx, &k) < 0)
		return xv_cmd_fail(ctx, "baseline");
	if (!path || (ctx->daemon && strcmp(path, "-") == 0))
		return baseline_write(ctx, k, ctx->out, learn_ms) < 0 ? xv_cmd_fail(ctx, "baseline") : XV_EXIT_OK;
	/* Write next to the target and rename: a crash never leaves half a policy behind. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp)) {
		xv_err(ENAMETOOLONG, "output path too long");
		return xv_cmd_fail(ctx, "baseline");
	}
	int fd = mkstemp(tmp);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		xv_err(errno, "cannot create %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return xv_cmd_fail(ctx, "baseline");
	}
	int rc = baseline_write(ctx, k, f, learn_ms);

	if (fclose(f) != 0 && rc == 0)
		rc = xv_err(errno, "writing %s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = xv_err(errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc < 0) {
		unlink(tmp);
		return xv_cmd_fail(ctx, "baseline");
	}
	fprintf(ctx->err, "xvids: baseline written to %s\n", path);
	return XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_baseline = {
	.name = "baseline",
	.synopsis = "baseline [-o FILE] [--learn SECONDS]",
	.summary = "write a policy from the guest's current state (processes, modules, files)",
	.help = "Like aide --init: every running process (by comm, exe and uid where stable),\n"
		"kernel thread (by name) and loaded module is allowed, and every file of the RAM\n"
		"disk is recorded (attributes and SHA-256, for fchk). --learn SECONDS samples the\n"
		"guest for that long, so that the short-lived processes a busy guest keeps starting\n"
		"are learnt too. The policy is a text file\n"
		"meant to be edited (docs/policy.md); pchk/mchk --policy FILE judge against it.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = baseline_run,
};
