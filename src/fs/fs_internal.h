/* fs_internal.h — the file-system walker's state: struct offsets from BTF, mounts, the page map. */
#ifndef XV_FS_INTERNAL_H
#define XV_FS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "xvids/fs.h"

/* Offsets of everything we decode, looked up once per kernel (BTF). */
struct xv_fs_layout {
	uint32_t d_size, d_flags, d_parent, d_name_len, d_name_name, d_inode, d_sb, d_hash_pprev;
	uint32_t d_subdirs, d_child; /* list_head (6.1) or hlist (6.8+: d_children / d_sib) */
	int d_hlist;
	uint32_t i_size_struct, i_mode, i_uid, i_gid, i_ino, i_nlink, i_rdev, i_size, i_blocks;
	uint32_t i_atime, i_mtime, i_ctime; /* timespec64 (sec at +0, nsec at +8) */
	int i_time_split;                   /* 6.11+: i_mtime_sec / i_mtime_nsec */
	uint32_t i_atime_ns, i_mtime_ns, i_ctime_ns;
	uint32_t i_sb, i_mapping, i_link, i_link_ok;
	uint32_t as_pages_head, as_nrpages; /* address_space.i_pages.xa_head, nrpages */
	uint32_t sb_type, sb_magic, fst_name;
	uint32_t mnt_mnt, mnt_root, mnt_parent, mnt_mountpoint, mnt_list, mnt_sb;
	uint32_t ns_list;
	int ns_rb;           /* mnt_namespace.mounts is an rb_root (6.8+) */
	uint32_t mnt_node;   /* struct mount.mnt_node (rb) */
	uint32_t xa_shift, xa_slots, xa_nslots;
	uint32_t fs_root;    /* fs_struct.root (struct path: mnt, dentry) */
	uint32_t task_fs, task_nsproxy, nsproxy_mnt_ns;
};

struct xv_fs_mount {
	uint64_t addr, parent, mountpoint, root, sb;
	char fstype[32];
	int memfs;
};

/* struct page → physical address, from mem_section (VMCOREINFO): one range per present section. */
struct xv_pagemap_range {
	uint64_t page_lo, page_hi; /* [lo, hi) addresses of struct pages */
	uint64_t pfn0;             /* pfn of the page at page_lo */
};

struct xv_pagemap {
	struct xv_pagemap_range *r;
	size_t n;
	uint32_t page_size;   /* sizeof(struct page) */
	uint64_t vmemmap;     /* common base if every section agrees (SPARSEMEM_VMEMMAP), else 0 */
	char how[160];
};

struct xv_fs {
	struct xv_kernel *k;
	struct xv_fs_layout l;
	struct xv_fs_node root;
	struct xv_fs_mount *mounts;
	size_t nmounts;
	struct xv_pagemap pm;
	int pm_ready;
	char how[200];
};

#define XV_DCACHE_MOUNTED 0x00010000u
#define XV_TMPFS_MAGIC 0x01021994u
#define XV_RAMFS_MAGIC 0x858458f6u

int xv_fs_layout_init(struct xv_kernel *k, struct xv_fs_layout *l);

/* Decoded dentry. */
struct xv_dentry {
	uint64_t addr, parent, inode, sb;
	uint32_t flags;
	int hashed;
	uint32_t name_len;
	char name[XV_FS_NAME_MAX + 1];
};
int xv_fs_dentry_read(struct xv_fs *fs, uint64_t addr, struct xv_dentry *d);
const struct xv_fs_mount *xv_fs_mount_find(const struct xv_fs *fs, uint64_t addr);

/* Page map (pagemap.c). */
int xv_pagemap_init(struct xv_kernel *k, struct xv_pagemap *pm);
/* What VMCOREINFO says about mem_section; the pure part, over a read callback (tests). */
struct xv_memsec_desc {
	uint64_t ms;       /* SYMBOL(mem_section): the roots array (EXTREME) or the 2-D array */
	uint64_t nroots;   /* LENGTH(mem_section) */
	uint64_t ms_size;  /* SIZE(mem_section) */
	uint64_t map_off;  /* OFFSET(mem_section.section_mem_map) */
	uint64_t ssb;      /* NUMBER(SECTION_SIZE_BITS) */
	uint64_t maxphys;  /* NUMBER(MAX_PHYSMEM_BITS) */
	uint64_t psize;    /* SIZE(page) */
};
typedef int (*xv_xa_read_fn)(void *rctx, uint64_t addr, void *buf, size_t len);
int xv_pagemap_build(const struct xv_memsec_desc *d, const struct xv_mem_seg *segs, size_t nsegs,
		     xv_xa_read_fn rd, void *rctx, struct xv_pagemap *pm);
void xv_pagemap_free(struct xv_pagemap *pm);
int xv_pagemap_pa(const struct xv_pagemap *pm, uint64_t page, uint64_t *pa);

/*
 * XArray walk (xarray.c), pure over a read callback so that tests can feed hand-built nodes.
 * For every present entry covering indices [first, first+count) it calls cb with the entry and
 * the first index the entry itself stands for (multi-index entries: the folio's first index;
 * sibling slots resolve to their canonical slot). Value entries (swap, shadow) are passed too:
 * the caller tells them apart (entry & 1). Indices outside [min_index, max_index) are skipped (entries straddling min_index are passed whole). Nodes are checked:
 * shift must be parent shift - chunk bits, depth bounded, node count bounded.
 */
typedef int (*xv_xa_entry_cb)(uint64_t first, uint64_t count, uint64_t entry, uint64_t entry_first,
			      void *ctx);
struct xv_xa_geom {
	uint32_t shift_off;   /* offsetof(xa_node, shift) */
	uint32_t slots_off;   /* offsetof(xa_node, slots) */
	uint32_t nslots;      /* XA_CHUNK_SIZE (64) */
	uint32_t max_nodes;   /* bound on nodes visited */
};
int xv_xa_walk(const struct xv_xa_geom *g, xv_xa_read_fn rd, void *rctx, uint64_t head,
	       uint64_t min_index, uint64_t max_index, xv_xa_entry_cb cb, void *ctx);

/*
 * Where a regular file's bytes are in guest RAM (content.c): runs of file pages that are
 * consecutive in guest-physical memory too, in file order; the bytes between runs are zeros
 * (holes, and pages that are missing: counted in the readinfo). Getting them needs the kernel
 * model (one thread); copying them needs only the memory source, so any thread can.
 */
struct xv_fs_run {
	uint64_t idx, n; /* file pages [idx, idx+n) */
	uint64_t pa;     /* physical address of page idx */
};
struct xv_fs_extents {
	struct xv_fs_run *r;
	size_t n, cap;
	uint64_t size; /* i_size */
};
/* -EFBIG over max bytes. ex is reused (its array kept); free with xv_fs_extents_free. */
int xv_fs_extents_get(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t max,
		      struct xv_fs_extents *ex, struct xv_fs_readinfo *ri);
/* Copy ex->size bytes into buf; pages that cannot be read become zeros, counted in *unreadable. */
int xv_fs_extents_copy(struct xv_mem *mem, const struct xv_fs_extents *ex, uint8_t *buf,
		       uint64_t *unreadable);
void xv_fs_extents_free(struct xv_fs_extents *ex);

enum xv_ftype xv_fs_mode_type(uint32_t mode);

/* attrs.c: pure helpers shared by fchk and tests. */
int xv_fs_glob_match(const char *glob, const char *path);
/* Is path inside dir (same or below, component boundary)? */
int xv_fs_path_under(const char *path, const char *dir);

/* scope.c: which files the manifest covers (tree include/exclude lines) and which attributes. */
enum {
	XV_FA_TYPE = 1 << 0, XV_FA_MODE = 1 << 1, XV_FA_UID = 1 << 2, XV_FA_GID = 1 << 3,
	XV_FA_SIZE = 1 << 4, XV_FA_MTIME = 1 << 5, XV_FA_SHA256 = 1 << 6, XV_FA_TARGET = 1 << 7,
	XV_FA_INODE = 1 << 8, XV_FA_NLINK = 1 << 9,
	XV_FA_PERMS = XV_FA_TYPE | XV_FA_MODE | XV_FA_UID | XV_FA_GID,
	XV_FA_DEFAULT = XV_FA_PERMS | XV_FA_SIZE | XV_FA_MTIME | XV_FA_SHA256 | XV_FA_TARGET,
	XV_FA_ALL = XV_FA_DEFAULT | XV_FA_INODE | XV_FA_NLINK,
};
#define XV_FA_COUNT 10
/* Attribute bit i's policy key ("type", "mode", ...). */
const char *xv_fa_name(int i);
/* "all", "default", "perms" or a comma list of attribute names. */
int xv_fa_parse(const char *s, unsigned *mask);

struct xv_scope_rule {
	const char *path; /* directory (prefix on component boundaries) or glob (contains *?[) */
	int include;
	unsigned attrs;
	int glob;
};
struct xv_scope {
	struct xv_scope_rule *r;
	size_t n;
	int defaulted; /* no tree lines given: the built-in default */
};
/* From the policy's tree lines (NULL or none: include / minus /proc /sys /dev /run /tmp).
 * -EINVAL with FILE:LINE on a bad attrs= list or a relative path. */
int xv_scope_init(struct xv_scope *s, const struct xv_policy *p);
void xv_scope_free(struct xv_scope *s);
/* In scope? Returns the attribute mask to record/compare, 0 when out of scope. The most specific
 * rule wins (longest directory; an exclude glob that matches beats any directory rule). */
unsigned xv_scope_attrs(const struct xv_scope *s, const char *path);

#endif
