/* cmd_fichk.c — `fichk`: guest files whose contents match YARA rules or forbidden strings. */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/fs.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fichk_run(struct xv_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' }, { "strings", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' }, { "eve", required_argument, NULL, 'E' },
		{ "stats", no_argument, NULL, 'S' }, { "max-size", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ 0 },
	};
	struct xv_fichk_opts o = { 0 };
	struct xv_findings f = { 0 };
	struct xv_kernel *k;
	int c, rc, stats = 0;
	double t0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "r:s:j", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.rules_path = optarg; break;
		case 's': o.strings_path = optarg; break;
		case 'j': ctx->json = 1; break;
		case 'E': ctx->eve_path = optarg; break;
		case 'S': stats = 1; break;
		case 'm': o.max_file = strtoull(optarg, NULL, 0); break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (!*optarg || *end || v < 0 || v > 64) {
				fprintf(ctx->err, "xvids: fichk: --threads wants 0..64, not '%s'\n", optarg);
				return XV_EXIT_ERROR;
			}
			o.threads = (int)v;
			break;
		}
		default: xv_cmd_usage(&xv_cmd_fichk, ctx->err); return XV_EXIT_ERROR;
		}
	}
	if (!o.rules_path && !o.strings_path) {
		fprintf(ctx->err, "xvids: fichk: give --rules FILE.yar and/or --strings FILE\n");
		xv_cmd_usage(&xv_cmd_fichk, ctx->err);
		return XV_EXIT_ERROR;
	}
	if (o.rules_path && !xv_fichk_have_yara()) {
		fprintf(ctx->err, "xvids: fichk: built without YARA: fichk --rules needs libyara; "
			"plain string lists still work\n");
		return XV_EXIT_ERROR;
	}
	o.paths = (const char *const *)(optind < argc ? argv + optind : NULL);
	if (xv_ctx_kernel(ctx, &k) < 0)
		return xv_cmd_fail(ctx, "fichk");
	if (ctx->pause)
		xv_mem_pause(ctx->mem);
	t0 = now_s();
	rc = xv_fichk(k, &o, &f);
	double dt = now_s() - t0;

	if (ctx->pause)
		xv_mem_resume(ctx->mem);
	if (rc < 0) {
		xv_findings_free(&f);
		return xv_cmd_fail(ctx, "fichk");
	}
	if (stats)
		fprintf(ctx->err, "fichk: %" PRIu64 " files, %" PRIu64 " bytes in %.3f s (%.1f MB/s)\n",
			o.files_scanned, o.bytes_scanned, dt, dt > 0 ? o.bytes_scanned / dt / 1e6 : 0);
	if (ctx->eve_path) {
		const char *host = ctx->vm_name ? ctx->vm_name : xv_kernel_info(k)->nodename;

		if (xv_findings_eve(&f, ctx->eve_path, host) < 0) {
			xv_findings_free(&f);
			return xv_cmd_fail(ctx, "fichk");
		}
	}
	if (ctx->json) {
		xv_cmd_print_json(ctx, xv_findings_json(&f));
	} else if (f.n == 0) {
		fprintf(ctx->out, "fichk: no findings (%" PRIu64 " files scanned)\n", o.files_scanned);
	} else {
		for (size_t i = 0; i < f.n; i++)
			fprintf(ctx->out, "%-8s %-16s %s\n", xv_severity_name(f.v[i].severity),
				f.v[i].kind, f.v[i].summary);
	}
	rc = f.n ? XV_EXIT_FINDINGS : XV_EXIT_OK;
	xv_findings_free(&f);
	return rc;
}

const struct xv_cmd xv_cmd_fichk = {
	.name = "fichk",
	.synopsis = "fichk (--rules FILE.yar | --strings FILE)... [--json] [--eve FILE] [--stats] "
		    "[--max-size BYTES] [--threads N] [PATH...]",
	.summary = "find guest files whose contents match YARA rules or forbidden strings",
	.help = "Scans every regular file under PATH (default /) on the guest's memory file systems,\n"
		"reading its bytes from the page cache. --rules takes YARA rules (libyara); --strings a\n"
		"list of forbidden strings, one per line, taken literally. Finding kinds: yara,\n"
		"forbidden-string (path, rule, matched strings with offsets), partial (pages not in\n"
		"RAM), not-scanned (over --max-size, default 256 MiB), corrupt-fs.\n"
		"One thread reads the guest; --threads N scan (default: one per CPU, at most 8).\n"
		"Exit status: 0 no findings, 1 findings, 2 error. --stats: scan rate on stderr.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = fichk_run,
};
