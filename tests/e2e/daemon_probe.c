/* daemon_probe.c — test-only LD_PRELOAD library for tests/e2e/daemon-sandbox.sh: on SIGUSR1 the
 * xvidsd process itself makes the system call named in $XVIDSD_PROBE_DIR/probe and appends what
 * happened to $XVIDSD_PROBE_DIR/result. It stands in for code an attacker got to run inside the
 * daemon after start-up (the sandbox is applied by then). Compiled by the test, never built into
 * xvidsd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[512], state[512];
static int result_fd = -1;

static void put(const char *line, int n)
{
	if (n > 0 && write(result_fd, line, (size_t)n) < 0) {
		/* nothing to report with */
	}
}

static void tag(const char *name)
{
	if (write(result_fd, name, strlen(name)) < 0) {
		/* nothing to report with */
	}
}

/* Each probe writes "NAME nr=N: before" first: a call the sandbox kills never gets to "after". */
static void probe(const char *name)
{
	char p[600], q[600];
	long rc = -1;
	int e = 0;

	char line[128];
#define BEFORE(nr) do { tag(name); put(line, snprintf(line, sizeof(line), " nr=%ld: before\n", \
						   (long)(nr))); } while (0)
	if (strcmp(name, "getpid") == 0) {
		BEFORE(SYS_getpid);
		rc = syscall(SYS_getpid);
	} else if (strcmp(name, "create-state") == 0) {
		snprintf(p, sizeof(p), "%s/probe-inside", state);
		BEFORE(SYS_openat);
		rc = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} else if (strcmp(name, "create-outside") == 0) {
		snprintf(p, sizeof(p), "%s/probe-outside", dir);
		BEFORE(SYS_openat);
		rc = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} else if (strcmp(name, "unlink-outside") == 0) {
		snprintf(p, sizeof(p), "%s/victim", dir);
		BEFORE(SYS_unlinkat);
		rc = unlink(p);
	} else if (strcmp(name, "rename-out") == 0) {
		snprintf(p, sizeof(p), "%s/probe-inside", state);
		snprintf(q, sizeof(q), "%s/probe-moved", dir);
		BEFORE(SYS_renameat2);
		rc = rename(p, q);
	} else if (strcmp(name, "open-write") == 0) {
		snprintf(p, sizeof(p), "%s/victim", dir);
		BEFORE(SYS_openat);
		rc = open(p, O_WRONLY | O_CLOEXEC);
	} else if (strcmp(name, "execve") == 0) {
		snprintf(p, sizeof(p), "touch %s/pwned", dir);
		char *argv[] = { "sh", "-c", p, NULL };
		BEFORE(SYS_execve);
		rc = execve("/bin/sh", argv, environ);
	} else if (strcmp(name, "fork") == 0) {
		BEFORE(SYS_clone);
		rc = fork();
		if (rc == 0)
			_exit(0);
	} else if (strcmp(name, "socket-inet") == 0) {
		BEFORE(SYS_socket);
		rc = socket(AF_INET, SOCK_STREAM, 0);
	} else if (strcmp(name, "ioctl-tiocsti") == 0) {
		char ch = 'x';
		BEFORE(SYS_ioctl);
		rc = ioctl(2, TIOCSTI, &ch);
	} else if (strcmp(name, "mmap-exec") == 0) {
		BEFORE(SYS_mmap);
		void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc = m == MAP_FAILED ? -1 : 0;
	} else if (strcmp(name, "setuid") == 0) {
		BEFORE(SYS_setuid);
		rc = setuid(0);
	} else {
		tag(name);
		put(": unknown probe\n", 16);
		return;
	}
	e = rc < 0 ? errno : 0;
	tag(name);
	put(line, snprintf(line, sizeof(line), ": after rc=%ld errno=%d\n", rc, e));
}

static void on_usr1(int sig)
{
	char p[600], name[64];
	(void)sig;
	snprintf(p, sizeof(p), "%s/probe", dir);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, name, sizeof(name) - 1);
	close(fd);
	if (n <= 0)
		return;
	name[n] = 0;
	name[strcspn(name, "\r\n")] = 0;
	probe(name);
}

__attribute__((constructor)) static void init(void)
{
	const char *d = getenv("XVIDSD_PROBE_DIR"), *s = getenv("XVIDSD_PROBE_STATE");
	if (!d || !s)
		return;
	snprintf(dir, sizeof(dir), "%s", d);
	snprintf(state, sizeof(state), "%s", s);
	char p[600];
	snprintf(p, sizeof(p), "%s/result", dir);
	/* Opened now, before the sandbox, like the daemon's own log and EVE file. */
	result_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
}
