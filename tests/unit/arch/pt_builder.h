/* pt_builder.h — tiny guest-RAM buffer with a page allocator, for building synthetic page tables. */
#ifndef XV_TEST_PT_BUILDER_H
#define XV_TEST_PT_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

struct fake_ram {
	uint64_t base, size, next;
	uint8_t *buf;
};

static inline void fr_init(struct fake_ram *r, uint64_t base, uint64_t size)
{
	r->base = base;
	r->size = size;
	r->next = base;
	r->buf = calloc(1, size);
}

/* A fresh zeroed 4 KiB page (a table or data page) inside the RAM. */
static inline uint64_t fr_page(struct fake_ram *r)
{
	uint64_t pa = r->next;

	r->next += 4096;
	if (r->next > r->base + r->size)
		abort();
	return pa;
}

static inline void fr_put64(struct fake_ram *r, uint64_t pa, uint64_t v)
{
	if (pa < r->base || pa + 8 > r->base + r->size)
		abort();
	xv_put_le64(r->buf + (pa - r->base), v);
}

static inline void fr_set_entry(struct fake_ram *r, uint64_t table, unsigned idx, uint64_t v)
{
	fr_put64(r, table + idx * 8ull, v);
}

static inline uint8_t *fr_ptr(struct fake_ram *r, uint64_t pa)
{
	return r->buf + (pa - r->base);
}

#endif
