/* btfscan.c — carve the vmlinux BTF out of guest RAM: header scan, libbpf validation, vmlinux markers. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/btfscan.h"
#include "util/bytes.h"
#include "xvids/err.h"

static void why_set(char *why, size_t len, const char *fmt, ...) XV_PRINTF(3, 4);
static void why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

int xv_btf_check_vmlinux(const struct btf *btf, char *why, size_t whylen)
{
	static const char *const structs[] = {"list_head", "module", "task_struct"};
	uint32_t n = btf__type_cnt(btf);
	const struct btf_type *t;
	int id;

	if (n < XV_BTF_MIN_TYPES) {
		why_set(why, whylen, "only %u types (a vmlinux BTF has tens of thousands)", n);
		return xv_err(ENOENT, "BTF has only %u types, not a vmlinux BTF", n);
	}
	for (size_t i = 0; i < XV_ARRAY_SIZE(structs); i++) {
		if (btf__find_by_name_kind(btf, structs[i], BTF_KIND_STRUCT) < 0) {
			why_set(why, whylen, "no struct %s", structs[i]);
			return xv_err(ENOENT, "BTF has no struct %s, not a vmlinux BTF", structs[i]);
		}
	}
	id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
	t = btf__type_by_id(btf, (uint32_t)id);
	for (uint16_t i = 0; t && i < btf_vlen(t); i++) {
		const char *m = btf__name_by_offset(btf, btf_members(t)[i].name_off);
		if (m && strcmp(m, "tasks") == 0)
			return 0;
	}
	why_set(why, whylen, "struct task_struct has no member tasks");
	return xv_err(ENOENT, "BTF struct task_struct has no member 'tasks', not a vmlinux BTF");
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Header sanity; returns total size or 0. */
static uint32_t header_size(const uint8_t *h, size_t avail)
{
	uint32_t hdr_len, toff, tlen, soff, slen;
	uint64_t tend, send, total;

	if (avail < 24 || xv_le16(h) != 0xeB9F || h[2] != 1 || h[3] != 0)
		return 0;
	hdr_len = xv_le32(h + 4);
	if (hdr_len < 24 || hdr_len > 256 || (hdr_len & 3) || avail < hdr_len)
		return 0;
	toff = xv_le32(h + 8);
	tlen = xv_le32(h + 12);
	soff = xv_le32(h + 16);
	slen = xv_le32(h + 20);
	if ((toff & 3) || slen == 0 || tlen == 0)
		return 0;
	tend = (uint64_t)toff + tlen;
	send = (uint64_t)soff + slen;
	/* sections may not overlap */
	if (!(tend <= soff || send <= toff))
		return 0;
	total = hdr_len + (tend > send ? tend : send);
	if (total > XV_BTF_MAX_SIZE)
		return 0;
	return (uint32_t)total;
}

struct scan_state {
	const struct xv_phys_src *src;
	struct xv_btfscan_result *res;
	size_t cap;
	uint64_t img_lo, img_hi;
	int skip_image; /* second pass: the image range was done already */
	int stop_early;
	uint64_t budget; /* candidate bytes libbpf may still parse */
	struct btf *best;
	size_t best_i;
	uint32_t best_kept;
	int err;
};

static bool in_image(const struct scan_state *st, uint64_t pa, uint32_t size)
{
	return st->img_hi > st->img_lo && pa >= st->img_lo && pa + size <= st->img_hi;
}

/* Is candidate a better than b (both valid vmlinux)? */
static bool better(const struct scan_state *st, const struct xv_btf_cand *a,
		   const struct xv_btf_cand *b)
{
	bool ia = in_image(st, a->pa, a->size), ib = in_image(st, b->pa, b->size);

	if (ia != ib)
		return ia;
	if (a->ntypes != b->ntypes)
		return a->ntypes > b->ntypes;
	return a->size > b->size;
}

/* Bytes from pa to the end of its segment (0 if outside RAM). */
static uint64_t seg_room(const struct xv_phys_src *src, uint64_t pa)
{
	for (size_t i = 0; i < src->nsegs; i++)
		if (pa >= src->segs[i].start && pa - src->segs[i].start < src->segs[i].size)
			return src->segs[i].size - (pa - src->segs[i].start);
	return 0;
}

static int btf_hit(void *arg, uint64_t pa, const uint8_t *p, size_t avail)
{
	struct scan_state *st = arg;
	struct xv_btfscan_result *res = st->res;
	struct xv_btf_cand *c;
	uint8_t hdr[256];
	struct xv_btf_compacted cb;
	uint32_t size;
	struct btf *btf;
	int rc;

	if (st->skip_image && pa >= st->img_lo && pa < st->img_hi)
		return 0; /* seen in the image pass */
	if (avail < sizeof(hdr)) {
		long got = xv_phys_read_upto(st->src, pa, hdr, sizeof(hdr));
		if (got < 24) {
			res->skipped++;
			return 0;
		}
		p = hdr;
		avail = (size_t)got;
	}
	size = header_size(p, avail);
	if (!size) {
		res->skipped++;
		return 0;
	}
	if (res->ncands >= XV_BTF_MAX_CANDS || (st->budget < size && seg_room(st->src, pa) >= size)) {
		res->skipped++;
		return 0;
	}
	if (res->ncands == st->cap) {
		size_t nc = st->cap ? st->cap * 2 : 16;
		struct xv_btf_cand *a = realloc(res->cands, nc * sizeof(*a));
		if (!a)
			return st->err = xv_err(ENOMEM, "out of memory scanning for BTF");
		res->cands = a;
		st->cap = nc;
	}
	c = &res->cands[res->ncands++];
	memset(c, 0, sizeof(*c));
	c->pa = pa;
	c->size = size;

	{
		uint64_t room = seg_room(st->src, pa);
		if (room < size) { /* decided before copying anything */
			c->verdict = XV_BTF_TRUNCATED;
			why_set(c->why, sizeof(c->why), "claims %u bytes, only %llu in guest RAM", size,
				(unsigned long long)room);
			return 0;
		}
	}
	st->budget -= size;
	rc = xv_btf_compact(st->src, pa, size, &cb);
	if (rc == -ENOMEM)
		return st->err = rc;
	if (rc < 0) {
		c->verdict = XV_BTF_REJECTED;
		why_set(c->why, sizeof(c->why), "%s", xv_errmsg());
		xv_err_clear();
		return 0;
	}
	btf = cb.btf;
	c->ntypes = cb.ntypes;
	if (xv_btf_check_vmlinux(btf, c->why, sizeof(c->why)) < 0) {
		c->verdict = XV_BTF_NOT_VMLINUX;
		btf__free(btf);
		return 0;
	}
	if (!st->best || better(st, c, &res->cands[st->best_i])) {
		if (st->best) {
			struct xv_btf_cand *o = &res->cands[st->best_i];
			o->verdict = XV_BTF_ALSO_VMLINUX;
			why_set(o->why, sizeof(o->why), "vmlinux BTF, but the one at 0x%llx is preferred",
				(unsigned long long)pa);
			btf__free(st->best);
		}
		st->best = btf;
		st->best_i = (size_t)(c - res->cands);
		st->best_kept = cb.size;
		c->verdict = XV_BTF_CHOSEN;
		why_set(c->why, sizeof(c->why), "vmlinux BTF%s",
			in_image(st, pa, size) ? " inside the kernel image" : "");
		if (st->stop_early && in_image(st, pa, size))
			return 1;
	} else {
		c->verdict = XV_BTF_ALSO_VMLINUX;
		why_set(c->why, sizeof(c->why), "vmlinux BTF, but the one at 0x%llx is preferred",
			(unsigned long long)res->cands[st->best_i].pa);
		btf__free(btf);
	}
	return 0;
}

static int cand_pa_cmp(const void *a, const void *b)
{
	const struct xv_btf_cand *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

int xv_btfscan_find(const struct xv_phys_src *src, const struct xv_btfscan_opts *opts,
		    struct xv_btfscan_result *res)
{
	static const uint8_t magic[4] = {0x9f, 0xeb, 0x01, 0x00};
	struct scan_state st = {.src = src, .res = res, .budget = XV_BTF_BUDGET};
	libbpf_print_fn_t old;
	uint64_t chosen_pa = 0;
	int r = 0;

	memset(res, 0, sizeof(*res));
	if (opts && opts->image_hi > opts->image_lo) {
		st.img_lo = opts->image_lo;
		st.img_hi = opts->image_hi;
		st.stop_early = opts->stop_early;
	}
	old = libbpf_set_print(quiet_print);
	if (st.img_hi)
		r = xv_phys_scan(src, st.img_lo, st.img_hi, magic, 4, 1, btf_hit, &st);
	if (r >= 0 && st.err >= 0 && !st.best) {
		res->full_scan = 1;
		st.skip_image = st.img_hi != 0;
		r = xv_phys_scan(src, 0, UINT64_MAX, magic, 4, 1, btf_hit, &st);
	}
	libbpf_set_print(old);
	if (st.best)
		chosen_pa = res->cands[st.best_i].pa;
	if (res->ncands > 1)
		qsort(res->cands, res->ncands, sizeof(*res->cands), cand_pa_cmp);
	res->nrejected = res->ncands - (st.best != NULL);
	if (r < 0 || st.err < 0) {
		btf__free(st.best);
		return r < 0 ? r : st.err;
	}
	if (!st.best) {
		size_t rej = 0, notv = 0, trunc = 0;
		for (size_t i = 0; i < res->ncands; i++) {
			rej += res->cands[i].verdict == XV_BTF_REJECTED;
			notv += res->cands[i].verdict == XV_BTF_NOT_VMLINUX;
			trunc += res->cands[i].verdict == XV_BTF_TRUNCATED;
		}
		return xv_err(ENOENT,
			      "no vmlinux BTF in guest RAM: %zu BTF headers (%zu rejected by libbpf, "
			      "%zu valid but not vmlinux, %zu truncated, %zu insane headers skipped); "
			      "is CONFIG_DEBUG_INFO_BTF set? use --btf FILE",
			      res->ncands, rej, notv, trunc, res->skipped);
	}
	res->btf = st.best;
	res->pa = chosen_pa;
	res->kept_size = st.best_kept;
	for (size_t i = 0; i < res->ncands; i++)
		if (res->cands[i].pa == chosen_pa) {
			res->size = res->cands[i].size;
			res->ntypes = res->cands[i].ntypes;
		}
	return 0;
}

void xv_btfscan_result_free(struct xv_btfscan_result *res)
{
	if (!res)
		return;
	btf__free(res->btf);
	free(res->cands);
	memset(res, 0, sizeof(*res));
}

int xv_btf_load_file(const char *path, struct btf **out)
{
	struct btf *btf;
	libbpf_print_fn_t old;
	int r;

	*out = NULL;
	old = libbpf_set_print(quiet_print);
	btf = btf__parse(path, NULL); /* raw or ELF .BTF, decided by libbpf from the magic */
	libbpf_set_print(old);
	if (!btf) {
		int e = errno ? errno : EINVAL;
		char why[128];

		/* libbpf's own codes (4000 and up: "invalid ELF", ...) are not errno values */
		libbpf_strerror(e, why, sizeof(why));
		return xv_err(e >= 4000 ? EINVAL : e, "cannot load BTF from %s: %s (expected raw BTF "
				 "such as /sys/kernel/btf/vmlinux, or an ELF with a .BTF section)",
			      path, why);
	}
	if ((r = xv_btf_check_vmlinux(btf, NULL, 0)) < 0) {
		btf__free(btf);
		return xv_err_ctx(r, "%s: ", path);
	}
	*out = btf;
	return 0;
}

const char *xv_btf_describe(const struct xv_btfscan_result *res, char *buf, size_t len)
{
	if (!res || !res->btf)
		snprintf(buf, len, "no vmlinux BTF");
	else
		snprintf(buf, len, "vmlinux BTF, %u types, %.1f MiB at 0x%llx (%zu other candidates); "
			 "%u data types kept, %.1f MiB", res->ntypes, res->size / 1048576.0,
			 (unsigned long long)res->pa, res->nrejected, btf__type_cnt(res->btf) - 1,
			 res->kept_size / 1048576.0);
	return buf;
}
