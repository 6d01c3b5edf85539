/* kbtf.h — build a small kernel-like BTF with libbpf's writer API for the BTF tests. */
#ifndef XV_TEST_KBTF_H
#define XV_TEST_KBTF_H

#include <bpf/btf.h>
#include <stdio.h>

/* Layout of the fake task_struct (byte offsets), checked by the path tests. */
enum {
	TS_STATE = 0, TS_FLAGS = 8, TS_BITS = 12, TS_TASKS = 16, TS_MM = 32, TS_ANON = 40,
	TS_COMM = 48, TS_CRED = 64, TS_PIDS = 72, TS_CHILDREN_P = 88, TS_ACTIVE_MM = 96,
	TS_FLEX = 104, TS_SIZE = 104,
	MM_EXE_FILE = 64, FILE_F_PATH = 16, PATH_DENTRY = 8, DENTRY_D_NAME = 32, QSTR_NAME = 8,
	CRED_UID = 4,
};

/* Next id libbpf will hand out (for pointers to structs defined right after). */
static inline int kbtf_next(struct btf *b)
{
	return (int)btf__type_cnt(b);
}

/* A struct with one pointer field to itself needs the pointer id before the struct. */
static inline struct btf *kbtf_build(int ndummy)
{
	struct btf *b = btf__new_empty();
	int t_int, t_uint, t_char, t_uchar, t_long, t_ull, t_u64, t_u32, t_uid, t_vlong, t_cuchar;
	int p_lh, lh, anon_hl, anon_u, qstr, dentry, p_dentry, fwd_mnt, p_mnt, path, file, p_file;
	int mm, p_mm, kuid_s, kuid, cred, c_cred, p_ccred, arr_comm, arr_pids, arr_flex, anon_s2,
	    anon_u2, ts, p_cuchar, arr_mname, mod, t_ptr_void;

	t_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	t_uint = btf__add_int(b, "unsigned int", 4, 0);
	t_char = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	t_uchar = btf__add_int(b, "unsigned char", 1, 0);
	t_long = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	t_ull = btf__add_int(b, "long long unsigned int", 8, 0);
	t_u64 = btf__add_typedef(b, "u64", t_ull);
	t_u32 = btf__add_typedef(b, "u32", t_uint);
	t_uid = btf__add_typedef(b, "uid_t", t_u32); /* typedef chain: uid_t -> u32 -> uint */
	t_vlong = btf__add_volatile(b, t_long);
	t_cuchar = btf__add_const(b, t_uchar);
	p_cuchar = btf__add_ptr(b, t_cuchar);
	t_ptr_void = btf__add_ptr(b, 0);

	/* struct list_head { struct list_head *next, *prev; } */
	p_lh = btf__add_ptr(b, kbtf_next(b) + 1);
	lh = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", p_lh, 0, 0);
	btf__add_field(b, "prev", p_lh, 64, 0);

	/* struct qstr { union { struct { u32 hash; u32 len; }; u64 hash_len; }; const unsigned char *name; } */
	anon_hl = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "hash", t_u32, 0, 0);
	btf__add_field(b, "len", t_u32, 32, 0);
	anon_u = btf__add_union(b, NULL, 8);
	btf__add_field(b, NULL, anon_hl, 0, 0);
	btf__add_field(b, "hash_len", t_u64, 0, 0);
	qstr = btf__add_struct(b, "qstr", 16);
	btf__add_field(b, NULL, anon_u, 0, 0);
	btf__add_field(b, "name", p_cuchar, QSTR_NAME * 8, 0);

	p_dentry = btf__add_ptr(b, kbtf_next(b) + 1);
	dentry = btf__add_struct(b, "dentry", 64);
	btf__add_field(b, "d_flags", t_uint, 0, 0);
	btf__add_field(b, "d_parent", p_dentry, 64, 0);
	btf__add_field(b, "d_name", qstr, DENTRY_D_NAME * 8, 0);

	fwd_mnt = btf__add_fwd(b, "vfsmount", BTF_FWD_STRUCT);
	p_mnt = btf__add_ptr(b, fwd_mnt);
	path = btf__add_struct(b, "path", 16);
	btf__add_field(b, "mnt", p_mnt, 0, 0);
	btf__add_field(b, "dentry", p_dentry, PATH_DENTRY * 8, 0);

	p_file = btf__add_ptr(b, kbtf_next(b) + 1);
	file = btf__add_struct(b, "file", 64);
	btf__add_field(b, "f_u", t_ptr_void, 0, 0);
	btf__add_field(b, "f_path", path, FILE_F_PATH * 8, 0);

	p_mm = btf__add_ptr(b, kbtf_next(b) + 1);
	mm = btf__add_struct(b, "mm_struct", 128);
	btf__add_field(b, "mm_count", t_int, 0, 0);
	btf__add_field(b, "exe_file", p_file, MM_EXE_FILE * 8, 0);

	/* typedef struct { uid_t val; } kuid_t; struct cred { int usage; kuid_t uid; kuid_t gid; } */
	kuid_s = btf__add_struct(b, NULL, 4);
	btf__add_field(b, "val", t_uid, 0, 0);
	kuid = btf__add_typedef(b, "kuid_t", kuid_s);
	cred = btf__add_struct(b, "cred", 12);
	btf__add_field(b, "usage", t_int, 0, 0);
	btf__add_field(b, "uid", kuid, CRED_UID * 8, 0);
	btf__add_field(b, "gid", kuid, 64, 0);
	c_cred = btf__add_const(b, cred);
	p_ccred = btf__add_ptr(b, c_cred);

	arr_comm = btf__add_array(b, t_int, t_char, 16);
	arr_pids = btf__add_array(b, t_int, t_int, 3);
	arr_flex = btf__add_array(b, t_int, t_int, 0);

	/* union { int anon_a; struct { int anon_b; int anon_c; }; } */
	anon_s2 = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "anon_b", t_int, 0, 0);
	btf__add_field(b, "anon_c", t_int, 32, 0);
	anon_u2 = btf__add_union(b, NULL, 8);
	btf__add_field(b, "anon_a", t_int, 0, 0);
	btf__add_field(b, NULL, anon_s2, 0, 0);

	ts = btf__add_struct(b, "task_struct", TS_SIZE);
	btf__add_field(b, "__state", t_vlong, TS_STATE * 8, 0);
	btf__add_field(b, "flags", t_uint, TS_FLAGS * 8, 0);
	btf__add_field(b, "sched_reset_on_fork", t_uint, TS_BITS * 8, 1);
	btf__add_field(b, "sched_contributes_to_load", t_uint, TS_BITS * 8 + 1, 1);
	btf__add_field(b, "in_execve", t_uint, TS_BITS * 8 + 2, 3);
	btf__add_field(b, "weird", t_int, TS_BITS * 8 + 5, 10); /* crosses a byte, signed */
	btf__add_field(b, "tasks", lh, TS_TASKS * 8, 0);
	btf__add_field(b, "mm", p_mm, TS_MM * 8, 0);
	btf__add_field(b, NULL, anon_u2, TS_ANON * 8, 0);
	btf__add_field(b, "comm", arr_comm, TS_COMM * 8, 0);
	btf__add_field(b, "cred", p_ccred, TS_CRED * 8, 0);
	btf__add_field(b, "pids", arr_pids, TS_PIDS * 8, 0);
	btf__add_field(b, "children_p", p_lh, TS_CHILDREN_P * 8, 0);
	btf__add_field(b, "active_mm", p_mm, TS_ACTIVE_MM * 8, 0);
	btf__add_field(b, "flex", arr_flex, TS_FLEX * 8, 0);
	btf__add_typedef(b, "task_t", ts);

	arr_mname = btf__add_array(b, t_int, t_char, 56);
	mod = btf__add_struct(b, "module", 72);
	btf__add_field(b, "list", lh, 0, 0);
	btf__add_field(b, "name", arr_mname, 128, 0);

	/* union bpf_attr-like root */
	btf__add_union(b, "root_union", 8);
	btf__add_field(b, "a", t_u64, 0, 0);
	btf__add_field(b, NULL, anon_s2, 0, 0);

	for (int i = 0; i < ndummy; i++) {
		char n[32];
		snprintf(n, sizeof(n), "dummy_%d", i);
		btf__add_struct(b, n, 4);
		btf__add_field(b, "x", t_int, 0, 0);
	}
	(void)mod;
	(void)t_uchar;
	/* the pointers made before their structs must point at them */
	if (lh != p_lh + 1 || dentry != p_dentry + 1 || file != p_file + 1 || mm != p_mm + 1) {
		btf__free(b);
		return NULL;
	}
	return b;
}

#endif
