/* fs.c — the guest's file tree from its kernel: root of PID 1, mounts, dentries, inodes, lookup. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"
#include "xvids/task.h"

#define MAX_MOUNTS 100000
#define MAX_MOUNT_CROSS 16
#define MAX_SYMLINKS 40

struct xv_kernel *xv_fs_kernel(struct xv_fs *fs)
{
	return fs->k;
}

const char *xv_fs_describe(const struct xv_fs *fs)
{
	return fs->how;
}

static int sb_info(struct xv_fs *fs, uint64_t sb, char *fstype, size_t size, int *memfs)
{
	uint64_t type, name;
	uint32_t magic;

	for (size_t i = 0; i < fs->nmounts; i++)
		if (fs->mounts[i].sb == sb && fs->mounts[i].fstype[0]) {
			snprintf(fstype, size, "%s", fs->mounts[i].fstype);
			*memfs = fs->mounts[i].memfs;
			return 0;
		}
	if (xv_kernel_read_u32(fs->k, sb + fs->l.sb_magic, &magic) < 0 ||
	    xv_kernel_read_u64(fs->k, sb + fs->l.sb_type, &type) < 0 ||
	    xv_kernel_read_u64(fs->k, type + fs->l.fst_name, &name) < 0 ||
	    xv_kernel_read_str(fs->k, name, fstype, size) < 0)
		return xv_err_ctx(EFAULT, "super_block 0x%" PRIx64 ": ", sb);
	*memfs = magic == XV_TMPFS_MAGIC || magic == XV_RAMFS_MAGIC;
	return 0;
}

struct mnt_ctx {
	struct xv_fs *fs;
};

static int mount_visit(struct xv_kernel *k, uint64_t m, void *arg)
{
	struct xv_fs *fs = ((struct mnt_ctx *)arg)->fs;
	const struct xv_fs_layout *l = &fs->l;
	struct xv_fs_mount mt = { .addr = m };

	if (fs->nmounts >= MAX_MOUNTS)
		return xv_err(E2BIG, "more than %d mounts", MAX_MOUNTS);
	if (xv_kernel_read_u64(k, m + l->mnt_parent, &mt.parent) < 0 ||
	    xv_kernel_read_u64(k, m + l->mnt_mountpoint, &mt.mountpoint) < 0 ||
	    xv_kernel_read_u64(k, m + l->mnt_root, &mt.root) < 0 ||
	    xv_kernel_read_u64(k, m + l->mnt_sb, &mt.sb) < 0)
		return xv_err_ctx(EFAULT, "mount 0x%" PRIx64 ": ", m);
	if (sb_info(fs, mt.sb, mt.fstype, sizeof(mt.fstype), &mt.memfs) < 0)
		return -EFAULT;
	if (fs->nmounts % 64 == 0) {
		struct xv_fs_mount *nm = realloc(fs->mounts, (fs->nmounts + 64) * sizeof(*nm));

		if (!nm)
			return xv_err(ENOMEM, "out of memory");
		fs->mounts = nm;
	}
	fs->mounts[fs->nmounts++] = mt;
	return 0;
}

/* rb-tree of mounts (6.8+): in-order walk, bounded. */
static int rb_walk(struct xv_fs *fs, uint64_t node, int depth, size_t *budget, struct mnt_ctx *c)
{
	uint64_t left, right;
	int rc;

	if (!node)
		return 0;
	if (depth > 128 || (*budget)-- == 0)
		return xv_err(ELOOP, "mount tree deeper than 128 or larger than %d", MAX_MOUNTS);
	if (xv_kernel_read_u64(fs->k, node + 8, &right) < 0 ||
	    xv_kernel_read_u64(fs->k, node + 16, &left) < 0)
		return xv_err_ctx(EFAULT, "mount tree: ");
	if ((rc = rb_walk(fs, left, depth + 1, budget, c)) < 0)
		return rc;
	if ((rc = mount_visit(fs->k, node - fs->l.mnt_node, c)) < 0)
		return rc;
	return rb_walk(fs, right, depth + 1, budget, c);
}

static int find_root(struct xv_fs *fs, uint64_t *task_out, int32_t *pid_out)
{
	struct xv_task *t;
	size_t n;
	const struct xv_kernel_info *ki = xv_kernel_info(fs->k);

	*task_out = ki->init_task;
	*pid_out = 0;
	if (xv_task_list(fs->k, &t, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (t[i].pid == 1) {
				*task_out = t[i].addr;
				*pid_out = 1;
				break;
			}
		free(t);
	}
	xv_err_clear();
	return 0;
}

int xv_fs_open(struct xv_kernel *k, struct xv_fs **out)
{
	struct xv_fs *fs = calloc(1, sizeof(*fs));
	uint64_t task, fsp, vfsmnt, dentry, nsp, ns;
	struct mnt_ctx mc = { fs };
	int32_t pid;
	int rc;

	if (!fs)
		return xv_err(ENOMEM, "out of memory");
	fs->k = k;
	if ((rc = xv_fs_layout_init(k, &fs->l)) < 0)
		goto fail;
	find_root(fs, &task, &pid);
	if (xv_kernel_read_u64(k, task + fs->l.task_fs, &fsp) < 0 || !fsp ||
	    xv_kernel_read_u64(k, fsp + fs->l.fs_root, &vfsmnt) < 0 ||
	    xv_kernel_read_u64(k, fsp + fs->l.fs_root + 8, &dentry) < 0 || !vfsmnt || !dentry) {
		rc = xv_err_ctx(EFAULT, "root of PID %d's file system: ", pid);
		goto fail;
	}
	fs->root.mnt = vfsmnt - fs->l.mnt_mnt;
	fs->root.dentry = dentry;
	if (xv_kernel_read_u64(k, dentry + fs->l.d_inode, &fs->root.inode) < 0 || !fs->root.inode) {
		rc = xv_err_ctx(EFAULT, "root dentry 0x%" PRIx64 " has no inode: ", dentry);
		goto fail;
	}
	if (xv_kernel_read_u64(k, task + fs->l.task_nsproxy, &nsp) < 0 || !nsp ||
	    xv_kernel_read_u64(k, nsp + fs->l.nsproxy_mnt_ns, &ns) < 0 || !ns) {
		rc = xv_err_ctx(EFAULT, "mount namespace of PID %d: ", pid);
		goto fail;
	}
	if (fs->l.ns_rb) {
		uint64_t rbroot;
		size_t budget = MAX_MOUNTS;

		rc = xv_kernel_read_u64(k, ns + fs->l.ns_list, &rbroot);
		if (rc == 0)
			rc = rb_walk(fs, rbroot, 0, &budget, &mc);
	} else {
		rc = xv_list_walk(k, ns + fs->l.ns_list, fs->l.mnt_list, MAX_MOUNTS, mount_visit, &mc);
	}
	if (rc < 0) {
		xv_err_ctx(-rc, "mounts of PID %d: ", pid);
		goto fail;
	}
	snprintf(fs->how, sizeof(fs->how), "root of %s (task 0x%" PRIx64 "), %zu mounts",
		 pid ? "PID 1" : "init_task", task, fs->nmounts);
	*out = fs;
	return 0;
fail:
	xv_fs_close(fs);
	return rc < 0 ? rc : -EFAULT;
}

void xv_fs_close(struct xv_fs *fs)
{
	if (!fs)
		return;
	xv_pagemap_free(&fs->pm);
	free(fs->mounts);
	free(fs);
}

const struct xv_fs_mount *xv_fs_mount_find(const struct xv_fs *fs, uint64_t addr)
{
	for (size_t i = 0; i < fs->nmounts; i++)
		if (fs->mounts[i].addr == addr)
			return &fs->mounts[i];
	return NULL;
}

int xv_fs_dentry_read(struct xv_fs *fs, uint64_t addr, struct xv_dentry *d)
{
	const struct xv_fs_layout *l = &fs->l;
	uint8_t buf[1024];
	uint64_t name;

	if (xv_kernel_read(fs->k, addr, buf, l->d_size) < 0)
		return xv_err_ctx(EFAULT, "dentry 0x%" PRIx64 ": ", addr);
	d->addr = addr;
	d->flags = xv_le32(buf + l->d_flags);
	d->parent = xv_le64(buf + l->d_parent);
	d->inode = xv_le64(buf + l->d_inode);
	d->sb = xv_le64(buf + l->d_sb);
	d->hashed = xv_le64(buf + l->d_hash_pprev) != 0;
	d->name_len = xv_le32(buf + l->d_name_len);
	name = xv_le64(buf + l->d_name_name);
	if (d->name_len > XV_FS_NAME_MAX)
		return xv_err(ENAMETOOLONG, "dentry 0x%" PRIx64 ": name length %u", addr, d->name_len);
	if (name >= addr && name - addr < l->d_size && name - addr + d->name_len <= l->d_size) {
		memcpy(d->name, buf + (name - addr), d->name_len); /* inline d_iname */
	} else if (xv_kernel_read(fs->k, name, d->name, d->name_len) < 0) {
		return xv_err_ctx(EFAULT, "name of dentry 0x%" PRIx64 ": ", addr);
	}
	d->name[d->name_len] = '\0';
	if (memchr(d->name, '\0', d->name_len) || memchr(d->name, '/', d->name_len))
		return xv_err(EINVAL, "dentry 0x%" PRIx64 ": name contains NUL or '/'", addr);
	return 0;
}

/* Follow mounts stacked on n (DCACHE_MOUNTED): the topmost one wins, as in the kernel. */
static int cross_mounts(struct xv_fs *fs, struct xv_fs_node *n, uint32_t flags)
{
	for (int hop = 0; flags & XV_DCACHE_MOUNTED; hop++) {
		const struct xv_fs_mount *m = NULL;

		if (hop >= MAX_MOUNT_CROSS)
			return xv_err(ELOOP, "more than %d mounts stacked on dentry 0x%" PRIx64,
				      MAX_MOUNT_CROSS, n->dentry);
		for (size_t i = 0; i < fs->nmounts; i++)
			if (fs->mounts[i].parent == n->mnt && fs->mounts[i].mountpoint == n->dentry &&
			    fs->mounts[i].addr != n->mnt)
				m = &fs->mounts[i];
		if (!m)
			return 0; /* mounted in another namespace */
		n->mnt = m->addr;
		n->dentry = m->root;
		if (xv_kernel_read_u64(fs->k, n->dentry + fs->l.d_inode, &n->inode) < 0 ||
		    xv_kernel_read_u32(fs->k, n->dentry + fs->l.d_flags, &flags) < 0)
			return xv_err_ctx(EFAULT, "root of mount 0x%" PRIx64 ": ", m->addr);
	}
	return 0;
}

struct rd_ctx {
	struct xv_fs *fs;
	const struct xv_fs_node *dir;
	xv_fs_dir_cb cb;
	void *ctx;
};

static int rd_visit(struct xv_kernel *k, uint64_t dentry, void *arg)
{
	struct rd_ctx *c = arg;
	struct xv_dentry d;
	struct xv_fs_node n;
	int rc;

	(void)k;
	if ((rc = xv_fs_dentry_read(c->fs, dentry, &d)) < 0)
		return rc;
	if (!d.inode || !d.hashed)
		return 0; /* negative (looked up but absent), cursor, or unlinked-but-open */
	if (d.parent != c->dir->dentry)
		return xv_err(EINVAL, "dentry 0x%" PRIx64 " ('%s') is on the child list of 0x%" PRIx64
				      " but names 0x%" PRIx64 " as its parent", dentry, d.name,
			      c->dir->dentry, d.parent);
	if (d.name_len == 0)
		return xv_err(EINVAL, "dentry 0x%" PRIx64 " has an empty name", dentry);
	n.mnt = c->dir->mnt;
	n.dentry = dentry;
	n.inode = d.inode;
	if ((rc = cross_mounts(c->fs, &n, d.flags)) < 0)
		return rc;
	return c->cb(c->fs, d.name, &n, c->ctx);
}

int xv_fs_readdir(struct xv_fs *fs, const struct xv_fs_node *dir, xv_fs_dir_cb cb, void *ctx)
{
	struct rd_ctx c = { fs, dir, cb, ctx };
	uint64_t head = dir->dentry + fs->l.d_subdirs;

	if (fs->l.d_hlist)
		return xv_hlist_walk(fs->k, head, fs->l.d_child, XV_FS_MAX_CHILDREN, rd_visit, &c);
	return xv_list_walk(fs->k, head, fs->l.d_child, XV_FS_MAX_CHILDREN, rd_visit, &c);
}

struct find_ctx {
	const char *name;
	struct xv_fs_node found;
	int hit;
};

static int find_visit(struct xv_fs *fs, const char *name, const struct xv_fs_node *child, void *arg)
{
	struct find_ctx *c = arg;

	(void)fs;
	if (strcmp(name, c->name) != 0)
		return 0;
	c->found = *child;
	c->hit = 1;
	return 1;
}

static int node_mode(struct xv_fs *fs, const struct xv_fs_node *n, uint32_t *mode)
{
	uint8_t b[2];

	if (xv_kernel_read(fs->k, n->inode + fs->l.i_mode, b, 2) < 0)
		return xv_err_ctx(EFAULT, "inode 0x%" PRIx64 ": ", n->inode);
	*mode = xv_le16(b);
	return 0;
}

int xv_fs_lookup(struct xv_fs *fs, const char *path, int follow, struct xv_fs_node *out)
{
	struct xv_fs_node stack[XV_FS_MAX_DEPTH];
	int depth = 0, links = 0, rc = 0;
	size_t cap = 4096;
	char *work, *p;

	if (!path || path[0] != '/')
		return xv_err(EINVAL, "'%s': guest paths are absolute", path ? path : "");
	if (strlen(path) >= cap)
		return xv_err(ENAMETOOLONG, "path longer than %zu bytes", cap);
	work = malloc(cap * 2);
	if (!work)
		return xv_err(ENOMEM, "out of memory");
	snprintf(work, cap * 2, "%s", path);
	stack[0] = fs->root;
	p = work;
	while (*p) {
		char comp[XV_FS_NAME_MAX + 1];
		size_t len;
		uint32_t mode;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len > XV_FS_NAME_MAX) {
			rc = xv_err(ENAMETOOLONG, "component '%.40s...' too long", p);
			break;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (depth > 0)
				depth--;
			continue;
		}
		if ((rc = node_mode(fs, &stack[depth], &mode)) < 0)
			break;
		if ((mode & 0170000) != 0040000) {
			rc = xv_err(ENOTDIR, "%s: '%s' is reached through a non-directory", path, comp);
			break;
		}
		struct find_ctx fc = { .name = comp };

		rc = xv_fs_readdir(fs, &stack[depth], find_visit, &fc);
		if (rc < 0)
			break;
		if (!fc.hit) {
			rc = xv_err(ENOENT, "%s: no '%s' in the guest", path, comp);
			break;
		}
		if ((rc = node_mode(fs, &fc.found, &mode)) < 0)
			break;
		int last = strspn(p, "/") == strlen(p);

		if ((mode & 0170000) == 0120000 && (!last || follow)) {
			char target[4096];
			size_t tl, rl = strlen(p);

			if (++links > MAX_SYMLINKS) {
				rc = xv_err(ELOOP, "%s: more than %d symlinks", path, MAX_SYMLINKS);
				break;
			}
			if ((rc = xv_fs_readlink(fs, &fc.found, target, sizeof(target))) < 0)
				break;
			tl = strlen(target);
			if (tl == 0 || tl + 1 + rl >= cap * 2) {
				rc = xv_err(ENAMETOOLONG, "%s: symlink '%s' target too long or empty",
					    path, comp);
				break;
			}
			/* The rest of the path goes after the target; p points into work. */
			memmove(work + tl + 1, p, rl + 1);
			memcpy(work, target, tl);
			work[tl] = '/';
			p = work;
			if (target[0] == '/')
				depth = 0;
			continue;
		}
		if (depth + 1 >= XV_FS_MAX_DEPTH) {
			rc = xv_err(ELOOP, "%s: deeper than %d", path, XV_FS_MAX_DEPTH);
			break;
		}
		stack[++depth] = fc.found;
	}
	if (rc == 0)
		*out = stack[depth];
	free(work);
	return rc;
}

enum xv_ftype xv_fs_mode_type(uint32_t mode)
{
	switch (mode & 0170000) {
	case 0100000: return XV_FT_REG;
	case 0040000: return XV_FT_DIR;
	case 0120000: return XV_FT_LNK;
	case 0020000: return XV_FT_CHR;
	case 0060000: return XV_FT_BLK;
	case 0010000: return XV_FT_FIFO;
	case 0140000: return XV_FT_SOCK;
	default: return XV_FT_UNKNOWN;
	}
}

int xv_fs_stat(struct xv_fs *fs, const struct xv_fs_node *n, struct xv_fs_stat *st)
{
	const struct xv_fs_layout *l = &fs->l;
	uint8_t buf[4096];
	uint64_t mapping, sb;
	uint32_t rdev;

	memset(st, 0, sizeof(*st));
	if (xv_kernel_read(fs->k, n->inode, buf, l->i_size_struct) < 0)
		return xv_err_ctx(EFAULT, "inode 0x%" PRIx64 ": ", n->inode);
	st->mode = xv_le16(buf + l->i_mode);
	st->type = xv_fs_mode_type(st->mode);
	st->uid = xv_le32(buf + l->i_uid);
	st->gid = xv_le32(buf + l->i_gid);
	st->ino = xv_le64(buf + l->i_ino);
	st->nlink = xv_le32(buf + l->i_nlink);
	st->size = xv_le64(buf + l->i_size);
	st->blocks = xv_le64(buf + l->i_blocks);
	st->mtime = (int64_t)xv_le64(buf + l->i_mtime);
	st->ctime = (int64_t)xv_le64(buf + l->i_ctime);
	st->atime = (int64_t)xv_le64(buf + l->i_atime);
	st->mtime_ns = xv_le32(buf + l->i_mtime_ns);
	st->ctime_ns = xv_le32(buf + l->i_ctime_ns);
	st->atime_ns = xv_le32(buf + l->i_atime_ns);
	rdev = xv_le32(buf + l->i_rdev);
	st->rdev_major = rdev >> 20;
	st->rdev_minor = rdev & 0xfffff;
	mapping = xv_le64(buf + l->i_mapping);
	sb = xv_le64(buf + l->i_sb);
	if (mapping)
		xv_kernel_read_u64(fs->k, mapping + l->as_nrpages, &st->nrpages);
	if (sb_info(fs, sb, st->fstype, sizeof(st->fstype), &st->memfs) < 0) {
		snprintf(st->fstype, sizeof(st->fstype), "?");
		xv_err_clear();
	}
	return 0;
}
