/* layout.c — offsets of the dentry/inode/mount/page-cache fields the file walker decodes, from BTF. */
#include <errno.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "xvids/err.h"
#include "xvids/obj.h"

static int need(struct xv_kernel *k, const char *type, const char *path, uint32_t *off)
{
	int rc = xv_off(k, type, path, off);

	return rc < 0 ? xv_err_ctx(-rc, "file walker needs %s.%s: ", type, path) : 0;
}

/* The first of several spellings that this kernel's BTF knows (fields renamed across versions). */
static int first_of(struct xv_kernel *k, const char *type, const char *const *paths, uint32_t *off,
		    int *which)
{
	for (int i = 0; paths[i]; i++)
		if (xv_off(k, type, paths[i], off) == 0) {
			if (which)
				*which = i;
			return 0;
		}
	return xv_err(ENOENT, "file walker: struct %s has none of %s%s%s", type, paths[0],
		      paths[1] ? ", " : "", paths[1] ? paths[1] : "");
}

int xv_fs_layout_init(struct xv_kernel *k, struct xv_fs_layout *l)
{
	static const char *const subdirs[] = { "d_subdirs", "d_children", NULL };
	static const char *const child[] = { "d_child", "d_sib", NULL };
	static const char *const mtime[] = { "i_mtime.tv_sec", "__i_mtime.tv_sec", "i_mtime_sec", NULL };
	static const char *const ctime[] = { "i_ctime.tv_sec", "__i_ctime.tv_sec", "i_ctime_sec", NULL };
	static const char *const atime[] = { "i_atime.tv_sec", "__i_atime.tv_sec", "i_atime_sec", NULL };
	static const char *const marks[] = { "marks", "tags", NULL };
	uint32_t marks_off;
	int w1, w2, rc = 0;

	memset(l, 0, sizeof(*l));
	rc |= xv_sizeof(k, "dentry", &l->d_size);
	rc |= need(k, "dentry", "d_flags", &l->d_flags);
	rc |= need(k, "dentry", "d_parent", &l->d_parent);
	rc |= need(k, "dentry", "d_name.len", &l->d_name_len);
	rc |= need(k, "dentry", "d_name.name", &l->d_name_name);
	rc |= need(k, "dentry", "d_inode", &l->d_inode);
	rc |= need(k, "dentry", "d_sb", &l->d_sb);
	rc |= need(k, "dentry", "d_hash.pprev", &l->d_hash_pprev);
	if (rc)
		return -ENOENT;
	if (first_of(k, "dentry", subdirs, &l->d_subdirs, &w1) < 0 ||
	    first_of(k, "dentry", child, &l->d_child, &w2) < 0)
		return -ENOENT;
	l->d_hlist = w1 == 1;
	rc |= xv_sizeof(k, "inode", &l->i_size_struct);
	rc |= need(k, "inode", "i_mode", &l->i_mode);
	rc |= need(k, "inode", "i_uid", &l->i_uid);
	rc |= need(k, "inode", "i_gid", &l->i_gid);
	rc |= need(k, "inode", "i_ino", &l->i_ino);
	rc |= need(k, "inode", "i_nlink", &l->i_nlink);
	rc |= need(k, "inode", "i_rdev", &l->i_rdev);
	rc |= need(k, "inode", "i_size", &l->i_size);
	rc |= need(k, "inode", "i_blocks", &l->i_blocks);
	rc |= need(k, "inode", "i_sb", &l->i_sb);
	rc |= need(k, "inode", "i_mapping", &l->i_mapping);
	if (rc)
		return -ENOENT;
	if (first_of(k, "inode", mtime, &l->i_mtime, &w1) < 0 ||
	    first_of(k, "inode", ctime, &l->i_ctime, NULL) < 0 ||
	    first_of(k, "inode", atime, &l->i_atime, NULL) < 0)
		return -ENOENT;
	l->i_time_split = w1 == 2;
	if (l->i_time_split) {
		if (need(k, "inode", "i_mtime_nsec", &l->i_mtime_ns) < 0 ||
		    need(k, "inode", "i_ctime_nsec", &l->i_ctime_ns) < 0 ||
		    need(k, "inode", "i_atime_nsec", &l->i_atime_ns) < 0)
			return -ENOENT;
	} else {
		l->i_mtime_ns = l->i_mtime + 8;
		l->i_ctime_ns = l->i_ctime + 8;
		l->i_atime_ns = l->i_atime + 8;
	}
	l->i_link_ok = xv_off(k, "inode", "i_link", &l->i_link) == 0;
	rc |= need(k, "address_space", "i_pages.xa_head", &l->as_pages_head);
	rc |= need(k, "address_space", "nrpages", &l->as_nrpages);
	rc |= need(k, "super_block", "s_type", &l->sb_type);
	rc |= need(k, "super_block", "s_magic", &l->sb_magic);
	rc |= need(k, "file_system_type", "name", &l->fst_name);
	rc |= need(k, "mount", "mnt", &l->mnt_mnt);
	rc |= need(k, "mount", "mnt.mnt_root", &l->mnt_root);
	rc |= need(k, "mount", "mnt.mnt_sb", &l->mnt_sb);
	rc |= need(k, "mount", "mnt_parent", &l->mnt_parent);
	rc |= need(k, "mount", "mnt_mountpoint", &l->mnt_mountpoint);
	rc |= need(k, "fs_struct", "root", &l->fs_root);
	rc |= need(k, "task_struct", "fs", &l->task_fs);
	rc |= need(k, "task_struct", "nsproxy", &l->task_nsproxy);
	rc |= need(k, "nsproxy", "mnt_ns", &l->nsproxy_mnt_ns);
	rc |= need(k, "xa_node", "shift", &l->xa_shift);
	rc |= need(k, "xa_node", "slots", &l->xa_slots);
	if (rc)
		return -ENOENT;
	if (xv_off(k, "mnt_namespace", "list", &l->ns_list) == 0 &&
	    xv_off(k, "mount", "mnt_list", &l->mnt_list) == 0) {
		l->ns_rb = 0;
	} else if (xv_off(k, "mnt_namespace", "mounts", &l->ns_list) == 0 &&
		   xv_off(k, "mount", "mnt_node", &l->mnt_node) == 0) {
		l->ns_rb = 1;
	} else {
		return xv_err(ENOENT, "file walker: mnt_namespace has neither a mount list nor a tree");
	}
	if (first_of(k, "xa_node", marks, &marks_off, NULL) < 0)
		return -ENOENT;
	if (marks_off <= l->xa_slots || (marks_off - l->xa_slots) % 8 ||
	    (marks_off - l->xa_slots) / 8 > 256)
		return xv_err(EINVAL, "file walker: xa_node.slots layout unexpected (%u..%u)",
			      l->xa_slots, marks_off);
	l->xa_nslots = (marks_off - l->xa_slots) / 8;
	if (l->d_size > 1024 || l->i_size_struct > 4096)
		return xv_err(EINVAL, "file walker: dentry (%u) or inode (%u) size implausible",
			      l->d_size, l->i_size_struct);
	/* xv_fs_dentry_read and xv_fs_stat decode these from one copy of the struct: a hostile BTF
	 * placing one past the struct's size would have them read from beyond that copy. */
	const struct { const char *what; uint32_t off, len; int ino; } f[] = {
		{ "d_flags", l->d_flags, 4, 0 }, { "d_parent", l->d_parent, 8, 0 },
		{ "d_inode", l->d_inode, 8, 0 }, { "d_sb", l->d_sb, 8, 0 },
		{ "d_hash.pprev", l->d_hash_pprev, 8, 0 }, { "d_name.len", l->d_name_len, 4, 0 },
		{ "d_name.name", l->d_name_name, 8, 0 }, { "i_mode", l->i_mode, 2, 1 },
		{ "i_uid", l->i_uid, 4, 1 }, { "i_gid", l->i_gid, 4, 1 }, { "i_ino", l->i_ino, 8, 1 },
		{ "i_nlink", l->i_nlink, 4, 1 }, { "i_size", l->i_size, 8, 1 },
		{ "i_blocks", l->i_blocks, 8, 1 }, { "i_mtime", l->i_mtime, 8, 1 },
		{ "i_ctime", l->i_ctime, 8, 1 }, { "i_atime", l->i_atime, 8, 1 },
		{ "i_mtime nsec", l->i_mtime_ns, 4, 1 }, { "i_ctime nsec", l->i_ctime_ns, 4, 1 },
		{ "i_atime nsec", l->i_atime_ns, 4, 1 }, { "i_rdev", l->i_rdev, 4, 1 },
		{ "i_mapping", l->i_mapping, 8, 1 }, { "i_sb", l->i_sb, 8, 1 },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint32_t size = f[i].ino ? l->i_size_struct : l->d_size;

		if (f[i].off > size || size - f[i].off < f[i].len)
			return xv_err(EINVAL, "file walker: BTF puts %s.%s at offset %u, past the "
					      "struct's %u bytes; refusing", f[i].ino ? "inode" : "dentry",
				      f[i].what, f[i].off, size);
	}
	return 0;
}
