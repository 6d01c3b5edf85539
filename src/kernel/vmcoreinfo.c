/* vmcoreinfo.c — VMCOREINFO text parser, guest-physical needle scanner, and the in-RAM finder. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/vmcoreinfo.h"
#include "util/bytes.h"
#include "util/scratch.h"
#include "xvids/err.h"

struct xv_vmci_kv {
	const char *key;
	const char *val;
};

struct xv_vmci {
	char *buf; /* owned copy; keys and values point into it */
	size_t len;
	char *text; /* pristine copy for xv_vmci_text() */
	struct xv_vmci_kv *kv;
	size_t nkv;
	size_t garbage;
};

static bool key_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '=';
}

static bool val_char_ok(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

struct xv_vmci *xv_vmci_parse(const char *text, size_t len)
{
	struct xv_vmci *v;
	size_t cap = 64;

	if (!text) {
		xv_err(EINVAL, "VMCOREINFO: no text");
		return NULL;
	}
	{
		const char *nul = memchr(text, '\0', len);
		if (nul)
			len = (size_t)(nul - text);
	}
	if (len > XV_VMCI_MAX_TEXT) {
		xv_err(E2BIG, "VMCOREINFO text is %zu bytes, more than the %u allowed", len,
		       XV_VMCI_MAX_TEXT);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		goto oom;
	v->buf = malloc(len + 1);
	v->text = malloc(len + 1);
	v->kv = malloc(cap * sizeof(*v->kv));
	if (!v->buf || !v->text || !v->kv)
		goto oom;
	memcpy(v->buf, text, len);
	v->buf[len] = '\0';
	memcpy(v->text, text, len);
	v->text[len] = '\0';
	v->len = len;

	for (size_t pos = 0; pos < len;) {
		char *line = v->buf + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		char *eq;
		bool ok = ll > 0 && ll <= XV_VMCI_MAX_LINE;

		pos += ll + 1;
		if (ll == 0)
			continue; /* empty lines are not garbage */
		line[ll] = '\0';
		eq = ok ? memchr(line, '=', ll) : NULL;
		if (!eq || eq == line)
			ok = false;
		for (char *c = line; ok && c < eq; c++)
			ok = key_char_ok((unsigned char)*c);
		for (char *c = eq ? eq + 1 : line; ok && c < line + ll; c++)
			ok = val_char_ok((unsigned char)*c);
		if (!ok || v->nkv >= XV_VMCI_MAX_KEYS) {
			v->garbage++;
			continue;
		}
		*eq = '\0';
		if (v->nkv == cap) {
			struct xv_vmci_kv *n = realloc(v->kv, 2 * cap * sizeof(*n));
			if (!n)
				goto oom;
			v->kv = n;
			cap *= 2;
		}
		v->kv[v->nkv].key = line;
		v->kv[v->nkv].val = eq + 1;
		v->nkv++;
	}
	if (v->nkv == 0) {
		xv_err(EINVAL, "VMCOREINFO text has no KEY=VALUE line (%zu bytes, %zu garbage lines)",
		       len, v->garbage);
		xv_vmci_free(v);
		return NULL;
	}
	return v;
oom:
	xv_vmci_free(v);
	xv_err(ENOMEM, "out of memory parsing VMCOREINFO");
	return NULL;
}

void xv_vmci_free(struct xv_vmci *v)
{
	if (!v)
		return;
	free(v->buf);
	free(v->text);
	free(v->kv);
	free(v);
}

const char *xv_vmci_get(const struct xv_vmci *v, const char *key)
{
	if (!v || !key)
		return NULL;
	for (size_t i = v->nkv; i-- > 0;)
		if (strcmp(v->kv[i].key, key) == 0)
			return v->kv[i].val;
	return NULL;
}

/* Strict: the whole string must be the number. */
static int parse_num(const char *s, bool hex_default, uint64_t *out)
{
	bool neg = false, hex = hex_default;
	uint64_t val = 0;
	int ndig = 0;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		hex = true;
		s += 2;
	}
	for (; *s; s++, ndig++) {
		unsigned d;
		char c = *s;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		if (hex) {
			if (val >> 60)
				return -ERANGE;
			val = val << 4 | d;
		} else {
			if (val > (UINT64_MAX - d) / 10)
				return -ERANGE;
			val = val * 10 + d;
		}
	}
	if (ndig == 0)
		return -EINVAL;
	if (neg) {
		if (val > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		val = (uint64_t)0 - val;
	}
	*out = val;
	return 0;
}

int xv_vmci_u64(const struct xv_vmci *v, const char *key, uint64_t *out)
{
	const char *s = xv_vmci_get(v, key);
	bool hex;
	int r;

	if (!s)
		return xv_err(ENOENT, "VMCOREINFO has no %s", key ? key : "(null)");
	hex = strncmp(key, "SYMBOL(", 7) == 0 || strcmp(key, "KERNELOFFSET") == 0;
	r = parse_num(s, hex, out);
	if (r == -EINVAL)
		return xv_err(EINVAL, "VMCOREINFO %s=%s is not a number", key, s);
	if (r == -ERANGE)
		return xv_err(ERANGE, "VMCOREINFO %s=%s does not fit 64 bits", key, s);
	return 0;
}

int xv_vmci_s64(const struct xv_vmci *v, const char *key, int64_t *out)
{
	uint64_t u;
	int r = xv_vmci_u64(v, key, &u);

	if (r == 0)
		*out = (int64_t)u;
	return r;
}

static int keyed(const struct xv_vmci *v, const char *fmt, const char *a, const char *b,
		 uint64_t *out)
{
	char key[256];
	int n = b ? snprintf(key, sizeof(key), fmt, a, b) : snprintf(key, sizeof(key), fmt, a);

	if (n < 0 || (size_t)n >= sizeof(key))
		return xv_err(ENAMETOOLONG, "VMCOREINFO key too long");
	return xv_vmci_u64(v, key, out);
}

int xv_vmci_symbol(const struct xv_vmci *v, const char *name, uint64_t *addr)
{
	return keyed(v, "SYMBOL(%s)", name, NULL, addr);
}

int xv_vmci_number(const struct xv_vmci *v, const char *name, int64_t *out)
{
	uint64_t u;
	int r = keyed(v, "NUMBER(%s)", name, NULL, &u);

	if (r == 0)
		*out = (int64_t)u;
	return r;
}

int xv_vmci_offset(const struct xv_vmci *v, const char *type, const char *field, uint64_t *out)
{
	return keyed(v, "OFFSET(%s.%s)", type, field, out);
}

int xv_vmci_size(const struct xv_vmci *v, const char *type, uint64_t *out)
{
	return keyed(v, "SIZE(%s)", type, NULL, out);
}

size_t xv_vmci_count(const struct xv_vmci *v)
{
	return v ? v->nkv : 0;
}

int xv_vmci_entry(const struct xv_vmci *v, size_t i, const char **key, const char **value)
{
	if (!v || i >= v->nkv)
		return -ENOENT;
	if (key)
		*key = v->kv[i].key;
	if (value)
		*value = v->kv[i].val;
	return 0;
}

size_t xv_vmci_garbage(const struct xv_vmci *v)
{
	return v ? v->garbage : 0;
}

const char *xv_vmci_text(const struct xv_vmci *v, size_t *len)
{
	if (len)
		*len = v ? v->len : 0;
	return v ? v->text : NULL;
}

/* "6.1.0-13-amd64": digits, '.', digit. Rejects format strings such as "%s". */
static bool is_release(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 0 && i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9';
}

int xv_vmci_check(const struct xv_vmci *v)
{
	const char *rel = xv_vmci_get(v, "OSRELEASE");
	uint64_t ps, a;

	if (!rel)
		return xv_err(ENOENT, "VMCOREINFO has no OSRELEASE");
	if (!is_release(rel, strlen(rel)))
		return xv_err(EINVAL, "VMCOREINFO OSRELEASE=%s is not a kernel release", rel);
	if (xv_vmci_u64(v, "PAGESIZE", &ps) < 0)
		return xv_err_ctx(ENOENT, "VMCOREINFO: ");
	if (ps < 4096 || ps > 65536 || (ps & (ps - 1)))
		return xv_err(EINVAL, "VMCOREINFO PAGESIZE=%llu is not 4K..64K", (unsigned long long)ps);
	if (xv_vmci_symbol(v, "swapper_pg_dir", &a) < 0 && xv_vmci_symbol(v, "init_top_pgt", &a) < 0)
		return xv_err(ENOENT,
			      "VMCOREINFO has neither SYMBOL(swapper_pg_dir) nor SYMBOL(init_top_pgt)");
	return 0;
}

/* ---- physical scanning ---- */

static int mem_read_cb(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return xv_mem_read(ctx, pa, buf, len);
}

static const void *mem_view_cb(void *ctx, uint64_t pa, size_t len)
{
	return xv_mem_view(ctx, pa, len);
}

void xv_phys_src_from_mem(struct xv_phys_src *src, struct xv_mem *mem)
{
	src->segs = xv_mem_segs(mem);
	src->nsegs = xv_mem_nsegs(mem);
	src->read = mem_read_cb;
	src->view = mem_view_cb;
	src->scanned = NULL;
	src->ctx = mem;
}

/* Scan window: views are scanned and given back (src->scanned) one window at a time, and reads
 * go through one buffer of this size, so a scan of all RAM keeps at most this much resident. The
 * buffer is live while a hit is examined (a BTF candidate is carved then: the peak of discovery),
 * so it is small; 384 reads for 96 MiB cost nothing next to the copying. */
#define SCAN_CHUNK (256u << 10)

/* resume (optional): the hit callback may move it forward; matches starting below it are not
 * reported, and the search jumps there instead of visiting them one by one. */
static int scan_buf(const uint8_t *b, size_t n, size_t report_below, uint64_t pa0,
		    const uint8_t *needle, size_t nlen, size_t key, xv_phys_hit_fn hit, void *arg,
		    const uint64_t *resume)
{
	const uint8_t *p = b + key, *end = b + n;

	if (n < nlen)
		return 0;
	while (p < end) {
		const uint8_t *q, *c;

		if (resume && *resume > pa0 + (uint64_t)(p - key - b)) {
			if (*resume - pa0 >= n)
				break;
			p = b + (*resume - pa0) + key;
			if (p >= end)
				break;
		}
		q = memchr(p, needle[key], (size_t)(end - p));
		if (!q)
			break;
		c = q - key;
		if ((size_t)(c - b) >= report_below)
			break;
		if ((size_t)(end - c) >= nlen && memcmp(c, needle, nlen) == 0) {
			int r = hit(arg, pa0 + (uint64_t)(c - b), c, (size_t)(end - c));
			if (r)
				return r;
		}
		p = q + 1;
	}
	return 0;
}

static int phys_scan(const struct xv_phys_src *src, uint64_t lo, uint64_t hi, const void *needle,
		     size_t nlen, size_t key, xv_phys_hit_fn hit, void *arg, const uint64_t *resume)
{
	uint8_t *buf = NULL;
	int r = 0;

	if (!src || !needle || nlen == 0 || key >= nlen || !hit || (!src->read && !src->view))
		return xv_err(EINVAL, "physical scan: bad arguments");
	for (size_t i = 0; i < src->nsegs && r == 0; i++) {
		uint64_t s = src->segs[i].start, e = s + src->segs[i].size;
		const uint8_t *view;

		if (e < s)
			e = UINT64_MAX;
		if (s < lo)
			s = lo;
		if (e > hi)
			e = hi;
		if (e <= s || e - s < nlen)
			continue;
		view = src->view && e - s <= SIZE_MAX ? src->view(src->ctx, s, (size_t)(e - s)) : NULL;
		if (view) {
			/* In chunks, like the read path, so the owner can release what was scanned. */
			size_t total = (size_t)(e - s);

			for (size_t off = 0; off < total && r == 0; off += SCAN_CHUNK) {
				size_t n = total - off > SCAN_CHUNK + nlen - 1 ? SCAN_CHUNK + nlen - 1
									  : total - off;

				if (n < nlen)
					break;
				r = scan_buf(view + off, n, total - off > SCAN_CHUNK ? SCAN_CHUNK : SIZE_MAX,
					     s + off, needle, nlen, key, hit, arg, resume);
				if (src->scanned)
					src->scanned(src->ctx, s + off, n);
			}
			continue;
		}
		if (!src->read)
			return xv_err(EFAULT, "physical scan: no view of 0x%llx and no read callback",
				      (unsigned long long)s);
		if (!buf && !(buf = xv_scratch_alloc(SCAN_CHUNK + nlen)))
			return xv_err(ENOMEM, "physical scan: out of memory");
		for (uint64_t pos = s; pos < e && r == 0; pos += SCAN_CHUNK) {
			size_t n = e - pos > SCAN_CHUNK + nlen - 1 ? SCAN_CHUNK + nlen - 1 : (size_t)(e - pos);

			if (resume && *resume >= pos + SCAN_CHUNK)
				continue; /* nothing reportable in this chunk */
			r = src->read(src->ctx, pos, buf, n);
			if (r < 0) {
				r = xv_err_ctx(r, "physical scan at 0x%llx: ", (unsigned long long)pos);
				break;
			}
			r = scan_buf(buf, n, SCAN_CHUNK, pos, needle, nlen, key, hit, arg, resume);
			if (src->scanned)
				src->scanned(src->ctx, pos, n);
		}
	}
	xv_scratch_free(buf, SCAN_CHUNK + nlen);
	return r;
}

int xv_phys_scan(const struct xv_phys_src *src, uint64_t lo, uint64_t hi, const void *needle,
		 size_t nlen, size_t key, xv_phys_hit_fn hit, void *arg)
{
	return phys_scan(src, lo, hi, needle, nlen, key, hit, arg, NULL);
}

long xv_phys_read_upto(const struct xv_phys_src *src, uint64_t pa, void *buf, size_t max)
{
	for (size_t i = 0; i < src->nsegs; i++) {
		uint64_t s = src->segs[i].start, sz = src->segs[i].size;
		size_t n;
		const void *v;

		if (pa < s || pa - s >= sz)
			continue;
		n = sz - (pa - s) < max ? (size_t)(sz - (pa - s)) : max;
		if (n > LONG_MAX)
			n = LONG_MAX;
		v = src->view ? src->view(src->ctx, pa, n) : NULL;
		if (v) {
			memcpy(buf, v, n);
			return (long)n;
		}
		if (!src->read)
			return xv_err(EFAULT, "no way to read 0x%llx", (unsigned long long)pa);
		{
			int r = src->read(src->ctx, pa, buf, n);
			if (r < 0)
				return r;
		}
		return (long)n;
	}
	return xv_err(EFAULT, "guest-physical 0x%llx is outside guest RAM", (unsigned long long)pa);
}

/* ---- finding VMCOREINFO ---- */

struct find_state {
	const struct xv_phys_src *src;
	struct xv_vmci_scan *out;
	size_t cap;
	uint8_t *tmp; /* XV_VMCI_MAX_TEXT scratch for hits near a chunk end */
	uint64_t skip_until; /* end of the last text examined: hits inside it are not note starts */
	int err;
};

static size_t text_extent(const uint8_t *p, size_t n, bool *terminated)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\n' && !val_char_ok(p[i]))
			break;
	*terminated = i < n;
	return i;
}

static enum xv_vmci_where where_is(const struct xv_phys_src *src, uint64_t pa)
{
	uint8_t h[24];

	if (pa >= 24 && xv_phys_read_upto(src, pa - 24, h, 24) == 24 && xv_le32(h) == 11 &&
	    xv_le32(h + 8) == 0 && memcmp(h + 12, "VMCOREINFO\0", 11) == 0)
		return XV_VMCI_IN_NOTE;
	if ((pa & 4095) == 0)
		return XV_VMCI_PAGE;
	return XV_VMCI_OTHER;
}

static uint64_t text_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int vmci_hit(void *arg, uint64_t pa, const uint8_t *p, size_t avail)
{
	struct find_state *st = arg;
	struct xv_vmci_scan *out = st->out;
	size_t n = avail < XV_VMCI_MAX_TEXT ? avail : XV_VMCI_MAX_TEXT, len;
	bool term;
	struct xv_vmci *v;
	struct xv_vmci_cand *c;
	enum xv_vmci_where where;
	uint64_t h;

	/* A hit inside the previous text cannot start a note (the kernel's copies follow a NUL);
	 * skipping it keeps the work linear when a guest fills RAM with "OSRELEASE=" lines. */
	if (pa < st->skip_until) {
		out->nested++;
		return 0;
	}
	len = text_extent(p, n, &term);
	if (!term && n < XV_VMCI_MAX_TEXT) {
		/* the view or chunk ended: fetch the rest directly */
		long got = xv_phys_read_upto(st->src, pa, st->tmp, XV_VMCI_MAX_TEXT);
		if (got > 0) {
			p = st->tmp;
			len = text_extent(p, (size_t)got, &term);
		}
	}
	st->skip_until = pa + len;
	if (!is_release((const char *)p + 10, len - 10)) {
		out->decoys++;
		return 0;
	}
	while (len > 0 && p[len - 1] != '\n')
		len--; /* keep complete lines only */
	if (len == 0) {
		out->decoys++;
		return 0;
	}
	where = where_is(st->src, pa);
	h = text_hash(p, len);
	for (size_t i = 0; i < out->ncands; i++) {
		c = &out->cands[i];
		if (c->hash == h && c->len == len && memcmp(c->text, p, len) == 0) {
			c->copies++;
			if (where < c->where) {
				c->where = where;
				c->pa = pa;
			}
			return 0;
		}
	}
	if (out->ncands == st->cap) {
		size_t nc = st->cap ? 2 * st->cap : 8;
		struct xv_vmci_cand *a;

		if (nc > XV_VMCI_MAX_CANDS) { /* hostile RAM full of fake notes */
			out->dropped++;
			return 0;
		}
		a = realloc(out->cands, nc * sizeof(*a));
		if (!a)
			return st->err = xv_err(ENOMEM, "out of memory scanning for VMCOREINFO");
		out->cands = a;
		st->cap = nc;
	}
	c = &out->cands[out->ncands];
	memset(c, 0, sizeof(*c));
	c->text = malloc(len + 1);
	if (!c->text)
		return st->err = xv_err(ENOMEM, "out of memory scanning for VMCOREINFO");
	memcpy(c->text, p, len);
	c->text[len] = '\0';
	c->len = len;
	c->hash = h;
	c->pa = pa;
	c->where = where;
	v = xv_vmci_parse(c->text, len);
	if (v) {
		c->nkeys = xv_vmci_count(v);
		/* KERNELOFFSET comes from arch_crash_save_vmcoreinfo(), the last writer on x86-64
		 * and arm64: without it the copy was cut short */
		c->complete = xv_vmci_check(v) == 0 && xv_vmci_get(v, "KERNELOFFSET") != NULL;
		xv_vmci_free(v);
	}
	out->ncands++;
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct xv_vmci_cand *x = a, *y = b;

	if (x->complete != y->complete)
		return y->complete - x->complete;
	if (x->nkeys != y->nkeys)
		return x->nkeys > y->nkeys ? -1 : 1;
	if (x->where != y->where)
		return (int)x->where - (int)y->where;
	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

/* The kernel's own copies sit at fixed page offsets: vmcoreinfo_data at 0 (get_zeroed_page) and
 * the text inside vmcoreinfo_note at 24 (alloc_pages_exact + 12-byte header + "VMCOREINFO\0\0"). */
static int probe_pages(const struct xv_phys_src *src, struct find_state *st)
{
	static const size_t offs[] = {0, 24};
	uint8_t b[34]; /* both probes of a page: "OSRELEASE=" at 0 and at 24 */

	for (size_t i = 0; i < src->nsegs; i++) {
		uint64_t s = src->segs[i].start, sz = src->segs[i].size;
		const uint8_t *v = src->view && sz <= SIZE_MAX ? src->view(src->ctx, s, (size_t)sz) : NULL;
		uint64_t win = s; /* start of the window not yet reported as scanned */

		for (uint64_t pg = (s + 4095) & ~(uint64_t)4095; pg >= s && pg - s < sz; pg += 4096) {
			if (src->scanned && pg - win >= SCAN_CHUNK) {
				src->scanned(src->ctx, win, (size_t)(pg - win));
				win = pg;
			}
			for (size_t k = 0; k < XV_ARRAY_SIZE(offs); k++) {
				uint64_t pa = pg + offs[k], rel = pa - s;
				const uint8_t *p;
				int r;

				if (rel + 10 > sz)
					break;
				if (v) {
					p = v + rel;
				} else {
					/* one read per page covers both offsets */
					size_t n = sz - rel < sizeof(b) ? (size_t)(sz - rel) : sizeof(b);

					if (k == 0) {
						memset(b, 0, sizeof(b));
						if (src->read && src->read(src->ctx, pa, b, n) < 0)
							memset(b, 0, sizeof(b));
					}
					p = b + offs[k];
				}
				if (p[0] != 'O' || memcmp(p, "OSRELEASE=", 10) != 0)
					continue;
				r = vmci_hit(st, pa, p, v ? (size_t)(sz - rel) : sizeof(b) - offs[k]);
				if (r)
					return r;
			}
		}
		if (src->scanned && sz > win - s)
			src->scanned(src->ctx, win, (size_t)(sz - (win - s)));
	}
	return 0;
}

static int scan_common(const struct xv_phys_src *src, struct xv_vmci_scan *out, bool pages_only)
{
	struct find_state st = {.src = src, .out = out};
	int r;

	memset(out, 0, sizeof(*out));
	if (!src || (!src->read && !src->view))
		return xv_err(EINVAL, "VMCOREINFO scan: no memory source");
	st.tmp = malloc(XV_VMCI_MAX_TEXT);
	if (!st.tmp)
		return xv_err(ENOMEM, "out of memory scanning for VMCOREINFO");
	if (pages_only)
		r = probe_pages(src, &st);
	else /* '=' is the rarest byte of the needle in both text and binary data */
		r = phys_scan(src, 0, UINT64_MAX, "OSRELEASE=", 10, 9, vmci_hit, &st,
			      &st.skip_until);
	free(st.tmp);
	if (r < 0 || st.err < 0) {
		xv_vmci_scan_free(out);
		return r < 0 ? r : st.err;
	}
	if (out->ncands > 1)
		qsort(out->cands, out->ncands, sizeof(*out->cands), cand_cmp);
	for (size_t i = 0; i < out->ncands; i++)
		out->distinct_complete += out->cands[i].complete != 0;
	return 0;
}

int xv_vmci_scan_all(const struct xv_phys_src *src, struct xv_vmci_scan *out)
{
	return scan_common(src, out, false);
}

int xv_vmci_scan_pages(const struct xv_phys_src *src, struct xv_vmci_scan *out)
{
	return scan_common(src, out, true);
}

void xv_vmci_scan_free(struct xv_vmci_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncands; i++)
		free(s->cands[i].text);
	free(s->cands);
	memset(s, 0, sizeof(*s));
}

static int pick(struct xv_vmci_scan *s, xv_vmci_judge_fn judge, void *judge_arg, char **text,
		size_t *len, uint64_t *pa, size_t *rejected)
{
	for (size_t i = 0; i < s->ncands; i++) {
		struct xv_vmci_cand *c = &s->cands[i];
		struct xv_vmci *v;
		int r;

		if (!c->complete)
			break; /* sorted: the rest are incomplete too */
		if (judge) {
			v = xv_vmci_parse(c->text, c->len);
			if (!v) {
				(*rejected)++;
				continue;
			}
			r = judge(judge_arg, v, c->pa);
			xv_vmci_free(v);
			if (r < 0) {
				(*rejected)++;
				continue;
			}
		}
		if (text) {
			*text = c->text;
			c->text = NULL;
		}
		if (len)
			*len = c->len;
		if (pa)
			*pa = c->pa;
		return 0;
	}
	return -ENOENT;
}

int xv_vmci_find(const struct xv_phys_src *src, xv_vmci_judge_fn judge, void *judge_arg, char **text,
		 size_t *len, uint64_t *pa)
{
	struct xv_vmci_scan s;
	size_t rejected = 0;
	int r;

	/* fast path: the kernel's page-aligned copies; a judge-less pick must be unambiguous */
	if ((r = xv_vmci_scan_pages(src, &s)) < 0)
		return r;
	if ((judge || s.distinct_complete == 1) &&
	    pick(&s, judge, judge_arg, text, len, pa, &rejected) == 0) {
		xv_vmci_scan_free(&s);
		return 0;
	}
	xv_vmci_scan_free(&s);
	rejected = 0;
	if ((r = xv_vmci_scan_all(src, &s)) < 0)
		return r;
	if (pick(&s, judge, judge_arg, text, len, pa, &rejected) == 0) {
		xv_vmci_scan_free(&s);
		return 0;
	}
	r = xv_err(ENOENT,
		   "no usable VMCOREINFO in guest RAM (%zu candidate texts, %zu complete, %zu rejected "
		   "by the check, %zu \"OSRELEASE=\" decoys)",
		   s.ncands, s.distinct_complete, rejected, s.decoys);
	xv_vmci_scan_free(&s);
	return r;
}
