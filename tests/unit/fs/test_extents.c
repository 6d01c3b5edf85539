/* test_extents.c — copying a file out of guest RAM by its extents: runs, holes, unreadable pages, segment edges. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fs/fs_internal.h"
#include "xvids/err.h"
#include "xvids/mem.h"

#define PG 4096u
/* Guest RAM: two segments, 16 pages at 0x10000 and 16 pages right after (0x20000): adjacent, so
 * one run can cross from one to the other; and nothing at 0x40000. */
static uint8_t ram0[16 * PG], ram1[16 * PG];

static struct xv_mem *open_mem(void)
{
	struct xv_mem_seg segs[2] = { { 0x10000, sizeof(ram0) }, { 0x20000, sizeof(ram1) } };
	const void *bufs[2] = { ram0, ram1 };
	struct xv_mem *m = NULL;

	for (size_t i = 0; i < sizeof(ram0); i++) {
		ram0[i] = (uint8_t)(i / PG + 1);      /* page k of segment 0 is all k+1 */
		ram1[i] = (uint8_t)(0x80 + i / PG);   /* page k of segment 1 is all 0x80+k */
	}
	assert_int_equal(xv_mem_open_buffers(segs, bufs, 2, &m), 0);
	return m;
}

static void page_is(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, p[i], v);
}

/* Runs in file order, a hole between them, a last page cut at i_size, zeros after the last run. */
static void test_runs_and_holes(void **state)
{
	struct xv_mem *m = open_mem();
	struct xv_fs_run r[] = { { 0, 2, 0x10000 + 5 * PG }, { 3, 1, 0x10000 + 1 * PG },
				 { 4, 1, 0x10000 + 9 * PG } };
	struct xv_fs_extents ex = { r, 3, 3, 7 * PG - 100 }; /* pages 5 and 6: no run (zeros) */
	uint8_t *buf = malloc(ex.size);
	uint64_t bad = 99;

	(void)state;
	memset(buf, 0xee, ex.size);
	assert_int_equal(xv_fs_extents_copy(m, &ex, buf, &bad), 0);
	assert_true(bad == 0);
	page_is(buf, PG, 6);
	page_is(buf + PG, PG, 7);
	page_is(buf + 2 * PG, PG, 0);    /* hole */
	page_is(buf + 3 * PG, PG, 2);
	page_is(buf + 4 * PG, PG, 10);
	page_is(buf + 5 * PG, 2 * PG - 100, 0);
	free(buf);
	xv_mem_close(m);
}

/* A run across the edge of two segments (no single view) is still copied whole. */
static void test_run_across_segments(void **state)
{
	struct xv_mem *m = open_mem();
	struct xv_fs_run r[] = { { 0, 3, 0x10000 + 15 * PG } };
	struct xv_fs_extents ex = { r, 1, 1, 3 * PG };
	uint8_t buf[3 * PG];
	uint64_t bad = 99;

	(void)state;
	assert_int_equal(xv_fs_extents_copy(m, &ex, buf, &bad), 0);
	assert_true(bad == 0);
	page_is(buf, PG, 16);
	page_is(buf + PG, PG, 0x80);
	page_is(buf + 2 * PG, PG, 0x81);
	xv_mem_close(m);
}

/* Pages outside guest RAM become zeros and are counted, the readable ones are still copied. */
static void test_unreadable_pages(void **state)
{
	struct xv_mem *m = open_mem();
	struct xv_fs_run r[] = { { 0, 3, 0x20000 + 14 * PG }, { 3, 2, 0x40000 } };
	struct xv_fs_extents ex = { r, 2, 2, 5 * PG };
	uint8_t buf[5 * PG];
	uint64_t bad = 0;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(xv_fs_extents_copy(m, &ex, buf, &bad), 0);
	assert_true(bad == 3); /* the page after segment 1, and both pages at 0x40000 */
	page_is(buf, PG, 0x8e);
	page_is(buf + PG, PG, 0x8f);
	page_is(buf + 2 * PG, 3 * PG, 0);
	xv_mem_close(m);
}

/* Hostile or buggy extents (out of order, overlapping, past i_size) never write out of bounds. */
static void test_bad_extents(void **state)
{
	struct xv_mem *m = open_mem();
	struct xv_fs_run back[] = { { 1, 1, 0x10000 }, { 0, 1, 0x10000 } };
	struct xv_fs_run past[] = { { 1, 1, 0x10000 }, { 9, 4, 0x10000 } };
	struct xv_fs_run wrap[] = { { UINT64_MAX / PG, 2, 0x10000 } };
	struct xv_fs_extents ex = { back, 2, 2, 3 * PG };
	uint8_t buf[3 * PG];
	uint64_t bad;

	(void)state;
	assert_int_equal(xv_fs_extents_copy(m, &ex, buf, &bad), -EINVAL);
	ex = (struct xv_fs_extents){ past, 2, 2, 2 * PG }; /* a run after i_size is ignored */
	assert_int_equal(xv_fs_extents_copy(m, &ex, buf, &bad), 0);
	page_is(buf, PG, 0);
	page_is(buf + PG, PG, 1);
	ex = (struct xv_fs_extents){ wrap, 1, 1, 2 * PG };
	assert_int_equal(xv_fs_extents_copy(m, &ex, buf, &bad), 0);
	page_is(buf, 2 * PG, 0);
	xv_err_clear();
	xv_mem_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_and_holes),
		cmocka_unit_test(test_run_across_segments),
		cmocka_unit_test(test_unreadable_pages),
		cmocka_unit_test(test_bad_extents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
