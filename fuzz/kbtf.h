/* kbtf.h — a minimal kernel BTF (task_struct, cred, mm_struct, file, mount, dentry, module, xarray)
 * with the fields the walkers use; field offsets and struct sizes may be overridden (hostile BTF).
 * kbtf_build_tab() takes another table of structs (fuzz/kbtf_fs.h: the file-system walker's). */
#ifndef XV_FUZZ_KBTF_H
#define XV_FUZZ_KBTF_H

#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>

enum { K_U8, K_U32, K_U64, K_PTR, K_COMM, K_NAME56, K_LH, K_PATH, K_VFSMNT, K_QSTR, K_HBL,
       K_MKOBJ, K_LAYOUT, K_SLOTS,
       /* for the file-system walker (fuzz_fs) */
       K_U16, K_NAME32, K_HLH, K_HLN, K_TS, K_XA, K_RBROOT, K_RBNODE, K_MARKS, K_NT };

struct kfield {
	const char *name;
	int kind;
	uint32_t off;
};

struct kstruct {
	const char *name;
	uint32_t size;
	struct kfield f[20];
};

/* Default layouts (compact, self-consistent). */
static const struct kstruct kbtf_structs[] = {
	{ "task_struct", 160, { { "__state", K_U32, 0 }, { "flags", K_U32, 4 }, { "pid", K_U32, 8 },
				{ "tgid", K_U32, 12 }, { "comm", K_COMM, 16 }, { "tasks", K_LH, 32 },
				{ "real_parent", K_PTR, 48 }, { "mm", K_PTR, 56 },
				{ "real_cred", K_PTR, 64 }, { "cred", K_PTR, 72 },
				{ "start_time", K_U64, 80 }, { "exit_state", K_U32, 88 } } },
	{ "cred", 16, { { "uid", K_U32, 0 }, { "euid", K_U32, 4 }, { "gid", K_U32, 8 } } },
	{ "mm_struct", 16, { { "exe_file", K_PTR, 8 } } },
	{ "file", 32, { { "f_path", K_PATH, 16 } } },
	{ "mount", 48, { { "mnt_parent", K_PTR, 0 }, { "mnt_mountpoint", K_PTR, 8 },
			 { "mnt", K_VFSMNT, 16 } } },
	{ "dentry", 64, { { "d_hash", K_HBL, 0 }, { "d_parent", K_PTR, 16 }, { "d_name", K_QSTR, 24 } } },
	{ "module", 160, { { "state", K_U32, 0 }, { "list", K_LH, 8 }, { "name", K_NAME56, 24 },
			   { "mkobj", K_MKOBJ, 80 }, { "taints", K_U64, 96 }, { "refcnt", K_U32, 104 },
			   { "core_layout", K_LAYOUT, 112 }, { "init_layout", K_LAYOUT, 128 } } },
	{ "xarray", 16, { { "xa_lock", K_U32, 0 }, { "xa_flags", K_U32, 4 }, { "xa_head", K_PTR, 8 } } },
	{ "xa_node", 576, { { "shift", K_U8, 0 }, { "offset", K_U8, 1 }, { "count", K_U8, 2 },
			    { "nr_values", K_U8, 3 }, { "parent", K_PTR, 8 }, { "array", K_PTR, 16 },
			    { "private_list", K_LH, 24 }, { "slots", K_SLOTS, 40 } } },
};
#define KBTF_NSTRUCTS (sizeof(kbtf_structs) / sizeof(kbtf_structs[0]))

/* next(): source of overrides, or NULL for the defaults. Returns NULL on a libbpf error. */
static inline struct btf *kbtf_build_tab(const struct kstruct *tab, size_t ntab,
					 uint32_t (*next)(void *), void *arg)
{
	struct btf *b = btf__new_empty();
	int t[K_NT];

	if (!b)
		return NULL;
	int chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	int u32 = btf__add_int(b, "unsigned int", 4, 0);

	t[K_U8] = btf__add_int(b, "unsigned char", 1, 0);
	t[K_U32] = u32;
	t[K_U64] = btf__add_int(b, "long long unsigned int", 8, 0);
	t[K_PTR] = btf__add_ptr(b, 0);
	t[K_COMM] = btf__add_array(b, u32, chr, 16);
	t[K_NAME56] = btf__add_array(b, u32, chr, 56);
	t[K_SLOTS] = btf__add_array(b, u32, t[K_PTR], 64);
	t[K_LH] = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", t[K_PTR], 0, 0);
	btf__add_field(b, "prev", t[K_PTR], 64, 0);
	t[K_PATH] = btf__add_struct(b, "path", 16);
	btf__add_field(b, "mnt", t[K_PTR], 0, 0);
	btf__add_field(b, "dentry", t[K_PTR], 64, 0);
	t[K_VFSMNT] = btf__add_struct(b, "vfsmount", 16);
	btf__add_field(b, "mnt_root", t[K_PTR], 0, 0);
	btf__add_field(b, "mnt_sb", t[K_PTR], 64, 0);
	t[K_QSTR] = btf__add_struct(b, "qstr", 16);
	btf__add_field(b, "len", u32, 32, 0);
	btf__add_field(b, "name", t[K_PTR], 64, 0);
	t[K_HBL] = btf__add_struct(b, "hlist_bl_node", 16);
	btf__add_field(b, "next", t[K_PTR], 0, 0);
	btf__add_field(b, "pprev", t[K_PTR], 64, 0);
	t[K_MKOBJ] = btf__add_struct(b, "module_kobject", 16);
	btf__add_field(b, "kobj", t[K_PTR], 0, 0);
	btf__add_field(b, "mod", t[K_PTR], 64, 0);
	t[K_LAYOUT] = btf__add_struct(b, "module_layout", 16);
	btf__add_field(b, "base", t[K_PTR], 0, 0);
	btf__add_field(b, "size", u32, 64, 0);
	t[K_U16] = btf__add_int(b, "short unsigned int", 2, 0);
	t[K_NAME32] = btf__add_array(b, u32, t[K_U8], 32);
	t[K_MARKS] = btf__add_array(b, u32, t[K_U64], 3);
	t[K_HLH] = btf__add_struct(b, "hlist_head", 8);
	btf__add_field(b, "first", t[K_PTR], 0, 0);
	t[K_HLN] = btf__add_struct(b, "hlist_node", 16);
	btf__add_field(b, "next", t[K_PTR], 0, 0);
	btf__add_field(b, "pprev", t[K_PTR], 64, 0);
	t[K_TS] = btf__add_struct(b, "timespec64", 16);
	btf__add_field(b, "tv_sec", t[K_U64], 0, 0);
	btf__add_field(b, "tv_nsec", t[K_U64], 64, 0);
	/* named apart from the table's "xarray" (fuzz_walk overrides that one) */
	t[K_XA] = btf__add_struct(b, "xarray_", 16);
	btf__add_field(b, "xa_lock", u32, 0, 0);
	btf__add_field(b, "xa_flags", u32, 32, 0);
	btf__add_field(b, "xa_head", t[K_PTR], 64, 0);
	t[K_RBROOT] = btf__add_struct(b, "rb_root", 8);
	btf__add_field(b, "rb_node", t[K_PTR], 0, 0);
	t[K_RBNODE] = btf__add_struct(b, "rb_node", 24);
	btf__add_field(b, "__rb_parent_color", t[K_U64], 0, 0);
	btf__add_field(b, "rb_right", t[K_PTR], 64, 0);
	btf__add_field(b, "rb_left", t[K_PTR], 128, 0);
	for (size_t s = 0; s < ntab; s++) {
		const struct kstruct *ks = &tab[s];
		uint32_t size = ks->size;

		if (next && (next(arg) & 7) == 0)
			size = next(arg) & 0xffff;
		btf__add_struct(b, ks->name, size);
		for (const struct kfield *f = ks->f; f->name; f++) {
			uint32_t off = f->off;

			if (next && (next(arg) & 3) == 0)
				off = next(arg) & 0xffff;
			if (btf__add_field(b, f->name, t[f->kind], off * 8, 0) < 0) {
				btf__free(b);
				return NULL;
			}
		}
	}
	return b;
}

static inline struct btf *kbtf_build(uint32_t (*next)(void *), void *arg)
{
	return kbtf_build_tab(kbtf_structs, KBTF_NSTRUCTS, next, arg);
}

#endif
