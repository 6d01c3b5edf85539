/* tree.c — the FUSE file system the tool sees as "/": the guest's files, a shadow /proc, host mount points. */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "shadow/shadow.h"
#include "xvids/err.h"

#define SH_LINK_MAX 4096

static struct shadow *S(void)
{
	return fuse_get_context()->private_data;
}

/* Interpreters named in #! lines resolve to the host's (the guest's are another architecture
 * and the guest tree is mounted noexec); see docs/shadow.md. */
static const struct { const char *path, *target; } host_links[] = {
	{ "/bin/sh", "/usr/bin/sh" },
	{ "/bin/bash", "/usr/bin/bash" },
	{ "/bin/dash", "/usr/bin/dash" },
};

static const char *const proc_files[] = { "version", "modules", "mounts", "uptime", "loadavg",
					 "meminfo", "kallsyms", "stat", NULL };
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
	st->st_mtime = st->st_ctime = st->st_atime = time(NULL);
}

/* Top-level names that are not the guest's. */
static int synthetic_top(struct shadow *s, const char *name)
{
	if (strcmp(name, "proc") == 0 || strcmp(name, ".xvids-proc") == 0)
		return 1;
	for (size_t i = 0; s->host_dirs[i]; i++)
		if (strcmp(s->host_dirs[i], name) == 0)
			return 1;
	for (size_t i = 0; i < s->nbind; i++)
		if (strcmp(s->bind_names[i], name) == 0)
			return 1;
	return 0;
}

/* Split a path below /proc: kind of node and the task it belongs to. */
enum pkind { P_NONE, P_DIR, P_FILE, P_LINK, P_PIDDIR, P_PIDFILE, P_PIDLINK, P_FDDIR };

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
	if (!*tp)
		return P_NONE;
	if (!*end)
		return P_PIDDIR;
	*name = end + 1;
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
	case P_FILE:
	case P_PIDFILE:
		fill(st, path, S_IFREG | 0444, uid, gid);
		return 0;
	case P_LINK:
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

static int host_link(const char *path)
{
	for (size_t i = 0; i < sizeof(host_links) / sizeof(host_links[0]); i++)
		if (strcmp(path, host_links[i].path) == 0)
			return (int)i;
	return -1;
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

		if (guest_node(s, "/", &n) == 0 && xv_fs_stat(s->fs, &n, &gs) == 0) {
			st->st_ino = gs.ino;
			st->st_nlink = gs.nlink;
			st->st_mode = S_IFDIR | (gs.mode & 07777);
		}
		rc = 0;
	} else if (strncmp(path, "/proc", 5) == 0 && (path[5] == '/' || !path[5])) {
		rc = proc_getattr(s, path, path[5] ? path + 6 : "", st);
	} else if (!strchr(path + 1, '/') && synthetic_top(s, path + 1)) {
		fill(st, path, S_IFDIR | 0755, 0, 0);
		rc = 0;
	} else if (host_link(path) >= 0) {
		fill(st, path, S_IFLNK | 0777, 0, 0);
		st->st_size = (off_t)strlen(host_links[host_link(path)].target);
		rc = 0;
	} else {
		struct xv_fs_node n;
		struct xv_fs_stat gs;

		rc = guest_node(s, path, &n);
		if (rc == 0)
			rc = xv_fs_stat(s->fs, &n, &gs);
		if (rc == 0) {
			memset(st, 0, sizeof(*st));
			st->st_ino = gs.ino;
			st->st_mode = gs.mode;
			st->st_nlink = gs.nlink;
			st->st_uid = gs.uid;
			st->st_gid = gs.gid;
			st->st_size = (off_t)gs.size;
			st->st_blocks = (blkcnt_t)gs.blocks;
			st->st_blksize = 4096;
			st->st_rdev = makedev(gs.rdev_major, gs.rdev_minor);
			st->st_mtim.tv_sec = gs.mtime;
			st->st_mtim.tv_nsec = gs.mtime_ns;
			st->st_ctim.tv_sec = gs.ctime;
			st->st_ctim.tv_nsec = gs.ctime_ns;
			st->st_atim.tv_sec = gs.atime;
			st->st_atim.tv_nsec = gs.atime_ns;
		} else if (rc != -ENOENT && rc != -ENOTDIR && rc != -ELOOP) {
			rc = -EIO;
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

		if (k == P_LINK) {
			snprintf(buf, size, "/.xvids-proc/%s", name);
			rc = 0;
		} else if (k == P_PIDLINK) {
			rc = sh_proc_pid_link(s, t, name, buf, size);
		}
	} else if (host_link(path) >= 0) {
		snprintf(buf, size, "%s", host_links[host_link(path)].target);
		rc = 0;
	} else {
		struct xv_fs_node n;

		rc = guest_node(s, path, &n);
		if (rc == 0)
			rc = xv_fs_readlink(s->fs, &n, buf, size) < 0 ? -EIO : 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

struct dir_fill {
	void *buf;
	fuse_fill_dir_t filler;
	struct shadow *s;
	int top;
};

static int guest_dirent(struct xv_fs *fs, const char *name, const struct xv_fs_node *child,
			void *arg)
{
	struct dir_fill *d = arg;

	(void)fs;
	(void)child;
	if (d->top && synthetic_top(d->s, name))
		return 0;
	return d->filler(d->buf, name, NULL, 0, 0) ? 1 : 0;
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
	} else if (strcmp(path, "/") != 0 && !strchr(path + 1, '/') && synthetic_top(s, path + 1)) {
		/* an empty mount point */
	} else {
		struct xv_fs_node n;
		struct dir_fill d = { .buf = buf, .filler = filler, .s = s, .top = !strcmp(path, "/") };

		if (d.top) {
			filler(buf, "proc", NULL, 0, 0);
			filler(buf, ".xvids-proc", NULL, 0, 0);
			for (size_t i = 0; s->host_dirs[i]; i++)
				filler(buf, s->host_dirs[i], NULL, 0, 0);
			for (size_t i = 0; i < s->nbind; i++)
				filler(buf, s->bind_names[i], NULL, 0, 0);
		}
		rc = guest_node(s, path, &n);
		if (rc == 0 && xv_fs_readdir(s->fs, &n, guest_dirent, &d) < 0)
			rc = -EIO;
		if (d.top && rc == -ENOENT)
			rc = 0;
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
