/* vat_x86_64.c — x86-64 4-level (48-bit) and 5-level (57-bit) paging with 2 MiB and 1 GiB pages. */
#include <errno.h>
#include <stdio.h>

#include "arch/vat_internal.h"
#include "xvids/err.h"

/* Physical address bits [51:12]; bits 63 (NX) and 62:59 (protection keys) are not address. */
#define ADDR_MASK 0x000ffffffffff000ull
#define PTE_PRESENT 1ull
#define PTE_PS (1ull << 7)

/* Indexed by level number: 1 = page table ... 5 = PML5. */
static const char *const level_name[6] = { "", "level 1 (PT)", "level 2 (PD)", "level 3 (PDPT)",
					   "level 4 (PML4)", "level 5 (PML5)" };

static int walk(struct xv_vat *vat, uint64_t root, uint64_t va, int any_half, uint64_t *pa,
		uint64_t *page, uint64_t *skip)
{
	unsigned bits = vat->levels == 5 ? 57 : 48, level;
	int64_t sext = (int64_t)(va << (64 - bits)) >> (64 - bits);
	uint64_t table = root & ADDR_MASK; /* CR3 low bits carry PCID and cache flags */

	if (skip)
		*skip = 0;

	(void)any_half;
	if ((uint64_t)sext != va)
		return xv_err(EFAULT, "va 0x%llx is not canonical for %u-level paging (%u-bit)",
			      (unsigned long long)va, vat->levels, bits);
	for (level = vat->levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		unsigned idx = (unsigned)((va >> shift) & 0x1ff);
		uint64_t e;
		int rc = xv_vat_read_entry(vat, table, idx, level_name[level], va, &e);

		if (rc < 0) {
			/* The whole table is unreadable: skip what its parent entry covers. */
			if (skip)
				*skip = (level == vat->levels ? 0 : 1ull << (shift + 9));
			return rc;
		}
		if (!(e & PTE_PRESENT) && skip)
			*skip = 1ull << shift;
		if (!(e & PTE_PRESENT))
			return xv_err(EFAULT, "va 0x%llx is not mapped: %s entry %u at 0x%llx is not present (0x%llx)",
				      (unsigned long long)va, level_name[level], idx,
				      (unsigned long long)(table + idx * 8ull), (unsigned long long)e);
		if (level == 1) {
			*pa = (e & ADDR_MASK) | (va & 0xfff);
			*page = 4096;
			return 0;
		}
		if (e & PTE_PS) {
			uint64_t size = 1ull << shift;

			if (level > 3 && skip)
				*skip = size;
			if (level > 3)
				return xv_err(EFAULT, "va 0x%llx: %s entry at 0x%llx has the reserved PS bit set",
					      (unsigned long long)va, level_name[level],
					      (unsigned long long)(table + idx * 8ull));
			/* Bit 12 of a large-page entry is PAT, hence the size mask. */
			*pa = (e & ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			*page = size;
			return 0;
		}
		table = e & ADDR_MASK;
	}
	return xv_err(EFAULT, "va 0x%llx: page walk did not end", (unsigned long long)va);
}

int xv_vat_setup_x86_64(struct xv_vat *vat)
{
	struct xv_vat_params *p = &vat->p;

	/* No default: guessing 4 on a 5-level guest would only show up as bogus "not mapped". */
	if (p->levels != 4 && p->levels != 5)
		return xv_err(EINVAL, "x86-64 paging has 4 or 5 levels, not %u (see NUMBER(pgtable_l5_enabled))",
			      p->levels);
	vat->levels = p->levels;
	vat->walk = walk;
	snprintf(vat->desc, sizeof(vat->desc), "x86-64 %u-level", p->levels);
	return 0;
}
