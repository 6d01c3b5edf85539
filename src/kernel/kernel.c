/* kernel.c — kernel discovery from the guest alone: VMCOREINFO → paging → kallsyms → BTF → init_task. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "kernel/btfscan.h"
#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "util/memtrace.h"
#include "xvids/err.h"

#define X86_START_KERNEL_MAP 0xffffffff80000000ULL
/* How far past _stext the kernel image (text, rodata, data, bss) may reach: generous, since only
 * used to bound scans and to sanity-check pointers to static data. */
#define XV_IMAGE_SPAN (96ULL << 20)

/* Told of each window a scan has gone through. Discovery's scans pread() (rd_phys) and map
 * nothing, but a scan through a view would fault every page of the window into our mapping: give
 * it back at once, so that at most one window (256 KiB) would stay resident. The bytes stay
 * valid: a dropped page faults back in from the page cache. */
static void scan_account(void *ctx, uint64_t pa, size_t len)
{
	struct xv_kernel *k = ctx;

	xv_mem_trim_range(k->mem, pa, len);
}

/* Scans read guest RAM once, sequentially: pread() it (file-backed sources) rather than fault it
 * into our mapping, so that discovery's resident set does not grow with what it scans. */
static int rd_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct xv_kernel *k = ctx;

	return xv_mem_read_cold(k->mem, pa, buf, len);
}

static int rd_virt(void *ctx, uint64_t va, void *buf, size_t len)
{
	return xv_vat_read(ctx, va, buf, len);
}

void xv_kernel_phys_src(struct xv_kernel *k, struct xv_phys_src *src)
{
	src->segs = xv_mem_segs(k->mem);
	src->nsegs = xv_mem_nsegs(k->mem);
	src->read = rd_phys;
	src->view = NULL; /* a view would be mapped, page by page, into our resident set */
	src->scanned = scan_account;
	src->ctx = k;
}

uint64_t xv_kernel_image_va(const struct xv_kernel *k, uint64_t pa)
{
	if (k->info.arch == XV_ARCH_AARCH64)
		return pa + k->kimage_voffset;
	return pa - k->phys_base + X86_START_KERNEL_MAP;
}

uint64_t xv_kernel_image_pa(const struct xv_kernel *k, uint64_t va)
{
	if (k->info.arch == XV_ARCH_AARCH64)
		return va - k->kimage_voffset;
	return va - X86_START_KERNEL_MAP + k->phys_base;
}

/* Work out the architecture and the kernel's page-table root from one VMCOREINFO text, and build
 * a translator. Used both to judge candidate texts and for the one finally chosen. */
static int setup_paging(struct xv_kernel *k, const struct xv_vmci *v)
{
	struct xv_vat_params p = { 0 };
	uint64_t sym, val;
	int64_t num;
	enum xv_mem_arch hint = xv_mem_arch(k->mem);

	if (k->vat) {
		xv_vat_free(k->vat);
		k->vat = NULL;
	}
	if (xv_vmci_symbol(v, "init_top_pgt", &sym) == 0) {
		if (hint == XV_MEM_ARCH_AARCH64)
			return xv_err(EINVAL, "VMCOREINFO describes an x86-64 kernel but the dump is AArch64");
		p.arch = XV_ARCH_X86_64;
		if (xv_vmci_number(v, "phys_base", &num) < 0)
			return xv_err(ENOENT, "VMCOREINFO has SYMBOL(init_top_pgt) but no NUMBER(phys_base)");
		k->phys_base = (uint64_t)num;
		p.root = sym - X86_START_KERNEL_MAP + k->phys_base;
		p.levels = (xv_vmci_number(v, "pgtable_l5_enabled", &num) == 0 && num == 1) ? 5 : 4;
		k->kernel_va_lo = p.levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
		snprintf(k->how_pgd, sizeof(k->how_pgd),
			 "SYMBOL(init_top_pgt) - __START_KERNEL_map + NUMBER(phys_base)");
	} else if (xv_vmci_symbol(v, "swapper_pg_dir", &sym) == 0) {
		if (hint == XV_MEM_ARCH_X86_64)
			return xv_err(EINVAL, "VMCOREINFO describes an AArch64 kernel but the dump is x86-64");
		p.arch = XV_ARCH_AARCH64;
		if (xv_vmci_u64(v, "NUMBER(kimage_voffset)", &val) < 0)
			return xv_err(ENOENT, "VMCOREINFO has SYMBOL(swapper_pg_dir) but no "
					      "NUMBER(kimage_voffset); not an AArch64 kernel xvids knows");
		k->kimage_voffset = val;
		p.root = sym - k->kimage_voffset;
		if (xv_vmci_number(v, "TCR_EL1_T1SZ", &num) == 0 && num >= 12 && num <= 48)
			p.va_bits = (unsigned)(64 - num);
		else if (xv_vmci_number(v, "VA_BITS", &num) == 0 && num > 0 && num <= 64)
			p.va_bits = (unsigned)num;
		else
			return xv_err(ENOENT, "VMCOREINFO has neither NUMBER(TCR_EL1_T1SZ) nor "
					      "NUMBER(VA_BITS): cannot tell the AArch64 VA size");
		if (xv_vmci_u64(v, "PAGESIZE", &val) == 0 && val != 4096)
			return xv_err(ENOTSUP, "the guest kernel uses %" PRIu64 "-byte pages; xvids "
					       "supports the 4K granule only", val);
		p.granule = 4096;
		k->kernel_va_lo = ~0ULL << p.va_bits;
		snprintf(k->how_pgd, sizeof(k->how_pgd),
			 "SYMBOL(swapper_pg_dir) - NUMBER(kimage_voffset)");
	} else {
		return xv_err(ENOENT, "VMCOREINFO names neither swapper_pg_dir (AArch64) nor "
				      "init_top_pgt (x86-64)");
	}
	k->info.arch = p.arch;
	k->info.arch_name = p.arch == XV_ARCH_AARCH64 ? "aarch64" : "x86_64";
	k->info.pgd = p.root;
	k->vat = xv_vat_new(k->mem, &p);
	if (!k->vat)
		return -errno;
	return 0;
}

/* Read init_uts_ns and check that it holds the release VMCOREINFO claims: proves the page-table
 * root, the translation and the text all belong to the running kernel (stale copies fail). */
static int check_uts(struct xv_kernel *k, const struct xv_vmci *v)
{
	const char *rel = xv_vmci_get(v, "OSRELEASE");
	uint8_t buf[64 + 6 * 65];
	uint64_t uts;
	size_t o;

	if (!rel)
		return xv_err(ENOENT, "VMCOREINFO has no OSRELEASE");
	if (xv_vmci_symbol(v, "init_uts_ns", &uts) < 0)
		return xv_err(ENOENT, "VMCOREINFO has no SYMBOL(init_uts_ns)");
	if (xv_vat_read(k->vat, uts, buf, sizeof(buf)) < 0)
		return xv_err_ctx(EFAULT, "reading init_uts_ns: ");
	/* struct uts_namespace starts with struct new_utsname, possibly after a kref: find "Linux". */
	for (o = 0; o <= 64; o += 4)
		if (memcmp(buf + o, "Linux\0", 6) == 0)
			break;
	if (o > 64)
		return xv_err(EINVAL, "init_uts_ns at 0x%" PRIx64 " does not start with sysname "
				      "\"Linux\": wrong page-table root or not this kernel", uts);
	const char *f = (const char *)buf + o;

	if (strncmp(f + 130, rel, 65) != 0)
		return xv_err(EINVAL, "init_uts_ns says release \"%.64s\" but VMCOREINFO says \"%s\" "
				      "(stale VMCOREINFO copy?)", f + 130, rel);
	snprintf(k->nodename, sizeof(k->nodename), "%.64s", f + 65);
	snprintf(k->release, sizeof(k->release), "%.64s", f + 130);
	snprintf(k->uts_version, sizeof(k->uts_version), "%.64s", f + 195);
	snprintf(k->uts_machine, sizeof(k->uts_machine), "%.64s", f + 260);
	return 0;
}

static int judge_vmci(void *arg, const struct xv_vmci *v, uint64_t pa)
{
	struct xv_kernel *k = arg;

	(void)pa;
	if (setup_paging(k, v) < 0 || check_uts(k, v) < 0) {
		/* Remember why: "found but does not fit" is a different story from "not found". */
		snprintf(k->how_vmci, sizeof(k->how_vmci), "%s", xv_errmsg());
		return -1;
	}
	return 0;
}

/* --vmcoreinfo FILE: the user's copy of this boot's text replaces the search (and the note). */
static int vmcoreinfo_from_file(struct xv_kernel *k, const char *path)
{
	char *text = malloc(XV_VMCI_MAX_TEXT + 1);
	FILE *f;
	size_t len;

	if (!text)
		return xv_err(ENOMEM, "--vmcoreinfo %s: out of memory", path);
	f = fopen(path, "rb");
	if (!f) {
		int e = errno;

		free(text);
		return xv_err(e, "--vmcoreinfo %s: %s", path, strerror(e));
	}
	len = fread(text, 1, XV_VMCI_MAX_TEXT + 1, f);
	fclose(f);
	if (len > XV_VMCI_MAX_TEXT) {
		free(text);
		return xv_err(E2BIG, "--vmcoreinfo %s: longer than %u bytes: not a VMCOREINFO text",
			      path, (unsigned)XV_VMCI_MAX_TEXT);
	}
	k->vmci = xv_vmci_parse(text, len);
	free(text);
	if (!k->vmci || xv_vmci_check(k->vmci) < 0) {
		xv_vmci_free(k->vmci);
		k->vmci = NULL;
		return xv_err(EINVAL, "--vmcoreinfo %s: not a usable VMCOREINFO text (need OSRELEASE, "
				      "PAGESIZE and the architecture's paging numbers)", path);
	}
	if (judge_vmci(k, k->vmci, 0) < 0)
		return xv_err(EINVAL, "--vmcoreinfo %s does not describe the kernel in this memory (%s): "
				      "a text of another boot (KERNELOFFSET) or another guest?",
			      path, k->how_vmci);
	snprintf(k->how_vmci, sizeof(k->how_vmci), "from --vmcoreinfo %s, checked against "
		 "init_uts_ns", path);
	return 0;
}

static int find_vmcoreinfo(struct xv_kernel *k, const struct xv_kernel_opts *o)
{
	size_t len;
	const char *note = xv_mem_vmcoreinfo(k->mem, &len);
	char *text = NULL;
	uint64_t pa = 0;
	int rc;

	if (o && o->vmcoreinfo_path)
		return vmcoreinfo_from_file(k, o->vmcoreinfo_path);
	if (note) {
		k->vmci = xv_vmci_parse(note, len);
		if (k->vmci && xv_vmci_check(k->vmci) == 0 && judge_vmci(k, k->vmci, 0) == 0) {
			snprintf(k->how_vmci, sizeof(k->how_vmci), "VMCOREINFO note of the ELF dump");
			return 0;
		}
		xv_vmci_free(k->vmci);
		k->vmci = NULL;
	}
	struct xv_phys_src src;

	xv_kernel_phys_src(k, &src);
	k->how_vmci[0] = '\0';
	rc = xv_vmci_find(&src, judge_vmci, k, &text, &len, &pa);
	if (rc < 0 && k->how_vmci[0])
		return xv_err(-rc, "found a VMCOREINFO text but not the kernel it describes (%s): wrong "
				   "BASE in ram:PATH@BASE, or memory of another guest?", k->how_vmci);
	if (rc < 0)
		return xv_err_ctx(-rc, "no Linux kernel found (no VMCOREINFO text in guest memory: is "
				       "this Linux, is the RAM BASE right? A kernel without CRASH_CORE "
				       "needs --vmcoreinfo FILE): ");
	k->vmci = xv_vmci_parse(text, len);
	free(text);
	if (!k->vmci)
		return -errno;
	k->info.vmcoreinfo_pa = pa;
	snprintf(k->how_vmci, sizeof(k->how_vmci),
		 "text found in guest RAM at 0x%" PRIx64 ", checked against init_uts_ns", pa);
	return judge_vmci(k, k->vmci, pa);
}

/* A System.map has link-time addresses (nm vmlinux); a copy of /proc/kallsyms has this boot's.
 * _stext in VMCOREINFO tells which, and catches a map of another kernel build. */
static int sysmap_relocate(struct xv_kernel *k, const char *path)
{
	uint64_t run, map;

	if (xv_kallsyms_lookup(k->sysmap, "_stext", &map) < 0)
		return xv_err(EINVAL, "--system-map %s has no _stext: not the System.map of a kernel "
				      "(Debian's /boot/System.map-* is a placeholder; the real one is in "
				      "the linux-image-*-dbg package)", path);
	if (xv_vmci_symbol(k->vmci, "_stext", &run) < 0)
		return xv_err(ENOENT, "--system-map %s: VMCOREINFO has no SYMBOL(_stext) to place "
				      "it with", path);
	if (run == map)
		return 0;
	if (run - map != k->info.kaslr_offset)
		return xv_err(EINVAL, "--system-map %s does not fit this kernel: its _stext is "
				      "0x%" PRIx64 ", the guest's 0x%" PRIx64 " (KASLR offset 0x%" PRIx64
				      "): a map of another build?", path, map, run, k->info.kaslr_offset);
	xv_kallsyms_relocate(k->sysmap, run - map);
	return 0;
}

static int load_symbols(struct xv_kernel *k, const struct xv_kernel_opts *o)
{
	struct xv_kallsyms_addrs a;
	struct xv_kallsyms_opts ko = { 0 };
	int rc;

	if (o && o->system_map) {
		rc = xv_kallsyms_load_sysmap(o->system_map, &k->sysmap);
		if (rc < 0)
			return xv_err_ctx(-rc, "--system-map %s: ", o->system_map);
		rc = sysmap_relocate(k, o->system_map);
		if (rc < 0)
			return rc;
	}
	xv_vmci_symbol(k->vmci, "_stext", &ko.stext);
	rc = xv_kallsyms_addrs_from_vmci(k->vmci, &a);
	if (rc == 0)
		rc = xv_kallsyms_load(rd_virt, k->vat, &a, &ko, &k->ks);
	if (rc == 0) {
		k->info.nsyms = xv_kallsyms_count(k->ks);
		snprintf(k->how_ks, sizeof(k->how_ks),
			 "decoded from the guest's kallsyms tables (SYMBOL(kallsyms_*) in VMCOREINFO)%s",
			 xv_kallsyms_abs_percpu(k->ks) ? ", absolute per-cpu encoding" : "");
		return 0;
	}
	if (k->sysmap) {
		k->info.nsyms = xv_kallsyms_count(k->sysmap);
		snprintf(k->how_ks, sizeof(k->how_ks), "from --system-map (guest kallsyms: %s)",
			 xv_errmsg());
		return 0;
	}
	return xv_err_ctx(-rc, "kernel symbols unavailable (pass --system-map FILE): ");
}

static const void *view_buf(void *ctx, uint64_t off, size_t len)
{
	const struct xv_mem_seg *seg = ctx; /* start: the buffer's address, size: its length */

	if (off > seg->size || len > seg->size - off)
		return NULL;
	return (const uint8_t *)(uintptr_t)seg->start + off;
}

/* --btf FILE: libbpf loaded all of it; keep the compacted copy only, as for a carved one. */
static int compact_loaded(struct xv_kernel *k)
{
	struct xv_btf_compacted cb;
	struct xv_mem_seg seg;
	struct xv_phys_src src = { 0 };
	uint32_t sz = 0;
	const void *raw = btf__raw_data(k->btf, &sz);
	int rc;

	if (!raw)
		return 0; /* keep it whole */
	seg.start = (uint64_t)(uintptr_t)raw;
	seg.size = sz;
	src.view = view_buf;
	src.ctx = &seg;
	rc = xv_btf_compact(&src, 0, sz, &cb);
	if (rc < 0) {
		xv_err_clear();
		return 0; /* libbpf took it; only the saving is lost */
	}
	btf__free(k->btf);
	k->btf = cb.btf;
	return 0;
}

static int load_btf(struct xv_kernel *k, const struct xv_kernel_opts *o)
{
	struct xv_btfscan_opts so = { .image_lo = xv_kernel_image_pa(k, k->rodata_lo),
				      .image_hi = xv_kernel_image_pa(k, k->rodata_hi),
				      .stop_early = 1 };
	struct xv_btfscan_result res = { 0 };
	struct xv_phys_src src;
	char desc[160];
	int rc;

	if (o && o->btf_path) {
		rc = xv_btf_load_file(o->btf_path, &k->btf);
		if (rc < 0)
			return xv_err_ctx(-rc, "--btf %s: ", o->btf_path);
		snprintf(k->how_btf, sizeof(k->how_btf), "from --btf %s", o->btf_path);
		k->info.btf_types = btf__type_cnt(k->btf) - 1;
		return compact_loaded(k);
	}
	xv_kernel_phys_src(k, &src);
	rc = xv_btfscan_find(&src, &so, &res);
	if (rc < 0) {
		xv_btfscan_result_free(&res);
		return xv_err_ctx(-rc, "no usable vmlinux BTF in guest memory (kernel without "
				       "CONFIG_DEBUG_INFO_BTF? pass --btf FILE): ");
	}
	xv_btf_describe(&res, desc, sizeof(desc));
	k->btf = res.btf;
	res.btf = NULL;
	snprintf(k->how_btf, sizeof(k->how_btf), "carved from RAM (%s): %s",
		 res.full_scan ? "whole RAM scanned" : "kernel rodata scanned", desc);
	k->info.btf_types = res.ntypes;
	xv_btfscan_result_free(&res);
	return 0;
}

/* Narrow the ranges that discovery scans, so that a cold run touches a few MiB of guest RAM rather
 * than all of it: .BTF is read-only data between _etext and __init_begin on both architectures;
 * init_task is in .data, before __init_begin on x86-64 and after it on arm64. */
static void image_ranges(struct xv_kernel *k, uint64_t stext)
{
	uint64_t etext = 0, init_begin = 0;

	xv_kernel_symbol(k, "_etext", &etext);
	xv_kernel_symbol(k, "__init_begin", &init_begin);
	xv_err_clear();
	if (etext <= stext || etext >= k->image_hi)
		etext = stext;
	if (init_begin <= etext || init_begin >= k->image_hi)
		init_begin = 0;
	k->rodata_lo = etext;
	k->rodata_hi = init_begin ? init_begin : k->image_hi;
	k->data_lo = etext;
	k->data_hi = init_begin ? init_begin + (64ULL << 20) : k->image_hi;
	if (k->data_hi > k->image_hi)
		k->data_hi = k->image_hi;
}

/* Before the symbol table is loaded: .BTF follows .rodata, which holds the kallsyms tables
 * (RO_DATA in the kernel's linker script, on both architectures), so it lies between the lowest
 * of their addresses in VMCOREINFO and the end of the image. 0 if VMCOREINFO names none. */
static int btf_range_early(struct xv_kernel *k, uint64_t stext)
{
	static const char *const tables[] = {
		"kallsyms_offsets", "kallsyms_relative_base", "kallsyms_num_syms", "kallsyms_names",
		"kallsyms_token_table", "kallsyms_token_index", "kallsyms_addresses",
	};
	uint64_t lo = 0, a;

	for (size_t i = 0; i < XV_ARRAY_SIZE(tables); i++)
		if (xv_vmci_symbol(k->vmci, tables[i], &a) == 0 && a > stext && a < k->image_hi &&
		    (!lo || a < lo))
			lo = a;
	if (!lo)
		return 0;
	k->rodata_lo = lo;
	k->rodata_hi = k->image_hi;
	return 1;
}

static int add_root_sym(struct xv_kernel *k, const char *name, const char *type)
{
	uint64_t a;

	if (xv_vmci_symbol(k->vmci, name, &a) == 0)
		return xv_kernel_add_root(k, name, type, a);
	return 0;
}

int xv_kernel_open(struct xv_mem *mem, const struct xv_kernel_opts *o, struct xv_kernel **out)
{
	struct xv_kernel *k = calloc(1, sizeof(*k));
	uint64_t v;
	int rc;

	*out = NULL;
	if (!k)
		return xv_err(ENOMEM, "out of memory");
	k->mem = mem;
	xv_memtrace("open");
	rc = find_vmcoreinfo(k, o);
	if (rc < 0)
		goto fail;
	xv_memtrace("vmcoreinfo");
	k->info.release = k->release;
	k->info.uts_version = k->uts_version;
	k->info.uts_machine = k->uts_machine;
	k->info.nodename = k->nodename;
	if (xv_vmci_u64(k->vmci, "KERNELOFFSET", &v) == 0) {
		k->info.kaslr_offset = v;
		snprintf(k->how_kaslr, sizeof(k->how_kaslr), "KERNELOFFSET in VMCOREINFO");
	} else {
		snprintf(k->how_kaslr, sizeof(k->how_kaslr), "not in VMCOREINFO (KASLR off?)");
	}
	snprintf(k->paging, sizeof(k->paging), "%s", xv_vat_describe(k->vat));
	if (xv_vmci_symbol(k->vmci, "_stext", &v) < 0) {
		rc = xv_err(ENOENT, "VMCOREINFO has no SYMBOL(_stext)");
		goto fail;
	}
	/* _text is at most 2 MiB below _stext on both architectures. */
	k->image_lo = v - (2ULL << 20);
	k->image_hi = v + XV_IMAGE_SPAN;
	/* BTF first when VMCOREINFO bounds its scan: its carving is the peak of discovery (the
	 * compacted copy and libbpf's copy of it), and the symbol table is not resident yet. */
	if (btf_range_early(k, v)) {
		rc = load_btf(k, o);
		if (rc < 0)
			goto fail;
		xv_memtrace("btf");
	}
	rc = load_symbols(k, o);
	if (rc < 0)
		goto fail;
	/* The tables were read through our mapping of guest RAM: give those pages back. */
	xv_mem_trim(mem);
	xv_memtrace("kallsyms");
	image_ranges(k, v);
	if (!k->btf) {
		rc = load_btf(k, o);
		if (rc < 0)
			goto fail;
		xv_memtrace("btf");
	}
	add_root_sym(k, "init_uts_ns", "uts_namespace");
	rc = xv_kernel_find_init_task(k);
	if (rc < 0)
		goto fail;
	xv_memtrace("init_task");
	k->info.paging = k->paging;
	k->info.how_vmcoreinfo = k->how_vmci;
	k->info.how_pgd = k->how_pgd;
	k->info.how_kaslr = k->how_kaslr;
	k->info.how_kallsyms = k->how_ks;
	k->info.how_btf = k->how_btf;
	k->info.how_init_task = k->how_init;
	/* Discovery may have scanned all of RAM: keep only what later reads touch resident. */
	xv_mem_trim(mem);
	xv_memtrace("opened");
	*out = k;
	return 0;
fail:
	xv_kernel_close(k);
	return rc;
}

void xv_kernel_close(struct xv_kernel *k)
{
	if (!k)
		return;
	xv_pathcache_free(k->paths);
	if (k->btf)
		btf__free(k->btf);
	xv_kallsyms_free(k->ks);
	xv_kallsyms_free(k->sysmap);
	xv_vmci_free(k->vmci);
	xv_vat_free(k->vat);
	free(k);
}

const struct xv_kernel_info *xv_kernel_info(const struct xv_kernel *k)
{
	return &k->info;
}

int xv_kernel_read(struct xv_kernel *k, uint64_t va, void *buf, size_t len)
{
	return xv_vat_read(k->vat, va, buf, len);
}

int xv_kernel_read_u64(struct xv_kernel *k, uint64_t va, uint64_t *out)
{
	uint8_t b[8];
	int rc = xv_vat_read(k->vat, va, b, 8);

	if (rc == 0)
		*out = xv_le64(b);
	return rc;
}

int xv_kernel_read_u32(struct xv_kernel *k, uint64_t va, uint32_t *out)
{
	uint8_t b[4];
	int rc = xv_vat_read(k->vat, va, b, 4);

	if (rc == 0)
		*out = xv_le32(b);
	return rc;
}

int xv_kernel_read_str(struct xv_kernel *k, uint64_t va, char *buf, size_t size)
{
	size_t got = 0;

	if (size == 0)
		return xv_err(EINVAL, "empty string buffer");
	/* Read up to the end of each page so that a short string near an unmapped page works. */
	while (got + 1 < size) {
		size_t chunk = 4096 - ((va + got) & 4095);

		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		int rc = xv_vat_read(k->vat, va + got, buf + got, chunk);

		if (rc < 0) {
			buf[got] = '\0';
			return rc;
		}
		void *nul = memchr(buf + got, '\0', chunk);

		if (nul)
			return 0;
		got += chunk;
	}
	buf[size - 1] = '\0';
	return 0;
}

int xv_kernel_add_root(struct xv_kernel *k, const char *name, const char *type, uint64_t addr)
{
	for (unsigned i = 0; i < k->nroots; i++)
		if (strcmp(k->roots[i].name, name) == 0) {
			k->roots[i].addr = addr;
			return 0;
		}
	if (k->nroots >= XV_MAX_ROOTS)
		return xv_err(ENOSPC, "too many data roots");
	struct xv_root *r = &k->roots[k->nroots++];

	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->type, sizeof(r->type), "%s", type ? type : "");
	r->addr = addr;
	return 0;
}

int xv_kernel_symbol(struct xv_kernel *k, const char *name, uint64_t *addr)
{
	for (unsigned i = 0; i < k->nroots; i++)
		if (strcmp(k->roots[i].name, name) == 0) {
			*addr = k->roots[i].addr;
			return 0;
		}
	if (k->ks && xv_kallsyms_lookup(k->ks, name, addr) == 0)
		return 0;
	if (k->sysmap && xv_kallsyms_lookup(k->sysmap, name, addr) == 0)
		return 0;
	if (xv_vmci_symbol(k->vmci, name, addr) == 0)
		return 0;
	return xv_err(ENOENT, "symbol '%s' not found", name);
}

const char *xv_kernel_symbol_type(struct xv_kernel *k, const char *name)
{
	for (unsigned i = 0; i < k->nroots; i++)
		if (strcmp(k->roots[i].name, name) == 0 && k->roots[i].type[0])
			return k->roots[i].type;
	return NULL;
}

const char *xv_kernel_addr_name(struct xv_kernel *k, uint64_t addr, uint64_t *off)
{
	const char *n = NULL;

	if (k->ks)
		n = xv_kallsyms_addr2name(k->ks, addr, off);
	if (!n && k->sysmap)
		n = xv_kallsyms_addr2name(k->sysmap, addr, off);
	return n;
}

const char *xv_kernel_vmcoreinfo(struct xv_kernel *k, const char *key)
{
	return xv_vmci_get(k->vmci, key);
}

const struct btf *xv_kernel_btf(const struct xv_kernel *k)
{
	return k->btf;
}

struct xv_vat *xv_kernel_vat(struct xv_kernel *k)
{
	return k->vat;
}

struct xv_mem *xv_kernel_mem(struct xv_kernel *k)
{
	return k->mem;
}

int xv_kernel_is_kernel_addr(const struct xv_kernel *k, uint64_t va)
{
	return va >= k->kernel_va_lo && va != ~0ULL;
}
