/* test_bounds.c — explicit resource bounds that had no test: each test drives a hostile input to
 * the bound and checks the error (or counter) the user sees. See docs/fuzzing.md for the table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "kbtf.h"
#include "kfix.h"
#include "kernel/btfpath.h"
#include "kernel/kernel_internal.h"
#include "kernel/vmcoreinfo.h"
#include "net/decode.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/net.h"
#include "xvids/obj.h"
#include "xvids/task.h"
#include "xvids/vat.h"


static void put64(struct kfix *f, uint64_t pa, uint64_t v)
{
	xv_put_le64(f->ram + pa, v);
}

/* Default kbtf layouts: dentry d_parent 16, d_name.len 28, d_name.name 32; mount mnt 16
 * (mnt_root at +0), mnt_parent 0, mnt_mountpoint 8. */
#define MNT 0x800
#define ROOT 0x900

static void mount_root(struct kfix *f)
{
	put64(f, MNT, DM + MNT);        /* the root mount is its own parent */
	put64(f, MNT + 16, DM + ROOT);  /* mnt.mnt_root */
	put64(f, ROOT + 16, DM + ROOT); /* the root dentry is its own parent */
}

/* XV_PATH_DEPTH (task.c): mounts that are each other's parent, so resolving never reaches the
 * root mount (crossing a mount adds nothing to the path, so only the depth bound stops it). */
static void test_path_depth(void **state)
{
	struct kfix *f = kfix_new(kbtf_build(NULL, NULL));
	char buf[XV_PATH_MAX];
	int deleted;

	(void)state;
	for (int i = 0; i < 2; i++) {
		uint64_t m = 0x800 + 0x100ull * i;

		put64(f, m, DM + 0x800 + 0x100ull * (1 - i)); /* mnt_parent: the other one */
		put64(f, m + 8, DM + ROOT);                    /* mnt_mountpoint */
		put64(f, m + 16, DM + ROOT);                   /* mnt.mnt_root */
	}
	put64(f, ROOT + 16, DM + ROOT);
	assert_int_equal(xv_path_resolve(&f->k, DM + MNT + 16, DM + ROOT, buf, sizeof(buf), &deleted),
			 -ELOOP);
	assert_non_null(strstr(xv_errmsg(), "deeper than 256"));
	/* one of them the root mount: "/" */
	put64(f, MNT, DM + MNT);
	assert_int_equal(xv_path_resolve(&f->k, DM + MNT + 16, DM + ROOT, buf, sizeof(buf), &deleted),
			 0);
	assert_string_equal(buf, "/");
	kfix_free(f);
}

/* A dentry chain that loops without reaching a root fills the path buffer (XV_PATH_MAX) and
 * stops there; the same chain ending at the root resolves. */
static void test_path_dentry_loop(void **state)
{
	struct kfix *f = kfix_new(kbtf_build(NULL, NULL));
	char buf[XV_PATH_MAX];
	int deleted;

	(void)state;
	mount_root(f);
	memcpy(f->ram + 0x3000, "x", 1);
	for (int i = 0; i < 2; i++) { /* dentries A <-> B, each the other's parent */
		uint64_t d = 0x1000 + 0x100ull * i;

		put64(f, d + 16, DM + 0x1000 + 0x100ull * (1 - i));
		xv_put_le32(f->ram + d + 28, 1);
		put64(f, d + 32, DM + 0x3000);
	}
	assert_int_equal(xv_path_resolve(&f->k, DM + MNT + 16, DM + 0x1000, buf, sizeof(buf), &deleted),
			 -ENAMETOOLONG);
	put64(f, 0x1100 + 16, DM + ROOT);
	assert_int_equal(xv_path_resolve(&f->k, DM + MNT + 16, DM + 0x1000, buf, sizeof(buf), &deleted),
			 0);
	assert_string_equal(buf, "/x/x");
	kfix_free(f);
}

/* A component longer than NAME_MAX (255) is refused, not copied. */
static void test_path_component_len(void **state)
{
	struct kfix *f = kfix_new(kbtf_build(NULL, NULL));
	char buf[XV_PATH_MAX];

	(void)state;
	mount_root(f);
	put64(f, 0x1000 + 16, DM + ROOT);
	xv_put_le32(f->ram + 0x1000 + 28, 256);
	put64(f, 0x1000 + 32, DM + 0x3000);
	assert_int_equal(xv_path_resolve(&f->k, DM + MNT + 16, DM + 0x1000, buf, sizeof(buf), NULL),
			 -ENAMETOOLONG);
	assert_non_null(strstr(xv_errmsg(), "256 bytes"));
	kfix_free(f);
}

/* XV_PATH_MAX: many 255-byte components do not overflow the path buffer (ENAMETOOLONG). */
static void test_path_total_len(void **state)
{
	struct kfix *f = kfix_new(kbtf_build(NULL, NULL));
	char buf[XV_PATH_MAX];

	(void)state;
	mount_root(f);
	memset(f->ram + 0x3000, 'a', 255);
	for (int i = 0; i < 8; i++) { /* 8 x 256 bytes > XV_PATH_MAX */
		uint64_t d = 0x1000 + 0x100ull * i;

		put64(f, d + 16, i == 7 ? DM + ROOT : DM + d + 0x100);
		xv_put_le32(f->ram + d + 28, 255);
		put64(f, d + 32, DM + 0x3000);
	}
	assert_int_equal(xv_path_resolve(&f->k, DM + MNT + 16, DM + 0x1000, buf, sizeof(buf), NULL),
			 -ENAMETOOLONG);
	kfix_free(f);
}

static uint32_t task_size_next(void *arg)
{
	unsigned *call = arg;

	/* call 0: task_struct's size selector (0 = override), call 1: the size */
	switch ((*call)++) {
	case 0: return 0;
	case 1: return 40000;
	default: return 1;
	}
}

/* XV_TASK_BUF_MAX (task.c): a task_struct the BTF says is larger than 32 KiB is refused. */
static void test_task_size(void **state)
{
	unsigned call = 0;
	struct kfix *f = kfix_new(kbtf_build(task_size_next, &call));
	struct xv_task t;

	(void)state;
	assert_int_equal(xv_task_read(&f->k, DM + 0x100, &t), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "40000 bytes"));
	kfix_free(f);
}

/* btfpath MAX_DEREF / MAX_PATH / MAX_IDENT. */
static void test_btfpath_bounds(void **state)
{
	struct btf *b = btf__new_empty();
	int ptr = (int)btf__type_cnt(b); /* struct list_head *, added before the struct itself */
	struct xv_btfpath *p = NULL;
	char path[2048];
	size_t n = 0;

	(void)state;
	assert_int_equal(btf__add_ptr(b, ptr + 1), ptr);
	assert_int_equal(btf__add_struct(b, "list_head", 16), ptr + 1);
	btf__add_field(b, "next", ptr, 0, 0);
	btf__add_field(b, "prev", ptr, 64, 0);
	n += (size_t)snprintf(path, sizeof(path), "next");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "->next");
	assert_int_equal(xv_btfpath_compile(b, "list_head", path, &p), 0); /* 32 dereferences */
	xv_btfpath_free(p);
	snprintf(path + n, sizeof(path) - n, "->next");
	assert_int_equal(xv_btfpath_compile(b, "list_head", path, &p), -E2BIG);
	assert_non_null(strstr(xv_errmsg(), "more than 32 dereferences"));
	memset(path, 'a', 1100);
	path[1100] = 0;
	assert_int_equal(xv_btfpath_compile(b, "list_head", path, &p), -ENAMETOOLONG);
	memset(path, 'a', 200);
	path[200] = 0;
	assert_int_equal(xv_btfpath_compile(b, "list_head", path, &p), -ENAMETOOLONG);
	assert_non_null(strstr(xv_errmsg(), "member name longer than"));
	btf__free(b);
}

/* XV_MAX_ROOTS (kernel.c): the 33rd distinct data root is refused; re-adding one updates it. */
static void test_roots(void **state)
{
	struct kfix *f = kfix_new(kbtf_build(NULL, NULL));
	char name[32];

	(void)state;
	for (int i = 0; i < XV_MAX_ROOTS; i++) {
		snprintf(name, sizeof(name), "root%d", i);
		assert_int_equal(xv_kernel_add_root(&f->k, name, "list_head", DM + (uint64_t)i), 0);
	}
	assert_int_equal(xv_kernel_add_root(&f->k, "one_more", "list_head", DM), -ENOSPC);
	assert_int_equal(xv_kernel_add_root(&f->k, "root3", "list_head", DM + 0x40), 0);
	kfix_free(f);
}

/* PC_MAX_ENTRIES (obj.c): the field-path cache stops growing (failed paths are cached too, so a
 * caller looping over garbage names cannot exhaust memory). */
static void test_pathcache(void **state)
{
	struct kfix *f = kfix_new(kbtf_build(NULL, NULL));
	char path[32];
	uint32_t off;
	int rc = 0;

	(void)state;
	for (int i = 0; i < 65536 && rc != -ENOSPC; i++) {
		snprintf(path, sizeof(path), "nope%d", i);
		rc = xv_off(&f->k, "list_head", path, &off);
	}
	assert_int_equal(rc, -ENOENT); /* all 65536 fit */
	assert_int_equal(xv_off(&f->k, "list_head", "one_more", &off), -ENOSPC);
	assert_non_null(strstr(xv_errmsg(), "cache full"));
	assert_int_equal(xv_off(&f->k, "list_head", "nope7", &off), -ENOENT); /* cached */
	kfix_free(f);
}

/* XV_VMCI_MAX_KEYS (vmcoreinfo.c): lines past the 4096th key are counted as garbage. */
static void test_vmci_keys(void **state)
{
	size_t cap = 64 * 1024, n = 0;
	char *t = malloc(cap);
	struct xv_vmci *v;
	uint64_t val;

	(void)state;
	n += (size_t)snprintf(t, cap, "OSRELEASE=6.1.0\n");
	for (int i = 0; i < 4200; i++)
		n += (size_t)snprintf(t + n, cap - n, "K%d=%d\n", i, i);
	assert_true(n < cap);
	v = xv_vmci_parse(t, n);
	assert_non_null(v);
	assert_int_equal(xv_vmci_count(v), 4096);
	assert_int_equal(xv_vmci_garbage(v), 4201 - 4096);
	assert_int_equal(xv_vmci_u64(v, "K4094", &val), 0);
	assert_int_equal(val, 4094);
	assert_int_equal(xv_vmci_u64(v, "K4095", &val), -ENOENT);
	xv_vmci_free(v);
	free(t);
}

/* net: MAX_VLAN_DEPTH (decode.c), MAX_CONTENTS and MAX_RULE_LEN (rules.c), MAX_DEPTH (addr.c). */
static void test_net_bounds(void **state)
{
	struct xv_net_config c = { .flow_capacity = 16, .alert_ring = 4 };
	struct xv_net *n = xv_net_new(&c);
	struct xv_net_stats st;
	uint8_t f[64 + 6 * 4];
	static char rule[70000];
	size_t pos;

	(void)state;
	assert_non_null(n);
	/* 5 stacked 802.1Q tags (4 are allowed) then IPv4: malformed */
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 5; i++) {
		f[12 + 4 * i] = 0x81;
		f[13 + 4 * i] = 0x00;
	}
	f[32] = 0x08;
	xv_net_inspect(n, f, sizeof(f), 1, -1, NULL);
	xv_net_get_stats(n, &st);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.malformed_by[XV_BAD_VLAN_SHORT], 1);
	/* 4 tags pass the VLAN check (the zero IPv4 header after them is malformed for another
	 * reason) */
	f[28] = 0x08;
	f[29] = 0x00;
	xv_net_inspect(n, f, sizeof(f), 2, -1, NULL);
	xv_net_get_stats(n, &st);
	assert_int_equal(st.malformed, 2);
	assert_int_equal(st.malformed_by[XV_BAD_VLAN_SHORT], 1);

	pos = (size_t)sprintf(rule, "alert tcp any any -> any any (");
	for (int i = 0; i < 33; i++)
		pos += (size_t)sprintf(rule + pos, "content:\"c%d\"; ", i);
	sprintf(rule + pos, "sid:1;)\n");
	assert_true(xv_net_load_rules_str(n, rule, "b.rules") < 0);
	assert_non_null(strstr(xv_errmsg(), "more than 32 content matches"));
	pos = (size_t)sprintf(rule, "alert tcp any any -> any any (msg:\"");
	memset(rule + pos, 'm', 66000);
	sprintf(rule + pos + 66000, "\"; sid:2;)\n");
	assert_true(xv_net_load_rules_str(n, rule, "b.rules") < 0);
	assert_non_null(strstr(xv_errmsg(), "rule longer than 65536 bytes"));
	/* variables that refer to each other: the nesting bound (addr.c MAX_DEPTH) refuses the
	 * second definition, and a rule using them still sees the first */
	assert_int_equal(xv_net_set_var(n, "B", "10.0.0.0/8"), 0);
	assert_int_equal(xv_net_set_var(n, "A", "$B"), 0);
	assert_true(xv_net_set_var(n, "B", "$A") < 0);
	assert_non_null(strstr(xv_errmsg(), "variable B"));
	assert_int_equal(xv_net_load_rules_str(n, "alert ip $A any -> any any (sid:3;)\n", "b.rules"), 1);
	xv_net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_depth),
		cmocka_unit_test(test_path_dentry_loop),
		cmocka_unit_test(test_path_component_len),
		cmocka_unit_test(test_path_total_len),
		cmocka_unit_test(test_task_size),
		cmocka_unit_test(test_btfpath_bounds),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_pathcache),
		cmocka_unit_test(test_vmci_keys),
		cmocka_unit_test(test_net_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
