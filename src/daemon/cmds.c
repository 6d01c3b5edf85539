/* cmds.c — the command manager's commands: daemon ones (help, vm, watch, alerts, net, baseline,
 * quit) and every command of the shared table that the daemon may offer. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/kernel.h"
#include "xvids/mem.h"
#include "xvids/policy.h"

#define MAX_ARGS 64

struct dcmd {
	const char *name, *synopsis, *summary;
	int (*run)(struct xvd *d, int argc, char **argv, int json, FILE *out);
};

int xvd_check_args(struct xvd *d, const char *cmd, char **argv, int argc, int max)
{
	/* One static arena: the words live until the next call, long enough for one command. */
	static char buf[16][512];

	for (unsigned i = 0; i < d->cfg.ncargs && i < 16; i++) {
		if (strcmp(d->cfg.cargs[i].check, cmd) != 0)
			continue;
		snprintf(buf[i], sizeof(buf[i]), "%s", d->cfg.cargs[i].args);
		char *w[32];
		int n = xvd_split(buf[i], w, 32);
		for (int j = 0; j < n && argc < max; j++)
			argv[argc++] = w[j];
	}
	return argc;
}

int xvd_cmd_offered(const struct xv_cmd *c)
{
	return !(c->flags & XV_CMD_CLI_ONLY);
}

static void put_json(FILE *out, struct json_object *o)
{
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static const char *state_name(const struct xvd_vm *vm)
{
	return vm->up ? "attached" : "detached";
}

static struct json_object *vm_json(const struct xvd_vm *vm)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "spec", json_object_new_string(vm->spec));
	json_object_object_add(o, "state", json_object_new_string(state_name(vm)));
	json_object_object_add(o, "since", json_object_new_int64((int64_t)vm->since));
	json_object_object_add(o, "attaches", json_object_new_int64(vm->attaches));
	json_object_object_add(o, "release", json_object_new_string(vm->release));
	json_object_object_add(o, "policy", json_object_new_string(vm->policy_path));
	json_object_object_add(o, "error", json_object_new_string(vm->error));
	return o;
}

static int need_vm(struct xvd *d, const char *name, FILE *out, struct xvd_vm **vmp)
{
	struct xvd_vm *vm = name ? xvd_vm_find(d, name) : NULL;
	if (!vm) {
		fprintf(out, "error: %s%s%s (vm list shows the VMs)\n",
			name ? "no VM named '" : "give a VM name", name ? name : "",
			name ? "'" : "");
		return -1;
	}
	if (!vm->up && xvd_vm_attach(d, vm) < 0) {
		fprintf(out, "error: vm %s is not attached: %s\n", vm->name, vm->error);
		return -1;
	}
	*vmp = vm;
	return 0;
}

static int c_vm(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		if (json) {
			struct json_object *a = json_object_new_array();
			for (unsigned i = 0; i < d->nvm; i++)
				json_object_array_add(a, vm_json(&d->vm[i]));
			put_json(out, a);
			return 0;
		}
		fprintf(out, "%-16s %-9s %-24s %s\n", "NAME", "STATE", "KERNEL", "SPEC");
		for (unsigned i = 0; i < d->nvm; i++) {
			const struct xvd_vm *vm = &d->vm[i];
			fprintf(out, "%-16s %-9s %-24s %s\n", vm->name, state_name(vm),
				vm->release[0] ? vm->release : "-", vm->spec);
			if (!vm->up && vm->error[0])
				fprintf(out, "%16s   %s\n", "", vm->error);
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "info") == 0) {
		struct xvd_vm *vm = xvd_vm_find(d, argv[2]);
		if (!vm) {
			fprintf(out, "error: no VM named '%s'\n", argv[2]);
			return 0;
		}
		if (!vm->up)
			xvd_vm_attach(d, vm);
		if (json) {
			struct json_object *o = vm_json(vm);
			if (vm->up) {
				const struct xv_kernel_info *ki = xv_kernel_info(vm->ctx.kernel);
				json_object_object_add(o, "source", json_object_new_string(
					xv_mem_describe(vm->ctx.mem)));
				json_object_object_add(o, "arch", json_object_new_string(
					ki->arch_name ? ki->arch_name : ""));
				json_object_object_add(o, "nodename", json_object_new_string(
					ki->nodename ? ki->nodename : ""));
			}
			put_json(out, o);
			return 0;
		}
		fprintf(out, "name      %s\nspec      %s\nstate     %s since %s", vm->name, vm->spec,
			state_name(vm), ctime(&vm->since));
		fprintf(out, "attaches  %u\npolicy    %s\n", vm->attaches,
			vm->policy_path[0] ? vm->policy_path : "(none: baseline NAME makes one)");
		if (!vm->up) {
			fprintf(out, "error     %s\n", vm->error);
			return 0;
		}
		const struct xv_kernel_info *ki = xv_kernel_info(vm->ctx.kernel);
		fprintf(out, "source    %s\nkernel    %s %s (%s)\nnodename  %s\n",
			xv_mem_describe(vm->ctx.mem), ki->release ? ki->release : "?",
			ki->uts_version ? ki->uts_version : "", ki->arch_name ? ki->arch_name : "?",
			ki->nodename ? ki->nodename : "?");
		return 0;
	}
	fprintf(out, "usage: vm list | vm info NAME\n");
	return 0;
}

static int c_alerts(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	unsigned n = xvd_alerts_count(d->alerts), want = 20;
	if (argc >= 2) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 10);
		if (!*argv[1] || *end || v == 0) {
			fprintf(out, "usage: alerts [-j] [N]\n");
			return 0;
		}
		want = v > 256 ? 256 : (unsigned)v;
	}
	unsigned from = n > want ? n - want : 0;
	if (json) {
		/* The EVE records themselves, one per line: what collectors receive. */
		for (unsigned i = from; i < n; i++) {
			const struct xvd_alert *a = xvd_alerts_get(d->alerts, i);
			fprintf(out, "%s\n", a->json ? a->json : "{}");
		}
		return 0;
	}
	if (n == 0) {
		fprintf(out, "no alerts\n");
		return 0;
	}
	for (unsigned i = from; i < n; i++) {
		const struct xvd_alert *a = xvd_alerts_get(d->alerts, i);
		struct tm tm;
		char ts[32];
		localtime_r(&a->ts.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out, "%s %-8s %-12s %-5s %-8s %s\n", ts, xvd_sev_name(a->severity), a->vm,
			a->source, a->kind, a->summary);
	}
	fprintf(out, "(%u shown, %llu raised since start)\n", n - from,
		(unsigned long long)xvd_alerts_total(d->alerts));
	return 0;
}

static int c_watch(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "list") == 0)) {
		if (json) {
			struct json_object *a = json_object_new_array();
			for (unsigned i = 0; i < d->nwatch; i++) {
				const struct xvd_watch *w = &d->watch[i];
				struct json_object *o = json_object_new_object();
				json_object_object_add(o, "id", json_object_new_int64(w->id));
				json_object_object_add(o, "check", json_object_new_string(w->check));
				json_object_object_add(o, "vm", json_object_new_string(w->vm));
				json_object_object_add(o, "every", json_object_new_int64(w->every));
				json_object_object_add(o, "runs", json_object_new_int64(w->runs));
				json_object_object_add(o, "errors", json_object_new_int64(w->errors));
				json_object_object_add(o, "last", json_object_new_string(w->last));
				json_object_array_add(a, o);
			}
			put_json(out, a);
			return 0;
		}
		if (!d->nwatch) {
			fprintf(out, "no watches (watch CHECK VM every 30s)\n");
			return 0;
		}
		fprintf(out, "%-4s %-8s %-16s %-7s %-6s %s\n", "ID", "CHECK", "VM", "EVERY", "RUNS",
			"LAST");
		for (unsigned i = 0; i < d->nwatch; i++) {
			const struct xvd_watch *w = &d->watch[i];
			char every[16];
			snprintf(every, sizeof(every), "%us", w->every);
			fprintf(out, "%-4u %-8s %-16s %-7s %-6u %s\n", w->id, w->check, w->vm, every,
				w->runs, w->last);
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "del") == 0) {
		char *end;
		unsigned long id = strtoul(argv[2], &end, 10);
		if (!*argv[2] || *end || xvd_watch_del(d, (unsigned)id) < 0)
			fprintf(out, "error: no watch '%s' (watch list)\n", argv[2]);
		else
			fprintf(out, "watch %lu deleted\n", id);
		return 0;
	}
	/* watch CHECK VM every DURATION */
	if (argc == 5 && strcmp(argv[3], "every") == 0) {
		long s = xvd_parse_duration(argv[4]);
		if (s < 1) {
			fprintf(out, "error: bad duration '%s' (e.g. 10s, 5m, 1h)\n", argv[4]);
			return 0;
		}
		int id = xvd_watch_add(d, argv[1], argv[2], (unsigned)s);
		if (id < 0)
			fprintf(out, "error: %s\n", xv_errmsg());
		else
			fprintf(out, "watch %d: %s %s every %lds\n", id, argv[1], argv[2], s);
		return 0;
	}
	fprintf(out, "usage: watch CHECK VM every DURATION | watch list | watch del ID\n");
	return 0;
}

static int c_baseline(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	struct xvd_vm *vm;
	char path[400], tmp[420];

	unsigned learn_ms = 0;

	if (argc == 4 && strcmp(argv[2], "--learn") == 0) {
		char *end;
		unsigned long s = strtoul(argv[3], &end, 10);
		/* The daemon is single-threaded: learning blocks every session, so keep it short. */
		if (!*argv[3] || *end || s > 5) {
			fprintf(out, "error: --learn takes 0 to 5 seconds here\n");
			return 0;
		}
		learn_ms = (unsigned)s * 1000;
		argc = 2;
	}
	if (argc != 2) {
		fprintf(out, "usage: baseline VM [--learn SECONDS]\n");
		return 0;
	}
	if (need_vm(d, argv[1], out, &vm) < 0)
		return 0;
	snprintf(path, sizeof(path), "%.300s/%s.policy", d->state_dir, vm->name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		fprintf(out, "error: cannot write %s: %s\n", tmp, strerror(errno));
		return 0;
	}
	fprintf(f, "# xvidsd baseline of %s (kernel %s), %ld\n", vm->name, vm->release,
		(long)time(NULL));
	int rc = xv_baseline_procs(vm->ctx.kernel, f, learn_ms);
	if (rc >= 0)
		rc = xv_baseline_modules(vm->ctx.kernel, f);
	/* The file manifest too (fchk), scoped by the tree lines of a configured policy. */
	double t0 = xvd_now();
	if (rc >= 0)
		rc = xv_fchk_baseline(vm->ctx.kernel, vm->policy, f);
	double files_ms = (xvd_now() - t0) * 1000;
	if (fclose(f) != 0 && rc >= 0)
		rc = xv_err(EIO, "writing %s failed", tmp);
	if (rc < 0) {
		unlink(tmp);
		fprintf(out, "error: baseline %s: %s\n", vm->name, xv_errmsg());
		return 0;
	}
	struct xv_policy *p = xv_policy_load(tmp);
	if (!p || rename(tmp, path) < 0) {
		fprintf(out, "error: baseline %s: %s\n", vm->name, p ? strerror(errno) : xv_errmsg());
		xv_policy_free(p);
		unlink(tmp);
		return 0;
	}
	xv_policy_free(vm->policy);
	vm->policy = p;
	snprintf(vm->policy_path, sizeof(vm->policy_path), "%s", path);
	/* Watches on this VM start over: the policy changed what counts as a finding. */
	for (unsigned i = 0; i < d->nwatch; i++)
		if (strcmp(d->watch[i].vm, vm->name) == 0)
			xvd_watch_free(&d->watch[i]);
	if (json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "vm", json_object_new_string(vm->name));
		json_object_object_add(o, "entries", json_object_new_int64((int64_t)xv_policy_count(p)));
		json_object_object_add(o, "policy", json_object_new_string(path));
		put_json(out, o);
		return 0;
	}
	fprintf(out, "baseline of %s: %zu entries, now its policy (%s; files took %.0f ms)\n",
		vm->name, xv_policy_count(p), path, files_ms);
	return 0;
}

static int c_net(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	if (argc > 2) {
		fprintf(out, "usage: net [-j] [VM]\n");
		return 0;
	}
	if (argc == 2 && !xvd_vm_find(d, argv[1]) && !xvd_net_has_port(d, argv[1])) {
		fprintf(out, "error: no VM or switch port named '%s'\n", argv[1]);
		return 0;
	}
	xvd_net_show(d, argc == 2 ? argv[1] : NULL, json, out);
	return 0;
}

static int c_status(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	(void)argc;
	(void)argv;
	unsigned up = 0;
	for (unsigned i = 0; i < d->nvm; i++)
		up += d->vm[i].up;
	if (json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "uptime", json_object_new_int64(time(NULL) - d->started));
		json_object_object_add(o, "vms", json_object_new_int64(d->nvm));
		json_object_object_add(o, "attached", json_object_new_int64(up));
		json_object_object_add(o, "clients", json_object_new_int64(d->nclients));
		json_object_object_add(o, "sessions", json_object_new_int64((int64_t)d->sessions));
		json_object_object_add(o, "logins", json_object_new_int64((int64_t)d->logins));
		json_object_object_add(o, "login_failures",
				       json_object_new_int64((int64_t)d->login_failures));
		json_object_object_add(o, "commands", json_object_new_int64((int64_t)d->commands));
		json_object_object_add(o, "alerts",
				       json_object_new_int64((int64_t)xvd_alerts_total(d->alerts)));
		put_json(out, o);
		return 0;
	}
	fprintf(out, "up %lds, %u/%u VMs attached, %u clients, %llu sessions, %llu logins, "
		     "%llu failed, %llu commands, %llu alerts\n",
		(long)(time(NULL) - d->started), up, d->nvm, d->nclients,
		(unsigned long long)d->sessions, (unsigned long long)d->logins,
		(unsigned long long)d->login_failures, (unsigned long long)d->commands,
		(unsigned long long)xvd_alerts_total(d->alerts));
	return 0;
}

static int c_help(struct xvd *d, int argc, char **argv, int json, FILE *out);

static int c_quit(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	(void)d, (void)argc, (void)argv, (void)json;
	fprintf(out, "bye\n");
	return 1;
}

static const struct dcmd dcmds[] = {
	{ "help", "help [COMMAND]", "list the commands, or describe one", c_help },
	{ "vm", "vm list | vm info NAME", "the VMs this daemon watches and their state", c_vm },
	{ "baseline", "baseline VM [--learn SECONDS]",
	  "record the VM's processes, modules and files as its policy",
	  c_baseline },
	{ "watch", "watch CHECK VM every 30s|list|del ID",
	  "scheduled checks: one alert per new finding", c_watch },
	{ "alerts", "alerts [N]", "the most recent alerts (-j: their EVE JSON records)", c_alerts },
	{ "net", "net [VM]", "network attacks seen by the daemon's switch (kind, source IP, MAC)",
	  c_net },
	{ "status", "status", "daemon counters", c_status },
	{ "quit", "quit", "end the session (also exit, logout, ^D)", c_quit },
	{ "exit", NULL, NULL, c_quit },
	{ "logout", NULL, NULL, c_quit },
};

static const struct dcmd *dlookup(const char *name)
{
	for (size_t i = 0; i < sizeof(dcmds) / sizeof(dcmds[0]); i++)
		if (strcmp(dcmds[i].name, name) == 0)
			return &dcmds[i];
	return NULL;
}

static const struct xv_cmd *tlookup(const char *name)
{
	const struct xv_cmd *c = xv_cmd_lookup(name);
	return c && xvd_cmd_offered(c) && !dlookup(name) ? c : NULL;
}

static int c_help(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	(void)d, (void)json;
	if (argc >= 2) {
		const struct dcmd *dc = dlookup(argv[1]);
		const struct xv_cmd *tc = tlookup(argv[1]);
		if (dc && dc->synopsis) {
			fprintf(out, "usage: %s\n  %s\n", dc->synopsis, dc->summary);
		} else if (tc) {
			fprintf(out, "usage: %s%s\n  %s\n", tc->synopsis,
				(tc->flags & XV_CMD_NEEDS_VM) ? " (VM name first: CMD VM [ARGS])" : "",
				tc->summary);
			if (tc->help)
				fprintf(out, "\n%s", tc->help);
		} else {
			fprintf(out, "no command '%s' (help lists them)\n", argv[1]);
		}
		return 0;
	}
	fprintf(out, "Commands (any command takes -j for JSON):\n");
	for (size_t i = 0; i < sizeof(dcmds) / sizeof(dcmds[0]); i++)
		if (dcmds[i].synopsis)
			fprintf(out, "  %-36s %s\n", dcmds[i].synopsis, dcmds[i].summary);
	fprintf(out, "Guest commands (CMD VM [ARGS]):\n");
	for (size_t i = 0; xv_cmds[i]; i++) {
		const struct xv_cmd *c = xv_cmds[i];
		if (!tlookup(c->name))
			continue;
		char syn[64];
		snprintf(syn, sizeof(syn), "%s%s", c->name,
			 (c->flags & XV_CMD_NEEDS_VM) ? " VM" : "");
		fprintf(out, "  %-36s %s\n", syn, c->summary);
	}
	return 0;
}

/* Options that would make a table command read or write host files: refused over telnet.
 * Long options may be abbreviated (getopt_long), so any prefix of these is refused too. */
static const char *const denied_long[] = {
	"eve", "policy", "btf", "system-map", "output", "out", "pcap", "rules", "mirror",
	"switch", "control", "write", "file", "dir", "save", "load", "yara", "config", "log",
};

static int arg_allowed(const char *cmd, const char *a)
{
	if (a[0] != '-' || !a[1])
		return 1;
	/* find's predicates (-name, -type, -perm, -uid, -newer, -mmin) are about guest files. */
	if (strcmp(cmd, "find") == 0 && a[1] != '-' && a[2])
		return 1;
	if (a[1] == '-') {
		const char *name = a + 2;
		size_t n = strcspn(name, "=");
		if (n == 0)
			return 1; /* "--" ends the options */
		for (size_t i = 0; i < sizeof(denied_long) / sizeof(denied_long[0]); i++)
			if (strncmp(denied_long[i], name, n) == 0)
				return 0;
		return 1;
	}
	/* Short options: only flags that take no host path (-R, -d: ls's recursive, directory). */
	for (const char *p = a + 1; *p; p++)
		if (!strchr("jahlnqvRd", *p))
			return 0;
	return 1;
}

/* The first operand (the VM name) of a guest command line. */
static const char *vm_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			return argv[i];
	return NULL;
}

static int run_table_cmd(struct xvd *d, const struct xv_cmd *c, int argc, char **argv, FILE *out)
{
	char *av[MAX_ARGS + 40];
	int ac = 0, have_policy = 0;
	struct xvd_vm *vm = NULL;
	struct xv_ctx plain = { 0 };
	struct xv_ctx *ctx = &plain;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (!arg_allowed(c->name, argv[i])) {
			fprintf(out, "error: option %s is not available over telnet\n", argv[i]);
			return 0;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fprintf(out, "usage: %s\n  %s\n%s%s", c->synopsis, c->summary,
				c->help ? "\n" : "", c->help ? c->help : "");
			return 0;
		}
	}
	if (c->flags & XV_CMD_NEEDS_VM) {
		/* The VM is the first operand; options may come before it. */
		int vi = 0;
		for (int i = 1; i < argc; i++)
			if (argv[i][0] != '-') {
				vi = i;
				break;
			}
		if (need_vm(d, vi ? argv[vi] : NULL, out, &vm) < 0)
			return 0;
		ctx = &vm->ctx;
	}
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--policy", 8) == 0)
			have_policy = 1;
	/* What the daemon adds comes first: commands that stop at their first operand ("+" in
	 * getopt) must still see it as options. */
	av[ac++] = argv[0];
	if (vm && vm->policy_path[0] && !have_policy && strstr(c->synopsis, "--policy")) {
		av[ac++] = "--policy";
		av[ac++] = vm->policy_path;
	}
	ac = xvd_check_args(d, c->name, av, ac, ac + 32); /* av has room: 3 + 32 + MAX_ARGS */
	/* -j anywhere on the line: put it before the operands, where every command parses it. */
	int dashdash = argc;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	for (int i = 1; i < dashdash; i++)
		if (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0)
			av[ac++] = argv[i];
	for (int i = 1; i < argc; i++) {
		if (i < dashdash && (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0))
			continue;
		if (!vm || argv[i] != vm_arg(argc, argv))
			av[ac++] = argv[i];
	}
	av[ac] = NULL;
	ctx->out = out;
	ctx->err = out;
	ctx->json = 0;
	optind = 0;
	int rc = c->run(ctx, ac, av);
	fflush(out);
	ctx->out = ctx->err = NULL;
	ctx->json = 0;
	if (rc == XV_EXIT_ERROR && vm && vm->up && xvd_vm_healthy(vm) < 0)
		xvd_vm_detach(d, vm, xv_errmsg());
	return 0;
}

int xvd_exec(struct xvd *d, char *line, FILE *out)
{
	char *argv[MAX_ARGS + 1];
	int argc = xvd_split(line, argv, MAX_ARGS);

	if (argc < 0) {
		fprintf(out, "error: unbalanced quotes\n");
		return 0;
	}
	if (argc == 0)
		return 0;
	if (argc == MAX_ARGS) {
		fprintf(out, "error: too many words (max %d)\n", MAX_ARGS - 1);
		return 0;
	}
	argv[argc] = NULL;
	d->commands++;
	d->dirty = 1;
	const struct dcmd *dc = dlookup(argv[0]);
	if (dc) {
		/* -j / --json anywhere; the rest are the command's words. */
		int json = 0, n = 0;
		for (int i = 0; i < argc; i++) {
			if (i && (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0))
				json = 1;
			else
				argv[n++] = argv[i];
		}
		argv[n] = NULL;
		return dc->run(d, n, argv, json, out);
	}
	const struct xv_cmd *tc = tlookup(argv[0]);
	if (tc)
		return run_table_cmd(d, tc, argc, argv, out);
	if (xv_cmd_lookup(argv[0]))
		fprintf(out, "error: %s is not available in the daemon (use the xvids CLI)\n", argv[0]);
	else
		fprintf(out, "error: unknown command '%.64s' (help lists the commands)\n", argv[0]);
	return 0;
}
