/* test_vat_x86_64.c — x86-64 4- and 5-level walks over synthetic tables: 4K, 2M and 1G pages,
 * NX/PKEY/PAT bits, faults, canonical checks and the translation cache. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pt_builder.h"
#include "xvids/err.h"
#include "xvids/vat.h"

#define RAM_SIZE (8ull << 20)
#define P_RW 0x3ull
#define PS 0x80ull
#define NX (1ull << 63)
#define PKEY (0xfull << 59)
#define PAT_LARGE (1ull << 12)

struct env {
	struct fake_ram ram;
	struct xv_mem *mem;
	uint64_t root;
	unsigned levels;
};

static void env_init(struct env *e, unsigned levels)
{
	struct xv_mem_seg seg = { 0, RAM_SIZE };
	const void *bufs[1];

	fr_init(&e->ram, 0, RAM_SIZE);
	bufs[0] = e->ram.buf;
	assert_int_equal(xv_mem_open_buffers(&seg, bufs, 1, &e->mem), 0);
	e->levels = levels;
	fr_page(&e->ram); /* keep page 0 unused, like real firmware does */
	e->root = fr_page(&e->ram);
}

static void env_fini(struct env *e)
{
	xv_mem_close(e->mem);
	free(e->ram.buf);
}

static struct xv_vat *env_vat(struct env *e, uint64_t root_bits)
{
	struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = e->root | root_bits,
				   .levels = e->levels };
	struct xv_vat *vat = xv_vat_new(e->mem, &p);

	assert_non_null(vat);
	return vat;
}

static unsigned idx(uint64_t va, unsigned level)
{
	return (unsigned)((va >> (12 + 9 * (level - 1))) & 0x1ff);
}

static uint64_t walk_to(struct env *e, uint64_t va, unsigned leaf_level)
{
	uint64_t table = e->root;

	for (unsigned level = e->levels; level > leaf_level; level--) {
		uint64_t d = xv_le64(fr_ptr(&e->ram, table + idx(va, level) * 8ull));

		if (!(d & 1)) {
			/* High NX bit on intermediate entries too: must not leak into the address. */
			d = fr_page(&e->ram) | P_RW | NX;
			fr_set_entry(&e->ram, table, idx(va, level), d);
		}
		table = d & 0x000ffffffffff000ull;
	}
	return table;
}

/* leaf_level 1 = 4K page, 2 = 2M page, 3 = 1G page. */
static void map(struct env *e, uint64_t va, uint64_t pa, unsigned leaf_level)
{
	uint64_t table = walk_to(e, va, leaf_level);
	uint64_t bits = leaf_level == 1 ? P_RW : P_RW | PS | PAT_LARGE;

	fr_set_entry(&e->ram, table, idx(va, leaf_level), pa | bits | NX | PKEY);
}

static void check(struct xv_vat *vat, uint64_t va, uint64_t want_pa, uint64_t want_page)
{
	uint64_t pa = 0, page = 0;

	if (xv_vat_translate(vat, va, &pa, &page) != 0)
		fail_msg("translate 0x%llx: %s", (unsigned long long)va, xv_errmsg());
	assert_int_equal(pa, want_pa);
	assert_int_equal(page, want_page);
}

static void expect_fault(struct xv_vat *vat, uint64_t va, const char *needle)
{
	uint64_t pa;

	assert_int_equal(xv_vat_translate(vat, va, &pa, NULL), -EFAULT);
	if (!strstr(xv_errmsg(), needle))
		fail_msg("message '%s' lacks '%s'", xv_errmsg(), needle);
}

static void run_modes(unsigned levels, uint64_t kva)
{
	struct env e;
	struct xv_vat *vat;

	env_init(&e, levels);
	map(&e, kva, 0x345000, 1);
	map(&e, kva + 0x40000000ull, 0x200000, 2);
	map(&e, kva + 0x80000000ull, 0x1c0000000ull, 3);
	map(&e, 0x00007f0000001000ull, 0x346000, 1);
	/* CR3 may carry a PCID in its low bits. */
	vat = env_vat(&e, 0x5);
	check(vat, kva + 0xabc, 0x345abc, 4096);
	check(vat, kva + 0x40000000ull + 0x12345, 0x212345, 2ull << 20);
	check(vat, kva + 0x80000000ull + 0x3ffffff8, 0x1fffffff8ull, 1ull << 30);
	check(vat, 0x00007f0000001008ull, 0x346008, 4096);
	expect_fault(vat, kva + 0x1000, "level 1 (PT) entry");
	expect_fault(vat, kva + 0x40000000ull + (2ull << 20), "level 2 (PD) entry");
	expect_fault(vat, kva ^ (1ull << 39), levels == 5 ? "level 4 (PML4)" : "level 4 (PML4) entry");
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_4level(void **state)
{
	(void)state;
	run_modes(4, 0xffff888000000000ull);
}

static void test_5level(void **state)
{
	(void)state;
	/* A 5-level direct map address: bits 56:48 select the PML5 slot. */
	run_modes(5, 0xff11000000000000ull);
}

static void test_next_mapped(void **state)
{
	struct env e;
	struct xv_vat *vat;
	uint64_t mod = 0xffffffffc0000000ull, mva, mpa, msz;

	(void)state;
	env_init(&e, 4);
	/* Module-area style: two 4K pages far apart, a 2M page, and a broken PT in between. */
	map(&e, mod + 0x5000, 0x345000, 1);
	map(&e, mod + 0x803000, 0x346000, 1);
	map(&e, mod + 0x1000000, 0x400000, 2);
	fr_set_entry(&e.ram, walk_to(&e, mod, 2), idx(mod + 0xa00000, 2), 0x7ff000000ull | P_RW);
	vat = env_vat(&e, 0);
	assert_int_equal(xv_vat_next_mapped(vat, mod, UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, mod + 0x5000);
	assert_int_equal(mpa, 0x345000);
	assert_int_equal(xv_vat_next_mapped(vat, mod + 0x6000, UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, mod + 0x803000);
	assert_int_equal(xv_vat_next_mapped(vat, mod + 0x804000, UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, mod + 0x1000000);
	assert_int_equal(msz, 2ull << 20);
	assert_int_equal(xv_vat_next_mapped(vat, mod + 0x1200000, UINT64_MAX, &mva, &mpa, &msz), -ENOENT);
	/* From low kernel space, the first mapping found is the module page. */
	assert_int_equal(xv_vat_next_mapped(vat, 0xffff800000000000ull, UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, mod + 0x5000);
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_canonical(void **state)
{
	struct env e;
	struct xv_vat *vat;

	(void)state;
	env_init(&e, 4);
	vat = env_vat(&e, 0);
	expect_fault(vat, 0x0000800000000000ull, "not canonical for 4-level");
	expect_fault(vat, 0xff11000000000000ull, "not canonical");
	expect_fault(vat, 0xffff800000000000ull, "level 4 (PML4) entry 256");
	xv_vat_free(vat);
	env_fini(&e);

	env_init(&e, 5);
	vat = env_vat(&e, 0);
	expect_fault(vat, 0x0100000000000000ull, "not canonical for 5-level");
	/* Canonical for 57 bits although not for 48: walked, then simply unmapped. */
	expect_fault(vat, 0x0000800000000000ull, "level 5 (PML5) entry 0");
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_faults_and_params(void **state)
{
	struct env e;
	struct xv_vat *vat;
	struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = 0x1000 };
	uint64_t va = 0xffffffff81000000ull;

	(void)state;
	env_init(&e, 4);
	map(&e, va, 0x400000, 1);
	/* The PD entry for the next 2M region points at a page table beyond RAM. */
	fr_set_entry(&e.ram, walk_to(&e, va, 2), idx(va, 2) + 1, 0x7ff000000ull | P_RW);
	vat = env_vat(&e, 0);
	check(vat, va, 0x400000, 4096);
	expect_fault(vat, va + (2ull << 20), "page table at 0x7ff000000 (level 1 (PT))");
	/* PS in a PML4 entry is reserved. */
	fr_set_entry(&e.ram, e.root, 3, 0x40000000ull | P_RW | PS);
	expect_fault(vat, 3ull << 39, "reserved PS");
	xv_vat_free(vat);

	p.levels = 0;
	assert_null(xv_vat_new(e.mem, &p));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(xv_errmsg(), "4 or 5 levels"));
	p.levels = 3;
	assert_null(xv_vat_new(e.mem, &p));
	p.levels = 5;
	vat = xv_vat_new(e.mem, &p);
	assert_non_null(vat);
	assert_string_equal(xv_vat_describe(vat), "x86-64 5-level");
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_read_and_cache(void **state)
{
	struct env e;
	struct xv_vat *vat;
	uint64_t va = 0xffffc90000000000ull, pa, big = 0xffff888000000000ull;
	uint8_t out[8200];

	(void)state;
	env_init(&e, 5);
	/* Three virtual pages scattered over physical memory. */
	map(&e, va, 0x600000, 1);
	map(&e, va + 0x1000, 0x300000, 1);
	map(&e, va + 0x2000, 0x500000, 1);
	memset(fr_ptr(&e.ram, 0x600000), 'a', 4096);
	memset(fr_ptr(&e.ram, 0x300000), 'b', 4096);
	memset(fr_ptr(&e.ram, 0x500000), 'c', 4096);
	map(&e, big, 0x0, 2);
	vat = env_vat(&e, 0);
	assert_int_equal(xv_vat_read(vat, va + 4000, out, sizeof(out)), 0);
	assert_int_equal(out[0], 'a');
	assert_int_equal(out[95], 'a');
	assert_int_equal(out[96], 'b');
	assert_int_equal(out[96 + 4095], 'b');
	assert_int_equal(out[96 + 4096], 'c');
	assert_int_equal(out[sizeof(out) - 1], 'c');
	/* Across a 2M page: bytes come from physical 0x1ff000.. in one go. */
	fr_ptr(&e.ram, 0x1fffff)[0] = 0x5a;
	fr_ptr(&e.ram, 0x1ff000)[0] = 0xa5;
	assert_int_equal(xv_vat_read(vat, big + 0x1ff000, out, 4096), 0);
	assert_int_equal(out[0], 0xa5);
	assert_int_equal(out[4095], 0x5a);
	assert_int_equal(xv_vat_read(vat, big + 0x1ff000, out, 4097), -EFAULT);

	/* Remap and check the cache keeps the old answer until flushed. */
	assert_int_equal(xv_vat_translate(vat, va + 0x1000, &pa, NULL), 0);
	assert_int_equal(pa, 0x300000);
	map(&e, va + 0x1000, 0x700000, 1);
	assert_int_equal(xv_vat_translate(vat, va + 0x1000, &pa, NULL), 0);
	assert_int_equal(pa, 0x300000);
	xv_vat_flush(vat);
	assert_int_equal(xv_vat_translate(vat, va + 0x1000, &pa, NULL), 0);
	assert_int_equal(pa, 0x700000);
	/* Another root is another address space: a different answer for the same va. */
	{
		uint64_t root2 = fr_page(&e.ram), save = e.root;

		e.root = root2;
		map(&e, va + 0x1000, 0x710000, 1);
		e.root = save;
		assert_int_equal(xv_vat_translate_root(vat, root2, va + 0x1000, &pa, NULL), 0);
		assert_int_equal(pa, 0x710000);
		assert_int_equal(xv_vat_translate(vat, va + 0x1000, &pa, NULL), 0);
		assert_int_equal(pa, 0x700000);
	}
	xv_vat_free(vat);
	env_fini(&e);
}

/* Tables full of random bytes (a hostile or torn guest): every walk ends in an answer or
 * -EFAULT, and a range scan terminates. */
static void test_random_tables(void **state)
{
	struct env e;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	env_init(&e, 5);
	for (uint64_t i = 0; i < RAM_SIZE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Keep addresses mostly inside RAM so walks go deep. */
		xv_put_le64(e.ram.buf + i, (x & (RAM_SIZE - 1) & ~0xfffull) | (x & 0x8000000000000fffull));
	}
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = 0x3000, .levels = levels };
		struct xv_vat *vat = xv_vat_new(e.mem, &p);
		unsigned ok = 0, fault = 0;
		uint64_t mva, mpa, msz, va;
		uint8_t buf[64];

		assert_non_null(vat);
		for (int i = 0; i < 20000; i++) {
			uint64_t pa;
			int rc;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Mostly canonical addresses, so that walks happen. */
			uint64_t v = i % 8 ? (uint64_t)((int64_t)(x << (64 - (levels == 5 ? 57 : 48))) >>
						 (64 - (levels == 5 ? 57 : 48))) : x;

			rc = xv_vat_translate(vat, v, &pa, NULL);
			assert_true(rc == 0 || rc == -EFAULT);
			rc == 0 ? ok++ : fault++;
			rc = xv_vat_read(vat, v, buf, sizeof(buf));
			assert_true(rc == 0 || rc == -EFAULT);
		}
		assert_true(ok > 0 && fault > 0);
		va = levels == 5 ? 0xff00000000000000ull : 0xffff800000000000ull;
		for (int i = 0; i < 2000 && xv_vat_next_mapped(vat, va, UINT64_MAX, &mva, &mpa, &msz) == 0; i++) {
			assert_true(mva + msz > va || mva + msz == 0);
			if (mva + msz == 0)
				break;
			va = mva + msz;
		}
		xv_vat_free(vat);
	}
	env_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4level),
		cmocka_unit_test(test_5level),
		cmocka_unit_test(test_next_mapped),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_faults_and_params),
		cmocka_unit_test(test_read_and_cache),
		cmocka_unit_test(test_random_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
