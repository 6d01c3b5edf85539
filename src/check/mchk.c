/* mchk.c — illegal and hidden kernel modules: the module list against sysfs, the module area and the module address tree. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/views.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/obj.h"
#include "xvids/task.h"

static struct json_object *mod_json(const struct xv_module *m)
{
	struct json_object *o = json_object_new_object();
	char a[24], b[24];

	snprintf(a, sizeof(a), "0x%016" PRIx64, m->base);
	snprintf(b, sizeof(b), "0x%016" PRIx64, m->addr);
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "address", json_object_new_string(a));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)m->size));
	json_object_object_add(o, "state", json_object_new_string(xv_module_state_name(m->state)));
	json_object_object_add(o, "taint", json_object_new_string(m->taints));
	json_object_object_add(o, "struct_module", json_object_new_string(b));
	return o;
}

struct kset_walk {
	struct view *v;
	uint32_t mkobj_kobj, mkobj_mod;
};

static int kobj_visit(struct xv_kernel *k, uint64_t kobj, void *arg)
{
	struct kset_walk *w = arg;
	uint64_t mod;

	/* Built-in modules with parameters have a module_kobject too, with mod == NULL. */
	if (xv_kernel_read_u64(k, kobj - w->mkobj_kobj + w->mkobj_mod, &mod) == 0 && mod &&
	    xv_kernel_is_kernel_addr(k, mod))
		return view_add(w->v, mod);
	return 0;
}

/* sysfs: /sys/module is module_kset; every loaded module's kobject stays there even when a
 * rootkit unlinks the module from the list. The kset is found through any module we know. */
static int kset_view(struct xv_kernel *k, const struct view *known, struct view *out)
{
	struct kset_walk w = { .v = out };
	uint32_t kset_off, list_off, entry_off;
	uint64_t kset = 0;

	if (xv_off(k, "module", "mkobj.kobj.kset", &kset_off) < 0 ||
	    xv_off(k, "kset", "list", &list_off) < 0 ||
	    xv_off(k, "kobject", "entry", &entry_off) < 0 ||
	    xv_off(k, "module_kobject", "kobj", &w.mkobj_kobj) < 0 ||
	    xv_off(k, "module_kobject", "mod", &w.mkobj_mod) < 0)
		return xv_err_ctx(ENOENT, "sysfs module kset: ");
	for (size_t i = 0; i < known->n && !kset; i++)
		if (xv_kernel_read_u64(k, known->v[i] + kset_off, &kset) < 0 ||
		    !xv_kernel_is_kernel_addr(k, kset))
			kset = 0;
	if (!kset)
		return 0; /* no module at all: nothing to compare */
	xv_kernel_add_root(k, "module_kset", "kset", kset);
	return xv_list_walk(k, kset + list_off, entry_off, XV_VIEW_MAX, kobj_visit, &w);
}

static int judge(const struct xv_policy *p, const struct xv_module *m, struct xv_findings *out)
{
	const struct xv_policy_entry *allow = NULL, *deny = NULL;
	size_t nallow = 0;

	for (size_t i = 0; i < xv_policy_count(p); i++) {
		const struct xv_policy_entry *e = xv_policy_get(p, i);
		const char *name = xv_policy_value(e, "name");

		if (strcmp(e->kind, "module") != 0)
			continue;
		int match = !name || fnmatch(name, m->name, 0) == 0;

		if (strcmp(e->action, "allow") == 0) {
			nallow++;
			if (match && !allow)
				allow = e;
		} else if (match && !deny) {
			deny = e;
		}
	}
	if (!deny && (allow || nallow == 0))
		return 0;
	char ev[256];
	struct json_object *o = mod_json(m);

	if (deny)
		snprintf(ev, sizeof(ev), "denied by %s:%d", deny->file, deny->line);
	else
		snprintf(ev, sizeof(ev), "no 'module allow' rule of the policy matches");
	json_object_object_add(o, "evidence", json_object_new_string(ev));
	return xv_findings_add(out, "mchk", "unauthorized", deny ? XV_SEV_HIGH : XV_SEV_MEDIUM, o,
			       m->name, "unauthorized module %s (%s, %" PRIu64 " bytes at 0x%" PRIx64
			       "): %s", m->name, xv_module_state_name(m->state), m->size, m->base, ev);
}

static int corrupt(struct xv_findings *out, const char *what)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "evidence", json_object_new_string(xv_errmsg()));
	return xv_findings_add(out, "mchk", "corrupt-view", XV_SEV_HIGH, o, what,
			       "the %s cannot be walked: %s", what, xv_errmsg());
}

/* "A", "A and B", "A, B and C". */
static void join_views(char *buf, size_t size, const char *const *w, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i == 0 ? "" : i + 1 == n ? " and " : ", ", w[i]);
}

int xv_mchk(struct xv_kernel *k, const struct xv_policy *p, struct xv_findings *out)
{
	struct view list = { 0 }, carved = { 0 }, kset = { 0 }, tree = { 0 };
	struct xv_module *mods = NULL;
	uint64_t *caddr = NULL, *taddr = NULL;
	size_t n = 0, nc = 0, nt = 0;
	int rc = 0;

	if (xv_module_list(k, &mods, &n) < 0) {
		n = 0;
		if ((rc = corrupt(out, "module list")) < 0)
			goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = view_add(&list, mods[i].addr);
	if (rc < 0)
		goto out;
	view_sort(&list);
	if (xv_module_carve(k, &caddr, &nc) < 0) {
		nc = 0;
		if ((rc = corrupt(out, "module area")) < 0)
			goto out;
	}
	for (size_t i = 0; i < nc && rc == 0; i++)
		rc = view_add(&carved, caddr[i]);
	if (rc < 0)
		goto out;
	view_sort(&carved);
	/* Find the kset through listed modules first, carved ones if the list is empty. */
	if (kset_view(k, list.n ? &list : &carved, &kset) < 0 && (rc = corrupt(out, "sysfs module kset")) < 0)
		goto out;
	view_sort(&kset);
	/* The module address tree, climbed to from the listed modules (or, with an empty or broken
	 * list, from the carved or sysfs ones). A kernel without the tree has no such view. */
	const struct view *from = list.n ? &list : carved.n ? &carved : &kset;
	int trc = xv_module_tree(k, from->v, from->n, &taddr, &nt);

	if (trc < 0) {
		nt = 0;
		if (trc != -ENOTSUP && (rc = corrupt(out, "module address tree")) < 0)
			goto out;
	}
	for (size_t i = 0; i < nt && rc == 0; i++)
		rc = view_add(&tree, taddr[i]);
	if (rc < 0)
		goto out;
	view_sort(&tree);

	struct view cand = { 0 };
	const struct view *others[3] = { &carved, &kset, &tree };

	for (int o = 0; o < 3; o++)
		for (size_t i = 0; i < others[o]->n && rc == 0; i++)
			if (!view_has(&list, others[o]->v[i]))
				rc = view_add(&cand, others[o]->v[i]);
	view_sort(&cand);
	if (cand.n && rc == 0) {
		/* A module being loaded or unloaded between the walks is not hidden: list again. */
		struct xv_module *again;
		size_t na;

		if (xv_module_list(k, &again, &na) == 0) {
			list.n = 0;
			for (size_t i = 0; i < na && rc == 0; i++)
				rc = view_add(&list, again[i].addr);
			free(again);
			view_sort(&list);
		}
	}
	for (size_t i = 0; i < cand.n && rc == 0; i++) {
		struct xv_module m;
		const char *where[3];
		size_t nw = 0;
		char ev[400], views[300];

		if (view_has(&list, cand.v[i]) || xv_module_read(k, cand.v[i], &m) < 0)
			continue;
		int in_kset = view_has(&kset, m.addr), in_area = view_has(&carved, m.addr);
		int in_tree = view_has(&tree, m.addr);

		if (in_kset)
			where[nw++] = "sysfs (/sys/module)";
		if (in_area)
			where[nw++] = "the module memory area (struct module carved, self-consistent)";
		if (in_tree)
			where[nw++] = "the module address tree (mod_tree)";
		join_views(views, sizeof(views), where, nw);
		snprintf(ev, sizeof(ev), "not on the module list (/proc/modules, lsmod) but present in %s",
			 views);
		struct json_object *o = mod_json(&m);

		json_object_object_add(o, "evidence", json_object_new_string(ev));
		json_object_object_add(o, "in_sysfs", json_object_new_boolean(in_kset));
		json_object_object_add(o, "in_module_area", json_object_new_boolean(in_area));
		json_object_object_add(o, "in_mod_tree", json_object_new_boolean(in_tree));
		rc = xv_findings_add(out, "mchk", "hidden", XV_SEV_CRITICAL, o, m.name,
				     "hidden module %s at 0x%" PRIx64 ": %s", m.name, m.base, ev);
		if (rc == 0 && p)
			rc = judge(p, &m, out);
	}
	view_free(&cand);
	for (size_t i = 0; i < n && rc == 0 && p; i++)
		rc = judge(p, &mods[i], out);
out:
	view_free(&list);
	view_free(&carved);
	view_free(&kset);
	view_free(&tree);
	free(mods);
	free(caddr);
	free(taddr);
	return rc;
}
