/* test_walk.c — bounded list and xarray walks over hostile synthetic kernel memory (x86-64 tables). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define RAM_SIZE (4u << 20)
#define DM 0xffff888000000000ull /* direct map: VA DM + x is PA x (one 1 GiB page) */

struct fixture {
	uint8_t *ram;
	struct xv_mem *mem;
	struct xv_kernel *k;
};

static void put64(struct fixture *f, uint64_t pa, uint64_t v)
{
	xv_put_le64(f->ram + pa, v);
}

static struct btf *make_btf(void)
{
	struct btf *b = btf__new_empty();
	int u8 = btf__add_int(b, "unsigned char", 1, 0);
	int u32 = btf__add_int(b, "unsigned int", 4, 0);
	int ptr = btf__add_ptr(b, 0);
	int lh = btf__add_struct(b, "list_head", 16);

	btf__add_field(b, "next", ptr, 0, 0);
	btf__add_field(b, "prev", ptr, 64, 0);
	int slots = btf__add_array(b, u32, ptr, 64);

	btf__add_struct(b, "xarray", 16);
	btf__add_field(b, "xa_lock", u32, 0, 0);
	btf__add_field(b, "xa_flags", u32, 32, 0);
	btf__add_field(b, "xa_head", ptr, 64, 0);
	btf__add_struct(b, "xa_node", 576);
	btf__add_field(b, "shift", u8, 0, 0);
	btf__add_field(b, "offset", u8, 8, 0);
	btf__add_field(b, "count", u8, 16, 0);
	btf__add_field(b, "nr_values", u8, 24, 0);
	btf__add_field(b, "parent", ptr, 64, 0);
	btf__add_field(b, "array", ptr, 128, 0);
	btf__add_field(b, "private_list", lh, 192, 0);
	btf__add_field(b, "slots", slots, 320, 0);
	return b;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct xv_mem_seg seg = { 0, RAM_SIZE };
	const void *bufs[1];

	f->ram = calloc(1, RAM_SIZE);
	bufs[0] = f->ram;
	/* PML4 at 0x1000, PDPT at 0x2000: PML4[273] covers DM, PDPT[0] is a 1 GiB page at 0. */
	put64(f, 0x1000 + 273 * 8, 0x2000 | 3);
	put64(f, 0x2000, 0x83);
	assert_int_equal(xv_mem_open_buffers(&seg, bufs, 1, &f->mem), 0);
	f->k = calloc(1, sizeof(*f->k));
	f->k->mem = f->mem;
	struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = 0x1000, .levels = 4 };

	f->k->vat = xv_vat_new(f->mem, &p);
	assert_non_null(f->k->vat);
	f->k->info.arch = XV_ARCH_X86_64;
	f->k->kernel_va_lo = 0xffff800000000000ull;
	f->k->btf = make_btf();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	xv_pathcache_free(f->k->paths);
	btf__free(f->k->btf);
	xv_vat_free(f->k->vat);
	free(f->k);
	xv_mem_close(f->mem);
	free(f->ram);
	free(f);
	return 0;
}

/* A list: head at PA 0x10000, entries every 0x100 from 0x20000, list_head at offset 0x10. */
static void build_list(struct fixture *f, unsigned n)
{
	uint64_t head = 0x10000, prev = head;

	for (unsigned i = 0; i < n; i++) {
		uint64_t node = 0x20000 + 0x100ull * i + 0x10;

		put64(f, prev, DM + node);
		put64(f, node + 8, DM + prev);
		prev = node;
	}
	put64(f, prev, DM + head);
	put64(f, head + 8, DM + prev);
}

struct seen {
	uint64_t v[4096];
	size_t n;
};

static int collect(struct xv_kernel *k, uint64_t entry, void *arg)
{
	struct seen *s = arg;

	(void)k;
	if (s->n < 4096)
		s->v[s->n] = entry;
	s->n++;
	return 0;
}

static void test_list_ok(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };

	build_list(f, 5);
	assert_int_equal(xv_list_walk(f->k, DM + 0x10000, 0x10, 100, collect, &s), 0);
	assert_int_equal(s.n, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(s.v[i], DM + 0x20000 + 0x100ull * i);
}

static void test_list_cycle(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };

	build_list(f, 50);
	/* entry 40 points back to entry 10: a loop that never returns to the head */
	put64(f, 0x20000 + 0x100 * 40 + 0x10, DM + 0x20000 + 0x100 * 10 + 0x10);
	assert_int_equal(xv_list_walk(f->k, DM + 0x10000, 0x10, 1000000, collect, &s), -ELOOP);
	assert_true(s.n < 200); /* caught within a few laps, not at the bound */
	assert_non_null(strstr(xv_errmsg(), "cycle"));
}

static void test_list_self_loop(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };

	build_list(f, 3);
	put64(f, 0x20000 + 0x100 + 0x10, DM + 0x20000 + 0x100 + 0x10);
	assert_int_equal(xv_list_walk(f->k, DM + 0x10000, 0x10, 1000000, collect, &s), -ELOOP);
	assert_true(s.n <= 4);
}

static void test_list_outside_ram(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };

	build_list(f, 5);
	put64(f, 0x20000 + 0x100 * 2 + 0x10, DM + 0x30000000); /* mapped VA, PA beyond RAM */
	assert_int_equal(xv_list_walk(f->k, DM + 0x10000, 0x10, 100, collect, &s), -EFAULT);
	assert_int_equal(s.n, 4);
	build_list(f, 5);
	put64(f, 0x20000 + 0x10, 0x4141414141414141ull); /* not a kernel address at all */
	s.n = 0;
	assert_int_equal(xv_list_walk(f->k, DM + 0x10000, 0x10, 100, collect, &s), -EFAULT);
	assert_non_null(strstr(xv_errmsg(), "not a kernel address"));
	assert_int_equal(xv_list_walk(f->k, DM + 0x50000000, 0x10, 100, collect, &s), -EFAULT);
}

static void test_list_bound(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };

	build_list(f, 1000);
	assert_int_equal(xv_list_walk(f->k, DM + 0x10000, 0x10, 100, collect, &s), -E2BIG);
	assert_int_equal(s.n, 100);
}

static void test_hlist(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };

	put64(f, 0x10000, DM + 0x20010);
	put64(f, 0x20010, DM + 0x20110);
	put64(f, 0x20110, 0);
	assert_int_equal(xv_hlist_walk(f->k, DM + 0x10000, 0x10, 10, collect, &s), 0);
	assert_int_equal(s.n, 2);
	put64(f, 0x20110, DM + 0x20010); /* cycle */
	s.n = 0;
	assert_int_equal(xv_hlist_walk(f->k, DM + 0x10000, 0x10, 1000, collect, &s), -ELOOP);
}

struct xa_seen {
	uint64_t idx[256], ent[256];
	size_t n;
};

static int xa_collect(struct xv_kernel *k, uint64_t index, uint64_t entry, void *arg)
{
	struct xa_seen *s = arg;

	(void)k;
	if (s->n < 256) {
		s->idx[s->n] = index;
		s->ent[s->n] = entry;
	}
	s->n++;
	return 0;
}

/* xarray at 0x10000; root node (shift 6) at 0x11000; leaf (shift 0) at 0x12000. */
static void build_xa(struct fixture *f)
{
	memset(f->ram + 0x10000, 0, 0x4000);
	put64(f, 0x10000 + 8, DM + 0x11000 + 2);
	f->ram[0x11000] = 6;
	f->ram[0x12000] = 0;
	put64(f, 0x11000 + 40 + 8 * 2, DM + 0x12000 + 2); /* slot 2 → indices 128..191 */
	put64(f, 0x12000 + 40 + 8 * 0, DM + 0x30000);     /* index 128 */
	put64(f, 0x12000 + 40 + 8 * 5, 0x1235);           /* index 133: a value entry */
	put64(f, 0x12000 + 40 + 8 * 63, DM + 0x30100);    /* index 191 */
	put64(f, 0x11000 + 40 + 8 * 7, 0x402 + 0);        /* internal retry-like entry: skipped */
}

static void test_xarray(void **state)
{
	struct fixture *f = *state;
	struct xa_seen s = { .n = 0 };

	build_xa(f);
	assert_int_equal(xv_xarray_walk(f->k, DM + 0x10000, 100, xa_collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.idx[0], 128);
	assert_int_equal(s.ent[0], DM + 0x30000);
	assert_int_equal(s.idx[1], 133);
	assert_int_equal(s.ent[1], 0x1235);
	assert_int_equal(s.idx[2], 191);
	s.n = 0;
	assert_int_equal(xv_xarray_walk(f->k, DM + 0x10000, 2, xa_collect, &s), -E2BIG);
}

static void test_xarray_hostile(void **state)
{
	struct fixture *f = *state;
	struct xa_seen s = { .n = 0 };

	build_xa(f);
	/* the leaf points back at the root node: a cycle, caught by the shift structure */
	put64(f, 0x12000 + 40 + 8 * 1, DM + 0x11000 + 2);
	assert_int_equal(xv_xarray_walk(f->k, DM + 0x10000, 100, xa_collect, &s), -EINVAL);
	build_xa(f);
	f->ram[0x12000] = 12; /* wrong shift for its level */
	assert_int_equal(xv_xarray_walk(f->k, DM + 0x10000, 100, xa_collect, &s), -EINVAL);
	build_xa(f);
	put64(f, 0x11000 + 40 + 8 * 3, DM + 0x3f000000 + 2); /* node outside RAM */
	assert_int_equal(xv_xarray_walk(f->k, DM + 0x10000, 100, xa_collect, &s), -EFAULT);
	build_xa(f);
	f->ram[0x11000] = 255; /* absurd root shift */
	assert_int_equal(xv_xarray_walk(f->k, DM + 0x10000, 100, xa_collect, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_self_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xarray, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xarray_hostile, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
