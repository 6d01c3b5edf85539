/* mem.h — guest-physical memory sources: raw RAM files, QEMU ELF dumps, live QEMU over QMP. */
#ifndef XVIDS_MEM_H
#define XVIDS_MEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * A memory source is a set of guest-physical segments. Nothing above this layer knows which kind
 * of source it is. Sources never write guest memory: files are opened O_RDONLY and mapped
 * PROT_READ; live QEMU is read with process_vm_readv.
 */
struct xv_mem;

struct xv_mem_seg {
	uint64_t start; /* guest-physical address */
	uint64_t size;  /* bytes */
};

/* What the source itself knows about the guest (dumps carry this; RAM files do not). */
enum xv_mem_arch { XV_MEM_ARCH_UNKNOWN = 0, XV_MEM_ARCH_AARCH64, XV_MEM_ARCH_X86_64 };

struct xv_mem_opts {
	int pause; /* qmp: stop the guest while reading (xv_mem_pause/resume); 0 = read live */
};

/*
 * Open a source from a spec:
 *   ram:PATH@BASE  raw guest-physical RAM starting at BASE (hex, 0x optional)
 *   dump:PATH      QEMU dump-guest-memory ELF core (paging or not; VMCOREINFO note optional)
 *   qmp:PATH       live QEMU via its QMP unix socket
 * opts may be NULL. Returns 0 or -errno with a message (xv_errmsg) naming what is wrong.
 */
int xv_mem_open(const char *spec, const struct xv_mem_opts *opts, struct xv_mem **out);

/* A source over caller-owned buffers (tests, fuzzers). The buffers must outlive the source. */
int xv_mem_open_buffers(const struct xv_mem_seg *segs, const void *const *bufs, size_t n,
			struct xv_mem **out);

void xv_mem_close(struct xv_mem *mem);

/* Copy len bytes at guest-physical pa. -EFAULT (message names the address) if any byte is
 * outside every segment; never a partial success. */
int xv_mem_read(struct xv_mem *mem, uint64_t pa, void *buf, size_t len);
/* The same, for a scan that passes over much memory once: on file-backed sources (ram:, dump:,
 * qmp: RAM files) the bytes are pread() from the file, so the pages never enter this process's
 * resident set; elsewhere it is xv_mem_read(). */
int xv_mem_read_cold(struct xv_mem *mem, uint64_t pa, void *buf, size_t len);

/* Zero-copy view of [pa, pa+len) when it lies inside one mapped segment, else NULL. */
const void *xv_mem_view(struct xv_mem *mem, uint64_t pa, size_t len);

size_t xv_mem_nsegs(const struct xv_mem *mem);
const struct xv_mem_seg *xv_mem_segs(const struct xv_mem *mem);

/* Total bytes of guest RAM covered by segments. */
uint64_t xv_mem_size(const struct xv_mem *mem);

/* The dump's VMCOREINFO note text (not NUL-terminated) if the source has one, else NULL. */
const char *xv_mem_vmcoreinfo(const struct xv_mem *mem, size_t *len);

/* Architecture if the source knows it (ELF e_machine, QMP query-target), else UNKNOWN. */
enum xv_mem_arch xv_mem_arch(const struct xv_mem *mem);

/* Short human description: "ram file /x (96 MiB at 0x40000000)", "ELF dump /y (3 segments)". */
const char *xv_mem_describe(const struct xv_mem *mem);

/* Live sources: pause/resume the guest (QMP stop/cont). No-ops returning 0 for files. */
int xv_mem_pause(struct xv_mem *mem);
int xv_mem_resume(struct xv_mem *mem);

/* Drop this process's mappings of guest pages (file-backed sources; no-op otherwise). Reads still
 * work: they fault the pages back in. A long-running reader calls it after a scan of all RAM
 * (kernel discovery does) so that its resident set stays small. */
int xv_mem_trim(struct xv_mem *mem);
/* The same for the guest-physical range [pa, pa + len) only: a scan calls it on each window it
 * has just gone through, so that at most one window of guest pages is ever resident. */
int xv_mem_trim_range(struct xv_mem *mem, uint64_t pa, uint64_t len);

/* Live sources: re-read the layout after a guest reboot. No-op for files. */
int xv_mem_refresh(struct xv_mem *mem);

#endif
