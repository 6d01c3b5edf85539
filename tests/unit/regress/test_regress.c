/* test_regress.c — every input the fuzzers (fuzz/) crashed on, replayed through the same harness,
 * plus a direct check of the behaviour the fix promises. Inputs come from fuzz/crash2c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "fstree.h"
#include "kbtf.h"
#include "kfix.h"
#include "kernel/kernel_internal.h"
#include "net/netpriv.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/net.h"
#include "xvids/obj.h"
#include "xvids/task.h"
#include "xvids/vat.h"

int fuzz_walk_one(const uint8_t *data, size_t size);
int fuzz_fs_one(const uint8_t *data, size_t size);
int fuzz_rules_one(const uint8_t *data, size_t size);

/* Overrides for kbtf_build(): a list of (call number, value); other calls get "no override". */
struct ovr {
	unsigned call;
	const uint32_t *at, *val;
	size_t n;
};

static uint32_t ovr_next(void *arg)
{
	struct ovr *o = arg;
	unsigned c = o->call++;

	for (size_t i = 0; i < o->n; i++)
		if (o->at[i] == c)
			return o->val[i];
	return 1; /* "keep the default" for a selector call */
}

/* ---- found by fuzz_walk: task_struct fields placed past sizeof(task_struct) by the BTF ---- */

/* crash-d547944cbdca09c05e32bbe456c35bd1f23b030d (24 bytes): UBSan index 33002 out of bounds
 * for uint8_t[32768] in task_decode (src/kernel/task.c). */
static const uint8_t walk_task_offset[] = {
	0xef, 0xdf, 0xee, 0xea, 0xea, 0xea, 0xea, 0xea, 0xea, 0xea, 0xea, 0xea, 0xea, 0xff, 0x07, 0xea,
	0xea, 0xea, 0xea, 0x00, 0xf3, 0xea, 0x80, 0x89,
};

static void test_walk_task_offset_replay(void **state)
{
	(void)state;
	assert_int_equal(fuzz_walk_one(walk_task_offset, sizeof(walk_task_offset)), 0);
}

static void test_task_field_past_struct(void **state)
{
	/* kbtf_build asks, per struct, a selector for the size and one per field, each followed by
	 * the value when it says "override" (0). task_struct is first: call 0 = size selector,
	 * 1 = __state, 2 = flags, 3 = pid selector and 4 = pid's offset. */
	static const uint32_t at[] = { 3, 4 }, val[] = { 0, 30000 };
	struct ovr o = { 0, at, val, 2 };
	struct kfix *f = kfix_new(kbtf_build(ovr_next, &o));
	struct xv_task t;
	uint32_t off;

	(void)state;
	assert_non_null(f->k.btf);
	assert_int_equal(xv_off(&f->k, "task_struct", "pid", &off), 0);
	assert_int_equal(off, 30000); /* the override took */
	assert_int_equal(xv_task_read(&f->k, DM + 0x100, &t), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "task_struct.pid at offset 30000, past the struct"));
	kfix_free(f);

	/* the default layout still decodes */
	f = kfix_new(kbtf_build(NULL, NULL));
	xv_put_le32(f->ram + 0x100 + 8, 42);
	memcpy(f->ram + 0x100 + 16, "init", 4);
	assert_int_equal(xv_task_read(&f->k, DM + 0x100, &t), 0);
	assert_int_equal(t.pid, 42);
	assert_string_equal(t.comm, "init");
	kfix_free(f);
}

/* ---- found by fuzz_walk: module refcnt INT_MIN ---- */

/* crash-c27d5a27ec06e0961d9b9c465a3056985c94ff02 (150 bytes): UBSan signed integer overflow
 * "-2147483648 - 1" in decode() (src/kernel/module.c), refcnt minus MODULE_REF_BASE. */
static const uint8_t walk_module_refcnt[] = {
	0x0a, 0x90, 0x90, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x09, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x58, 0xdb,
	0x4e, 0x1f, 0x00, 0xf8, 0xff, 0x73, 0x74, 0x72, 0x75, 0x63, 0x74, 0x20, 0x0f, 0xff, 0xff, 0x95,
	0xff, 0xff, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0d, 0x34, 0x00,
	0x4e, 0x4e, 0x4e, 0x00, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e,
	0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e,
	0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x72,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x72, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00, 0x90,
	0x90, 0x90, 0x3d, 0x2a, 0x90, 0x90,
};

static void test_walk_module_refcnt_replay(void **state)
{
	(void)state;
	assert_int_equal(fuzz_walk_one(walk_module_refcnt, sizeof(walk_module_refcnt)), 0);
}

static void test_module_refcnt_extremes(void **state)
{
	/* default kbtf module layout: state 0, name 24, refcnt 104, core_layout.base 112 */
	struct kfix *f = kfix_new(kbtf_build(NULL, NULL));
	uint8_t *m = f->ram + 0x2000;
	struct xv_module mod;

	(void)state;
	memcpy(m + 24, "evil", 4);
	xv_put_le32(m + 104, 0x80000000u); /* INT_MIN */
	assert_int_equal(xv_module_read(&f->k, DM + 0x2000, &mod), 0);
	assert_string_equal(mod.name, "evil");
	assert_int_equal(mod.refcnt, INT32_MAX); /* wraps, defined: no overflow trap */
	xv_put_le32(m + 104, 3);
	assert_int_equal(xv_module_read(&f->k, DM + 0x2000, &mod), 0);
	assert_int_equal(mod.refcnt, 2);
	kfix_free(f);
}

/* ---- fuzz_fs: dentry and inode fields placed past the struct by the BTF ---- */

/* kbtf_build_tab(kbtf_fs61) asks 45 selectors before dentry's (task_struct 1 + 14, cred 1 + 3,
 * fs_struct 2, nsproxy 2, address_space 3, super_block 3, file_system_type 2, xa_node 1 + 6,
 * mnt_namespace 2, mount 1 + 4): call 45 is dentry's size, 46 d_flags, 47 its new offset. */
#define FS_DFLAGS_SEL 46

/* The fuzz_fs input that read 8 KiB past xv_fs_dentry_read's 1 KiB stack copy (UBSan: index
 * 8192 out of bounds for uint8_t[1024], src/fs/fs.c): the fuzz/fstree.h guest behind a BTF
 * that moves dentry.d_flags to offset 8192. Built here rather than pasted (the image is 32 KiB):
 * mode 1 (BTF overrides), init_task, mem_section, path "b", read 0+8192, the overrides, image. */
static uint8_t *fs_dflags_input(size_t *len)
{
	size_t nsel = 0, pos = 0;
	uint8_t *b;

	for (size_t i = 0; i < sizeof(kbtf_fs61) / sizeof(kbtf_fs61[0]); i++) {
		nsel++;
		for (const struct kfield *f = kbtf_fs61[i].f; f->name; f++)
			nsel++;
	}
	b = calloc(1, 64 + 2 * (nsel + 1) + IMG_LEN);
	assert_non_null(b);
	b[pos++] = 1;
	xv_put_le16(b + pos, T0);
	xv_put_le16(b + pos + 2, MS);
	pos += 4;
	b[pos++] = 1;
	b[pos++] = 'b';
	xv_put_le32(b + pos, 0);
	xv_put_le16(b + pos + 4, 8192);
	pos += 6;
	for (size_t c = 0; c < nsel + 1; c++, pos += 2)
		xv_put_le16(b + pos, c == FS_DFLAGS_SEL ? 0 : c == FS_DFLAGS_SEL + 1 ? 8192 : 0xffff);
	fst_build(b + pos, 0);
	*len = pos + IMG_LEN;
	return b;
}

static void test_fs_dentry_offset_replay(void **state)
{
	size_t len;
	uint8_t *in = fs_dflags_input(&len);

	(void)state;
	assert_int_equal(fuzz_fs_one(in, len), 0);
	free(in);
}

static struct kfix *fs_fix(struct btf *btf)
{
	struct kfix *f = kfix_new(btf);

	fst_build(f->ram, 0); /* 32 KiB, below kfix's page tables at 0x10000 */
	f->k.info.init_task = DM + T0;
	return f;
}

static void test_fs_field_past_struct(void **state)
{
	static const uint32_t at[] = { FS_DFLAGS_SEL, FS_DFLAGS_SEL + 1 }, val[] = { 0, 8192 };
	struct ovr o = { 0, at, val, 2 };
	struct btf *btf = kbtf_build_tab(kbtf_fs61, sizeof(kbtf_fs61) / sizeof(kbtf_fs61[0]),
					 ovr_next, &o);
	struct kfix *f;
	struct xv_fs *fs = NULL;
	struct xv_fs_node n;
	struct xv_fs_stat st;
	uint32_t off;

	(void)state;
	assert_non_null(btf);
	f = fs_fix(btf);
	assert_int_equal(xv_off(&f->k, "dentry", "d_flags", &off), 0);
	assert_int_equal(off, 8192); /* the override took */
	assert_int_equal(xv_fs_open(&f->k, &fs), -EINVAL);
	assert_null(fs);
	assert_non_null(strstr(xv_errmsg(), "dentry.d_flags at offset 8192, past the struct's 128"));
	kfix_free(f);

	/* the default layout opens and reads the same guest */
	f = fs_fix(kbtf_build_tab(kbtf_fs61, sizeof(kbtf_fs61) / sizeof(kbtf_fs61[0]), NULL, NULL));
	assert_int_equal(xv_fs_open(&f->k, &fs), 0);
	assert_int_equal(xv_fs_lookup(fs, "/etc/passwd", 0, &n), 0);
	assert_int_equal(xv_fs_stat(fs, &n, &st), 0);
	assert_int_equal(st.type, XV_FT_REG);
	assert_int_equal(st.size, 62);
	assert_int_equal(st.mode, 0100644);
	xv_fs_close(fs);
	kfix_free(f);
}

/* ---- found by fuzz_rules (scripts/fuzz --ci): a second msg option that fails to parse ---- */

/* crash-b0b00e5a33cfbe274d77d14d404150e6df4b1195, minimised (39 bytes of rule text after the
 * mode byte the harness had then): ASan double-free in xv_rule_free (src/net/rules.c):
 * parse_options freed the first msg, the second did not unquote, and the rule was freed with
 * msg still pointing at the first one. */
static const uint8_t rules_double_msg[] = {
	0x70, 0x61, 0x73, 0x73, 0x20, 0x69, 0x70, 0x20, 0x61, 0x6e, 0x79, 0x20, 0x61, 0x6e, 0x79,
	0x20, 0x3c, 0x3e, 0x20, 0x3a, 0x3a, 0x20, 0x61, 0x6e, 0x79, 0x28, 0x6d, 0x73, 0x67, 0x3a, 0x22,
	0x22, 0x3b, 0x6d, 0x73, 0x67, 0x3a, 0x34, 0x29,
};

static void test_rules_double_msg_replay(void **state)
{
	(void)state;
	assert_int_equal(fuzz_rules_one(rules_double_msg, sizeof(rules_double_msg)), 0);
}

static void test_rules_second_msg(void **state)
{
	struct xv_net_config cfg = { .flow_capacity = 16, .alert_ring = 4 };
	struct xv_net *n = xv_net_new(&cfg);

	(void)state;
	assert_non_null(n);
	assert_true(xv_net_load_rules_str(n, "alert tcp any any -> any 80 (msg:\"a\"; msg:4; sid:1;)",
					  "t.rules") < 0);
	assert_non_null(strstr(xv_errmsg(), "expected a quoted string"));
	assert_int_equal(xv_net_rule_count(n), 0);
	/* a second valid msg replaces the first */
	assert_int_equal(xv_net_load_rules_str(n, "alert tcp any any -> any 80 (msg:\"a\"; "
					       "msg:\"b\"; sid:2;)", "t.rules"), 1);
	assert_int_equal(xv_net_rule_count(n), 1);
	assert_string_equal(n->rules[0].msg, "b");
	xv_net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_task_offset_replay),
		cmocka_unit_test(test_task_field_past_struct),
		cmocka_unit_test(test_walk_module_refcnt_replay),
		cmocka_unit_test(test_module_refcnt_extremes),
		cmocka_unit_test(test_fs_dentry_offset_replay),
		cmocka_unit_test(test_fs_field_past_struct),
		cmocka_unit_test(test_rules_double_msg_replay),
		cmocka_unit_test(test_rules_second_msg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
