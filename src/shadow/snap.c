/* snap.c — the guest's processes as the shadow shows them: the task list plus the PID table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shadow/shadow.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define SH_MAX_PIDS (4u << 20) /* PID_MAX_LIMIT */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct pidwalk {
	uint64_t *leaders;
	size_t n, cap;
	uint32_t tgid_first, pid_links1, nr_off;
	int last_pid;
};

static int pid_entry(struct xv_kernel *k, uint64_t index, uint64_t entry, void *arg)
{
	struct pidwalk *w = arg;
	uint64_t first;

	if (entry & 1)
		return 0;
	if ((int)index > w->last_pid)
		w->last_pid = (int)index;
	/* /proc lists thread-group leaders: pids with a PIDTYPE_TGID task. */
	if (xv_kernel_read_u64(k, entry + w->tgid_first, &first) < 0 || !first ||
	    !xv_kernel_is_kernel_addr(k, first))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		uint64_t *p = realloc(w->leaders, cap * sizeof(*p));

		if (!p)
			return xv_err(ENOMEM, "out of memory for the PID table");
		w->leaders = p;
		w->cap = cap;
	}
	w->leaders[w->n++] = first - w->pid_links1;
	return 0;
}

struct addr_idx {
	uint64_t addr;
	size_t i;
};

static int by_addr(const void *a, const void *b)
{
	const struct addr_idx *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

static int by_pid(const void *a, const void *b)
{
	const struct sh_task *x = a, *y = b;

	return (x->t.pid > y->t.pid) - (x->t.pid < y->t.pid);
}

void sh_snap_free(struct sh_snap *sn)
{
	free(sn->tasks);
	free(sn->devs);
	memset(sn, 0, sizeof(*sn));
}

static int snap_take(struct shadow *s, struct sh_snap *sn)
{
	struct xv_kernel *k = s->k;
	struct xv_task *list = NULL;
	size_t nlist = 0;
	struct pidwalk w = { 0 };
	uint64_t ns;
	uint32_t idr_off, static_prio;
	int rc;

	memset(sn, 0, sizeof(*sn));
	rc = xv_task_list(k, &list, &nlist);
	if (rc < 0)
		return rc;
	if (xv_obj_u64(k, "task_struct", "thread_pid->numbers[0].ns", xv_kernel_info(k)->init_task,
		       &ns) < 0 ||
	    xv_off(k, "pid_namespace", "idr.idr_rt", &idr_off) < 0 ||
	    xv_off(k, "pid", "tasks[1].first", &w.tgid_first) < 0 ||
	    xv_off(k, "task_struct", "pid_links[1]", &w.pid_links1) < 0 ||
	    xv_off(k, "task_struct", "static_prio", &static_prio) < 0) {
		free(list);
		return xv_err_ctx(ENOENT, "PID table: ");
	}
	rc = xv_xarray_walk(k, ns + idr_off, SH_MAX_PIDS, pid_entry, &w);
	if (rc < 0) {
		free(list);
		free(w.leaders);
		return xv_err_ctx(-rc, "walking the guest's PID table: ");
	}
	sn->tasks = calloc(nlist + w.n + 1, sizeof(*sn->tasks));
	if (!sn->tasks) {
		free(list);
		free(w.leaders);
		return xv_err(ENOMEM, "out of memory for %zu tasks", nlist + w.n);
	}
	for (size_t i = 0; i < nlist; i++) {
		sn->tasks[sn->ntasks].t = list[i];
		sn->tasks[sn->ntasks].on_list = 1;
		sn->ntasks++;
	}
	/* Match PID-table leaders to list entries through a sorted index of list addresses. */
	struct addr_idx *idx = malloc((nlist ? nlist : 1) * sizeof(*idx));

	if (!idx) {
		free(list);
		free(w.leaders);
		free(sn->tasks);
		sn->tasks = NULL;
		return xv_err(ENOMEM, "out of memory for %zu tasks", nlist);
	}
	for (size_t i = 0; i < nlist; i++)
		idx[i] = (struct addr_idx){ sn->tasks[i].t.addr, i };
	qsort(idx, nlist, sizeof(*idx), by_addr);
	for (size_t j = 0; j < w.n; j++) {
		struct addr_idx key = { w.leaders[j], 0 };
		struct addr_idx *hit = nlist ? bsearch(&key, idx, nlist, sizeof(*idx), by_addr) : NULL;

		if (hit) {
			sn->tasks[hit->i].in_pidtab = 1;
			continue;
		}
		/* Only in the PID table: a task unlinked from the task list. */
		struct sh_task *st = &sn->tasks[sn->ntasks];

		if (xv_task_read(k, w.leaders[j], &st->t) < 0 || st->t.pid <= 0)
			continue;
		st->in_pidtab = 1;
		sn->ntasks++;
	}
	for (size_t i = 0; i < sn->ntasks; i++) {
		uint32_t sp;

		if (xv_kernel_read_u32(k, sn->tasks[i].t.addr + static_prio, &sp) == 0)
			sn->tasks[i].nice = (int)sp - 120;
	}
	free(idx);
	qsort(sn->tasks, sn->ntasks, sizeof(*sn->tasks), by_pid);
	/* /proc/loadavg prints the last pid handed out: the IDR's cursor - 1. */
	uint32_t next_off;
	uint32_t next;

	sn->last_pid = w.last_pid;
	if (xv_off(k, "pid_namespace", "idr.idr_next", &next_off) == 0 &&
	    xv_kernel_read_u32(k, ns + next_off, &next) == 0 && next > 0 && next < SH_MAX_PIDS)
		sn->last_pid = (int)next - 1;
	free(list);
	free(w.leaders);
	sn->taken = now_mono();
	return 0;
}

int sh_snap_get(struct shadow *s)
{
	struct sh_snap fresh;
	double t = now_mono();

	if (s->snap.tasks && t - s->snap.taken < s->ttl)
		return 0;
	int rc = snap_take(s, &fresh);

	if (rc < 0)
		return s->snap.tasks ? 0 : rc; /* keep serving the last good view */
	sh_snap_free(&s->snap);
	s->snap = fresh;
	/* Devices are found through init's network namespace: needs the new task list. */
	if (sh_net_devs(s, &s->snap.devs, &s->snap.ndevs) < 0) {
		s->snap.devs = NULL;
		s->snap.ndevs = 0;
	}
	return 0;
}

const struct sh_task *sh_task_find(const struct shadow *s, int pid)
{
	size_t lo = 0, hi = s->snap.ntasks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->snap.tasks[mid].t.pid == pid)
			return &s->snap.tasks[mid];
		if (s->snap.tasks[mid].t.pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
