/* btfpath.c — compile and evaluate C-like member paths over BTF (the typed-object layer's core). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "kernel/btfpath.h"
#include "util/bytes.h"
#include "xvids/err.h"

#define MAX_DEPTH 64     /* typedef/qualifier chains, anonymous nesting */
#define MAX_DEREF 32
#define MAX_PATH 1024
#define MAX_IDENT 128

struct xv_btfpath {
	struct xv_btfpath_info info;
	char *text;                   /* "root.path" for messages */
	size_t label_end[MAX_DEREF];  /* text prefix naming the k-th pointer */
	int64_t off[MAX_DEREF + 1];
};

/* Strip typedefs and qualifiers; 0 (void) stays 0. -ELOOP on absurd chains. */
static int strip(const struct btf *btf, uint32_t id, uint32_t *out)
{
	for (int d = 0; d < MAX_DEPTH; d++) {
		const struct btf_type *t;

		if (id == 0) {
			*out = 0;
			return 0;
		}
		t = btf__type_by_id(btf, id);
		if (!t)
			return xv_err(EINVAL, "BTF type id %u does not exist", id);
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			*out = id;
			return 0;
		}
	}
	return xv_err(ELOOP, "BTF typedef/qualifier chain deeper than %d", MAX_DEPTH);
}

static enum xv_bp_kind kind_of(const struct btf_type *t)
{
	if (!t)
		return XV_BP_OTHER;
	switch (btf_kind(t)) {
	case BTF_KIND_INT: return XV_BP_INT;
	case BTF_KIND_PTR: return XV_BP_PTR;
	case BTF_KIND_ARRAY: return XV_BP_ARRAY;
	case BTF_KIND_STRUCT: return XV_BP_STRUCT;
	case BTF_KIND_UNION: return XV_BP_UNION;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: return XV_BP_ENUM;
	case BTF_KIND_FLOAT: return XV_BP_FLOAT;
	case BTF_KIND_FWD: return XV_BP_FWD;
	default: return XV_BP_OTHER;
	}
}

static const char *kind_name(const struct btf *btf, uint32_t id, char *buf, size_t len)
{
	const struct btf_type *t = id ? btf__type_by_id(btf, id) : NULL;
	const char *n = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	static const char *const k[] = {
		[XV_BP_INT] = "int", [XV_BP_PTR] = "pointer", [XV_BP_ARRAY] = "array",
		[XV_BP_STRUCT] = "struct", [XV_BP_UNION] = "union", [XV_BP_ENUM] = "enum",
		[XV_BP_FLOAT] = "float", [XV_BP_FWD] = "declared-only type", [XV_BP_OTHER] = "type",
	};

	if (!id) {
		snprintf(buf, len, "void");
		return buf;
	}
	snprintf(buf, len, "%s%s%s", k[kind_of(t)], n && *n ? " " : "", n ? n : "");
	return buf;
}

int xv_btf_find_type(const struct btf *btf, const char *name)
{
	int id;
	int want = 0; /* 1 struct, 2 union */

	if (!btf || !name)
		return xv_err(EINVAL, "no BTF or type name");
	if (strncmp(name, "struct ", 7) == 0) {
		want = 1;
		name += 7;
	} else if (strncmp(name, "union ", 6) == 0) {
		want = 2;
		name += 6;
	}
	while (*name == ' ')
		name++;
	if (want != 2 && (id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT)) > 0)
		return id;
	if (want != 1 && (id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION)) > 0)
		return id;
	if (!want && (id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF)) > 0)
		return id;
	return xv_err(ENOENT, "BTF has no %s named '%s'",
		      want == 1 ? "struct" : want == 2 ? "union" : "struct, union or typedef", name);
}

/* Find member name in composite id, descending into anonymous members. *bits accumulates the
 * bit offset; mtype and bfsize describe the member. 1 found, 0 not found, <0 error. */
static int find_member(const struct btf *btf, uint32_t id, const char *name, int depth,
		       uint64_t *bits, uint32_t *mtype, uint32_t *bfsize)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (depth > MAX_DEPTH)
		return xv_err(ELOOP, "anonymous members nested deeper than %d", MAX_DEPTH);
	if (!t || !btf_is_composite(t))
		return 0;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *mn = btf__name_by_offset(btf, m->name_off);
		uint64_t mbits = btf_member_bit_offset(t, i);

		if (mn && *mn) {
			if (strcmp(mn, name) == 0) {
				*bits += mbits;
				*mtype = m->type;
				*bfsize = btf_member_bitfield_size(t, i);
				return 1;
			}
		} else {
			uint32_t sub;
			int r = strip(btf, m->type, &sub);
			uint64_t b = *bits + mbits;

			if (r < 0)
				return r;
			r = find_member(btf, sub, name, depth + 1, &b, mtype, bfsize);
			if (r != 0) {
				if (r > 0)
					*bits = b;
				return r;
			}
		}
	}
	return 0;
}

static void skip_ws(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

static int ident(const char **s, char *buf)
{
	size_t n = 0;

	while ((**s >= 'a' && **s <= 'z') || (**s >= 'A' && **s <= 'Z') || **s == '_' ||
	       (n > 0 && **s >= '0' && **s <= '9')) {
		if (n + 1 >= MAX_IDENT)
			return xv_err(ENAMETOOLONG, "member name longer than %d", MAX_IDENT - 1);
		buf[n++] = *(*s)++;
	}
	buf[n] = '\0';
	return n ? 0 : xv_err(EINVAL, "expected a member name at \"%.20s\"", *s);
}

static int number(const char **s, uint64_t *v)
{
	const char *p = *s;
	int base = 10, nd = 0;

	*v = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++, nd++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (*v > (UINT32_MAX - (unsigned)d) / (unsigned)base)
			return xv_err(ERANGE, "index too large at \"%.20s\"", *s);
		*v = *v * (unsigned)base + (unsigned)d;
	}
	if (!nd)
		return xv_err(EINVAL, "expected an index at \"%.20s\"", *s);
	*s = p;
	return 0;
}

struct cstate {
	const struct btf *btf;
	struct xv_btfpath *p;
	uint32_t cur;        /* stripped current type */
	uint32_t decl;       /* current type as declared */
	int64_t off;         /* byte offset in the current segment */
	uint32_t bfsize;     /* current is a bitfield of this width */
	unsigned bshift;
	const char *label;   /* start of the current element's text in path */
	size_t label_end;    /* end of the text so far (for "x is NULL" messages) */
	char what[160];      /* "'mm'" or "struct task_struct" for messages */
};

static int add_off(struct cstate *c, int64_t delta)
{
	if ((delta > 0 && c->off > INT64_MAX - delta) || (delta < 0 && c->off < INT64_MIN - delta))
		return xv_err(ERANGE, "offset overflow in path");
	c->off += delta;
	return 0;
}

static int push_deref(struct cstate *c)
{
	struct xv_btfpath *p = c->p;

	if (p->info.nderef >= MAX_DEREF)
		return xv_err(E2BIG, "more than %d dereferences in one path", MAX_DEREF);
	p->off[p->info.nderef] = c->off;
	p->label_end[p->info.nderef] = c->label_end;
	p->info.nderef++;
	c->off = 0;
	return 0;
}

static int set_type(struct cstate *c, uint32_t decl)
{
	c->decl = decl;
	return strip(c->btf, decl, &c->cur);
}

static int member_step(struct cstate *c, const char *name, bool arrow)
{
	const struct btf *btf = c->btf;
	const struct btf_type *t;
	uint64_t bits = 0;
	uint32_t mtype = 0, bf = 0;
	char kb[160];
	int r;

	if (c->bfsize)
		return xv_err(EINVAL, "%s is a bitfield, it has no member '%s'", c->what, name);
	t = btf__type_by_id(btf, c->cur);
	if (arrow) {
		if (kind_of(t) != XV_BP_PTR)
			return xv_err(EINVAL, "%s is not a pointer, cannot use ->", c->what);
		if ((r = push_deref(c)) < 0)
			return r;
		if ((r = set_type(c, t->type)) < 0)
			return r;
		t = btf__type_by_id(btf, c->cur);
		if (kind_of(t) == XV_BP_FWD)
			return xv_err(ENOENT, "%s points to %s %s, which is only declared in BTF "
					      "(no layout)", c->what, btf_kflag(t) ? "union" : "struct",
				      btf__name_by_offset(btf, t->name_off));
		if (kind_of(t) != XV_BP_STRUCT && kind_of(t) != XV_BP_UNION)
			return xv_err(EINVAL, "%s points to %s, which has no members", c->what,
				      kind_name(btf, c->cur, kb, sizeof(kb)));
	} else if (kind_of(t) == XV_BP_PTR) {
		return xv_err(EINVAL, "%s is a pointer, use -> not .", c->what);
	}
	if (kind_of(t) == XV_BP_FWD)
		return xv_err(ENOENT, "%s is only declared in BTF (no layout), no member '%s'",
			      kind_name(btf, c->cur, kb, sizeof(kb)), name);
	if (kind_of(t) != XV_BP_STRUCT && kind_of(t) != XV_BP_UNION)
		return xv_err(EINVAL, "%s is %s, it has no member '%s'", c->what,
			      kind_name(btf, c->cur, kb, sizeof(kb)), name);
	r = find_member(btf, c->cur, name, 0, &bits, &mtype, &bf);
	if (r < 0)
		return r;
	if (r == 0)
		return xv_err(ENOENT, "%s has no member '%s'", kind_name(btf, c->cur, kb, sizeof(kb)),
			      name);
	if ((r = set_type(c, mtype)) < 0)
		return r;
	t = btf__type_by_id(btf, c->cur);
	/* old-style bitfields carry the bit layout in the int encoding */
	if (!bf && t && btf_is_int(t) &&
	    (btf_int_offset(t) || btf_int_bits(t) != 8 * t->size)) {
		bits += btf_int_offset(t);
		bf = btf_int_bits(t);
	}
	if (!bf && (bits & 7))
		return xv_err(EINVAL, "member '%s' is not byte-aligned (bit %llu) but not a bitfield",
			      name, (unsigned long long)bits);
	if ((r = add_off(c, (int64_t)(bits / 8))) < 0)
		return r;
	c->bfsize = bf;
	c->bshift = (unsigned)(bits & 7);
	snprintf(c->what, sizeof(c->what), "'%s'", name);
	return 0;
}

static int index_step(struct cstate *c, uint64_t idx)
{
	const struct btf *btf = c->btf;
	const struct btf_type *t = btf__type_by_id(btf, c->cur);
	char kb[160];
	int64_t esz;
	int r;

	if (c->bfsize)
		return xv_err(EINVAL, "%s is a bitfield, cannot index it", c->what);
	if (kind_of(t) == XV_BP_ARRAY) {
		const struct btf_array *a = btf_array(t);

		if (a->nelems && idx >= a->nelems)
			return xv_err(ERANGE, "index %llu is out of bounds for %s[%u]",
				      (unsigned long long)idx, c->what, a->nelems);
		esz = btf__resolve_size(btf, a->type);
		if (esz < 0)
			return xv_err(EINVAL, "%s: element size unknown", c->what);
		if ((r = set_type(c, a->type)) < 0)
			return r;
	} else if (kind_of(t) == XV_BP_PTR) {
		if ((r = push_deref(c)) < 0)
			return r;
		if ((r = set_type(c, t->type)) < 0)
			return r;
		esz = c->cur ? btf__resolve_size(btf, c->cur) : -1;
		if (esz <= 0)
			return xv_err(EINVAL, "%s points to %s of unknown size, cannot index it",
				      c->what, kind_name(btf, c->cur, kb, sizeof(kb)));
	} else {
		return xv_err(EINVAL, "%s is %s, not an array or pointer, cannot index it", c->what,
			      kind_name(btf, c->cur, kb, sizeof(kb)));
	}
	if (esz > 0 && idx > (uint64_t)INT64_MAX / (uint64_t)esz)
		return xv_err(ERANGE, "index overflow");
	return add_off(c, (int64_t)idx * esz);
}

static int finish_info(struct cstate *c)
{
	const struct btf *btf = c->btf;
	struct xv_btfpath_info *in = &c->p->info;
	const struct btf_type *t = c->cur ? btf__type_by_id(btf, c->cur) : NULL;
	int64_t sz;

	c->p->off[in->nderef] = c->off;
	in->decl_id = c->decl;
	in->type_id = c->cur;
	in->kind = c->cur ? kind_of(t) : XV_BP_OTHER;
	sz = c->cur ? btf__resolve_size(btf, c->cur) : 0;
	in->size = sz > 0 ? (uint64_t)sz : 0;
	if (in->kind == XV_BP_INT) {
		in->is_signed = (btf_int_encoding(t) & BTF_INT_SIGNED) != 0;
		in->is_bool = (btf_int_encoding(t) & BTF_INT_BOOL) != 0;
	} else if (in->kind == XV_BP_ENUM) {
		in->is_signed = btf_kflag(t);
	} else if (in->kind == XV_BP_PTR) {
		uint32_t tgt;
		if (strip(btf, t->type, &tgt) < 0)
			return -errno;
		in->target_id = tgt;
	} else if (in->kind == XV_BP_ARRAY) {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *et;
		int64_t es;

		if (strip(btf, a->type, &in->elem_id) < 0)
			return -errno;
		es = btf__resolve_size(btf, in->elem_id);
		in->elem_size = es > 0 ? (uint64_t)es : 0;
		in->nelems = a->nelems;
		et = btf__type_by_id(btf, in->elem_id);
		in->is_string = et && btf_is_int(et) && et->size == 1;
	}
	if (c->bfsize) {
		in->bit_shift = c->bshift;
		in->bit_size = c->bfsize;
		in->size = (c->bshift + c->bfsize + 7) / 8;
		if (c->bfsize > 64)
			return xv_err(EINVAL, "bitfield of %u bits", c->bfsize);
	}
	return 0;
}

int xv_btfpath_compile_id(const struct btf *btf, uint32_t type_id, const char *path,
			  struct xv_btfpath **out)
{
	struct cstate c = {.btf = btf};
	const struct btf_type *rt;
	const char *s = path, *root_name;
	char name[MAX_IDENT], kb[160];
	size_t plen, rlen;
	int r;

	*out = NULL;
	if (!btf || !path)
		return xv_err(EINVAL, "no BTF or path");
	plen = strlen(path);
	if (plen > MAX_PATH)
		return xv_err(ENAMETOOLONG, "field path longer than %d", MAX_PATH);
	c.p = calloc(1, sizeof(*c.p));
	if (!c.p)
		return xv_err(ENOMEM, "out of memory compiling a path");
	if ((r = set_type(&c, type_id)) < 0)
		goto fail;
	rt = btf__type_by_id(btf, c.cur);
	if (!c.cur || (kind_of(rt) != XV_BP_STRUCT && kind_of(rt) != XV_BP_UNION)) {
		r = xv_err(EINVAL, "root %s is not a struct or union",
			   kind_name(btf, c.cur, kb, sizeof(kb)));
		goto fail;
	}
	c.p->info.root_id = c.cur;
	root_name = btf__name_by_offset(btf, btf__type_by_id(btf, type_id)->name_off);
	if (!root_name || !*root_name)
		root_name = "(anonymous)";
	rlen = strlen(root_name);
	c.p->text = malloc(rlen + 1 + plen + 1);
	if (!c.p->text) {
		r = xv_err(ENOMEM, "out of memory compiling a path");
		goto fail;
	}
	snprintf(c.what, sizeof(c.what), "%s", kind_name(btf, c.cur, kb, sizeof(kb)));

	skip_ws(&s);
	if (*s) {
		/* the first element is a member of the root (an implicit '.') */
		if ((r = ident(&s, name)) < 0 || (r = member_step(&c, name, false)) < 0)
			goto fail;
	}
	for (;;) {
		c.label_end = (size_t)(s - path);
		skip_ws(&s);
		if (!*s)
			break;
		if (s[0] == '.' || (s[0] == '-' && s[1] == '>')) {
			bool arrow = s[0] == '-';
			s += arrow ? 2 : 1;
			skip_ws(&s);
			if ((r = ident(&s, name)) < 0 || (r = member_step(&c, name, arrow)) < 0)
				goto fail;
		} else if (s[0] == '[') {
			uint64_t idx;
			s++;
			skip_ws(&s);
			if ((r = number(&s, &idx)) < 0)
				goto fail;
			skip_ws(&s);
			if (*s != ']') {
				r = xv_err(EINVAL, "expected ']' at \"%.20s\"", s);
				goto fail;
			}
			s++;
			if ((r = index_step(&c, idx)) < 0)
				goto fail;
		} else {
			r = xv_err(EINVAL, "unexpected \"%.20s\" (expected '.', '->' or '[')", s);
			goto fail;
		}
	}
	if ((r = finish_info(&c)) < 0)
		goto fail;
	/* text = "root.path"; label_end values are shifted by the root prefix */
	memcpy(c.p->text, root_name, rlen);
	c.p->text[rlen] = plen ? '.' : '\0';
	memcpy(c.p->text + rlen + (plen ? 1 : 0), path, plen + 1);
	for (size_t k = 0; k < c.p->info.nderef; k++)
		c.p->label_end[k] += rlen + 1;
	*out = c.p;
	return 0;
fail:
	xv_btfpath_free(c.p);
	return xv_err_ctx(r, "path '%s': ", path);
}

int xv_btfpath_compile(const struct btf *btf, const char *type_name, const char *path,
		       struct xv_btfpath **out)
{
	int id = xv_btf_find_type(btf, type_name);

	*out = NULL;
	if (id < 0)
		return id;
	return xv_btfpath_compile_id(btf, (uint32_t)id, path, out);
}

void xv_btfpath_free(struct xv_btfpath *p)
{
	if (!p)
		return;
	free(p->text);
	free(p);
}

const struct xv_btfpath_info *xv_btfpath_info(const struct xv_btfpath *p)
{
	return &p->info;
}

const char *xv_btfpath_str(const struct xv_btfpath *p)
{
	return p->text;
}

int xv_btfpath_offset(const struct xv_btfpath *p, uint64_t *off)
{
	if (p->info.nderef)
		return xv_err(EINVAL, "path %s dereferences %zu pointer(s), it has no fixed offset",
			      p->text, p->info.nderef);
	*off = (uint64_t)p->off[0];
	return 0;
}

int64_t xv_btfpath_step(const struct xv_btfpath *p, size_t k)
{
	return k <= p->info.nderef ? p->off[k] : 0;
}

int xv_btfpath_eval(const struct xv_btfpath *p, xv_read_fn read, void *ctx, uint64_t base,
		    uint64_t *addr_out)
{
	uint64_t addr = base + (uint64_t)p->off[0];

	for (size_t k = 1; k <= p->info.nderef; k++) {
		uint8_t b[8];
		int r = read(ctx, addr, b, 8);
		int lab = (int)p->label_end[k - 1];

		if (r < 0)
			return xv_err_ctx(r, "reading %.*s at 0x%llx: ", lab, p->text,
					  (unsigned long long)addr);
		addr = xv_le64(b);
		if (addr == 0)
			return xv_err(EFAULT, "%.*s is NULL", lab, p->text);
		addr += (uint64_t)p->off[k];
	}
	*addr_out = addr;
	return 0;
}

int xv_btfpath_read(const struct xv_btfpath *p, xv_read_fn read, void *ctx, uint64_t base,
		    void *buf, size_t len)
{
	uint64_t addr;
	int r;

	if (len > p->info.size)
		return xv_err(EINVAL, "reading %zu bytes of %s, which has %llu", len, p->text,
			      (unsigned long long)p->info.size);
	if ((r = xv_btfpath_eval(p, read, ctx, base, &addr)) < 0)
		return r;
	if ((r = read(ctx, addr, buf, len)) < 0)
		return xv_err_ctx(r, "reading %s at 0x%llx: ", p->text, (unsigned long long)addr);
	return 0;
}

uint64_t xv_bitfield_extract(const uint8_t *bytes, unsigned bit_shift, unsigned bit_size,
			     int is_signed)
{
	unsigned nb = (bit_shift + bit_size + 7) / 8;
	unsigned __int128 v = 0;
	uint64_t x;

	if (bit_size == 0 || bit_size > 64 || bit_shift > 7)
		return 0;
	for (unsigned i = 0; i < nb; i++)
		v |= (unsigned __int128)bytes[i] << (8 * i);
	x = (uint64_t)(v >> bit_shift);
	if (bit_size < 64) {
		x &= ((uint64_t)1 << bit_size) - 1;
		if (is_signed && (x >> (bit_size - 1)))
			x |= ~(((uint64_t)1 << bit_size) - 1);
	}
	return x;
}

int xv_btfpath_read_u64(const struct xv_btfpath *p, xv_read_fn read, void *ctx, uint64_t base,
			uint64_t *val)
{
	const struct xv_btfpath_info *in = &p->info;
	uint8_t b[9] = {0};
	int r;

	if (in->kind != XV_BP_INT && in->kind != XV_BP_ENUM && in->kind != XV_BP_PTR)
		return xv_err(EINVAL, "%s is not an integer, enum or pointer", p->text);
	if (in->size == 0 || in->size > 9 || (!in->bit_size && in->size > 8))
		return xv_err(EINVAL, "%s has size %llu, cannot read it as a number", p->text,
			      (unsigned long long)in->size);
	if ((r = xv_btfpath_read(p, read, ctx, base, b, (size_t)in->size)) < 0)
		return r;
	if (in->bit_size) {
		*val = xv_bitfield_extract(b, in->bit_shift, in->bit_size, in->is_signed);
		return 0;
	}
	*val = xv_bitfield_extract(b, 0, (unsigned)in->size * 8, in->is_signed);
	return 0;
}

int xv_btf_member_offset(const struct btf *btf, const char *type_name, const char *member,
			 uint64_t *off)
{
	struct xv_btfpath *p;
	int r = xv_btfpath_compile(btf, type_name, member, &p);

	if (r < 0)
		return r;
	r = xv_btfpath_offset(p, off);
	xv_btfpath_free(p);
	return r;
}

int xv_btf_type_size(const struct btf *btf, const char *type_name, uint64_t *size)
{
	int id = xv_btf_find_type(btf, type_name);
	int64_t s;

	if (id < 0)
		return id;
	s = btf__resolve_size(btf, (uint32_t)id);
	if (s < 0)
		return xv_err(EINVAL, "BTF cannot size %s", type_name);
	*size = (uint64_t)s;
	return 0;
}
