/* ktest.h — test helpers for the kernel-model parsers: fake guest RAM and fake virtual memory. */
#ifndef XV_TEST_KTEST_H
#define XV_TEST_KTEST_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/vmcoreinfo.h"

/* Guest-physical RAM as caller-owned buffers, one per segment. */
struct fake_ram {
	struct xv_mem_seg segs[4];
	uint8_t *bufs[4];
	size_t n;
	unsigned reads; /* read callback calls */
};

static inline uint8_t *fake_ram_add(struct fake_ram *r, uint64_t start, uint64_t size)
{
	r->segs[r->n].start = start;
	r->segs[r->n].size = size;
	r->bufs[r->n] = calloc(1, size);
	return r->bufs[r->n++];
}

static inline void fake_ram_free(struct fake_ram *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->bufs[i]);
	memset(r, 0, sizeof(*r));
}

static inline int fake_ram_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct fake_ram *r = ctx;

	r->reads++;
	for (size_t i = 0; i < r->n; i++)
		if (pa >= r->segs[i].start && pa - r->segs[i].start <= r->segs[i].size &&
		    len <= r->segs[i].size - (pa - r->segs[i].start)) {
			memcpy(buf, r->bufs[i] + (pa - r->segs[i].start), len);
			return 0;
		}
	return -EFAULT;
}

static inline const void *fake_ram_view(void *ctx, uint64_t pa, size_t len)
{
	struct fake_ram *r = ctx;

	for (size_t i = 0; i < r->n; i++)
		if (pa >= r->segs[i].start && pa - r->segs[i].start <= r->segs[i].size &&
		    len <= r->segs[i].size - (pa - r->segs[i].start))
			return r->bufs[i] + (pa - r->segs[i].start);
	return NULL;
}

static inline struct xv_phys_src fake_ram_src(struct fake_ram *r, int with_view)
{
	struct xv_phys_src s = {.segs = r->segs, .nsegs = r->n, .read = fake_ram_read,
				.view = with_view ? fake_ram_view : NULL, .ctx = r};
	return s;
}

/* Guest-virtual memory: one buffer at a base address. */
struct fake_vm {
	uint64_t base;
	uint8_t *buf;
	size_t size;
};

static inline int fake_vm_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	struct fake_vm *m = ctx;

	if (va < m->base || va - m->base > m->size || len > m->size - (va - m->base))
		return -EFAULT;
	memcpy(buf, m->buf + (va - m->base), len);
	return 0;
}

#endif
