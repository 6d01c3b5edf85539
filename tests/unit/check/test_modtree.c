/* test_modtree.c — mchk's module address tree view (mod_tree) over synthetic, then hostile, kernel memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"
#include "xvids/task.h"

#define RAM_SIZE (4u << 20)
#define DM 0xffff888000000000ull /* direct map: VA DM + x is PA x (one 1 GiB page) */
#define MOD_PA 0x100000u         /* struct module i at MOD_PA + i * MOD_STRIDE */
#define MOD_STRIDE 0x400u

/* struct module as this test lays it out (offsets in bytes). 6.1: core_layout at 192, init_layout
 * at 264, each { base, size, mtn { mod, node.node[2] } }. 6.4: mem[7] of the same shape at 192. */
enum { O_STATE = 0, O_LIST = 8, O_NAME = 24, O_MKOBJ = 80, O_MKOBJ_MOD = 144, O_TAINTS = 160,
       O_REFCNT = 168, O_CORE = 192, O_INIT = 264, L_SIZE = 72, L_MTN = 16, MTN_NODE = 8,
       RB_SIZE = 24 };

enum layout { L61, L61_NO_TREE, L64 };

struct fixture {
	uint8_t *ram;
	struct xv_mem *mem;
	struct xv_kernel *k;
	enum layout lay;
};

static void put64(struct fixture *f, uint64_t pa, uint64_t v)
{
	xv_put_le64(f->ram + pa, v);
}

static struct btf *make_btf(enum layout lay)
{
	struct btf *b = btf__new_empty();
	int u32 = btf__add_int(b, "unsigned int", 4, 0);
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int ul = btf__add_int(b, "long unsigned int", 8, 0);
	int ch = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	int ptr = btf__add_ptr(b, 0);
	int lh = btf__add_struct(b, "list_head", 16);

	btf__add_field(b, "next", ptr, 0, 0);
	btf__add_field(b, "prev", ptr, 64, 0);
	int rb = btf__add_struct(b, "rb_node", RB_SIZE);

	btf__add_field(b, "__rb_parent_color", ul, 0, 0);
	btf__add_field(b, "rb_right", ptr, 64, 0);
	btf__add_field(b, "rb_left", ptr, 128, 0);
	int rb2 = btf__add_array(b, u32, rb, 2);
	int ltn = btf__add_struct(b, "latch_tree_node", 2 * RB_SIZE);

	btf__add_field(b, "node", rb2, 0, 0);
	int mtn = btf__add_struct(b, "mod_tree_node", 8 + 2 * RB_SIZE);

	btf__add_field(b, "mod", ptr, 0, 0);
	btf__add_field(b, "node", ltn, 64, 0);
	int kobj = btf__add_struct(b, "kobject", 64);

	btf__add_field(b, "entry", lh, 0, 0);
	int mk = btf__add_struct(b, "module_kobject", 72);

	btf__add_field(b, "kobj", kobj, 0, 0);
	btf__add_field(b, "mod", ptr, 512, 0);
	int layout = btf__add_struct(b, lay == L64 ? "module_memory" : "module_layout", L_SIZE);

	btf__add_field(b, "base", ptr, 0, 0);
	btf__add_field(b, "size", u32, 64, 0);
	if (lay != L61_NO_TREE)
		btf__add_field(b, "mtn", mtn, L_MTN * 8, 0);
	int name = btf__add_array(b, u32, ch, 56);
	int mem7 = btf__add_array(b, u32, layout, 7);

	btf__add_struct(b, "module", 1024);
	btf__add_field(b, "state", i32, O_STATE * 8, 0);
	btf__add_field(b, "list", lh, O_LIST * 8, 0);
	btf__add_field(b, "name", name, O_NAME * 8, 0);
	btf__add_field(b, "mkobj", mk, O_MKOBJ * 8, 0);
	btf__add_field(b, "taints", ul, O_TAINTS * 8, 0);
	btf__add_field(b, "refcnt", i32, O_REFCNT * 8, 0);
	if (lay == L64) {
		btf__add_field(b, "mem", mem7, O_CORE * 8, 0);
	} else {
		btf__add_field(b, "core_layout", layout, O_CORE * 8, 0);
		btf__add_field(b, "init_layout", layout, O_INIT * 8, 0);
	}
	return b;
}

static int setup_layout(void **state, enum layout lay)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct xv_mem_seg seg = { 0, RAM_SIZE };
	const void *bufs[1];

	f->lay = lay;
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
	f->k->btf = make_btf(lay);
	*state = f;
	return 0;
}

static int setup61(void **state) { return setup_layout(state, L61); }
static int setup61_no_tree(void **state) { return setup_layout(state, L61_NO_TREE); }
static int setup64(void **state) { return setup_layout(state, L64); }

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

static uint64_t mod_pa(unsigned i) { return MOD_PA + (uint64_t)i * MOD_STRIDE; }
static uint64_t mod_va(unsigned i) { return DM + mod_pa(i); }

/* Tree node `slot` of module i (6.1: 0 core, 1 init; 6.4: mem[slot]) in copy `tree`, as a VA. */
static uint64_t node_va(unsigned i, unsigned slot, int tree)
{
	return mod_va(i) + O_CORE + slot * L_SIZE + L_MTN + MTN_NODE + (unsigned)tree * RB_SIZE;
}

/* A self-consistent struct module: state Live, self-linked list, name, mkobj.mod, and each
 * layout's mtn.mod pointing back to it (as mod_tree_insert() sets them), nodes unlinked. */
static void make_module(struct fixture *f, unsigned i)
{
	uint64_t pa = mod_pa(i);

	memset(f->ram + pa, 0, MOD_STRIDE);
	put64(f, pa + O_LIST, mod_va(i) + O_LIST);
	put64(f, pa + O_LIST + 8, mod_va(i) + O_LIST);
	snprintf((char *)f->ram + pa + O_NAME, 56, "mod%u", i);
	put64(f, pa + O_MKOBJ_MOD, mod_va(i));
	for (unsigned s = 0; s < (f->lay == L64 ? 7u : 2u); s++) {
		put64(f, pa + O_CORE + s * L_SIZE, 0xffffffffc0000000ull + i * 0x10000 + s * 0x1000);
		xv_put_le32(f->ram + pa + O_CORE + s * L_SIZE + 8, 0x1000 * (s + 1));
		put64(f, pa + O_CORE + s * L_SIZE + L_MTN, mod_va(i));
	}
}

/* Link node `child` (a VA, 0 for none) under `parent` in copy `tree` (both copies of a latch tree
 * have the same shape when no writer is active). Colour bits are set to show they are masked. */
static void set_node(struct fixture *f, uint64_t node, uint64_t parent, uint64_t left,
		     uint64_t right)
{
	put64(f, node - DM, parent | (parent ? 1 : 0));
	put64(f, node - DM + 8, right);
	put64(f, node - DM + 16, left);
}

/* Five modules; mod4 stands for the hidden one, not passed as known. Shape of both copies:
 *            m2.core
 *        m1.core    m3.core
 *     m0.core     m2.init  m4.core            */
static void build_five(struct fixture *f)
{
	for (unsigned i = 0; i < 6; i++)
		make_module(f, i);
	for (int t = 0; t < 2; t++) {
		set_node(f, node_va(2, 0, t), 0, node_va(1, 0, t), node_va(3, 0, t));
		set_node(f, node_va(1, 0, t), node_va(2, 0, t), node_va(0, 0, t), 0);
		set_node(f, node_va(0, 0, t), node_va(1, 0, t), 0, 0);
		set_node(f, node_va(3, 0, t), node_va(2, 0, t), node_va(2, 1, t), node_va(4, 0, t));
		set_node(f, node_va(2, 1, t), node_va(3, 0, t), 0, 0);
		set_node(f, node_va(4, 0, t), node_va(3, 0, t), 0, 0);
	}
}

static void expect_mods(uint64_t *got, size_t n, const unsigned *want, size_t nwant)
{
	if (n != nwant)
		fail_msg("got %zu modules, wanted %zu", n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], mod_va(want[i]));
	free(got);
}

static void test_tree_finds_all(void **state)
{
	struct fixture *f = *state;
	uint64_t known[4] = { mod_va(0), mod_va(1), mod_va(2), mod_va(3) }, *got;
	static const unsigned all[5] = { 0, 1, 2, 3, 4 };
	size_t n;

	build_five(f);
	assert_int_equal(xv_module_tree(f->k, known, 4, &got, &n), 0);
	expect_mods(got, n, all, 5); /* mod2's two nodes are one module; mod4 is found */
	/* from the hidden module alone, or from a leaf: the same tree */
	known[0] = mod_va(4);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, all, 5);
	/* no known module: nothing to climb from */
	assert_int_equal(xv_module_tree(f->k, known, 0, &got, &n), 0);
	assert_int_equal(n, 0);
	assert_null(got);
}

static void test_tree_vote(void **state)
{
	struct fixture *f = *state;
	/* mod5 is known but its node was never inserted (parent NULL, no children): a root of its
	 * own. Two modules vote for the real root. */
	uint64_t known[3] = { mod_va(5), mod_va(0), mod_va(4) }, *got;
	static const unsigned all[5] = { 0, 1, 2, 3, 4 };
	size_t n;

	build_five(f);
	assert_int_equal(xv_module_tree(f->k, known, 3, &got, &n), 0);
	expect_mods(got, n, all, 5);
}

static void test_tree_validates_modules(void **state)
{
	struct fixture *f = *state;
	uint64_t known[1] = { mod_va(0) }, *got;
	static const unsigned want[4] = { 0, 1, 2, 4 };
	size_t n;

	/* mod3's node claims to belong to mod1, which does not embed it: not a module. Its
	 * children are still walked. */
	build_five(f);
	put64(f, mod_pa(3) + O_CORE + L_MTN, mod_va(1));
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, want, 4);
	/* the same for a node whose module fails the struct module checks (state, name, self) */
	build_five(f);
	xv_put_le32(f->ram + mod_pa(3) + O_STATE, 7);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, want, 4);
	build_five(f);
	put64(f, mod_pa(3) + O_MKOBJ_MOD, mod_va(1));
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, want, 4);
	build_five(f);
	put64(f, mod_pa(3) + O_CORE + L_MTN, 0x4141414141414141ull);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, want, 4);
}

static void test_tree_hostile(void **state)
{
	struct fixture *f = *state;
	uint64_t known[1] = { mod_va(0) }, *got;
	static const unsigned all[5] = { 0, 1, 2, 3, 4 };
	size_t n;

	/* copy 1 is damaged and never needed: copy 0 (node[0]) is the one walked */
	build_five(f);
	put64(f, node_va(4, 0, 1) - DM + 16, node_va(2, 0, 1));
	put64(f, node_va(0, 0, 1) - DM, 0x1234 | 1);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, all, 5);
	/* copy 0 has a cycle (a leaf's child is the root); copy 1 is intact and used instead */
	build_five(f);
	put64(f, node_va(4, 0, 0) - DM + 16, node_va(2, 0, 0));
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, all, 5);
	/* both copies: refused, with where it went wrong */
	put64(f, node_va(4, 0, 1) - DM + 16, node_va(2, 0, 1));
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -EINVAL);
	assert_null(got);
	assert_non_null(strstr(xv_errmsg(), "as parent"));
	assert_non_null(strstr(xv_errmsg(), "copy 1"));
	/* a node that is its own child, and both children the same node */
	build_five(f);
	for (int t = 0; t < 2; t++)
		put64(f, node_va(4, 0, t) - DM + 8, node_va(4, 0, t));
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -EINVAL);
	build_five(f);
	for (int t = 0; t < 2; t++) {
		put64(f, node_va(1, 0, t) - DM + 8, node_va(0, 0, t));
		put64(f, node_va(1, 0, t) - DM + 16, node_va(0, 0, t));
	}
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "both children"));
	/* a child outside RAM, and one that is not a kernel pointer */
	build_five(f);
	for (int t = 0; t < 2; t++)
		put64(f, node_va(0, 0, t) - DM + 16, DM + 0x30000000);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -EFAULT);
	build_five(f);
	for (int t = 0; t < 2; t++)
		put64(f, node_va(0, 0, t) - DM + 16, 0x0000414141414140ull);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -EINVAL);
	/* the only known module's parent pointer is garbage: no root */
	build_five(f);
	for (int t = 0; t < 2; t++)
		put64(f, node_va(0, 0, t) - DM, 0x1234 | 1);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "not a kernel pointer"));
}

/* A chain of 70 nodes, each the left child of the one before: deeper than any red-black tree. */
static void test_tree_depth(void **state)
{
	struct fixture *f = *state;
	uint64_t known[1] = { mod_va(0) }, *got;
	size_t n;

	for (unsigned i = 0; i < 70; i++)
		make_module(f, i);
	for (int t = 0; t < 2; t++)
		for (unsigned i = 0; i < 70; i++)
			set_node(f, node_va(i, 0, t), i ? node_va(i - 1, 0, t) : 0,
				 i + 1 < 70 ? node_va(i + 1, 0, t) : 0, 0);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -ELOOP);
	assert_non_null(strstr(xv_errmsg(), "deeper than"));
	known[0] = mod_va(69); /* climbing from the bottom is bounded too */
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -ELOOP);
	assert_non_null(strstr(xv_errmsg(), "levels above"));
}

static void test_no_tree_in_btf(void **state)
{
	struct fixture *f = *state;
	uint64_t known[1] = { mod_va(0) }, *got;
	size_t n;

	make_module(f, 0);
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), -ENOTSUP);
	assert_non_null(strstr(xv_errmsg(), "CONFIG_MODULES_TREE_LOOKUP"));
}

/* Linux 6.4+: struct module_memory mem[7], a tree node in each; /proc/modules' size is the sum. */
static void test_tree_mem_layout(void **state)
{
	struct fixture *f = *state;
	uint64_t known[1] = { mod_va(1) }, *got;
	static const unsigned all[3] = { 0, 1, 2 };
	struct xv_module m;
	size_t n;

	for (unsigned i = 0; i < 3; i++)
		make_module(f, i);
	/* root mod1.mem[0]; left mod0.mem[0] with right child mod0.mem[2] (MOD_RODATA); right
	 * mod2.mem[1] (MOD_DATA): the tree holds every memory type of every module. */
	for (int t = 0; t < 2; t++) {
		set_node(f, node_va(1, 0, t), 0, node_va(0, 0, t), node_va(2, 1, t));
		set_node(f, node_va(0, 0, t), node_va(1, 0, t), 0, node_va(0, 2, t));
		set_node(f, node_va(0, 2, t), node_va(0, 0, t), 0, 0);
		set_node(f, node_va(2, 1, t), node_va(1, 0, t), 0, 0);
	}
	assert_int_equal(xv_module_tree(f->k, known, 1, &got, &n), 0);
	expect_mods(got, n, all, 3);
	assert_int_equal(xv_module_read(f->k, mod_va(2), &m), 0);
	assert_string_equal(m.name, "mod2");
	assert_int_equal(m.base, 0xffffffffc0000000ull + 2 * 0x10000); /* mem[MOD_TEXT].base */
	assert_int_equal(m.size, 0x1000 * (1 + 2 + 3 + 4 + 5 + 6 + 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tree_finds_all, setup61, teardown),
		cmocka_unit_test_setup_teardown(test_tree_vote, setup61, teardown),
		cmocka_unit_test_setup_teardown(test_tree_validates_modules, setup61, teardown),
		cmocka_unit_test_setup_teardown(test_tree_hostile, setup61, teardown),
		cmocka_unit_test_setup_teardown(test_tree_depth, setup61, teardown),
		cmocka_unit_test_setup_teardown(test_no_tree_in_btf, setup61_no_tree, teardown),
		cmocka_unit_test_setup_teardown(test_tree_mem_layout, setup64, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
