/* main.c — xvids-shadow: run an unmodified host tool in a private namespace whose view is the guest's. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xv_config.h"
#if XV_HAVE_FUSE && XV_HAVE_SECCOMP
#define FUSE_USE_VERSION 31
#include <fuse.h>
#define SH_FULL 1
#else
#define SH_FULL 0
#endif

#include "cmd/cmd.h"
#include "shadow/shadow.h"
#include "xvids/err.h"

/* Host files and directories bound into the tree (see docs/shadow.md, "Layout"): the host's
 * /usr (programs, loader, libraries) and the alternatives links of its programs at
 * /.xvids-host, and the few device nodes a tool writes to. */
static const struct { const char *src, *dst; int rw; } host_binds[] = {
	{ "/usr", "/.xvids-host/usr", 0 },
	{ "/etc/alternatives", "/.xvids-host/etc/alternatives", 0 },
	{ "/dev/null", "/dev/null", 1 },
	{ "/dev/zero", "/dev/zero", 1 },
	{ "/dev/full", "/dev/full", 1 },
	{ "/dev/random", "/dev/random", 1 },
	{ "/dev/urandom", "/dev/urandom", 1 },
	{ "/dev/tty", "/dev/tty", 1 },
};

#if defined(__x86_64__)
#define HOST_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define HOST_MULTIARCH "aarch64-linux-gnu"
#else
#define HOST_MULTIARCH "unknown"
#endif
#define HOST_LIBS "/.xvids-host/usr/local/lib:/.xvids-host/usr/lib/" HOST_MULTIARCH \
		  ":/.xvids-host/usr/lib"
#define HOST_PATH "/.xvids-host/usr/local/sbin:/.xvids-host/usr/local/bin:" \
		  "/.xvids-host/usr/sbin:/.xvids-host/usr/bin"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xvids --vm SPEC shadow [OPTIONS] [--] COMMAND [ARGS...]\n"
		"       xvids-shadow --vm SPEC [OPTIONS] [--] COMMAND [ARGS...]\n"
		"\n"
		"Runs COMMAND (a host program, unmodified) in private namespaces where / is the guest's\n"
		"file system, /proc is built from the guest kernel's memory, and uname, sysinfo,\n"
		"kill(pid, 0), getpriority and the SIOCGIF* ioctls are answered from the guest.\n"
		"/usr, /lib64 and /dev stay the host's (the tool's programs and libraries).\n"
		"\n"
		"Options:\n"
		"  --bind HOSTDIR:NAME  make HOSTDIR (writable) visible as /NAME (e.g. for a database)\n"
		"  --ttl SECONDS        reuse a reading of the guest's processes this long (default 1)\n"
		"  --no-pin             do not keep the tool and the shadow on one CPU\n"
		"  --btf FILE, --system-map FILE, --vmcoreinfo FILE, --pause   as for xvids\n"
		"Exit status: COMMAND's own; 2 when the shadow cannot be set up.\n"
		"See docs/shadow.md.\n");
}

#if SH_FULL
static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;

	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -e;
}

/* A private mount namespace: plain when root, inside a new user namespace otherwise. */
static int enter_namespaces(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];

	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			return xv_err(errno, "cannot create a mount namespace (unshare: %s)", strerror(errno));
	} else {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			return xv_err(errno, "cannot create a user and mount namespace as uid %u (%s); "
				      "enable unprivileged user namespaces "
				      "(sysctl kernel.unprivileged_userns_clone=1 / "
				      "user.max_user_namespaces) or run as root", uid, strerror(errno));
		snprintf(map, sizeof(map), "0 %u 1\n", uid);
		if (write_file("/proc/self/setgroups", "deny") < 0 ||
		    write_file("/proc/self/uid_map", map) < 0)
			return xv_err(EPERM, "cannot map uid %u into the new user namespace", uid);
		snprintf(map, sizeof(map), "0 %u 1\n", gid);
		if (write_file("/proc/self/gid_map", map) < 0)
			return xv_err(EPERM, "cannot map gid %u into the new user namespace", gid);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return xv_err(errno, "cannot make the mounts private (%s)", strerror(errno));
	return 0;
}

static void *fuse_thread(void *arg)
{
	fuse_loop(arg);
	return NULL;
}

static int bind_host(const char *src, const char *root, const char *path, int rw)
{
	char dst[4200];

	snprintf(dst, sizeof(dst), "%s%s", root, path);
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return xv_err(errno, "cannot bind %s on %s (%s)", src, path, strerror(errno));
	if (!rw)
		mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
	return 0;
}

struct child_args {
	const char *root;
	const char *toolproc;
	char **argv;
	const char *path; /* the program, resolved in the tree by the parent */
	char **envp;      /* the parent's environment with PATH set to the host's programs */
	int sock;
	struct sock_fprog prog;
};

static int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void die(const char *what)
{
	dprintf(2, "xvids shadow: %s: %s\n", what, strerror(errno));
	_exit(2);
}

/* Find cmd the way execvp would inside the tree, with PATH = the host's program directories;
 * an absolute /usr/..., /bin/... name means the host's program of that name. The result is a
 * path inside the tree (the child runs chrooted). */
static int resolve_cmd(const char *root, const char *cmd, char *out, size_t size)
{
	char full[8400];

	if (strchr(cmd, '/')) {
		if (cmd[0] != '/') {
			snprintf(out, size, "%s", cmd);
			return 0;
		}
		/* /usr/X, /bin/X, /sbin/X: the host's program; anything else (a --bind
		 * directory) as it is in the tree. */
		if (strncmp(cmd, "/usr/", 5) == 0)
			snprintf(out, size, "/.xvids-host%s", cmd);
		else if (strncmp(cmd, "/bin/", 5) == 0 || strncmp(cmd, "/sbin/", 6) == 0)
			snprintf(out, size, "/.xvids-host/usr%s", cmd);
		else
			snprintf(out, size, "%s", cmd);
		snprintf(full, sizeof(full), "%s%s", root, out);
		return access(full, X_OK) == 0 ? 0 : -ENOENT;
	}
	char dirs[] = HOST_PATH;

	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct stat st;

		snprintf(out, size, "%s/%s", d, cmd);
		snprintf(full, sizeof(full), "%s%s", root, out);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static char **tool_env(void)
{
	extern char **environ;
	size_t n = 0;

	while (environ[n])
		n++;
	char **e = calloc(n + 4, sizeof(char *));
	size_t j = 0;

	if (!e)
		return environ;
	e[j++] = "PATH=" HOST_PATH;
	/* iproute2's ss reads $PROC_ROOT/net/tcp etc. instead of asking the (empty) network namespace
	 * over netlink. */
	e[j++] = "PROC_ROOT=/proc";
	/* The host's libraries, without a host fallback at the guest's /lib (see tree.c). */
	e[j++] = "LD_LIBRARY_PATH=" HOST_LIBS;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "PATH=", 5) != 0 && strncmp(environ[i], "PROC_ROOT=", 10) != 0 &&
		    strncmp(environ[i], "LD_LIBRARY_PATH=", 16) != 0)
			e[j++] = environ[i];
	return e;
}

/* PID 1 of the tool's PID namespace (raw clone of a threaded parent: no locks, no malloc). */
static int child_init(struct child_args *a)
{
	char p[4200];

	if (mount("proc", a->toolproc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mounting the tool's own /proc");
	snprintf(p, sizeof(p), "%s/.xvids-proc", a->root);
	if (mount(a->toolproc, p, NULL, MS_BIND, NULL) < 0)
		die("binding the tool's own /proc");
	/* The tool's processes get pids from SH_TOOL_PID_BASE on (see shadow.h). */
	snprintf(p, sizeof(p), "%s/sys/kernel/ns_last_pid", a->toolproc);
	int lp = open(p, O_WRONLY | O_CLOEXEC);
	char num[16];
	int nl = snprintf(num, sizeof(num), "%d", SH_TOOL_PID_BASE - 1);

	if (lp < 0 || write(lp, num, (size_t)nl) != nl)
		die("setting the pid range of the tool's PID namespace");
	close(lp);
	if (chroot(a->root) < 0 || chdir("/") < 0)
		die("entering the shadow root");
	pid_t tool = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);

	if (tool < 0)
		die("fork");
	if (tool == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			die("no_new_privs");
		int nfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				       SECCOMP_FILTER_FLAG_NEW_LISTENER, &a->prog);

		if (nfd < 0)
			die("installing the seccomp filter");
		if (send_fd(a->sock, nfd) < 0)
			die("passing the seccomp listener");
		close(nfd);
		close(a->sock);
		execve(a->path, a->argv, a->envp);
		dprintf(2, "xvids shadow: cannot run %s: %s\n", a->argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(a->sock);
	int st, code = 2;

	for (;;) {
		pid_t w = waitpid(-1, &st, 0);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (w == tool)
			code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	_exit(code);
}

static int run(struct shadow *s, struct xv_ctx *ctx, char **cmd);
#endif

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'v' },
		{ "btf", required_argument, NULL, 'B' },
		{ "system-map", required_argument, NULL, 'S' },
		{ "vmcoreinfo", required_argument, NULL, 'I' },
		{ "pause", no_argument, NULL, 'P' },
		{ "bind", required_argument, NULL, 'b' },
		{ "ttl", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'V' },
		{ "no-pin", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xv_ctx ctx = { .out = stdout, .err = stderr };
	struct shadow s = { .ttl = 1.0 };
	int c;

	pthread_mutex_init(&s.lock, NULL);
	/* /proc is the FUSE tree's own; the tool's own procfs (for /proc/self) goes here. */
	s.mounts[s.nmounts++] = "/proc";
	s.mounts[s.nmounts++] = "/.xvids-proc";
	for (size_t i = 0; i < sizeof(host_binds) / sizeof(host_binds[0]); i++)
		if (access(host_binds[i].src, F_OK) == 0) {
			s.mount_src[s.nmounts] = host_binds[i].src;
			s.mount_rw[s.nmounts] = host_binds[i].rw;
			s.mounts[s.nmounts++] = host_binds[i].dst;
		}
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'v': ctx.vm_spec = optarg; break;
		case 'B': ctx.btf_path = optarg; break;
		case 'S': ctx.system_map = optarg; break;
		case 'I': ctx.vmcoreinfo_path = optarg; break;
		case 'P': ctx.pause = 1; break;
		case 't': s.ttl = atof(optarg); break;
		case 'V': s.verbose = 1; break;
		case 'N': s.no_pin = 1; break;
		case 'b': {
			char *colon = strrchr(optarg, ':');

			if (!colon || colon == optarg || colon[1] != '/' || !colon[2] ||
			    strstr(colon + 1, "/.") || s.nmounts >= SH_MAX_MOUNTS) {
				fprintf(stderr, "xvids shadow: --bind wants HOSTDIR:/PATH (an absolute "
					"path without . or .. components; at most %d)\n",
					SH_MAX_MOUNTS - 8);
				return 2;
			}
			*colon = '\0';
			s.mount_src[s.nmounts] = optarg;
			s.mount_rw[s.nmounts] = 1;
			s.mounts[s.nmounts++] = colon + 1;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!ctx.vm_spec) {
		fprintf(stderr, "xvids shadow: needs a guest: xvids --vm SPEC shadow COMMAND...\n");
		return 2;
	}
#if !SH_FULL
		fprintf(stderr, "xvids shadow: this build lacks %s; rebuild with libfuse3-dev and "
		"libseccomp-dev installed\n", !XV_HAVE_FUSE ? "FUSE (libfuse3)" : "libseccomp");
	return 2;
#else
	return run(&s, &ctx, argv + optind);
#endif
}

#if SH_FULL
static void cleanup(struct shadow *sp)
{
	umount2(sp->root, MNT_DETACH);
	umount2(sp->toolproc, MNT_DETACH);
	rmdir(sp->root);
	rmdir(sp->toolproc);
	rmdir(sp->base);
}

/* A set-up that fails before the tool starts gives back what it took: the mount points (if made),
 * the notification filter, the guest snapshot and files, the kernel model. */
static int give_up(struct shadow *sp, struct xv_ctx *ctx, void *prog, int code)
{
	if (sp->base[0] && strstr(sp->base, "XXXXXX") == NULL)
		cleanup(sp);
	free(prog);
	pthread_mutex_lock(&sp->lock);
	sh_snap_free(&sp->snap);
	pthread_mutex_unlock(&sp->lock);
	xv_fs_close(sp->fs);
	sp->fs = NULL;
	xv_ctx_release(ctx);
	return code;
}

/* Once the FUSE thread serves the tree it reads the snapshot and the guest's files: nothing is
 * freed under it. The mounts go, and the process ends as after a run of the tool. */
static _Noreturn void abandon(struct shadow *sp, int code)
{
	cleanup(sp);
	fflush(NULL);
	_exit(code);
}

static int run(struct shadow *sp, struct xv_ctx *ctx, char **cmd)
{
	void *prog = NULL;
	size_t proglen;

	if (xv_ctx_kernel(ctx, &sp->k) < 0) {
		fprintf(stderr, "xvids shadow: %s\n", xv_errmsg());
		return give_up(sp, ctx, prog, 2);
	}
	if (xv_fs_open(sp->k, &sp->fs) < 0) {
		snprintf(sp->fs_why, sizeof(sp->fs_why), "%s", xv_errmsg());
		fprintf(stderr, "xvids shadow: warning: the guest's files are not available (%s); "
			"only /proc is shadowed\n", sp->fs_why);
		sp->fs = NULL;
	}
	pthread_mutex_lock(&sp->lock);
	int src = sh_snap_get(sp);
	uint32_t bound = src == 0 ? sh_guest_pid_max(sp) : SH_TOOL_PID_BASE - 1;

	/* Synthetic entries carry time 0: identical on every run (a database built by a
	 * file-integrity tool must not see them change). */
	sp->stable_time = 0;
	pthread_mutex_unlock(&sp->lock);
	if (src < 0) {
		fprintf(stderr, "xvids shadow: reading the guest's processes: %s\n", xv_errmsg());
		return give_up(sp, ctx, prog, 2);
	}
	/* The tool, the FUSE thread and the supervisor take turns (every lookup is a synchronous
	 * request): on one CPU a turn is a context switch, across CPUs a wake-up of an idle CPU,
	 * 5x slower on the machine measured in docs/shadow.md. Threads and children inherit it. */
	if (!sp->no_pin) {
		cpu_set_t set;
		int cpu = sched_getcpu();

		CPU_ZERO(&set);
		if (cpu >= 0) {
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
	}
	if (sh_notify_filter(bound, &prog, &proglen) < 0 || enter_namespaces() < 0) {
		fprintf(stderr, "xvids shadow: %s\n", xv_errmsg());
		return give_up(sp, ctx, prog, 2);
	}
	snprintf(sp->base, sizeof(sp->base), "/tmp/xvids-shadow.XXXXXX");
	snprintf(sp->root, sizeof(sp->root), "%s/root", sp->base);
	snprintf(sp->toolproc, sizeof(sp->toolproc), "%s/proc", sp->base);
	if (!mkdtemp(sp->base) || (snprintf(sp->root, sizeof(sp->root), "%s/root", sp->base),
				   snprintf(sp->toolproc, sizeof(sp->toolproc), "%s/proc", sp->base),
				   mkdir(sp->root, 0700) < 0 || mkdir(sp->toolproc, 0700) < 0)) {
		fprintf(stderr, "xvids shadow: cannot create mount points in /tmp: %s\n", strerror(errno));
		return give_up(sp, ctx, prog, 2);
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "xvids shadow: cannot open /dev/fuse (%s): the shadow file system needs "
			"read and write access to it (distributions ship it mode 0666; run as root "
			"otherwise)\n", strerror(errno));
		return give_up(sp, ctx, prog, 2);
	}
	struct fuse *f = sh_tree_new(sp, sp->root);
	pthread_t ft, nt;

	if (!f) {
		fprintf(stderr, "xvids shadow: %s\n", xv_errmsg());
		return give_up(sp, ctx, prog, 2);
	}
	int perr = pthread_create(&ft, NULL, fuse_thread, f);

	if (perr != 0) {
		fprintf(stderr, "xvids shadow: cannot start the FUSE thread: %s\n", strerror(perr));
		sh_tree_stop(f); /* no thread serves it yet: unmount and free it here */
		return give_up(sp, ctx, prog, 2);
	}
	int rc = 0;

	/* In order: a --bind below a host directory lands on top of it. */
	for (size_t i = 0; i < sp->nmounts && rc == 0; i++)
		if (sp->mount_src[i])
			rc = bind_host(sp->mount_src[i], sp->root, sp->mounts[i], sp->mount_rw[i]);
	int sv[2];

	if (rc < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "xvids shadow: %s\n", rc < 0 ? xv_errmsg() : strerror(errno));
		abandon(sp, 2);
	}
	struct child_args ca = { .root = sp->root, .toolproc = sp->toolproc, .argv = cmd,
				 .sock = sv[1] };
	char path[4200];

	if (resolve_cmd(sp->root, cmd[0], path, sizeof(path)) < 0) {
		fprintf(stderr, "xvids shadow: %s: command not found among the host's programs (%s)\n",
			cmd[0], HOST_PATH);
		abandon(sp, 127);
	}
	ca.path = path;
	ca.envp = tool_env();

	ca.prog.len = (unsigned short)(proglen / sizeof(struct sock_filter));
	ca.prog.filter = prog;
	fflush(NULL);
	/* New PID namespace: the tool can signal only its own processes. New network namespace:
	 * netlink and sockets see no host interface (the SIOCGIF* ioctls are answered from the
	 * guest). */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0) {
		close(sv[0]);
		child_init(&ca);
	}
	close(sv[1]);
	if (ca.envp != environ)
		free(ca.envp); /* the child has its own copy (no CLONE_VM) */
	if (pid < 0) {
		fprintf(stderr, "xvids shadow: cannot create a PID namespace: %s\n", strerror(errno));
		cleanup(sp);
		return 2;
	}
	struct sh_notify_arg na = { .s = sp, .fd = recv_fd(sv[0]) };

	close(sv[0]);
	if (na.fd >= 0)
		pthread_create(&nt, NULL, sh_notify_serve, &na);
	int st, code = 2;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cleanup(sp);
	fflush(NULL);
	/* The FUSE and supervisor threads end with the process. */
	_exit(code);
}
#endif
