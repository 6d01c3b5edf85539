/* vat_internal.h — the translator object shared by the generic code and the per-arch walkers. */
#ifndef XV_VAT_INTERNAL_H
#define XV_VAT_INTERNAL_H

#include <stdint.h>

#include "xvids/vat.h"

/* Direct-mapped, one entry per 4 KiB virtual page: small, fixed, cheap to flush. */
#define XV_VAT_CACHE_SIZE 4096

struct xv_vat_cent {
	uint64_t root;
	uint64_t vtag;  /* page-aligned va | 1 (0 = empty slot) */
	uint64_t ppage; /* physical address of that 4 KiB page */
	uint64_t size;  /* size of the mapping that covers it */
};

/* Walk the tables at root for va. any_half: aarch64 also accepts TTBR0 (user) addresses. When
 * the walk fails on an invalid entry or an unreadable table, *skip (if given) is set to the size
 * of the virtual region that entry or table covers, so range scans can jump over it; else 0. */
typedef int (*xv_vat_walk_fn)(struct xv_vat *vat, uint64_t root, uint64_t va, int any_half,
			      uint64_t *pa, uint64_t *page, uint64_t *skip);

struct xv_vat {
	struct xv_mem *mem;
	struct xv_vat_params p;
	xv_vat_walk_fn walk;
	unsigned levels;
	char desc[80];
	uint64_t hits, misses;
	struct xv_vat_cent cache[XV_VAT_CACHE_SIZE];
};

int xv_vat_setup_aarch64(struct xv_vat *vat);
int xv_vat_setup_x86_64(struct xv_vat *vat);

/* Read one 8-byte table entry; -EFAULT naming the level and table when it is not in RAM. */
int xv_vat_read_entry(struct xv_vat *vat, uint64_t table, unsigned idx, const char *level,
		      uint64_t va, uint64_t *entry);

#endif
