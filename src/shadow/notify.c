/* notify.c — system calls answered from the guest: a seccomp user-notification supervisor (uname, sysinfo, kill/getpriority probes, SIOCGIF* ioctls). */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "shadow/shadow.h"
#include "xvids/err.h"

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

/* The ioctls answered from the guest's net devices; the others of the SIOC[GS]IF* range are
 * refused so the tool never sees or changes the host's interfaces. */
static const unsigned long if_ioctls[] = { SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFINDEX, SIOCGIFNAME,
					   SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFADDR, SIOCSIFFLAGS,
					   SIOCSIFADDR, SIOCSIFMTU, SIOCSIFNAME, SIOCSIFHWADDR,
					   SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFDSTADDR };

int sh_notify_filter(uint32_t bound, void **prog, size_t *len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = 0, fd = -1;

	*prog = NULL;
	if (!ctx)
		return xv_err(ENOMEM, "seccomp_init failed");
	const int calls[] = { SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(sethostname),
			      SCMP_SYS(setdomainname), SCMP_SYS(setpriority) };

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, calls[i], 0);
	/* kill(pid, sig) and getpriority(PRIO_PROCESS, pid): pid compared as 32 bits (the upper
	 * half of an int argument is undefined). libseccomp tests the masked-equality rules
	 * (negative pids, the tool's pid range) before the range rules; tests/e2e/shadow.sh
	 * checks the outcome. */
	struct { int nr; unsigned arg; } probes[] = { { SCMP_SYS(kill), 0 },
						     { SCMP_SYS(getpriority), 1 } };

	for (size_t i = 0; i < 2 && rc == 0; i++) {
		unsigned a = probes[i].arg;
		struct scmp_arg_cmp le = { a, SCMP_CMP_LE, 0xffffffffu, bound };
		struct scmp_arg_cmp gt = { a, SCMP_CMP_GT, 0xffffffffu, bound };
		struct scmp_arg_cmp neg = { a, SCMP_CMP_MASKED_EQ, 0x80000000u, 0x80000000u };
		struct scmp_arg_cmp tool = { a, SCMP_CMP_MASKED_EQ, 0xffff0000u, SH_TOOL_PID_BASE };
		struct scmp_arg_cmp who = { 0, SCMP_CMP_EQ, 0xffffffffu, 0 }; /* PRIO_PROCESS */
		int nr = probes[i].nr;

		if (nr == SCMP_SYS(getpriority)) {
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 2, who, le);
			if (rc == 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 2, who, neg);
			if (rc == 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 2, who, tool);
			if (rc == 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ESRCH), nr, 2, who, gt);
		} else {
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1, le);
			if (rc == 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1, neg);
			if (rc == 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1, tool);
			if (rc == 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ESRCH), nr, 1, gt);
		}
	}
	for (size_t i = 0; i < sizeof(if_ioctls) / sizeof(if_ioctls[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_EQ, if_ioctls[i]));
	if (rc == 0) {
		fd = memfd_create("xvids-seccomp", 0);
		rc = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	}
	seccomp_release(ctx);
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		return xv_err(-rc, "building the seccomp filter: %s", strerror(-rc));
	}
	off_t sz = lseek(fd, 0, SEEK_END);

	*prog = sz > 0 ? malloc((size_t)sz) : NULL;
	if (!*prog || pread(fd, *prog, (size_t)sz, 0) != sz) {
		free(*prog);
		*prog = NULL;
		close(fd);
		return xv_err(EIO, "exporting the seccomp filter");
	}
	close(fd);
	*len = (size_t)sz;
	return 0;
}

/* Access to the caller's memory; every use is checked against the notification's validity so a
 * recycled pid can never be written. */
static int mem_open(int nfd, const struct seccomp_notif *req)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%u/mem", req->pid);
	int fd = open(p, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (seccomp_notify_id_valid(nfd, req->id) != 0) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int mem_put(int nfd, const struct seccomp_notif *req, uint64_t addr, const void *buf, size_t n)
{
	int fd = mem_open(nfd, req);

	if (fd < 0)
		return fd;
	ssize_t w = pwrite(fd, buf, n, (off_t)addr);

	close(fd);
	return w == (ssize_t)n ? 0 : -EFAULT;
}

static int mem_get(int nfd, const struct seccomp_notif *req, uint64_t addr, void *buf, size_t n)
{
	int fd = mem_open(nfd, req);

	if (fd < 0)
		return fd;
	ssize_t r = pread(fd, buf, n, (off_t)addr);

	close(fd);
	return r == (ssize_t)n ? 0 : -EFAULT;
}

struct devs {
	struct sh_net_dev *v;
	size_t n;
};

static const struct sh_net_dev *dev_by_name(const struct devs *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->v[i].name, name, IFNAMSIZ) == 0)
			return &s->v[i];
	return NULL;
}

static int do_ioctl(const struct devs *s, int nfd, const struct seccomp_notif *req)
{
	unsigned long cmd = req->data.args[1];
	uint64_t arg = req->data.args[2];
	struct ifreq ifr;

	if (cmd == SIOCGIFCONF) {
		struct ifconf ifc;
		int n = 0;

		if (mem_get(nfd, req, arg, &ifc, sizeof(ifc)) < 0)
			return -EFAULT;
		for (size_t i = 0; i < s->n; i++) {
			const struct sh_net_dev *d = &s->v[i];

			if (!d->addr4)
				continue; /* inet_gifconf lists IPv4 addresses only */
			if (ifc.ifc_buf) {
				if ((size_t)(n + 1) * sizeof(ifr) > (size_t)ifc.ifc_len)
					break;
				memset(&ifr, 0, sizeof(ifr));
				memcpy(ifr.ifr_name, d->name, IFNAMSIZ - 1);
				ifr.ifr_name[IFNAMSIZ - 1] = 0;
				struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

				sin->sin_family = AF_INET;
				sin->sin_addr.s_addr = d->addr4;
				if (mem_put(nfd, req, (uint64_t)(uintptr_t)ifc.ifc_buf + n * sizeof(ifr),
					    &ifr, sizeof(ifr)) < 0)
					return -EFAULT;
			}
			n++;
		}
		ifc.ifc_len = n * (int)sizeof(ifr);
		return mem_put(nfd, req, arg, &ifc, sizeof(ifc.ifc_len));
	}
	if (cmd == SIOCSIFFLAGS || cmd == SIOCSIFADDR || cmd == SIOCSIFMTU || cmd == SIOCSIFNAME ||
	    cmd == SIOCSIFHWADDR)
		return -EPERM;
	if (mem_get(nfd, req, arg, &ifr, sizeof(ifr)) < 0)
		return -EFAULT;
	const struct sh_net_dev *d = NULL;

	if (cmd == SIOCGIFNAME) {
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i].ifindex == ifr.ifr_ifindex)
				d = &s->v[i];
		if (!d)
			return -ENODEV;
		memcpy(ifr.ifr_name, d->name, IFNAMSIZ - 1);
				ifr.ifr_name[IFNAMSIZ - 1] = 0;
		return mem_put(nfd, req, arg, &ifr, sizeof(ifr));
	}
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	d = dev_by_name(s, ifr.ifr_name);
	if (!d)
		return -ENODEV;
	switch (cmd) {
	case SIOCGIFFLAGS:
		ifr.ifr_flags = (short)d->flags;
		break;
	case SIOCGIFINDEX:
		ifr.ifr_ifindex = d->ifindex;
		break;
	case SIOCGIFMTU:
		ifr.ifr_mtu = (int)d->mtu;
		break;
	case SIOCGIFHWADDR:
		memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
		ifr.ifr_hwaddr.sa_family = d->type;
		memcpy(ifr.ifr_hwaddr.sa_data, d->hwaddr, 6);
		break;
	case SIOCGIFADDR: {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

		if (!d->addr4)
			return -EADDRNOTAVAIL;
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = d->addr4;
		break;
	}
	default:
		return -EOPNOTSUPP; /* netmask/broadcast: not read from the guest yet */
	}
	return mem_put(nfd, req, arg, &ifr, sizeof(ifr));
}

/* Is pid one of the tool's own processes (in its PID namespace)? Its init (pid 1) or the
 * tool range. */
static int own_pid(struct shadow *s, long pid)
{
	char p[8448];

	if (pid != 1 && !SH_IS_TOOL_PID(pid))
		return 0;
	snprintf(p, sizeof(p), "%s/%ld", s->toolproc, pid);
	return access(p, F_OK) == 0;
}

/* Does the guest have this pid (1/0, or -EIO)? Its nice value too. */
static int guest_has(struct shadow *s, int pid, int *nice)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = sh_snap_get(s);
	if (rc == 0) {
		const struct sh_task *t = sh_task_find(s, pid);

		rc = t != NULL;
		if (t && nice)
			*nice = t->nice;
	} else {
		rc = -EIO;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Returns the syscall's value (>= 0), -errno, or 1 << 30 for "let the kernel run it". */
#define SH_CONTINUE (1L << 30)

/* Guest data is read under s->lock; the caller's memory is accessed without it (a page of the
 * caller could be backed by the FUSE tree, whose thread may be waiting for the lock). */
static long handle(struct shadow *s, int nfd, const struct seccomp_notif *req)
{
	const struct xv_kernel_info *ki = xv_kernel_info(s->k);
	int nr = req->data.nr;

	if (nr == SCMP_SYS(uname)) {
		struct utsname u;

		memset(&u, 0, sizeof(u));
		snprintf(u.sysname, sizeof(u.sysname), "Linux");
		snprintf(u.nodename, sizeof(u.nodename), "%s", ki->nodename);
		snprintf(u.release, sizeof(u.release), "%s", ki->release);
		snprintf(u.version, sizeof(u.version), "%s", ki->uts_version);
		snprintf(u.machine, sizeof(u.machine), "%s", ki->uts_machine);
		snprintf(u.domainname, sizeof(u.domainname), "(none)");
		return mem_put(nfd, req, req->data.args[0], &u, sizeof(u));
	}
	if (nr == SCMP_SYS(sethostname) || nr == SCMP_SYS(setdomainname) ||
	    nr == SCMP_SYS(setpriority))
		return -EPERM;
	if (nr == SCMP_SYS(sysinfo)) {
		struct sysinfo si;
		uint64_t up, total, freep;
		long loads[3];

		memset(&si, 0, sizeof(si));
		pthread_mutex_lock(&s->lock);
		if (sh_snap_get(s) < 0) {
			pthread_mutex_unlock(&s->lock);
			return -EIO;
		}
		sh_guest_uptime(s, &up);
		si.uptime = (long)(up / 1000000000ull);
		if (sh_guest_loads(s, loads) == 0)
			for (int i = 0; i < 3; i++)
				si.loads[i] = (unsigned long)loads[i] << (SI_LOAD_SHIFT - 11);
		if (sh_guest_mem(s, &total, &freep) == 0) {
			si.totalram = total;
			si.freeram = freep;
		}
		si.procs = (unsigned short)(s->snap.ntasks > 65535 ? 65535 : s->snap.ntasks);
		pthread_mutex_unlock(&s->lock);
		si.mem_unit = 4096;
		return mem_put(nfd, req, req->data.args[0], &si, sizeof(si));
	}
	if (nr == SCMP_SYS(kill)) {
		long pid = (int)req->data.args[0];
		int sig = (int)req->data.args[1];

		if (SH_IS_TOOL_PID(pid) || pid <= 0)
			return SH_CONTINUE;
		int known = guest_has(s, (int)pid, NULL);

		if (known < 0)
			return known;
		if (sig == 0)
			return known ? 0 : -ESRCH;
		/* Real signals stay inside the tool's PID namespace (pid <= 0 means the caller's
		 * group or all of the namespace); a guest pid is never signalled. */
		if (own_pid(s, pid))
			return SH_CONTINUE;
		return known ? -EPERM : -ESRCH;
	}
	if (nr == SCMP_SYS(getpriority)) {
		int which = (int)req->data.args[0];
		long who = (int)req->data.args[1];

		if (which != PRIO_PROCESS || who <= 0 || SH_IS_TOOL_PID(who))
			return SH_CONTINUE;
		int nice = 0, known = guest_has(s, (int)who, &nice);

		if (known < 0)
			return known;
		return known ? 20 - nice : -ESRCH;
	}
	if (nr == SCMP_SYS(ioctl)) {
		struct devs d = { 0 };

		pthread_mutex_lock(&s->lock);
		if (sh_snap_get(s) == 0 && s->snap.ndevs) {
			d.v = malloc(s->snap.ndevs * sizeof(*d.v));
			if (d.v) {
				memcpy(d.v, s->snap.devs, s->snap.ndevs * sizeof(*d.v));
				d.n = s->snap.ndevs;
			}
		}
		pthread_mutex_unlock(&s->lock);
		long rc = do_ioctl(&d, nfd, req);

		free(d.v);
		return rc;
	}
	return SH_CONTINUE;
}

void *sh_notify_serve(void *arg)
{
	struct sh_notify_arg *a = arg;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;

	if (seccomp_notify_alloc(&req, &resp) != 0)
		return NULL;
	for (;;) {
		memset(req, 0, sizeof(*req));
		if (seccomp_notify_receive(a->fd, req) != 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break; /* the filter's last user is gone */
		}
		long v = handle(a->s, a->fd, req);

		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		if (v == SH_CONTINUE)
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		else if (v < 0)
			resp->error = (int32_t)v;
		else
			resp->val = v;
		seccomp_notify_respond(a->fd, resp); /* ENOENT: the caller died meanwhile */
	}
	seccomp_notify_free(req, resp);
	return NULL;
}
