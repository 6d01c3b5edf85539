/* kallsyms.c — decode the guest kernel's compressed kallsyms tables (or a System.map) into a symbol table. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/kallsyms.h"
#include "kernel/vmcoreinfo.h"
#include "util/bytes.h"
#include "util/scratch.h"
#include "xvids/err.h"

/* Only for sorting a table that does not come sorted (System.map). */
struct ks_ent {
	uint64_t addr;
	uint32_t name;
	uint32_t seq; /* table order, for stable sorting */
	char type;
};

struct xv_kallsyms {
	/* Symbol i, in address order (ties in table order): three arrays, not an array of structs,
	 * so that a symbol costs 13 bytes rather than 24 (a 6.1 kernel has ~45,000 of them). */
	uint64_t *addr;
	uint32_t *name; /* offset into pool */
	char *type;
	size_t n, cap;
	char *pool;     /* NUL-terminated names, trimmed to size once loaded */
	size_t pool_len, pool_cap;
	uint32_t *hash; /* index+1, 0 = empty; capacity hmask+1, at most 3/4 full */
	size_t hmask;
	size_t skipped;
	int abs_percpu;
};

static int ents_reserve(struct xv_kallsyms *ks, size_t want)
{
	uint64_t *a;
	uint32_t *nm;
	char *t;

	if (want <= ks->cap)
		return 0;
	if (!(a = realloc(ks->addr, want * sizeof(*a))))
		return xv_err(ENOMEM, "out of memory for %zu symbols", want);
	ks->addr = a;
	if (!(nm = realloc(ks->name, want * sizeof(*nm))))
		return xv_err(ENOMEM, "out of memory for %zu symbols", want);
	ks->name = nm;
	if (!(t = realloc(ks->type, want)))
		return xv_err(ENOMEM, "out of memory for %zu symbols", want);
	ks->type = t;
	ks->cap = want;
	return 0;
}

static int pool_add(struct xv_kallsyms *ks, const char *s, size_t len, uint32_t *off)
{
	if (ks->pool_len + len + 1 > UINT32_MAX)
		return xv_err(E2BIG, "symbol names exceed 4 GiB");
	if (ks->pool_len + len + 1 > ks->pool_cap) {
		size_t nc = ks->pool_cap ? ks->pool_cap * 2 : 1 << 16;
		char *p;

		while (nc < ks->pool_len + len + 1)
			nc *= 2;
		p = realloc(ks->pool, nc);
		if (!p)
			return xv_err(ENOMEM, "out of memory for symbol names");
		ks->pool = p;
		ks->pool_cap = nc;
	}
	memcpy(ks->pool + ks->pool_len, s, len);
	ks->pool[ks->pool_len + len] = '\0';
	*off = (uint32_t)ks->pool_len;
	ks->pool_len += len + 1;
	return 0;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ks_ent *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by address, keeping table order for ties. */
static int sort_entries(struct xv_kallsyms *ks)
{
	struct ks_ent *t;
	bool sorted = true;

	/* kallsyms tables come sorted by address already; only System.map input may not be */
	for (size_t i = 1; i < ks->n && sorted; i++)
		sorted = ks->addr[i - 1] <= ks->addr[i];
	if (sorted)
		return 0;
	t = malloc(ks->n * sizeof(*t));
	if (!t)
		return xv_err(ENOMEM, "out of memory sorting %zu symbols", ks->n);
	for (size_t i = 0; i < ks->n; i++)
		t[i] = (struct ks_ent){ .addr = ks->addr[i], .name = ks->name[i], .seq = (uint32_t)i,
					.type = ks->type[i] };
	qsort(t, ks->n, sizeof(*t), ent_cmp);
	for (size_t i = 0; i < ks->n; i++) {
		ks->addr[i] = t[i].addr;
		ks->name[i] = t[i].name;
		ks->type[i] = t[i].type;
	}
	free(t);
	return 0;
}

/* Sort by address, give back unused capacity, then index names; the first (lowest address) of
 * equal names wins. */
static int finish(struct xv_kallsyms *ks)
{
	size_t cap = 16;
	int r = sort_entries(ks);

	if (r < 0)
		return r;
	if (ks->pool_len && ks->pool_len < ks->pool_cap) {
		char *p = realloc(ks->pool, ks->pool_len);

		if (p) {
			ks->pool = p;
			ks->pool_cap = ks->pool_len;
		}
	}
	while (cap * 3 < 4 * ks->n) /* linear probing stays short below 3/4 full */
		cap *= 2;
	ks->hash = calloc(cap, sizeof(*ks->hash));
	if (!ks->hash)
		return xv_err(ENOMEM, "out of memory for the symbol index");
	ks->hmask = cap - 1;
	for (size_t i = 0; i < ks->n; i++) {
		const char *name = ks->pool + ks->name[i];
		size_t h = (size_t)fnv1a(name) & ks->hmask;

		for (;; h = (h + 1) & ks->hmask) {
			uint32_t e = ks->hash[h];
			if (e == 0) {
				ks->hash[h] = (uint32_t)i + 1;
				break;
			}
			if (strcmp(ks->pool + ks->name[e - 1], name) == 0)
				break;
		}
	}
	return 0;
}

void xv_kallsyms_free(struct xv_kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->addr);
	free(ks->name);
	free(ks->type);
	free(ks->pool);
	free(ks->hash);
	free(ks);
}

int xv_kallsyms_addrs_from_vmci(const struct xv_vmci *v, struct xv_kallsyms_addrs *a)
{
	static const struct {
		const char *name;
		size_t off;
		bool required;
	} f[] = {
		{"kallsyms_num_syms", offsetof(struct xv_kallsyms_addrs, num_syms), true},
		{"kallsyms_names", offsetof(struct xv_kallsyms_addrs, names), true},
		{"kallsyms_token_table", offsetof(struct xv_kallsyms_addrs, token_table), true},
		{"kallsyms_token_index", offsetof(struct xv_kallsyms_addrs, token_index), true},
		{"kallsyms_offsets", offsetof(struct xv_kallsyms_addrs, offsets), false},
		{"kallsyms_relative_base", offsetof(struct xv_kallsyms_addrs, relative_base), false},
		{"kallsyms_addresses", offsetof(struct xv_kallsyms_addrs, addresses), false},
	};

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < XV_ARRAY_SIZE(f); i++) {
		uint64_t val;
		int r = xv_vmci_symbol(v, f[i].name, &val);

		if (r == 0)
			memcpy((char *)a + f[i].off, &val, sizeof(val));
		else if (f[i].required || r != -ENOENT)
			return xv_err(r == -ENOENT ? ENOENT : -r,
				      "VMCOREINFO has no usable SYMBOL(%s) (Linux >= 6.0 exports it)",
				      f[i].name);
	}
	if (!a->addresses && !(a->offsets && a->relative_base))
		return xv_err(ENOENT, "VMCOREINFO has neither SYMBOL(kallsyms_offsets)+"
				      "SYMBOL(kallsyms_relative_base) nor SYMBOL(kallsyms_addresses)");
	return 0;
}

/* Sequential window over kallsyms_names, read in chunks (the table is ~1 MiB). */
struct names_rd {
	xv_read_fn read;
	void *ctx;
	uint64_t base, limit; /* limit: bytes that may belong to the table */
	uint8_t *buf;
	uint64_t wstart;
	size_t wlen, cap;
};

#define NAMES_CHUNK (64u << 10)

static int names_get(struct names_rd *r, uint64_t off, size_t need, const uint8_t **p)
{
	size_t want;

	if (off >= r->wstart && off + need <= r->wstart + r->wlen) {
		*p = r->buf + (off - r->wstart);
		return 0;
	}
	if (off + need > r->limit)
		return xv_err(EOVERFLOW, "kallsyms_names runs past %llu bytes",
			      (unsigned long long)r->limit);
	want = r->limit - off < NAMES_CHUNK ? (size_t)(r->limit - off) : NAMES_CHUNK;
	if (want < need)
		want = need;
	/* a chunk may cross into an unmapped page past the table's end: shrink to page ends */
	for (;;) {
		int e = r->read(r->ctx, r->base + off, r->buf, want);
		if (e == 0)
			break;
		if (want <= need)
			return xv_err_ctx(e, "reading kallsyms_names at 0x%llx: ",
					  (unsigned long long)(r->base + off));
		want = want / 2 > need ? want / 2 : need;
	}
	r->wstart = off;
	r->wlen = want;
	*p = r->buf;
	return 0;
}

static uint64_t rel_addr(uint64_t base, int32_t off, bool abs_percpu)
{
	if (!abs_percpu)
		return base + (uint32_t)off;
	if (off >= 0)
		return (uint64_t)off;
	return base - 1 - (uint64_t)(int64_t)off;
}

/* Address of symbol i from the raw kallsyms_offsets (s32 each) under one of the two readings. */
static uint64_t off_addr(const uint8_t *offs, uint64_t base, size_t i, bool abs_percpu)
{
	return rel_addr(base, (int32_t)xv_le32(offs + 4 * i), abs_percpu);
}

/* Out-of-order neighbours under a reading: the right one comes out sorted. */
static size_t inversions(const uint8_t *offs, uint64_t base, size_t n, bool abs_percpu)
{
	size_t c = 0;

	for (size_t i = 1; i < n; i++)
		c += off_addr(offs, base, i, abs_percpu) < off_addr(offs, base, i - 1, abs_percpu);
	return c;
}

static int load_tokens(xv_read_fn read, void *ctx, const struct xv_kallsyms_addrs *a,
		       char **tbl_out, uint16_t idx[256], size_t *tsz_out)
{
	uint8_t raw[512];
	size_t tsz, maxidx = 0;
	char *tbl;
	int r = read(ctx, a->token_index, raw, sizeof(raw));

	if (r < 0)
		return xv_err_ctx(r, "reading kallsyms_token_index at 0x%llx: ",
				  (unsigned long long)a->token_index);
	for (int i = 0; i < 256; i++) {
		idx[i] = xv_le16(raw + 2 * i);
		if (idx[i] > maxidx)
			maxidx = idx[i];
	}
	/* the token table sits just before the index in every layout since 2.6 */
	if (a->token_index > a->token_table && a->token_index - a->token_table <= 0x10000 + 256)
		tsz = (size_t)(a->token_index - a->token_table);
	else
		tsz = maxidx + 256;
	if (maxidx >= tsz)
		return xv_err(EINVAL, "kallsyms_token_index entry %zu is past the token table (%zu bytes)",
			      maxidx, tsz);
	tbl = malloc(tsz + 1);
	if (!tbl)
		return xv_err(ENOMEM, "out of memory for kallsyms tokens");
	while ((r = read(ctx, a->token_table, tbl, tsz)) < 0 && tsz > maxidx + 1)
		tsz = tsz - 64 > maxidx + 1 ? tsz - 64 : maxidx + 1;
	if (r < 0) {
		free(tbl);
		return xv_err_ctx(r, "reading kallsyms_token_table at 0x%llx: ",
				  (unsigned long long)a->token_table);
	}
	tbl[tsz] = '\0';
	for (int i = 0; i < 256; i++)
		if (!memchr(tbl + idx[i], '\0', tsz - idx[i])) {
			free(tbl);
			return xv_err(EINVAL, "kallsyms token %d (at %u) is not terminated in the table",
				      i, idx[i]);
		}
	*tbl_out = tbl;
	*tsz_out = tsz;
	return 0;
}

static int decode_names(struct xv_kallsyms *ks, struct names_rd *nr, uint32_t num, const char *tbl,
			const uint16_t idx[256])
{
	char name[XV_KS_MAX_NAME + 2];
	uint64_t off = 0;
	size_t tlen[256];

	for (int c = 0; c < 256; c++)
		tlen[c] = strlen(tbl + idx[c]); /* terminated: checked by load_tokens */

	for (uint32_t i = 0; i < num; i++) {
		const uint8_t *p;
		size_t len, nl = 0;
		int r = names_get(nr, off, 1, &p);

		if (r < 0)
			return xv_err_ctx(r, "symbol #%u: ", i);
		len = p[0];
		off++;
		if (len & 0x80) {
			if ((r = names_get(nr, off, 1, &p)) < 0)
				return xv_err_ctx(r, "symbol #%u: ", i);
			len = (len & 0x7f) | ((size_t)p[0] << 7);
			off++;
		}
		if (len == 0)
			return xv_err(EINVAL, "kallsyms symbol #%u has length 0 (table corrupt)", i);
		if ((r = names_get(nr, off, len, &p)) < 0)
			return xv_err_ctx(r, "symbol #%u (%zu bytes): ", i, len);
		off += len;
		for (size_t k = 0; k < len; k++) {
			const char *t = tbl + idx[p[k]];
			size_t tl = tlen[p[k]];

			if (nl + tl > XV_KS_MAX_NAME + 1)
				return xv_err(EINVAL, "kallsyms symbol #%u is longer than %u bytes", i,
					      XV_KS_MAX_NAME);
			memcpy(name + nl, t, tl);
			nl += tl;
		}
		if (nl < 2)
			return xv_err(EINVAL, "kallsyms symbol #%u expands to %zu bytes (needs a type "
					      "and a name)", i, nl);
		ks->type[i] = name[0];
		if ((r = pool_add(ks, name + 1, nl - 1, &ks->name[i])) < 0)
			return r;
	}
	return 0;
}

int xv_kallsyms_load(xv_read_fn read, void *ctx, const struct xv_kallsyms_addrs *a,
		     const struct xv_kallsyms_opts *opts, struct xv_kallsyms **out)
{
	struct xv_kallsyms_opts defopts = {0};
	struct xv_kallsyms *ks = NULL;
	struct names_rd nr = {0};
	uint16_t idx[256];
	char *tbl = NULL;
	size_t tsz;
	uint8_t raw4[8], *arr = NULL;
	size_t arr_sz = 0;
	uint64_t base = 0;
	uint32_t num;
	int r;

	*out = NULL;
	if (!opts)
		opts = &defopts;
	if (!read || !a || !a->num_syms || !a->names || !a->token_table || !a->token_index ||
	    (!a->addresses && !(a->offsets && a->relative_base)))
		return xv_err(EINVAL, "kallsyms: table addresses missing");
	if ((r = read(ctx, a->num_syms, raw4, 4)) < 0)
		return xv_err_ctx(r, "reading kallsyms_num_syms at 0x%llx: ",
				  (unsigned long long)a->num_syms);
	num = xv_le32(raw4);
	if (num == 0 || num > XV_KS_MAX_SYMS)
		return xv_err(EINVAL, "kallsyms_num_syms is %u (expected 1..%u)", num, XV_KS_MAX_SYMS);
	if ((r = load_tokens(read, ctx, a, &tbl, idx, &tsz)) < 0)
		return r;

	ks = calloc(1, sizeof(*ks));
	arr_sz = (size_t)num * (a->addresses ? 8 : 4);
	if (!ks || ents_reserve(ks, num) < 0 || !(arr = xv_scratch_alloc(arr_sz))) {
		r = xv_err(ENOMEM, "out of memory for %u kallsyms", num);
		goto fail;
	}
	ks->n = num;

	if (a->addresses) {
		if ((r = read(ctx, a->addresses, arr, (size_t)num * 8)) < 0) {
			r = xv_err_ctx(r, "reading kallsyms_addresses: ");
			goto fail;
		}
	} else {
		if ((r = read(ctx, a->offsets, arr, (size_t)num * 4)) < 0) {
			r = xv_err_ctx(r, "reading kallsyms_offsets: ");
			goto fail;
		}
		if ((r = read(ctx, a->relative_base, raw4, 8)) < 0) {
			r = xv_err_ctx(r, "reading kallsyms_relative_base: ");
			goto fail;
		}
		base = xv_le64(raw4);
	}

	nr.read = read;
	nr.ctx = ctx;
	nr.base = a->names;
	nr.limit = a->token_table > a->names && a->token_table - a->names <= XV_KS_MAX_NAMES_BYTES
			   ? a->token_table - a->names
			   : XV_KS_MAX_NAMES_BYTES;
	nr.cap = NAMES_CHUNK > 0x8000 + 2 ? NAMES_CHUNK : 0x8002;
	nr.wstart = UINT64_MAX;
	if (!(nr.buf = malloc(nr.cap))) {
		r = xv_err(ENOMEM, "out of memory for kallsyms_names");
		goto fail;
	}
	if ((r = decode_names(ks, &nr, num, tbl, idx)) < 0)
		goto fail;

	if (!a->addresses) {
		bool abs;

		if (opts->percpu == XV_KS_PERCPU_ABSOLUTE)
			abs = true;
		else if (opts->percpu == XV_KS_PERCPU_RELATIVE)
			abs = false;
		else
			abs = inversions(arr, base, num, true) < inversions(arr, base, num, false);
		if (opts->stext) {
			long st = -1;
			for (uint32_t i = 0; i < num && st < 0; i++)
				if (strcmp(ks->pool + ks->name[i], "_stext") == 0)
					st = i;
			if (st < 0) {
				r = xv_err(ENOENT, "kallsyms has no _stext to check against VMCOREINFO");
				goto fail;
			}
			if (off_addr(arr, base, (size_t)st, abs) != opts->stext) {
				if (opts->percpu == XV_KS_PERCPU_AUTO &&
				    off_addr(arr, base, (size_t)st, !abs) == opts->stext) {
					abs = !abs;
				} else {
					r = xv_err(EINVAL, "kallsyms decodes _stext to 0x%llx but "
							   "VMCOREINFO says 0x%llx",
						   (unsigned long long)off_addr(arr, base, (size_t)st, abs),
						   (unsigned long long)opts->stext);
					goto fail;
				}
			}
		}
		ks->abs_percpu = abs;
		for (uint32_t i = 0; i < num; i++)
			ks->addr[i] = off_addr(arr, base, i, abs);
	} else {
		for (uint32_t i = 0; i < num; i++)
			ks->addr[i] = xv_le64(arr + 8 * i);
	}
	xv_scratch_free(arr, arr_sz);
	arr = NULL;
	if ((r = finish(ks)) < 0)
		goto fail;
	if (a->addresses && opts->stext) {
		uint64_t st = 0;

		if (xv_kallsyms_lookup(ks, "_stext", &st) < 0 || st != opts->stext) {
			r = xv_err(EINVAL, "kallsyms_addresses do not give _stext = 0x%llx",
				   (unsigned long long)opts->stext);
			goto fail;
		}
	}
	free(nr.buf);
	free(tbl);
	*out = ks;
	return 0;
fail:
	free(nr.buf);
	xv_scratch_free(arr, arr_sz);
	free(tbl);
	xv_kallsyms_free(ks);
	return r;
}

/* ---- System.map ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "addr type name [module]" — fields separated by blanks. */
static bool sysmap_line(const char *l, size_t n, uint64_t *addr, char *type, const char **name,
			size_t *nlen)
{
	size_t i = 0, nd = 0;
	uint64_t v = 0;

	while (i < n && hexval(l[i]) >= 0) {
		if (++nd > 16)
			return false;
		v = v << 4 | (uint64_t)hexval(l[i++]);
	}
	if (nd == 0 || i >= n || (l[i] != ' ' && l[i] != '\t'))
		return false;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i + 1 >= n || l[i] <= 0x20 || l[i] >= 0x7f || (l[i + 1] != ' ' && l[i + 1] != '\t'))
		return false;
	*type = l[i];
	i += 2;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	*name = l + i;
	while (i < n && l[i] > 0x20 && l[i] < 0x7f)
		i++;
	*nlen = (size_t)(l + i - *name);
	if (*nlen == 0 || *nlen > XV_KS_MAX_NAME)
		return false;
	for (; i < n; i++) /* allow a trailing "[module]" or \r, nothing binary */
		if ((unsigned char)l[i] < 0x20 && l[i] != '\t' && l[i] != '\r')
			return false;
	*addr = v;
	return true;
}

int xv_kallsyms_parse_sysmap(const char *text, size_t len, struct xv_kallsyms **out)
{
	struct xv_kallsyms *ks = calloc(1, sizeof(*ks));
	int r;

	*out = NULL;
	if (!ks)
		return xv_err(ENOMEM, "out of memory for System.map");
	for (size_t pos = 0; pos < len;) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos), *name;
		size_t ll = nl ? (size_t)(nl - l) : len - pos, nlen;
		uint64_t addr;
		char type;

		pos += ll + 1;
		if (ll == 0)
			continue;
		if (!sysmap_line(l, ll, &addr, &type, &name, &nlen) || ks->n >= XV_KS_MAX_SYMS * 4u) {
			ks->skipped++;
			continue;
		}
		if (ks->n == ks->cap && (r = ents_reserve(ks, ks->cap ? ks->cap * 2 : 4096)) < 0)
			goto fail;
		ks->addr[ks->n] = addr;
		ks->type[ks->n] = type;
		if ((r = pool_add(ks, name, nlen, &ks->name[ks->n])) < 0)
			goto fail;
		ks->n++;
	}
	if (ks->n == 0) {
		r = xv_err(EINVAL, "no \"address type name\" line in System.map (%zu lines skipped)",
			   ks->skipped);
		goto fail;
	}
	if ((r = finish(ks)) < 0)
		goto fail;
	*out = ks;
	return 0;
fail:
	xv_kallsyms_free(ks);
	return r;
}

int xv_kallsyms_load_sysmap(const char *path, struct xv_kallsyms **out)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	*out = NULL;
	if (fd < 0)
		return xv_err(errno, "cannot open System.map %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (256 << 20)) {
		close(fd);
		return xv_err(EINVAL, "%s is not a regular file below 256 MiB", path);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return xv_err(ENOMEM, "out of memory reading %s", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	r = xv_kallsyms_parse_sysmap(buf, got, out);
	free(buf);
	if (r < 0)
		return xv_err_ctx(r, "%s: ", path);
	return 0;
}

void xv_kallsyms_relocate(struct xv_kallsyms *ks, uint64_t delta)
{
	/* The shifted addresses keep their order: only the top half moves, by less than it spans. */
	for (size_t i = 0; i < ks->n; i++)
		if (ks->addr[i] >> 63)
			ks->addr[i] += delta;
}

/* ---- queries ---- */

size_t xv_kallsyms_count(const struct xv_kallsyms *ks)
{
	return ks ? ks->n : 0;
}

size_t xv_kallsyms_skipped(const struct xv_kallsyms *ks)
{
	return ks ? ks->skipped : 0;
}

int xv_kallsyms_abs_percpu(const struct xv_kallsyms *ks)
{
	return ks ? ks->abs_percpu : 0;
}

int xv_kallsyms_get(const struct xv_kallsyms *ks, size_t i, struct xv_ksym *sym)
{
	if (!ks || i >= ks->n)
		return -ENOENT;
	sym->name = ks->pool + ks->name[i];
	sym->addr = ks->addr[i];
	sym->type = ks->type[i] ? ks->type[i] : '?';
	return 0;
}

int xv_kallsyms_lookup_sym(const struct xv_kallsyms *ks, const char *name, struct xv_ksym *sym)
{
	if (!ks || !name || !ks->hash)
		return xv_err(ENOENT, "no symbol table");
	for (size_t h = (size_t)fnv1a(name) & ks->hmask;; h = (h + 1) & ks->hmask) {
		uint32_t e = ks->hash[h];
		if (e == 0)
			return xv_err(ENOENT, "symbol %s not found", name);
		if (strcmp(ks->pool + ks->name[e - 1], name) == 0)
			return xv_kallsyms_get(ks, e - 1, sym);
	}
}

int xv_kallsyms_lookup(const struct xv_kallsyms *ks, const char *name, uint64_t *addr)
{
	struct xv_ksym s;
	int r = xv_kallsyms_lookup_sym(ks, name, &s);

	if (r == 0 && addr)
		*addr = s.addr;
	return r;
}

long xv_kallsyms_addr2idx(const struct xv_kallsyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks || ks->n == 0 || addr < ks->addr[0])
		return -ENOENT;
	hi = ks->n;
	while (hi - lo > 1) { /* invariant: addr[lo] <= addr < addr[hi] */
		size_t mid = lo + (hi - lo) / 2;
		if (ks->addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* several symbols at one address: report the first in table order */
	while (lo > 0 && ks->addr[lo - 1] == ks->addr[lo])
		lo--;
	if (lo + 1 >= ks->n || ks->addr[ks->n - 1] == ks->addr[lo]) {
		if (addr - ks->addr[lo] > XV_KS_TAIL)
			return -ENOENT;
	}
	return (long)lo;
}

const char *xv_kallsyms_addr2name(const struct xv_kallsyms *ks, uint64_t addr, uint64_t *off)
{
	long i = xv_kallsyms_addr2idx(ks, addr);

	if (i < 0) {
		errno = ENOENT;
		return NULL;
	}
	if (off)
		*off = addr - ks->addr[i];
	return ks->pool + ks->name[i];
}
