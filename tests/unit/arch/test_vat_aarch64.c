/* test_vat_aarch64.c — AArch64 4K-granule walks over synthetic tables: 39/42/48-bit VA, 4K pages,
 * 2M and 1G blocks, faults, bad parameters and the translation cache. */
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

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (8ull << 20)
#define AF (1ull << 10)

struct env {
	struct fake_ram ram;
	struct xv_mem *mem;
	uint64_t root;
	unsigned va_bits, levels;
};

static unsigned levels_for(unsigned va_bits)
{
	return (va_bits - 12 + 8) / 9;
}

static void env_init(struct env *e, unsigned va_bits)
{
	struct xv_mem_seg seg = { RAM_BASE, RAM_SIZE };
	const void *bufs[1];

	fr_init(&e->ram, RAM_BASE, RAM_SIZE);
	bufs[0] = e->ram.buf;
	assert_int_equal(xv_mem_open_buffers(&seg, bufs, 1, &e->mem), 0);
	e->va_bits = va_bits;
	e->levels = levels_for(va_bits);
	e->root = fr_page(&e->ram);
}

static void env_fini(struct env *e)
{
	xv_mem_close(e->mem);
	free(e->ram.buf);
}

static struct xv_vat *env_vat(struct env *e)
{
	struct xv_vat_params p = { .arch = XV_ARCH_AARCH64, .root = e->root, .va_bits = e->va_bits };
	struct xv_vat *vat = xv_vat_new(e->mem, &p);

	assert_non_null(vat);
	return vat;
}

static unsigned index_at(const struct env *e, uint64_t va, unsigned level)
{
	unsigned shift = 12 + 9 * (3 - level), start = 4 - e->levels;
	unsigned bits = level == start ? e->va_bits - shift : 9;

	return (unsigned)((va >> shift) & ((1ull << bits) - 1));
}

/* Map va to pa with a leaf at leaf_level (3 = 4K page, 2 = 2M block, 1 = 1G block). */
static void map(struct env *e, uint64_t va, uint64_t pa, unsigned leaf_level)
{
	uint64_t table = e->root;

	for (unsigned level = 4 - e->levels; level < leaf_level; level++) {
		unsigned idx = index_at(e, va, level);
		uint64_t d = xv_le64(fr_ptr(&e->ram, table + idx * 8ull));

		if (!(d & 1)) {
			d = fr_page(&e->ram) | 3;
			fr_set_entry(&e->ram, table, idx, d);
		}
		table = d & 0x0000fffffffff000ull;
	}
	fr_set_entry(&e->ram, table, index_at(e, va, leaf_level),
		     pa | AF | (leaf_level == 3 ? 3 : 1) | (1ull << 54) /* UXN: ignored */);
}

static void check(struct xv_vat *vat, uint64_t va, uint64_t want_pa, uint64_t want_page)
{
	uint64_t pa = 0, page = 0;
	int rc = xv_vat_translate(vat, va, &pa, &page);

	if (rc != 0)
		fail_msg("translate 0x%llx: %s", (unsigned long long)va, xv_errmsg());
	assert_int_equal(pa, want_pa);
	assert_int_equal(page, want_page);
}

static void expect_fault(struct xv_vat *vat, uint64_t va, const char *needle)
{
	uint64_t pa;
	int rc = xv_vat_translate(vat, va, &pa, NULL);

	assert_int_equal(rc, -EFAULT);
	if (!strstr(xv_errmsg(), needle))
		fail_msg("message '%s' lacks '%s'", xv_errmsg(), needle);
}

static void test_48bit_pages_and_blocks(void **state)
{
	struct env e;
	struct xv_vat *vat;
	uint64_t va4k = 0xffff000012345000ull, va2m = 0xffff800000200000ull;
	uint64_t va1g = 0xffff800040000000ull;

	(void)state;
	env_init(&e, 48);
	map(&e, va4k, RAM_BASE + 0x300000, 3);
	map(&e, va2m, RAM_BASE + 0x200000, 2);
	map(&e, va1g, 0x80000000ull, 1);
	vat = env_vat(&e);
	assert_string_equal(xv_vat_describe(vat), "aarch64 4K granule, 48-bit VA, 4 levels");
	check(vat, va4k + 0x123, RAM_BASE + 0x300123, 4096);
	check(vat, va2m + 0x1abcde, RAM_BASE + 0x3abcde, 2ull << 20);
	check(vat, va1g + 0x3fffffff, 0xbfffffffull, 1ull << 30);
	/* Neighbouring pages of a 4K mapping are not mapped. */
	expect_fault(vat, va4k + 0x1000, "level 3");
	expect_fault(vat, va4k + (1ull << 39), "level 0");
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_39bit_three_levels(void **state)
{
	struct env e;
	struct xv_vat *vat;
	uint64_t va = 0xffffffc008010000ull, vb = 0xffffffc0c0000000ull, vc = 0xffffffd000400000ull;

	(void)state;
	env_init(&e, 39);
	map(&e, va, RAM_BASE + 0x500000, 3);
	map(&e, vb, 0x140000000ull, 1);
	map(&e, vc, RAM_BASE + 0x400000, 2);
	vat = env_vat(&e);
	assert_string_equal(xv_vat_describe(vat), "aarch64 4K granule, 39-bit VA, 3 levels");
	check(vat, va + 8, RAM_BASE + 0x500008, 4096);
	check(vat, vb + 0x12345678, 0x152345678ull, 1ull << 30);
	check(vat, vc + 0x1000, RAM_BASE + 0x401000, 2ull << 20);
	/* Bit 38 clear: below the TTBR1 range of a 39-bit kernel. */
	expect_fault(vat, 0xffffff8000000000ull - 0x1000, "not a canonical");
	/* 48-bit style kernel address: not canonical for 39 bits. */
	expect_fault(vat, 0xffff000012345000ull, "not a canonical");
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_42bit_partial_top_table(void **state)
{
	struct env e;
	struct xv_vat *vat;
	/* Bits 41:39 pick one of 8 level-0 entries. */
	uint64_t va = 0xfffffe8000123000ull;

	(void)state;
	env_init(&e, 42);
	assert_int_equal(e.levels, 4);
	map(&e, va, RAM_BASE + 0x600000, 3);
	vat = env_vat(&e);
	check(vat, va, RAM_BASE + 0x600000, 4096);
	assert_int_equal(index_at(&e, va, 0), 5);
	expect_fault(vat, va - (1ull << 39), "level 0 entry 4");
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_faults(void **state)
{
	struct env e;
	struct xv_vat *vat;
	uint64_t va = 0xffff000012345000ull, pa;
	unsigned i1;

	(void)state;
	env_init(&e, 48);
	map(&e, va, RAM_BASE + 0x300000, 3);
	/* A level-1 table entry pointing outside RAM: the walk must stop at level 2. */
	i1 = index_at(&e, va, 1);
	{
		uint64_t l0 = e.root, l1 = xv_le64(fr_ptr(&e.ram, l0 + index_at(&e, va, 0) * 8)) & ~0xfffull;

		fr_set_entry(&e.ram, l1, (i1 + 1) % 512, 0x90000000ull | 3);
	}
	vat = env_vat(&e);
	expect_fault(vat, (va & ~(0x1ffull << 30)) | ((uint64_t)((i1 + 1) % 512) << 30),
		     "page table at 0x90000000 (level 2)");
	/* Level 0 block descriptors do not exist with a 4K granule. */
	fr_set_entry(&e.ram, e.root, 7, 0x40000000ull | AF | 1);
	expect_fault(vat, 0xffff000000000000ull | (7ull << 39), "block descriptor");
	/* Level 3 descriptor with bit 1 clear is reserved. */
	{
		uint64_t vr = va + 0x2000;

		map(&e, vr, RAM_BASE + 0x310000, 3);
		check(vat, vr, RAM_BASE + 0x310000, 4096);
		xv_vat_flush(vat);
		{
			uint64_t t = e.root;

			for (unsigned l = 0; l < 3; l++)
				t = xv_le64(fr_ptr(&e.ram, t + index_at(&e, vr, l) * 8)) & 0x0000fffffffff000ull;
			fr_set_entry(&e.ram, t, index_at(&e, vr, 3), (RAM_BASE + 0x310000) | AF | 1);
		}
		expect_fault(vat, vr, "reserved");
	}
	/* Root outside RAM. */
	{
		struct xv_vat_params p = { .arch = XV_ARCH_AARCH64, .root = 0x1000, .va_bits = 48 };
		struct xv_vat *bad = xv_vat_new(e.mem, &p);

		assert_non_null(bad);
		expect_fault(bad, va, "page table at 0x1000 (level 0)");
		xv_vat_free(bad);
	}
	/* User (TTBR0) address: not through translate, but through translate_root. */
	map(&e, 0x0000aaaa00001000ull, RAM_BASE + 0x320000, 3);
	expect_fault(vat, 0x0000aaaa00001000ull, "not a canonical kernel");
	assert_int_equal(xv_vat_translate_root(vat, e.root, 0x0000aaaa00001010ull, &pa, NULL), 0);
	assert_int_equal(pa, RAM_BASE + 0x320010);
	/* Cached under translate_root, still rejected by translate. */
	expect_fault(vat, 0x0000aaaa00001000ull, "not a canonical kernel");
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_next_mapped(void **state)
{
	struct env e;
	struct xv_vat *vat;
	uint64_t va4k = 0xffff000012345000ull, va2m = 0xffff800000200000ull;
	uint64_t va1g = 0xffff800040000000ull, mva, mpa, msz;
	unsigned i1;

	(void)state;
	env_init(&e, 48);
	map(&e, va4k, RAM_BASE + 0x300000, 3);
	map(&e, va2m, RAM_BASE + 0x200000, 2);
	map(&e, va1g, 0x80000000ull, 1);
	/* A planted level-1 entry pointing outside RAM, between the 2M and the 1G mappings:
	 * the scan hops over it instead of stopping. */
	i1 = index_at(&e, va2m, 1);
	{
		uint64_t l1 = xv_le64(fr_ptr(&e.ram, e.root + index_at(&e, va2m, 0) * 8)) & ~0xfffull;

		assert_int_equal(index_at(&e, va1g, 1), i1 + 1);
		fr_set_entry(&e.ram, l1, i1 + 2, 0x90000000ull | 3);
	}
	vat = env_vat(&e);
	assert_int_equal(xv_vat_next_mapped(vat, 0xffff000000000000ull, UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, va4k);
	assert_int_equal(mpa, RAM_BASE + 0x300000);
	assert_int_equal(msz, 4096);
	assert_int_equal(xv_vat_next_mapped(vat, va4k + 1, UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, va4k); /* the mapping that overlaps the start */
	assert_int_equal(xv_vat_next_mapped(vat, va4k + 0x1000, UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, va2m);
	assert_int_equal(msz, 2ull << 20);
	assert_int_equal(xv_vat_next_mapped(vat, va2m + (2ull << 20), UINT64_MAX, &mva, &mpa, &msz), 0);
	assert_int_equal(mva, va1g);
	assert_int_equal(mpa, 0x80000000ull);
	assert_int_equal(msz, 1ull << 30);
	assert_int_equal(xv_vat_next_mapped(vat, va1g + (1ull << 30), UINT64_MAX, &mva, &mpa, &msz),
			 -ENOENT);
	assert_int_equal(xv_vat_next_mapped(vat, va4k + 0x1000, va2m, &mva, &mpa, &msz), -ENOENT);
	xv_vat_free(vat);
	env_fini(&e);
}

static void test_bad_params(void **state)
{
	struct env e;
	struct xv_vat_params p = { .arch = XV_ARCH_AARCH64, .root = RAM_BASE, .va_bits = 48 };

	(void)state;
	env_init(&e, 48);
	p.granule = 16384;
	assert_null(xv_vat_new(e.mem, &p));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(xv_errmsg(), "granule 16384"));
	p.granule = 65536;
	assert_null(xv_vat_new(e.mem, &p));
	p.granule = 0;
	p.va_bits = 52;
	assert_null(xv_vat_new(e.mem, &p));
	assert_non_null(strstr(xv_errmsg(), "52-bit"));
	p.va_bits = 20;
	assert_null(xv_vat_new(e.mem, &p));
	p.va_bits = 49;
	assert_null(xv_vat_new(e.mem, &p));
	p.va_bits = 39;
	p.levels = 4;
	assert_null(xv_vat_new(e.mem, &p));
	assert_non_null(strstr(xv_errmsg(), "needs 3 levels"));
	p.levels = 3;
	{
		struct xv_vat *v = xv_vat_new(e.mem, &p);

		assert_non_null(v);
		assert_int_equal(xv_vat_params(v)->granule, 4096);
		assert_ptr_equal(xv_vat_mem(v), e.mem);
		xv_vat_free(v);
	}
	p.arch = XV_ARCH_UNKNOWN;
	assert_null(xv_vat_new(e.mem, &p));
	env_fini(&e);
}

static void test_read_across_pages_and_cache(void **state)
{
	struct env e;
	struct xv_vat *vat;
	uint64_t va = 0xffff000020000000ull, hits, misses, pa;
	uint8_t out[64], want[64];

	(void)state;
	env_init(&e, 48);
	/* Two consecutive virtual pages backed by physical pages in reverse order. */
	map(&e, va, RAM_BASE + 0x701000, 3);
	map(&e, va + 0x1000, RAM_BASE + 0x700000, 3);
	for (int i = 0; i < 32; i++) {
		fr_ptr(&e.ram, RAM_BASE + 0x701fe0)[i] = (uint8_t)(i + 1);
		fr_ptr(&e.ram, RAM_BASE + 0x700000)[i] = (uint8_t)(0x80 + i);
		want[i] = (uint8_t)(i + 1);
		want[32 + i] = (uint8_t)(0x80 + i);
	}
	vat = env_vat(&e);
	assert_int_equal(xv_vat_read(vat, va + 0xfe0, out, sizeof(out)), 0);
	assert_memory_equal(out, want, sizeof(out));
	/* Reading into the unmapped third page fails whole and leaves no stale bytes. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(xv_vat_read(vat, va + 0x1fe0, out, sizeof(out)), -EFAULT);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0);

	/* The cache answers the second time, even after the tables change, until a flush. */
	xv_vat_stats(vat, &hits, &misses);
	assert_int_equal(xv_vat_translate(vat, va, &pa, NULL), 0);
	{
		uint64_t h2, m2;

		xv_vat_stats(vat, &h2, &m2);
		assert_int_equal(h2, hits + 1);
		assert_int_equal(m2, misses);
	}
	map(&e, va, RAM_BASE + 0x702000, 3);
	assert_int_equal(xv_vat_translate(vat, va, &pa, NULL), 0);
	assert_int_equal(pa, RAM_BASE + 0x701000);
	xv_vat_flush(vat);
	assert_int_equal(xv_vat_translate(vat, va, &pa, NULL), 0);
	assert_int_equal(pa, RAM_BASE + 0x702000);
	xv_vat_free(vat);
	env_fini(&e);
}

/* Random table contents: every walk ends in an answer or -EFAULT; scans terminate. */
static void test_random_tables(void **state)
{
	struct env e;
	uint64_t x = 0x243f6a8885a308d3ull;

	(void)state;
	env_init(&e, 48);
	for (uint64_t i = 0; i < RAM_SIZE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		xv_put_le64(e.ram.buf + i, RAM_BASE + (x & (RAM_SIZE - 1) & ~0xfffull) + (x & 0xfff));
	}
	for (unsigned va_bits = 39; va_bits <= 48; va_bits += 9) {
		struct xv_vat_params p = { .arch = XV_ARCH_AARCH64, .root = RAM_BASE + 0x5000,
					   .va_bits = va_bits };
		struct xv_vat *vat = xv_vat_new(e.mem, &p);
		unsigned ok = 0, fault = 0;
		uint64_t mva, mpa, msz, va = ~0ull << va_bits;

		assert_non_null(vat);
		for (int i = 0; i < 20000; i++) {
			uint64_t pa;
			int rc;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			rc = xv_vat_translate(vat, x | (~0ull << va_bits), &pa, NULL);
			assert_true(rc == 0 || rc == -EFAULT);
			rc == 0 ? ok++ : fault++;
		}
		assert_true(ok > 0 && fault > 0);
		for (int i = 0; i < 2000 && xv_vat_next_mapped(vat, va, UINT64_MAX, &mva, &mpa, &msz) == 0; i++) {
			if (mva + msz == 0)
				break;
			assert_true(mva + msz > va);
			va = mva + msz;
		}
		xv_vat_free(vat);
	}
	env_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_48bit_pages_and_blocks),
		cmocka_unit_test(test_39bit_three_levels),
		cmocka_unit_test(test_42bit_partial_top_table),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_next_mapped),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_read_across_pages_and_cache),
		cmocka_unit_test(test_random_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
