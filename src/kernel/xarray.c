/* xarray.c — bounded walk of a guest struct xarray (IDR, page cache): radix nodes of 64 slots. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define XA_CHUNK_SHIFT 6 /* CONFIG_BASE_SMALL=0: 64 slots per node */
#define XA_CHUNK_SIZE (1u << XA_CHUNK_SHIFT)

struct xa_walk {
	struct xv_kernel *k;
	uint32_t off_shift, off_slots;
	size_t max, seen;
	xv_xa_cb cb;
	void *ctx;
};

static int is_node(uint64_t e)
{
	return (e & 3) == 2 && e > 4096;
}

/* Each level down strictly lowers the shift, so a node that points back up (a cycle) is caught
 * by the shift check and the depth is at most 64 / 6 levels. */
static int walk_node(struct xa_walk *w, uint64_t node, unsigned expect_shift, uint64_t base)
{
	uint8_t slots[XA_CHUNK_SIZE * 8];
	uint8_t shift;

	if (xv_kernel_read(w->k, node + w->off_shift, &shift, 1) < 0 ||
	    xv_kernel_read(w->k, node + w->off_slots, slots, sizeof(slots)) < 0)
		return xv_err_ctx(EFAULT, "xarray node at 0x%" PRIx64 ": ", node);
	if (shift != expect_shift || shift % XA_CHUNK_SHIFT || shift > 60)
		return xv_err(EINVAL, "xarray node at 0x%" PRIx64 " has shift %u where %u was expected "
				      "(corrupt or cyclic tree)", node, shift, expect_shift);
	for (unsigned i = 0; i < XA_CHUNK_SIZE; i++) {
		uint64_t e = xv_le64(slots + 8 * i);
		uint64_t idx = base + ((uint64_t)i << shift);
		int rc;

		if (!e)
			continue;
		if (is_node(e)) {
			if (shift == 0)
				return xv_err(EINVAL, "xarray node at 0x%" PRIx64 ": leaf level points to "
						      "another node", node);
			rc = walk_node(w, e - 2, shift - XA_CHUNK_SHIFT, idx);
			if (rc != 0)
				return rc;
			continue;
		}
		if ((e & 3) == 2)
			continue; /* retry/zero/sibling entries: internal, no data */
		if (shift != 0)
			return xv_err(EINVAL, "xarray node at 0x%" PRIx64 ": data entry above the leaf "
					      "level", node);
		if (++w->seen > w->max)
			return xv_err(E2BIG, "xarray has more than %zu entries", w->max);
		rc = w->cb(w->k, idx, e, w->ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int xv_xarray_walk(struct xv_kernel *k, uint64_t xa, size_t max, xv_xa_cb cb, void *ctx)
{
	struct xa_walk w = { .k = k, .max = max, .cb = cb, .ctx = ctx };
	uint32_t head_off;
	uint64_t head;
	uint8_t shift;

	if (xv_off(k, "xarray", "xa_head", &head_off) < 0 ||
	    xv_off(k, "xa_node", "shift", &w.off_shift) < 0 ||
	    xv_off(k, "xa_node", "slots", &w.off_slots) < 0)
		return xv_err_ctx(ENOENT, "xarray layout: ");
	if (xv_kernel_read_u64(k, xa + head_off, &head) < 0)
		return xv_err_ctx(EFAULT, "xarray at 0x%" PRIx64 ": ", xa);
	if (!head)
		return 0;
	if (!is_node(head)) {
		if ((head & 3) == 2)
			return 0;
		return max == 0 ? xv_err(E2BIG, "xarray has more than 0 entries") : cb(k, 0, head, ctx);
	}
	if (xv_kernel_read(k, head - 2 + w.off_shift, &shift, 1) < 0)
		return xv_err_ctx(EFAULT, "xarray root node: ");
	return walk_node(&w, head - 2, shift, 0);
}
