/* vat_aarch64.c — AArch64 stage-1 translation, 4 KiB granule, 25..48-bit VA (3 or 4 levels). */
#include <errno.h>
#include <stdio.h>

#include "arch/vat_internal.h"
#include "xvids/err.h"

/* Output address bits [47:12] of table, block and page descriptors (no 52-bit PA formats). */
#define OA_MASK 0x0000fffffffff000ull

static const char *const level_name[4] = { "level 0", "level 1", "level 2", "level 3" };

static int walk(struct xv_vat *vat, uint64_t root, uint64_t va, int any_half, uint64_t *pa,
		uint64_t *page, uint64_t *skip)
{
	unsigned va_bits = vat->p.va_bits, start = 4 - vat->levels, level;
	uint64_t top = va >> va_bits, ones = ~0ull >> va_bits;
	uint64_t table = root & 0x0000fffffffffffeull; /* drop ASID [63:48] and CnP */

	if (skip)
		*skip = 0;

	/* TTBR1 (kernel) addresses have every bit above the VA size set; TTBR0 ones none. */
	if (top != ones && !(any_half && top == 0))
		return xv_err(EFAULT, "va 0x%llx is not a canonical %s address for a %u-bit VA space",
			      (unsigned long long)va, any_half ? "kernel or user" : "kernel", va_bits);
	for (level = start; level <= 3; level++) {
		unsigned shift = 12 + 9 * (3 - level);
		unsigned bits = level == start ? va_bits - shift : 9;
		unsigned idx = (unsigned)((va >> shift) & ((1ull << bits) - 1));
		uint64_t d;
		int rc = xv_vat_read_entry(vat, table, idx, level_name[level], va, &d);

		if (rc < 0) {
			/* The whole table is unreadable: skip what its parent entry covers. */
			if (skip)
				*skip = (level == start ? 0 : 1ull << (shift + 9));
			return rc;
		}
		if (!(d & 1) && skip)
			*skip = 1ull << shift;
		if (!(d & 1))
			return xv_err(EFAULT, "va 0x%llx is not mapped: %s entry %u at 0x%llx is invalid (0x%llx)",
				      (unsigned long long)va, level_name[level], idx,
				      (unsigned long long)(table + idx * 8ull), (unsigned long long)d);
		if (level == 3) {
			if (!(d & 2) && skip)
				*skip = 4096;
			if (!(d & 2))
				return xv_err(EFAULT, "va 0x%llx: level 3 entry at 0x%llx is a reserved descriptor (0x%llx)",
					      (unsigned long long)va,
					      (unsigned long long)(table + idx * 8ull),
					      (unsigned long long)d);
			*pa = (d & OA_MASK) | (va & 0xfff);
			*page = 4096;
			return 0;
		}
		if (!(d & 2)) {
			uint64_t size = 1ull << shift;

			/* With a 4K granule (and no LPA2) only levels 1 and 2 may hold blocks. */
			if (level == 0 && skip)
				*skip = size;
			if (level == 0)
				return xv_err(EFAULT, "va 0x%llx: level 0 entry at 0x%llx is a block descriptor, invalid with a 4K granule",
					      (unsigned long long)va,
					      (unsigned long long)(table + idx * 8ull));
			*pa = (d & OA_MASK & ~(size - 1)) | (va & (size - 1));
			*page = size;
			return 0;
		}
		table = d & OA_MASK;
	}
	return xv_err(EFAULT, "va 0x%llx: page walk did not end", (unsigned long long)va);
}

int xv_vat_setup_aarch64(struct xv_vat *vat)
{
	struct xv_vat_params *p = &vat->p;
	unsigned levels;

	if (p->granule == 0)
		p->granule = 4096;
	if (p->granule != 4096)
		return xv_err(EINVAL, "aarch64 translation granule %u is not supported (only 4K; 16K and 64K kernels are not)",
			      p->granule);
	if (p->va_bits == 52)
		return xv_err(EINVAL, "aarch64 52-bit VA (LPA2) is not supported");
	/* T1SZ 16..39 with a 4K granule: the walk starts at level 0 or 1. */
	if (p->va_bits < 25 || p->va_bits > 48)
		return xv_err(EINVAL, "aarch64 VA size %u bits is outside the 25..48 supported with a 4K granule (TCR_EL1.T1SZ = 64 - VA bits)",
			      p->va_bits);
	levels = (p->va_bits - 12 + 8) / 9;
	if (p->levels && p->levels != levels)
		return xv_err(EINVAL, "aarch64 %u-bit VA with a 4K granule needs %u levels, not %u",
			      p->va_bits, levels, p->levels);
	vat->levels = levels;
	vat->walk = walk;
	snprintf(vat->desc, sizeof(vat->desc), "aarch64 4K granule, %u-bit VA, %u levels",
		 p->va_bits, levels);
	return 0;
}
