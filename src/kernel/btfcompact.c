/* btfcompact.c — copy a guest BTF blob without what xvids never reads (functions, variables), streamed through a small window. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/btfscan.h"
#include "util/bytes.h"
#include "util/scratch.h"
#include "xvids/err.h"

/*
 * A vmlinux BTF is mostly functions: in a Debian 6.1 arm64 kernel 42,659 FUNC and 23,381
 * FUNC_PROTO records of 98,038, 1.3 of its 2.5 MB of types, and their names and parameter names
 * are half of its 1.7 MB of strings. xvids reads data structures only (struct/union layouts,
 * typedefs, enums, arrays, pointers), so the copy it keeps leaves out FUNC, FUNC_PROTO, VAR,
 * DATASEC and DECL_TAG records and every string that only they use, and renumbers the rest:
 * 4.1 MiB become about 2 MiB, and libbpf's copy and index shrink with it. A pointer to a
 * function becomes a pointer to void (same size; nothing dereferences it).
 *
 * The blob is guest data: every record is bounds-checked against its section, every type id
 * against the number of types and every name offset against the string section, so a blob that
 * survives is one libbpf accepts. It is read sequentially through a 64 KiB window (twice for the
 * types, once for the strings), never mapped whole: a scan's resident set does not grow by the
 * blob's size.
 */

#define WIN (64u << 10)
#define BTF_HDR 24u

struct win {
	const struct xv_phys_src *src;
	uint64_t pa;       /* blob start */
	uint64_t lo, hi;   /* section, offsets from the blob start */
	uint8_t *buf;
	uint64_t wstart;   /* blob offset of buf[0] */
	size_t wlen;
	int err;
};

static int src_read(const struct xv_phys_src *src, uint64_t pa, void *buf, size_t len)
{
	const void *v;

	if (src->read)
		return src->read(src->ctx, pa, buf, len);
	v = src->view ? src->view(src->ctx, pa, len) : NULL;
	if (!v)
		return -EFAULT;
	memcpy(buf, v, len);
	return 0;
}

/* n (<= 16) contiguous bytes at blob offset off inside the section, or NULL (past its end, or
 * unreadable: w->err says which). */
static const uint8_t *win_get(struct win *w, uint64_t off, size_t n)
{
	size_t len;
	int rc;

	if (off < w->lo || off > w->hi || n > w->hi - off)
		return NULL;
	if (off >= w->wstart && off + n <= w->wstart + w->wlen)
		return w->buf + (off - w->wstart);
	len = w->hi - off < WIN ? (size_t)(w->hi - off) : WIN;
	rc = src_read(w->src, w->pa + off, w->buf, len);
	if (rc < 0) {
		w->err = rc;
		return NULL;
	}
	if (w->src->scanned)
		w->src->scanned(w->src->ctx, w->pa + off, len);
	w->wstart = off;
	w->wlen = len;
	return w->buf;
}

/* Record layout of one type: bytes after the 12-byte header, and which fields refer to types
 * or names. -1 for a kind libbpf does not know either. */
static long extra_len(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case BTF_KIND_INT: return 4; /* the encoding word */
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG: return 0;
	case BTF_KIND_ARRAY: return 12;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC: case BTF_KIND_ENUM64:
		return 12L * vlen;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO: return 8L * vlen;
	case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: return 4;
	default: return -1;
	}
}

static bool kept_kind(unsigned kind)
{
	return kind != BTF_KIND_FUNC && kind != BTF_KIND_FUNC_PROTO && kind != BTF_KIND_VAR &&
	       kind != BTF_KIND_DATASEC && kind != BTF_KIND_DECL_TAG;
}

/* Does the header field at +8 of this kind hold a type id (not a size)? */
static bool refers(unsigned kind)
{
	return kind == BTF_KIND_PTR || kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_CONST || kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

struct compact {
	struct win w;
	uint64_t toff, tlen, soff, slen; /* sections, offsets from the blob start */
	uint32_t ntypes, nkept;
	/* Scratch (xv_scratch_alloc: gone from the resident set once freed), sized from the
	 * header: a type record is at least 12 bytes, so there are at most tlen / 12 types. */
	uint32_t *newid;                 /* [old id] -> new id, 0 = dropped (id 0 is void) */
	size_t idcap;
	uint64_t *start;                 /* string offsets some kept record names (bitmap) */
	uint64_t *keep;                  /* string bytes kept (bitmap) */
	uint32_t *rank;                  /* kept bytes before each 64-byte block */
	size_t words;                    /* of each bitmap; also the number of blocks */
	uint64_t kept_tbytes;
};

static void bit_set(uint64_t *b, uint64_t i)
{
	b[i >> 6] |= 1ull << (i & 63);
}

static bool bit_get(const uint64_t *b, uint64_t i)
{
	return (b[i >> 6] >> (i & 63)) & 1;
}

static int name_ref(struct compact *c, uint32_t off, uint32_t id)
{
	if (off >= c->slen)
		return xv_err(EINVAL, "BTF type %u names string offset %u, past the %llu-byte string "
				      "section", id, off, (unsigned long long)c->slen);
	bit_set(c->start, off);
	return 0;
}

static uint32_t new_stroff(const struct compact *c, uint32_t off)
{
	uint64_t blk = off >> 6, below = c->keep[blk] & ((1ull << (off & 63)) - 1);

	return c->rank[blk] + (uint32_t)__builtin_popcountll(below);
}

/* Pass 1: count and number the types, mark the names the kept ones use. */
static int pass_types(struct compact *c)
{
	uint64_t off = c->toff, end = c->toff + c->tlen;
	uint32_t id = 0;

	c->w.lo = c->toff;
	c->w.hi = end;
	while (off < end) {
		const uint8_t *h = win_get(&c->w, off, 12);
		uint32_t info, name;
		unsigned kind, vlen;
		long x;

		if (!h)
			return c->w.err ? xv_err(-c->w.err, "reading BTF types: ")
					: xv_err(EINVAL, "BTF type %u is cut off by the end of the type "
							 "section", id + 1);
		name = xv_le32(h);
		info = xv_le32(h + 4);
		kind = (info >> 24) & 0x1f;
		vlen = info & 0xffff;
		if ((x = extra_len(kind, vlen)) < 0)
			return xv_err(EINVAL, "BTF type %u has unknown kind %u", id + 1, kind);
		if ((uint64_t)x + 12 > end - off)
			return xv_err(EINVAL, "BTF type %u (kind %u, %u entries) runs past the type "
					      "section", id + 1, kind, vlen);
		if (id + 1 > BTF_MAX_TYPE)
			return xv_err(E2BIG, "more than %u BTF types", BTF_MAX_TYPE);
		id++;
		if ((size_t)id >= c->idcap) /* cannot happen: records are >= 12 bytes */
			return xv_err(EINVAL, "more BTF types than the type section can hold");
		c->newid[id] = 0;
		if (kept_kind(kind)) {
			int rc = name_ref(c, name, id);

			c->newid[id] = ++c->nkept;
			c->kept_tbytes += 12 + (uint64_t)x;
			/* member and enumerator names */
			if (rc == 0 && (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION ||
					kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64)) {
				unsigned step = kind == BTF_KIND_ENUM ? 8 : 12;

				for (unsigned i = 0; i < vlen && rc == 0; i++) {
					const uint8_t *m = win_get(&c->w, off + 12 + (uint64_t)i * step, 4);

					rc = m ? name_ref(c, xv_le32(m), id)
					       : xv_err(EIO, "reading BTF type %u", id);
				}
			}
			if (rc < 0)
				return rc;
		}
		off += 12 + (uint64_t)x;
	}
	c->ntypes = id;
	return 0;
}

/* The strings the kept records name, in their old order: mark, rank and copy them to out. */
static int pass_strings(struct compact *c, uint8_t *out, uint64_t *outlen)
{
	bool in = false;
	uint64_t n = 0, i = 0;

	c->w.lo = c->soff;
	c->w.hi = c->soff + c->slen;
	c->w.wlen = 0;
	bit_set(c->start, 0); /* the empty string at 0, which libbpf requires */
	while (i < c->slen) {
		const uint8_t *p = win_get(&c->w, c->soff + i, 1);
		uint64_t stop;

		if (!p)
			return xv_err(c->w.err ? -c->w.err : EIO, "reading BTF strings");
		stop = i + (c->w.wstart + c->w.wlen - (c->soff + i)); /* the window's end */
		for (; i < stop; i++, p++) {
			if ((i & 63) == 0)
				c->rank[i >> 6] = (uint32_t)n;
			if (bit_get(c->start, i))
				in = true;
			if (in) {
				bit_set(c->keep, i);
				out[n++] = *p;
				in = *p != 0;
			}
		}
	}
	*outlen = n;
	return 0;
}

static int type_ref(const struct compact *c, uint32_t ref, uint32_t id, uint32_t *out)
{
	if (ref > c->ntypes)
		return xv_err(EINVAL, "BTF type %u refers to type %u, past the last one (%u)", id, ref,
			      c->ntypes);
	*out = ref ? c->newid[ref] : 0;
	return 0;
}

/* Pass 2: write the kept records with new ids and string offsets. */
static int pass_write(struct compact *c, uint8_t *out)
{
	uint64_t off = c->toff, end = c->toff + c->tlen, o = 0;
	uint32_t id = 0;

	c->w.lo = c->toff;
	c->w.hi = end;
	c->w.wlen = 0;
	while (off < end) {
		const uint8_t *h = win_get(&c->w, off, 12);
		uint32_t info, v = 0;
		unsigned kind, vlen;
		long x;
		int rc = 0;

		if (!h) /* pass 1 read these bytes: only a failing read gets here */
			return xv_err(EIO, "re-reading BTF types");
		id++;
		info = xv_le32(h + 4);
		kind = (info >> 24) & 0x1f;
		vlen = info & 0xffff;
		x = extra_len(kind, vlen);
		if (!kept_kind(kind)) {
			off += 12 + (uint64_t)x;
			continue;
		}
		memcpy(out + o, h, 12);
		xv_put_le32(out + o, new_stroff(c, xv_le32(h)));
		if (refers(kind)) {
			if ((rc = type_ref(c, xv_le32(h + 8), id, &v)) < 0)
				return rc;
			xv_put_le32(out + o + 8, v);
		}
		for (long k = 0; k < x; k += 4) { /* the entries after the header, one word at a time */
			const uint8_t *e = win_get(&c->w, off + 12 + (uint64_t)k, 4);
			uint32_t val;

			if (!e)
				return xv_err(EIO, "re-reading BTF type %u", id);
			val = xv_le32(e);
			switch (kind) {
			case BTF_KIND_ARRAY: /* type, index_type, nelems */
				if (k < 8)
					rc = type_ref(c, val, id, &val);
				break;
			case BTF_KIND_STRUCT: case BTF_KIND_UNION: /* name_off, type, offset */
				if (k % 12 == 0)
					val = new_stroff(c, val);
				else if (k % 12 == 4)
					rc = type_ref(c, val, id, &val);
				break;
			case BTF_KIND_ENUM: /* name_off, val */
				if (k % 8 == 0)
					val = new_stroff(c, val);
				break;
			case BTF_KIND_ENUM64: /* name_off, val_lo32, val_hi32 */
				if (k % 12 == 0)
					val = new_stroff(c, val);
				break;
			default: /* INT's encoding word */
				break;
			}
			if (rc < 0)
				return rc;
			xv_put_le32(out + o + 12 + k, val);
		}
		o += 12 + (uint64_t)x;
		off += 12 + (uint64_t)x;
	}
	return 0;
}

static void compact_free(struct compact *c)
{
	free(c->w.buf);
	xv_scratch_free(c->newid, c->idcap * sizeof(*c->newid));
	xv_scratch_free(c->start, c->words * 8);
	xv_scratch_free(c->keep, c->words * 8);
	xv_scratch_free(c->rank, c->words * sizeof(*c->rank));
	memset(c, 0, sizeof(*c));
}

int xv_btf_compact(const struct xv_phys_src *src, uint64_t pa, uint32_t size,
		   struct xv_btf_compacted *res)
{
	struct compact c = {0};
	uint8_t hdr[BTF_HDR] = { 0 }, *out = NULL;
	uint32_t hdr_len;
	uint64_t slen_new = 0, total;
	size_t outsz = 0;
	libbpf_print_fn_t old;
	int rc;

	memset(res, 0, sizeof(*res));
	if (size < BTF_HDR || src_read(src, pa, hdr, BTF_HDR) < 0)
		return xv_err(EFAULT, "cannot read a BTF header at 0x%llx", (unsigned long long)pa);
	hdr_len = xv_le32(hdr + 4);
	if (xv_le16(hdr) != 0xeB9F || hdr[2] != 1 || hdr[3] != 0 || hdr_len < BTF_HDR ||
	    hdr_len > size)
		return xv_err(EINVAL, "not a BTF header at 0x%llx", (unsigned long long)pa);
	c.toff = hdr_len + (uint64_t)xv_le32(hdr + 8);
	c.tlen = xv_le32(hdr + 12);
	c.soff = hdr_len + (uint64_t)xv_le32(hdr + 16);
	c.slen = xv_le32(hdr + 20);
	if (c.toff + c.tlen > size || c.soff + c.slen > size || c.slen == 0 || (c.toff & 3))
		return xv_err(EINVAL, "BTF at 0x%llx: sections run past its %u bytes",
			      (unsigned long long)pa, size);
	{ /* libbpf's checks, made before anything is copied */
		uint8_t first, last;

		if (src_read(src, pa + c.soff, &first, 1) < 0 ||
		    src_read(src, pa + c.soff + c.slen - 1, &last, 1) < 0)
			return xv_err(EFAULT, "cannot read the BTF strings at 0x%llx",
				      (unsigned long long)(pa + c.soff));
		if (first || last)
			return xv_err(EINVAL, "BTF string section does not %s with a NUL (a partial "
					      "copy or a module's split BTF?)", first ? "start" : "end");
	}
	c.w.src = src;
	c.w.pa = pa;
	c.words = (size_t)((c.slen + 63) / 64);
	c.idcap = (size_t)(c.tlen / 12 + 2);
	c.w.buf = calloc(1, WIN);
	c.newid = xv_scratch_alloc(c.idcap * sizeof(*c.newid));
	c.start = xv_scratch_alloc(c.words * 8);
	c.keep = xv_scratch_alloc(c.words * 8);
	c.rank = xv_scratch_alloc(c.words * sizeof(*c.rank));
	if (!c.w.buf || !c.newid || !c.start || !c.keep || !c.rank) {
		rc = xv_err(ENOMEM, "out of memory compacting BTF");
		goto out;
	}
	if ((rc = pass_types(&c)) < 0)
		goto out;
	/* Untouched pages of this upper bound never become resident. */
	outsz = (size_t)(BTF_HDR + c.kept_tbytes + c.slen);
	out = xv_scratch_alloc(outsz);
	if (!out) {
		rc = xv_err(ENOMEM, "out of memory compacting BTF");
		goto out;
	}
	if ((rc = pass_strings(&c, out + BTF_HDR + c.kept_tbytes, &slen_new)) < 0 ||
	    (rc = pass_write(&c, out + BTF_HDR)) < 0)
		goto out;
	memcpy(out, hdr, 4); /* magic, version, flags */
	xv_put_le32(out + 4, BTF_HDR);
	xv_put_le32(out + 8, 0);
	xv_put_le32(out + 12, (uint32_t)c.kept_tbytes);
	xv_put_le32(out + 16, (uint32_t)c.kept_tbytes);
	xv_put_le32(out + 20, (uint32_t)slen_new);
	total = BTF_HDR + c.kept_tbytes + slen_new;
	res->ntypes = c.ntypes;
	res->nkept = c.nkept;
	res->size = (uint32_t)total;
	compact_free(&c); /* before libbpf makes its copy: that is the peak */
	old = libbpf_set_print(NULL);
	res->btf = btf__new(out, (uint32_t)total);
	libbpf_set_print(old);
	if (!res->btf) {
		int e = errno ? errno : EINVAL;

		rc = xv_err(e, "libbpf rejects the BTF at 0x%llx (%s)", (unsigned long long)pa,
			    strerror(e));
	}
out:
	xv_scratch_free(out, outsz);
	compact_free(&c);
	return rc;
}
