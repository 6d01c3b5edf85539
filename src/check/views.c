/* views.c — sorted address sets: what one kernel structure says exists. */
#include <errno.h>
#include <stdlib.h>

#include "check/views.h"
#include "xvids/err.h"
#include "xvids/task.h"

int view_add(struct view *v, uint64_t addr)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 256;
		uint64_t *nv;

		if (nc > XV_VIEW_MAX)
			return xv_err(E2BIG, "more than %u objects in one view", XV_VIEW_MAX);
		nv = realloc(v->v, nc * sizeof(*nv));
		if (!nv)
			return xv_err(ENOMEM, "out of memory");
		v->v = nv;
		v->cap = nc;
	}
	v->v[v->n++] = addr;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void view_sort(struct view *v)
{
	size_t j = 0;

	if (v->n < 2)
		return;
	qsort(v->v, v->n, sizeof(*v->v), cmp_u64);
	for (size_t i = 1; i < v->n; i++)
		if (v->v[i] != v->v[j])
			v->v[++j] = v->v[i];
	v->n = j + 1;
}

int view_has(const struct view *v, uint64_t addr)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->v[mid] == addr)
			return 1;
		if (v->v[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void view_free(struct view *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

void views_free(struct views *v)
{
	view_free(&v->list);
	view_free(&v->pidtab);
	view_free(&v->children);
}

int view_relist(struct xv_kernel *k, struct view *list, uint64_t init_task)
{
	struct xv_task *t;
	size_t n;
	int rc = xv_task_list(k, &t, &n);

	if (rc < 0)
		return rc;
	list->n = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = view_add(list, t[i].addr);
	free(t);
	if (rc == 0)
		rc = view_add(list, init_task);
	view_sort(list);
	return rc;
}
