/* cmd.h — the command table shared by the xvids CLI and the xvidsd command manager. */
#ifndef XV_CMD_H
#define XV_CMD_H

#include <stddef.h>
#include <stdio.h>

struct xv_kernel;
struct xv_mem;

/* Exit codes every command returns (the CLI passes them to exit()). */
enum { XV_EXIT_OK = 0, XV_EXIT_FINDINGS = 1, XV_EXIT_ERROR = 2 };

/* What a command may ask of the xvidsd daemon it runs in (ctx->dops; NULL in the CLI). Each
 * hook takes ctx->daemon first. */
struct xv_switch;
struct xv_daemon_ops {
	/* net: the daemon's switch, once name (NULL: every port) is known to be one of its ports
	 * or VMs. NULL with xv_err() set: no switch configured, or no such port or VM. */
	struct xv_switch *(*net_switch)(void *daemon, const char *name);
	/* baseline: the file VM's policy is written to (in the daemon's state dir). 0 or -errno. */
	int (*policy_file)(void *daemon, const char *vm, char *path, size_t size);
	/* baseline: make the policy just written to path the VM's policy (its watches start over);
	 * path becomes where it is kept. Returns its number of entries or -errno (xv_err() set). */
	long (*policy_adopt)(void *daemon, const char *vm, char *path, size_t size);
	/* The longest a command may keep the (single-threaded) daemon busy on purpose, in ms
	 * (baseline --learn). */
	unsigned max_block_ms;
};

/* One invocation's context. The CLI makes one per process; the daemon keeps one per VM warm. */
struct xv_ctx {
	const char *vm_spec;    /* --vm SPEC, NULL if none */
	const char *vm_name;    /* daemon: the VM's name; CLI: NULL */
	const char *btf_path;   /* --btf FILE fallback */
	const char *system_map; /* --system-map FILE fallback */
	const char *vmcoreinfo_path; /* --vmcoreinfo FILE fallback */
	const char *eve_path;   /* --eve FILE: append findings/alerts as EVE JSON */
	int json;               /* --json / -j */
	int pause;              /* --pause: stop a live guest around reads */
	FILE *out;              /* results (text or JSON) */
	FILE *err;              /* one-sentence errors */
	struct xv_mem *mem;       /* opened on demand by xv_ctx_kernel() */
	struct xv_kernel *kernel; /* opened on demand, kept warm by the daemon */
	void *daemon;           /* non-NULL inside xvidsd (commands that need daemon state) */
	const struct xv_daemon_ops *dops; /* with daemon: what the daemon offers commands */
};

enum {
	XV_CMD_NEEDS_VM = 1 << 0, /* requires --vm (CLI) or a VM name (daemon) */
	XV_CMD_CLI_ONLY = 1 << 1, /* not offered by the daemon (writes host files, long-running) */
};

struct xv_cmd {
	const char *name;
	const char *synopsis; /* "ps [--json]" */
	const char *summary;  /* one line for `help` */
	const char *help;     /* full text for `help CMD` / `CMD --help` (may be NULL) */
	const char *daemon_synopsis; /* how xvidsd's `help` shows it; NULL: "NAME VM" (NEEDS_VM) or NAME */
	unsigned flags;
	/* argv[0] is the command name; getopt-style parsing; returns an XV_EXIT_* code. */
	int (*run)(struct xv_ctx *ctx, int argc, char **argv);
};

/* Every command, defined in cmd_<name>.c (declared here so a command can name itself). */
extern const struct xv_cmd xv_cmd_info, xv_cmd_ps, xv_cmd_lsmod, xv_cmd_eval, xv_cmd_pchk,
	xv_cmd_mchk, xv_cmd_baseline, xv_cmd_net, xv_cmd_switch, xv_cmd_ls, xv_cmd_stat, xv_cmd_cat,
	xv_cmd_find, xv_cmd_fchk, xv_cmd_fichk, xv_cmd_shadow;

/* NULL-terminated table of every command. */
extern const struct xv_cmd *const xv_cmds[];

const struct xv_cmd *xv_cmd_lookup(const char *name);

/* Open the memory source and kernel model for ctx->vm_spec unless already open.
 * Returns 0 or -errno; the message is in xv_errmsg(). */
int xv_ctx_kernel(struct xv_ctx *ctx, struct xv_kernel **k);

/* Print "xvids: <cmd>: <xv_errmsg()>" to ctx->err and return XV_EXIT_ERROR. */
int xv_cmd_fail(struct xv_ctx *ctx, const char *cmd);

/* Print usage for cmd to f. */
void xv_cmd_usage(const struct xv_cmd *cmd, FILE *f);

/* For commands whose only option is --json/-j: parse argv, set ctx->json, return the index of the
 * first operand, or -1 after printing usage for an unknown option. */
int xv_cmd_simple_opts(struct xv_ctx *ctx, const struct xv_cmd *cmd, int argc, char **argv);

/* Write a json-c object to ctx->out, pretty-printed, with a newline; frees it. */
struct json_object;
void xv_cmd_print_json(struct xv_ctx *ctx, struct json_object *obj);

/* Run a check command: --policy FILE, --json, --eve FILE; prints findings; exit 0/1/2. */
struct xv_policy;
struct xv_findings;
int xv_cmd_run_check(struct xv_ctx *ctx, const struct xv_cmd *cmd, int argc, char **argv,
		     int (*check)(struct xv_kernel *, const struct xv_policy *, struct xv_findings *));

/* Release what xv_ctx_kernel() opened. */
void xv_ctx_release(struct xv_ctx *ctx);

#endif
