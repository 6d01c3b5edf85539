/* content.c — file contents from the guest's page cache (i_mapping → XArray → struct page → RAM). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "util/bytes.h"
#include "util/sha256.h"
#include "xvids/err.h"

#define PAGE 4096u

static const uint8_t zero_page[PAGE];

static int kread(void *rctx, uint64_t addr, void *buf, size_t len)
{
	return xv_kernel_read(rctx, addr, buf, len);
}

/*
 * The page walker: the file's pages [first, endidx) as runs of consecutive indices of one kind
 * (DATA: struct pages whose physical pages are consecutive too; HOLE; MISSING), so that readers
 * translate and copy a run at a time instead of a page at a time.
 */
enum { RUN_DATA, RUN_HOLE, RUN_MISSING };
typedef int (*run_fn)(uint64_t idx, uint64_t n, int kind, uint64_t pa, void *ctx);

struct pwalk {
	struct xv_fs *fs;
	uint64_t next, endidx; /* next index to produce; end of the wanted range */
	int memfs;
	run_fn fn;
	void *ctx;
	struct xv_fs_readinfo *ri;
	uint64_t r_idx, r_n, r_pa; /* the pending run */
	int r_kind;
};

static int flush(struct pwalk *w)
{
	int rc = 0;

	if (w->r_n)
		rc = w->fn(w->r_idx, w->r_n, w->r_kind, w->r_pa, w->ctx);
	w->r_n = 0;
	return rc;
}

/* n pages from w->next on, of one kind (DATA: physically consecutive from pa). */
static int push(struct pwalk *w, uint64_t n, int kind, uint64_t pa)
{
	int rc;

	if (n == 0)
		return 0;
	w->ri->pages += n;
	if (kind == RUN_DATA)
		w->ri->resident += n; /* until a reader fails to read them */
	else if (kind == RUN_HOLE)
		w->ri->holes += n;
	else
		w->ri->missing += n;
	if (w->r_n && w->r_kind == kind && w->r_idx + w->r_n == w->next &&
	    (kind != RUN_DATA || w->r_pa + w->r_n * PAGE == pa)) {
		w->r_n += n;
	} else {
		if ((rc = flush(w)) != 0)
			return rc;
		w->r_idx = w->next;
		w->r_n = n;
		w->r_kind = kind;
		w->r_pa = pa;
	}
	w->next += n;
	return 0;
}

static int gap(struct pwalk *w, uint64_t upto)
{
	return upto > w->next ? push(w, upto - w->next, w->memfs ? RUN_HOLE : RUN_MISSING, 0) : 0;
}

static int on_entry(uint64_t first, uint64_t count, uint64_t entry, uint64_t entry_first, void *arg)
{
	struct pwalk *w = arg;
	int rc;

	if (first < w->next) { /* part of an entry straddling the start */
		uint64_t skip = w->next - first;

		if (skip >= count)
			return 0;
		first += skip;
		count -= skip;
	}
	if ((rc = gap(w, first)) != 0)
		return rc;
	for (uint64_t i = first; i < first + count && i < w->endidx; i++) {
		uint64_t pa;

		if (entry & 1) { /* value entry: swap or shadow, the data is not in RAM */
			rc = push(w, 1, RUN_MISSING, 0);
		} else if (xv_pagemap_pa(&w->fs->pm, entry + (i - entry_first) * w->fs->pm.page_size,
					 &pa) < 0) {
			xv_err_clear();
			rc = push(w, 1, RUN_MISSING, 0);
		} else {
			rc = push(w, 1, RUN_DATA, pa);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int ensure_pagemap(struct xv_fs *fs)
{
	if (fs->pm_ready)
		return 0;
	int rc = xv_pagemap_init(fs->k, &fs->pm);

	if (rc < 0)
		return rc;
	fs->pm_ready = 1;
	return 0;
}

static int count_entry(uint64_t first, uint64_t count, uint64_t entry, uint64_t entry_first,
		       void *arg)
{
	(void)first;
	(void)entry_first;
	if (!(entry & 1))
		*(uint64_t *)arg += count;
	return 0;
}

/*
 * A memory file system's holes read as zeros, but a hole can also be a page the walk could not
 * see: a slot cleared by corruption (or a hostile guest), a page removed while we read. The
 * kernel counts the mapping's pages (nrpages, under the same lock as the XArray): when the
 * XArray holds fewer pages than that, as many of the range's holes as pages are unaccounted for
 * are counted as missing (the file is partial, never silently short). Only when the range has
 * holes, and only when nrpages did not change meanwhile (a file being written is in flux).
 */
static void check_nrpages(struct xv_fs *fs, const struct xv_xa_geom *g, uint64_t head,
			  uint64_t mapping, uint64_t nrpages, struct xv_fs_readinfo *ri)
{
	uint64_t found = 0, now;

	if (xv_xa_walk(g, kread, fs->k, head, 0, UINT64_MAX, count_entry, &found) < 0 ||
	    xv_kernel_read_u64(fs->k, mapping + fs->l.as_nrpages, &now) < 0) {
		xv_err_clear();
		return;
	}
	if (now != nrpages || found >= nrpages)
		return;
	uint64_t lost = nrpages - found < ri->holes ? nrpages - found : ri->holes;

	ri->holes -= lost;
	ri->missing += lost;
}

/* What a read needs to know of the file, and the byte range [off, end) it covers. */
struct range {
	uint64_t size, off, end;
	uint64_t mapping, head, nrpages;
	int memfs;
};

/* i_size, its plausibility, the range clipped at it, the page cache head. */
static int prepare(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t off, uint64_t len,
		   struct range *r)
{
	struct xv_fs_stat st;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = xv_fs_stat(fs, n, &st)) < 0)
		return rc;
	if ((int64_t)st.size < 0)
		return xv_err(EFBIG, "inode 0x%" PRIx64 ": negative size %" PRId64, n->inode,
			      (int64_t)st.size);
	if (st.size > XV_FS_MAX_SIZE)
		return xv_err(EFBIG, "inode 0x%" PRIx64 ": size %" PRIu64 " is implausible (over %llu)",
			      n->inode, st.size, (unsigned long long)XV_FS_MAX_SIZE);
	r->size = st.size;
	r->off = r->end = off;
	r->nrpages = st.nrpages;
	r->memfs = st.memfs;
	if (off >= st.size || len == 0)
		return 0;
	if ((rc = ensure_pagemap(fs)) < 0)
		return rc;
	if (xv_kernel_read_u64(fs->k, n->inode + fs->l.i_mapping, &r->mapping) < 0 || !r->mapping ||
	    xv_kernel_read_u64(fs->k, r->mapping + fs->l.as_pages_head, &r->head) < 0)
		return xv_err_ctx(EFAULT, "page cache of inode 0x%" PRIx64 ": ", n->inode);
	r->end = len > st.size - off ? st.size : off + len;
	return 0;
}

/* The pages of [r->off, r->end) as runs, in order. */
static int walk_pages(struct xv_fs *fs, const struct xv_fs_node *n, const struct range *r,
		      run_fn fn, void *ctx, struct xv_fs_readinfo *ri)
{
	int rc;

	if (r->end <= r->off)
		return 0;
	struct pwalk w = { .fs = fs, .next = r->off / PAGE, .endidx = (r->end + PAGE - 1) / PAGE,
			   .memfs = r->memfs, .fn = fn, .ctx = ctx, .ri = ri };
	struct xv_xa_geom g = { fs->l.xa_shift, fs->l.xa_slots, fs->l.xa_nslots, 1u << 20 };

	rc = xv_xa_walk(&g, kread, fs->k, r->head, r->off / PAGE, w.endidx, on_entry, &w);
	if (rc == 0)
		rc = gap(&w, w.endidx);
	if (rc == 0)
		rc = flush(&w);
	if (rc < 0)
		return xv_err_ctx(-rc, "contents of inode 0x%" PRIx64 ": ", n->inode);
	if (rc == 0 && r->memfs && ri->holes)
		check_nrpages(fs, &g, r->head, r->mapping, r->nrpages, ri);
	return rc;
}

/* ---- streaming ---- */

struct stream {
	struct xv_fs *fs;
	uint64_t off, end; /* byte range wanted */
	xv_fs_sink sink;
	void *ctx;
	struct xv_fs_readinfo *ri;
	uint8_t tmp[PAGE];
};

/* Emit the part of [idx*PAGE, idx*PAGE + bytes) that lies in [off, end). */
static int emit(struct stream *s, uint64_t idx, uint64_t bytes, const uint8_t *data)
{
	uint64_t pstart = idx * PAGE, a = pstart < s->off ? s->off : pstart;
	uint64_t b = pstart + bytes > s->end ? s->end : pstart + bytes;

	if (a >= b)
		return 0;
	return s->sink(data + (a - pstart), (size_t)(b - a), s->ctx);
}

static int stream_run(uint64_t idx, uint64_t n, int kind, uint64_t pa, void *arg)
{
	struct stream *s = arg;
	struct xv_mem *mem = xv_kernel_mem(s->fs->k);
	const uint8_t *v;
	int rc;

	if (kind == RUN_DATA && n <= SIZE_MAX / PAGE && (v = xv_mem_view(mem, pa, n * PAGE)))
		return emit(s, idx, n * PAGE, v);
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *data = zero_page;

		if (kind == RUN_DATA) {
			if ((v = xv_mem_view(mem, pa + i * PAGE, PAGE)) != NULL) {
				data = v;
			} else if (xv_mem_read(mem, pa + i * PAGE, s->tmp, PAGE) == 0) {
				data = s->tmp;
			} else {
				xv_err_clear();
				s->ri->resident--;
				s->ri->missing++;
			}
		}
		if ((rc = emit(s, idx + i, PAGE, data)) != 0)
			return rc;
	}
	return 0;
}

int xv_fs_stream(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t off, uint64_t len,
		 xv_fs_sink sink, void *ctx, struct xv_fs_readinfo *ri)
{
	struct xv_fs_readinfo dummy;
	struct range r;
	struct stream *s;
	int rc;

	if (!ri)
		ri = &dummy;
	memset(ri, 0, sizeof(*ri));
	if ((rc = prepare(fs, n, off, len, &r)) < 0 || r.end <= r.off)
		return rc;
	s = malloc(sizeof(*s));
	if (!s)
		return xv_err(ENOMEM, "out of memory");
	s->fs = fs;
	s->off = r.off;
	s->end = r.end;
	s->sink = sink;
	s->ctx = ctx;
	s->ri = ri;
	rc = walk_pages(fs, n, &r, stream_run, s, ri);
	free(s);
	return rc;
}

struct bufsink {
	uint8_t *p;
	size_t len, cap;
};

static int to_buf(const void *data, size_t len, void *arg)
{
	struct bufsink *b = arg;

	if (len > b->cap - b->len)
		return xv_err(EOVERFLOW, "file grew while being read");
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

int xv_fs_pread(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t off, void *buf, size_t len,
		size_t *got, struct xv_fs_readinfo *ri)
{
	struct bufsink b = { buf, 0, len };
	int rc = xv_fs_stream(fs, n, off, len, to_buf, &b, ri);

	*got = b.len;
	return rc;
}

int xv_fs_read_all(struct xv_fs *fs, const struct xv_fs_node *n, size_t max, uint8_t **buf,
		   size_t *len, struct xv_fs_readinfo *ri)
{
	struct xv_fs_stat st;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = xv_fs_stat(fs, n, &st)) < 0)
		return rc;
	if (st.size > max)
		return xv_err(EFBIG, "file of %" PRIu64 " bytes (limit %zu)", st.size, max);
	uint8_t *p = malloc(st.size ? st.size : 1);

	if (!p)
		return xv_err(ENOMEM, "out of memory for %" PRIu64 " bytes", st.size);
	rc = xv_fs_pread(fs, n, 0, p, st.size, len, ri);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*buf = p;
	return 0;
}

/* ---- extents: where a file's bytes are, so that other threads can copy them ---- */

static int add_run(uint64_t idx, uint64_t n, int kind, uint64_t pa, void *arg)
{
	struct xv_fs_extents *ex = arg;

	if (kind != RUN_DATA)
		return 0; /* holes and missing pages are the zeros between runs */
	if (ex->n == ex->cap) {
		size_t cap = ex->cap ? ex->cap * 2 : 16;
		struct xv_fs_run *nr = realloc(ex->r, cap * sizeof(*nr));

		if (!nr)
			return xv_err(ENOMEM, "out of memory");
		ex->r = nr;
		ex->cap = cap;
	}
	ex->r[ex->n++] = (struct xv_fs_run){ idx, n, pa };
	return 0;
}

int xv_fs_extents_get(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t max,
		      struct xv_fs_extents *ex, struct xv_fs_readinfo *ri)
{
	struct range r;
	int rc;

	ex->n = 0;
	ex->size = 0;
	memset(ri, 0, sizeof(*ri));
	if ((rc = prepare(fs, n, 0, UINT64_MAX, &r)) < 0)
		return rc;
	if (r.size > max)
		return xv_err(EFBIG, "file of %" PRIu64 " bytes (limit %" PRIu64 ")", r.size, max);
	ex->size = r.size;
	return walk_pages(fs, n, &r, add_run, ex, ri);
}

int xv_fs_extents_copy(struct xv_mem *mem, const struct xv_fs_extents *ex, uint8_t *buf,
		       uint64_t *unreadable)
{
	uint64_t pos = 0, bad = 0;

	for (size_t i = 0; i < ex->n && pos < ex->size; i++) {
		const struct xv_fs_run *r = &ex->r[i];
		uint64_t a, b;
		const void *v;

		if (r->idx > UINT64_MAX / PAGE || (a = r->idx * PAGE) >= ex->size)
			break; /* past i_size */
		if (a < pos || r->n == 0 || r->n > UINT64_MAX / PAGE - r->idx)
			return xv_err(EINVAL, "extents out of order at page %" PRIu64, r->idx);
		b = (r->idx + r->n) * PAGE;
		if (b > ex->size)
			b = ex->size;
		memset(buf + pos, 0, a - pos);
		if ((v = xv_mem_view(mem, r->pa, b - a)) != NULL) {
			memcpy(buf + a, v, b - a);
		} else if (xv_mem_read(mem, r->pa, buf + a, b - a) < 0) {
			/* Across a segment edge, or partly outside guest RAM: page by page. */
			for (uint64_t p = a; p < b; p += PAGE) {
				uint64_t l = b - p < PAGE ? b - p : PAGE;

				if (xv_mem_read(mem, r->pa + (p - a), buf + p, l) < 0) {
					memset(buf + p, 0, l);
					bad++;
				}
			}
			xv_err_clear();
		}
		pos = b;
	}
	if (pos < ex->size)
		memset(buf + pos, 0, ex->size - pos);
	*unreadable = bad;
	return 0;
}

void xv_fs_extents_free(struct xv_fs_extents *ex)
{
	free(ex->r);
	memset(ex, 0, sizeof(*ex));
}

int xv_fs_readlink(struct xv_fs *fs, const struct xv_fs_node *n, char *buf, size_t size)
{
	struct xv_fs_stat st;
	struct xv_fs_readinfo ri;
	uint64_t link = 0;
	size_t got;
	int rc;

	if (size == 0)
		return xv_err(EINVAL, "readlink: empty buffer");
	buf[0] = '\0';
	if ((rc = xv_fs_stat(fs, n, &st)) < 0)
		return rc;
	if (st.type != XV_FT_LNK)
		return xv_err(EINVAL, "inode 0x%" PRIx64 " is not a symlink", n->inode);
	if (fs->l.i_link_ok && xv_kernel_read_u64(fs->k, n->inode + fs->l.i_link, &link) == 0 && link)
		return xv_kernel_read_str(fs->k, link, buf, size < st.size + 1 ? size : st.size + 1);
	/* Long shmem symlinks and ramfs ones: the target is page 0 of the page cache. */
	rc = xv_fs_pread(fs, n, 0, buf, size - 1, &got, &ri);
	if (rc < 0)
		return rc;
	if (ri.missing)
		return xv_err(EIO, "symlink inode 0x%" PRIx64 ": target page not in RAM", n->inode);
	buf[got] = '\0';
	return 0;
}

static int to_sha(const void *data, size_t len, void *arg)
{
	return xv_sha256_update(arg, data, len);
}

int xv_fs_sha256(struct xv_fs *fs, const struct xv_fs_node *n, char hex[65],
		 struct xv_fs_readinfo *ri)
{
	struct xv_sha256 s;
	unsigned char md[32];
	unsigned int mdlen = 32;
	struct xv_fs_readinfo r;
	int rc;

	if (!ri)
		ri = &r;
	hex[0] = '\0';
	if ((rc = xv_sha256_init(&s)) < 0)
		return rc;
	rc = xv_fs_stream(fs, n, 0, UINT64_MAX, to_sha, &s, ri);
	if (rc == 0)
		rc = xv_sha256_final(&s, md);
	else
		xv_sha256_abort(&s);
	if (rc < 0)
		return rc;
	if (ri->missing)
		return xv_err(EAGAIN, "%" PRIu64 " of %" PRIu64 " pages not in RAM (partial)",
			      ri->missing, ri->pages);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
