/* scratch.c — mmap'd scratch buffers for discovery's big transient allocations. */
#include <errno.h>
#include <sys/mman.h>

#include "util/scratch.h"

void *xv_scratch_alloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void xv_scratch_free(void *p, size_t size)
{
	if (p)
		munmap(p, size ? size : 1);
}
