/* fuzz_btf.c — hostile BTF: libbpf's loader, the vmlinux check, field-path compilation and
 * evaluation; and the BTF carver over the input as guest RAM. First byte picks the mode. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fuzz.h"
#include "kernel/btfpath.h"
#include "kernel/btfscan.h"

static const struct {
	const char *type, *path;
} paths[] = {
	{ "task_struct", "tasks" },
	{ "task_struct", "mm->exe_file->f_path.dentry->d_name.name" },
	{ "task_struct", "comm" },
	{ "task_struct", "comm[3]" },
	{ "struct task_struct", "real_parent->pid" },
	{ "module", "core_layout.base" },
	{ "list_head", "next->prev->next" },
	{ "dentry", "d_name.len" },
	{ "a", "b.c[1]->d" },
	{ "xa_node", "slots[63]" },
	{ "s", "f[0x10]" },
	{ "s", "" },
};

struct img {
	const uint8_t *p;
	size_t n;
};

static int img_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	struct img *m = ctx;

	if (va > m->n || len > m->n - va)
		return -EFAULT;
	memcpy(buf, m->p + va, len);
	return 0;
}

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l, (void)fmt, (void)ap;
	return 0;
}

static void compile_all(const struct btf *btf, const uint8_t *data, size_t size)
{
	struct img m = { data, size };
	uint8_t buf[16];
	uint64_t v, off;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct xv_btfpath *p;

		if (xv_btfpath_compile(btf, paths[i].type, paths[i].path, &p) < 0)
			continue;
		const struct xv_btfpath_info *in = xv_btfpath_info(p);

		xv_btfpath_str(p);
		xv_btfpath_offset(p, &off);
		for (size_t k = 0; k <= in->nderef; k++)
			xv_btfpath_step(p, k);
		xv_btfpath_eval(p, img_read, &m, 0, &v);
		xv_btfpath_read(p, img_read, &m, 8, buf, in->size < sizeof(buf) ? in->size : sizeof(buf));
		xv_btfpath_read_u64(p, img_read, &m, 0, &v);
		xv_btfpath_free(p);
	}
	/* Every struct/union by id with the name of its first members. */
	uint32_t n = btf__type_cnt(btf);

	for (uint32_t id = 1; id < n && id < 64; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		struct xv_btfpath *p;

		if (!t || !(btf_is_struct(t) || btf_is_union(t)) || btf_vlen(t) == 0)
			continue;
		const char *mn = btf__name_by_offset(btf, btf_members(t)[0].name_off);

		if (mn && xv_btfpath_compile_id(btf, id, mn, &p) == 0) {
			xv_btfpath_read_u64(p, img_read, &m, 0, &v);
			xv_btfpath_free(p);
		}
	}
	xv_btf_member_offset(btf, "task_struct", "tasks", &off);
	xv_btf_type_size(btf, "list_head", &v);
	xv_btf_find_type(btf, "union bpf_attr");
	char why[96];

	xv_btf_check_vmlinux(btf, why, sizeof(why));
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static int init;

	if (!init) {
		libbpf_set_print(quiet);
		init = 1;
	}
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		size_t ramsz;
		uint8_t *ram = fz_ram(data + 1, size - 1, 4096, &ramsz);
		struct xv_mem_seg seg = { 0x1000000, ramsz };
		const void *bufs[1] = { ram };
		struct xv_mem *mem;

		if (xv_mem_open_buffers(&seg, bufs, 1, &mem) == 0) {
			struct xv_phys_src src;
			struct xv_btfscan_result res;
			struct xv_btfscan_opts o = { .image_lo = 0x1000000 + (data[0] >> 1) * 64,
						     .image_hi = 0x1000000 + ramsz / 2,
						     .stop_early = data[0] & 2 };
			char d[128];

			xv_phys_src_from_mem(&src, mem);
			memset(&res, 0, sizeof(res));
			xv_btfscan_find(&src, (data[0] & 4) ? &o : NULL, &res);
			xv_btf_describe(&res, d, sizeof(d));
			if (res.btf)
				compile_all(res.btf, data, size);
			xv_btfscan_result_free(&res);
			xv_mem_close(mem);
		}
		return 0;
	}
	struct btf *btf = btf__new(data + 1, (uint32_t)(size - 1));

	if (btf) {
		compile_all(btf, data, size);
		btf__free(btf);
	}
	return 0;
}
