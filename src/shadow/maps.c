/* maps.c — /proc/PID/maps: the task's VMAs from its mm's maple tree (Linux >= 6.1). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/shadow.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define SH_MAX_VMAS 65536
#define MT_MAX_DEPTH 16

struct vmas {
	uint64_t *v;
	size_t n;
	size_t nodes; /* nodes visited: a cyclic tree without leaves must not run away */
};

static uint64_t f64(struct shadow *s, const char *type, const char *path, uint64_t obj)
{
	uint64_t v = 0;

	if (obj && xv_obj_u64(s->k, type, path, obj, &v) < 0)
		v = 0;
	return v;
}

static int add(struct vmas *a, uint64_t vma)
{
	if (a->n >= SH_MAX_VMAS)
		return -E2BIG;
	a->v[a->n++] = vma;
	return 0;
}

/* Encoded node: pointer | type << 3 | 2; types: 1 leaf_64, 2 range_64, 3 arange_64. */
static int mt_walk(struct shadow *s, uint64_t enode, uint64_t min, uint64_t max, int depth,
		   struct vmas *a)
{
	uint8_t node[256];
	unsigned type = (unsigned)(enode >> 3) & 15;
	uint64_t addr = enode & ~0xffull;
	unsigned npiv, nslot, slot_off;

	if (depth > MT_MAX_DEPTH || ++a->nodes > SH_MAX_VMAS)
		return -ELOOP;
	if (type == 1 || type == 2) {
		npiv = 15, nslot = 16, slot_off = 8 + 15 * 8;
	} else if (type == 3) {
		npiv = 9, nslot = 10, slot_off = 8 + 9 * 8;
	} else {
		return -EINVAL;
	}
	if (xv_kernel_read(s->k, addr, node, sizeof(node)) < 0)
		return -EFAULT;
	uint64_t lo = min;

	for (unsigned i = 0; i < nslot; i++) {
		uint64_t piv = i < npiv ? xv_le64(node + 8 + 8 * i) : max;
		uint64_t e = xv_le64(node + slot_off + 8 * i);

		if (i > 0 && piv == 0)
			break;
		if (piv > max || piv < lo)
			piv = max;
		if (e) {
			int rc;

			if (type == 1)
				rc = add(a, e);
			else if ((e & 3) == 2 && e > 4096)
				rc = mt_walk(s, e, lo, piv, depth + 1, a);
			else
				rc = -EINVAL;
			if (rc < 0)
				return rc;
		}
		if (piv >= max)
			break;
		lo = piv + 1;
	}
	return 0;
}

/* A special mapping's vm_private_data is its struct vm_special_mapping; accepted only when the
 * name read through it looks like one ("[vdso]"). */
static int special_name(struct shadow *s, uint64_t vma, char *buf, size_t size)
{
	uint64_t priv = f64(s, "vm_area_struct", "vm_private_data", vma);
	char n[32] = "";
	size_t len;

	if (!priv || !f64(s, "vm_area_struct", "vm_ops", vma) ||
	    xv_obj_str(s->k, "vm_special_mapping", "name", priv, n, sizeof(n)) < 0)
		return 0;
	len = strlen(n);
	if (len < 3 || n[0] != '[' || n[len - 1] != ']')
		return 0;
	for (size_t i = 1; i + 1 < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || n[i] == '_'))
			return 0;
	snprintf(buf, size, "%s", n);
	return 1;
}

int sh_proc_maps(struct shadow *s, const struct sh_task *t, struct sh_buf *out)
{
	uint64_t mm = t->t.kthread ? 0 : t->t.mm;
	struct vmas a = { 0 };
	uint32_t fpath;

	if (!mm)
		return 0;
	uint64_t root = f64(s, "mm_struct", "mm_mt.ma_root", mm);

	if (!root)
		return 0;
	a.v = malloc(SH_MAX_VMAS * sizeof(uint64_t));
	if (!a.v)
		return -ENOMEM;
	int rc = (root & 3) == 2 && root > 4096 ? mt_walk(s, root, 0, UINT64_MAX, 0, &a)
						  : add(&a, root);

	if (rc < 0 && !a.n) {
		free(a.v);
		return -EIO;
	}
	uint64_t brk = f64(s, "mm_struct", "brk", mm), sbrk = f64(s, "mm_struct", "start_brk", mm);
	uint64_t stack = f64(s, "mm_struct", "start_stack", mm);

	xv_off(s->k, "file", "f_path", &fpath);
	for (size_t i = 0; i < a.n; i++) {
		uint64_t vma = a.v[i];
		uint64_t start = f64(s, "vm_area_struct", "vm_start", vma);
		uint64_t end = f64(s, "vm_area_struct", "vm_end", vma);
		uint64_t fl = f64(s, "vm_area_struct", "vm_flags", vma);
		uint64_t file = f64(s, "vm_area_struct", "vm_file", vma);
		uint64_t pgoff = file ? f64(s, "vm_area_struct", "vm_pgoff", vma) : 0;
		uint64_t dev = 0, ino = 0;
		char name[XV_PATH_MAX] = "";

		if (end <= start)
			continue;
		if (file) {
			uint64_t mnt, dentry;

			dev = f64(s, "file", "f_inode->i_sb->s_dev", file);
			ino = f64(s, "file", "f_inode->i_ino", file);
			if (xv_kernel_read_u64(s->k, file + fpath, &mnt) == 0 &&
			    xv_kernel_read_u64(s->k, file + fpath + 8, &dentry) == 0)
				xv_path_resolve(s->k, mnt, dentry, name, sizeof(name), NULL);
		} else if (special_name(s, vma, name, sizeof(name))) {
			/* [vdso], [vvar], [sigpage]: _install_special_mapping() */
		} else if (start <= brk && end >= sbrk) {
			snprintf(name, sizeof(name), "[heap]");
		} else if (start <= stack && end >= stack) {
			snprintf(name, sizeof(name), "[stack]");
		}
		size_t line = out->len;

		sh_printf(out, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " %02x:%02x %" PRIu64 " ",
			  start, end, fl & 1 ? 'r' : '-', fl & 2 ? 'w' : '-', fl & 4 ? 'x' : '-',
			  fl & 8 ? 's' : 'p', pgoff << 12, (unsigned)(dev >> 20),
			  (unsigned)(dev & 0xfffff), ino);
		if (name[0]) {
			while (out->len - line < 73 && !out->oom)
				sh_putn(out, " ", 1);
			sh_printf(out, "%s", name);
		}
		sh_printf(out, "\n");
	}
	free(a.v);
	return out->oom ? -ENOMEM : 0;
}
