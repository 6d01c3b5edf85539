/* procpid.c — /proc/PID/{stat,status,cmdline,comm,exe,cwd,root,fd/} built from a guest task_struct. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/shadow.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define NSEC_PER_TICK UINT64_C(10000000) /* USER_HZ = 100 */
#define SH_CMDLINE_MAX (128u << 10)
#define SH_MAX_FDS 65536u

static uint64_t f64(struct shadow *s, const char *type, const char *path, uint64_t obj)
{
	uint64_t v = 0;

	if (obj && xv_obj_u64(s->k, type, path, obj, &v) < 0)
		v = 0;
	return v;
}

#define T(path) f64(s, "task_struct", path, t->t.addr)
#define MM(path) f64(s, "mm_struct", path, mm)

static int pid_of(struct shadow *s, uint64_t pid)
{
	return pid ? (int)f64(s, "pid", "numbers[0].nr", pid) : 0;
}

/* Read user memory of the task through its own page tables, page by page; stops at a hole. */
static size_t user_read(struct shadow *s, uint64_t mm, uint64_t va, uint8_t *buf, size_t len)
{
	struct xv_vat *vat = xv_kernel_vat(s->k);
	uint64_t pgd = MM("pgd"), pgd_pa;
	size_t got = 0;

	if (!pgd || xv_vat_translate(vat, pgd, &pgd_pa, NULL) < 0)
		return 0;
	while (got < len) {
		size_t chunk = 4096 - ((va + got) & 4095);

		if (chunk > len - got)
			chunk = len - got;
		if (xv_vat_read_root(vat, pgd_pa, va + got, buf + got, chunk) < 0)
			break;
		got += chunk;
	}
	return got;
}

static void put_cmdline(struct shadow *s, const struct sh_task *t, struct sh_buf *out)
{
	uint64_t mm = t->t.kthread ? 0 : t->t.mm;

	if (!mm)
		return;
	uint64_t a = MM("arg_start"), e = MM("arg_end");

	if (!a || e <= a)
		return;
	size_t len = e - a > SH_CMDLINE_MAX ? SH_CMDLINE_MAX : (size_t)(e - a);
	uint8_t *b = malloc(len);

	if (!b)
		return;
	size_t got = user_read(s, mm, a, b, len);

	/* The kernel stops at the first NUL when the last byte of the arguments was overwritten
	 * (setproctitle); otherwise it returns the whole NUL-separated area. */
	if (got == len && got && b[got - 1] != '\0') {
		size_t n = strnlen((char *)b, got);

		got = n;
	}
	sh_putn(out, b, got);
	free(b);
}

#define PF_WQ_WORKER 0x00000020u
#define PF_KTHREAD 0x00200000u

/* proc_task_name(): a workqueue worker's comm gets "+desc" (busy) or "-desc", a kernel
 * thread's its full name when comm had to be cut to 16 bytes. */
void sh_task_name(struct shadow *s, const struct sh_task *t, char *buf, size_t size)
{
	uint32_t flags = (uint32_t)T("flags");
	uint64_t kt = (flags & PF_KTHREAD) ? T("worker_private") : 0;
	char tmp[64];

	snprintf(buf, size, "%s", t->t.comm);
	if (!kt)
		return;
	if (flags & PF_WQ_WORKER) {
		uint64_t worker = f64(s, "kthread", "data", kt);
		char desc[32] = "";

		if (worker && f64(s, "worker", "pool", worker) &&
		    xv_obj_str(s->k, "worker", "desc", worker, desc, sizeof(desc)) == 0 && desc[0]) {
			snprintf(tmp, sizeof(tmp), "%s%c%s", t->t.comm,
				 f64(s, "worker", "current_work", worker) ? '+' : '-', desc);
			snprintf(buf, size, "%s", tmp);
		}
	} else if (f64(s, "kthread", "full_name", kt) &&
		   xv_obj_str(s->k, "kthread", "full_name", kt, tmp, sizeof(tmp)) == 0 && tmp[0]) {
		snprintf(buf, size, "%s", tmp);
	}
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
}

static const char *state_name(char c)
{
	switch (c) {
	case 'R': return "R (running)";
	case 'S': return "S (sleeping)";
	case 'D': return "D (disk sleep)";
	case 'T': return "T (stopped)";
	case 't': return "t (tracing stop)";
	case 'X': return "X (dead)";
	case 'Z': return "Z (zombie)";
	case 'P': return "P (parked)";
	case 'I': return "I (idle)";
	default: return "R (running)";
	}
}

static uint64_t mm_rss(struct shadow *s, uint64_t mm)
{
	/* MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES (MM_SWAPENTS is not resident). */
	int64_t r = (int64_t)MM("rss_stat.count[0].counter") + (int64_t)MM("rss_stat.count[1].counter") +
		    (int64_t)MM("rss_stat.count[3].counter");

	return r > 0 ? (uint64_t)r : 0;
}

static void put_stat(struct shadow *s, const struct sh_task *t, struct sh_buf *out)
{
	uint64_t sig = T("signal"), mm = t->t.kthread ? 0 : t->t.mm;
	int pgrp = pid_of(s, f64(s, "signal_struct", "pids[2]", sig));
	int sid = pid_of(s, f64(s, "signal_struct", "pids[3]", sig));
	long prio = (long)(int)T("prio") - 100;
	uint64_t start = T("start_boottime");
	char name[64];

	sh_task_name(s, t, name, sizeof(name));
	sh_printf(out, "%d (%s) %c %d %d %d %d %d %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		  " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %ld %d %d 0 %" PRIu64 " %" PRIu64
		  " %" PRIu64 " %" PRIu64,
		  t->t.pid, name, t->t.state, t->t.ppid, pgrp, sid, 0, -1, (unsigned)T("flags"),
		  T("min_flt"), f64(s, "signal_struct", "cmin_flt", sig), T("maj_flt"),
		  f64(s, "signal_struct", "cmaj_flt", sig), T("utime") / NSEC_PER_TICK,
		  T("stime") / NSEC_PER_TICK,
		  (int64_t)(f64(s, "signal_struct", "cutime", sig) / NSEC_PER_TICK),
		  (int64_t)(f64(s, "signal_struct", "cstime", sig) / NSEC_PER_TICK), prio, t->nice,
		  (int)f64(s, "signal_struct", "nr_threads", sig), start / NSEC_PER_TICK,
		  mm ? MM("total_vm") * 4096 : 0, mm ? mm_rss(s, mm) : 0,
		  f64(s, "signal_struct", "rlim[5].rlim_cur", sig));
	sh_printf(out, " %" PRIu64 " %" PRIu64 " %" PRIu64 " 0 0 %" PRIu64 " %" PRIu64 " 0 0 %d 0 0"
		  " %d %d %u %u 0 0 0",
		  mm ? MM("start_code") : 0, mm ? MM("end_code") : 0, mm ? MM("start_stack") : 0,
		  T("pending.signal.sig[0]"), T("blocked.sig[0]"), t->t.state != 'R',
		  (int)T("exit_signal"), (int)T("cpu"), (unsigned)T("rt_priority"),
		  (unsigned)T("policy"));
	sh_printf(out, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		  " %" PRIu64 " %d\n",
		  mm ? MM("start_data") : 0, mm ? MM("end_data") : 0, mm ? MM("start_brk") : 0,
		  mm ? MM("arg_start") : 0, mm ? MM("arg_end") : 0, mm ? MM("env_start") : 0,
		  mm ? MM("env_end") : 0, (int)T("exit_code"));
}

static void put_status(struct shadow *s, const struct sh_task *t, struct sh_buf *out)
{
	uint64_t cred = t->t.real_cred, ecred = t->t.cred, sig = T("signal");
	uint64_t mm = t->t.kthread ? 0 : t->t.mm;
	int pgrp = pid_of(s, f64(s, "signal_struct", "pids[2]", sig));
	int sid = pid_of(s, f64(s, "signal_struct", "pids[3]", sig));
	uint64_t fs = T("fs"), files = T("files");
	char name[64];

	sh_task_name(s, t, name, sizeof(name));
	sh_printf(out, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		  "PPid:\t%d\nTracerPid:\t0\n",
		  name, (unsigned)f64(s, "fs_struct", "umask", fs), state_name(t->t.state),
		  t->t.tgid, t->t.pid, t->t.ppid);
	sh_printf(out, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n",
		  (unsigned)f64(s, "cred", "uid.val", cred), (unsigned)f64(s, "cred", "euid.val", ecred),
		  (unsigned)f64(s, "cred", "suid.val", ecred),
		  (unsigned)f64(s, "cred", "fsuid.val", ecred), (unsigned)f64(s, "cred", "gid.val", cred),
		  (unsigned)f64(s, "cred", "egid.val", ecred), (unsigned)f64(s, "cred", "sgid.val", ecred),
		  (unsigned)f64(s, "cred", "fsgid.val", ecred));
	sh_printf(out, "FDSize:\t%u\nGroups:\t\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
		  files ? (unsigned)f64(s, "files_struct", "fdt->max_fds", files) : 0, t->t.tgid,
		  t->t.pid, pgrp, sid);
	if (mm) {
		uint64_t kb = 4, total = MM("total_vm"), hiwater = MM("hiwater_vm");
		uint64_t anon = (uint64_t)MM("rss_stat.count[1].counter");
		uint64_t file = (uint64_t)MM("rss_stat.count[0].counter");
		uint64_t shm = (uint64_t)MM("rss_stat.count[3].counter");
		uint64_t rss = anon + file + shm, hw = MM("hiwater_rss");

		if (hw < rss)
			hw = rss;
		if (hiwater < total)
			hiwater = total;
		sh_printf(out, "VmPeak:\t%8" PRIu64 " kB\nVmSize:\t%8" PRIu64 " kB\nVmLck:\t%8" PRIu64
			  " kB\nVmPin:\t%8" PRIu64 " kB\nVmHWM:\t%8" PRIu64 " kB\nVmRSS:\t%8" PRIu64
			  " kB\nRssAnon:\t%8" PRIu64 " kB\nRssFile:\t%8" PRIu64 " kB\nRssShmem:\t%8"
			  PRIu64 " kB\nVmData:\t%8" PRIu64 " kB\nVmStk:\t%8" PRIu64 " kB\nVmExe:\t%8"
			  PRIu64 " kB\nVmLib:\t%8" PRIu64 " kB\nVmPTE:\t%8" PRIu64 " kB\nVmSwap:\t%8"
			  PRIu64 " kB\n",
			  hiwater * kb, total * kb, MM("locked_vm") * kb, MM("pinned_vm.counter") * kb,
			  hw * kb, rss * kb, anon * kb, file * kb, shm * kb, MM("data_vm") * kb,
			  MM("stack_vm") * kb,
			  ((MM("end_code") & ~(uint64_t)4095) - (MM("start_code") & ~(uint64_t)4095)) / 1024, (uint64_t)0,
			  MM("pgtables_bytes.counter") / 1024,
			  (uint64_t)MM("rss_stat.count[2].counter") * kb);
	}
	sh_printf(out, "Threads:\t%d\nSigQ:\t0/0\nSigPnd:\t%016" PRIx64 "\nShdPnd:\t%016" PRIx64
		  "\nSigBlk:\t%016" PRIx64 "\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n",
		  (int)f64(s, "signal_struct", "nr_threads", sig), T("pending.signal.sig[0]"),
		  f64(s, "signal_struct", "shared_pending.signal.sig[0]", sig), T("blocked.sig[0]"));
	sh_printf(out, "CapInh:\t%016" PRIx64 "\nCapPrm:\t%016" PRIx64 "\nCapEff:\t%016" PRIx64
		  "\nCapBnd:\t%016" PRIx64 "\nCapAmb:\t%016" PRIx64 "\nNoNewPrivs:\t%d\n"
		  "Seccomp:\t%d\nSeccomp_filters:\t%d\n",
		  f64(s, "cred", "cap_inheritable", ecred), f64(s, "cred", "cap_permitted", ecred),
		  f64(s, "cred", "cap_effective", ecred), f64(s, "cred", "cap_bset", ecred),
		  f64(s, "cred", "cap_ambient", ecred), 0, (int)T("seccomp.mode"),
		  (int)T("seccomp.filter_count.counter"));
	sh_printf(out, "voluntary_ctxt_switches:\t%" PRIu64 "\nnonvoluntary_ctxt_switches:\t%" PRIu64
		  "\n", T("nvcsw"), T("nivcsw"));
}

/* A struct path (mnt, dentry at base+off) as d_path prints it. */
static int path_at(struct shadow *s, uint64_t pathaddr, char *buf, size_t size)
{
	uint64_t mnt, dentry;
	int deleted = 0;

	if (xv_kernel_read_u64(s->k, pathaddr, &mnt) < 0 ||
	    xv_kernel_read_u64(s->k, pathaddr + 8, &dentry) < 0 || !mnt || !dentry)
		return -ENOENT;
	if (xv_path_resolve(s->k, mnt, dentry, buf, size, &deleted) < 0)
		return -EIO;
	if (deleted && strlen(buf) + 11 < size)
		strcat(buf, " (deleted)");
	return 0;
}

static uint64_t fd_array(struct shadow *s, const struct sh_task *t, uint32_t *max)
{
	uint64_t files = T("files");

	*max = files ? (uint32_t)f64(s, "files_struct", "fdt->max_fds", files) : 0;
	if (*max > SH_MAX_FDS)
		*max = SH_MAX_FDS;
	return files ? f64(s, "files_struct", "fdt->fd", files) : 0;
}

int sh_task_fds(struct shadow *s, const struct sh_task *t, int **fds, size_t *n)
{
	uint32_t max;
	uint64_t arr = fd_array(s, t, &max);

	*fds = NULL;
	*n = 0;
	if (!arr || !max)
		return 0;
	uint64_t *v = malloc((size_t)max * 8);
	int *out = malloc((size_t)max * sizeof(int));

	if (!v || !out || xv_kernel_read(s->k, arr, v, (size_t)max * 8) < 0) {
		free(v);
		free(out);
		return v && out ? -EIO : -ENOMEM;
	}
	for (uint32_t i = 0; i < max; i++)
		if (v[i])
			out[(*n)++] = (int)i;
	free(v);
	*fds = out;
	return 0;
}

static int fd_link(struct shadow *s, const struct sh_task *t, int fd, char *buf, size_t size)
{
	uint32_t max, fpath;
	uint64_t arr = fd_array(s, t, &max), file;
	char fstype[32] = "";

	if (!arr || fd < 0 || (uint32_t)fd >= max ||
	    xv_kernel_read_u64(s->k, arr + (uint64_t)fd * 8, &file) < 0 || !file)
		return -ENOENT;
	xv_obj_str(s->k, "file", "f_path.dentry->d_sb->s_type->name", file, fstype, sizeof(fstype));
	uint64_t ino = f64(s, "file", "f_inode->i_ino", file);

	if (strcmp(fstype, "sockfs") == 0) {
		snprintf(buf, size, "socket:[%" PRIu64 "]", ino);
		return 0;
	}
	if (strcmp(fstype, "pipefs") == 0) {
		snprintf(buf, size, "pipe:[%" PRIu64 "]", ino);
		return 0;
	}
	if (strcmp(fstype, "anon_inodefs") == 0) {
		char name[64] = "";

		xv_obj_str(s->k, "file", "f_path.dentry->d_name.name", file, name, sizeof(name));
		snprintf(buf, size, "anon_inode:%s", name);
		return 0;
	}
	if (xv_off(s->k, "file", "f_path", &fpath) < 0)
		return -EIO;
	return path_at(s, file + fpath, buf, size);
}

int sh_proc_pid_link(struct shadow *s, const struct sh_task *t, const char *name, char *buf,
		     size_t size)
{
	uint32_t off;

	if (strcmp(name, "exe") == 0) {
		if (!t->t.exe[0])
			return -ENOENT;
		snprintf(buf, size, "%s%s", t->t.exe, t->t.exe_deleted ? " (deleted)" : "");
		return 0;
	}
	if (strcmp(name, "cwd") == 0 || strcmp(name, "root") == 0) {
		uint64_t fs = T("fs");

		if (!fs || xv_off(s->k, "fs_struct", name[0] == 'c' ? "pwd" : "root", &off) < 0)
			return -ENOENT;
		return path_at(s, fs + off, buf, size);
	}
	if (strncmp(name, "fd/", 3) == 0) {
		char *end;
		long fd = strtol(name + 3, &end, 10);

		if (*end || end == name + 3)
			return -ENOENT;
		return fd_link(s, t, (int)fd, buf, size);
	}
	return -ENOENT;
}

int sh_proc_pid_file(struct shadow *s, const struct sh_task *t, const char *name,
		     struct sh_buf *out)
{
	if (strcmp(name, "stat") == 0)
		put_stat(s, t, out);
	else if (strcmp(name, "status") == 0)
		put_status(s, t, out);
	else if (strcmp(name, "cmdline") == 0)
		put_cmdline(s, t, out);
	else if (strcmp(name, "comm") == 0) {
		char n[64];

		sh_task_name(s, t, n, sizeof(n));
		sh_printf(out, "%s\n", n);
	}
	else if (strcmp(name, "statm") == 0) {
		uint64_t mm = t->t.kthread ? 0 : t->t.mm;

		sh_printf(out, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " 0 %" PRIu64 " 0\n",
			  mm ? MM("total_vm") : 0, mm ? mm_rss(s, mm) : 0,
			  mm ? (uint64_t)MM("rss_stat.count[0].counter") : 0,
			  mm ? ((MM("end_code") - MM("start_code")) >> 12) : 0,
			  mm ? MM("data_vm") + MM("stack_vm") : 0);
	} else if (strcmp(name, "maps") == 0) {
		return sh_proc_maps(s, t, out);
	} else
		return -ENOENT;
	return out->oom ? -ENOMEM : 0;
}

struct thr_ctx {
	uint64_t *v;
	size_t n, cap;
};

static int thr_visit(struct xv_kernel *k, uint64_t task, void *arg)
{
	struct thr_ctx *c = arg;

	(void)k;
	if (c->n == c->cap)
		return 1;
	c->v[c->n++] = task;
	return 0;
}

int sh_task_threads(struct shadow *s, const struct sh_task *t, uint64_t **tasks, size_t *n)
{
	uint32_t head, node;
	uint64_t sig = T("signal");
	struct thr_ctx c = { .cap = 4096 };

	*tasks = NULL;
	*n = 0;
	if (!sig || xv_off(s->k, "signal_struct", "thread_head", &head) < 0 ||
	    xv_off(s->k, "task_struct", "thread_node", &node) < 0)
		return -ENOENT;
	c.v = malloc(c.cap * sizeof(uint64_t));
	if (!c.v)
		return -ENOMEM;
	xv_list_walk(s->k, sig + head, node, c.cap, thr_visit, &c);
	if (!c.n) /* a task that is not on its group's list: itself */
		c.v[c.n++] = t->t.addr;
	*tasks = c.v;
	*n = c.n;
	return 0;
}

int sh_thread_read(struct shadow *s, const struct sh_task *leader, int tid, struct sh_task *out)
{
	uint64_t *v;
	size_t n;
	uint32_t pid_off, prio_off, p;
	int rc = -ENOENT;

	if (xv_off(s->k, "task_struct", "pid", &pid_off) < 0 ||
	    xv_off(s->k, "task_struct", "static_prio", &prio_off) < 0 ||
	    sh_task_threads(s, leader, &v, &n) < 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (xv_kernel_read_u32(s->k, v[i] + pid_off, &p) < 0 || (int)p != tid)
			continue;
		memset(out, 0, sizeof(*out));
		rc = xv_task_read(s->k, v[i], &out->t);
		if (rc < 0)
			break;
		out->on_list = leader->on_list;
		out->in_pidtab = leader->in_pidtab;
		if (xv_kernel_read_u32(s->k, v[i] + prio_off, &p) == 0)
			out->nice = (int)p - 120;
		break;
	}
	free(v);
	return rc;
}
