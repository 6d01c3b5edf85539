/* pchk.c — illegal and hidden processes: the task list against the PID table and the children lists. */
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

#define PIDTYPE_TGID 1
#define XV_MAX_PIDS (4u << 20) /* PID_MAX_LIMIT */

static struct json_object *task_json(const struct xv_task *t)
{
	struct json_object *o = json_object_new_object();
	char a[24];

	snprintf(a, sizeof(a), "0x%016" PRIx64, t->addr);
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "ppid", json_object_new_int(t->ppid));
	json_object_object_add(o, "uid", json_object_new_int64(t->uid));
	json_object_object_add(o, "euid", json_object_new_int64(t->euid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	json_object_object_add(o, "exe", json_object_new_string(t->exe));
	json_object_object_add(o, "kthread", json_object_new_boolean(t->kthread));
	json_object_object_add(o, "task_struct", json_object_new_string(a));
	return o;
}

/* ---- second and third views: the PID table and each task's children ---- */

struct pid_walk {
	struct views *v;
	uint32_t tgid_first, pid_links1;
};

static int pid_entry(struct xv_kernel *k, uint64_t index, uint64_t entry, void *arg)
{
	struct pid_walk *w = arg;
	uint64_t first;

	(void)index;
	if (entry & 1)
		return 0; /* value entries: never a struct pid */
	/* Only thread-group leaders are on the task list; they alone have a PIDTYPE_TGID link. */
	if (xv_kernel_read_u64(k, entry + w->tgid_first, &first) < 0 || !first)
		return 0;
	if (!xv_kernel_is_kernel_addr(k, first))
		return 0;
	return view_add(&w->v->pidtab, first - w->pid_links1);
}

static int pid_table_view(struct xv_kernel *k, struct views *v)
{
	struct pid_walk w = { .v = v };
	uint32_t idr_off;
	uint64_t ns;
	int rc;

	if (xv_obj_u64(k, "task_struct", "thread_pid->numbers[0].ns", xv_kernel_info(k)->init_task,
		       &ns) < 0 ||
	    xv_off(k, "pid_namespace", "idr.idr_rt", &idr_off) < 0 ||
	    xv_off(k, "pid", "tasks[1].first", &w.tgid_first) < 0 ||
	    xv_off(k, "task_struct", "pid_links[1]", &w.pid_links1) < 0)
		return xv_err_ctx(ENOENT, "PID table: ");
	rc = xv_xarray_walk(k, ns + idr_off, XV_MAX_PIDS, pid_entry, &w);
	return rc < 0 ? xv_err_ctx(-rc, "walking the PID table of the init PID namespace: ") : 0;
}

static int child_visit(struct xv_kernel *k, uint64_t child, void *arg)
{
	(void)k;
	return view_add(arg, child);
}

static int children_view(struct xv_kernel *k, struct views *v)
{
	uint32_t children, sibling;

	if (xv_off(k, "task_struct", "children", &children) < 0 ||
	    xv_off(k, "task_struct", "sibling", &sibling) < 0)
		return xv_err_ctx(ENOENT, "children lists: ");
	for (size_t i = 0; i < v->list.n; i++) {
		int rc = xv_list_walk(k, v->list.v[i] + children, sibling, XV_MAX_TASKS, child_visit,
				      &v->children);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- policy ---- */

/* A user task whose exe cannot be read (no mm or no exe_file while it is not exiting, or the read
 * failed) is judged by comm and uid alone: a rule's exe glob is skipped, and a rule that names
 * nothing but an exe cannot vouch for it (nor deny it). */
static int rule_matches(const struct xv_policy_entry *e, const struct xv_task *t)
{
	const char *comm = xv_policy_value(e, "comm"), *exe = xv_policy_value(e, "exe");
	const char *uid = xv_policy_value(e, "uid");
	int noexe = !t->kthread && !t->exe[0];

	if (comm && fnmatch(comm, t->comm, 0) != 0)
		return 0;
	if (exe && !noexe && fnmatch(exe, t->exe, FNM_PATHNAME) != 0)
		return 0;
	if (exe && noexe && !comm && !uid)
		return 0;
	/* The policy loader has checked uid is a decimal 0..2^32-1. */
	if (uid && strtoull(uid, NULL, 10) != t->uid)
		return 0;
	return 1;
}

static enum xv_severity rule_severity(const struct xv_policy_entry *e, enum xv_severity def)
{
	const char *s = xv_policy_value(e, "severity");

	for (int i = XV_SEV_INFO; s && i <= XV_SEV_CRITICAL; i++)
		if (strcmp(s, xv_severity_name(i)) == 0)
			return i;
	return def;
}

static int judge(const struct xv_policy *p, const struct xv_task *t, struct xv_findings *out)
{
	const char *kind = t->kthread ? "kthread" : "process";
	const struct xv_policy_entry *allow = NULL, *deny = NULL;
	size_t nallow = 0;

	for (size_t i = 0; i < xv_policy_count(p); i++) {
		const struct xv_policy_entry *e = xv_policy_get(p, i);

		if (strcmp(e->kind, kind) != 0)
			continue;
		if (strcmp(e->action, "allow") == 0) {
			nallow++;
			if (!allow && rule_matches(e, t))
				allow = e;
		} else if (!deny && rule_matches(e, t)) {
			deny = e;
		}
	}
	if (!deny && (allow || nallow == 0))
		return 0;
	struct json_object *o = task_json(t);
	char ev[320], key[96];
	int noexe = !t->kthread && !t->exe[0];
	const char *why = noexe ? "; its exe could not be read (no mm or exe_file), so it was judged "
				  "by comm and uid only" : "";

	if (deny)
		snprintf(ev, sizeof(ev), "denied by %s:%d%s", deny->file, deny->line, why);
	else
		snprintf(ev, sizeof(ev), "no '%s allow' rule of the policy matches%s", kind, why);
	json_object_object_add(o, "evidence", json_object_new_string(ev));
	if (noexe)
		json_object_object_add(o, "exe_unreadable", json_object_new_boolean(1));
	snprintf(key, sizeof(key), "pid=%d comm=%s", t->pid, t->comm);
	return xv_findings_add(out, "pchk", "unauthorized",
			       deny ? rule_severity(deny, XV_SEV_HIGH) : XV_SEV_MEDIUM, o, key,
			       "unauthorized %s pid %d (%s, %s, uid %u): %s", kind, t->pid, t->comm,
			       t->kthread ? "kernel thread" : t->exe[0] ? t->exe : "exe unreadable",
			       t->uid, ev);
}

/* ---- the check ---- */

static int add_hidden(struct xv_kernel *k, struct views *v, uint64_t task, const char *where,
		      struct xv_findings *out)
{
	struct xv_task t;
	uint32_t tasks_off;
	uint64_t next = 0;
	char ev[320], key[96];

	if (xv_task_read(k, task, &t) < 0 || t.pid <= 0)
		return 0; /* gone, or not a task: a race or a stale pointer, not evidence */
	if (xv_off(k, "task_struct", "tasks", &tasks_off) == 0)
		xv_kernel_read_u64(k, task + tasks_off, &next);
	snprintf(ev, sizeof(ev), "found in the %s but not on the task list (init_task.tasks)%s", where,
		 next == task + tasks_off ? "; its tasks list_head points to itself (unlinked)" : "");
	struct json_object *o = task_json(&t);

	json_object_object_add(o, "evidence", json_object_new_string(ev));
	json_object_object_add(o, "in_pid_table", json_object_new_boolean(view_has(&v->pidtab, task)));
	json_object_object_add(o, "in_children_list",
			       json_object_new_boolean(view_has(&v->children, task)));
	snprintf(key, sizeof(key), "pid=%d comm=%s", t.pid, t.comm);
	return xv_findings_add(out, "pchk", "hidden", XV_SEV_CRITICAL, o, key,
			       "hidden process pid %d (%s): %s", t.pid, t.comm, ev);
}

int xv_pchk(struct xv_kernel *k, const struct xv_policy *p, struct xv_findings *out)
{
	struct views v = { 0 };
	struct xv_task *tasks = NULL, init;
	size_t n = 0;
	uint64_t init_task = xv_kernel_info(k)->init_task, init_cred = 0;
	int rc;

	if (xv_task_list(k, &tasks, &n) < 0) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "evidence", json_object_new_string(xv_errmsg()));
		rc = xv_findings_add(out, "pchk", "corrupt-task-list", XV_SEV_HIGH, o, "task list",
				     "the task list cannot be walked: %s", xv_errmsg());
		if (rc < 0)
			return rc;
		n = 0;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = view_add(&v.list, tasks[i].addr)) < 0)
			goto out;
	if ((rc = view_add(&v.list, init_task)) < 0)
		goto out;
	view_sort(&v.list);
	/* The other views are evidence only where the list is intact; a failure to walk one of them
	 * is reported, not fatal. */
	const char *vnames[2] = { "PID table", "children lists" };
	int (*vfn[2])(struct xv_kernel *, struct views *) = { pid_table_view, children_view };

	for (int i = 0; i < 2; i++) {
		if (vfn[i](k, &v) == 0)
			continue;
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "evidence", json_object_new_string(xv_errmsg()));
		rc = xv_findings_add(out, "pchk", "corrupt-view", XV_SEV_HIGH, o, vnames[i],
				     "the %s cannot be walked: %s", vnames[i], xv_errmsg());
		if (rc < 0)
			goto out;
	}
	view_sort(&v.pidtab);
	view_sort(&v.children);
	/* A task created between the walks would look hidden: walk the list again before saying so. */
	int fresh = 0;

	for (int pass = 0; pass < 2; pass++) {
		struct view *src = pass == 0 ? &v.pidtab : &v.children;

		for (size_t i = 0; i < src->n; i++) {
			uint64_t t = src->v[i];

			if (view_has(&v.list, t) || (pass == 1 && view_has(&v.pidtab, t)))
				continue;
			if (!fresh) {
				fresh = 1;
				if (view_relist(k, &v.list, init_task) < 0)
					continue;
				if (view_has(&v.list, t))
					continue;
			}
			if (view_has(&v.list, t))
				continue;
			rc = add_hidden(k, &v, t, pass == 0 ? "PID table (the guest's /proc shows it)"
							   : "children list of its parent", out);
			if (rc < 0)
				goto out;
		}
	}
	if (xv_task_read(k, init_task, &init) == 0)
		init_cred = init.cred;
	for (size_t i = 0; i < n; i++) {
		struct xv_task *t = &tasks[i];
		char key[96];

		snprintf(key, sizeof(key), "pid=%d comm=%s", t->pid, t->comm);
		if (!t->kthread && init_cred && (t->cred == init_cred || t->real_cred == init_cred)) {
			struct json_object *o = task_json(t);

			json_object_object_add(o, "evidence", json_object_new_string(
				"user task uses the kernel's own credentials (init_cred), as a rootkit's "
				"privilege escalation does"));
			if ((rc = xv_findings_add(out, "pchk", "kernel-cred", XV_SEV_CRITICAL, o, key,
						  "process pid %d (%s) runs with init_cred", t->pid,
						  t->comm)) < 0)
				goto out;
		}
		if (!t->kthread && t->exe_deleted && (t->uid == 0 || t->euid == 0)) {
			struct json_object *o = task_json(t);

			json_object_object_add(o, "evidence", json_object_new_string(
				"root process whose executable file has been deleted"));
			if ((rc = xv_findings_add(out, "pchk", "deleted-exe", XV_SEV_HIGH, o, key,
						  "root process pid %d (%s) runs a deleted file %s",
						  t->pid, t->comm, t->exe)) < 0)
				goto out;
		}
		/* A task on its way out has lost its mm (no exe): judging it would be a false alarm.
		 * A running user task without a readable exe is judged by its comm (rule_matches). */
		if (p && !t->exiting && (rc = judge(p, t, out)) < 0)
			goto out;
	}
	rc = 0;
out:
	views_free(&v);
	free(tasks);
	return rc;
}
