/* test_pagemap.c — struct page → physical address from a hand-built mem_section (EXTREME, flat, holes). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fs/fs_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"

/* Kernel memory for mem_section: one buffer at BASE. */
#define BASE 0xffff800000000000ull
static uint8_t mem[1 << 16];

static int rd(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr - BASE > sizeof(mem) || len > sizeof(mem) - (addr - BASE))
		return xv_err(EFAULT, "fake read outside the buffer");
	memcpy(buf, mem + (addr - BASE), len);
	return 0;
}

static void put(uint64_t addr, uint64_t v)
{
	xv_put_le64(mem + (addr - BASE), v);
}

#define VMEMMAP 0xfffffc8c85000000ull
#define ROOTS (BASE + 0x100)
#define ROOT0 (BASE + 0x1000)

/* arm64-like: 128 MiB sections, 48-bit physical, SPARSEMEM_EXTREME (256 sections per root). */
static const struct xv_memsec_desc extreme = { ROOTS, 8192, 16, 0, 27, 48, 64 };

static void test_vmemmap_extreme(void **state)
{
	struct xv_mem_seg seg = { 0x40000000, 0x10000000 }; /* sections 8 and 9 */
	struct xv_pagemap pm;
	uint64_t pa;

	(void)state;
	memset(mem, 0, sizeof(mem));
	put(ROOTS, ROOT0);
	put(ROOT0 + 8 * 16, VMEMMAP | 0x1f); /* present, has mem_map, online, early, device bits */
	put(ROOT0 + 9 * 16, VMEMMAP | 0x3);
	assert_int_equal(xv_pagemap_build(&extreme, &seg, 1, rd, NULL, &pm), 0);
	assert_int_equal(pm.n, 1); /* contiguous sections merge */
	assert_true(pm.vmemmap == VMEMMAP);
	assert_int_equal(xv_pagemap_pa(&pm, VMEMMAP + 0x40000ull * 64, &pa), 0);
	assert_true(pa == 0x40000000);
	assert_int_equal(xv_pagemap_pa(&pm, VMEMMAP + 0x4ffffull * 64, &pa), 0);
	assert_true(pa == 0x4ffff000);
	/* inside a struct page, below and above the sections */
	assert_int_equal(xv_pagemap_pa(&pm, VMEMMAP + 0x40000ull * 64 + 8, &pa), -EINVAL);
	assert_int_equal(xv_pagemap_pa(&pm, VMEMMAP + 0x3ffffull * 64, &pa), -EFAULT);
	assert_int_equal(xv_pagemap_pa(&pm, VMEMMAP + 0x50000ull * 64, &pa), -EFAULT);
	xv_pagemap_free(&pm);
}

static void test_holes_and_missing_roots(void **state)
{
	struct xv_mem_seg segs[2] = { { 0x40000000, 0x18000000 }, { 0x800000000ull, 0x8000000 } };
	struct xv_pagemap pm;
	uint64_t pa;

	(void)state;
	memset(mem, 0, sizeof(mem));
	put(ROOTS, ROOT0);
	put(ROOT0 + 8 * 16, VMEMMAP | 3);
	put(ROOT0 + 9 * 16, 0);             /* a hole: not present */
	put(ROOT0 + 10 * 16, VMEMMAP | 1);  /* present but no mem_map */
	/* 0x800000000 is section 256: root 1, which is NULL — skipped, not an error. */
	assert_int_equal(xv_pagemap_build(&extreme, segs, 2, rd, NULL, &pm), 0);
	assert_int_equal(pm.n, 1);
	assert_int_equal(xv_pagemap_pa(&pm, VMEMMAP + 0x48000ull * 64, &pa), -EFAULT);
	xv_pagemap_free(&pm);
	/* Nothing present at all. */
	put(ROOT0 + 8 * 16, 0);
	assert_int_equal(xv_pagemap_build(&extreme, segs, 1, rd, NULL, &pm), -ENOENT);
	/* The roots array itself unreadable. */
	struct xv_memsec_desc bad = extreme;

	bad.ms = 0xdead000000000000ull;
	assert_int_equal(xv_pagemap_build(&bad, segs, 1, rd, NULL, &pm), -EFAULT);
}

static void test_flat_sparsemem(void **state)
{
	/* Plain SPARSEMEM: mem_section is a static array (one section per root), and each section's
	 * mem_map lives elsewhere: the encoded value is mem_map - first pfn, different per section. */
	struct xv_memsec_desc flat = { BASE + 0x200, 8, 16, 0, 27, 30, 64 };
	struct xv_mem_seg seg = { 0, 0x10000000 };
	uint64_t map0 = 0xffff888001000000ull, map1 = 0xffff888009000000ull;
	struct xv_pagemap pm;
	uint64_t pa;

	(void)state;
	memset(mem, 0, sizeof(mem));
	put(BASE + 0x200 + 0 * 16, (map0 - 0 * 32768 * 64) | 3);
	put(BASE + 0x200 + 1 * 16, (map1 - 1 * 32768ull * 64) | 3);
	assert_int_equal(xv_pagemap_build(&flat, &seg, 1, rd, NULL, &pm), 0);
	assert_int_equal(pm.n, 2);
	assert_true(pm.vmemmap == 0);
	assert_int_equal(xv_pagemap_pa(&pm, map0 + 5 * 64, &pa), 0);
	assert_true(pa == 5 * 4096);
	assert_int_equal(xv_pagemap_pa(&pm, map1 + 7 * 64, &pa), 0);
	assert_true(pa == (32768ull + 7) * 4096);
	xv_pagemap_free(&pm);
	/* Two sections claiming overlapping mem_maps: refused. */
	put(BASE + 0x200 + 1 * 16, (map0 + 64 - 32768ull * 64) | 3);
	assert_int_equal(xv_pagemap_build(&flat, &seg, 1, rd, NULL, &pm), -EINVAL);
}

static void test_bad_descriptions(void **state)
{
	struct xv_mem_seg seg = { 0x40000000, 0x10000000 };
	struct xv_memsec_desc d;
	struct xv_pagemap pm;

	(void)state;
	d = extreme;
	d.nroots = 3000; /* does not divide 2^21 sections */
	assert_int_equal(xv_pagemap_build(&d, &seg, 1, rd, NULL, &pm), -EINVAL);
	d = extreme;
	d.ssb = 70;
	assert_int_equal(xv_pagemap_build(&d, &seg, 1, rd, NULL, &pm), -EINVAL);
	d = extreme;
	d.psize = 0;
	assert_int_equal(xv_pagemap_build(&d, &seg, 1, rd, NULL, &pm), -EINVAL);
	d = extreme;
	d.map_off = 12;
	assert_int_equal(xv_pagemap_build(&d, &seg, 1, rd, NULL, &pm), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmemmap_extreme),
		cmocka_unit_test(test_holes_and_missing_roots),
		cmocka_unit_test(test_flat_sparsemem),
		cmocka_unit_test(test_bad_descriptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
