/* cmds.c — the command manager's commands: the daemon's own (help, vm, watch, alerts, status, quit)
 * and every command of the shared table that the daemon may offer (net and baseline included,
 * through the hooks in xvd_dops). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
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

/* An error or usage line: text as given, or with -j {"error": "..."} (without "error: "). */
static void derr(FILE *out, int json, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void derr(FILE *out, int json, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json) {
		fprintf(out, "%s\n", msg);
		return;
	}
	const char *m = strncmp(msg, "error: ", 7) == 0 ? msg + 7 : msg;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(m));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
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

static int need_vm(struct xvd *d, const char *name, int json, FILE *out, struct xvd_vm **vmp)
{
	struct xvd_vm *vm = name ? xvd_vm_find(d, name) : NULL;
	if (!vm) {
		derr(out, json, "error: %s%s%s (vm list shows the VMs)",
		     name ? "no VM named '" : "give a VM name", name ? name : "", name ? "'" : "");
		return -1;
	}
	if (!vm->up && xvd_vm_attach(d, vm) < 0) {
		derr(out, json, "error: vm %s is not attached: %s", vm->name, vm->error);
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
			derr(out, json, "error: no VM named '%s'", argv[2]);
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
	derr(out, json, "usage: vm list | vm info NAME");
	return 0;
}

static int c_alerts(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	unsigned n = xvd_alerts_count(d->alerts), want = 20;
	if (argc >= 2) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 10);
		if (!*argv[1] || *end || v == 0) {
			derr(out, json, "usage: alerts [-j] [N]");
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
			derr(out, json, "error: no watch '%s' (watch list)", argv[2]);
		else
			fprintf(out, json ? "{\"deleted\": %lu}\n" : "watch %lu deleted\n", id);
		return 0;
	}
	/* watch CHECK VM every DURATION */
	if (argc == 5 && strcmp(argv[3], "every") == 0) {
		long s = xvd_parse_duration(argv[4]);
		if (s < 1) {
			derr(out, json, "error: bad duration '%s' (e.g. 10s, 5m, 1h)", argv[4]);
			return 0;
		}
		int id = xvd_watch_add(d, argv[1], argv[2], (unsigned)s);
		if (id < 0)
			derr(out, json, "error: %s", xv_errmsg());
		else if (json)
			fprintf(out, "{\"id\": %d, \"every\": %ld}\n", id, s);
		else
			fprintf(out, "watch %d: %s %s every %lds\n", id, argv[1], argv[2], s);
		return 0;
	}
	derr(out, json, "usage: watch CHECK VM every DURATION | watch list | watch del ID");
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
	(void)d, (void)argc, (void)argv;
	fprintf(out, json ? "{\"bye\": true}\n" : "bye\n");
	return 1;
}

/* The daemon's own commands: state that only the daemon has. Everything about a guest (and net,
 * baseline) is the shared table's. */
static const struct dcmd dcmds[] = {
	{ "help", "help [COMMAND]", "list the commands, or describe one", c_help },
	{ "vm", "vm list | vm info NAME", "the VMs this daemon watches and their state", c_vm },
	{ "watch", "watch CHECK VM every 30s|list|del ID",
	  "scheduled checks: one alert per new finding", c_watch },
	{ "alerts", "alerts [N]", "the most recent alerts (-j: their EVE JSON records)", c_alerts },
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

/* How `help` shows a table command: its daemon synopsis, else NAME [VM]. */
static void table_syn(const struct xv_cmd *c, char *buf, size_t size)
{
	if (c->daemon_synopsis)
		snprintf(buf, size, "%s", c->daemon_synopsis);
	else
		snprintf(buf, size, "%s%s", c->name, (c->flags & XV_CMD_NEEDS_VM) ? " VM" : "");
}

static struct json_object *help_obj(const char *name, const char *syn, const char *summary,
				    const char *kind, int needs_vm)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "synopsis", json_object_new_string(syn));
	json_object_object_add(o, "summary", json_object_new_string(summary));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "needs_vm", json_object_new_boolean(needs_vm));
	return o;
}

static int c_help(struct xvd *d, int argc, char **argv, int json, FILE *out)
{
	char syn[160];

	(void)d;
	if (argc >= 2) {
		const struct dcmd *dc = dlookup(argv[1]);
		const struct xv_cmd *tc = tlookup(argv[1]);
		if (dc && dc->synopsis) {
			if (json) {
				put_json(out, help_obj(dc->name, dc->synopsis, dc->summary, "daemon", 0));
				return 0;
			}
			fprintf(out, "usage: %s\n  %s\n", dc->synopsis, dc->summary);
		} else if (tc) {
			table_syn(tc, syn, sizeof(syn));
			if (json) {
				struct json_object *o = help_obj(tc->name, syn, tc->summary, "table",
								 !!(tc->flags & XV_CMD_NEEDS_VM));
				json_object_object_add(o, "cli_synopsis",
						       json_object_new_string(tc->synopsis));
				json_object_object_add(o, "help",
						       json_object_new_string(tc->help ? tc->help : ""));
				put_json(out, o);
				return 0;
			}
			fprintf(out, "usage: %s\n  %s\n", syn, tc->summary);
			fprintf(out, "  (the CLI's: xvids%s %s)\n",
				(tc->flags & XV_CMD_NEEDS_VM) ? " --vm SPEC" : "", tc->synopsis);
			if (tc->help)
				fprintf(out, "\n%s", tc->help);
		} else {
			derr(out, json, "error: no command '%s' (help lists them)", argv[1]);
		}
		return 0;
	}
	if (json) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < sizeof(dcmds) / sizeof(dcmds[0]); i++)
			if (dcmds[i].synopsis)
				json_object_array_add(a, help_obj(dcmds[i].name, dcmds[i].synopsis,
								  dcmds[i].summary, "daemon", 0));
		for (size_t i = 0; xv_cmds[i]; i++) {
			const struct xv_cmd *c = xv_cmds[i];
			if (!tlookup(c->name))
				continue;
			table_syn(c, syn, sizeof(syn));
			json_object_array_add(a, help_obj(c->name, syn, c->summary, "table",
							  !!(c->flags & XV_CMD_NEEDS_VM)));
		}
		put_json(out, a);
		return 0;
	}
	fprintf(out, "Commands (any command takes -j for JSON):\n");
	for (size_t i = 0; i < sizeof(dcmds) / sizeof(dcmds[0]); i++)
		if (dcmds[i].synopsis)
			fprintf(out, "  %-36s %s\n", dcmds[i].synopsis, dcmds[i].summary);
	fprintf(out, "Guest commands (CMD VM [ARGS]), the CLI's own:\n");
	for (size_t i = 0; xv_cmds[i]; i++) {
		const struct xv_cmd *c = xv_cmds[i];
		if (!tlookup(c->name))
			continue;
		table_syn(c, syn, sizeof(syn));
		fprintf(out, "  %-36s %s\n", syn, c->summary);
	}
	fprintf(out, "help COMMAND describes one.\n");
	return 0;
}

/* Options that would make a table command read or write host files: refused over telnet.
 * Long options may be abbreviated (getopt_long), so any prefix of these is refused too. */
static const char *const denied_long[] = {
	"eve", "policy", "btf", "system-map", "vmcoreinfo", "output", "out", "pcap", "rules",
	"strings", "mirror", "switch", "control", "write", "file", "dir", "save", "load", "yara",
	"config", "log",
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

static int is_json_opt(const char *a)
{
	return strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0;
}

/* After a table command ran with -j: what it said on its error stream becomes one JSON line
 * ({"error": ...}) if it failed, so a JSON reader never meets text. Notes of a command that
 * worked stay out of the JSON (the CLI prints them on stderr). */
static void json_errors(FILE *out, int rc, char *err, size_t len)
{
	if (rc != XV_EXIT_ERROR || !err || !len)
		return;
	while (len && (err[len - 1] == '\n' || err[len - 1] == ' '))
		err[--len] = 0;
	char *m = err;
	if (strncmp(m, "xvids: ", 7) == 0)
		m += 7;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(m));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int run_table_cmd(struct xvd *d, const struct xv_cmd *c, int argc, char **argv, FILE *out)
{
	char *av[MAX_ARGS + 40];
	int ac = 0, have_policy = 0, json = 0;
	struct xvd_vm *vm = NULL;
	struct xv_ctx plain = { .daemon = d, .dops = &xvd_dops };
	struct xv_ctx *ctx = &plain;

	int dashdash = argc;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	for (int i = 1; i < dashdash; i++)
		json |= is_json_opt(argv[i]);
	for (int i = 1; i < dashdash; i++) {
		if (!arg_allowed(c->name, argv[i])) {
			derr(out, json, "error: option %s is not available over telnet", argv[i]);
			return 0;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			char *hv[3] = { "help", (char *)c->name, NULL };
			return c_help(d, 2, hv, json, out);
		}
	}
	if (c->flags & XV_CMD_NEEDS_VM) {
		/* The VM is the first operand; options may come before it. */
		if (need_vm(d, vm_arg(argc, argv), json, out, &vm) < 0)
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
	for (int i = 1; i < dashdash; i++)
		if (is_json_opt(argv[i]))
			av[ac++] = argv[i];
	for (int i = 1; i < argc; i++) {
		if (i < dashdash && is_json_opt(argv[i]))
			continue;
		if (!vm || argv[i] != vm_arg(argc, argv))
			av[ac++] = argv[i];
	}
	av[ac] = NULL;
	/* Text: errors in line with the output, as on a terminal. JSON: kept apart (above). */
	char *ebuf = NULL;
	size_t elen = 0;
	FILE *err = json ? open_memstream(&ebuf, &elen) : NULL;
	ctx->out = out;
	ctx->err = err ? err : out;
	ctx->json = 0;
	optind = 0;
	int rc = c->run(ctx, ac, av);
	fflush(out);
	if (err) {
		fclose(err);
		json_errors(out, rc, ebuf, elen);
		free(ebuf);
	}
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
			if (i && is_json_opt(argv[i]))
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
	int json = 0;
	for (int i = 1; i < argc; i++)
		json |= is_json_opt(argv[i]);
	if (xv_cmd_lookup(argv[0]))
		derr(out, json, "error: %s is not available in the daemon (use the xvids CLI)", argv[0]);
	else
		derr(out, json, "error: unknown command '%.64s' (help lists the commands)", argv[0]);
	return 0;
}

/* ---- what table commands may ask of the daemon (struct xv_daemon_ops) ---- */

static int policy_file(void *daemon, const char *vm_name, char *path, size_t size)
{
	struct xvd *d = daemon;
	struct xvd_vm *vm = vm_name ? xvd_vm_find(d, vm_name) : NULL;

	if (!vm)
		return xv_err(ENOENT, "no VM named '%s'", vm_name ? vm_name : "");
	/* Written beside the VM's policy; adopt renames it over once it has loaded. */
	if ((size_t)snprintf(path, size, "%s/%s.policy.new", d->state_dir, vm->name) >= size)
		return xv_err(ENAMETOOLONG, "state dir path too long");
	return 0;
}

static long policy_adopt(void *daemon, const char *vm_name, char *path, size_t size)
{
	struct xvd *d = daemon;
	struct xvd_vm *vm = vm_name ? xvd_vm_find(d, vm_name) : NULL;

	if (!vm)
		return xv_err(ENOENT, "no VM named '%s'", vm_name ? vm_name : "");
	char final[sizeof(vm->policy_path)];
	size_t n = strlen(path);
	if (n < 4 || strcmp(path + n - 4, ".new") != 0 || n - 4 >= sizeof(final))
		return xv_err(EINVAL, "not a policy from policy_file: %s", path);
	memcpy(final, path, n - 4);
	final[n - 4] = 0;
	struct xv_policy *p = xv_policy_load(path);
	if (!p) {
		unlink(path);
		return -EINVAL;
	}
	if (rename(path, final) < 0) {
		int e = errno;
		xv_policy_free(p);
		unlink(path);
		return xv_err(e, "cannot rename %s to %s: %s", path, final, strerror(e));
	}
	xv_policy_free(vm->policy);
	vm->policy = p;
	memcpy(vm->policy_path, final, strlen(final) + 1);
	/* Watches on this VM start over: the policy changed what counts as a finding. */
	for (unsigned i = 0; i < d->nwatch; i++)
		if (strcmp(d->watch[i].vm, vm->name) == 0)
			xvd_watch_free(&d->watch[i]);
	snprintf(path, size, "%s", final);
	xvd_log("vm %s: baseline %s is its policy now (%zu entries)", vm->name, final,
		xv_policy_count(p));
	return (long)xv_policy_count(p);
}

const struct xv_daemon_ops xvd_dops = {
	.net_switch = xvd_net_switch,
	.policy_file = policy_file,
	.policy_adopt = policy_adopt,
	.max_block_ms = 5000,
};
