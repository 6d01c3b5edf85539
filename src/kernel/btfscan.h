/* btfscan.h — find the vmlinux BTF in guest physical memory (carving), or load it from a file. */
#ifndef XV_KERNEL_BTFSCAN_H
#define XV_KERNEL_BTFSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/vmcoreinfo.h" /* struct xv_phys_src */

struct btf;

/*
 * Guest RAM holds several BTF blobs: the vmlinux one (inside the kernel image's .BTF section),
 * module BTFs (split BTF: not loadable on their own), and stale partial copies from boot. Each
 * header hit (magic 0xeB9F little-endian, version 1, flags 0, sane section offsets) becomes a
 * candidate; candidates are checked with libbpf's btf__new() and then for vmlinux markers:
 * >= XV_BTF_MIN_TYPES types, struct task_struct with member "tasks", struct module, struct
 * list_head. Bounds: a blob is at most XV_BTF_MAX_SIZE bytes; at most XV_BTF_MAX_CANDS
 * candidates and XV_BTF_BUDGET bytes in all are handed to libbpf (the rest are counted as
 * skipped), so a guest planting fake headers cannot make the scan slow.
 * libbpf's own warnings are silenced during the scan (libbpf_set_print is global; not
 * thread-safe against other libbpf users at that moment).
 */
#define XV_BTF_MAX_SIZE (64u << 20)
#define XV_BTF_MIN_TYPES 1000u
#define XV_BTF_MAX_CANDS 128u
#define XV_BTF_BUDGET (256ull << 20)

enum xv_btf_verdict {
	XV_BTF_CHOSEN = 0,     /* the vmlinux BTF returned */
	XV_BTF_ALSO_VMLINUX,   /* valid vmlinux BTF, but another one was preferred */
	XV_BTF_NOT_VMLINUX,    /* valid BTF without the vmlinux markers */
	XV_BTF_REJECTED,       /* libbpf refused it (module/split BTF, partial copy, garbage) */
	XV_BTF_TRUNCATED,      /* header claims bytes past the end of guest RAM */
};

struct xv_btf_cand {
	uint64_t pa;
	uint32_t size;   /* header + sections, as the header claims */
	uint32_t ntypes; /* for valid ones */
	enum xv_btf_verdict verdict;
	char why[96];    /* one line for `xvids info` */
};

struct xv_btfscan_opts {
	/* Guest-physical range of the kernel image if known (from VMCOREINFO: _stext, kimage_voffset
	 * / phys_base). It is scanned first; if it holds a vmlinux BTF the rest of RAM is not scanned
	 * (the fast path), and candidates inside it are preferred. 0,0 = unknown. */
	uint64_t image_lo, image_hi;
	/* Stop at the first valid vmlinux BTF inside the image range: the image holds exactly one
	 * .BTF section, so the rest of the scan only feeds the candidate report. Faster; the
	 * candidates list then covers RAM up to that point only. */
	int stop_early;
};

struct xv_btfscan_result {
	struct btf *btf;      /* owned by the result until taken (set to NULL); compacted */
	uint64_t pa;          /* where it was found */
	uint32_t size;        /* its size in guest RAM */
	uint32_t ntypes;      /* types in guest RAM (btf holds only the kept ones, renumbered) */
	uint32_t kept_size;   /* bytes of the compacted copy */
	int full_scan;        /* 1 if all of RAM was scanned, 0 if the image range sufficed */
	struct xv_btf_cand *cands; /* every candidate examined, in address order */
	size_t ncands;
	size_t nrejected;     /* candidates that are not the chosen one, any reason */
	size_t skipped;       /* header hits beyond XV_BTF_MAX_CANDS or with insane headers */
};

/* Scan guest RAM; opts may be NULL. 0 with res->btf set, or -ENOENT with a message that sums up
 * the candidates (res->cands stays valid for reporting either way). Always call
 * xv_btfscan_result_free(). */
int xv_btfscan_find(const struct xv_phys_src *src, const struct xv_btfscan_opts *opts,
		    struct xv_btfscan_result *res);
void xv_btfscan_result_free(struct xv_btfscan_result *res);

/* Check an already loaded BTF for the vmlinux markers. 0, or -ENOENT with a message (and the same
 * text in why, if given) naming the first missing marker. */
int xv_btf_check_vmlinux(const struct btf *btf, char *why, size_t whylen);

/* Load from a file: raw BTF (/sys/kernel/btf/vmlinux) or an ELF with a .BTF section (vmlinux).
 * Also checks the vmlinux markers. -errno with a message. */
int xv_btf_load_file(const char *path, struct btf **out);

/*
 * Copy the BTF blob at guest-physical [pa, pa + size) without the records xvids never reads
 * (FUNC, FUNC_PROTO, VAR, DATASEC, DECL_TAG) and the strings only they name; the other types are
 * renumbered in order and references to dropped ones become void (btfcompact.c says why). The
 * blob is read through a 64 KiB window, never mapped whole; every record, type id and name
 * offset is checked. 0 with res->btf (a libbpf object of the compacted copy), or -errno with a
 * message; libbpf's own warnings are silenced.
 */
struct xv_btf_compacted {
	struct btf *btf;
	uint32_t ntypes; /* in the blob */
	uint32_t nkept;  /* in btf */
	uint32_t size;   /* bytes of the compacted copy */
};
int xv_btf_compact(const struct xv_phys_src *src, uint64_t pa, uint32_t size,
		   struct xv_btf_compacted *res);

/* Short description: "vmlinux BTF, 126611 types, 5.3 MiB at 0x41a2c000". */
const char *xv_btf_describe(const struct xv_btfscan_result *res, char *buf, size_t len);

#endif
