/* sandbox.c — least privilege after start-up: drop to an unprivileged user, no_new_privs, Landlock
 * (writes only in the state dir) and a seccomp allow-list with argument filters (docs/daemon.md
 * lists every call and why). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xv_config.h"
#include "xvids/err.h"

#if XV_HAVE_SECCOMP
#include <seccomp.h>
#endif
#if __has_include(<linux/landlock.h>)
#include <linux/landlock.h>
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

/* ---- Landlock: the file system is readable (guest RAM files and dumps may be anywhere the
 * admin points), but files are created, written, renamed and removed only beneath the state
 * dir. Files opened before (EVE, the log, the mirror) keep working: Landlock checks at open. */

#if defined(LANDLOCK_CREATE_RULESET_VERSION) && defined(SYS_landlock_create_ruleset)
static int ll_rule(int rfd, const char *dir, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };

	pb.parent_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return xv_err(errno, "landlock: %s: %s", dir, strerror(errno));
	long rc = syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	int e = errno;
	close(pb.parent_fd);
	return rc < 0 ? xv_err(e, "landlock: rule for %s: %s", dir, strerror(e)) : 0;
}

/* 1 applied, 0 not available (kernel), -errno on error. */
static int landlock(const struct xvd *d)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return 0;
	uint64_t write = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_FILE |
			 LANDLOCK_ACCESS_FS_MAKE_REG;
	uint64_t handled = write | LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
			   LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
			   LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
			   LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
	if (abi >= 2) {
		handled |= LANDLOCK_ACCESS_FS_REFER;
		write |= LANDLOCK_ACCESS_FS_REFER; /* rename within the state dir */
	}
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	struct landlock_ruleset_attr ra = { .handled_access_fs = handled };
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rfd < 0)
		return xv_err(errno, "landlock: %s", strerror(errno));
	int rc = ll_rule(rfd, d->state_dir, write);
	/* The private state dir is removed at exit: that takes REMOVE_DIR in its parent (which
	 * can only remove empty directories). */
	if (rc == 0 && d->state_dir_tmp) {
		char parent[sizeof(d->state_dir)];
		snprintf(parent, sizeof(parent), "%s", d->state_dir);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = 0;
			rc = ll_rule(rfd, parent, LANDLOCK_ACCESS_FS_REMOVE_DIR);
		}
	}
	if (rc == 0 && syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
		rc = xv_err(errno, "landlock_restrict_self: %s", strerror(errno));
	close(rfd);
	return rc < 0 ? rc : 1;
}
#else
static int landlock(const struct xvd *d)
{
	(void)d;
	return 0;
}
#endif

#if XV_HAVE_SECCOMP
/* Calls allowed without conditions. What needs them, after start-up:
 *  sessions and the switch: poll/epoll, accept4, recv/send*, read/write, close, fcntl;
 *  guest memory: pread64, lseek, fstat/statx (spec identity), process_vm_readv (live QEMU),
 *    munmap/mremap/madvise (dropping guest pages from RSS), brk (malloc);
 *  re-attach and baselines: rename/unlink/rmdir (Landlock keeps them in the state dir),
 *    readlink, getdents64, faccessat;
 *  connect: QMP and the syslog socket (socket() below only makes AF_UNIX, or UDP for syslog);
 *  fichk's scanning threads: set_robust_list, rseq, futex, exit (clone below);
 *  time, identity, signals, exit. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(lseek), SCMP_SYS(fcntl), SCMP_SYS(getdents64),
	SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(unlinkat),
	SCMP_SYS(readlinkat), SCMP_SYS(faccessat),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(ppoll), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_create1),
	SCMP_SYS(connect), SCMP_SYS(accept4),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(shutdown),
	SCMP_SYS(process_vm_readv),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(futex),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getrandom), SCMP_SYS(uname),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(restart_syscall), SCMP_SYS(sched_yield), SCMP_SYS(prlimit64), SCMP_SYS(sysinfo),
	SCMP_SYS(getrlimit), SCMP_SYS(accept),
	/* Older names of the above (libseccomp skips those an architecture does not have). */
	SCMP_SYS(poll), SCMP_SYS(rename), SCMP_SYS(unlink), SCMP_SYS(rmdir), SCMP_SYS(readlink),
	SCMP_SYS(time),
#ifdef __NR_open
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(access),
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

/* The rules with argument filters. Each line is one alternative; a call matching none is
 * denied. */
static int add_filtered(scmp_filter_ctx f, int udp_family)
{
	const scmp_datum_t wmask = O_ACCMODE | O_CREAT | O_TRUNC, nmask = O_CREAT | O_EXCL | O_TRUNC;
	int rc = 0;
#define RULE(sys, ...) \
	do { if (rc == 0) rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sys), __VA_ARGS__); } while (0)
	/* openat: read-only, or a file that does not exist yet (mkstemp for baselines); never an
	 * existing file opened for writing or truncated. */
	RULE(openat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wmask, O_RDONLY));
	RULE(openat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, nmask, O_CREAT | O_EXCL));
#ifdef __NR_open
	RULE(open, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, wmask, O_RDONLY));
	RULE(open, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, nmask, O_CREAT | O_EXCL));
#endif
	/* socket: unix sockets (QMP, syslog unix:); UDP only for a udp: syslog target. */
	RULE(socket, 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (udp_family)
		RULE(socket, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)udp_family),
		     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM));
	/* ioctl: what stdio and non-blocking I/O may ask; no device or terminal-injection
	 * requests (TIOCSTI, TUNSETIFF after start-up, ...). */
	RULE(ioctl, 1, SCMP_A1(SCMP_CMP_EQ, TCGETS));
	RULE(ioctl, 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	RULE(ioctl, 1, SCMP_A1(SCMP_CMP_EQ, FIONBIO));
	RULE(ioctl, 1, SCMP_A1(SCMP_CMP_EQ, FIOCLEX));
	/* Memory: never new executable pages (no code injected after start-up). */
	RULE(mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	RULE(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* clone: threads only (fichk's scanners); no new process (fork). clone3 passes its flags
	 * in memory the filter cannot read: ENOSYS makes glibc fall back to clone. */
	RULE(clone, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* kill: only "is it alive" probes (signal 0), never a real signal. */
	RULE(kill, 1, SCMP_A1(SCMP_CMP_EQ, 0));
#undef RULE
	return rc;
}
#endif

int xvd_sandbox(struct xvd *d)
{
	int debug = d->cfg.sandbox_debug, applied = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return xv_err(errno, "no_new_privs: %s", strerror(errno));
	int ll = landlock(d);
	if (ll < 0)
		return ll;
	if (ll)
		applied |= XVD_SANDBOX_LANDLOCK;
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
	int udp = 0;
	if (strncmp(d->cfg.syslog, "udp:", 4) == 0)
		udp = d->cfg.syslog[4] == '[' ? AF_INET6 : AF_INET;
	if (add_filtered(f, udp) < 0) {
		seccomp_release(f);
		return xv_err(EINVAL, "seccomp: cannot add the argument filters");
	}
	if (debug) {
		struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
		sigaction(SIGSYS, &sa, NULL);
	}
	int rc = seccomp_load(f);
	seccomp_release(f);
	if (rc < 0)
		return xv_err(-rc, "seccomp_load: %s", strerror(-rc));
	applied |= XVD_SANDBOX_SECCOMP;
#else
	(void)debug;
#endif
	return applied;
}
