/* shadow.h — internals of xvids-shadow: one guest snapshot shared by the FUSE tree and the syscall supervisor. */
#ifndef XV_SHADOW_H
#define XV_SHADOW_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "xvids/fs.h"
#include "xvids/kernel.h"
#include "xvids/task.h"

/* The tool's own processes get pids in [BASE, END) of their PID namespace, above what a guest
 * normally uses (pid_max defaults to 32768), so that they never shadow a guest pid. */
#define SH_TOOL_PID_BASE 0x3F0000
#define SH_TOOL_PID_END 0x400000 /* PID_MAX_LIMIT */
#define SH_IS_TOOL_PID(p) ((p) >= SH_TOOL_PID_BASE && (p) < SH_TOOL_PID_END)

/* A guest process as the shadow shows it. */
struct sh_task {
	struct xv_task t;
	int on_list;   /* on the task list (listed by readdir of /proc) */
	int in_pidtab; /* reachable through the PID table (lookups, kill/getpriority probes) */
	int nice;
};

struct sh_net_dev {
	char name[17];
	int ifindex;
	uint32_t flags;  /* as SIOCGIFFLAGS reports (dev_get_flags) */
	uint32_t mtu;
	uint32_t addr4;  /* first IPv4 address, network byte order as in memory; 0 = none */
	uint8_t hwaddr[6];
	uint16_t type;
};

/* Everything read from the guest, refreshed when older than the TTL. */
struct sh_snap {
	struct sh_task *tasks; /* sorted by pid */
	size_t ntasks;
	int last_pid;
	struct sh_net_dev *devs;
	size_t ndevs;
	double taken;          /* CLOCK_MONOTONIC seconds */
};

struct shadow {
	struct xv_kernel *k;
	struct xv_fs *fs;       /* guest files; NULL if unavailable (then the tree is /proc only) */
	char fs_why[256];       /* why fs is NULL */
	pthread_mutex_t lock;   /* every guest read happens under it */
	struct sh_snap snap;
	double ttl;             /* seconds a snapshot is reused (live guests change) */
	time_t stable_time;     /* times of synthetic entries (0: the same on every run) */
	int verbose;
	int no_pin;             /* --no-pin: leave the CPU affinity alone */
	/* Mount points in the tree (absolute, e.g. "/usr", "/etc/alternatives"): host directories
	 * bound on top of the FUSE tree. They are directories in the tree even where the guest has
	 * nothing (their missing parents too). */
#define SH_MAX_MOUNTS 32
	const char *mounts[SH_MAX_MOUNTS];
	const char *mount_src[SH_MAX_MOUNTS];
	int mount_rw[SH_MAX_MOUNTS];
	size_t nmounts;
	char base[4096];        /* private directory holding the two mount points below */
	char root[4200];        /* where the tree is mounted (in the private mount namespace) */
	char toolproc[4200];    /* the tool's own procfs, also bound at /.xvids-proc in the tree;
				 * the supervisor reads it here, never through the FUSE tree (a
				 * path through it from the FUSE thread would wait on itself) */
};

/* ---- snapshot (snap.c) ---- */
/* Refresh s->snap if stale. Call with s->lock held. */
int sh_snap_get(struct shadow *s);
const struct sh_task *sh_task_find(const struct shadow *s, int pid);
void sh_snap_free(struct sh_snap *sn);

/* ---- growable text buffer (buf.c) ---- */
struct sh_buf {
	char *p;
	size_t len, cap;
	int oom;
};
void sh_printf(struct sh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sh_putn(struct sh_buf *b, const void *data, size_t n);
void sh_pad(struct sh_buf *b, size_t start, size_t width); /* seq_pad(): pad the line to width */
void sh_buf_free(struct sh_buf *b);

/* ---- /proc contents (procgen.c, procpid.c, procnet.c) ---- */
/* Generate the file at rel (path below /proc, e.g. "version", "1/stat", "net/tcp"). -ENOENT if
 * there is no such file. Lock held. */
int sh_proc_file(struct shadow *s, const char *rel, struct sh_buf *out);
int sh_proc_pid_file(struct shadow *s, const struct sh_task *t, const char *name,
		     struct sh_buf *out);
int sh_proc_net_file(struct shadow *s, const char *name, struct sh_buf *out);
/* Symlinks under /proc/PID: exe, cwd, root, fd/N. -ENOENT if absent. */
int sh_proc_pid_link(struct shadow *s, const struct sh_task *t, const char *name, char *buf,
		     size_t size);
/* The name /proc shows (proc_task_name: workqueue and kernel-thread names). */
void sh_task_name(struct shadow *s, const struct sh_task *t, char *buf, size_t size);
/* /proc/PID/maps from the task's VMAs (maps.c). */
int sh_proc_maps(struct shadow *s, const struct sh_task *t, struct sh_buf *out);
/* Threads of a task's group (task_struct addresses, caller frees); one thread read as a task. */
int sh_task_threads(struct shadow *s, const struct sh_task *t, uint64_t **tasks, size_t *n);
int sh_thread_read(struct shadow *s, const struct sh_task *leader, int tid, struct sh_task *out);
/* Open file descriptors of a task: fd numbers (caller frees). */
int sh_task_fds(struct shadow *s, const struct sh_task *t, int **fds, size_t *n);
/* Guest uptime and 1/5/15-minute loads (loads in FIXED_1 = 2048 units; -1 when unknown). */
int sh_guest_uptime(struct shadow *s, uint64_t *ns);
int sh_guest_loads(struct shadow *s, long loads[3]);
int sh_guest_mem(struct shadow *s, uint64_t *total_pages, uint64_t *free_pages);
int sh_guest_mem_ext(struct shadow *s, uint64_t *total, uint64_t *freep, uint64_t *file,
		     uint64_t *shmem);
/* The network devices (net/dev), into s->snap.devs. */
int sh_net_devs(struct shadow *s, struct sh_net_dev **out, size_t *n);

/* ---- arm64 code reading (a64.c) ---- */
/* The first global that the code at pc (len bytes) addresses with ADRP(+ADD/LDR); -ENOENT. */
int sh_a64_data_ref(const uint8_t *code, size_t len, uint64_t pc, uint64_t *addr);

/* ---- FUSE tree (tree.c) ---- */
struct fuse;
struct fuse *sh_tree_new(struct shadow *s, const char *mountpoint);
void sh_tree_stop(struct fuse *f);

/* ---- syscall supervisor (notify.c) ---- */
/* Build the seccomp filter (BPF program bytes, caller frees) in the parent, before the fork.
 * kill/getpriority probes of pids in (pid_bound, SH_TOOL_PID_BASE) fail with ESRCH in the
 * filter itself (no guest pid can be there); pids <= pid_bound go to the supervisor. */
int sh_notify_filter(uint32_t pid_bound, void **prog, size_t *len);
/* Largest pid the guest can hand out (its pid_max, or the kernel's default rule). */
uint32_t sh_guest_pid_max(struct shadow *s);
/* Serve notifications on fd until it closes (thread body). */
void *sh_notify_serve(void *arg);
struct sh_notify_arg {
	struct shadow *s;
	int fd;
};

#endif
