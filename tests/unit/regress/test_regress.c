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

#include "kbtf.h"
#include "kfix.h"
#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"
#include "xvids/task.h"
#include "xvids/vat.h"

int fuzz_walk_one(const uint8_t *data, size_t size);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_task_offset_replay),
		cmocka_unit_test(test_task_field_past_struct),
		cmocka_unit_test(test_walk_module_refcnt_replay),
		cmocka_unit_test(test_module_refcnt_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
