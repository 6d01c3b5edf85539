/* tree.c — the FUSE file system the tool sees as "/": the guest's files, a shadow /proc, host mount points. */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "shadow/shadow.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define SH_LINK_MAX 4096

static struct shadow *S(void)
{
	return fuse_get_context()->private_data;
}

/* Paths resolved to the host even where the guest has them: interpreters named in #! lines
 * (the guest's are another architecture, and the guest tree is mounted noexec). */
static const char *const host_masks[] = { "/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/env",
					  "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/perl",
	/* the ELF interpreter of the host's programs (PT_INTERP is an absolute path) */
#if defined(__x86_64__)
					  "/lib64/ld-linux-x86-64.so.2",
#elif defined(__aarch64__)
					  "/lib/ld-linux-aarch64.so.1",
#endif
					  NULL };

static int is_mask(const char *path)
{
	for (size_t i = 0; host_masks[i]; i++)
		if (strcmp(path, host_masks[i]) == 0)
			return 1;
	return 0;
}

/* A directory on the way to a mask (the guest may have no /lib64 at all). */
static int mask_parent(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; host_masks[i]; i++)
		if (strncmp(host_masks[i], path, n) == 0 && host_masks[i][n] == '/')
			return 1;
	return 0;
}

/* Where the host's /usr is mounted inside the tree (main.c binds it). */
#define HOST_PREFIX "/.xvids-host"

/* The host path behind a tree path, for the host fallback: the tool's loader, libraries and
 * data files are found by their usual absolute names wherever the guest has nothing there.
 * Returns 0 and fills out with the link target ("/.xvids-host/usr/..."), 1 for a host
 * directory (shown as an empty directory whose entries fall back in turn: a scan of the tree
 * never lists host files), or -ENOENT. */
static int host_fallback(const char *path, char *out, size_t size)
{
	/* The fallback covers /usr and /etc/alternatives only. /lib*, /bin and /sbin map to the
	 * host just for the masks: the host's libraries are found through LD_LIBRARY_PATH
	 * (main.c), so a check of the guest's /lib (chkrootkit's libkeyutils test) never sees
	 * the host's files. */
	static const struct { const char *prefix, *host; int general; } map[] = {
		{ "/usr", "/usr", 1 }, { "/etc/alternatives", "/etc/alternatives", 1 },
		{ "/lib64", "/usr/lib64", 0 }, { "/lib", "/usr/lib", 0 }, { "/bin", "/usr/bin", 0 },
		{ "/sbin", "/usr/sbin", 0 },
	};
	struct stat st;
	int mask = is_mask(path);

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].prefix);

		if (strncmp(path, map[i].prefix, n) != 0 || (path[n] && path[n] != '/'))
			continue;
		if (!map[i].general && !mask)
			return -ENOENT;
		char host[4200];
		int len = snprintf(host, sizeof(host), "%s%s", map[i].host, path + n);

		if (len < 0 || (size_t)len >= sizeof(host) || lstat(host, &st) < 0)
			return -ENOENT;
		if (S_ISDIR(st.st_mode) && !mask)
			return 1;
		/* A mask points at the host file itself: its own absolute links (the loader's
		 * /lib64 -> /lib/...) would lead back into the guest's tree. */
		char real[PATH_MAX];

		if (mask && realpath(host, real) && strlen(real) < sizeof(host))
			snprintf(host, sizeof(host), "%s", real);
		len = snprintf(out, size, HOST_PREFIX "%s", host);
		return len > 0 && (size_t)len < size ? 0 : -ENAMETOOLONG;
	}
	return -ENOENT;
}

static const char *const proc_files[] = { "version", "modules", "mounts", "uptime", "loadavg",
					 "meminfo", "kallsyms", "stat", "cpuinfo", NULL };
static const char *const net_files[] = { "tcp", "tcp6", "udp", "udp6", "unix", "packet", "dev", NULL };
static const char *const sys_files[] = { "pid_max", "hostname", "osrelease", "ostype", "version",
					NULL };
static const char *const pid_files[] = { "stat", "status", "cmdline", "comm", "statm", "maps", NULL };
static const char *const pid_links[] = { "exe", "cwd", "root", NULL };

static int in_list(const char *const *l, const char *name)
{
	for (; *l; l++)
		if (strcmp(*l, name) == 0)
			return 1;
	return 0;
}

static uint64_t path_ino(const char *p)
{
	uint64_t h = 1469598103934665603ull;

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h | (1ull << 62);
}

static void fill(struct stat *st, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_uid = uid;
	st->st_gid = gid;
	st->st_ino = path_ino(path);
	/* One fixed time for every synthetic entry, so a file-integrity database does not see
	 * them change between runs. */
	st->st_mtime = st->st_ctime = st->st_atime = S()->stable_time;
}

/* Times of the host file behind a host link (stable between runs). */
static void host_times(const char *target, struct stat *st)
{
	struct stat hs;

	if (strncmp(target, HOST_PREFIX, strlen(HOST_PREFIX)) == 0 &&
	    lstat(target + strlen(HOST_PREFIX), &hs) == 0) {
		st->st_mtim = hs.st_mtim;
		st->st_ctim = hs.st_ctim;
		st->st_atim = hs.st_atim;
	}
}

/* Is path a mount point (1), or a directory on the way to one (2)? */
static int mount_kind(struct shadow *s, const char *path)
{
	size_t n = strlen(path);
	int kind = 0;

	for (size_t i = 0; i < s->nmounts; i++) {
		const char *m = s->mounts[i];

		if (strcmp(m, path) == 0)
			return 1;
		if (n == 1 || (strncmp(m, path, n) == 0 && m[n] == '/'))
			kind = 2;
	}
	return kind;
}

/* A mount point for a single host file (/dev/null): a regular file in the tree. */
static int mount_is_file(struct shadow *s, const char *path)
{
	struct stat st;

	for (size_t i = 0; i < s->nmounts; i++)
		if (strcmp(s->mounts[i], path) == 0)
			return s->mount_src[i] && stat(s->mount_src[i], &st) == 0 && !S_ISDIR(st.st_mode);
	return 0;
}

/* Visit the names of mount points (or their parents) directly below dir. */
static void mount_children(struct shadow *s, const char *dir, void (*cb)(const char *, size_t, void *),
			   void *arg)
{
	size_t n = strcmp(dir, "/") == 0 ? 0 : strlen(dir);

	for (size_t i = 0; i < s->nmounts; i++) {
		const char *m = s->mounts[i];

		if ((n && strncmp(m, dir, n) != 0) || m[n] != '/' || !m[n + 1])
			continue;
		const char *name = m + n + 1, *end = strchr(name, '/');
		size_t len = end ? (size_t)(end - name) : strlen(name), j;

		for (j = 0; j < i; j++) /* once per name */
			if ((!n || strncmp(s->mounts[j], dir, n) == 0) && s->mounts[j][n] == '/' &&
			    strncmp(s->mounts[j] + n + 1, name, len) == 0 &&
			    (s->mounts[j][n + 1 + len] == '/' || !s->mounts[j][n + 1 + len]))
				break;
		if (j == i)
			cb(name, len, arg);
	}
}

/* Split a path below /proc: kind of node and the task it belongs to. */
enum pkind { P_NONE, P_DIR, P_FILE, P_LINK, P_PIDDIR, P_PIDFILE, P_PIDLINK, P_FDDIR, P_TASKDIR,
	     P_TOOLPID };

static int tool_pid_alive(struct shadow *s, long pid)
{
	char p[8448];

	snprintf(p, sizeof(p), "%s/%ld", s->toolproc, pid);
	return access(p, F_OK) == 0;
}

/* The thread named by /proc/PID/task/TID (one at a time: the FUSE loop is single-threaded and
 * every caller holds s->lock). */
static struct sh_task cur_thread;

static enum pkind proc_classify(struct shadow *s, const char *rel, const struct sh_task **tp,
				const char **name)
{
	*tp = NULL;
	*name = rel;
	if (!*rel || strcmp(rel, "net") == 0 || strcmp(rel, "sys") == 0 ||
	    strcmp(rel, "sys/kernel") == 0)
		return P_DIR;
	if (strcmp(rel, "self") == 0 || strcmp(rel, "thread-self") == 0)
		return P_LINK;
	if (in_list(proc_files, rel))
		return P_FILE;
	if (strncmp(rel, "net/", 4) == 0 && in_list(net_files, rel + 4))
		return P_FILE;
	if (strncmp(rel, "sys/kernel/", 11) == 0 && in_list(sys_files, rel + 11))
		return P_FILE;
	if (rel[0] < '1' || rel[0] > '9')
		return P_NONE;
	char *end;
	long pid = strtol(rel, &end, 10);

	if (pid <= 0 || pid > (1 << 22) || (*end && *end != '/'))
		return P_NONE;
	if (sh_snap_get(s) < 0)
		return P_NONE;
	*tp = sh_task_find(s, (int)pid);
	if (!*tp) {
		/* The tool's own processes: a link into its own procfs. */
		if (SH_IS_TOOL_PID(pid) && !*end && tool_pid_alive(s, pid))
			return P_TOOLPID;
		return P_NONE;
	}
	if (!*end)
		return P_PIDDIR;
	*name = end + 1;
	if (strcmp(*name, "task") == 0)
		return P_TASKDIR;
	if (strncmp(*name, "task/", 5) == 0) {
		long tid = strtol(*name + 5, &end, 10);

		if (tid <= 0 || (*end && *end != '/') ||
		    sh_thread_read(s, *tp, (int)tid, &cur_thread) < 0)
			return P_NONE;
		*tp = &cur_thread;
		if (!*end)
			return P_PIDDIR;
		*name = end + 1;
	}
	if (in_list(pid_files, *name))
		return P_PIDFILE;
	if (in_list(pid_links, *name))
		return P_PIDLINK;
	if (strcmp(*name, "fd") == 0)
		return P_FDDIR;
	if (strncmp(*name, "fd/", 3) == 0)
		return P_PIDLINK;
	return P_NONE;
}

static int proc_getattr(struct shadow *s, const char *path, const char *rel, struct stat *st)
{
	const struct sh_task *t;
	const char *name;
	char link[SH_LINK_MAX];
	enum pkind k = proc_classify(s, rel, &t, &name);
	uid_t uid = t ? t->t.euid : 0;
	gid_t gid = t ? t->t.gid : 0;

	switch (k) {
	case P_DIR:
		fill(st, path, S_IFDIR | 0555, 0, 0);
		return 0;
	case P_PIDDIR:
		fill(st, path, S_IFDIR | 0555, uid, gid);
		st->st_nlink = 9;
		return 0;
	case P_FDDIR:
		fill(st, path, S_IFDIR | 0500, uid, gid);
		return 0;
	case P_TASKDIR:
		fill(st, path, S_IFDIR | 0555, uid, gid);
		return 0;
	case P_FILE:
	case P_PIDFILE:
		fill(st, path, S_IFREG | 0444, uid, gid);
		return 0;
	case P_LINK:
	case P_TOOLPID:
		fill(st, path, S_IFLNK | 0777, 0, 0);
		return 0;
	case P_PIDLINK:
		if (sh_proc_pid_link(s, t, name, link, sizeof(link)) < 0)
			return -ENOENT;
		fill(st, path, S_IFLNK | 0777, uid, gid);
		st->st_size = 64;
		return 0;
	default:
		return -ENOENT;
	}
}

static int guest_node(struct shadow *s, const char *path, struct xv_fs_node *n)
{
	if (!s->fs)
		return -ENOENT;
	int rc = xv_fs_lookup(s->fs, path, 0, n);

	return rc < 0 ? rc : 0;
}

/* An explicit mask or the host fallback for a path the guest lacks: the symlink target. */
static int host_link(struct shadow *s, const char *path, int guest_rc, char *out, size_t size)
{
	for (size_t i = 0; host_masks[i]; i++)
		if (strcmp(path, host_masks[i]) == 0)
			return host_fallback(path, out, size);
	(void)s;
	if (guest_rc != -ENOENT)
		return -ENOENT;
	return host_fallback(path, out, size);
}



static void guest_stat(const struct xv_fs_stat *gs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = gs->ino;
	st->st_mode = gs->mode;
	st->st_nlink = gs->nlink;
	st->st_uid = gs->uid;
	st->st_gid = gs->gid;
	st->st_size = (off_t)gs->size;
	st->st_blocks = (blkcnt_t)gs->blocks;
	st->st_blksize = 4096;
	st->st_rdev = makedev(gs->rdev_major, gs->rdev_minor);
	st->st_mtim.tv_sec = gs->mtime;
	st->st_mtim.tv_nsec = gs->mtime_ns;
	st->st_ctim.tv_sec = gs->ctime;
	st->st_ctim.tv_nsec = gs->ctime_ns;
	st->st_atim.tv_sec = gs->atime;
	st->st_atim.tv_nsec = gs->atime_ns;
}

static int sh_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct shadow *s = S();
	int rc = -ENOENT;

	(void)fi;
	pthread_mutex_lock(&s->lock);
	if (strcmp(path, "/") == 0) {
		fill(st, path, S_IFDIR | 0755, 0, 0);
		struct xv_fs_node n;
		struct xv_fs_stat gs;

		if (guest_node(s, "/", &n) == 0 && xv_fs_stat(s->fs, &n, &gs) == 0)
			guest_stat(&gs, st);
		rc = 0;
	} else if (strncmp(path, "/proc", 5) == 0 && (path[5] == '/' || !path[5])) {
		rc = proc_getattr(s, path, path[5] ? path + 6 : "", st);
	} else if (mount_kind(s, path) == 1) {
		fill(st, path, mount_is_file(s, path) ? S_IFREG | 0666 : S_IFDIR | 0755, 0, 0);
		rc = 0;
	} else {
		struct xv_fs_node n;
		struct xv_fs_stat gs;
		char target[SH_LINK_MAX];

		rc = is_mask(path) ? -ENOENT : guest_node(s, path, &n);
		if (rc == 0)
			rc = xv_fs_stat(s->fs, &n, &gs);
		if (rc == 0) {
			guest_stat(&gs, st);
		} else if (mount_kind(s, path) == 2 || (rc == -ENOENT && mask_parent(path))) {
			fill(st, path, S_IFDIR | 0755, 0, 0);
			rc = 0;
		} else {
			int h = host_link(s, path, rc, target, sizeof(target));

			if (h == 0) {
				fill(st, path, S_IFLNK | 0777, 0, 0);
				st->st_size = (off_t)strlen(target);
				host_times(target, st);
				rc = 0;
			} else if (h == 1) {
				fill(st, path, S_IFDIR | 0555, 0, 0);
				rc = 0;
			} else if (rc != -ENOENT && rc != -ENOTDIR && rc != -ELOOP) {
				rc = -EIO;
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int sh_readlink(const char *path, char *buf, size_t size)
{
	struct shadow *s = S();
	int rc = -ENOENT;

	pthread_mutex_lock(&s->lock);
	if (strncmp(path, "/proc/", 6) == 0) {
		const struct sh_task *t;
		const char *name;
		enum pkind k = proc_classify(s, path + 6, &t, &name);

		if (k == P_LINK || k == P_TOOLPID) {
			snprintf(buf, size, "/.xvids-proc/%s", name); /* the tool's own */
			rc = 0;
		} else if (k == P_PIDLINK) {
			rc = sh_proc_pid_link(s, t, name, buf, size);
		}
	} else {
		struct xv_fs_node n;

		rc = is_mask(path) ? -ENOENT : guest_node(s, path, &n);
		if (rc == 0)
			rc = xv_fs_readlink(s->fs, &n, buf, size) < 0 ? -EIO : 0;
		else if (host_link(s, path, rc, buf, size) == 0)
			rc = 0;
		else
			rc = -EINVAL;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

struct dir_fill {
	void *buf;
	fuse_fill_dir_t filler;
	struct shadow *s;
	const char *dir;
	int guest_ok;
};

static int child_path(const char *dir, const char *name, size_t len, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%.*s", strcmp(dir, "/") == 0 ? "" : dir, (int)len, name);

	return n > 0 && (size_t)n < size ? 0 : -1;
}

static int guest_dirent(struct xv_fs *fs, const char *name, const struct xv_fs_node *child,
			void *arg)
{
	struct dir_fill *d = arg;
	char p[8448];

	(void)fs;
	(void)child;
	/* Mount points are listed once, by mount_dirent. */
	if (child_path(d->dir, name, strlen(name), p, sizeof(p)) == 0 && mount_kind(d->s, p) == 1)
		return 0;
	return d->filler(d->buf, name, NULL, 0, 0) ? 1 : 0;
}

static void mount_dirent(const char *name, size_t len, void *arg)
{
	struct dir_fill *d = arg;
	char p[4200], nm[256];
	struct xv_fs_node n;

	if (len >= sizeof(nm) || child_path(d->dir, name, len, p, sizeof(p)) < 0)
		return;
	/* A parent of a mount point that the guest has was listed with the guest's entries. */
	if (mount_kind(d->s, p) != 1 && d->guest_ok && d->s->fs && xv_fs_lookup(d->s->fs, p, 0, &n) == 0)
		return;
	memcpy(nm, name, len);
	nm[len] = '\0';
	d->filler(d->buf, nm, NULL, 0, 0);
}

static int sh_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct shadow *s = S();
	int rc = 0;
	char name[32];

	(void)off;
	(void)fi;
	(void)flags;
	pthread_mutex_lock(&s->lock);
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	if (strcmp(path, "/proc") == 0) {
		for (size_t i = 0; proc_files[i]; i++)
			filler(buf, proc_files[i], NULL, 0, 0);
		filler(buf, "self", NULL, 0, 0);
		filler(buf, "thread-self", NULL, 0, 0);
		filler(buf, "net", NULL, 0, 0);
		filler(buf, "sys", NULL, 0, 0);
		/* The listing is the task list; see docs/shadow.md ("hidden processes"). */
		if (sh_snap_get(s) == 0)
			for (size_t i = 0; i < s->snap.ntasks; i++)
				if (s->snap.tasks[i].on_list) {
					snprintf(name, sizeof(name), "%d", s->snap.tasks[i].t.pid);
					filler(buf, name, NULL, 0, 0);
				}
		/* and the tool's own processes, as a login into the guest would show them */
		char tp[8448];

		snprintf(tp, sizeof(tp), "%s", s->toolproc);
		DIR *d = opendir(tp);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			long pid = strtol(de->d_name, NULL, 10);

			if (SH_IS_TOOL_PID(pid))
				filler(buf, de->d_name, NULL, 0, 0);
		}
		if (d)
			closedir(d);
	} else if (strcmp(path, "/proc/net") == 0) {
		for (size_t i = 0; net_files[i]; i++)
			filler(buf, net_files[i], NULL, 0, 0);
	} else if (strcmp(path, "/proc/sys") == 0) {
		filler(buf, "kernel", NULL, 0, 0);
	} else if (strcmp(path, "/proc/sys/kernel") == 0) {
		for (size_t i = 0; sys_files[i]; i++)
			filler(buf, sys_files[i], NULL, 0, 0);
	} else if (strncmp(path, "/proc/", 6) == 0) {
		const struct sh_task *t;
		const char *nm;
		enum pkind k = proc_classify(s, path + 6, &t, &nm);

		if (k == P_PIDDIR) {
			for (size_t i = 0; pid_files[i]; i++)
				filler(buf, pid_files[i], NULL, 0, 0);
			for (size_t i = 0; pid_links[i]; i++)
				filler(buf, pid_links[i], NULL, 0, 0);
			filler(buf, "fd", NULL, 0, 0);
			if (t != &cur_thread)
				filler(buf, "task", NULL, 0, 0);
		} else if (k == P_TASKDIR) {
			uint64_t *v;
			size_t n;
			uint32_t pid_off, tid;

			if (xv_off(s->k, "task_struct", "pid", &pid_off) == 0 &&
			    sh_task_threads(s, t, &v, &n) == 0) {
				for (size_t i = 0; i < n; i++)
					if (xv_kernel_read_u32(s->k, v[i] + pid_off, &tid) == 0) {
						snprintf(name, sizeof(name), "%u", tid);
						filler(buf, name, NULL, 0, 0);
					}
				free(v);
			}
		} else if (k == P_FDDIR) {
			int *fds;
			size_t n;

			if (sh_task_fds(s, t, &fds, &n) == 0) {
				for (size_t i = 0; i < n; i++) {
					snprintf(name, sizeof(name), "%d", fds[i]);
					filler(buf, name, NULL, 0, 0);
				}
				free(fds);
			}
		} else {
			rc = -ENOTDIR;
		}
	} else if (mount_kind(s, path) == 1) {
		/* an empty mount point (the host's directory is mounted on it) */
	} else {
		struct xv_fs_node n;
		struct dir_fill d = { .buf = buf, .filler = filler, .s = s, .dir = path };

		char target[SH_LINK_MAX];

		rc = guest_node(s, path, &n);
		d.guest_ok = rc == 0;
		if (rc == 0 && xv_fs_readdir(s->fs, &n, guest_dirent, &d) < 0)
			rc = -EIO;
		if (mount_kind(s, path) == 2) {
			mount_children(s, path, mount_dirent, &d);
			if (rc == -ENOENT)
				rc = 0;
		}
		if (rc == -ENOENT && (mask_parent(path) ||
				      host_link(s, path, rc, target, sizeof(target)) == 1))
			rc = 0; /* a host directory the guest lacks: listed empty */
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* An open file: generated text (proc) or a guest file node. */
struct sh_open {
	struct sh_buf text;
	int guest;
	struct xv_fs_node node;
};

static int sh_open(const char *path, struct fuse_file_info *fi)
{
	struct shadow *s = S();
	struct sh_open *o;
	int rc = 0;

	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	if (strncmp(path, "/proc/", 6) == 0) {
		const struct sh_task *t;
		const char *name;
		enum pkind k = proc_classify(s, path + 6, &t, &name);

		if (k == P_FILE) {
			if (sh_snap_get(s) < 0)
				rc = -EIO;
			else
				rc = sh_proc_file(s, path + 6, &o->text);
		} else if (k == P_PIDFILE) {
			rc = sh_proc_pid_file(s, t, name, &o->text);
		} else {
			rc = -ENOENT;
		}
		fi->direct_io = 1; /* sizes are unknown until read, as on a real procfs */
	} else {
		o->guest = 1;
		rc = guest_node(s, path, &o->node);
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		sh_buf_free(&o->text);
		free(o);
		return rc;
	}
	fi->fh = (uint64_t)(uintptr_t)o;
	return 0;
}

static int sh_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct shadow *s = S();
	struct sh_open *o = (struct sh_open *)(uintptr_t)fi->fh;

	(void)path;
	if (off < 0)
		return -EINVAL;
	if (!o->guest) {
		if ((size_t)off >= o->text.len)
			return 0;
		size_t n = o->text.len - (size_t)off < size ? o->text.len - (size_t)off : size;

		memcpy(buf, o->text.p + off, n);
		return (int)n;
	}
	size_t got = 0;
	struct xv_fs_readinfo ri;

	pthread_mutex_lock(&s->lock);
	int rc = xv_fs_pread(s->fs, &o->node, (uint64_t)off, buf, size, &got, &ri);

	pthread_mutex_unlock(&s->lock);
	return rc < 0 ? -EIO : (int)got;
}

static int sh_release(const char *path, struct fuse_file_info *fi)
{
	struct sh_open *o = (struct sh_open *)(uintptr_t)fi->fh;

	(void)path;
	if (o) {
		sh_buf_free(&o->text);
		free(o);
	}
	return 0;
}

static void *sh_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 1;
	/* A live guest changes: cache names and attributes for a second only. */
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 1.0;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations ops = {
	.init = sh_init,
	.getattr = sh_getattr,
	.readlink = sh_readlink,
	.readdir = sh_readdir,
	.open = sh_open,
	.read = sh_read,
	.release = sh_release,
};

struct fuse *sh_tree_new(struct shadow *s, const char *mountpoint)
{
	char *argv[] = { "xvids-shadow", "-o", "ro,noexec,nosuid,nodev,fsname=xvids-shadow,subtype=xvids",
			 NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse *f = fuse_new(&args, &ops, sizeof(ops), s);

	if (!f) {
		xv_err(EIO, "cannot create the FUSE file system (libfuse3)");
		return NULL;
	}
	if (fuse_mount(f, mountpoint) != 0) {
		fuse_destroy(f);
		xv_err(EPERM, "cannot mount the shadow file system on %s (is /dev/fuse usable here?)",
		       mountpoint);
		return NULL;
	}
	return f;
}

void sh_tree_stop(struct fuse *f)
{
	fuse_exit(f);
	fuse_unmount(f);
	fuse_destroy(f);
}
