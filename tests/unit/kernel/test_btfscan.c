/* test_btfscan.c — carving the vmlinux BTF out of fake guest RAM full of decoys, and loading BTF files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kbtf.h"
#include "kernel/btfscan.h"
#include "ktest.h"
#include "util/bytes.h"
#include "xvids/err.h"

static const void *raw_of(struct btf *b, uint32_t *sz)
{
	const void *r = btf__raw_data(b, sz);

	assert_non_null(r);
	return r;
}

struct layout {
	uint64_t real_pa, half_pa, small_pa, split_pa, trunc_pa, insane_pa;
	uint32_t real_sz;
	uint32_t ntypes;
};

static void build_ram(struct fake_ram *r, struct layout *L)
{
	struct btf *real = kbtf_build(1100), *small = btf__new_empty(), *split;
	const uint8_t *rr, *sr, *pr;
	uint32_t rsz, ssz, psz;
	uint8_t *s0, *s1;
	int id;

	s0 = fake_ram_add(r, 0x40000000, 16u << 20);
	s1 = fake_ram_add(r, 0x80000000, 8u << 20);
	assert_non_null(real);
	L->ntypes = btf__type_cnt(real) - 1;
	/* copy at once: libbpf may drop its raw-data cache when related BTFs are built */
	rr = raw_of(real, &rsz);
	/* the real one, in the second segment */
	L->real_pa = 0x80001000;
	L->real_sz = rsz;
	memcpy(s1 + 0x1000, rr, rsz);
	/* a stale partial copy: the header and the first half, then zeroed pages */
	L->half_pa = 0x40010000;
	memcpy(s0 + 0x10000, rr, rsz / 2);
	/* a header at the end of RAM that claims more bytes than exist */
	L->trunc_pa = 0x80000000 + (8u << 20) - 64;
	memcpy(s1 + (8u << 20) - 64, rr, 64);

	/* a module-like small standalone BTF: valid, but no task_struct */
	id = btf__add_int(small, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(small, "list_head", 8);
	btf__add_field(small, "x", id, 0, 0);
	sr = raw_of(small, &ssz);
	L->small_pa = 0x40400000;
	memcpy(s0 + 0x400000, sr, ssz);
	/* a module's split BTF: its type ids and strings continue the base's */
	split = btf__new_empty_split(real);
	id = btf__add_struct(split, "my_module_state", 16);
	btf__add_field(split, "tasks", btf__find_by_name_kind(real, "list_head", BTF_KIND_STRUCT), 0,
		       0);
	pr = raw_of(split, &psz);
	L->split_pa = 0x40500008;
	memcpy(s0 + 0x500008, pr, psz);
	L->insane_pa = 0x40600000;
	memcpy(s0 + 0x600000, "\x9f\xeb\x01\x00\x05\x00\x00\x00", 8); /* hdr_len 5 */
	btf__free(split);
	btf__free(small);
	btf__free(real);
}

static const struct xv_btf_cand *cand_at(const struct xv_btfscan_result *res, uint64_t pa)
{
	for (size_t i = 0; i < res->ncands; i++)
		if (res->cands[i].pa == pa)
			return &res->cands[i];
	return NULL;
}

static void test_carve(void **state)
{
	struct fake_ram r = {0};
	struct layout L;

	(void)state;
	build_ram(&r, &L);
	for (int view = 1; view >= 0; view--) {
		struct xv_phys_src src = fake_ram_src(&r, view);
		struct xv_btfscan_result res;
		const struct xv_btf_cand *c;
		char d[160];

		assert_int_equal(xv_btfscan_find(&src, NULL, &res), 0);
		assert_non_null(res.btf);
		assert_true(res.pa == L.real_pa);
		assert_int_equal(res.size, L.real_sz);
		assert_int_equal(btf__type_cnt(res.btf) - 1, L.ntypes);
		assert_true(btf__find_by_name_kind(res.btf, "task_struct", BTF_KIND_STRUCT) > 0);
		assert_int_equal(res.full_scan, 1);
		assert_int_equal(res.ncands, 5);
		assert_int_equal(res.nrejected, 4);
		assert_true(res.skipped >= 1); /* the insane header */
		c = cand_at(&res, L.real_pa);
		assert_int_equal(c->verdict, XV_BTF_CHOSEN);
		c = cand_at(&res, L.half_pa);
		assert_non_null(c);
		assert_int_equal(c->verdict, XV_BTF_REJECTED);
		c = cand_at(&res, L.small_pa);
		assert_int_equal(c->verdict, XV_BTF_NOT_VMLINUX);
		assert_non_null(strstr(c->why, "types"));
		c = cand_at(&res, L.split_pa);
		assert_non_null(c);
		assert_true(c->verdict == XV_BTF_REJECTED || c->verdict == XV_BTF_NOT_VMLINUX);
		c = cand_at(&res, L.trunc_pa);
		assert_int_equal(c->verdict, XV_BTF_TRUNCATED);
		assert_null(cand_at(&res, L.insane_pa));
		xv_btf_describe(&res, d, sizeof(d));
		assert_non_null(strstr(d, "0x80001000"));
		xv_btfscan_result_free(&res);
	}
	fake_ram_free(&r);
}

static void test_image_hint(void **state)
{
	struct fake_ram r = {0};
	struct layout L;
	struct xv_btfscan_result res;
	struct xv_btfscan_opts o = {.image_lo = 0x40800000, .image_hi = 0x41000000};
	struct xv_phys_src src;

	(void)state;
	build_ram(&r, &L);
	/* a second full copy inside the kernel image range */
	memcpy(r.bufs[0] + 0x900000, r.bufs[1] + 0x1000, L.real_sz);
	src = fake_ram_src(&r, 1);
	if (xv_btfscan_find(&src, &o, &res) < 0)
		fail_msg("%s", xv_errmsg());
	assert_true(res.pa == 0x40900000);
	assert_int_equal(res.full_scan, 0); /* the fast path: nothing else scanned */
	assert_int_equal(res.ncands, 1);
	xv_btfscan_result_free(&res);
	/* a module BTF later in the range: examined, unless told to stop at the vmlinux one */
	memcpy(r.bufs[0] + 0xa00000, r.bufs[0] + 0x400000, 256);
	assert_int_equal(xv_btfscan_find(&src, &o, &res), 0);
	assert_int_equal(res.ncands, 2);
	xv_btfscan_result_free(&res);
	o.stop_early = 1;
	assert_int_equal(xv_btfscan_find(&src, &o, &res), 0);
	assert_true(res.pa == 0x40900000);
	assert_int_equal(res.ncands, 1);
	assert_int_equal(res.nrejected, 0);
	xv_btfscan_result_free(&res);
	o.stop_early = 0;
	/* a hint range without BTF: falls back to the whole RAM, and prefers nothing wrongly */
	o.image_lo = 0x40c00000;
	o.image_hi = 0x40d00000;
	assert_int_equal(xv_btfscan_find(&src, &o, &res), 0);
	assert_int_equal(res.full_scan, 1);
	assert_true(res.pa == 0x40900000); /* same types: larger or equal, first found stays */
	assert_int_equal(cand_at(&res, L.real_pa)->verdict, XV_BTF_ALSO_VMLINUX);
	xv_btfscan_result_free(&res);
	fake_ram_free(&r);
}

static void test_none(void **state)
{
	struct fake_ram r = {0};
	struct xv_btfscan_result res;
	struct xv_phys_src src;

	(void)state;
	fake_ram_add(&r, 0, 1u << 20);
	memcpy(r.bufs[0] + 4096, "\x9f\xeb\x01\x00\x18\x00\x00\x00", 8); /* header, zero sections */
	src = fake_ram_src(&r, 1);
	assert_int_equal(xv_btfscan_find(&src, NULL, &res), -ENOENT);
	assert_null(res.btf);
	assert_non_null(strstr(xv_errmsg(), "no vmlinux BTF"));
	xv_btfscan_result_free(&res);
	fake_ram_free(&r);
}

static void test_files(void **state)
{
	struct btf *real = kbtf_build(1100), *small = btf__new_empty(), *got;
	char path[] = "/tmp/xv_btfXXXXXX";
	const void *raw;
	uint32_t sz;
	int fd;

	(void)state;
	raw = raw_of(real, &sz);
	fd = mkstemp(path);
	assert_true(write(fd, raw, sz) == (ssize_t)sz);
	close(fd);
	assert_int_equal(xv_btf_load_file(path, &got), 0);
	assert_int_equal(btf__type_cnt(got), btf__type_cnt(real));
	btf__free(got);
	/* a valid BTF that is not vmlinux */
	btf__add_int(small, "int", 4, BTF_INT_SIGNED);
	raw = raw_of(small, &sz);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, raw, sz) == (ssize_t)sz);
	close(fd);
	assert_true(xv_btf_load_file(path, &got) < 0);
	assert_non_null(strstr(xv_errmsg(), "not a vmlinux BTF"));
	assert_null(got);
	unlink(path);
	assert_true(xv_btf_load_file("/nonexistent/vmlinux", &got) < 0);
	assert_non_null(strstr(xv_errmsg(), "/nonexistent/vmlinux"));
	/* the host's own BTF, when it has one: a real kernel passes the markers */
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) {
		assert_int_equal(xv_btf_load_file("/sys/kernel/btf/vmlinux", &got), 0);
		assert_true(btf__type_cnt(got) > 10000);
		btf__free(got);
	}
	btf__free(small);
	btf__free(real);
}

/* Fake headers everywhere claiming huge sections: bounded work, the real one still wins. */
static void test_flood(void **state)
{
	struct fake_ram r = {0};
	struct btf *real = kbtf_build(1100);
	struct xv_btfscan_result res;
	struct xv_phys_src src;
	struct timespec a, b;
	size_t sz = 128u << 20;
	uint8_t *s = fake_ram_add(&r, 0, sz);
	const void *raw;
	uint32_t rsz;
	double ms;

	(void)state;
	raw = raw_of(real, &rsz);
	memcpy(s + (100u << 20), raw, rsz);
	for (size_t i = 0; i + 24 <= (96u << 20); i += 256 << 10) {
		uint8_t *h = s + i;
		memcpy(h, "\x9f\xeb\x01\x00\x18\x00\x00\x00", 8);
		xv_put_le32(h + 8, 0);
		xv_put_le32(h + 12, 60u << 20); /* types: 60 MiB of zeros, rejected by libbpf */
		xv_put_le32(h + 16, 60u << 20);
		xv_put_le32(h + 20, 16);
	}
	src = fake_ram_src(&r, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(xv_btfscan_find(&src, NULL, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("[ info ] 384 fake 60 MiB BTF headers: %.1f ms, %zu examined, %zu skipped\n", ms,
	       res.ncands, res.skipped);
	assert_true(res.pa == 100u << 20);
	assert_true(res.skipped > 0);
	assert_true(ms < 10000);
	xv_btfscan_result_free(&res);
	btf__free(real);
	fake_ram_free(&r);
}

static void test_speed(void **state)
{
	struct fake_ram r = {0};
	struct btf *real = kbtf_build(1100);
	struct xv_btfscan_result res;
	struct xv_phys_src src;
	struct timespec a, b;
	size_t sz = 256u << 20;
	uint8_t *s = fake_ram_add(&r, 0x40000000, sz);
	const void *raw;
	uint32_t rsz;

	(void)state;
	for (size_t i = 0; i < sz; i += 512) /* noise containing the magic's first bytes */
		memcpy(s + i + 7, "\x9f\xeb\x9f\x01\xeb\x9f\xeb", 7);
	raw = raw_of(real, &rsz);
	memcpy(s + sz - (1u << 20), raw, rsz);
	src = fake_ram_src(&r, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(xv_btfscan_find(&src, NULL, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("[ info ] BTF scan of 256 MiB: %.1f ms\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	assert_true(res.pa == 0x40000000 + sz - (1u << 20));
	xv_btfscan_result_free(&res);
	btf__free(real);
	fake_ram_free(&r);
}

/* Same kind and name? */
static int same_named(const struct btf *a, int ia, const struct btf *b, int ib)
{
	const struct btf_type *x = btf__type_by_id(a, (uint32_t)ia), *y = btf__type_by_id(b, (uint32_t)ib);

	return x && y && btf_kind(x) == btf_kind(y) &&
	       strcmp(btf__name_by_offset(a, x->name_off), btf__name_by_offset(b, y->name_off)) == 0;
}

/* A vmlinux-like BTF with the records the compacted copy drops: functions, their prototypes,
 * variables, a data section, declaration tags, and a struct after them (renumbered) that holds a
 * function pointer. */
static struct btf *btf_with_funcs(int *fnptr_struct)
{
	struct btf *b = kbtf_build(1100);
	int t_int = btf__find_by_name_kind(b, "int", BTF_KIND_INT);
	int ts = btf__find_by_name_kind(b, "task_struct", BTF_KIND_STRUCT);
	int proto, fn, var, ptr, pts, en, st;

	for (int i = 0; i < 50; i++) {
		char name[32];

		proto = btf__add_func_proto(b, t_int);
		btf__add_func_param(b, "only_in_a_param", t_int);
		btf__add_func_param(b, "task", ts);
		snprintf(name, sizeof(name), "do_something_%d", i);
		fn = btf__add_func(b, name, BTF_FUNC_GLOBAL, proto);
		btf__add_decl_tag(b, "a_tag", fn, -1);
	}
	var = btf__add_var(b, "some_percpu_var", BTF_VAR_GLOBAL_ALLOCATED, t_int);
	btf__add_datasec(b, ".data..percpu", 4);
	btf__add_datasec_var_info(b, var, 0, 4);
	ptr = btf__add_ptr(b, proto);
	pts = btf__add_ptr(b, ts);
	en = btf__add_enum(b, "late_enum", 4);
	btf__add_enum_value(b, "LATE_ONE", 1);
	btf__add_enum_value(b, "LATE_TWO", 2);
	st = btf__add_struct(b, "ops_after_funcs", 24);
	btf__add_field(b, "callback", ptr, 0, 0);
	btf__add_field(b, "owner", pts, 64, 0);
	btf__add_field(b, "kind", en, 128, 0);
	*fnptr_struct = st;
	return b;
}

static void test_compact(void **state)
{
	struct fake_ram r = {0};
	int st_id, dropped = 0;
	struct btf *real = btf_with_funcs(&st_id);
	struct xv_btf_compacted cb;
	struct xv_phys_src src;
	const void *raw;
	uint32_t rsz, n;
	uint8_t *ram;

	(void)state;
	raw = raw_of(real, &rsz);
	ram = fake_ram_add(&r, 0x40000000, 4u << 20);
	memcpy(ram + 0x1000, raw, rsz);
	n = btf__type_cnt(real);
	for (uint32_t i = 1; i < n; i++) {
		unsigned k = btf_kind(btf__type_by_id(real, i));
		dropped += k == BTF_KIND_FUNC || k == BTF_KIND_FUNC_PROTO || k == BTF_KIND_VAR ||
			   k == BTF_KIND_DATASEC || k == BTF_KIND_DECL_TAG;
	}
	assert_true(dropped > 150);
	for (int view = 1; view >= 0; view--) {
		const struct btf *c;
		const struct btf_type *t;
		int id;

		src = fake_ram_src(&r, view);
		if (!view)
			src.view = NULL;
		if (xv_btf_compact(&src, 0x40001000, rsz, &cb) < 0)
			fail_msg("%s", xv_errmsg());
		c = cb.btf;
		assert_int_equal(cb.ntypes, n - 1);
		assert_int_equal(cb.nkept, n - 1 - (uint32_t)dropped);
		assert_int_equal(btf__type_cnt(c), cb.nkept + 1);
		assert_true(cb.size < rsz);
		/* every kept type is there, in order, with its name, kind and members */
		for (uint32_t i = 1, j = 1; i < n; i++) {
			const struct btf_type *a = btf__type_by_id(real, i);
			unsigned k = btf_kind(a);

			if (k == BTF_KIND_FUNC || k == BTF_KIND_FUNC_PROTO || k == BTF_KIND_VAR ||
			    k == BTF_KIND_DATASEC || k == BTF_KIND_DECL_TAG)
				continue;
			assert_true(same_named(real, (int)i, c, (int)j));
			if (btf_is_composite(a)) {
				const struct btf_type *b = btf__type_by_id(c, j);

				assert_int_equal(btf_vlen(a), btf_vlen(b));
				assert_int_equal(a->size, b->size);
				for (unsigned m = 0; m < btf_vlen(a); m++) {
					assert_string_equal(btf__name_by_offset(real, btf_members(a)[m].name_off),
							    btf__name_by_offset(c, btf_members(b)[m].name_off));
					assert_int_equal(btf_members(a)[m].offset, btf_members(b)[m].offset);
				}
			}
			j++;
		}
		/* the vmlinux markers, and a layout read through the renumbered ids */
		assert_int_equal(xv_btf_check_vmlinux(c, NULL, 0), 0);
		id = btf__find_by_name_kind(c, "ops_after_funcs", BTF_KIND_STRUCT);
		assert_true(id > 0 && id < st_id);
		t = btf__type_by_id(c, (uint32_t)id);
		assert_int_equal(btf_vlen(t), 3);
		/* the function pointer became a pointer to void; the others kept their targets */
		assert_int_equal(btf__type_by_id(c, btf_members(t)[0].type)->type, 0);
		assert_true(same_named(c, (int)btf__type_by_id(c, btf_members(t)[1].type)->type, real,
				       btf__find_by_name_kind(real, "task_struct", BTF_KIND_STRUCT)));
		assert_true(same_named(c, (int)btf_members(t)[2].type, real,
				       btf__find_by_name_kind(real, "late_enum", BTF_KIND_ENUM)));
		assert_int_equal(btf__resolve_size(c, btf_members(t)[0].type), 8);
		/* functions, variables and the names only they used are gone */
		assert_true(btf__find_by_name_kind(c, "do_something_7", BTF_KIND_FUNC) < 0);
		assert_true(btf__find_by_name_kind(c, "some_percpu_var", BTF_KIND_VAR) < 0);
		{
			uint32_t csz;
			const char *craw = btf__raw_data(c, &csz);

			assert_null(memmem(craw, csz, "only_in_a_param", 15));
			assert_non_null(memmem(craw, csz, "LATE_TWO", 8));
		}
		btf__free(cb.btf);
	}
	fake_ram_free(&r);
	btf__free(real);
}

/* Hostile edits of a valid blob: each one is refused with a reason, none crashes. */
static void test_compact_hostile(void **state)
{
	struct fake_ram r = {0};
	int st_id;
	struct btf *real = btf_with_funcs(&st_id);
	struct xv_btf_compacted cb;
	struct xv_phys_src src;
	const uint8_t *raw;
	uint32_t rsz, hl, toff, soff, slen;
	uint8_t *ram;

	(void)state;
	raw = raw_of(real, &rsz);
	hl = xv_le32(raw + 4);
	toff = hl + xv_le32(raw + 8);
	soff = hl + xv_le32(raw + 16);
	slen = xv_le32(raw + 20);
	ram = fake_ram_add(&r, 0, 4u << 20);
	src = fake_ram_src(&r, 1);
	/* the first type (int) named past the end of the strings */
	memcpy(ram, raw, rsz);
	xv_put_le32(ram + toff, slen + 5);
	assert_true(xv_btf_compact(&src, 0, rsz, &cb) < 0);
	assert_non_null(strstr(xv_errmsg(), "string offset"));
	/* a typedef (u64, type 7) pointing past the last type */
	memcpy(ram, raw, rsz);
	xv_put_le32(ram + toff + 6 * 16 + 8, 0x7fffff);
	assert_true(xv_btf_compact(&src, 0, rsz, &cb) < 0);
	assert_non_null(strstr(xv_errmsg(), "past the last one"));
	/* an unknown kind, and a record cut by the end of the type section */
	memcpy(ram, raw, rsz);
	ram[toff + 7] = 0x1f;
	assert_true(xv_btf_compact(&src, 0, rsz, &cb) < 0);
	assert_non_null(strstr(xv_errmsg(), "unknown kind"));
	memcpy(ram, raw, rsz);
	xv_put_le32(ram + 12, xv_le32(raw + 12) - 2);
	assert_true(xv_btf_compact(&src, 0, rsz, &cb) < 0);
	/* strings that do not end with a NUL */
	memcpy(ram, raw, rsz);
	ram[soff + slen - 1] = 'x';
	assert_true(xv_btf_compact(&src, 0, rsz, &cb) < 0);
	assert_non_null(strstr(xv_errmsg(), "NUL"));
	/* the original still carves */
	memcpy(ram, raw, rsz);
	assert_int_equal(xv_btf_compact(&src, 0, rsz, &cb), 0);
	btf__free(cb.btf);
	fake_ram_free(&r);
	btf__free(real);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_carve), cmocka_unit_test(test_image_hint),
		cmocka_unit_test(test_none),  cmocka_unit_test(test_files),
		cmocka_unit_test(test_flood), cmocka_unit_test(test_speed),
		cmocka_unit_test(test_compact), cmocka_unit_test(test_compact_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
