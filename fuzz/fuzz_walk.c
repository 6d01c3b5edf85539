/* fuzz_walk.c — the list/hlist/xarray walkers and the task, module and dentry decoders over a
 * mutated x86-64 memory image. Input: mode byte, 8 x u16 object offsets, [BTF overrides], image.
 * The image is guest RAM from PA 0, seen through a 1 GiB direct map at DM (tables out of reach). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kbtf.h"
#include "kernel/kernel_internal.h"
#include "xvids/obj.h"
#include "xvids/task.h"
#include "xvids/vat.h"

#define DM 0xffff888000000000ull
#define IMG_MAX (256u << 10)

static uint32_t next_u16(void *arg)
{
	struct fz *f = arg;
	uint32_t v = fz_u8(f);

	return v | (uint32_t)fz_u8(f) << 8;
}

static int visit_task(struct xv_kernel *k, uint64_t entry, void *ctx)
{
	struct xv_task t;

	(void)ctx;
	xv_task_read(k, entry, &t);
	return 0;
}

static int visit_mod(struct xv_kernel *k, uint64_t entry, void *ctx)
{
	struct xv_module m;

	(void)ctx;
	xv_module_read(k, entry, &m);
	return 0;
}

static int visit_xa(struct xv_kernel *k, uint64_t index, uint64_t entry, void *ctx)
{
	unsigned *n = ctx;

	(void)k, (void)index, (void)entry;
	return ++*n > 1000; /* the walk is bounded by max; this just proves the callback can stop it */
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct fz f;
	uint8_t mode;
	uint64_t obj[8];
	size_t len;
	const uint8_t *img;

	fz_init(&f, data, size);
	mode = fz_u8(&f);
	for (int i = 0; i < 8; i++)
		obj[i] = DM + next_u16(&f);
	/* The default BTF (no overrides) and its compiled field paths are the same for every input:
	 * built once. An input with overrides gets its own, freed at the end. */
	static struct btf *dflt_btf;
	static struct xv_pathcache *dflt_paths;
	struct btf *btf;

	if (mode & 1) {
		btf = kbtf_build(next_u16, &f);
	} else {
		if (!dflt_btf)
			dflt_btf = kbtf_build(NULL, NULL);
		btf = dflt_btf;
	}
	if (!btf)
		return 0;
	img = fz_rest(&f, &len);
	if (len > IMG_MAX)
		len = IMG_MAX;
	/* RAM: image, zero padding up to 64 KiB, then the PML4 and PDPT pages. */
	size_t ramsz = ((len > 65536 ? len : 65536) + 4095) & ~(size_t)4095, total;
	uint8_t *ram = fz_ram(img, len, ramsz + 8192, &total);
	uint64_t pml4 = ramsz, pdpt = ramsz + 4096;

	xv_put_le64(ram + pml4 + 273 * 8, pdpt | 3);
	xv_put_le64(ram + pdpt, 0x83); /* 1 GiB page at PA 0 */
	struct xv_mem_seg seg = { 0, ramsz + 8192 };
	const void *bufs[1] = { ram };
	struct xv_mem *mem;
	struct xv_kernel k;

	memset(&k, 0, sizeof(k));
	if (xv_mem_open_buffers(&seg, bufs, 1, &mem) < 0)
		goto out;
	struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = pml4, .levels = 4 };

	k.mem = mem;
	k.vat = xv_vat_new(mem, &p);
	if (!k.vat)
		goto out_mem;
	k.info.arch = XV_ARCH_X86_64;
	k.info.init_task = obj[0];
	k.kernel_va_lo = 0xffff800000000000ull;
	k.image_lo = DM;
	k.image_hi = DM + 0x1000;
	k.btf = btf;
	k.paths = btf == dflt_btf ? dflt_paths : NULL;

	uint32_t tasks = 32, list = 8;
	struct xv_task t;
	struct xv_module m;
	char path[256];
	int deleted;
	unsigned nxa = 0;

	xv_off(&k, "task_struct", "tasks", &tasks);
	xv_off(&k, "module", "list", &list);
	switch ((mode >> 1) & 3) {
	case 0:
		xv_list_walk(&k, obj[1], tasks, 64, visit_task, NULL);
		xv_hlist_walk(&k, obj[2], 0, 64, visit_task, NULL);
		break;
	case 1:
		xv_list_walk(&k, obj[1], list, 64, visit_mod, NULL);
		xv_module_read(&k, obj[2], &m);
		break;
	case 2:
		xv_xarray_walk(&k, obj[1], 256, visit_xa, &nxa);
		break;
	default: {
		struct xv_task *v = NULL;
		size_t n = 0;

		xv_task_read(&k, obj[1], &t);
		xv_path_resolve(&k, obj[2], obj[3], path, sizeof(path), &deleted);
		if (xv_task_list(&k, &v, &n) == 0)
			free(v);
	}
	}
	if (btf == dflt_btf)
		dflt_paths = k.paths;
	else
		xv_pathcache_free(k.paths);
	xv_vat_free(k.vat);
out_mem:
	xv_mem_close(mem);
out:
	if (btf != dflt_btf)
		btf__free(btf);
	return 0;
}
