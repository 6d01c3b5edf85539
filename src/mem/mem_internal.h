/* mem_internal.h — the memory-source object shared by the ram:, dump:, qmp: and buffer back ends. */
#ifndef XV_MEM_INTERNAL_H
#define XV_MEM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xvids/mem.h"

/* A source never holds more segments than this after merging (and never takes more than MAX_RAW
 * before): more is a hostile or broken layout. Paging dumps repeat RAM once per virtual mapping. */
#define XV_MEM_MAX_SEGS 65536
#define XV_MEM_MAX_RAW (1 << 20)

enum xv_mem_backing {
	XV_SEG_MAPPED, /* bytes at data (an mmap or a caller buffer) */
	XV_SEG_PROCESS /* bytes in another process at hva, read with process_vm_readv */
};

struct xv_mem_part {
	uint64_t start, size;
	enum xv_mem_backing backing;
	const uint8_t *data;
	uint64_t hva;
	/* File-backed XV_SEG_MAPPED parts: the file's descriptor and the start of its whole-file
	 * mapping (data - fmap is the file offset), so that xv_mem_read_cold() can pread() instead
	 * of faulting pages in. fmap NULL: not a file (caller buffers). */
	const uint8_t *fmap;
	int fd;
};

/* Back-end hooks; any may be NULL. */
struct xv_mem_ops {
	void (*close)(struct xv_mem *mem);
	int (*pause)(struct xv_mem *mem);
	int (*resume)(struct xv_mem *mem);
	int (*refresh)(struct xv_mem *mem);
};

struct xv_mem {
	struct xv_mem_part *parts; /* sorted by start, disjoint */
	struct xv_mem_seg *segs;   /* public mirror of parts */
	size_t n, cap;
	pid_t pid;                 /* XV_SEG_PROCESS target */
	enum xv_mem_arch arch;
	const char *vmcoreinfo;
	size_t vmcoreinfo_len;
	char desc[320];
	const struct xv_mem_ops *ops;
	void *priv;
	uint64_t nreads;           /* xv_mem_read calls so far (see XV_MEM_COLD_READS) */
};

/* xv_mem_read pread()s file-backed parts for a source's first this many reads, then copies from
 * the mapping (mem.c says why). One command stays below it (mchk on a 96 MB guest: ~10,000). */
#define XV_MEM_COLD_READS 32768

struct xv_mem *xv_mem_alloc(void);

/* Append a segment (any order); xv_mem_finish sorts and rejects overlaps. */
int xv_mem_add(struct xv_mem *mem, const struct xv_mem_part *part);
int xv_mem_finish(struct xv_mem *mem);

/* Forget all segments (refresh rebuilds them). */
void xv_mem_reset_segs(struct xv_mem *mem);

int xv_mem_open_ram(const char *arg, struct xv_mem *mem);
int xv_mem_open_dump(const char *arg, struct xv_mem *mem);
int xv_mem_open_qmp(const char *arg, const struct xv_mem_opts *opts, struct xv_mem *mem);

/* Parse an ELF64 core image (the bytes must outlive mem); name is used in messages. */
int xv_mem_parse_elf(struct xv_mem *mem, const uint8_t *buf, size_t len, const char *name);

/* A whole file mapped read-only, and its descriptor (kept open for pread). */
struct xv_mem_file {
	const uint8_t *base;
	size_t len;
	int fd;
};

/* Map a whole file read-only (see mem.c for where the mapping is placed, and why); f->fd stays
 * open. Shared by ram:, dump: and the RAM files of qmp:. xv_mem_unmap_file undoes it (any
 * number of times). */
int xv_mem_map_file(const char *path, struct xv_mem_file *f);
int xv_mem_map_fd(int fd, const char *path, struct xv_mem_file *f);
void xv_mem_unmap_file(struct xv_mem_file *f);

#endif
