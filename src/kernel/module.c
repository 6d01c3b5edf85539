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

struct mod_layout {
	uint32_t state, list, name, mkobj_mod, refcnt, taints;
	uint32_t core_base, core_size, init_size, data_size;
	int has_data_layout;
};

static int mod_layout(struct xv_kernel *k, struct mod_layout *l)
{
	if (xv_off(k, "module", "state", &l->state) < 0 || xv_off(k, "module", "list", &l->list) < 0 ||
	    xv_off(k, "module", "name", &l->name) < 0 ||
	    xv_off(k, "module", "mkobj.mod", &l->mkobj_mod) < 0 ||
	    xv_off(k, "module", "taints", &l->taints) < 0)
		return xv_err_ctx(ENOENT, "struct module layout from BTF: ");
	if (xv_off(k, "module", "refcnt", &l->refcnt) < 0)
		l->refcnt = UINT32_MAX; /* CONFIG_MODULE_UNLOAD off */
	/* Linux < 6.4: core_layout/init_layout; 6.4+: mem[MOD_TEXT]... (not yet supported). */
	if (xv_off(k, "module", "core_layout.base", &l->core_base) < 0 ||
	    xv_off(k, "module", "core_layout.size", &l->core_size) < 0 ||
	    xv_off(k, "module", "init_layout.size", &l->init_size) < 0)
		return xv_err_ctx(ENOTSUP, "struct module has no core_layout (Linux >= 6.4 layout is "
					   "not supported yet): ");
	l->has_data_layout = xv_off(k, "module", "data_layout.size", &l->data_size) == 0;
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
	    xv_kernel_read_u32(k, addr + l->core_size, &sz) < 0)
		return xv_err_ctx(EFAULT, "struct module at 0x%" PRIx64 ": ", addr);
	m->name[MODULE_NAME_LEN - 1] = '\0';
	for (char *p = m->name; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			*p = '?';
	m->size = sz;
	if (xv_kernel_read_u32(k, addr + l->init_size, &sz) == 0)
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
