/* content.c — file contents from the guest's page cache (i_mapping → XArray → struct page → RAM). */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"

#define PAGE 4096u

static const uint8_t zero_page[PAGE];

static int kread(void *rctx, uint64_t addr, void *buf, size_t len)
{
	return xv_kernel_read(rctx, addr, buf, len);
}

struct stream {
	struct xv_fs *fs;
	uint64_t off, end;       /* byte range wanted */
	uint64_t next;           /* next page index to emit */
	xv_fs_sink sink;
	void *ctx;
	struct xv_fs_readinfo *ri;
	int memfs;
	uint8_t tmp[PAGE];
};

/* Emit the part of page idx that lies in [off, end). */
static int emit(struct stream *s, uint64_t idx, const uint8_t *data)
{
	uint64_t pstart = idx * PAGE, a = pstart < s->off ? s->off : pstart;
	uint64_t b = pstart + PAGE > s->end ? s->end : pstart + PAGE;

	if (a >= b)
		return 0;
	s->ri->pages++;
	return s->sink(data + (a - pstart), (size_t)(b - a), s->ctx);
}

static int emit_gap(struct stream *s, uint64_t upto)
{
	int rc;

	for (; s->next < upto; s->next++) {
		if (s->memfs)
			s->ri->holes++;
		else
			s->ri->missing++;
		if ((rc = emit(s, s->next, zero_page)) != 0)
			return rc;
	}
	return 0;
}

static int on_entry(uint64_t first, uint64_t count, uint64_t entry, uint64_t entry_first, void *arg)
{
	struct stream *s = arg;
	uint64_t endidx = (s->end + PAGE - 1) / PAGE;
	int rc;

	if (first < s->next) { /* part of an entry straddling the start */
		uint64_t skip = s->next - first;

		if (skip >= count)
			return 0;
		first += skip;
		count -= skip;
	}
	if ((rc = emit_gap(s, first)) != 0)
		return rc;
	for (uint64_t i = first; i < first + count && i < endidx; i++, s->next++) {
		uint64_t pa;
		const uint8_t *data;

		if (entry & 1) { /* value entry: swap or shadow, the data is not in RAM */
			s->ri->missing++;
			data = zero_page;
		} else if (xv_pagemap_pa(&s->fs->pm,
					 entry + (i - entry_first) * s->fs->pm.page_size, &pa) < 0) {
			xv_err_clear();
			s->ri->missing++;
			data = zero_page;
		} else if ((data = xv_mem_view(xv_kernel_mem(s->fs->k), pa, PAGE)) != NULL) {
			s->ri->resident++;
		} else if (xv_mem_read(xv_kernel_mem(s->fs->k), pa, s->tmp, PAGE) == 0) {
			s->ri->resident++;
			data = s->tmp;
		} else {
			xv_err_clear();
			s->ri->missing++;
			data = zero_page;
		}
		if ((rc = emit(s, i, data)) != 0)
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

int xv_fs_stream(struct xv_fs *fs, const struct xv_fs_node *n, uint64_t off, uint64_t len,
		 xv_fs_sink sink, void *ctx, struct xv_fs_readinfo *ri)
{
	struct xv_fs_stat st;
	struct xv_fs_readinfo dummy;
	struct stream *s;
	uint64_t mapping, head;
	int rc;

	if (!ri)
		ri = &dummy;
	memset(ri, 0, sizeof(*ri));
	if ((rc = xv_fs_stat(fs, n, &st)) < 0)
		return rc;
	if ((int64_t)st.size < 0)
		return xv_err(EFBIG, "inode 0x%" PRIx64 ": negative size %" PRId64, n->inode,
			      (int64_t)st.size);
	if (st.size > XV_FS_MAX_SIZE)
		return xv_err(EFBIG, "inode 0x%" PRIx64 ": size %" PRIu64 " is implausible (over %llu)",
			      n->inode, st.size, (unsigned long long)XV_FS_MAX_SIZE);
	if (off >= st.size || len == 0)
		return 0;
	if ((rc = ensure_pagemap(fs)) < 0)
		return rc;
	if (xv_kernel_read_u64(fs->k, n->inode + fs->l.i_mapping, &mapping) < 0 || !mapping ||
	    xv_kernel_read_u64(fs->k, mapping + fs->l.as_pages_head, &head) < 0)
		return xv_err_ctx(EFAULT, "page cache of inode 0x%" PRIx64 ": ", n->inode);
	s = malloc(sizeof(*s));
	if (!s)
		return xv_err(ENOMEM, "out of memory");
	s->fs = fs;
	s->off = off;
	s->end = len > st.size - off ? st.size : off + len;
	s->next = off / PAGE;
	s->sink = sink;
	s->ctx = ctx;
	s->ri = ri;
	s->memfs = st.memfs;
	struct xv_xa_geom g = { fs->l.xa_shift, fs->l.xa_slots, fs->l.xa_nslots, 1u << 20 };
	uint64_t endidx = (s->end + PAGE - 1) / PAGE;

	rc = xv_xa_walk(&g, kread, fs->k, head, off / PAGE, endidx, on_entry, s);
	if (rc == 0)
		rc = emit_gap(s, endidx);
	free(s);
	if (rc < 0)
		return xv_err_ctx(-rc, "contents of inode 0x%" PRIx64 ": ", n->inode);
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

struct shasink {
	EVP_MD_CTX *md;
};

static int to_sha(const void *data, size_t len, void *arg)
{
	struct shasink *s = arg;

	return EVP_DigestUpdate(s->md, data, len) == 1 ? 0 : xv_err(EIO, "SHA-256 update failed");
}

int xv_fs_sha256(struct xv_fs *fs, const struct xv_fs_node *n, char hex[65],
		 struct xv_fs_readinfo *ri)
{
	struct shasink s = { EVP_MD_CTX_new() };
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct xv_fs_readinfo r;
	int rc;

	if (!ri)
		ri = &r;
	hex[0] = '\0';
	if (!s.md || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(s.md);
		return xv_err(EIO, "SHA-256 init failed");
	}
	rc = xv_fs_stream(fs, n, 0, UINT64_MAX, to_sha, &s, ri);
	if (rc == 0 && EVP_DigestFinal_ex(s.md, md, &mdlen) != 1)
		rc = xv_err(EIO, "SHA-256 final failed");
	EVP_MD_CTX_free(s.md);
	if (rc < 0)
		return rc;
	if (ri->missing)
		return xv_err(EAGAIN, "%" PRIu64 " of %" PRIu64 " pages not in RAM (partial)",
			      ri->missing, ri->pages);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
