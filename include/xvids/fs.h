/* fs.h — the guest's files read from its kernel memory: dentry tree, inodes, page cache; fchk/fichk. */
#ifndef XVIDS_FS_H
#define XVIDS_FS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xvids/kernel.h"

struct xv_policy;
struct xv_findings;

/*
 * "/" is the root of PID 1's file system (task->fs->root), in PID 1's mount namespace: that is
 * the tree the guest's init and its children see (after a switch_root too). init_task's root is
 * used only when PID 1 cannot be read. Mounts are crossed like the kernel does (a dentry with
 * DCACHE_MOUNTED leads to the topmost mount on it). Memory file systems (rootfs, tmpfs, ramfs,
 * devtmpfs: the dcache is the directory, the page cache is the data) are complete; for other
 * file systems only what the kernel has cached can be seen (xv_fs_stat.memfs = 0).
 */
struct xv_fs;

enum xv_ftype {
	XV_FT_UNKNOWN = 0, XV_FT_REG, XV_FT_DIR, XV_FT_LNK, XV_FT_CHR, XV_FT_BLK, XV_FT_FIFO,
	XV_FT_SOCK
};

/* A file as the guest's kernel records it. */
struct xv_fs_node {
	uint64_t mnt;    /* struct mount */
	uint64_t dentry; /* struct dentry */
	uint64_t inode;  /* struct inode */
};

struct xv_fs_stat {
	enum xv_ftype type;
	uint32_t mode;   /* i_mode: type and permission bits as stat(2) */
	uint32_t uid, gid;
	uint64_t ino, nlink, size, blocks;
	int64_t mtime, ctime, atime; /* seconds */
	uint32_t mtime_ns, ctime_ns, atime_ns;
	uint32_t rdev_major, rdev_minor;
	uint64_t nrpages; /* pages in the page cache */
	int memfs;        /* the file system is a memory one (contents complete in RAM) */
	char fstype[32];  /* s_type->name: "rootfs", "tmpfs", "proc", ... */
};

int xv_fs_open(struct xv_kernel *k, struct xv_fs **out);
void xv_fs_close(struct xv_fs *fs);
struct xv_kernel *xv_fs_kernel(struct xv_fs *fs);
/* One phrase on where "/" came from (for messages and docs). */
const char *xv_fs_describe(const struct xv_fs *fs);

/* Resolve an absolute path. follow: follow a final symlink too (intermediate ones always are,
 * at most 40 in all). -ENOENT (message names the missing component), -ENOTDIR, -ELOOP. */
int xv_fs_lookup(struct xv_fs *fs, const char *path, int follow, struct xv_fs_node *out);
int xv_fs_stat(struct xv_fs *fs, const struct xv_fs_node *n, struct xv_fs_stat *st);

/* Children of a directory (positive, hashed dentries; cursors and negative ones skipped), in
 * the kernel's list order, mounts crossed. The callback stops the walk by returning non-zero.
 * At most XV_FS_MAX_CHILDREN entries (-E2BIG beyond), cycles -ELOOP. */
#define XV_FS_MAX_CHILDREN 1000000
#define XV_FS_NAME_MAX 255
typedef int (*xv_fs_dir_cb)(struct xv_fs *fs, const char *name, const struct xv_fs_node *child,
			    void *ctx);
int xv_fs_readdir(struct xv_fs *fs, const struct xv_fs_node *dir, xv_fs_dir_cb cb, void *ctx);

/* Symlink target (shmem's inline i_link, or page 0 of the page cache). Always NUL-terminates. */
int xv_fs_readlink(struct xv_fs *fs, const struct xv_fs_node *n, char *buf, size_t size);

/* What a content read found. */
struct xv_fs_readinfo {
	uint64_t pages;    /* pages of the file inside the range read */
	uint64_t resident; /* found in the page cache and read */
	uint64_t holes;    /* not in the page cache of a memory file system: read as zeros, as the
			    * guest would (sparse files) */
	uint64_t missing;  /* swapped out, evicted, unreadable: zeros in the buffer, file partial */
};

/* Sizes above this are treated as corrupt (EFBIG) rather than streamed as zeros. */
#define XV_FS_MAX_SIZE (1ull << 48)

/* Read the file's bytes [off, off+len) from the page cache (len clipped at i_size; *got says how
 * many). Never short without saying so: missing pages are zero-filled and counted in ri. */
int xv_fs_pread(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t off, void *buf, size_t len,
		size_t *got, struct xv_fs_readinfo *ri);

/* The same, streamed in order: sink gets consecutive chunks (page cache pages, or zeros for holes
 * and missing pages); returning non-zero stops (returned as is). len may be UINT64_MAX. */
typedef int (*xv_fs_sink)(const void *data, size_t len, void *ctx);
int xv_fs_stream(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t off, uint64_t len,
		 xv_fs_sink sink, void *ctx, struct xv_fs_readinfo *ri);

/* The whole file into a malloc'd buffer (caller frees). -EFBIG if i_size > max. */
int xv_fs_read_all(struct xv_fs *fs, const struct xv_fs_node *n, size_t max, uint8_t **buf,
		   size_t *len, struct xv_fs_readinfo *ri);

/* Recursive walk under path (itself first), depth-first, bounded (depth 256, each dentry once).
 * The callback gets the full path; returning 1 skips a directory's children, < 0 stops.
 * Errors inside the tree (an unreadable directory, a loop) go to err_cb when given (the walk
 * goes on) or stop the walk. */
#define XV_FS_MAX_DEPTH 256
typedef int (*xv_fs_walk_cb)(struct xv_fs *fs, const char *path, const struct xv_fs_node *n,
			     const struct xv_fs_stat *st, void *ctx);
typedef void (*xv_fs_err_cb)(struct xv_fs *fs, const char *path, int rc, const char *msg,
			     void *ctx);
int xv_fs_walk(struct xv_fs *fs, const char *path, xv_fs_walk_cb cb, xv_fs_err_cb err_cb,
	       void *ctx);

const char *xv_ftype_name(enum xv_ftype t);           /* "file", "dir", "symlink", ... */
int xv_ftype_parse(const char *s, enum xv_ftype *t);  /* inverse; -EINVAL */
char xv_ftype_char(enum xv_ftype t);                  /* ls -l: '-', 'd', 'l', ... */
void xv_fs_mode_string(uint32_t mode, char out[11]);  /* "-rwsr-xr-x" */
/* find(1) -perm style: "0644" exactly, "/6000" any of the bits, "-0002" all of them.
 * 1 match, 0 no match, -EINVAL (with a message) for a malformed spec. */
int xv_fs_mode_match(const char *spec, uint32_t mode);
/* "1000" equal, "!0" different. 1, 0 or -EINVAL. */
int xv_fs_id_match(const char *spec, uint32_t id);

/* Presentation shared by ls/stat/find: one `ls -ln`-style line (BusyBox columns), and a JSON
 * object {name, path, type, mode ("0755"), uid, gid, size, mtime, nlink, ino[, target][, rdev]}. */
struct json_object;
void xv_fs_print_long(FILE *f, const char *name, const struct xv_fs_stat *st, const char *target);
struct json_object *xv_fs_stat_json(const char *name, const char *path, const struct xv_fs_stat *st,
				    const char *target);

/* SHA-256 of the whole file (hex, 64 chars + NUL). -EAGAIN when pages are missing (partial). */
int xv_fs_sha256(struct xv_fs *fs, const struct xv_fs_node *n, char hex[65],
		 struct xv_fs_readinfo *ri);

/*
 * fchk. The manifest scope is the policy's `tree include|exclude path=P [attrs=LIST]` lines
 * (defaults when there are none: include / minus /proc /sys /dev /run /tmp). See docs/files.md.
 * xv_fchk_baseline writes the tree lines and one `file expect` line per file in scope.
 */
int xv_fchk_baseline(struct xv_kernel *k, const struct xv_policy *scope, FILE *out);
int xv_fchk(struct xv_kernel *k, const struct xv_policy *p, struct xv_findings *out);

/* fichk: scan regular files under the given paths with YARA rules (rules_path) and/or a list of
 * forbidden strings (strings_path, one per line). Either may be NULL. -ENOTSUP for rules when
 * built without libyara. */
struct xv_fichk_opts {
	const char *rules_path;
	const char *strings_path;
	const char *const *paths; /* NULL-terminated; NULL = "/" */
	size_t max_file;          /* larger files are not scanned but reported; 0 = 256 MiB */
	int threads;              /* scanning threads; 0 = one per CPU (at most 8) */
	uint64_t bytes_scanned;   /* out: file bytes scanned */
	uint64_t files_scanned;   /* out */
};
int xv_fichk(struct xv_kernel *k, struct xv_fichk_opts *o, struct xv_findings *out);
int xv_fichk_have_yara(void);

#endif
