/* test_xarray.c — the page-cache XArray walk over hand-built nodes: layouts, multi-index, hostile nodes. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fs/fs_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"

/* Fake kernel memory: nodes live in one buffer at BASE, laid out like 6.1's struct xa_node
 * (shift at 0, slots at 40, 64 slots). */
#define BASE 0xffff000010000000ull
#define NODE_SIZE 576
#define SLOTS_OFF 40
static uint8_t mem[64 * NODE_SIZE];
static unsigned reads;

static int rd(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	reads++;
	if (addr < BASE || addr - BASE > sizeof(mem) || len > sizeof(mem) - (addr - BASE))
		return xv_err(EFAULT, "fake read at 0x%llx outside the buffer", (unsigned long long)addr);
	memcpy(buf, mem + (addr - BASE), len);
	return 0;
}

static const struct xv_xa_geom geom = { 0, SLOTS_OFF, 64, 1000 };

static uint64_t node_addr(int i) { return BASE + (uint64_t)i * NODE_SIZE; }
static uint64_t node_entry(int i) { return node_addr(i) | 2; } /* xa_mk_node */
static void node_init(int i, unsigned shift)
{
	memset(mem + i * NODE_SIZE, 0, NODE_SIZE);
	mem[i * NODE_SIZE] = (uint8_t)shift;
}
static void slot_set(int i, int slot, uint64_t v)
{
	xv_put_le64(mem + i * NODE_SIZE + SLOTS_OFF + 8 * slot, v);
}
static uint64_t page(uint64_t n) { return 0xfffffc0000000000ull + n * 64; }

struct got {
	uint64_t first[512], count[512], entry[512], efirst[512];
	int n;
};

static int collect(uint64_t first, uint64_t count, uint64_t entry, uint64_t efirst, void *ctx)
{
	struct got *g = ctx;

	if (g->n >= 512)
		return -E2BIG;
	g->first[g->n] = first;
	g->count[g->n] = count;
	g->entry[g->n] = entry;
	g->efirst[g->n++] = efirst;
	return 0;
}

static int walk(uint64_t head, uint64_t lo, uint64_t hi, struct got *g)
{
	memset(g, 0, sizeof(*g));
	reads = 0;
	return xv_xa_walk(&geom, rd, NULL, head, lo, hi, collect, g);
}

static void test_empty_and_single(void **state)
{
	struct got g;

	(void)state;
	assert_int_equal(walk(0, 0, 100, &g), 0);
	assert_int_equal(g.n, 0);
	/* A file of one page: the head is the page itself (index 0). */
	assert_int_equal(walk(page(7), 0, 1, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.first[0], 0);
	assert_int_equal(g.entry[0], page(7));
	/* Asked from index 1 on, the single entry is not there. */
	assert_int_equal(walk(page(7), 1, 5, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(reads, 0);
}

static void test_one_level_with_hole_and_value(void **state)
{
	struct got g;

	(void)state;
	node_init(0, 0);
	slot_set(0, 0, page(10));
	slot_set(0, 1, page(11));
	/* index 2 is a hole (sparse file) */
	slot_set(0, 3, (0x1234ull << 1) | 1); /* value entry: swapped out */
	slot_set(0, 63, page(99));
	assert_int_equal(walk(node_entry(0), 0, 64, &g), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.first[0], 0);
	assert_int_equal(g.first[1], 1);
	assert_int_equal(g.first[2], 3);
	assert_true(g.entry[2] & 1);
	assert_int_equal(g.first[3], 63);
	assert_int_equal(g.entry[3], page(99));
	/* max_index clips at EOF: slot 63 is beyond a 4-page file */
	assert_int_equal(walk(node_entry(0), 0, 4, &g), 0);
	assert_int_equal(g.n, 3);
}

static void test_two_levels(void **state)
{
	struct got g;

	(void)state;
	node_init(0, 6);
	node_init(1, 0);
	node_init(2, 0);
	slot_set(0, 0, node_entry(1));
	slot_set(0, 5, node_entry(2));
	slot_set(1, 0, page(1));
	slot_set(1, 63, page(2));
	slot_set(2, 1, page(3)); /* index 5*64+1 */
	assert_int_equal(walk(node_entry(0), 0, 4096, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.first[0], 0);
	assert_int_equal(g.first[1], 63);
	assert_int_equal(g.first[2], 5 * 64 + 1);
	assert_int_equal(g.entry[2], page(3));
	/* From index 64 on: the first child is skipped without being read. */
	assert_int_equal(walk(node_entry(0), 64, 4096, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(reads, 2);
}

static void test_multi_index_siblings(void **state)
{
	struct got g;

	(void)state;
	/* An order-2 folio at index 4..7: slot 4 holds the page, slots 5-7 are siblings of 4. */
	node_init(0, 0);
	slot_set(0, 4, page(40));
	for (int s = 5; s < 8; s++)
		slot_set(0, s, ((uint64_t)4 << 2) | 2);
	assert_int_equal(walk(node_entry(0), 0, 64, &g), 0);
	assert_int_equal(g.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(g.first[i], 4 + i);
		assert_int_equal(g.entry[i], page(40));
		assert_int_equal(g.efirst[i], 4);
	}
	/* A PMD-sized entry in a shift-6 node covers 64 indices at once. */
	node_init(1, 6);
	slot_set(1, 2, page(512));
	assert_int_equal(walk(node_entry(1), 0, 4096, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.first[0], 128);
	assert_int_equal(g.count[0], 64);
	/* ... clipped at EOF */
	assert_int_equal(walk(node_entry(1), 0, 130, &g), 0);
	assert_int_equal(g.count[0], 2);
}

static void test_retry_and_zero_entries_are_empty(void **state)
{
	struct got g;

	(void)state;
	node_init(0, 0);
	slot_set(0, 0, (256ull << 2) | 2); /* XA_RETRY_ENTRY */
	slot_set(0, 1, (257ull << 2) | 2); /* XA_ZERO_ENTRY */
	slot_set(0, 2, page(5));
	assert_int_equal(walk(node_entry(0), 0, 64, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.first[0], 2);
}

static void test_hostile_nodes(void **state)
{
	struct got g;

	(void)state;
	/* A node that points to itself: the child's shift must be 6 less, so this is refused. */
	node_init(0, 6);
	slot_set(0, 0, node_entry(0));
	assert_int_equal(walk(node_entry(0), 0, 1u << 20, &g), -EINVAL);
	/* A leaf pointing to a node. */
	node_init(0, 0);
	slot_set(0, 0, node_entry(1));
	assert_int_equal(walk(node_entry(0), 0, 64, &g), -EINVAL);
	/* Shift not a multiple of 6. */
	node_init(0, 5);
	assert_int_equal(walk(node_entry(0), 0, 64, &g), -EINVAL);
	/* A sibling pointing forward (or to an empty slot). */
	node_init(0, 0);
	slot_set(0, 2, ((uint64_t)9 << 2) | 2);
	assert_int_equal(walk(node_entry(0), 0, 64, &g), -EINVAL);
	/* A node pointer outside memory: the read error names the node. */
	node_init(0, 6);
	slot_set(0, 0, 0xffff0000deadbee2ull);
	assert_int_equal(walk(node_entry(0), 0, 4096, &g), -EFAULT);
	assert_non_null(strstr(xv_errmsg(), "xarray node 0xffff0000deadbee0"));
	/* Shift 60 at the top: slot indices near 2^64 must not overflow into small indices. */
	node_init(0, 60);
	slot_set(0, 15, page(1));
	assert_int_equal(walk(node_entry(0), 0, UINT64_MAX, &g), 0);
	assert_int_equal(g.n, 1);
	assert_true(g.first[0] == (uint64_t)15 << 60);
}

static void test_node_budget(void **state)
{
	struct got g;
	struct xv_xa_geom small = geom;

	(void)state;
	/* A wide tree: 1 top node with 40 leaf children; a budget of 10 nodes stops it. */
	node_init(0, 6);
	for (int i = 1; i <= 40; i++) {
		node_init(i, 0);
		slot_set(i, 0, page((uint64_t)i));
		slot_set(0, i - 1, node_entry(i));
	}
	assert_int_equal(walk(node_entry(0), 0, 1u << 20, &g), 0);
	assert_int_equal(g.n, 40);
	small.max_nodes = 10;
	memset(&g, 0, sizeof(g));
	assert_int_equal(xv_xa_walk(&small, rd, NULL, node_entry(0), 0, 1u << 20, collect, &g), -E2BIG);
}

static void test_bad_geometry(void **state)
{
	struct got g;
	struct xv_xa_geom bad = geom;

	(void)state;
	bad.nslots = 48;
	assert_int_equal(xv_xa_walk(&bad, rd, NULL, node_entry(0), 0, 10, collect, &g), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_single),
		cmocka_unit_test(test_one_level_with_hole_and_value),
		cmocka_unit_test(test_two_levels),
		cmocka_unit_test(test_multi_index_siblings),
		cmocka_unit_test(test_retry_and_zero_entries_are_empty),
		cmocka_unit_test(test_hostile_nodes),
		cmocka_unit_test(test_node_budget),
		cmocka_unit_test(test_bad_geometry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
