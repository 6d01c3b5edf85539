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

#define FUSE_USE_VERSION 31
#include <fuse.h>

#include "cmd/cmd.h"
#include "shadow/shadow.h"
#include "xvids/err.h"

/* Host directories bound over the tree: the tool's programs, loader and libraries, and /dev. */
static const char *const host_dirs[] = { "usr", "lib64", "dev", NULL };

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
		"  --btf FILE, --system-map FILE, --pause   as for xvids\n"
		"Exit status: COMMAND's own; 2 when the shadow cannot be set up.\n"
		"See docs/shadow.md.\n");
}

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

static int bind(const char *src, const char *root, const char *name, int ro)
{
	char dst[4200];

	snprintf(dst, sizeof(dst), "%s/%s", root, name);
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return xv_err(errno, "cannot bind %s on /%s (%s)", src, name, strerror(errno));
	if (ro)
		mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
	return 0;
}

struct child_args {
	const char *root;
	char **argv;
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

/* PID 1 of the tool's PID namespace (raw clone of a threaded parent: no locks, no malloc). */
static int child_init(struct child_args *a)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/.xvids-proc", a->root);
	if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mounting the tool's own /proc");
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
		execvp(a->argv[0], a->argv);
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'v' },
		{ "btf", required_argument, NULL, 'B' },
		{ "system-map", required_argument, NULL, 'S' },
		{ "pause", no_argument, NULL, 'P' },
		{ "bind", required_argument, NULL, 'b' },
		{ "ttl", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xv_ctx ctx = { .out = stdout, .err = stderr };
	struct shadow s = { .ttl = 1.0, .host_dirs = host_dirs };
	char *bind_src[16];
	int c;

	pthread_mutex_init(&s.lock, NULL);
	s.bind_names = calloc(16, sizeof(char *));
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'v': ctx.vm_spec = optarg; break;
		case 'B': ctx.btf_path = optarg; break;
		case 'S': ctx.system_map = optarg; break;
		case 'P': ctx.pause = 1; break;
		case 't': s.ttl = atof(optarg); break;
		case 'V': s.verbose = 1; break;
		case 'b': {
			char *colon = strrchr(optarg, ':');

			if (!colon || colon == optarg || !colon[1] || strchr(colon + 1, '/') ||
			    s.nbind >= 16) {
				fprintf(stderr, "xvids shadow: --bind wants HOSTDIR:NAME (NAME: one "
					"top-level name, at most 16 binds)\n");
				return 2;
			}
			*colon = '\0';
			bind_src[s.nbind] = optarg;
			s.bind_names[s.nbind++] = colon + 1;
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
#if !XV_HAVE_FUSE || !XV_HAVE_SECCOMP
	fprintf(stderr, "xvids shadow: this build lacks %s; rebuild with libfuse3-dev and "
		"libseccomp-dev installed\n", !XV_HAVE_FUSE ? "FUSE (libfuse3)" : "libseccomp");
	return 2;
#endif
	if (xv_ctx_kernel(&ctx, &s.k) < 0) {
		fprintf(stderr, "xvids shadow: %s\n", xv_errmsg());
		return 2;
	}
	if (xv_fs_open(s.k, &s.fs) < 0) {
		snprintf(s.fs_why, sizeof(s.fs_why), "%s", xv_errmsg());
		fprintf(stderr, "xvids shadow: warning: the guest's files are not available (%s); "
			"only /proc is shadowed\n", s.fs_why);
		s.fs = NULL;
	}
	void *prog;
	size_t proglen;

	if (sh_notify_filter(&prog, &proglen) < 0 || enter_namespaces() < 0) {
		fprintf(stderr, "xvids shadow: %s\n", xv_errmsg());
		return 2;
	}
	snprintf(s.root, sizeof(s.root), "/tmp/xvids-shadow.XXXXXX");
	if (!mkdtemp(s.root)) {
		fprintf(stderr, "xvids shadow: cannot create a mount point in /tmp: %s\n", strerror(errno));
		return 2;
	}
	struct fuse *f = sh_tree_new(&s, s.root);
	pthread_t ft, nt;

	if (!f || pthread_create(&ft, NULL, fuse_thread, f) != 0) {
		fprintf(stderr, "xvids shadow: %s\n", xv_errmsg());
		rmdir(s.root);
		return 2;
	}
	int rc = 0;

	for (size_t i = 0; host_dirs[i] && rc == 0; i++) {
		char hp[64];

		snprintf(hp, sizeof(hp), "/%s", host_dirs[i]);
		if (access(hp, F_OK) == 0)
			rc = bind(hp, s.root, host_dirs[i], strcmp(host_dirs[i], "dev") != 0);
	}
	for (size_t i = 0; i < s.nbind && rc == 0; i++)
		rc = bind(bind_src[i], s.root, s.bind_names[i], 0);
	int sv[2];

	if (rc < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "xvids shadow: %s\n", rc < 0 ? xv_errmsg() : strerror(errno));
		umount2(s.root, MNT_DETACH);
		rmdir(s.root);
		return 2;
	}
	struct child_args ca = { .root = s.root, .argv = argv + optind, .sock = sv[1] };

	ca.prog.len = (unsigned short)(proglen / sizeof(struct sock_filter));
	ca.prog.filter = prog;
	fflush(NULL);
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0) {
		close(sv[0]);
		child_init(&ca);
	}
	close(sv[1]);
	if (pid < 0) {
		fprintf(stderr, "xvids shadow: cannot create a PID namespace: %s\n", strerror(errno));
		umount2(s.root, MNT_DETACH);
		rmdir(s.root);
		return 2;
	}
	struct sh_notify_arg na = { .s = &s, .fd = recv_fd(sv[0]) };

	close(sv[0]);
	if (na.fd >= 0)
		pthread_create(&nt, NULL, sh_notify_serve, &na);
	int st, code = 2;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	umount2(s.root, MNT_DETACH);
	rmdir(s.root);
	fflush(NULL);
	/* The FUSE and supervisor threads end with the process. */
	_exit(code);
}
