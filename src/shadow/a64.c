/* a64.c — the data address an arm64 function refers to first (ADRP + ADD/LDR), for data without symbols. */
#include <errno.h>
#include <stdint.h>

#include "shadow/shadow.h"
#include "util/bytes.h"

/* Kernels without KALLSYMS_ALL name functions only; a small function that reads a global
 * (get_avenrun reads avenrun) tells where it is: ADRP gives the 4K page, the ADDs after it the
 * offset, the lowest LDR through the register the first element. */
int sh_a64_data_ref(const uint8_t *code, size_t len, uint64_t pc, uint64_t *addr)
{
	size_t n = len / 4;

	for (size_t i = 0; i + 1 < n; i++) {
		uint32_t in = xv_le32(code + 4 * i);

		if ((in & 0x9f000000u) != 0x90000000u) /* ADRP */
			continue;
		unsigned rd = in & 31;
		int64_t imm = (int64_t)((((in >> 5) & 0x7ffffu) << 2) | ((in >> 29) & 3));

		if (imm & (1 << 20))
			imm -= 1 << 21;
		uint64_t val = ((pc + 4 * (uint64_t)i) & ~(uint64_t)4095) + (uint64_t)(imm * 4096);
		uint64_t best = UINT64_MAX;
		int added = 0;

		for (size_t j = i + 1; j < n; j++) {
			uint32_t n2 = xv_le32(code + 4 * j);
			unsigned rn = (n2 >> 5) & 31;

			if ((n2 & 0xff800000u) == 0x91000000u && rn == rd) { /* ADD x, x, #imm{, lsl 12} */
				val += (uint64_t)((n2 >> 10) & 0xfff) << (((n2 >> 22) & 1) ? 12 : 0);
				rd = n2 & 31;
				added = 1;
			} else if ((n2 & 0xffc00000u) == 0xf9400000u && rn == rd) { /* LDR x, [x, #imm] */
				uint64_t a = val + (((n2 >> 10) & 0xfff) << 3);

				if (a < best)
					best = a;
			}
		}
		if (best == UINT64_MAX && !added)
			return -ENOENT;
		*addr = best != UINT64_MAX ? best : val;
		return 0;
	}
	return -ENOENT;
}
