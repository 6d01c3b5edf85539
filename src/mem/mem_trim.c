/* mem_trim.c — give back the pages a scan mapped in: guest RAM stays in the page cache, not in our RSS. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem/mem_internal.h"

/* Drop the host pages of part p that hold guest bytes [lo, hi) (offsets into the part). */
static void drop(const struct xv_mem_part *p, uint64_t lo, uint64_t hi, uintptr_t pg)
{
	/* Shared read-only file mappings: MADV_DONTNEED only unmaps; the next read faults the same
	 * bytes back in from the page cache. Rounding outwards stays inside the mapping: it covers
	 * whole host pages of the file. */
	uintptr_t a = ((uintptr_t)p->data + (uintptr_t)lo) & ~(pg - 1);
	uintptr_t b = ((uintptr_t)p->data + (uintptr_t)hi + pg - 1) & ~(pg - 1);

	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

static int trimmable(const struct xv_mem *mem, const struct xv_mem_part *p)
{
	/* Caller buffers (no ops) are ordinary memory: dropping their pages would zero them. */
	return mem->ops && p->backing == XV_SEG_MAPPED && p->data && p->size;
}

int xv_mem_trim(struct xv_mem *mem)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (!mem || pg <= 0)
		return 0;
	for (size_t i = 0; i < mem->n; i++)
		if (trimmable(mem, &mem->parts[i]))
			drop(&mem->parts[i], 0, mem->parts[i].size, (uintptr_t)pg);
	return 0;
}

int xv_mem_trim_range(struct xv_mem *mem, uint64_t pa, uint64_t len)
{
	static long pg;
	uint64_t end = pa + len < pa ? UINT64_MAX : pa + len;

	if (!pg)
		pg = sysconf(_SC_PAGESIZE);
	if (!mem || pg <= 0 || len == 0)
		return 0;
	for (size_t i = 0; i < mem->n; i++) {
		const struct xv_mem_part *p = &mem->parts[i];
		uint64_t pend = p->start + p->size; /* no wrap: checked when the part was added */

		if (!trimmable(mem, p) || pa >= pend || end <= p->start)
			continue;
		drop(p, pa > p->start ? pa - p->start : 0, (end < pend ? end : pend) - p->start,
		     (uintptr_t)pg);
	}
	return 0;
}
