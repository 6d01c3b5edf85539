/* vmcoreinfo.h — parse the kernel's VMCOREINFO text and find it in guest physical memory. */
#ifndef XV_KERNEL_VMCOREINFO_H
#define XV_KERNEL_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "xvids/mem.h"

/*
 * VMCOREINFO is the text the kernel writes for crash tools: one "KEY=VALUE\n" per line, e.g.
 *   OSRELEASE=6.1.0-13-cloud-arm64      PAGESIZE=4096
 *   SYMBOL(swapper_pg_dir)=ffff80000a1c2000   (hex, no 0x)
 *   OFFSET(list_head.next)=0  SIZE(page)=64  LENGTH(mem_section)=1024   (decimal)
 *   NUMBER(phys_base)=-1073741824 (decimal, may be negative)  NUMBER(kimage_voffset)=0xffff7fff... (hex)
 *   KERNELOFFSET=2a600000 (hex, no 0x)   CRASHTIME=1700000000   BUILD-ID=<40 hex digits>
 *
 * Parsing is bounded: at most XV_VMCI_MAX_TEXT bytes, lines up to XV_VMCI_MAX_LINE bytes; lines
 * without '=' or with a key that is not printable ASCII are skipped (counted in xv_vmci_garbage).
 * Duplicate keys: the LAST occurrence wins, because the kernel only appends (CRASHTIME is appended
 * again at every crash_save_vmcoreinfo()), so a later line is the more recent value.
 */
#define XV_VMCI_MAX_TEXT 65536u /* 64 KiB */
#define XV_VMCI_MAX_LINE 1024u
#define XV_VMCI_MAX_KEYS 4096u

struct xv_vmci;

/* Parse text[0..len) (stops at the first NUL). NULL+errno (EINVAL with message) when nothing
 * parses at all or len exceeds XV_VMCI_MAX_TEXT (E2BIG). Keeps its own copy of the text. */
struct xv_vmci *xv_vmci_parse(const char *text, size_t len);
void xv_vmci_free(struct xv_vmci *v);

/* Value of a full key ("OSRELEASE", "SYMBOL(swapper_pg_dir)", "NUMBER(VA_BITS)"), or NULL. */
const char *xv_vmci_get(const struct xv_vmci *v, const char *key);

/*
 * Numeric value of a key. Hex when the key is SYMBOL(...) or KERNELOFFSET or the value starts with
 * 0x; decimal otherwise; a leading '-' is allowed (the result is the two's complement, so
 * NUMBER(phys_base) can be added as a u64). -ENOENT if missing, -EINVAL if not a number (whole
 * value must parse), -ERANGE if it does not fit 64 bits.
 */
int xv_vmci_u64(const struct xv_vmci *v, const char *key, uint64_t *out);
int xv_vmci_s64(const struct xv_vmci *v, const char *key, int64_t *out);

/* Shorthands: SYMBOL(name), NUMBER(name), OFFSET(type.field), SIZE(type). */
int xv_vmci_symbol(const struct xv_vmci *v, const char *name, uint64_t *addr);
int xv_vmci_number(const struct xv_vmci *v, const char *name, int64_t *out);
int xv_vmci_offset(const struct xv_vmci *v, const char *type, const char *field, uint64_t *out);
int xv_vmci_size(const struct xv_vmci *v, const char *type, uint64_t *out);

/* Iteration in text order (duplicates included). Returns -ENOENT past the end. */
size_t xv_vmci_count(const struct xv_vmci *v);
int xv_vmci_entry(const struct xv_vmci *v, size_t i, const char **key, const char **value);
/* Lines that were skipped as garbage. */
size_t xv_vmci_garbage(const struct xv_vmci *v);
/* The parsed text (NUL-terminated copy, truncated at the first NUL of the input). */
const char *xv_vmci_text(const struct xv_vmci *v, size_t *len);

/*
 * Essential keys present: OSRELEASE (a real release "D.D..."), PAGESIZE (power of two, 4K..64K),
 * and SYMBOL(swapper_pg_dir) or SYMBOL(init_top_pgt). Returns 0 or -ENOENT/-EINVAL with a message
 * naming the first missing key.
 */
int xv_vmci_check(const struct xv_vmci *v);

/* ---- guest physical memory source (shared with btfscan) ---- */

/* Copy len bytes at guest-physical pa; 0 or -errno, never a partial read. */
typedef int (*xv_phys_read_fn)(void *ctx, uint64_t pa, void *buf, size_t len);
/* Direct pointer to [pa, pa+len) if it is contiguous host memory, else NULL. Optional. */
typedef const void *(*xv_phys_view_fn)(void *ctx, uint64_t pa, size_t len);

/* How the scanners see guest RAM. Fill from xv_mem: segs = xv_mem_segs(), view = a wrapper over
 * xv_mem_view(), read = a wrapper over xv_mem_read(). view may be NULL (reads in 4 MiB chunks). */
struct xv_phys_src {
	const struct xv_mem_seg *segs;
	size_t nsegs;
	xv_phys_read_fn read;
	xv_phys_view_fn view;
	void *ctx;
	/* Optional: told which guest-physical window [pa, pa + bytes) a scan has just gone through,
	 * so that the owner can give those pages back at once (xv_mem_trim_range) and a scan of all
	 * RAM never has more than one window resident. */
	void (*scanned)(void *ctx, uint64_t pa, size_t bytes);
};

/* Fill src to scan a memory source (segments, xv_mem_read, xv_mem_view); mem must outlive src. */
void xv_phys_src_from_mem(struct xv_phys_src *src, struct xv_mem *mem);

/* Called for every occurrence of a needle: pa of the match and a pointer to the bytes there, of
 * which avail (>= needle length) are contiguous. Return 0 to go on, > 0 to stop, < 0 to abort. */
typedef int (*xv_phys_hit_fn)(void *arg, uint64_t pa, const uint8_t *p, size_t avail);

/*
 * Scan the ranges [lo, hi) of every segment (lo=0, hi=UINT64_MAX: everything) for needle, in
 * ascending address order; matches never straddle segments. key is the index of the needle byte
 * to memchr() for (pick the rarest one). Returns the hit callback's positive stop value, 0 when
 * the scan finished, or -errno.
 */
int xv_phys_scan(const struct xv_phys_src *src, uint64_t lo, uint64_t hi, const void *needle,
		 size_t nlen, size_t key, xv_phys_hit_fn hit, void *arg);

/* Read up to max bytes at pa, stopping early at the end of the segment; returns bytes read
 * (>= 0) into buf, or -errno if pa is not in any segment. */
long xv_phys_read_upto(const struct xv_phys_src *src, uint64_t pa, void *buf, size_t max);

/* ---- finding the VMCOREINFO text in guest RAM ---- */

enum xv_vmci_where {
	XV_VMCI_IN_NOTE = 1, /* preceded by an ELF note header named "VMCOREINFO" (vmcoreinfo_note) */
	XV_VMCI_PAGE = 2,    /* starts a page (the vmcoreinfo_data buffer) */
	XV_VMCI_OTHER = 3,   /* elsewhere (copies, stale buffers) */
};

struct xv_vmci_cand {
	uint64_t pa;        /* guest-physical address of "OSRELEASE=" */
	size_t len;         /* text length */
	size_t nkeys;       /* entries parsed */
	int complete;       /* xv_vmci_check() passed and KERNELOFFSET present */
	enum xv_vmci_where where;
	unsigned copies;    /* identical texts found at other addresses (deduplicated) */
	char *text;         /* NUL-terminated copy (owned by the result) */
	uint64_t hash;      /* of the text, to merge copies cheaply */
};

struct xv_vmci_scan {
	struct xv_vmci_cand *cands; /* best first (see xv_vmci_find) */
	size_t ncands;
	size_t decoys;              /* "OSRELEASE=" hits not followed by a release (e.g. "%s") */
	size_t distinct_complete;   /* > 1 means stale complete copies exist (e.g. a previous boot) */
	size_t nested;              /* page-probe hits inside an earlier text (skipped) */
	size_t dropped;             /* distinct texts beyond XV_VMCI_MAX_CANDS (not kept) */
};

/* At most this many distinct texts are kept (each up to XV_VMCI_MAX_TEXT bytes). */
#define XV_VMCI_MAX_CANDS 256u

/*
 * Scan all of guest RAM for VMCOREINFO texts. A hit is "OSRELEASE=" followed by a release
 * (digit '.' digit ...); the text runs to the first NUL, the first non-text byte or
 * XV_VMCI_MAX_TEXT, cut back to the last complete line. Identical texts are merged. A hit that
 * lies inside the text of an earlier hit is skipped (work stays linear in RAM size whatever the
 * guest writes).
 * A candidate is complete when xv_vmci_check() passes and KERNELOFFSET is present (the arch
 * lines are written last on x86-64 and arm64, so a cut copy lacks them).
 * Ranking (best first): complete before incomplete; then more keys (stale copies are often cut);
 * then found inside the ELF note, then page-aligned, then elsewhere; then lower address.
 * Returns 0 (ncands may be 0) or -errno. Free with xv_vmci_scan_free().
 */
int xv_vmci_scan_all(const struct xv_phys_src *src, struct xv_vmci_scan *out);
/* The same, looking only where the kernel puts its own copies: page offset 0 (vmcoreinfo_data)
 * and 24 (the text inside vmcoreinfo_note). Touches one cache line per page instead of all RAM. */
int xv_vmci_scan_pages(const struct xv_phys_src *src, struct xv_vmci_scan *out);
void xv_vmci_scan_free(struct xv_vmci_scan *s);

/* Optional judge for several complete candidates (e.g. "does init_uts_ns at SYMBOL(init_uts_ns)
 * hold OSRELEASE?"): return 0 to accept, < 0 to reject. */
typedef int (*xv_vmci_judge_fn)(void *arg, const struct xv_vmci *v, uint64_t pa);

/*
 * Find the best VMCOREINFO: the first candidate in ranking order that is complete and that judge
 * (if not NULL) accepts. Fast path first (xv_vmci_scan_pages): taken when the judge accepts a
 * candidate there, or, without a judge, when exactly one distinct complete text is there;
 * otherwise the full scan (xv_vmci_scan_all) decides. On success *text (malloc'd, NUL-terminated, caller frees), *len and *pa
 * (each optional) are set. -ENOENT with a message (how many hits/decoys/incomplete) otherwise.
 */
int xv_vmci_find(const struct xv_phys_src *src, xv_vmci_judge_fn judge, void *judge_arg, char **text,
		 size_t *len, uint64_t *pa);

#endif
