/* mem_trim.c — give back the pages a scan mapped in: guest RAM stays in the page cache, not in our RSS. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem/mem_internal.h"

int xv_mem_trim(struct xv_mem *mem)
{
	long pg = sysconf(_SC_PAGESIZE);

	/* Caller buffers (no ops) are ordinary memory: dropping their pages would zero them. */
	if (!mem || !mem->ops || pg <= 0)
		return 0;
	for (size_t i = 0; i < mem->n; i++) {
		const struct xv_mem_part *p = &mem->parts[i];

		if (p->backing != XV_SEG_MAPPED || !p->data || !p->size)
			continue;
		/* Shared read-only file mappings: MADV_DONTNEED only unmaps; the next read faults the
		 * same bytes back in from the page cache. */
		uintptr_t lo = (uintptr_t)p->data & ~((uintptr_t)pg - 1);
		uintptr_t hi = ((uintptr_t)p->data + p->size + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);

		madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	return 0;
}
