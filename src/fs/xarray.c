/* xarray.c — decode a guest XArray (the page cache's i_pages) from its nodes, bounded and checked. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "fs/fs_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"

/* Entry encoding (include/linux/xarray.h): low bits 10 = internal (node pointer when > 4096,
 * sibling when < chunk-1, 256 retry, 257 zero); low bit 1 = value entry (swap/shadow). */
static int is_internal(uint64_t e) { return (e & 3) == 2; }
static int is_node(uint64_t e) { return is_internal(e) && e > 4096; }

struct xa_walk {
	const struct xv_xa_geom *g;
	xv_xa_read_fn rd;
	void *rctx;
	uint64_t min_index, max_index;
	xv_xa_entry_cb cb;
	void *ctx;
	unsigned bits;
	uint32_t nodes;
	uint8_t *buf;
};

static int walk_node(struct xa_walk *w, uint64_t node, int expect_shift, uint64_t base, int depth)
{
	const struct xv_xa_geom *g = w->g;
	size_t len = g->slots_off + (size_t)g->nslots * 8;
	uint64_t slots[256];
	unsigned shift;
	int rc;

	if (depth > 64 / (int)w->bits + 1)
		return xv_err(ELOOP, "xarray: deeper than %d levels at node 0x%" PRIx64, depth, node);
	if (++w->nodes > g->max_nodes)
		return xv_err(E2BIG, "xarray: more than %u nodes", g->max_nodes);
	rc = w->rd(w->rctx, node, w->buf, len);
	if (rc < 0)
		return xv_err_ctx(-rc, "xarray node 0x%" PRIx64 ": ", node);
	shift = w->buf[g->shift_off];
	if (shift % w->bits || shift >= 64 || (expect_shift >= 0 && (int)shift != expect_shift))
		return xv_err(EINVAL, "xarray node 0x%" PRIx64 ": shift %u where %d was expected", node,
			      shift, expect_shift);
	for (uint32_t j = 0; j < g->nslots; j++)
		slots[j] = xv_le64(w->buf + g->slots_off + 8 * j);
	for (uint32_t j = 0; j < g->nslots; j++) {
		uint64_t e = slots[j], first, count = (uint64_t)1 << shift, efirst;

		if (!e)
			continue;
		if (((uint64_t)j << shift) >> shift != j || (UINT64_MAX - base) < ((uint64_t)j << shift))
			break;
		first = base + ((uint64_t)j << shift);
		if (first >= w->max_index)
			break;
		if (first + (count - 1) < w->min_index)
			continue;
		if (is_node(e)) {
			if (shift == 0)
				return xv_err(EINVAL, "xarray node 0x%" PRIx64 ": leaf slot %u points to "
						      "another node", node, j);
			rc = walk_node(w, e - 2, (int)(shift - w->bits), first, depth + 1);
			if (rc)
				return rc;
			continue;
		}
		efirst = first;
		if (is_internal(e)) {
			uint64_t v = e >> 2;

			if (v >= g->nslots - 1)
				continue; /* retry / zero entries read as empty */
			if (v >= j || slots[v] == 0 || is_internal(slots[v]))
				return xv_err(EINVAL, "xarray node 0x%" PRIx64 ": slot %u is a sibling of "
						      "slot %" PRIu64 ", which is not an entry", node, j, v);
			e = slots[v];
			efirst = base + (v << shift);
		}
		if (count > w->max_index - first)
			count = w->max_index - first;
		rc = w->cb(first, count, e, efirst, w->ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int xv_xa_walk(const struct xv_xa_geom *g, xv_xa_read_fn rd, void *rctx, uint64_t head,
	       uint64_t min_index, uint64_t max_index, xv_xa_entry_cb cb, void *ctx)
{
	struct xa_walk w = { g, rd, rctx, min_index, max_index, cb, ctx, 0, 0, NULL };
	int rc;

	if (g->nslots < 2 || g->nslots > 256 || (g->nslots & (g->nslots - 1)))
		return xv_err(EINVAL, "xarray: %u slots per node is not a power of two", g->nslots);
	while ((1u << w.bits) < g->nslots)
		w.bits++;
	if (!head || max_index <= min_index)
		return 0;
	if (!is_node(head)) {
		if (is_internal(head) || min_index > 0)
			return 0;
		return cb(0, 1, head, 0, ctx);
	}
	w.buf = malloc(g->slots_off + (size_t)g->nslots * 8 + 8);
	if (!w.buf)
		return xv_err(ENOMEM, "out of memory");
	rc = walk_node(&w, head - 2, -1, 0, 0);
	free(w.buf);
	return rc;
}
