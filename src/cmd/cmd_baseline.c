/* cmd_baseline.c — `baseline`: write a policy that allows the guest's current state (like aide --init). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
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
#include "xvids/policy.h"

static int baseline_write(struct xv_kernel *k, const struct xv_policy *scope, FILE *f,
			  unsigned learn_ms)
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
	if (xv_baseline_procs(k, f, learn_ms) < 0 || xv_baseline_modules(k, f) < 0 ||
	    xv_fchk_baseline(k, scope, f) < 0)
		return -1;
	return 0;
}

/* Write next to the target and rename: a crash never leaves half a policy behind. */
static int write_file(struct xv_kernel *k, const struct xv_policy *scope, const char *path,
		      unsigned learn_ms)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return xv_err(ENAMETOOLONG, "output path too long");
	int fd = mkstemp(tmp);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		int rc = xv_err(errno, "cannot create %s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return rc;
	}
	int rc = baseline_write(k, scope, f, learn_ms);

	if (fclose(f) != 0 && rc == 0)
		rc = xv_err(errno, "writing %s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = xv_err(errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static void print_result(struct xv_ctx *ctx, const char *path, long entries)
{
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		if (ctx->vm_name)
			json_object_object_add(o, "vm", json_object_new_string(ctx->vm_name));
		json_object_object_add(o, "policy", json_object_new_string(path));
		json_object_object_add(o, "entries", json_object_new_int64(entries));
		xv_cmd_print_json(ctx, o);
	} else if (ctx->dops) {
		fprintf(ctx->out, "baseline of %s: %ld entries, now its policy (%s)\n",
			ctx->vm_name ? ctx->vm_name : "the VM", entries, path);
	} else {
		fprintf(ctx->err, "xvids: baseline written to %s (%ld entries)\n", path, entries);
	}
}

static int baseline_run(struct xv_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "learn", required_argument, NULL, 'l' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL, *scope_path = NULL;
	unsigned learn_ms = 0;
	struct xv_kernel *k;
	char dpath[4096];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+o:l:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': path = optarg; break;
		case 'p': scope_path = optarg; break;
		case 'j': ctx->json = 1; break;
		case 'h':
			xv_cmd_usage(&xv_cmd_baseline, ctx->out);
			return XV_EXIT_OK;
		case 'l': {
			char *end;
			double s = strtod(optarg, &end);
			/* The daemon serves every session from one thread: learning blocks them all. */
			double max = ctx->dops ? ctx->dops->max_block_ms / 1000.0 : 86400;

			if (end == optarg || *end || s < 0 || s > max) {
				fprintf(ctx->err, "xvids: baseline: --learn takes seconds (0 to %g%s), "
						  "not '%s'\n", max, ctx->dops ? " inside xvidsd" : "",
					optarg);
				return XV_EXIT_ERROR;
			}
			learn_ms = (unsigned)(s * 1000);
			break;
		}
		default:
			xv_cmd_usage(&xv_cmd_baseline, ctx->err);
			return XV_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		xv_cmd_usage(&xv_cmd_baseline, ctx->err);
		return XV_EXIT_ERROR;
	}
	if (ctx->dops) {
		/* Inside xvidsd the policy goes to the daemon's state dir and becomes the VM's. */
		if (path || !ctx->dops->policy_file || !ctx->dops->policy_adopt) {
			xv_err(EINVAL, "-o is not available inside xvidsd (the policy goes to its state dir)");
			return xv_cmd_fail(ctx, "baseline");
		}
		if (ctx->dops->policy_file(ctx->daemon, ctx->vm_name, dpath, sizeof(dpath)) < 0)
			return xv_cmd_fail(ctx, "baseline");
		path = dpath;
	}
	if (ctx->json && !path) {
		xv_err(EINVAL, "--json needs -o FILE (the policy itself is text)");
		return xv_cmd_fail(ctx, "baseline");
	}
	struct xv_policy *scope = NULL;
	if (scope_path && !(scope = xv_policy_load(scope_path)))
		return xv_cmd_fail(ctx, "baseline");
	int rc = xv_ctx_kernel(ctx, &k);
	if (rc == 0 && !path)
		rc = baseline_write(k, scope, ctx->out, learn_ms);
	else if (rc == 0)
		rc = write_file(k, scope, path, learn_ms);
	xv_policy_free(scope);
	if (rc < 0 || !path)
		return rc < 0 ? xv_cmd_fail(ctx, "baseline") : XV_EXIT_OK;
	long entries;
	if (ctx->dops) {
		entries = ctx->dops->policy_adopt(ctx->daemon, ctx->vm_name, dpath, sizeof(dpath));
	} else {
		/* What pchk/mchk/fchk will read: load it back, so a policy that does not load is an
		 * error now rather than at the first check. */
		struct xv_policy *p = xv_policy_load(path);
		entries = p ? (long)xv_policy_count(p) : -1;
		xv_policy_free(p);
	}
	if (entries < 0)
		return xv_cmd_fail(ctx, "baseline");
	print_result(ctx, path, entries);
	return XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_baseline = {
	.name = "baseline",
	.synopsis = "baseline [-o FILE] [--learn SECONDS] [--policy FILE] [--json]",
	.summary = "write a policy from the guest's current state (processes, modules, files)",
	.help = "Like aide --init: every running process (by comm, exe and uid where stable),\n"
		"kernel thread (by name) and loaded module is allowed, and every file of the RAM\n"
		"disk is recorded (attributes and SHA-256, for fchk). --learn SECONDS samples the\n"
		"guest for that long, so that the short-lived processes a busy guest keeps starting\n"
		"are learnt too. --policy FILE takes the file manifest's scope from FILE's `tree`\n"
		"lines (docs/files.md). The policy is a text file meant to be edited\n"
		"(docs/policy.md); pchk/mchk/fchk --policy FILE judge against it. Without -o it is\n"
		"printed; with -o it is written atomically and loaded back (--json: its path and\n"
		"entry count).\n"
		"Inside xvidsd: `baseline VM` writes it to the daemon's state dir and makes it the\n"
		"VM's policy (scoped by the VM's current policy; --learn at most 5 s).\n",
	.daemon_synopsis = "baseline VM [--learn SECONDS]",
	.flags = XV_CMD_NEEDS_VM,
	.run = baseline_run,
};
