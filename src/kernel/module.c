/* module.c — the guest's kernel modules: carved from the module area, then the module list. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"
#include "xvids/task.h"

#define MODULE_NAME_LEN 56 /* MAX_PARAM_PREFIX_LEN (64) - sizeof(unsigned long) */
#define X86_MODULES_VADDR 0xffffffffc0000000ULL
#define X86_MODULES_END 0xffffffffff000000ULL
#define XV_MODAREA_MAX_BYTES (256ULL << 20) /* mapped module memory we are willing to scan */

#define XV_MOD_MEM_MAX 8     /* struct module_memory mem[MOD_MEM_NUM_TYPES] (7 in Linux 6.4) */
#define XV_RB_MAX_DEPTH 64   /* a red-black tree is at most 2*log2(n+1) deep: 64 is 2^32 nodes */
#define XV_MODTREE_MAX_NODES (XV_MOD_MEM_MAX * XV_MAX_MODULES)
#define XV_MODTREE_VOTERS 64 /* modules whose tree nodes are climbed to find the root */

struct mod_layout {
	uint32_t state, list, name, mkobj_mod, refcnt, taints;
	uint32_t core_base, core_size, init_size, data_size;
	int has_data_layout;
	/* Linux >= 6.4: mem[MOD_MEM_NUM_TYPES]; /proc/modules prints the sum of their sizes. */
	uint32_t mem_size[XV_MOD_MEM_MAX];
	size_t nmem;
	/* Where struct module embeds its mod_tree_node(s): core_layout.mtn, init_layout.mtn (< 6.4),
	 * mem[i].mtn (6.4+). None without CONFIG_MODULES_TREE_LOOKUP. */
	uint32_t mtn[XV_MOD_MEM_MAX];
	size_t nmtn;
};

/* Linux 6.4+ (commit "module: replace module_layout with module_memory"): one struct
 * module_memory per memory type, each with its own base, size and tree node. */
static int mem_layout(struct xv_kernel *k, struct mod_layout *l)
{
	struct xv_fieldinfo fi;
	uint32_t msz, off;
	char path[32];

	if (xv_obj_field(k, "module", "mem", 0, &fi) < 0 || fi.kind != XV_KIND_ARRAY ||
	    xv_sizeof(k, "module_memory", &msz) < 0 || msz == 0 || fi.size % msz != 0 ||
	    fi.size / msz == 0 || fi.size / msz > XV_MOD_MEM_MAX ||
	    xv_off(k, "module", "mem[0].base", &l->core_base) < 0)
		return -ENOENT;
	l->nmem = fi.size / msz;
	for (size_t i = 0; i < l->nmem; i++) {
		snprintf(path, sizeof(path), "mem[%zu].size", i);
		if (xv_off(k, "module", path, &l->mem_size[i]) < 0)
			return -ENOENT;
		snprintf(path, sizeof(path), "mem[%zu].mtn", i);
		if (xv_off(k, "module", path, &off) == 0)
			l->mtn[l->nmtn++] = off;
	}
	return 0;
}

static int mod_layout(struct xv_kernel *k, struct mod_layout *l)
{
	static const char *const mtn_paths[] = { "core_layout.mtn", "init_layout.mtn",
						 "data_layout.mtn" };

	memset(l, 0, sizeof(*l));
	if (xv_off(k, "module", "state", &l->state) < 0 || xv_off(k, "module", "list", &l->list) < 0 ||
	    xv_off(k, "module", "name", &l->name) < 0 ||
	    xv_off(k, "module", "mkobj.mod", &l->mkobj_mod) < 0 ||
	    xv_off(k, "module", "taints", &l->taints) < 0)
		return xv_err_ctx(ENOENT, "struct module layout from BTF: ");
	if (xv_off(k, "module", "refcnt", &l->refcnt) < 0)
		l->refcnt = UINT32_MAX; /* CONFIG_MODULE_UNLOAD off */
	/* Linux < 6.4: core_layout/init_layout(/data_layout); 6.4+: mem[]. */
	if (xv_off(k, "module", "core_layout.base", &l->core_base) == 0) {
		if (xv_off(k, "module", "core_layout.size", &l->core_size) < 0 ||
		    xv_off(k, "module", "init_layout.size", &l->init_size) < 0)
			return xv_err_ctx(ENOENT, "struct module layout from BTF: ");
		l->has_data_layout = xv_off(k, "module", "data_layout.size", &l->data_size) == 0;
		for (size_t i = 0; i < sizeof(mtn_paths) / sizeof(mtn_paths[0]); i++)
			if (xv_off(k, "module", mtn_paths[i], &l->mtn[l->nmtn]) == 0)
				l->nmtn++;
	} else if (mem_layout(k, l) < 0) {
		return xv_err(ENOTSUP, "struct module has neither core_layout (Linux < 6.4) nor a "
				       "mem[] array of struct module_memory (6.4+) in BTF");
	}
	return 0;
}

const char *xv_module_state_name(int state)
{
	switch (state) {
	case 0: return "Live";
	case 1: return "Loading";
	case 2: return "Unloading";
	case 3: return "Unformed";
	default: return "?";
	}
}

static int decode(struct xv_kernel *k, const struct mod_layout *l, uint64_t addr,
		  struct xv_module *m)
{
	static const char letters[] = "PFSRMBUDAWCIOELKXT";
	uint8_t b[8];
	uint32_t sz;
	uint64_t taints;

	memset(m, 0, sizeof(*m));
	m->addr = addr;
	if (xv_kernel_read_u32(k, addr + l->state, (uint32_t *)&m->state) < 0 ||
	    xv_kernel_read(k, addr + l->name, m->name, MODULE_NAME_LEN) < 0 ||
	    xv_kernel_read_u64(k, addr + l->core_base, &m->base) < 0 ||
	    xv_kernel_read_u32(k, addr + (l->nmem ? l->mem_size[0] : l->core_size), &sz) < 0)
		return xv_err_ctx(EFAULT, "struct module at 0x%" PRIx64 ": ", addr);
	m->name[MODULE_NAME_LEN - 1] = '\0';
	for (char *p = m->name; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			*p = '?';
	m->size = sz;
	for (size_t i = 1; i < l->nmem; i++)
		if (xv_kernel_read_u32(k, addr + l->mem_size[i], &sz) == 0)
			m->size += sz;
	if (!l->nmem && xv_kernel_read_u32(k, addr + l->init_size, &sz) == 0)
		m->size += sz;
	if (l->has_data_layout && xv_kernel_read_u32(k, addr + l->data_size, &sz) == 0)
		m->size += sz;
	if (l->refcnt != UINT32_MAX && xv_kernel_read(k, addr + l->refcnt, b, 4) == 0)
		/* MODULE_REF_BASE; unsigned arithmetic: a hostile INT_MIN must not overflow */
		m->refcnt = (int32_t)(xv_le32(b) - 1u);
	if (xv_kernel_read_u64(k, addr + l->taints, &taints) == 0 && taints) {
		size_t n = 0;

		m->taints[n++] = '(';
		for (unsigned i = 0; i < sizeof(letters) - 1 && n + 2 < sizeof(m->taints); i++)
			if (taints & (1ULL << i))
				m->taints[n++] = letters[i];
		m->taints[n++] = ')';
		m->taints[n] = '\0';
	}
	return 0;
}

int xv_module_read(struct xv_kernel *k, uint64_t addr, struct xv_module *m)
{
	struct mod_layout l;
	int rc = mod_layout(k, &l);

	return rc < 0 ? rc : decode(k, &l, addr, m);
}

static int is_image(const struct xv_kernel *k, uint64_t va)
{
	return va >= k->image_lo && va < k->image_hi;
}

/* Cheap tests on the bytes of a candidate, then the self-reference mkobj.mod == address, which a
 * random byte pattern practically never has. */
static int plausible(struct xv_kernel *k, const struct mod_layout *l, uint64_t va)
{
	uint8_t name[MODULE_NAME_LEN];
	uint64_t next, prev, self;
	uint32_t state;
	size_t n;

	if (xv_kernel_read_u32(k, va + l->state, &state) < 0 || state > 3)
		return 0;
	if (xv_kernel_read(k, va + l->name, name, sizeof(name)) < 0)
		return 0;
	for (n = 0; n < sizeof(name) && name[n]; n++)
		if (name[n] < 0x21 || name[n] > 0x7e)
			return 0;
	if (n == 0 || n == sizeof(name))
		return 0;
	if (xv_kernel_read_u64(k, va + l->list, &next) < 0 ||
	    xv_kernel_read_u64(k, va + l->list + 8, &prev) < 0 ||
	    !xv_kernel_is_kernel_addr(k, next) || !xv_kernel_is_kernel_addr(k, prev))
		return 0;
	return xv_kernel_read_u64(k, va + l->mkobj_mod, &self) == 0 && self == va;
}

/* Where modules live. x86-64: the fixed module area. arm64: MODULES_VADDR..MODULES_END from
 * VMCOREINFO, but with KASLR the kernel moves its module region to a 2 GiB window just below the
 * kernel text (module_alloc_base), which VMCOREINFO does not say: scan both. */
static size_t module_areas(struct xv_kernel *k, uint64_t lo[2], uint64_t hi[2])
{
	uint64_t a, b, stext;
	size_t n = 0;

	if (k->info.arch == XV_ARCH_X86_64) {
		lo[0] = X86_MODULES_VADDR;
		hi[0] = X86_MODULES_END;
		return 1;
	}
	if (xv_vmci_u64(k->vmci, "NUMBER(MODULES_VADDR)", &a) == 0 &&
	    xv_vmci_u64(k->vmci, "NUMBER(MODULES_END)", &b) == 0 && a < b && b - a <= (4ULL << 30)) {
		lo[n] = a;
		hi[n++] = b;
	}
	if (xv_vmci_symbol(k->vmci, "_stext", &stext) == 0 && stext > (2ULL << 30)) {
		lo[n] = (stext - (2ULL << 30)) & ~((2ULL << 20) - 1);
		hi[n++] = k->image_lo;
	}
	return n;
}

/* Add va to the growing candidate array. */
static int push(uint64_t **v, size_t *cnt, size_t *cap, uint64_t va)
{
	if (*cnt == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		uint64_t *nv;

		if (nc > XV_MAX_MODULES)
			return xv_err(E2BIG, "more than %d module candidates", XV_MAX_MODULES);
		nv = realloc(*v, nc * sizeof(**v));
		if (!nv)
			return xv_err(ENOMEM, "out of memory");
		*v = nv;
		*cap = nc;
	}
	(*v)[(*cnt)++] = va;
	return 0;
}

/* Quick filter on a page's bytes: state 0..3 and a printable, terminated name. Candidates whose
 * name runs past the page are left to the full check. */
static int quick_reject(const uint8_t *page, size_t off, const struct mod_layout *l)
{
	if (off + l->state + 4 <= 4096 && xv_le32(page + off + l->state) > 3)
		return 1;
	if (off + l->name + 1 <= 4096) {
		uint8_t c = page[off + l->name];

		if (c < 0x21 || c > 0x7e)
			return 1;
	}
	return 0;
}

int xv_module_carve(struct xv_kernel *k, uint64_t **addrs, size_t *n)
{
	struct mod_layout l;
	uint64_t lo[2], hi[2], mva, mpa, msz, scanned = 0, *v = NULL;
	size_t cnt = 0, cap = 0, na;
	int rc = mod_layout(k, &l);

	*addrs = NULL;
	*n = 0;
	if (rc < 0)
		return rc;
	na = module_areas(k, lo, hi);
	for (size_t a = 0; a < na; a++) {
		for (uint64_t va = lo[a]; va < hi[a];) {
			rc = xv_vat_next_mapped(k->vat, va, hi[a], &mva, &mpa, &msz);
			if (rc == -ENOENT)
				break;
			if (rc < 0)
				goto fail;
			uint64_t start = mva > va ? mva : va;
			uint64_t stop = mva + msz < hi[a] && mva + msz > mva ? mva + msz : hi[a];

			scanned += stop - start;
			if (scanned > XV_MODAREA_MAX_BYTES) {
				rc = xv_err(E2BIG, "more than %llu MiB mapped in the module area; refusing "
						   "to carve", XV_MODAREA_MAX_BYTES >> 20);
				goto fail;
			}
			for (uint64_t pg = start & ~4095ULL; pg < stop; pg += 4096) {
				const uint8_t *bytes = xv_mem_view(k->mem, mpa + (pg - mva), 4096);

				/* struct module is cache-line aligned (____cacheline_aligned). */
				for (size_t off = 0; off < 4096; off += 64) {
					if (bytes && quick_reject(bytes, off, &l))
						continue;
					if (!plausible(k, &l, pg + off))
						continue;
					rc = push(&v, &cnt, &cap, pg + off);
					if (rc < 0)
						goto fail;
				}
			}
			va = stop;
		}
	}
	*addrs = v;
	*n = cnt;
	return 0;
fail:
	free(v);
	return rc;
}

/* The list head is the one list node on a module's ring that lives in the kernel image. */
static int find_head(struct xv_kernel *k, const struct mod_layout *l, const uint64_t *mods, size_t n,
		     uint64_t *head)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t cur = mods[i] + l->list;

		for (size_t step = 0; step <= XV_MAX_MODULES; step++) {
			if (xv_kernel_read_u64(k, cur, &cur) < 0 || !xv_kernel_is_kernel_addr(k, cur))
				break;
			if (is_image(k, cur)) {
				*head = cur;
				return 0;
			}
			if (cur == mods[i] + l->list)
				break; /* a ring without a head: unlinked module pointing to itself */
		}
	}
	return -ENOENT;
}

struct ml_ctx {
	const struct mod_layout *l;
	struct xv_module *v;
	size_t n;
};

static int ml_visit(struct xv_kernel *k, uint64_t mod, void *arg)
{
	struct ml_ctx *c = arg;

	return decode(k, c->l, mod, &c->v[c->n++]);
}

int xv_module_list(struct xv_kernel *k, struct xv_module **out, size_t *n)
{
	struct mod_layout l;
	struct ml_ctx c = { .l = &l };
	uint64_t head, *mods;
	size_t nm;
	int rc = mod_layout(k, &l);

	*out = NULL;
	*n = 0;
	if (rc < 0)
		return rc;
	if (xv_kernel_symbol(k, "modules", &head) < 0) {
		rc = xv_module_carve(k, &mods, &nm);
		if (rc < 0)
			return xv_err_ctx(-rc, "locating the module list: ");
		rc = find_head(k, &l, mods, nm, &head);
		free(mods);
		if (rc < 0) {
			/* No module in memory that leads to the list head: nothing is loaded. */
			*out = calloc(1, sizeof(**out));
			return *out ? 0 : xv_err(ENOMEM, "out of memory");
		}
		xv_kernel_add_root(k, "modules", "list_head", head);
	}
	c.v = calloc(XV_MAX_MODULES, sizeof(*c.v));
	if (!c.v)
		return xv_err(ENOMEM, "out of memory");
	rc = xv_list_walk(k, head, l.list, XV_MAX_MODULES, ml_visit, &c);
	if (rc < 0) {
		free(c.v);
		return xv_err_ctx(-rc, "walking the module list: ");
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

/* ---- the module address tree (mod_tree) ----
 * Every module's core (and, while it initialises, init) memory is a node of mod_tree, the latched
 * red-black tree __module_address() searches. Its symbol is data, absent from kallsyms without
 * CONFIG_KALLSYMS_ALL, so the root is reached from the tree nodes the known modules embed:
 * struct mod_tree_node { struct module *mod; struct latch_tree_node node; }, where
 * latch_tree_node is struct rb_node node[2], one per copy of the tree. */

struct rb_layout {
	uint32_t pc, right, left; /* struct rb_node */
	uint32_t mtn_mod, mtn_node[2]; /* struct mod_tree_node: mod, node.node[0], node.node[1] */
};

static int rb_layout(struct xv_kernel *k, struct rb_layout *r)
{
	if (xv_off(k, "rb_node", "__rb_parent_color", &r->pc) < 0 ||
	    xv_off(k, "rb_node", "rb_right", &r->right) < 0 ||
	    xv_off(k, "rb_node", "rb_left", &r->left) < 0 ||
	    xv_off(k, "mod_tree_node", "mod", &r->mtn_mod) < 0 ||
	    xv_off(k, "mod_tree_node", "node.node[0]", &r->mtn_node[0]) < 0 ||
	    xv_off(k, "mod_tree_node", "node.node[1]", &r->mtn_node[1]) < 0)
		return xv_err_ctx(ENOTSUP, "module address tree (struct mod_tree_node) from BTF: ");
	return 0;
}

static int node_ptr_ok(const struct xv_kernel *k, uint64_t p)
{
	return xv_kernel_is_kernel_addr(k, p) && (p & 7) == 0;
}

/* The root of the tree node n is in: parents up to a NULL one (bits 0-1 are the colour). */
static int rb_root_of(struct xv_kernel *k, const struct rb_layout *r, uint64_t n, uint64_t *root)
{
	for (unsigned d = 0; d <= XV_RB_MAX_DEPTH; d++) {
		uint64_t pc;

		if (xv_kernel_read_u64(k, n + r->pc, &pc) < 0)
			return -EFAULT;
		if ((pc & ~(uint64_t)3) == 0) {
			*root = n;
			return 0;
		}
		if (!node_ptr_ok(k, pc & ~(uint64_t)3))
			return xv_err(EINVAL, "module tree node 0x%" PRIx64 ": parent 0x%" PRIx64
					      " is not a kernel pointer", n, pc & ~(uint64_t)3);
		n = pc & ~(uint64_t)3;
	}
	return xv_err(ELOOP, "module tree: more than %d levels above a node", XV_RB_MAX_DEPTH);
}

/* The module a tree node belongs to, validated like a carved one (0 if it is none): its mod
 * pointer must point back to a struct module that embeds this very node. */
static uint64_t node_module(struct xv_kernel *k, const struct mod_layout *l,
			    const struct rb_layout *r, int tree, uint64_t node)
{
	uint64_t mtn = node - r->mtn_node[tree], mod;

	if (xv_kernel_read_u64(k, mtn + r->mtn_mod, &mod) < 0 || !xv_kernel_is_kernel_addr(k, mod) ||
	    mod > mtn)
		return 0;
	for (size_t i = 0; i < l->nmtn; i++)
		if (mtn - mod == l->mtn[i])
			return plausible(k, l, mod) ? mod : 0;
	return 0;
}

struct tree_res {
	uint64_t *v;
	size_t n, cap, nodes;
};

/* Every node under root, depth first with an explicit stack. Each child must name its parent
 * (a cycle or a node shared by two parents fails that), depth and node count are bounded. */
static int tree_walk(struct xv_kernel *k, const struct mod_layout *l, const struct rb_layout *r,
		     int tree, uint64_t root, struct tree_res *res)
{
	struct {
		uint64_t node;
		unsigned depth;
	} st[2 * (XV_RB_MAX_DEPTH + 1)];
	size_t sp = 0;

	st[sp].node = root;
	st[sp++].depth = 0;
	while (sp) {
		uint64_t cur = st[--sp].node, kid[2], mod;
		unsigned depth = st[sp].depth;

		if (++res->nodes > XV_MODTREE_MAX_NODES)
			return xv_err(E2BIG, "module tree: more than %d nodes", XV_MODTREE_MAX_NODES);
		if (xv_kernel_read_u64(k, cur + r->right, &kid[0]) < 0 ||
		    xv_kernel_read_u64(k, cur + r->left, &kid[1]) < 0)
			return xv_err_ctx(EFAULT, "module tree node 0x%" PRIx64 ": ", cur);
		if ((mod = node_module(k, l, r, tree, cur)) && push(&res->v, &res->n, &res->cap, mod) < 0)
			return -E2BIG;
		if (kid[0] && kid[0] == kid[1])
			return xv_err(EINVAL, "module tree node 0x%" PRIx64 ": both children are 0x%"
					      PRIx64, cur, kid[0]);
		for (int i = 0; i < 2; i++) {
			uint64_t pc;

			if (!kid[i])
				continue;
			if (!node_ptr_ok(k, kid[i]) || kid[i] == cur)
				return xv_err(EINVAL, "module tree node 0x%" PRIx64 ": child 0x%" PRIx64
						      " is not a kernel pointer to another node", cur, kid[i]);
			if (xv_kernel_read_u64(k, kid[i] + r->pc, &pc) < 0)
				return xv_err_ctx(EFAULT, "module tree node 0x%" PRIx64 ": ", kid[i]);
			if ((pc & ~(uint64_t)3) != cur)
				return xv_err(EINVAL, "module tree node 0x%" PRIx64 ": its child 0x%" PRIx64
						      " names 0x%" PRIx64 " as parent (a cycle or a "
						      "tree changing under the walk)", cur, kid[i],
					      pc & ~(uint64_t)3);
			if (depth + 1 > XV_RB_MAX_DEPTH || sp == sizeof(st) / sizeof(st[0]))
				return xv_err(ELOOP, "module tree deeper than %d levels", XV_RB_MAX_DEPTH);
			st[sp].node = kid[i];
			st[sp++].depth = depth + 1;
		}
	}
	return 0;
}

/* The root most of the known modules' first tree nodes lead to (a module being loaded may not
 * be inserted yet; a stale node may lead elsewhere). 0 if none leads anywhere. */
static uint64_t vote_root(struct xv_kernel *k, const struct mod_layout *l,
			  const struct rb_layout *r, int tree, const uint64_t *known, size_t nknown,
			  int *err)
{
	uint64_t roots[XV_MODTREE_VOTERS], best = 0;
	unsigned votes[XV_MODTREE_VOTERS], bestv = 0;
	size_t nr = 0;

	*err = 0;
	for (size_t i = 0; i < nknown && i < XV_MODTREE_VOTERS; i++) {
		uint64_t root = 0;
		size_t j;
		int rc = rb_root_of(k, r, known[i] + l->mtn[0] + r->mtn_node[tree], &root);

		if (rc < 0) {
			*err = rc;
			continue;
		}
		for (j = 0; j < nr && roots[j] != root; j++)
			;
		if (j == nr) {
			roots[nr] = root;
			votes[nr++] = 0;
		}
		if (++votes[j] > bestv) {
			bestv = votes[j];
			best = root;
		}
	}
	return best;
}

static int cmp_addr(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int xv_module_tree(struct xv_kernel *k, const uint64_t *known, size_t nknown, uint64_t **addrs,
		   size_t *n)
{
	struct mod_layout l;
	struct rb_layout r;
	char first[256] = "";
	int rc = mod_layout(k, &l), first_rc = 0;

	*addrs = NULL;
	*n = 0;
	if (rc < 0)
		return rc;
	if (l.nmtn == 0)
		return xv_err(ENOTSUP, "struct module has no mod_tree_node in BTF "
				       "(CONFIG_MODULES_TREE_LOOKUP off)");
	if ((rc = rb_layout(k, &r)) < 0)
		return rc;
	if (nknown == 0)
		return 0;
	/* Copy 0 first; a writer updates one copy at a time, so if a live guest changed copy 0 under
	 * the walk (or it is damaged), copy 1 is the other, independent view of the same tree. */
	for (int tree = 0; tree < 2; tree++) {
		struct tree_res res = { 0 };
		uint64_t root = vote_root(k, &l, &r, tree, known, nknown, &rc);

		if (root)
			rc = tree_walk(k, &l, &r, tree, root, &res);
		else if (rc == 0)
			rc = xv_err(ENOENT, "module tree: no known module leads to a root");
		if (rc == 0) {
			if (res.n)
				qsort(res.v, res.n, sizeof(*res.v), cmp_addr);
			size_t j = 0;

			for (size_t i = 0; i < res.n; i++)
				if (j == 0 || res.v[i] != res.v[j - 1])
					res.v[j++] = res.v[i];
			*addrs = res.v;
			*n = j;
			return 0;
		}
		free(res.v);
		if (tree == 0) {
			first_rc = rc;
			snprintf(first, sizeof(first), "%s", xv_errmsg());
		}
	}
	return xv_err(-first_rc, "%s (copy 1 of the latched tree fails too: %s)", first, xv_errmsg());
}
