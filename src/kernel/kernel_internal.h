/* kernel_internal.h — the kernel-model object shared by discovery, typed access and the walkers. */
#ifndef XV_KERNEL_INTERNAL_H
#define XV_KERNEL_INTERNAL_H

#include <stdint.h>

#include "kernel/kallsyms.h"
#include "kernel/vmcoreinfo.h"
#include "xvids/kernel.h"

struct xv_pathcache;

struct xv_root {
	char name[48];
	char type[48];
	uint64_t addr;
};

#define XV_MAX_ROOTS 32

struct xv_kernel {
	struct xv_mem *mem;
	struct xv_vat *vat;
	struct xv_vmci *vmci;
	struct xv_kallsyms *ks;
	struct xv_kallsyms *sysmap;
	struct btf *btf;
	struct xv_kernel_info info;
	uint64_t kimage_voffset;   /* aarch64: kernel image va - pa */
	uint64_t phys_base;        /* x86-64 */
	uint64_t kernel_va_lo;     /* lowest canonical kernel-half address */
	uint64_t image_lo, image_hi; /* kernel image (_stext .. _end or an estimate), virtual */
	uint64_t rodata_lo, rodata_hi; /* where .BTF lives: _etext .. __init_begin when known */
	uint64_t data_lo, data_hi;     /* where init_task may live (static data) */
	struct xv_root roots[XV_MAX_ROOTS];
	unsigned nroots;
	struct xv_pathcache *paths;
	char release[65], uts_version[65], uts_machine[65], nodename[65];
	char how_vmci[160], how_pgd[160], how_kaslr[160], how_ks[160], how_btf[224], how_init[160];
	char paging[96];
};

/* Physical address of a kernel-image virtual address, and back. */
uint64_t xv_kernel_image_pa(const struct xv_kernel *k, uint64_t va);
/* Image virtual address of a physical address inside the kernel image. */
uint64_t xv_kernel_image_va(const struct xv_kernel *k, uint64_t pa);

/* How the vmcoreinfo/btf scanners see this kernel's guest RAM. */
void xv_kernel_phys_src(struct xv_kernel *k, struct xv_phys_src *src);

/* Path cache (obj.c). */
void xv_pathcache_free(struct xv_pathcache *pc);

/* Find and validate init_task (init_task.c). */
int xv_kernel_find_init_task(struct xv_kernel *k);

#endif
