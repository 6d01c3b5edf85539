/* kallsyms.h — the kernel symbol table: decoded from the guest's compressed kallsyms, or System.map. */
#ifndef XV_KERNEL_KALLSYMS_H
#define XV_KERNEL_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct xv_vmci;

/* Copy len bytes at guest-virtual va; 0 or -errno, all or nothing (e.g. over xv_vat_read). */
#ifndef XV_READ_FN_DEFINED
#define XV_READ_FN_DEFINED
typedef int (*xv_read_fn)(void *ctx, uint64_t va, void *buf, size_t len);
#endif

/*
 * Where the kernel's kallsyms tables live (guest-virtual). Linux >= 6.0 exports them in
 * VMCOREINFO as SYMBOL(kallsyms_*). Either offsets + relative_base (CONFIG_KALLSYMS_BASE_RELATIVE,
 * the default on 64-bit) or addresses must be set. markers is never exported and not needed.
 */
struct xv_kallsyms_addrs {
	uint64_t num_syms;      /* u32 (unsigned long on old kernels: low 32 bits read) */
	uint64_t names;         /* compressed names: [len][token codes], len 1 or 2 bytes */
	uint64_t token_table;   /* 256 NUL-terminated tokens */
	uint64_t token_index;   /* u16[256] offsets into token_table */
	uint64_t offsets;       /* s32[num_syms], or 0 */
	uint64_t relative_base; /* u64 */
	uint64_t addresses;     /* u64[num_syms] if not base-relative, or 0 */
};

/* CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86-64 SMP before 6.11): offsets >= 0 are absolute addresses
 * (per-cpu symbols), negative ones are relative_base - 1 - offset. */
enum xv_ks_percpu {
	XV_KS_PERCPU_AUTO = 0, /* decide: the encoding whose addresses come out sorted, then _stext */
	XV_KS_PERCPU_ABSOLUTE,
	XV_KS_PERCPU_RELATIVE,
};

struct xv_kallsyms_opts {
	enum xv_ks_percpu percpu;
	uint64_t stext; /* SYMBOL(_stext) from VMCOREINFO, 0 = unknown; when set, "_stext" must decode
			 * to exactly this address or loading fails (catches wrong tables/encoding) */
};

/* Hostile-input bounds. */
#define XV_KS_MAX_SYMS (1u << 21)
#define XV_KS_MAX_NAME 511u            /* KSYM_NAME_LEN - 1 in Linux 6.1 */
#define XV_KS_MAX_NAMES_BYTES (64u << 20)

struct xv_kallsyms;

struct xv_ksym {
	const char *name; /* valid while the table lives */
	uint64_t addr;
	char type;        /* 'T', 't', 'D', ... ('?' if unknown) */
};

/* Fill a from VMCOREINFO SYMBOL(kallsyms_*) entries. -ENOENT naming the first missing one. */
int xv_kallsyms_addrs_from_vmci(const struct xv_vmci *v, struct xv_kallsyms_addrs *a);

/*
 * Decode the guest's kallsyms through read. opts may be NULL. Every count, index and length is
 * bounded (see XV_KS_*): a bad table is an error with a message saying what is wrong, never a
 * crash. The result is sorted by address.
 */
int xv_kallsyms_load(xv_read_fn read, void *ctx, const struct xv_kallsyms_addrs *a,
		     const struct xv_kallsyms_opts *opts, struct xv_kallsyms **out);

/* System.map ("ffffffff81000000 T _stext" per line); malformed lines are skipped and counted
 * (xv_kallsyms_skipped); -EINVAL if no line parses. */
int xv_kallsyms_parse_sysmap(const char *text, size_t len, struct xv_kallsyms **out);
int xv_kallsyms_load_sysmap(const char *path, struct xv_kallsyms **out);
/* Add delta to every kernel-half address (top bit set): a System.map holds link-time addresses,
 * the running kernel's are KASLR-shifted. Per-cpu offsets (x86-64: small values) stay. */
void xv_kallsyms_relocate(struct xv_kallsyms *ks, uint64_t delta);

void xv_kallsyms_free(struct xv_kallsyms *ks);

size_t xv_kallsyms_count(const struct xv_kallsyms *ks);
/* i-th symbol in address order (ties keep table order). -ENOENT past the end. */
int xv_kallsyms_get(const struct xv_kallsyms *ks, size_t i, struct xv_ksym *sym);

/* Address of name (hash lookup). Several symbols with one name (static functions): the lowest
 * address. -ENOENT if absent. type (optional) receives the type char. */
int xv_kallsyms_lookup(const struct xv_kallsyms *ks, const char *name, uint64_t *addr);
int xv_kallsyms_lookup_sym(const struct xv_kallsyms *ks, const char *name, struct xv_ksym *sym);

/*
 * The symbol at or before addr, *off = addr - symbol address. NULL (errno ENOENT) if addr is below
 * the first symbol or more than XV_KS_TAIL bytes past the last one (nothing says how big the
 * last symbol is). Note a text-only table (no CONFIG_KALLSYMS_ALL) names the preceding function
 * for data addresses: check ranges (_stext.._etext) before trusting a name.
 */
#define XV_KS_TAIL 0x10000u
const char *xv_kallsyms_addr2name(const struct xv_kallsyms *ks, uint64_t addr, uint64_t *off);
/* Same, returning the index of the symbol (for xv_kallsyms_get) or -ENOENT. */
long xv_kallsyms_addr2idx(const struct xv_kallsyms *ks, uint64_t addr);

/* Malformed System.map lines skipped; for kallsyms: 1 if the absolute-percpu encoding was used. */
size_t xv_kallsyms_skipped(const struct xv_kallsyms *ks);
int xv_kallsyms_abs_percpu(const struct xv_kallsyms *ks);

#endif
