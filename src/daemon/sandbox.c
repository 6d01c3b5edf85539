/* sandbox.c — least privilege after start-up: drop to an unprivileged user, no_new_privs, and a
 * seccomp allow-list of the system calls the daemon needs (docs/daemon.md lists them). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xv_config.h"
#include "xvids/err.h"

#if XV_HAVE_SECCOMP
#include <seccomp.h>
#endif

int xvd_lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return xv_err(ENOENT, "no user '%s'", user);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int xvd_drop_user(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return xv_err(errno, "cannot drop privileges to uid %u: %s", (unsigned)uid,
			      strerror(errno));
	/* Make sure there is no way back. */
	if (setuid(0) == 0 && uid != 0)
		return xv_err(EPERM, "privileges were not dropped (setuid(0) still works)");
	return 0;
}

#if XV_HAVE_SECCOMP
/* What the daemon does after start-up, and the calls it takes:
 *  event loop and sessions: poll/ppoll, accept4, recv/send, read/write, close, fcntl
 *  guest memory: openat/open (RAM files, dumps), mmap/munmap/mremap, pread64, lseek, fstat,
 *    socket/connect for QMP, process_vm_readv (live QEMU), kill(pid, 0)? no: not allowed
 *  memory allocation: brk, mmap, munmap, madvise, mprotect (malloc arenas)
 *  alerts: write to the EVE file, sendto (syslog UDP/unix), send to the hook helper
 *  baselines: openat(O_CREAT) in the state dir, rename, unlink
 *  switch: epoll_wait/epoll_ctl, recvmsg/sendmsg, accept4 on its sockets
 *  time, exit, signals: clock_gettime, nanosleep, rt_sig*, exit_group
 * Not allowed (the process dies): execve, fork/clone, ptrace, setuid family, mount,
 * process_vm_writev, and everything else not listed. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(close), SCMP_SYS(openat), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(lseek), SCMP_SYS(fcntl), SCMP_SYS(ioctl), SCMP_SYS(getdents64),
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(unlink),
	SCMP_SYS(unlinkat), SCMP_SYS(rmdir), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(faccessat),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(mprotect),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_create1),
	SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(accept), SCMP_SYS(accept4),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(shutdown),
	SCMP_SYS(process_vm_readv),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getrandom), SCMP_SYS(futex), SCMP_SYS(uname),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(wait4), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(restart_syscall), SCMP_SYS(sched_yield), SCMP_SYS(getrlimit),
	SCMP_SYS(prlimit64), SCMP_SYS(sysinfo),
#ifdef __NR_open
	SCMP_SYS(open), SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(access),
#endif
};

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[96];
	(void)sig, (void)uc;
	int n = snprintf(msg, sizeof(msg), "xvidsd: sandbox: system call %d is not allowed\n",
			 si->si_syscall);
	if (write(2, msg, (size_t)n) < 0) {
		/* nothing left to report with */
	}
	_exit(3);
}
#endif

int xvd_sandbox(int debug)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return xv_err(errno, "no_new_privs: %s", strerror(errno));
#if XV_HAVE_SECCOMP
	uint32_t deny = debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer's exit-time check clones a ptrace helper: a sanitizer build can only log
	 * what the allow-list would deny. Release builds enforce it. */
	deny = SCMP_ACT_LOG;
	xvd_log("sandbox: sanitizer build, seccomp in log-only mode");
#endif
	scmp_filter_ctx f = seccomp_init(deny);
	if (!f)
		return xv_err(ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0) < 0) {
			seccomp_release(f);
			return xv_err(EINVAL, "seccomp: cannot allow syscall %d", allowed[i]);
		}
	/* kill(): only "is it alive" probes (signal 0), never a real signal. */
	seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A1(SCMP_CMP_EQ, 0));
	if (debug) {
		struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
		sigaction(SIGSYS, &sa, NULL);
	}
	int rc = seccomp_load(f);
	seccomp_release(f);
	if (rc < 0)
		return xv_err(-rc, "seccomp_load: %s", strerror(-rc));
	return 1;
#else
	(void)debug;
	return 0;
#endif
}
