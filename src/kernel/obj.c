/* obj.c — typed access to kernel objects: cached BTF field paths and bounded list walks. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "kernel/btfpath.h"
#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define PC_BUCKETS 512
#define PC_MAX_ENTRIES 65536 /* a runaway caller must not grow the cache without bound */

struct pc_ent {
	struct pc_ent *next;
	struct xv_btfpath *path; /* NULL: the path failed to compile (negative cache) */
	int err;
	char *msg;
	char key[];              /* "type\0path\0" */
};

struct xv_pathcache {
	struct pc_ent *b[PC_BUCKETS];
	size_t n;
};

static uint32_t pc_hash(const char *type, const char *path)
{
	uint32_t h = 2166136261u;

	for (const char *s = type; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *s = path; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

void xv_pathcache_free(struct xv_pathcache *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < PC_BUCKETS; i++) {
		struct pc_ent *e = pc->b[i], *nx;

		for (; e; e = nx) {
			nx = e->next;
			xv_btfpath_free(e->path);
			free(e->msg);
			free(e);
		}
	}
	free(pc);
}

/* The compiled path for (type, path), compiling it on first use. Failures are cached too, so a
 * check that probes an optional field ("__state" vs "state") pays for the miss once. */
static int get_path(struct xv_kernel *k, const char *type, const char *path,
		    const struct xv_btfpath **out)
{
	uint32_t h = pc_hash(type, path);
	size_t tl = strlen(type), pl = strlen(path);
	struct pc_ent *e;

	if (!k->btf)
		return xv_err(ENOENT, "no BTF loaded: cannot resolve %s.%s", type, path);
	if (!k->paths) {
		k->paths = calloc(1, sizeof(*k->paths));
		if (!k->paths)
			return xv_err(ENOMEM, "out of memory");
	}
	for (e = k->paths->b[h % PC_BUCKETS]; e; e = e->next)
		if (strcmp(e->key, type) == 0 && strcmp(e->key + tl + 1, path) == 0)
			break;
	if (!e) {
		if (k->paths->n >= PC_MAX_ENTRIES)
			return xv_err(ENOSPC, "field-path cache full (%d paths)", PC_MAX_ENTRIES);
		e = calloc(1, sizeof(*e) + tl + pl + 2);
		if (!e)
			return xv_err(ENOMEM, "out of memory");
		memcpy(e->key, type, tl + 1);
		memcpy(e->key + tl + 1, path, pl + 1);
		e->err = xv_btfpath_compile(k->btf, type, path, &e->path);
		if (e->err < 0)
			e->msg = strdup(xv_errmsg());
		e->next = k->paths->b[h % PC_BUCKETS];
		k->paths->b[h % PC_BUCKETS] = e;
		k->paths->n++;
	}
	if (!e->path)
		return xv_err(-e->err, "%s", e->msg ? e->msg : "field path does not compile");
	*out = e->path;
	return 0;
}

static int rd(void *ctx, uint64_t va, void *buf, size_t len)
{
	return xv_kernel_read(ctx, va, buf, len);
}

int xv_off(struct xv_kernel *k, const char *type, const char *path, uint32_t *off)
{
	const struct xv_btfpath *p;
	uint64_t o;
	int rc = get_path(k, type, path, &p);

	if (rc < 0)
		return rc;
	rc = xv_btfpath_offset(p, &o);
	if (rc < 0)
		return rc;
	if (o > UINT32_MAX)
		return xv_err(ERANGE, "offset of %s.%s is absurd (%" PRIu64 ")", type, path, o);
	*off = (uint32_t)o;
	return 0;
}

int xv_sizeof(struct xv_kernel *k, const char *type, uint32_t *size)
{
	uint64_t s;
	int rc;

	if (!k->btf)
		return xv_err(ENOENT, "no BTF loaded: cannot size struct %s", type);
	rc = xv_btf_type_size(k->btf, type, &s);
	if (rc < 0)
		return rc;
	if (s > UINT32_MAX)
		return xv_err(ERANGE, "sizeof(%s) is absurd", type);
	*size = (uint32_t)s;
	return 0;
}

static enum xv_kind kind_of(enum xv_bp_kind k)
{
	switch (k) {
	case XV_BP_INT: return XV_KIND_INT;
	case XV_BP_PTR: return XV_KIND_PTR;
	case XV_BP_ARRAY: return XV_KIND_ARRAY;
	case XV_BP_STRUCT:
	case XV_BP_UNION: return XV_KIND_STRUCT;
	case XV_BP_ENUM: return XV_KIND_ENUM;
	default: return XV_KIND_OTHER;
	}
}

int xv_obj_field(struct xv_kernel *k, const char *type, const char *path, uint64_t obj,
		 struct xv_fieldinfo *fi)
{
	const struct xv_btfpath *p;
	int rc = get_path(k, type, path, &p);

	if (rc < 0)
		return rc;
	const struct xv_btfpath_info *in = xv_btfpath_info(p);

	memset(fi, 0, sizeof(*fi));
	rc = xv_btfpath_eval(p, rd, k, obj, &fi->addr);
	if (rc < 0)
		return rc;
	fi->size = in->size > UINT32_MAX ? UINT32_MAX : (uint32_t)in->size;
	fi->kind = kind_of(in->kind);
	fi->is_signed = in->is_signed;
	fi->is_char_array = in->kind == XV_BP_ARRAY && in->is_string;
	fi->bit_off = in->bit_shift;
	fi->bit_size = in->bit_size;
	fi->type_id = (int32_t)in->type_id;
	if (in->kind == XV_BP_PTR && in->target_id) {
		const struct btf_type *t = btf__type_by_id(k->btf, in->target_id);

		fi->is_char_ptr = t && btf_is_int(t) && t->size == 1;
	}
	const struct btf_type *t = btf__type_by_id(k->btf, in->type_id);
	const char *name = t ? btf__name_by_offset(k->btf, t->name_off) : NULL;

	fi->type_name = name ? name : "";
	if (!fi->type_name[0] && in->kind == XV_BP_PTR)
		fi->type_name = "pointer";
	else if (!fi->type_name[0] && in->kind == XV_BP_ARRAY)
		fi->type_name = "array";
	return 0;
}

int xv_obj_u64(struct xv_kernel *k, const char *type, const char *path, uint64_t obj, uint64_t *v)
{
	const struct xv_btfpath *p;
	int rc = get_path(k, type, path, &p);

	return rc < 0 ? rc : xv_btfpath_read_u64(p, rd, k, obj, v);
}

int xv_obj_str(struct xv_kernel *k, const char *type, const char *path, uint64_t obj, char *buf,
	       size_t size)
{
	struct xv_fieldinfo fi;
	uint64_t ptr;
	int rc;

	if (size == 0)
		return xv_err(EINVAL, "empty string buffer");
	buf[0] = '\0';
	rc = xv_obj_field(k, type, path, obj, &fi);
	if (rc < 0)
		return rc;
	if (fi.is_char_array) {
		size_t n = fi.size < size - 1 ? fi.size : size - 1;

		rc = xv_kernel_read(k, fi.addr, buf, n);
		buf[rc < 0 ? 0 : n] = '\0';
		return rc;
	}
	if (!fi.is_char_ptr)
		return xv_err(EINVAL, "%s.%s is not a string (char array or char pointer)", type, path);
	rc = xv_kernel_read_u64(k, fi.addr, &ptr);
	if (rc < 0)
		return rc;
	if (!ptr)
		return xv_err(EFAULT, "%s.%s is NULL", type, path);
	return xv_kernel_read_str(k, ptr, buf, size);
}

/*
 * Lists in a hostile guest: a loop that does not return to head (a rootkit or corruption) is
 * caught by Brent's cycle detection in O(length) time and O(1) memory; max bounds everything else.
 * A list_head ring ends when it comes back to head; an hlist ends at NULL (end == 0).
 */
static int walk(struct xv_kernel *k, const char *what, uint64_t head, uint64_t end,
		uint32_t member_off, size_t max, xv_list_cb cb, void *ctx)
{
	uint64_t cur, mark = end;
	size_t n = 0, power = 1, lam = 0;
	int rc;

	if (xv_kernel_read_u64(k, head, &cur) < 0)
		return xv_err_ctx(EFAULT, "%s head at 0x%" PRIx64 ": ", what, head);
	while (cur != end) {
		if (!xv_kernel_is_kernel_addr(k, cur))
			return xv_err(EFAULT, "%s at 0x%" PRIx64 ": entry %zu points to 0x%" PRIx64
					      ", not a kernel address", what, head, n, cur);
		if (n >= max)
			return xv_err(E2BIG, "%s at 0x%" PRIx64 ": more than %zu entries", what, head,
				      max);
		if (cur == mark)
			return xv_err(ELOOP, "%s at 0x%" PRIx64 ": cycle that does not pass through "
					     "the head (entry 0x%" PRIx64 ")", what, head, cur);
		if (++lam == power) {
			mark = cur;
			power <<= 1;
			lam = 0;
		}
		rc = cb(k, cur - member_off, ctx);
		if (rc != 0)
			return rc;
		n++;
		if (xv_kernel_read_u64(k, cur, &cur) < 0)
			return xv_err_ctx(EFAULT, "%s at 0x%" PRIx64 ", entry %zu: ", what, head, n);
	}
	return 0;
}

int xv_list_walk(struct xv_kernel *k, uint64_t head, uint32_t member_off, size_t max, xv_list_cb cb,
		 void *ctx)
{
	return walk(k, "list", head, head, member_off, max, cb, ctx);
}

int xv_hlist_walk(struct xv_kernel *k, uint64_t head, uint32_t member_off, size_t max,
		  xv_list_cb cb, void *ctx)
{
	return walk(k, "hlist", head, 0, member_off, max, cb, ctx);
}
