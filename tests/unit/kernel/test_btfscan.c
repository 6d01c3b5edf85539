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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_carve), cmocka_unit_test(test_image_hint),
		cmocka_unit_test(test_none),  cmocka_unit_test(test_files),
		cmocka_unit_test(test_flood), cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
