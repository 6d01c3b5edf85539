/* hook.c — the alert hook: a helper process, forked before the sandbox is applied, that runs the
 * configured program (no shell) with each alert's JSON on its stdin. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xvids/err.h"

#define HOOK_MSG_MAX 65536
#define HOOK_TIMEOUT_MS 10000

static void run_one(char **argv, const char *msg, size_t len)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		dup2(p[0], 0);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			close(null);
		}
		char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "XVIDS_ALERT=1", NULL };
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(p[1], msg + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (write(p[1], "\n", 1) < 0) {
		/* the hook closed its stdin early: its choice */
	}
	close(p[1]);
	/* A hook that hangs is killed: the next alert must not wait forever. */
	for (int waited = 0;; waited += 10) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (waited >= HOOK_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		struct timespec ts = { 0, 10L * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void helper(int fd, const char *cmdline)
{
	char *copy = strdup(cmdline);
	char *argv[33];
	char *msg = malloc(HOOK_MSG_MAX);

	if (!copy || !msg)
		_exit(1);
	int argc = xvd_split(copy, argv, 32);
	if (argc <= 0)
		_exit(1);
	argv[argc] = NULL;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (;;) {
		ssize_t n = recv(fd, msg, HOOK_MSG_MAX, 0);
		if (n == 0)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		run_one(argv, msg, (size_t)n);
	}
}

int xvd_hook_start(const char *cmdline, uid_t uid, gid_t gid)
{
	char *copy = strdup(cmdline);
	char *argv[33];
	int sv[2];

	if (!copy)
		return -ENOMEM;
	int argc = xvd_split(copy, argv, 32);
	if (argc <= 0 || argv[0][0] != '/') {
		free(copy);
		return xv_err(EINVAL, "hook: give the program's absolute path (it is run without a "
				      "shell): %s", cmdline);
	}
	if (access(argv[0], X_OK) < 0) {
		int e = errno;
		xv_err(e, "hook: %s is not executable: %s", argv[0], strerror(e));
		free(copy);
		return -e;
	}
	free(copy);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return xv_err(errno, "hook: socketpair: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return xv_err(errno, "hook: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		/* Close whatever else the daemon had open (listening socket, guest files). */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				close(fd);
		if (getuid() == 0 && uid != 0 && xvd_drop_user(uid, gid) < 0)
			_exit(1);
		helper(sv[1], cmdline);
		_exit(0);
	}
	close(sv[1]);
	int fl = fcntl(sv[0], F_GETFL);
	fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
	return sv[0];
}

int xvd_hook_send(int fd, const char *json)
{
	size_t n = strlen(json);

	if (n > HOOK_MSG_MAX)
		return xv_err(E2BIG, "alert too large for the hook (%zu bytes)", n);
	if (send(fd, json, n, MSG_NOSIGNAL) != (ssize_t)n)
		return xv_err(errno, "cannot pass the alert to the hook helper: %s",
			      errno == EAGAIN ? "hook is too slow, alert dropped" : strerror(errno));
	return 0;
}
