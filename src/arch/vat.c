/* vat.c — guest virtual-to-physical translation: parameter checks, the v2p cache, multi-page reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/vat_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"

struct xv_vat *xv_vat_new(struct xv_mem *mem, const struct xv_vat_params *p)
{
	struct xv_vat *vat;
	int rc;

	if (!mem || !p) {
		xv_err(EINVAL, "translator needs a memory source and parameters");
		return NULL;
	}
	vat = calloc(1, sizeof(*vat));
	if (!vat) {
		xv_err(ENOMEM, "out of memory allocating a translator");
		return NULL;
	}
	vat->mem = mem;
	vat->p = *p;
	if (p->arch == XV_ARCH_AARCH64)
		rc = xv_vat_setup_aarch64(vat);
	else if (p->arch == XV_ARCH_X86_64)
		rc = xv_vat_setup_x86_64(vat);
	else
		rc = xv_err(EINVAL, "unknown architecture %d for address translation", (int)p->arch);
	if (rc < 0) {
		free(vat);
		errno = -rc;
		return NULL;
	}
	return vat;
}

void xv_vat_free(struct xv_vat *vat)
{
	free(vat);
}

int xv_vat_read_entry(struct xv_vat *vat, uint64_t table, unsigned idx, const char *level,
		      uint64_t va, uint64_t *entry)
{
	uint8_t b[8];
	uint64_t at = table + (uint64_t)idx * 8;

	if (xv_mem_read(vat->mem, at, b, sizeof(b)) < 0)
		return xv_err(EFAULT, "page table at 0x%llx (%s) for va 0x%llx is outside guest RAM",
			      (unsigned long long)table, level, (unsigned long long)va);
	*entry = xv_le64(b);
	return 0;
}

static struct xv_vat_cent *cache_slot(struct xv_vat *vat, uint64_t root, uint64_t vpage)
{
	uint64_t h = (vpage >> 12) ^ ((root >> 12) * 0x9e3779b97f4a7c15ull);

	return &vat->cache[(h ^ (h >> 17)) & (XV_VAT_CACHE_SIZE - 1)];
}

static int translate(struct xv_vat *vat, uint64_t root, uint64_t va, int any_half, uint64_t *pa,
		     uint64_t *page)
{
	uint64_t vpage = va & ~0xfffull, ppa, psize;
	/* The half-check differs between the two entry points, so it is part of the key. */
	uint64_t key = (root & ~1ull) | (any_half ? 1 : 0);
	struct xv_vat_cent *c = cache_slot(vat, key, vpage);
	int rc;

	if (c->vtag == (vpage | 1) && c->root == key) {
		vat->hits++;
		*pa = c->ppage | (va & 0xfff);
		if (page)
			*page = c->size;
		return 0;
	}
	vat->misses++;
	rc = vat->walk(vat, root, va, any_half, &ppa, &psize, NULL);
	if (rc < 0)
		return rc;
	c->root = key;
	c->vtag = vpage | 1;
	c->ppage = ppa & ~0xfffull;
	c->size = psize;
	*pa = ppa;
	if (page)
		*page = psize;
	return 0;
}

int xv_vat_translate(struct xv_vat *vat, uint64_t va, uint64_t *pa, uint64_t *page)
{
	return translate(vat, vat->p.root, va, 0, pa, page);
}

int xv_vat_translate_root(struct xv_vat *vat, uint64_t root, uint64_t va, uint64_t *pa,
			  uint64_t *page)
{
	return translate(vat, root, va, 1, pa, page);
}

static int read_at(struct xv_vat *vat, uint64_t root, int any_half, uint64_t va, void *buf,
		   size_t len)
{
	uint8_t *dst = buf;
	uint64_t cur = va;
	size_t left = len;

	if (len == 0)
		return 0;
	if (va + len - 1 < va)
		return xv_err(EFAULT, "read of %zu bytes at va 0x%llx wraps around", len,
			      (unsigned long long)va);
	while (left > 0) {
		uint64_t pa, page, in_page;
		size_t chunk = 0;
		int rc = translate(vat, root, cur, any_half, &pa, &page);

		/* Never hand back half a read: callers treat a failed read as no data. */
		if (rc == 0) {
			in_page = page - (cur & (page - 1));
			chunk = in_page < left ? (size_t)in_page : left;
			rc = xv_mem_read(vat->mem, pa, dst, chunk);
		}
		if (rc < 0) {
			memset(buf, 0, len);
			if (cur != va)
				return xv_err_ctx(rc, "reading %zu bytes at va 0x%llx: ", len,
						  (unsigned long long)va);
			return rc;
		}
		dst += chunk;
		cur += chunk;
		left -= chunk;
	}
	return 0;
}

int xv_vat_read(struct xv_vat *vat, uint64_t va, void *buf, size_t len)
{
	return read_at(vat, vat->p.root, 0, va, buf, len);
}

int xv_vat_read_root(struct xv_vat *vat, uint64_t root, uint64_t va, void *buf, size_t len)
{
	return read_at(vat, root, 1, va, buf, len);
}

/* Walk va upwards, hopping over whatever an invalid entry (or unreadable table: a planted bad
 * entry must not hide the mappings after it) covers. va only grows, so the loop ends. */
int xv_vat_next_mapped(struct xv_vat *vat, uint64_t va, uint64_t end, uint64_t *map_va,
		       uint64_t *map_pa, uint64_t *map_size)
{
	while (va < end) {
		uint64_t pa, size, skip, base, next;
		int rc = vat->walk(vat, vat->p.root, va, 0, &pa, &size, &skip);

		if (rc == 0) {
			base = va & ~(size - 1);
			*map_va = base;
			*map_pa = pa - (va - base);
			*map_size = size;
			return 0;
		}
		if (skip == 0)
			return rc; /* non-canonical or unreadable root: nothing to hop over */
		next = (va & ~(skip - 1)) + skip;
		if (next <= va)
			break; /* wrapped past the top of the address space */
		va = next;
	}
	return xv_err(ENOENT, "nothing is mapped below 0x%llx", (unsigned long long)end);
}

void xv_vat_flush(struct xv_vat *vat)
{
	memset(vat->cache, 0, sizeof(vat->cache));
}

void xv_vat_stats(const struct xv_vat *vat, uint64_t *hits, uint64_t *misses)
{
	if (hits)
		*hits = vat->hits;
	if (misses)
		*misses = vat->misses;
}

const struct xv_vat_params *xv_vat_params(const struct xv_vat *vat)
{
	return &vat->p;
}

struct xv_mem *xv_vat_mem(const struct xv_vat *vat)
{
	return vat->mem;
}

const char *xv_vat_describe(const struct xv_vat *vat)
{
	return vat->desc;
}
