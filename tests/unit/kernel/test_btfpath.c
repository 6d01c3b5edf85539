/* test_btfpath.c — field paths on a kernel-like BTF: compile (offsets, anonymous members, typedefs, errors) and eval. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "kbtf.h"
#include "kernel/btfpath.h"
#include "kernel/btfscan.h"
#include "ktest.h"
#include "util/bytes.h"
#include "xvids/err.h"

static struct btf *g_btf;

static int setup(void **state)
{
	(void)state;
	g_btf = kbtf_build(10);
	return g_btf ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	btf__free(g_btf);
	return 0;
}

static uint64_t off_of(const char *type, const char *path)
{
	struct xv_btfpath *p;
	uint64_t off = 0;

	if (xv_btfpath_compile(g_btf, type, path, &p) < 0)
		fail_msg("compile %s.%s: %s", type, path, xv_errmsg());
	assert_int_equal(xv_btfpath_offset(p, &off), 0);
	xv_btfpath_free(p);
	return off;
}

static void expect_error(const char *type, const char *path, const char *msg)
{
	struct xv_btfpath *p = (void *)1;

	assert_true(xv_btfpath_compile(g_btf, type, path, &p) < 0);
	assert_null(p);
	if (!strstr(xv_errmsg(), msg))
		fail_msg("compile %s '%s': got \"%s\", expected \"%s\"", type, path, xv_errmsg(), msg);
}

static void test_offsets(void **state)
{
	uint64_t off;

	(void)state;
	assert_true(off_of("task_struct", "tasks") == TS_TASKS);
	assert_true(off_of("task_struct", "tasks.prev") == TS_TASKS + 8);
	assert_true(off_of("struct task_struct", "comm") == TS_COMM);
	assert_true(off_of("task_struct", "comm[15]") == TS_COMM + 15);
	assert_true(off_of("task_struct", "pids[2]") == TS_PIDS + 8);
	assert_true(off_of("task_struct", " pids [ 0x1 ] ") == TS_PIDS + 4);
	assert_true(off_of("task_struct", "flex[100]") == TS_FLEX + 400); /* flexible: unbounded */
	/* members of anonymous unions and structs, as C finds them */
	assert_true(off_of("task_struct", "anon_a") == TS_ANON);
	assert_true(off_of("task_struct", "anon_c") == TS_ANON + 4);
	assert_true(off_of("qstr", "len") == 4);
	assert_true(off_of("qstr", "hash_len") == 0);
	assert_true(off_of("qstr", "name") == QSTR_NAME);
	assert_true(off_of("dentry", "d_name.len") == DENTRY_D_NAME + 4);
	/* typedef'd roots (anonymous struct behind kuid_t, and task_t) and a union root */
	assert_true(off_of("kuid_t", "val") == 0);
	assert_true(off_of("task_t", "mm") == TS_MM);
	assert_true(off_of("root_union", "anon_c") == 4);
	assert_true(off_of("union root_union", "a") == 0);
	assert_true(off_of("cred", "uid.val") == CRED_UID);
	assert_true(off_of("task_struct", "") == 0);
	assert_int_equal(xv_btf_member_offset(g_btf, "task_struct", "tasks", &off), 0);
	assert_true(off == TS_TASKS);
	assert_int_equal(xv_btf_type_size(g_btf, "task_struct", &off), 0);
	assert_true(off == TS_SIZE);
	assert_int_equal(xv_btf_type_size(g_btf, "kuid_t", &off), 0);
	assert_true(off == 4);
}

static void test_info(void **state)
{
	struct xv_btfpath *p;
	const struct xv_btfpath_info *in;

	(void)state;
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "comm", &p), 0);
	in = xv_btfpath_info(p);
	assert_int_equal(in->kind, XV_BP_ARRAY);
	assert_true(in->is_string);
	assert_int_equal(in->nelems, 16);
	assert_true(in->size == 16 && in->elem_size == 1);
	assert_int_equal(in->nderef, 0);
	xv_btfpath_free(p);

	/* typedef chain uid_t -> u32 -> unsigned int is stripped; the declared id is kept */
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "cred->uid.val", &p), 0);
	in = xv_btfpath_info(p);
	assert_int_equal(in->kind, XV_BP_INT);
	assert_false(in->is_signed);
	assert_true(in->size == 4);
	assert_int_equal(in->nderef, 1);
	assert_true(in->decl_id != in->type_id);
	assert_true(xv_btfpath_step(p, 0) == TS_CRED && xv_btfpath_step(p, 1) == CRED_UID);
	assert_string_equal(xv_btfpath_str(p), "task_struct.cred->uid.val");
	xv_btfpath_free(p);

	/* volatile long: qualifier stripped, signed */
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "__state", &p), 0);
	in = xv_btfpath_info(p);
	assert_int_equal(in->kind, XV_BP_INT);
	assert_true(in->is_signed && in->size == 8);
	xv_btfpath_free(p);

	/* a pointer field reports its pointee */
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "mm", &p), 0);
	in = xv_btfpath_info(p);
	assert_int_equal(in->kind, XV_BP_PTR);
	assert_true(in->target_id == (uint32_t)btf__find_by_name_kind(g_btf, "mm_struct",
									 BTF_KIND_STRUCT));
	xv_btfpath_free(p);

	/* bitfields */
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "in_execve", &p), 0);
	in = xv_btfpath_info(p);
	assert_int_equal(in->bit_size, 3);
	assert_int_equal(in->bit_shift, 2);
	assert_true(in->size == 1);
	xv_btfpath_free(p);
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "weird", &p), 0);
	in = xv_btfpath_info(p);
	assert_int_equal(in->bit_size, 10);
	assert_int_equal(in->bit_shift, 5);
	assert_true(in->size == 2 && in->is_signed);
	xv_btfpath_free(p);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("task_struct", "foo", "struct task_struct has no member 'foo'");
	expect_error("task_struct", "comm->x", "'comm' is not a pointer, cannot use ->");
	expect_error("task_struct", "mm.exe_file", "'mm' is a pointer, use -> not .");
	expect_error("task_struct", "mm->nope", "struct mm_struct has no member 'nope'");
	expect_error("task_struct", "comm[16]", "out of bounds");
	expect_error("task_struct", "tasks[0]", "not an array or pointer");
	expect_error("task_struct", "flags.x", "'flags' is int unsigned int, it has no member 'x'");
	expect_error("task_struct", "in_execve.x", "bitfield");
	expect_error("task_struct", "mm->exe_file->f_path.mnt->x",
		     "'mnt' points to struct vfsmount, which is only declared in BTF");
	expect_error("task_struct", "comm[", "expected an index");
	expect_error("task_struct", "comm[1", "expected ']'");
	expect_error("task_struct", "tasks..next", "expected a member name");
	expect_error("task_struct", "tasks+1", "unexpected");
	expect_error("task_struct", "9lives", "expected a member name");
	expect_error("no_such_struct", "x", "no struct, union or typedef named 'no_such_struct'");
	expect_error("u64", "x", "not a struct or union");
	expect_error("struct root_union", "a", "no struct named");
	expect_error("task_struct", "pids[99999999999]", "index too large");
	expect_error("task_struct", "mm->exe_file->f_u[0]", "unknown size");
	{
		struct xv_btfpath *p;
		uint64_t off;
		assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "mm->exe_file", &p), 0);
		assert_int_equal(xv_btfpath_offset(p, &off), -EINVAL);
		assert_non_null(strstr(xv_errmsg(), "dereferences 1 pointer"));
		xv_btfpath_free(p);
	}
}

/* Guest objects laid out in one fake virtual region. */
#define VB 0xffff888000000000ull
enum { O_TASK = 0x0, O_MM = 0x200, O_FILE = 0x400, O_DENTRY = 0x600, O_NAME = 0x800,
       O_CRED = 0x900, O_LH = 0xa00 };

static void put_ptr(uint8_t *m, size_t at, uint64_t v)
{
	xv_put_le64(m + at, v);
}

static void test_eval(void **state)
{
	uint8_t *m = calloc(1, 0x1000);
	struct fake_vm vm = {.base = VB, .buf = m, .size = 0x1000};
	struct xv_btfpath *p;
	uint64_t addr, v;
	char name[16];

	(void)state;
	put_ptr(m, O_TASK + TS_MM, VB + O_MM);
	put_ptr(m, O_MM + MM_EXE_FILE, VB + O_FILE);
	put_ptr(m, O_FILE + FILE_F_PATH + PATH_DENTRY, VB + O_DENTRY);
	put_ptr(m, O_DENTRY + DENTRY_D_NAME + QSTR_NAME, VB + O_NAME);
	memcpy(m + O_NAME, "busybox", 8);
	put_ptr(m, O_TASK + TS_CRED, VB + O_CRED);
	xv_put_le32(m + O_CRED + CRED_UID, 1000);
	put_ptr(m, O_TASK + TS_CHILDREN_P, VB + O_LH);
	put_ptr(m, O_LH + 16 + 8, 0xdeadbeef); /* children_p[1].prev */
	memcpy(m + O_TASK + TS_COMM, "swapper/0", 10);
	m[O_TASK + TS_BITS] = 0x01 | (5 << 2) | (0x7 << 5); /* reset=1, in_execve=5, weird low 3 */
	m[O_TASK + TS_BITS + 1] = 0x7f;                      /* weird high 7 bits: all ones -> -1 */
	xv_put_le64(m + O_TASK + TS_STATE, (uint64_t)-1);

	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct",
					    "mm->exe_file->f_path.dentry->d_name.name", &p), 0);
	assert_int_equal(xv_btfpath_info(p)->nderef, 3);
	assert_int_equal(xv_btfpath_eval(p, fake_vm_read, &vm, VB + O_TASK, &addr), 0);
	assert_true(addr == VB + O_DENTRY + DENTRY_D_NAME + QSTR_NAME);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), 0);
	assert_true(v == VB + O_NAME);
	assert_int_equal(fake_vm_read(&vm, v, name, 8), 0);
	assert_string_equal(name, "busybox");
	xv_btfpath_free(p);

	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "cred->uid.val", &p), 0);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), 0);
	assert_true(v == 1000);
	xv_btfpath_free(p);

	/* indexing through a pointer: children_p[1].prev */
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "children_p[1].prev", &p), 0);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), 0);
	assert_true(v == 0xdeadbeef);
	xv_btfpath_free(p);

	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "comm", &p), 0);
	assert_int_equal(xv_btfpath_read(p, fake_vm_read, &vm, VB + O_TASK, name, 16), 0);
	assert_string_equal(name, "swapper/0");
	assert_int_equal(xv_btfpath_read(p, fake_vm_read, &vm, VB + O_TASK, name, 17), -EINVAL);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), -EINVAL);
	xv_btfpath_free(p);

	/* bitfields through the read helper */
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "in_execve", &p), 0);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), 0);
	assert_true(v == 5);
	xv_btfpath_free(p);
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "sched_contributes_to_load", &p),
			 0);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), 0);
	assert_true(v == 0);
	xv_btfpath_free(p);
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "weird", &p), 0);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), 0);
	assert_true((int64_t)v == -1);
	xv_btfpath_free(p);
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "__state", &p), 0);
	assert_int_equal(xv_btfpath_read_u64(p, fake_vm_read, &vm, VB + O_TASK, &v), 0);
	assert_true((int64_t)v == -1);
	xv_btfpath_free(p);

	/* NULL and unreadable pointers name the culprit */
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "active_mm->exe_file", &p), 0);
	assert_int_equal(xv_btfpath_eval(p, fake_vm_read, &vm, VB + O_TASK, &addr), -EFAULT);
	assert_non_null(strstr(xv_errmsg(), "task_struct.active_mm is NULL"));
	xv_btfpath_free(p);
	put_ptr(m, O_TASK + TS_ACTIVE_MM, 0x1234);
	assert_int_equal(xv_btfpath_compile(g_btf, "task_struct", "active_mm->exe_file->f_path", &p),
			 0);
	assert_int_equal(xv_btfpath_eval(p, fake_vm_read, &vm, VB + O_TASK, &addr), -EFAULT);
	assert_non_null(strstr(xv_errmsg(), "reading task_struct.active_mm->exe_file at 0x1274"));
	xv_btfpath_free(p);
	free(m);
}

static void test_bitfield_extract(void **state)
{
	const uint8_t b[9] = {0xff, 0x00, 0xaa, 0x55, 0x01, 0x02, 0x03, 0x04, 0x80};

	(void)state;
	assert_true(xv_bitfield_extract(b, 0, 8, 0) == 0xff);
	assert_true(xv_bitfield_extract(b, 0, 8, 1) == (uint64_t)-1);
	assert_true(xv_bitfield_extract(b, 4, 8, 0) == 0x0f);
	assert_true(xv_bitfield_extract(b + 2, 0, 16, 0) == 0x55aa);
	assert_true(xv_bitfield_extract(b, 4, 32, 0) == 0x155aa00full);
	assert_true(xv_bitfield_extract(b, 0, 64, 0) == 0x0403020155aa00ffull);
	assert_true(xv_bitfield_extract(b, 1, 64, 0) == 0x02018100aad5007full); /* 9 bytes */
	assert_true(xv_bitfield_extract(b + 8, 7, 1, 1) == (uint64_t)-1);
	assert_true(xv_bitfield_extract(b, 0, 0, 0) == 0);
	assert_true(xv_bitfield_extract(b, 8, 3, 0) == 0);
}

/* The host kernel's BTF, when present: real layouts compile (anonymous unions everywhere). */
static void test_real_kernel(void **state)
{
	struct btf *k;
	struct xv_btfpath *p;
	uint64_t a, b;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		skip();
	assert_int_equal(xv_btf_load_file("/sys/kernel/btf/vmlinux", &k), 0);
	assert_int_equal(xv_btfpath_compile(k, "task_struct",
					    "mm->exe_file->f_path.dentry->d_name.name", &p), 0);
	assert_int_equal(xv_btfpath_info(p)->nderef, 3);
	assert_int_equal(xv_btfpath_info(p)->kind, XV_BP_PTR);
	xv_btfpath_free(p);
	assert_int_equal(xv_btfpath_compile(k, "task_struct", "cred->uid.val", &p), 0);
	xv_btfpath_free(p);
	/* d_name.len lives in an anonymous struct in an anonymous union inside struct qstr */
	assert_int_equal(xv_btf_member_offset(k, "dentry", "d_name.len", &a), 0);
	assert_int_equal(xv_btf_member_offset(k, "dentry", "d_name", &b), 0);
	assert_true(a == b + 4);
	assert_int_equal(xv_btf_member_offset(k, "task_struct", "comm", &a), 0);
	assert_true(a > 0);
	btf__free(k);
}

/* Random paths built from real and bogus pieces: compile never crashes, and whatever compiles
 * has a consistent shape. */
static void test_fuzz_paths(void **state)
{
	static const char *const piece[] = {"mm", "exe_file", "f_path", "dentry", "d_name", "name",
					    "comm", "tasks", "next", "prev", "cred", "uid", "val",
					    "pids", "anon_c", "weird", "flex", "children_p", "x", ""};
	static const char *const sep[] = {".", "->", "[0]", "[15]", "[", "]", " ", "-", "[0x10]"};
	unsigned seed = 7;
	int ok = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		char path[256] = "";
		int n;
		struct xv_btfpath *p = NULL;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (int)((seed >> 16) % 6);
		for (int i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			if (i)
				strcat(path, sep[(seed >> 8) % XV_ARRAY_SIZE(sep)]);
			strcat(path, piece[(seed >> 18) % XV_ARRAY_SIZE(piece)]);
		}
		if (xv_btfpath_compile(g_btf, "task_struct", path, &p) == 0) {
			const struct xv_btfpath_info *in = xv_btfpath_info(p);
			uint64_t off;
			ok++;
			assert_true(in->nderef <= 32);
			assert_true((in->nderef == 0) == (xv_btfpath_offset(p, &off) == 0));
			xv_btfpath_free(p);
		} else {
			assert_null(p);
			assert_true(strlen(xv_errmsg()) > 0);
		}
	}
	printf("[ info ] %d of 20000 random paths compiled\n", ok);
	assert_true(ok > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets), cmocka_unit_test(test_info),
		cmocka_unit_test(test_errors),  cmocka_unit_test(test_eval),
		cmocka_unit_test(test_bitfield_extract), cmocka_unit_test(test_real_kernel),
		cmocka_unit_test(test_fuzz_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
