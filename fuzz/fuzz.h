/* fuzz.h — small helpers shared by the libFuzzer targets: a byte cursor over the input, RAM buffers. */
#ifndef XV_FUZZ_H
#define XV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

/* The libFuzzer entry point; the regression tests compile the same file under another name. */
#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Reads past the end yield zeros, so every input is a complete (possibly silly) description. */
struct fz {
	const uint8_t *p;
	size_t n, pos;
};

static inline void fz_init(struct fz *f, const uint8_t *p, size_t n)
{
	f->p = p;
	f->n = n;
	f->pos = 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	return f->pos < f->n ? f->p[f->pos++] : 0;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)fz_u8(f) << (8 * i);
	return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t lo = fz_u32(f);

	return lo | (uint64_t)fz_u32(f) << 32;
}

static inline const uint8_t *fz_rest(struct fz *f, size_t *len)
{
	*len = f->n - f->pos;
	return f->p + f->pos;
}

/*
 * Guest RAM for one input: a copy of data, zero-filled up to a page multiple of at least min
 * bytes (page tables want whole pages). One arena serves every input: allocating and faulting in
 * up to a MiB per input (ASan maps large blocks afresh) cost more than most walks. The arena
 * past the returned size is poisoned, so a read beyond the RAM still stops ASan as it would at
 * the end of a malloc'd block. The harness may write (page tables) anywhere below *size; the
 * buffer is valid until the next call.
 */
#include <sanitizer/asan_interface.h>

#define FZ_ARENA (2u << 20)

static inline uint8_t *fz_ram(const uint8_t *data, size_t len, size_t min, size_t *size)
{
	static uint8_t *arena;
	static size_t open; /* bytes usable (unpoisoned, possibly dirty) since the previous input */
	size_t sz = len > min ? len : min;

	sz = (sz + 4095) & ~(size_t)4095;
	if (!arena) {
		if (!(arena = calloc(1, FZ_ARENA)))
			abort();
		ASAN_POISON_MEMORY_REGION(arena, FZ_ARENA);
	}
	if (sz > FZ_ARENA)
		abort(); /* harnesses cap their RAM below the arena */
	/* Only the boundary moves: (un)poisoning the whole arena per input costs its shadow. */
	if (sz > open)
		ASAN_UNPOISON_MEMORY_REGION(arena + open, sz - open);
	memset(arena + len, 0, (open > len ? open : len) - len);
	if (sz < open)
		ASAN_POISON_MEMORY_REGION(arena + sz, open - sz);
	memcpy(arena, data, len);
	open = sz;
	*size = sz;
	return arena;
}


#endif
