/* fuzz_fs.c — the file-system walkers of src/fs over a mutated x86-64 memory image: open (root of
 * PID 1, mounts from the list or rb-tree), readdir, the recursive walk, lookup with symlinks and
 * "..", inode decoding, readlink, and file contents through the page-cache XArray and mem_section.
 * Input: mode byte, u16 init_task offset, u16 mem_section offset, u8 path length + path, u32 read
 * offset, u16 read length, [BTF overrides], [mem_section description], image (RAM from PA 0,
 * seen through a 1 GiB direct map at DM). Layouts: fuzz/kbtf_fs.h; seeds: corpus-gen/gen_fs.c. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kbtf_fs.h"
#include "kernel/kernel_internal.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/vat.h"

#define DM 0xffff888000000000ull
#define IMG_MAX (256u << 10)
#define FILE_MAX 65536 /* files hashed and read whole by the walk */
#define WALK_MAX 4096  /* callbacks per input: the walk's own bounds are far larger */

enum { M_BTF = 1, M_611 = 2, M_MEMSEC = 4, M_FOLLOW = 8 };

static uint32_t next_u16(void *arg)
{
	struct fz *f = arg;
	uint32_t v = fz_u8(f);

	return v | (uint32_t)fz_u8(f) << 8;
}

struct wctx {
	unsigned visits;
	uint8_t buf[FILE_MAX];
};

static void use_node(struct xv_fs *fs, const struct xv_fs_node *n, const struct xv_fs_stat *st,
		     struct wctx *w)
{
	char link[4096], hex[65];
	struct xv_fs_readinfo ri;
	uint8_t *data;
	size_t len;

	if (st->type == XV_FT_LNK) {
		int lrc = xv_fs_readlink(fs, n, link, sizeof(link));

#ifdef FUZZ_FS_TRACE
		fprintf(stderr, "  -> %d '%s'\n", lrc, link);
#endif
		if (lrc == 0 && strnlen(link, sizeof(link)) >= sizeof(link))
			abort(); /* promised: always NUL-terminated inside the buffer */
	} else if (st->type == XV_FT_REG && st->size <= FILE_MAX) {
		int hrc = xv_fs_sha256(fs, n, hex, &ri);

#ifdef FUZZ_FS_TRACE
		fprintf(stderr, "  sha256 %d %s %s\n", hrc, hex, hrc ? xv_errmsg() : "");
#else
		(void)hrc;
#endif
		if (xv_fs_read_all(fs, n, FILE_MAX, &data, &len, &ri) == 0) {
			if (len > st->size)
				abort();
			free(data);
		}
	}
	xv_err_clear();
	(void)w;
}

static int walk_cb(struct xv_fs *fs, const char *path, const struct xv_fs_node *n,
		   const struct xv_fs_stat *st, void *ctx)
{
	struct wctx *w = ctx;

#ifdef FUZZ_FS_TRACE
	fprintf(stderr, "walk %s type %d size %" PRIu64 " mode %o %s\n", path, st->type, st->size,
		st->mode, st->fstype);
#endif
	if (!path || path[0] != '/')
		abort();
	if (++w->visits > WALK_MAX)
		return -1;
	use_node(fs, n, st, w);
	return 0;
}

static void walk_err(struct xv_fs *fs, const char *path, int rc, const char *msg, void *ctx)
{
	(void)fs, (void)ctx;
	if (!path || !msg || rc >= 0)
		abort(); /* an error report carries a path, a message and a negative errno */
}

static int dir_cb(struct xv_fs *fs, const char *name, const struct xv_fs_node *child, void *ctx)
{
	unsigned *n = ctx;

	(void)fs, (void)child;
	if (!name[0] || strlen(name) > XV_FS_NAME_MAX || strchr(name, '/'))
		abort(); /* readdir promises checked names */
	return ++*n > WALK_MAX;
}

/* The mem_section description pagemap.c reads from VMCOREINFO. */
static struct xv_vmci *vmcoreinfo(struct fz *f, uint8_t mode, uint64_t ms)
{
	unsigned ssb = 27, maxphys = 46, psize = 64, ms_size = 16, map_off = 0;
	uint64_t nroots = 2048; /* SPARSEMEM_EXTREME: 256 sections per root */
	char text[512];
	int n;

	if (mode & M_MEMSEC) {
		ssb = fz_u8(f);
		maxphys = fz_u8(f);
		psize = fz_u8(f);
		nroots = fz_u32(f);
		ms_size = fz_u8(f);
		map_off = fz_u8(f);
	}
	n = snprintf(text, sizeof(text),
		     "PAGESIZE=4096\nSYMBOL(mem_section)=%" PRIx64 "\nLENGTH(mem_section)=%" PRIu64
		     "\nSIZE(mem_section)=%u\nOFFSET(mem_section.section_mem_map)=%u\n"
		     "NUMBER(SECTION_SIZE_BITS)=%u\nNUMBER(MAX_PHYSMEM_BITS)=%u\nSIZE(page)=%u\n",
		     ms, nroots, ms_size, map_off, ssb, maxphys, psize);
	return xv_vmci_parse(text, (size_t)n);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static struct wctx w;
	struct fz f;
	uint8_t mode, plen;
	uint64_t init_task, ms;
	char path[260];
	uint32_t roff, rlen;
	size_t len;
	const uint8_t *img;

	fz_init(&f, data, size);
	mode = fz_u8(&f);
	init_task = DM + next_u16(&f);
	ms = DM + next_u16(&f);
	plen = fz_u8(&f);
	path[0] = '/';
	for (unsigned i = 0; i < plen; i++) /* path has room for 255 bytes after the '/' */
		path[1 + i] = (char)fz_u8(&f);
	path[1 + plen] = '\0';
	roff = fz_u32(&f);
	rlen = next_u16(&f);
	/* The two default BTFs (no overrides) and their compiled field paths are built once; an
	 * input with overrides gets its own, freed at the end. */
	static struct btf *dflt_btf[2];
	static struct xv_pathcache *dflt_paths[2];
	int v = (mode & M_611) != 0;
	const struct kstruct *tab = v ? kbtf_fs611 : kbtf_fs61;
	size_t ntab = v ? sizeof(kbtf_fs611) / sizeof(*tab) : sizeof(kbtf_fs61) / sizeof(*tab);
	struct btf *btf;

	if (mode & M_BTF) {
		btf = kbtf_build_tab(tab, ntab, next_u16, &f);
	} else {
		if (!dflt_btf[v])
			dflt_btf[v] = kbtf_build_tab(tab, ntab, NULL, NULL);
		btf = dflt_btf[v];
	}
	if (!btf)
		return 0;
	struct xv_vmci *vmci = vmcoreinfo(&f, mode, ms);

	img = fz_rest(&f, &len);
	if (len > IMG_MAX)
		len = IMG_MAX;
	/* RAM: image, zero padding up to 64 KiB, then the PML4 and PDPT pages. */
	size_t ramsz = ((len > 65536 ? len : 65536) + 4095) & ~(size_t)4095, total;
	uint8_t *ram = fz_ram(img, len, ramsz + 8192, &total);
	uint64_t pml4 = ramsz, pdpt = ramsz + 4096;

	xv_put_le64(ram + pml4 + 273 * 8, pdpt | 3);
	xv_put_le64(ram + pdpt, 0x83); /* 1 GiB page at PA 0 */
	struct xv_mem_seg seg = { 0, ramsz + 8192 };
	const void *bufs[1] = { ram };
	struct xv_mem *mem = NULL;
	struct xv_kernel k;
	struct xv_fs *fs = NULL;

	memset(&k, 0, sizeof(k));
	if (xv_mem_open_buffers(&seg, bufs, 1, &mem) < 0)
		goto out;
	struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = pml4, .levels = 4 };

	k.mem = mem;
	k.vat = xv_vat_new(mem, &p);
	if (!k.vat)
		goto out;
	k.info.arch = XV_ARCH_X86_64;
	k.info.init_task = init_task;
	k.kernel_va_lo = 0xffff800000000000ull;
	k.image_lo = DM;
	k.image_hi = DM + 0x1000;
	k.btf = btf;
	k.paths = btf == dflt_btf[v] ? dflt_paths[v] : NULL;
	k.vmci = vmci;
#ifdef FUZZ_FS_TRACE
	if (xv_fs_open(&k, &fs) < 0)
		fprintf(stderr, "open: %s\n", xv_errmsg());
#else
	xv_fs_open(&k, &fs);
#endif
	if (fs) {
		struct xv_fs_node n;
		struct xv_fs_stat st;
		unsigned nd = 0;

		xv_fs_describe(fs);
		w.visits = 0;
		xv_fs_walk(fs, "/", walk_cb, walk_err, &w);
		xv_err_clear();
		if (xv_fs_lookup(fs, "/", 0, &n) == 0)
			xv_fs_readdir(fs, &n, dir_cb, &nd);
		xv_err_clear();
		int lrc = xv_fs_lookup(fs, path, (mode & M_FOLLOW) != 0, &n);

#ifdef FUZZ_FS_TRACE
		fprintf(stderr, "lookup %s: %d %s\n", path, lrc, lrc ? xv_errmsg() : "");
#endif
		if (lrc == 0 && xv_fs_stat(fs, &n, &st) == 0) {
			struct xv_fs_readinfo ri;
			size_t got = 0;

			use_node(fs, &n, &st, &w);
			if (rlen > sizeof(w.buf))
				rlen = sizeof(w.buf);
			int prc = xv_fs_pread(fs, &n, roff, w.buf, rlen, &got, &ri);

#ifdef FUZZ_FS_TRACE
			fprintf(stderr, "pread %u+%u: %d got %zu resident %" PRIu64 " holes %" PRIu64
				" missing %" PRIu64 " %s\n", roff, rlen, prc, got, ri.resident, ri.holes,
				ri.missing, prc ? xv_errmsg() : "");
#endif
			if (prc == 0 && got > rlen)
				abort();
		}
		xv_err_clear();
		xv_fs_close(fs);
	}
	xv_err_clear();
out:
	if (btf == dflt_btf[v])
		dflt_paths[v] = k.paths;
	else
		xv_pathcache_free(k.paths);
	xv_vat_free(k.vat);
	xv_mem_close(mem);
	xv_vmci_free(vmci);
	if (btf != dflt_btf[v])
		btf__free(btf);
	return 0;
}
