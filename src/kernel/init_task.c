/* init_task.c — find init_task without a data symbol: the validated "swapper/0" in the kernel image. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kernel/kernel_internal.h"
#include "xvids/err.h"
#include "xvids/obj.h"

/* Re-reads of a candidate's task ring before it is rejected (see it_hit). */
#define RING_TRIES 16

struct it_search {
	struct xv_kernel *k;
	uint32_t comm_off, tasks_off, pid_off, parent_off;
	uint64_t found;
	unsigned tried;
};

/* A candidate is init_task if: pid 0, real_parent points to itself, and its task list is a
 * consistent ring: next->prev == &self->tasks and prev->next == &self->tasks. Copies of the
 * string elsewhere (the init_task template in .init.data, stale pages) fail these checks. */
static int it_hit(void *arg, uint64_t pa, const uint8_t *p, size_t avail)
{
	struct it_search *s = arg;
	struct xv_kernel *k = s->k;
	uint64_t task, next, prev, back, parent;
	uint32_t pid;

	(void)p;
	(void)avail;
	if (pa < s->comm_off || ++s->tried > 4096)
		return s->tried > 4096 ? 1 : 0;
	task = xv_kernel_image_va(k, pa - s->comm_off);
	if (xv_kernel_read_u32(k, task + s->pid_off, &pid) < 0 || pid != 0)
		return 0;
	if (xv_kernel_read_u64(k, task + s->parent_off, &parent) < 0 || parent != task)
		return 0;
	/* A live guest forks and reaps while we read: the ring can change between reading
	 * tasks.prev and prev->next. A real init_task passes on a re-read; a stale copy never does. */
	for (int attempt = 0; attempt < RING_TRIES; attempt++) {
		if (xv_kernel_read_u64(k, task + s->tasks_off, &next) < 0 ||
		    xv_kernel_read_u64(k, task + s->tasks_off + 8, &prev) < 0)
			return 0;
		if (xv_kernel_read_u64(k, next + 8, &back) < 0)
			return 0;
		if (back != task + s->tasks_off)
			continue;
		if (xv_kernel_read_u64(k, prev, &back) < 0)
			return 0;
		if (back != task + s->tasks_off)
			continue;
		s->found = task;
		return 1;
	}
	return 0;
}

int xv_kernel_find_init_task(struct xv_kernel *k)
{
	static const char needle[16] = "swapper/0";
	struct it_search s = { .k = k };
	struct xv_phys_src src;
	uint64_t lo, hi;
	int rc;

	if (xv_off(k, "task_struct", "comm", &s.comm_off) < 0 ||
	    xv_off(k, "task_struct", "tasks", &s.tasks_off) < 0 ||
	    xv_off(k, "task_struct", "pid", &s.pid_off) < 0 ||
	    xv_off(k, "task_struct", "real_parent", &s.parent_off) < 0)
		return xv_err_ctx(ENOENT, "finding init_task: ");
	/* Where kallsyms has data symbols (x86-64 Debian: KALLSYMS_ALL), take init_task from it, but
	 * only after the same validation a scan hit gets. */
	uint64_t sym;

	if (xv_kernel_symbol(k, "init_task", &sym) == 0) {
		uint64_t pa;

		if (xv_vat_translate(k->vat, sym + s.comm_off, &pa, NULL) == 0 &&
		    it_hit(&s, pa, NULL, 0) == 1) {
			k->info.init_task = s.found;
			snprintf(k->how_init, sizeof(k->how_init), "kallsyms data symbol, validated "
				 "(pid 0, own parent, consistent task list)");
			return xv_kernel_add_root(k, "init_task", "task_struct", s.found);
		}
		s.tried = 0;
	}
	xv_err_clear();
	xv_kernel_phys_src(k, &src);
	/* init_task is static data of the kernel image: scan only the image's data range. */
	lo = xv_kernel_image_pa(k, k->data_lo);
	hi = xv_kernel_image_pa(k, k->data_hi);
	rc = xv_phys_scan(&src, lo, hi, needle, sizeof(needle), 0, it_hit, &s);
	if (rc < 0)
		return xv_err_ctx(-rc, "scanning for init_task: ");
	if (!s.found)
		return xv_err(ENOENT, "init_task not found: no task named swapper/0 with pid 0 and a "
				      "consistent task list in the kernel image (%u candidates checked)",
			      s.tried);
	k->info.init_task = s.found;
	snprintf(k->how_init, sizeof(k->how_init),
		 "comm \"swapper/0\" in the kernel image, pid 0, own parent, consistent task list "
		 "(%u candidate%s)", s.tried, s.tried == 1 ? "" : "s");
	return xv_kernel_add_root(k, "init_task", "task_struct", s.found);
}
