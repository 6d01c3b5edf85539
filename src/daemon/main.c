/* main.c — xvidsd: start-up (options, config, checks, privileges) and the single-threaded
 * poll loop that serves telnet sessions, the switch, VM health and scheduled checks. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xv_config.h"
#include "xvids/err.h"
#include "xvids/kernel.h"
#include "xvids/policy.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Bounded copy between fields of one struct (snprintf there trips -Wrestrict). */
static void scopy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memmove(dst, src, n);
	dst[n] = 0;
}

double xvd_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void xvd_log(const char *fmt, ...)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s xvidsd[%d]: ", ts, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xvidsd [--listen ADDR:PORT] --vm NAME=SPEC [--vm ...] [--password-file FILE]\n"
		"              [--config FILE] [options]\n"
		"       xvidsd --hash-password     (reads a password, prints a password-file line)\n"
		"\n"
		"The xvids IDS daemon: keeps a warm kernel model of each VM, runs checks on a\n"
		"schedule, raises alerts (EVE JSON, syslog, hook) and serves a telnet command\n"
		"manager (telnet ADDR PORT, then `help`).\n"
		"\n"
		"  --listen ADDR:PORT    where the command manager listens (127.0.0.1:2323); port\n"
		"                        0 picks a free port (printed on stderr)\n"
		"  --vm NAME=SPEC        a VM: ram:PATH@BASE, dump:PATH or qmp:SOCKET\n"
		"  --password-file FILE  crypt(3) hashes, one per line ([label:]HASH); required\n"
		"  --no-password         serve without a password (loopback addresses only)\n"
		"  --config FILE         directives, see docs/daemon.md (options given later win)\n"
		"  --user USER           when started as root: run as USER after start-up\n"
		"  --state-dir DIR       where baselines are kept (default: a private /tmp dir)\n"
		"  --eve FILE            append alerts as EVE JSON\n"
		"  --syslog unix:PATH|udp:HOST:PORT   send alerts as RFC 5424 syslog\n"
		"  --hook '/path/prog ARGS'  run a program (no shell) with each alert's JSON on stdin\n"
		"  --watch 'CHECK VM every 30s'      a scheduled check (also: watch in the session)\n"
		"  --set 'DIRECTIVE ARGS'            any config directive (e.g. --set 'max-clients 64')\n"
		"  --no-sandbox          do not apply the seccomp allow-list\n"
		"  --check-config        load everything, print a summary and exit\n"
		"  --help, --version\n");
}

static int read_password(char *buf, size_t size)
{
	struct termios old, noecho;
	int tty = isatty(0);

	if (tty) {
		fprintf(stderr, "Password: ");
		tcgetattr(0, &old);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &noecho);
	}
	char *r = fgets(buf, (int)size, stdin);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!r)
		return -1;
	buf[strcspn(buf, "\r\n")] = 0;
	return 0;
}

static int hash_password(void)
{
	char pw[512];

	if (read_password(pw, sizeof(pw)) < 0 || !pw[0]) {
		fprintf(stderr, "xvidsd: no password given\n");
		return 2;
	}
	char *h = xvd_auth_hash(pw);
	explicit_bzero(pw, sizeof(pw));
	if (!h) {
		fprintf(stderr, "xvidsd: crypt(3) could not hash the password: %s\n",
			strerror(errno));
		return 2;
	}
	printf("admin:%s\n", h);
	free(h);
	return 0;
}

static int open_listener(struct xvd *d)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[128];

	if (xvd_parse_hostport(d->cfg.listen, &ss, &len) < 0)
		return -EINVAL;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xv_err(errno, "socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return xv_err(e, "cannot listen on %s: %s", d->cfg.listen, strerror(e));
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	snprintf(host, sizeof(host), "%s", d->cfg.listen);
	*strrchr(host, ':') = 0;
	unsigned port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
						: ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	xvd_log("listening on %s:%u", host, port);
	d->listen_fd = fd;
	return 0;
}

static int setup_state_dir(struct xvd *d, uid_t uid, gid_t gid)
{
	if (d->cfg.state_dir[0]) {
		if (mkdir(d->cfg.state_dir, 0700) < 0 && errno != EEXIST)
			return xv_err(errno, "cannot create state dir %s: %s", d->cfg.state_dir,
				      strerror(errno));
		scopy(d->state_dir, sizeof(d->state_dir), d->cfg.state_dir);
	} else {
		snprintf(d->state_dir, sizeof(d->state_dir), "/tmp/xvidsd.XXXXXX");
		if (!mkdtemp(d->state_dir))
			return xv_err(errno, "cannot create a state dir: %s", strerror(errno));
		d->state_dir_tmp = 1;
	}
	if (getuid() == 0 && uid != 0 && chown(d->state_dir, uid, gid) < 0)
		return xv_err(errno, "cannot chown %s: %s", d->state_dir, strerror(errno));
	return 0;
}

static void remove_state_dir(struct xvd *d)
{
	if (!d->state_dir_tmp)
		return;
	for (unsigned i = 0; i < d->nvm; i++) {
		char p[700];
		snprintf(p, sizeof(p), "%s/%s.policy", d->state_dir, d->vm[i].name);
		unlink(p);
	}
	rmdir(d->state_dir);
}

static int die(const char *what)
{
	fprintf(stderr, "xvidsd: %s%s%s\n", what ? what : "", what ? ": " : "", xv_errmsg());
	return 2;
}

static void loop(struct xvd *d)
{
	unsigned cap = d->cfg.max_clients + 2;
	struct pollfd *pfd = calloc(cap, sizeof(*pfd));
	double next_vm = xvd_now() + d->cfg.vm_check;

	if (!pfd)
		return;
	while (!stop_flag) {
		double now = xvd_now(), due = next_vm, t;
		if ((t = xvd_watch_next(d)) >= 0 && t < due)
			due = t;
		if ((t = xvd_clients_next(d)) >= 0 && t < due)
			due = t;
		int timeout = due <= now ? 0 : (int)((due - now) * 1000) + 1;
		if (timeout > 1000)
			timeout = 1000;
		if (d->dirty && timeout > 50)
			timeout = 50;
		unsigned n = 0;
		pfd[n].fd = d->listen_fd;
		pfd[n++].events = d->nclients < d->cfg.max_clients + 1 ? POLLIN : 0;
		int swfd = xvd_net_fd(d);
		pfd[n].fd = swfd;
		pfd[n++].events = swfd >= 0 ? POLLIN : 0;
		unsigned base = n;
		xvd_clients_poll(d, pfd, &n);
		int r = poll(pfd, n, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && d->dirty) {
			/* Quiet moment: give back the guest pages we touched. */
			xvd_trim_guest_maps();
			d->dirty = 0;
		}
		now = xvd_now();
		if (r > 0)
			xvd_clients_io(d, pfd + base, n - base, now);
		else
			xvd_clients_io(d, pfd + base, 0, now);
		if (r > 0 && (pfd[0].revents & POLLIN))
			xvd_client_accept(d);
		if (r > 0 && swfd >= 0 && (pfd[1].revents & POLLIN))
			xvd_net_step(d);
		if (now >= next_vm) {
			xvd_vm_tick(d);
			next_vm = xvd_now() + d->cfg.vm_check;
		}
		xvd_watch_tick(d, xvd_now());
	}
	free(pfd);
}

int main(int argc, char **argv)
{
	enum { O_USER = 256, O_STATE, O_EVE, O_SYSLOG, O_HOOK, O_WATCH, O_SET, O_NOSANDBOX,
	       O_CHECK, O_HASH, O_VERSION, O_NOPW };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "vm", required_argument, NULL, 'v' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "no-password", no_argument, NULL, O_NOPW },
		{ "config", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, O_USER },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "eve", required_argument, NULL, O_EVE },
		{ "syslog", required_argument, NULL, O_SYSLOG },
		{ "hook", required_argument, NULL, O_HOOK },
		{ "watch", required_argument, NULL, O_WATCH },
		{ "set", required_argument, NULL, O_SET },
		{ "no-sandbox", no_argument, NULL, O_NOSANDBOX },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "hash-password", no_argument, NULL, O_HASH },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 },
	};
	static struct xvd d; /* large: static, not on the stack */
	int c, check_only = 0;
	char line[2048];

	xvd_config_defaults(&d.cfg);
	d.listen_fd = -1;
	while ((c = getopt_long(argc, argv, "l:v:p:c:h", opts, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case 'l': snprintf(line, sizeof(line), "listen %s", optarg); break;
		case 'v': rc = xvd_config_add_vm(&d.cfg, optarg); line[0] = 0; break;
		case 'p': snprintf(line, sizeof(line), "password-file \"%s\"", optarg); break;
		case 'c': rc = xvd_config_load(&d.cfg, optarg); line[0] = 0; break;
		case O_USER: snprintf(line, sizeof(line), "user %s", optarg); break;
		case O_STATE: snprintf(line, sizeof(line), "state-dir \"%s\"", optarg); break;
		case O_EVE: snprintf(line, sizeof(line), "eve \"%s\"", optarg); break;
		case O_SYSLOG: snprintf(line, sizeof(line), "syslog %s", optarg); break;
		case O_HOOK: snprintf(line, sizeof(line), "hook %s", optarg); break;
		case O_WATCH: snprintf(line, sizeof(line), "watch %s", optarg); break;
		case O_SET: snprintf(line, sizeof(line), "%s", optarg); break;
		case O_NOSANDBOX: d.cfg.sandbox = 0; line[0] = 0; break;
		case O_NOPW: snprintf(line, sizeof(line), "no-password"); break;
		case O_CHECK: check_only = 1; line[0] = 0; break;
		case O_HASH: return hash_password();
		case 'h': usage(stdout); return 0;
		case O_VERSION: printf("xvidsd 0.1.0\n"); return 0;
		default: usage(stderr); return 2;
		}
		if (rc == 0 && line[0])
			rc = xvd_config_line(&d.cfg, line, "command line", 0);
		if (rc < 0)
			return die(NULL);
	}
	if (optind < argc) {
		fprintf(stderr, "xvidsd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/* An IDS must not be the way in: a password, unless the admin says otherwise for a
	 * loopback address (where only local users can connect). */
	struct sockaddr_storage ls;
	socklen_t ll;
	if (xvd_parse_hostport(d.cfg.listen, &ls, &ll) < 0)
		return die("--listen");
#if XV_HAVE_TELNET /* without a command manager nobody logs in: no password to ask for */
	if (d.cfg.no_password && d.cfg.password_file[0]) {
		fprintf(stderr, "xvidsd: both a password file and no-password given: choose one\n");
		return 2;
	}
	if (!xvd_addr_is_loopback(&ls) && !d.cfg.password_file[0]) {
		fprintf(stderr, "xvidsd: refusing to listen on %s without a password: give "
				"--password-file FILE (make entries with xvidsd --hash-password); "
				"--no-password is for loopback addresses only\n", d.cfg.listen);
		return 2;
	}
	if (!d.cfg.password_file[0] && !d.cfg.no_password) {
		fprintf(stderr, "xvidsd: no password file: give --password-file FILE (make entries "
				"with xvidsd --hash-password), or --no-password (config: no-password) "
				"to let every local user of this host in on %s\n", d.cfg.listen);
		return 2;
	}
	if (d.cfg.password_file[0] && xvd_auth_load(&d.auth, d.cfg.password_file) < 0)
		return die(NULL);
#endif
	if (!d.cfg.nvm)
		xvd_log("warning: no VMs given (--vm NAME=SPEC)");
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (d.cfg.user[0]) {
		if (xvd_lookup_user(d.cfg.user, &uid, &gid) < 0)
			return die("--user");
		if (getuid() != 0 && uid != getuid()) {
			fprintf(stderr, "xvidsd: --user %s needs root\n", d.cfg.user);
			return 2;
		}
	} else if (getuid() == 0 && !check_only) {
		xvd_log("warning: running as root; give --user to drop privileges after start-up");
	}
	d.nvm = d.cfg.nvm;
	for (unsigned i = 0; i < d.nvm; i++) {
		struct xvd_vm *vm = &d.vm[i];
		scopy(vm->name, sizeof(vm->name), d.cfg.vm[i].name);
		scopy(vm->spec, sizeof(vm->spec), d.cfg.vm[i].spec);
		if (d.cfg.vm[i].policy[0]) {
			vm->policy = xv_policy_load(d.cfg.vm[i].policy);
			if (!vm->policy)
				return die("policy");
			scopy(vm->policy_path, sizeof(vm->policy_path), d.cfg.vm[i].policy);
		}
	}
	for (unsigned i = 0; i < d.cfg.nwatch; i++)
		if (!xvd_vm_find(&d, d.cfg.watch[i].vm)) {
			fprintf(stderr, "xvidsd: watch on unknown VM '%s'\n", d.cfg.watch[i].vm);
			return 2;
		}
	if (check_only) {
		char pws[48];
		if (d.cfg.no_password)
			snprintf(pws, sizeof(pws), "no password (loopback)");
		else
			snprintf(pws, sizeof(pws), "%u passwords", d.auth.n);
		printf("listen %s, %u VMs, %s, %u watches, %u switch ports, sandbox %s\n",
		       d.cfg.listen, d.nvm, pws, d.cfg.nwatch, d.cfg.nport,
		       d.cfg.sandbox ? "on" : "off");
		return 0;
	}
	if (gethostname(d.host, sizeof(d.host)) < 0)
		strcpy(d.host, "-");

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (open_listener(&d) < 0)
		return die(NULL);
	if (setup_state_dir(&d, uid, gid) < 0)
		return die(NULL);
	d.alerts = xvd_alerts_new(&d.cfg, d.host);
	if (!d.alerts || xvd_alerts_open(d.alerts, uid, gid) < 0)
		return die("alerts");
	/* The hook helper is forked: reap it and its children automatically from now on. */
	signal(SIGCHLD, SIG_IGN);
	if (xvd_net_start(&d) < 0)
		return die("switch");
	if (getuid() == 0 && uid != 0) {
		if (xvd_drop_user(uid, gid) < 0)
			return die(NULL);
		xvd_log("running as %s (uid %u)", d.cfg.user, (unsigned)uid);
	}
	d.started = time(NULL);
	for (unsigned i = 0; i < d.nvm; i++)
		if (xvd_vm_attach(&d, &d.vm[i]) < 0) {
			char msg[400];
			snprintf(msg, sizeof(msg), "vm %s unavailable: %s", d.vm[i].name,
				 d.vm[i].error);
			xvd_alert_raise(d.alerts, d.vm[i].name, "vm", "unavailable", 2, NULL, msg,
					NULL);
			d.vm[i].reported_down = 1;
		}
	for (unsigned i = 0; i < d.cfg.nwatch; i++)
		if (xvd_watch_add(&d, d.cfg.watch[i].check, d.cfg.watch[i].vm,
				  d.cfg.watch[i].every) < 0)
			return die("watch");
	if (d.cfg.sandbox) {
		int rc = xvd_sandbox(&d);
		if (rc < 0)
			return die("sandbox");
		xvd_log("sandbox: no_new_privs%s%s", (rc & XVD_SANDBOX_SECCOMP) ?
			" and seccomp allow-list applied" : " (built without libseccomp: no allow-list)",
			(rc & XVD_SANDBOX_LANDLOCK) ? "; landlock: writes only in the state dir" :
			"; landlock: not available in this kernel");
	}
#if !XV_HAVE_TELNET
	xvd_log("ready: %u VM%s, no telnet command manager: this xvidsd was built without libtelnet "
		"(-Dtelnet=disabled); the watches, alerts and switch run, and a connection is told "
		"so and closed", d.nvm, d.nvm == 1 ? "" : "s");
#else
	xvd_log("ready: %u VM%s, %s", d.nvm, d.nvm == 1 ? "" : "s",
		d.cfg.no_password ? "no password (loopback, --no-password)" : "password required");
#endif
	loop(&d);
	xvd_log("stopping");
	xvd_clients_free(&d);
	for (unsigned i = 0; i < d.nvm; i++) {
		xv_ctx_release(&d.vm[i].ctx);
		xv_policy_free(d.vm[i].policy);
		free(d.vm[i].vmci);
	}
	for (unsigned i = 0; i < d.nwatch; i++)
		xvd_watch_free(&d.watch[i]);
	xvd_net_stop(&d);
	xvd_alerts_free(d.alerts);
	xvd_auth_free(&d.auth);
	remove_state_dir(&d);
	close(d.listen_fd);
	return 0;
}
