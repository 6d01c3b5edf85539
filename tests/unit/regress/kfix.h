/* kfix.h — a tiny x86-64 kernel for the regression tests: 72 KiB of RAM, a 1 GiB direct map at
 * DM (PML4 slot 273, one 1 GiB page), and a BTF the test chooses. */
#ifndef XV_TEST_KFIX_H
#define XV_TEST_KFIX_H

#include <stdint.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "xvids/obj.h"
#include "xvids/vat.h"

#define DM 0xffff888000000000ull

struct kfix {
	uint8_t ram[0x12000];
	struct xv_mem *mem;
	struct xv_kernel k;
};

static inline struct kfix *kfix_new(struct btf *btf)
{
	struct kfix *f = calloc(1, sizeof(*f));
	struct xv_mem_seg seg = { 0, sizeof(f->ram) };
	const void *bufs[1] = { f->ram };
	struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = 0x10000, .levels = 4 };

	assert_non_null(f);
	xv_put_le64(f->ram + 0x10000 + 273 * 8, 0x11000 | 3);
	xv_put_le64(f->ram + 0x11000, 0x83);
	assert_int_equal(xv_mem_open_buffers(&seg, bufs, 1, &f->mem), 0);
	f->k.mem = f->mem;
	f->k.vat = xv_vat_new(f->mem, &p);
	assert_non_null(f->k.vat);
	f->k.info.arch = XV_ARCH_X86_64;
	f->k.kernel_va_lo = 0xffff800000000000ull;
	f->k.btf = btf;
	return f;
}

static inline void kfix_free(struct kfix *f)
{
	xv_pathcache_free(f->k.paths);
	btf__free(f->k.btf);
	xv_vat_free(f->k.vat);
	xv_mem_close(f->mem);
	free(f);
}

#endif
