/* kernel.h — the kernel model: found from the guest alone (VMCOREINFO, page tables, kallsyms, BTF). */
#ifndef XVIDS_KERNEL_H
#define XVIDS_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "xvids/mem.h"
#include "xvids/vat.h"

struct btf;
struct xv_kernel;

struct xv_kernel_opts {
	const char *btf_path;   /* --btf FILE: use this BTF instead of carving it from RAM */
	const char *system_map; /* --system-map FILE: symbols instead of (or besides) kallsyms */
	const char *vmcoreinfo_path; /* --vmcoreinfo FILE: this boot's VMCOREINFO text, for a guest
				      * whose memory has none (a kernel without CRASH_CORE) */
};

/*
 * Discover the kernel in mem: VMCOREINFO (dump note or RAM scan) → architecture, page-table root,
 * KASLR offset → kallsyms → vmlinux BTF → init_task (validated search). Each step records how it
 * was done for `xvids info`. On failure the message says what is missing and which option helps.
 * The kernel model borrows mem; close the kernel before the memory source.
 */
int xv_kernel_open(struct xv_mem *mem, const struct xv_kernel_opts *opts, struct xv_kernel **out);
void xv_kernel_close(struct xv_kernel *k);

struct xv_kernel_info {
	enum xv_arch arch;
	const char *arch_name;    /* "aarch64", "x86_64" */
	const char *release;      /* OSRELEASE */
	const char *uts_version;  /* init_uts_ns.name.version ("" if unreadable) */
	const char *uts_machine;  /* init_uts_ns.name.machine */
	const char *nodename;     /* init_uts_ns.name.nodename */
	uint64_t kaslr_offset;
	uint64_t pgd;             /* physical address of the kernel's top-level page table */
	const char *paging;       /* e.g. "x86-64 5-level" */
	size_t btf_types;
	size_t nsyms;
	uint64_t init_task;       /* virtual address */
	uint64_t vmcoreinfo_pa;   /* where the VMCOREINFO text was found (0 = dump note) */
	/* How each fact was found, one phrase each, for `xvids info`. */
	const char *how_vmcoreinfo, *how_pgd, *how_kaslr, *how_kallsyms, *how_btf, *how_init_task;
};

const struct xv_kernel_info *xv_kernel_info(const struct xv_kernel *k);

/* Guest-virtual reads (kernel address space). All or nothing; -EFAULT names the address. */
int xv_kernel_read(struct xv_kernel *k, uint64_t va, void *buf, size_t len);
int xv_kernel_read_u64(struct xv_kernel *k, uint64_t va, uint64_t *out);
int xv_kernel_read_u32(struct xv_kernel *k, uint64_t va, uint32_t *out);
/* Read a NUL-terminated string of at most size-1 bytes; always terminates buf. A string that
 * reaches size-1 without a NUL is truncated, not an error. */
int xv_kernel_read_str(struct xv_kernel *k, uint64_t va, char *buf, size_t size);

/* Symbols: kallsyms (text), System.map, VMCOREINFO SYMBOL(), and data roots found by discovery
 * (init_task, init_uts_ns, modules, ...). */
int xv_kernel_symbol(struct xv_kernel *k, const char *name, uint64_t *addr);
/* The struct type of a data root ("init_task" → "task_struct"), NULL if unknown. */
const char *xv_kernel_symbol_type(struct xv_kernel *k, const char *name);
/* Name of the text symbol containing addr, NULL if none; *off gets addr - start. */
const char *xv_kernel_addr_name(struct xv_kernel *k, uint64_t addr, uint64_t *off);

/* VMCOREINFO value by key ("OSRELEASE", "SYMBOL(_stext)"), NULL if absent. */
const char *xv_kernel_vmcoreinfo(struct xv_kernel *k, const char *key);

/* Record a data root found by a later walk (e.g. the module list head), for eval and checks. */
int xv_kernel_add_root(struct xv_kernel *k, const char *name, const char *type, uint64_t addr);

const struct btf *xv_kernel_btf(const struct xv_kernel *k);
struct xv_vat *xv_kernel_vat(struct xv_kernel *k);
struct xv_mem *xv_kernel_mem(struct xv_kernel *k);

/* Is va inside the kernel image / in the module area? (for validating guest pointers) */
int xv_kernel_is_kernel_addr(const struct xv_kernel *k, uint64_t va);

#endif
