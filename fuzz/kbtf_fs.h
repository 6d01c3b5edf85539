/* kbtf_fs.h — the structs the file-system walker (src/fs) reads, for fuzz_fs and its seeds: a 6.1
 * layout (d_subdirs list, mount list, timespec64 times) and a 6.11 one (d_children hlist, mount
 * rb-tree, split i_*_sec and i_*_nsec times). The seeds build images with these offsets. */
#ifndef XV_FUZZ_KBTF_FS_H
#define XV_FUZZ_KBTF_FS_H

#include "kbtf.h"

/* task_struct: the walk's fields plus fs and nsproxy */
#define FS_TASK_SIZE 176
#define FS_TASK_TASKS 32
#define FS_TASK_FS 96
#define FS_TASK_NSPROXY 104
#define FS_FSS_ROOT 8        /* fs_struct.root (struct path: mnt, dentry) */
#define FS_NSP_MNT_NS 8      /* nsproxy.mnt_ns */
#define FS_NS_LIST 8         /* mnt_namespace.list (6.1) / .mounts (rb_root, 6.8+) */
#define FS_MNT_PARENT 0
#define FS_MNT_MOUNTPOINT 8
#define FS_MNT_MNT 16        /* struct vfsmount: mnt_root +0, mnt_sb +8 */
#define FS_MNT_LIST 32       /* mount.mnt_list (6.1) / mnt_node (rb_node, 6.8+) */
#define FS_MNT_SIZE 96
#define FS_D_FLAGS 0
#define FS_D_HASH 8          /* hlist_bl_node: pprev at +8 */
#define FS_D_PARENT 24
#define FS_D_NAME 32         /* qstr: len +4, name +8 */
#define FS_D_INODE 48
#define FS_D_INAME 56
#define FS_D_SB 88
#define FS_D_CHILD 96        /* d_child list_head (6.1) / d_sib hlist_node (6.8+) */
#define FS_D_SUBDIRS 112     /* d_subdirs list_head (6.1) / d_children hlist_head (6.8+) */
#define FS_D_SIZE 128
#define FS_I_MODE 0
#define FS_I_UID 4
#define FS_I_GID 8
#define FS_I_SB 16
#define FS_I_MAPPING 24
#define FS_I_INO 32
#define FS_I_NLINK 40
#define FS_I_RDEV 44
#define FS_I_SIZE 48
#define FS_I_ATIME 56        /* timespec64 (6.1); 6.11: i_atime_sec 56, i_mtime_sec 64, ... */
#define FS_I_MTIME 72
#define FS_I_CTIME 88
#define FS_I_BLOCKS 104
#define FS_I_LINK 112
#define FS_I_SIZEOF 160
#define FS_AS_PAGES 0        /* address_space.i_pages (xarray: xa_head +8) */
#define FS_AS_NRPAGES 16
#define FS_SB_MAGIC 0
#define FS_SB_TYPE 8
#define FS_FST_NAME 0
#define FS_XA_SHIFT 0
#define FS_XA_SLOTS 40
#define FS_XA_MARKS 552

#define FS_TASK_FIELDS                                                                          \
	{ "__state", K_U32, 0 }, { "flags", K_U32, 4 }, { "pid", K_U32, 8 }, { "tgid", K_U32, 12 }, \
	{ "comm", K_COMM, 16 }, { "tasks", K_LH, FS_TASK_TASKS }, { "real_parent", K_PTR, 48 },   \
	{ "mm", K_PTR, 56 }, { "real_cred", K_PTR, 64 }, { "cred", K_PTR, 72 },                   \
	{ "start_time", K_U64, 80 }, { "exit_state", K_U32, 88 }, { "fs", K_PTR, FS_TASK_FS },    \
	{ "nsproxy", K_PTR, FS_TASK_NSPROXY }
#define FS_COMMON_STRUCTS                                                                       \
	{ "task_struct", FS_TASK_SIZE, { FS_TASK_FIELDS } },                                      \
	{ "cred", 16, { { "uid", K_U32, 0 }, { "euid", K_U32, 4 }, { "gid", K_U32, 8 } } },      \
	{ "fs_struct", 24, { { "root", K_PATH, FS_FSS_ROOT } } },                                 \
	{ "nsproxy", 16, { { "mnt_ns", K_PTR, FS_NSP_MNT_NS } } },                                \
	{ "address_space", 32, { { "i_pages", K_XA, FS_AS_PAGES },                                \
				 { "nrpages", K_U64, FS_AS_NRPAGES } } },                         \
	{ "super_block", 32, { { "s_magic", K_U64, FS_SB_MAGIC }, { "s_type", K_PTR, FS_SB_TYPE } } }, \
	{ "file_system_type", 16, { { "name", K_PTR, FS_FST_NAME } } },                           \
	{ "xa_node", 576, { { "shift", K_U8, FS_XA_SHIFT }, { "offset", K_U8, 1 },                \
			    { "count", K_U8, 2 }, { "parent", K_PTR, 8 },                         \
			    { "slots", K_SLOTS, FS_XA_SLOTS }, { "marks", K_MARKS, FS_XA_MARKS } } }
#define FS_INODE_COMMON                                                                         \
	{ "i_mode", K_U16, FS_I_MODE }, { "i_uid", K_U32, FS_I_UID }, { "i_gid", K_U32, FS_I_GID }, \
	{ "i_sb", K_PTR, FS_I_SB }, { "i_mapping", K_PTR, FS_I_MAPPING },                         \
	{ "i_ino", K_U64, FS_I_INO }, { "i_nlink", K_U32, FS_I_NLINK },                           \
	{ "i_rdev", K_U32, FS_I_RDEV }, { "i_size", K_U64, FS_I_SIZE },                           \
	{ "i_blocks", K_U64, FS_I_BLOCKS }, { "i_link", K_PTR, FS_I_LINK }

static const struct kstruct kbtf_fs61[] = {
	FS_COMMON_STRUCTS,
	{ "mnt_namespace", 32, { { "list", K_LH, FS_NS_LIST } } },
	{ "mount", FS_MNT_SIZE, { { "mnt_parent", K_PTR, FS_MNT_PARENT },
				  { "mnt_mountpoint", K_PTR, FS_MNT_MOUNTPOINT },
				  { "mnt", K_VFSMNT, FS_MNT_MNT }, { "mnt_list", K_LH, FS_MNT_LIST } } },
	{ "dentry", FS_D_SIZE, { { "d_flags", K_U32, FS_D_FLAGS }, { "d_hash", K_HBL, FS_D_HASH },
				 { "d_parent", K_PTR, FS_D_PARENT }, { "d_name", K_QSTR, FS_D_NAME },
				 { "d_inode", K_PTR, FS_D_INODE }, { "d_iname", K_NAME32, FS_D_INAME },
				 { "d_sb", K_PTR, FS_D_SB }, { "d_child", K_LH, FS_D_CHILD },
				 { "d_subdirs", K_LH, FS_D_SUBDIRS } } },
	{ "inode", FS_I_SIZEOF, { FS_INODE_COMMON, { "i_atime", K_TS, FS_I_ATIME },
				  { "i_mtime", K_TS, FS_I_MTIME }, { "i_ctime", K_TS, FS_I_CTIME } } },
};

static const struct kstruct kbtf_fs611[] = {
	FS_COMMON_STRUCTS,
	{ "mnt_namespace", 32, { { "mounts", K_RBROOT, FS_NS_LIST } } },
	{ "mount", FS_MNT_SIZE, { { "mnt_parent", K_PTR, FS_MNT_PARENT },
				  { "mnt_mountpoint", K_PTR, FS_MNT_MOUNTPOINT },
				  { "mnt", K_VFSMNT, FS_MNT_MNT }, { "mnt_node", K_RBNODE, FS_MNT_LIST } } },
	{ "dentry", FS_D_SIZE, { { "d_flags", K_U32, FS_D_FLAGS }, { "d_hash", K_HBL, FS_D_HASH },
				 { "d_parent", K_PTR, FS_D_PARENT }, { "d_name", K_QSTR, FS_D_NAME },
				 { "d_inode", K_PTR, FS_D_INODE }, { "d_iname", K_NAME32, FS_D_INAME },
				 { "d_sb", K_PTR, FS_D_SB }, { "d_sib", K_HLN, FS_D_CHILD },
				 { "d_children", K_HLH, FS_D_SUBDIRS } } },
	{ "inode", FS_I_SIZEOF, { FS_INODE_COMMON, { "i_atime_sec", K_U64, 56 },
				  { "i_mtime_sec", K_U64, 64 }, { "i_ctime_sec", K_U64, 72 },
				  { "i_atime_nsec", K_U32, 80 }, { "i_mtime_nsec", K_U32, 84 },
				  { "i_ctime_nsec", K_U32, 88 } } },
};

#endif
