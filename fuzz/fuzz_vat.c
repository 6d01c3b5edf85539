/* fuzz_vat.c — page-table walks over random guest RAM, x86-64 (4/5 levels) and aarch64 (39/48-bit).
 * Input: mode byte, u32 root page index, 4 x u64 virtual addresses, then RAM (from the RAM base). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "xvids/vat.h"

/* Calls of xv_vat_next_mapped per input: each may hop over many unmapped ranges, and 16 reach
 * every path of the enumeration as well as 64 did, at a quarter of the cost. */
#define VAT_ENUM 16

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct fz f;
	uint8_t mode;
	uint32_t rootpg;
	uint64_t va[4];
	size_t len, ramsz;
	const uint8_t *rest;

	fz_init(&f, data, size);
	mode = fz_u8(&f);
	rootpg = fz_u32(&f);
	for (int i = 0; i < 4; i++)
		va[i] = fz_u64(&f);
	rest = fz_rest(&f, &len);
	if (len > (1u << 20))
		return 0;

	int arm = mode & 1;
	uint64_t base = arm ? 0x40000000ull : 0;
	uint8_t *ram = fz_ram(rest, len, 4096, &ramsz);
	struct xv_mem_seg seg = { base, ramsz };
	const void *bufs[1] = { ram };
	struct xv_mem *mem;

	if (xv_mem_open_buffers(&seg, bufs, 1, &mem) < 0)
		return 0;
	struct xv_vat_params p = { .arch = arm ? XV_ARCH_AARCH64 : XV_ARCH_X86_64,
				   .root = base + (rootpg % (ramsz / 4096)) * 4096ull };

	if (arm)
		p.va_bits = (mode & 2) ? 48 : 39;
	else
		p.levels = (mode & 2) ? 5 : 4;
	if (mode & 4) /* occasionally, hostile parameters too */
		p.root = base + rootpg;
	struct xv_vat *vat = xv_vat_new(mem, &p);

	if (vat) {
		uint64_t pa, pg, mva, mpa, msz;
		uint8_t buf[64];

		for (int i = 0; i < 4; i++) {
			xv_vat_translate(vat, va[i], &pa, &pg);
			xv_vat_read(vat, va[i], buf, (va[i] >> 3) % sizeof(buf) + 1);
			xv_vat_translate_root(vat, p.root, va[i], &pa, &pg);
			xv_vat_read_root(vat, base + ((va[i] >> 12) % (ramsz / 4096)) * 4096ull, va[i], buf, 8);
		}
		/* A bounded enumeration of mappings from va[0]. */
		uint64_t cur = va[0], end = va[1];

		for (int i = 0; i < VAT_ENUM && cur < end; i++) {
			if (xv_vat_next_mapped(vat, cur, end, &mva, &mpa, &msz) != 0)
				break;
			if (msz == 0 || (mva + msz > mva && mva + msz <= cur))
				abort(); /* no progress: the caller would loop forever */
			cur = mva + msz;
			if (cur < mva)
				break;
		}
		xv_vat_describe(vat);
		if (mode & 8) /* clearing the 4096-entry cache costs more than the walks */
			xv_vat_flush(vat);
		xv_vat_free(vat);
	}
	xv_mem_close(mem);
	return 0;
}
