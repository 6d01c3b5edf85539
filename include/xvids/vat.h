/* vat.h — guest virtual-to-physical translation through the guest's own page tables. */
#ifndef XVIDS_VAT_H
#define XVIDS_VAT_H

#include <stddef.h>
#include <stdint.h>

#include "xvids/mem.h"

enum xv_arch { XV_ARCH_UNKNOWN = 0, XV_ARCH_AARCH64, XV_ARCH_X86_64 };

struct xv_vat_params {
	enum xv_arch arch;
	uint64_t root;     /* physical address of the top-level table (swapper_pg_dir / init_top_pgt) */
	unsigned va_bits;  /* aarch64: 64 - TCR_EL1.T1SZ (39 or 48 supported); x86-64: ignored */
	unsigned levels;   /* x86-64: 4 or 5; aarch64: 0 = derive from va_bits */
	unsigned granule;  /* aarch64: 4096 only (others are a clear error); 0 = 4096 */
};

struct xv_vat;

/* Validate params and create a translator over mem. NULL+errno with a message on bad params
 * (unsupported granule, va_bits, levels or arch). */
struct xv_vat *xv_vat_new(struct xv_mem *mem, const struct xv_vat_params *p);
void xv_vat_free(struct xv_vat *vat);

/* Translate va. On success *pa is the physical address and *page (optional) the size of the
 * mapping that covers it (4K, 2M, 1G, ...). -EFAULT with a message naming the va and the level
 * where the walk stopped when it is not mapped or a table lies outside guest RAM. */
int xv_vat_translate(struct xv_vat *vat, uint64_t va, uint64_t *pa, uint64_t *page);

/* Read len bytes at guest-virtual va, across page boundaries. All or nothing (-EFAULT). */
int xv_vat_read(struct xv_vat *vat, uint64_t va, void *buf, size_t len);

/* The same through another top-level table (a process's mm->pgd): any_half semantics, i.e. on
 * aarch64 both TTBR0 (user, upper bits 0) and TTBR1 (upper bits 1) addresses are accepted. */
int xv_vat_translate_root(struct xv_vat *vat, uint64_t root, uint64_t va, uint64_t *pa,
			  uint64_t *page);
int xv_vat_read_root(struct xv_vat *vat, uint64_t root, uint64_t va, void *buf, size_t len);

/* Cache statistics since creation (for benchmarks and tests). */
void xv_vat_stats(const struct xv_vat *vat, uint64_t *hits, uint64_t *misses);

/* The first mapping (4K page or 2M/1G block) that overlaps [va, end) of the kernel half, in address
 * order, skipping empty subtrees: map_va, map_pa and map_size describe the whole mapping. -ENOENT when
 * nothing in the range is mapped. Used to scan the module area and vmalloc space. */
int xv_vat_next_mapped(struct xv_vat *vat, uint64_t va, uint64_t end, uint64_t *map_va,
		       uint64_t *map_pa, uint64_t *map_size);

/* Drop the translation cache (live guests change their tables). */
void xv_vat_flush(struct xv_vat *vat);

const struct xv_vat_params *xv_vat_params(const struct xv_vat *vat);
struct xv_mem *xv_vat_mem(const struct xv_vat *vat);

/* Human name of the paging mode: "aarch64 4K granule, 48-bit VA, 4 levels", "x86-64 5-level". */
const char *xv_vat_describe(const struct xv_vat *vat);

#endif
