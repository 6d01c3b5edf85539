/* fuzz_elf.c — the ELF core reader (QEMU dump-guest-memory files) on hostile bytes, in memory. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "mem/mem_internal.h"
#include "xvids/mem.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct xv_mem *mem = xv_mem_alloc();
	uint8_t buf[64];

	if (!mem)
		return 0;
	if (xv_mem_parse_elf(mem, data, size, "fuzz") == 0 && xv_mem_finish(mem) == 0) {
		size_t n = xv_mem_nsegs(mem), len;
		const struct xv_mem_seg *s = xv_mem_segs(mem);

		for (size_t i = 0; i < n && i < 64; i++) {
			/* first, last and straddling bytes of each segment */
			xv_mem_read(mem, s[i].start, buf, s[i].size < sizeof(buf) ? s[i].size : sizeof(buf));
			if (s[i].size >= 8)
				xv_mem_read(mem, s[i].start + s[i].size - 8, buf, 16);
			xv_mem_view(mem, s[i].start, 1);
		}
		const char *vi = xv_mem_vmcoreinfo(mem, &len);
		volatile char sink = 0;

		for (size_t i = 0; vi && i < len; i++)
			sink ^= vi[i];
		(void)sink;
		xv_mem_size(mem);
		xv_mem_arch(mem);
		xv_mem_describe(mem);
	}
	xv_mem_close(mem);
	return 0;
}
