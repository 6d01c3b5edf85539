/* xvidsd.h — internal interfaces of the xvidsd daemon (config, auth, sessions, VMs, alerts). */
#ifndef XVIDSD_H
#define XVIDSD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "cmd/cmd.h"
#include "xvids/net.h"

#define XVD_MAX_VMS 64
#define XVD_MAX_WATCHES 128
#define XVD_MAX_PORTS 32
#define XVD_MAX_PASSWORDS 32
#define XVD_NAME_MAX 64

/* ---- configuration (config.c) ---- */

struct xvd_watch_cfg {
	char check[16];
	char vm[XVD_NAME_MAX];
	unsigned every; /* seconds */
};

struct xvd_config {
	char listen[128];          /* ADDR:PORT */
	char password_file[512];
	int no_password;           /* the admin chose no password (loopback only): no-password */
	char user[64];             /* drop to this user when started as root */
	char state_dir[512];       /* baselines; empty: a private directory under /tmp */
	char eve[512];             /* EVE JSON file for alerts; empty: none */
	char syslog[512];          /* unix:PATH | udp:HOST:PORT; empty: none */
	char syslog_facility[16];  /* daemon, local0..7, auth, ... */
	char hook[1024];           /* program [args...] given each alert's JSON on stdin */
	unsigned max_clients;      /* connected clients (any state) */
	unsigned max_line;         /* bytes per input line */
	unsigned idle_timeout;     /* seconds */
	unsigned login_timeout;    /* seconds to type the password */
	unsigned login_delay_ms;   /* after a wrong password */
	unsigned login_attempts;   /* per connection */
	unsigned addr_failures;    /* per source address within addr_window s before refusing it */
	unsigned addr_window;
	unsigned addr_prelogin;    /* connections not yet logged in, per source address */
	unsigned vm_check;         /* seconds between VM health checks / re-attach attempts */
	int sandbox;               /* 1: seccomp + no_new_privs after start-up */
	int sandbox_debug;         /* report the denied syscall instead of dying silently */
	struct {
		char name[XVD_NAME_MAX];
		char spec[512];
		char policy[512];
	} vm[XVD_MAX_VMS];
	unsigned nvm;
	struct xvd_watch_cfg watch[XVD_MAX_WATCHES];
	unsigned nwatch;
	char port[XVD_MAX_PORTS][256];
	unsigned nport;
	char rules[8][512];
	unsigned nrules;
	char home_net[256];
	/* The switch and its engine: mirror (pcap file/FIFO or tap:IF), inline drop, and the
	 * engine's detector settings (on_alert is the daemon's own, set when the switch starts). */
	char mirror[512];
	int inline_drop;
	struct xv_net_config net;
	/* Extra options the administrator gives a check (host files: fichk --rules ...). */
	struct {
		char check[16];
		char args[512];
	} cargs[16];
	unsigned ncargs;
};

void xvd_config_defaults(struct xvd_config *c);
/* Parse one "directive args..." line (file:line for messages). 0 or -errno (xv_errmsg). */
int xvd_config_line(struct xvd_config *c, char *line, const char *file, int lineno);
int xvd_config_load(struct xvd_config *c, const char *path);
/* "NAME=SPEC" → vm entry. */
int xvd_config_add_vm(struct xvd_config *c, const char *arg);
/* "10s", "5m", "1h", "30" → seconds; -1 on error. */
long xvd_parse_duration(const char *s);
/* Split "ADDR:PORT" / "[v6]:PORT". */
int xvd_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);
int xvd_addr_is_loopback(const struct sockaddr_storage *ss);

/* ---- passwords and login limits (auth.c) ---- */

struct xvd_auth {
	char *hash[XVD_MAX_PASSWORDS];
	char label[XVD_MAX_PASSWORDS][32];
	unsigned n;
};

int xvd_auth_load(struct xvd_auth *a, const char *path);
void xvd_auth_free(struct xvd_auth *a);
/* 1 if password matches one of the stored hashes, else 0. Every entry is tried, so the time
 * does not depend on which one matched. */
int xvd_auth_check(const struct xvd_auth *a, const char *password);
/* Constant-time equality of two NUL-terminated strings of possibly different lengths. */
int xvd_ct_streq(const char *a, const char *b);
/* Make a crypt(3) hash (yescrypt if available, else sha512-crypt) of pw. malloc'd or NULL. */
char *xvd_auth_hash(const char *pw);

/* Failed logins per source address (fixed-size table, oldest entries recycled). */
struct xvd_ratelimit {
	struct {
		struct sockaddr_storage addr;
		unsigned failures;
		time_t first;
	} e[256];
};
int xvd_rl_blocked(struct xvd_ratelimit *rl, const struct sockaddr_storage *ss, unsigned max,
		   unsigned window, time_t now);
void xvd_rl_fail(struct xvd_ratelimit *rl, const struct sockaddr_storage *ss, unsigned window,
		 time_t now);

/* ---- line editing of telnet input (lineed.c) ---- */

enum { XVD_LE_NONE, XVD_LE_LINE, XVD_LE_INTR, XVD_LE_EOF, XVD_LE_TOOLONG };

struct xvd_lineed {
	char *buf;
	size_t cap, len;
	int cr;       /* last byte was CR: swallow a following LF or NUL */
	int overflow; /* line longer than cap-1: discard until its end */
};

int xvd_lineed_init(struct xvd_lineed *le, size_t cap);
void xvd_lineed_free(struct xvd_lineed *le);
/* Feed one byte. echo (may be NULL) receives up to 4 bytes to send back when echoing, *echolen
 * their count. Returns XVD_LE_*; on XVD_LE_LINE the line is le->buf (NUL-terminated) and is
 * cleared by the next call. */
int xvd_lineed_byte(struct xvd_lineed *le, unsigned char ch, char *echo, size_t *echolen);

/* Split a command line into words (quotes "..." and '...', backslash escapes). Returns the
 * number of words (at most max), -1 on unbalanced quotes. Words point into line (modified). */
int xvd_split(char *line, char **argv, int max);

/* ---- alerts (alert.c) ---- */

struct xvd_alert {
	struct timespec ts;
	char vm[XVD_NAME_MAX];
	char source[16];  /* "pchk", "mchk", "net", "vm", ... */
	char kind[32];
	int severity;     /* enum xv_severity */
	char key[256];
	char summary[512];
	char *json;       /* the EVE record (one line) */
};

struct xvd_alerts;
struct xvd_alerts *xvd_alerts_new(const struct xvd_config *cfg, const char *host);
void xvd_alerts_free(struct xvd_alerts *al);
/* Open outputs (before privileges are dropped): EVE file, syslog socket, hook helper. */
int xvd_alerts_open(struct xvd_alerts *al, uid_t uid, gid_t gid);
/* Raise: copy to the ring and send to every output. obj (may be NULL; owned) is the JSON
 * object of the finding; vm/source/kind/summary describe it. */
void xvd_alert_raise(struct xvd_alerts *al, const char *vm, const char *source, const char *kind,
		     int severity, const char *key, const char *summary, struct json_object *obj);
/* Raise from a ready EVE line (net alerts already have one). */
void xvd_alert_raise_eve(struct xvd_alerts *al, const char *vm, const char *source,
			 const char *kind, int severity, const char *summary, const char *eve);
unsigned xvd_alerts_count(const struct xvd_alerts *al);
const struct xvd_alert *xvd_alerts_get(const struct xvd_alerts *al, unsigned i); /* 0 = oldest */
uint64_t xvd_alerts_total(const struct xvd_alerts *al);

/* RFC 5424 line for an alert (no trailing newline). Returns length or -1. */
int xvd_syslog_format(char *buf, size_t size, int facility, const struct xvd_alert *a,
		      const char *host, int pid);
int xvd_syslog_facility(const char *name); /* -1 if unknown */
const char *xvd_sev_name(int sev);            /* "info" .. "critical" (enum xv_severity) */
int xvd_sev_parse(const char *s);             /* -1 if unknown */

/* Hook helper: a child forked at start-up (outside the sandbox) that runs the program. */
int xvd_hook_start(const char *cmdline, uid_t uid, gid_t gid);
int xvd_hook_send(int fd, const char *json);

/* ---- VMs (vm.c) ---- */

struct xvd_vm {
	char name[XVD_NAME_MAX];
	char spec[512];
	char policy_path[512];
	struct xv_policy *policy;
	struct xv_ctx ctx;
	int up;
	char error[256];       /* why it is down */
	time_t since;          /* attached / detached at */
	unsigned attaches;     /* successful attaches (1 = the first) */
	dev_t dev;
	ino_t ino;             /* identity of the spec's file/socket when attached */
	int64_t btime;
	char release[80];
	char *vmci;            /* VMCOREINFO snapshot (reboot detection) */
	size_t vmci_len;
	uint64_t vmci_pa;
	int reported_down;
	unsigned slow_fails;    /* failed discoveries in a row (back-off) */
	double next_try;        /* monotonic time of the next attach attempt */
};

struct xvd;
int xvd_vm_attach(struct xvd *d, struct xvd_vm *vm);
void xvd_vm_detach(struct xvd *d, struct xvd_vm *vm, const char *why);
/* 0 if the warm model still describes the running guest, else -errno with a reason. */
int xvd_vm_healthy(struct xvd_vm *vm);
/* Periodic: health-check attached VMs, try to re-attach the others. */
void xvd_vm_tick(struct xvd *d);
struct xvd_vm *xvd_vm_find(struct xvd *d, const char *name);

/* ---- scheduled checks (watch.c) ---- */

struct xvd_watch {
	unsigned id;
	char check[16];
	char vm[XVD_NAME_MAX];
	unsigned every;
	double next;           /* monotonic seconds */
	unsigned runs, errors;
	char last[160];        /* last result, one line */
	char **keys;           /* findings present at the last run (sorted) */
	size_t nkeys;
	int primed;
};

int xvd_watch_add(struct xvd *d, const char *check, const char *vm, unsigned every);
int xvd_watch_del(struct xvd *d, unsigned id);
void xvd_watch_tick(struct xvd *d, double now);
double xvd_watch_next(struct xvd *d);
void xvd_watch_free(struct xvd_watch *w);

/* Findings of one check run, independent of how they were produced. */
struct xvd_find {
	char kind[32];
	int severity;
	char key[256];
	char summary[512];
	struct json_object *obj;
};
/* Run a check on vm, collect findings. Returns count or -errno (message in xv_errmsg()). */
int xvd_run_check(struct xvd *d, struct xvd_vm *vm, const char *check, struct xvd_find **out);
void xvd_finds_free(struct xvd_find *f, int n);
/* Parse a command's JSON output ({"findings":[...]} or [...]) into findings. */
int xvd_finds_from_json(const char *check, const char *text, struct xvd_find **out);
/* Diff: which keys are new compared with the previous sorted set; replaces the set. Returns
 * the number of new entries, marking them in isnew[] (n entries). */
int xvd_dedup(char ***keys, size_t *nkeys, const struct xvd_find *f, int n, int *isnew);

/* ---- the daemon (main.c / session.c / cmds.c) ---- */

struct xvd_client;

struct xvd {
	struct xvd_config cfg;
	struct xvd_auth auth;
	struct xvd_ratelimit rl;
	struct xvd_alerts *alerts;
	struct xvd_vm vm[XVD_MAX_VMS];
	unsigned nvm;
	struct xvd_watch watch[XVD_MAX_WATCHES];
	unsigned nwatch, next_watch_id;
	struct xvd_client *clients;
	unsigned nclients;
	int listen_fd;
	struct xv_switch *sw;
	struct xv_net *net;
	char state_dir[512];
	int state_dir_tmp;
	time_t started;
	uint64_t sessions, logins, login_failures, commands;
	int dirty; /* guest memory was read since the last trim */
	char host[256];
};

double xvd_now(void); /* monotonic seconds */
void xvd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Execute one command line for a logged-in client; output to out. Returns 1 to close. */
int xvd_exec(struct xvd *d, char *line, FILE *out);
/* Append the config's check-args for cmd to argv (words point into a static copy); returns the
 * new argc, at most max. */
int xvd_check_args(struct xvd *d, const char *cmd, char **argv, int argc, int max);
/* Commands the daemon offers from the shared table (not CLI-only). */
int xvd_cmd_offered(const struct xv_cmd *c);
/* What table commands may ask of the daemon (net's switch, baseline's policy); in every ctx. */
extern const struct xv_daemon_ops xvd_dops;

/* Sessions. */
void xvd_client_accept(struct xvd *d);
void xvd_clients_poll(struct xvd *d, struct pollfd *pfd, unsigned *n);
void xvd_clients_io(struct xvd *d, struct pollfd *pfd, unsigned n, double now);
double xvd_clients_next(struct xvd *d);
void xvd_clients_free(struct xvd *d);

/* Network switch (netsw.c). */
int xvd_net_start(struct xvd *d);
void xvd_net_stop(struct xvd *d);
int xvd_net_fd(struct xvd *d);
void xvd_net_step(struct xvd *d);
/* The switch for `net [NAME]` (struct xv_daemon_ops.net_switch): NULL with xv_err() set if none
 * is configured or NAME is neither a port nor a VM. */
struct xv_switch *xvd_net_switch(void *daemon, const char *name);

/* Drop guest pages from our RSS after use (rss.c). */
void xvd_trim_guest_maps(void);

/* Privileges (sandbox.c). */
int xvd_lookup_user(const char *user, uid_t *uid, gid_t *gid);
int xvd_drop_user(uid_t uid, gid_t gid);
/* no_new_privs, then Landlock (writes only beneath d->state_dir) and the seccomp allow-list
 * (cfg.sandbox_debug: name a denied call, then exit 3). Returns XVD_SANDBOX_* of what was
 * applied (the kernel or the build may lack Landlock or seccomp), or -errno. */
enum { XVD_SANDBOX_SECCOMP = 1, XVD_SANDBOX_LANDLOCK = 2 };
int xvd_sandbox(struct xvd *d);

#endif
