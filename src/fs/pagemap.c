/* pagemap.c — struct page address → physical address, decoded from mem_section as VMCOREINFO describes it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"

/*
 * Why mem_section and not a per-architecture vmemmap formula: SYMBOL/LENGTH/SIZE/OFFSET of
 * mem_section are in every SPARSEMEM kernel's VMCOREINFO on every architecture, each section
 * carries its own encoded mem_map (mem_map - first pfn), and the same decoding serves plain
 * SPARSEMEM and SPARSEMEM_VMEMMAP. The arm64 formula (VMEMMAP_START - (memstart_addr >>
 * PAGE_SHIFT), memstart_addr signed and negative under linear-map randomization) and x86's
 * randomized vmemmap_base are only used to cross-check, and the result says whether they agree.
 */

static int vmci_u64(struct xv_kernel *k, const char *key, int hex, uint64_t *v)
{
	const char *s = xv_kernel_vmcoreinfo(k, key);
	char *end;

	if (!s)
		return xv_err(ENOENT, "VMCOREINFO has no %s (needed to find file pages)", key);
	errno = 0;
	*v = strtoull(s, &end, hex ? 16 : 0);
	if (errno || end == s)
		return xv_err(EINVAL, "VMCOREINFO %s=%s is not a number", key, s);
	return 0;
}

static int add_range(struct xv_pagemap *pm, uint64_t lo, uint64_t hi, uint64_t pfn0)
{
	if (pm->n && pm->r[pm->n - 1].page_hi == lo &&
	    pm->r[pm->n - 1].pfn0 + (lo - pm->r[pm->n - 1].page_lo) / pm->page_size == pfn0) {
		pm->r[pm->n - 1].page_hi = hi;
		return 0;
	}
	struct xv_pagemap_range *nr = realloc(pm->r, (pm->n + 1) * sizeof(*nr));

	if (!nr)
		return xv_err(ENOMEM, "out of memory");
	pm->r = nr;
	pm->r[pm->n++] = (struct xv_pagemap_range){ lo, hi, pfn0 };
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct xv_pagemap_range *x = a, *y = b;

	return x->page_lo < y->page_lo ? -1 : x->page_lo > y->page_lo;
}

static void cross_check(struct xv_kernel *k, struct xv_pagemap *pm)
{
	uint64_t start, physoff, base;
	size_t l = strlen(pm->how);

	if (!pm->vmemmap)
		return;
	if (xv_kernel_vmcoreinfo(k, "NUMBER(VMEMMAP_START)") &&
	    vmci_u64(k, "NUMBER(VMEMMAP_START)", 0, &start) == 0 &&
	    vmci_u64(k, "NUMBER(PHYS_OFFSET)", 0, &physoff) == 0) {
		uint64_t calc = start - (uint64_t)(((int64_t)physoff >> 12) * (int64_t)pm->page_size);

		snprintf(pm->how + l, sizeof(pm->how) - l, "; %s VMEMMAP_START - PHYS_OFFSET",
			 calc == pm->vmemmap ? "agrees with" : "DIFFERS from");
	} else if (xv_kernel_symbol(k, "vmemmap_base", &base) == 0 &&
		   xv_kernel_read_u64(k, base, &base) == 0) {
		snprintf(pm->how + l, sizeof(pm->how) - l, "; %s vmemmap_base",
			 base == pm->vmemmap ? "agrees with" : "DIFFERS from");
	}
	xv_err_clear();
}

static int kread(void *rctx, uint64_t addr, void *buf, size_t len)
{
	return xv_kernel_read(rctx, addr, buf, len);
}

static int read_u64(xv_xa_read_fn rd, void *rctx, uint64_t addr, uint64_t *v)
{
	uint8_t b[8];
	int rc = rd(rctx, addr, b, 8);

	if (rc == 0)
		*v = xv_le64(b);
	return rc;
}

int xv_pagemap_build(const struct xv_memsec_desc *d, const struct xv_mem_seg *seg, size_t nsegs,
		     xv_xa_read_fn rd, void *rctx, struct xv_pagemap *pm)
{
	uint64_t per_root, cached_root_nr = UINT64_MAX, root = 0;
	int vm_same = 1;

	memset(pm, 0, sizeof(*pm));
	if (d->ssb < 12 || d->ssb > 40 || d->maxphys <= d->ssb || d->maxphys > 60 || d->psize < 32 ||
	    d->psize > 256 || d->ms_size < 8 || d->ms_size > 256 || d->map_off + 8 > d->ms_size ||
	    d->nroots == 0)
		return xv_err(EINVAL, "page map: implausible mem_section description (SECTION_SIZE_BITS="
				      "%" PRIu64 " MAX_PHYSMEM_BITS=%" PRIu64 " SIZE(page)=%" PRIu64 ")",
			      d->ssb, d->maxphys, d->psize);
	uint64_t nsections = (uint64_t)1 << (d->maxphys - d->ssb);

	if (d->nroots > nsections || nsections % d->nroots)
		return xv_err(EINVAL, "page map: LENGTH(mem_section)=%" PRIu64 " does not divide %"
				      PRIu64 " sections", d->nroots, nsections);
	per_root = nsections / d->nroots; /* 1 without SPARSEMEM_EXTREME: a static 2-D array */
	pm->page_size = (uint32_t)d->psize;
	uint64_t pages_per_section = (uint64_t)1 << (d->ssb - 12);

	for (size_t i = 0; i < nsegs; i++) {
		uint64_t first = seg[i].start >> d->ssb;
		uint64_t last = (seg[i].start + seg[i].size - 1) >> d->ssb;

		for (uint64_t nr = first; nr <= last && nr < nsections; nr++) {
			uint64_t sec, map, coded, lo;

			if (per_root > 1) {
				if (nr / per_root != cached_root_nr) {
					cached_root_nr = nr / per_root;
					if (read_u64(rd, rctx, d->ms + 8 * cached_root_nr, &root) < 0)
						return xv_err_ctx(EFAULT, "page map: mem_section root %"
							PRIu64 ": ", cached_root_nr);
				}
				if (!root)
					continue;
				sec = root + (nr % per_root) * d->ms_size;
			} else {
				sec = d->ms + nr * d->ms_size;
			}
			if (read_u64(rd, rctx, sec + d->map_off, &map) < 0)
				return xv_err_ctx(EFAULT, "page map: mem_section %" PRIu64 ": ", nr);
			if ((map & 3) != 3) /* SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP */
				continue;
			/* Flag bits live below the alignment of the encoded mem_map (<= 6 bits in 6.x). */
			coded = map & ~(uint64_t)0x3f;
			lo = coded + nr * pages_per_section * d->psize;
			if (pm->n == 0)
				pm->vmemmap = coded;
			else if (coded != pm->vmemmap)
				vm_same = 0;
			if (add_range(pm, lo, lo + pages_per_section * d->psize, nr * pages_per_section) < 0)
				return -ENOMEM;
		}
	}
	if (pm->n == 0)
		return xv_err(ENOENT, "page map: no present memory section covers guest RAM");
	qsort(pm->r, pm->n, sizeof(*pm->r), cmp_range);
	for (size_t i = 1; i < pm->n; i++)
		if (pm->r[i].page_lo < pm->r[i - 1].page_hi) {
			xv_pagemap_free(pm);
			return xv_err(EINVAL, "page map: the mem_maps of two sections overlap");
		}
	if (!vm_same)
		pm->vmemmap = 0;
	snprintf(pm->how, sizeof(pm->how), "mem_section (VMCOREINFO): %zu range%s%s", pm->n,
		 pm->n == 1 ? "" : "s", pm->vmemmap ? ", one vmemmap base" : "");
	if (pm->vmemmap) {
		size_t l = strlen(pm->how);

		snprintf(pm->how + l, sizeof(pm->how) - l, " 0x%" PRIx64, pm->vmemmap);
	}
	return 0;
}

int xv_pagemap_init(struct xv_kernel *k, struct xv_pagemap *pm)
{
	struct xv_memsec_desc d;
	uint64_t pagesz;
	struct xv_mem *mem = xv_kernel_mem(k);
	int rc;

	memset(pm, 0, sizeof(*pm));
	if (vmci_u64(k, "SYMBOL(mem_section)", 1, &d.ms) < 0 ||
	    vmci_u64(k, "LENGTH(mem_section)", 0, &d.nroots) < 0 ||
	    vmci_u64(k, "SIZE(mem_section)", 0, &d.ms_size) < 0 ||
	    vmci_u64(k, "OFFSET(mem_section.section_mem_map)", 0, &d.map_off) < 0 ||
	    vmci_u64(k, "NUMBER(SECTION_SIZE_BITS)", 0, &d.ssb) < 0 ||
	    vmci_u64(k, "NUMBER(MAX_PHYSMEM_BITS)", 0, &d.maxphys) < 0 ||
	    vmci_u64(k, "SIZE(page)", 0, &d.psize) < 0 || vmci_u64(k, "PAGESIZE", 0, &pagesz) < 0)
		return xv_err_ctx(ENOENT, "page map (SPARSEMEM): ");
	if (pagesz != 4096)
		return xv_err(ENOTSUP, "page map: PAGESIZE %" PRIu64 " (only 4096 is supported)", pagesz);
	rc = xv_pagemap_build(&d, xv_mem_segs(mem), xv_mem_nsegs(mem), kread, k, pm);
	if (rc == 0)
		cross_check(k, pm);
	return rc;
}

void xv_pagemap_free(struct xv_pagemap *pm)
{
	free(pm->r);
	memset(pm, 0, sizeof(*pm));
}

int xv_pagemap_pa(const struct xv_pagemap *pm, uint64_t page, uint64_t *pa)
{
	size_t lo = 0, hi = pm->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (page < pm->r[mid].page_lo)
			hi = mid;
		else if (page >= pm->r[mid].page_hi)
			lo = mid + 1;
		else {
			uint64_t d = page - pm->r[mid].page_lo;

			if (d % pm->page_size)
				return xv_err(EINVAL, "0x%" PRIx64 " is not the start of a struct page",
					      page);
			*pa = (pm->r[mid].pfn0 + d / pm->page_size) << 12;
			return 0;
		}
	}
	return xv_err(EFAULT, "0x%" PRIx64 " is not a struct page of guest RAM", page);
}
