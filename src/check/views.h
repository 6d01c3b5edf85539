/* views.h — sets of kernel object addresses seen through one kernel structure, for cross-view checks. */
#ifndef XV_CHECK_VIEWS_H
#define XV_CHECK_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "xvids/kernel.h"

struct view {
	uint64_t *v;
	size_t n, cap;
};

struct views {
	struct view list, pidtab, children; /* pchk */
};

#define XV_VIEW_MAX (8u << 20)

int view_add(struct view *v, uint64_t addr);
void view_sort(struct view *v); /* sorts and removes duplicates */
int view_has(const struct view *v, uint64_t addr); /* v must be sorted */
void view_free(struct view *v);
void views_free(struct views *v);
/* Replace list with a fresh walk of the task list (plus init_task), sorted. */
int view_relist(struct xv_kernel *k, struct view *list, uint64_t init_task);

#endif
