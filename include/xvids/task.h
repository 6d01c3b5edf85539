/* task.h — the guest's processes and kernel modules as its kernel records them. */
#ifndef XVIDS_TASK_H
#define XVIDS_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "xvids/kernel.h"

#define XV_COMM_LEN 16
#define XV_PATH_MAX 512
#define XV_MODNAME_LEN 64

struct xv_task {
	uint64_t addr;       /* task_struct */
	int32_t pid, tgid, ppid;
	uint32_t uid, euid, gid;
	char comm[XV_COMM_LEN + 1];
	char exe[XV_PATH_MAX]; /* "" for kernel threads or when there is no exe_file */
	int kthread;         /* PF_KTHREAD */
	int exe_deleted;     /* the exe's dentry is unlinked */
	int exiting;         /* PF_EXITING or an exit_state: on its way out, its mm may be gone */
	uint64_t cred, real_cred, mm;
	uint64_t start_time; /* ns since boot */
	char state;          /* R, S, D, T, Z, I, X like /proc/PID/stat */
};

/* Processes (thread-group leaders) on the task list, starting after init_task, in list order.
 * Caller frees *out with free(). Bounded: at most XV_MAX_TASKS entries. */
#define XV_MAX_TASKS 65536
int xv_task_list(struct xv_kernel *k, struct xv_task **out, size_t *n);

/* Fill t from the task_struct at addr (no list walk). */
int xv_task_read(struct xv_kernel *k, uint64_t addr, struct xv_task *t);

/* Path of a struct path (vfsmount + dentry) as d_path() would print it, bounded. */
int xv_path_resolve(struct xv_kernel *k, uint64_t mnt, uint64_t dentry, char *buf, size_t size,
		    int *deleted);

struct xv_module {
	uint64_t addr;       /* struct module */
	char name[XV_MODNAME_LEN];
	uint64_t base;       /* core text base, as /proc/modules prints */
	uint64_t size;       /* as /proc/modules prints */
	int refcnt;
	int state;           /* MODULE_STATE_* */
	char taints[16];     /* "(OE)"-style letters, "" if none */
};

#define XV_MAX_MODULES 8192
/* Modules on the module list. The list head is found from the first module whose list pointers
 * lead into the kernel image, and recorded as the root "modules". Caller frees *out. */
int xv_module_list(struct xv_kernel *k, struct xv_module **out, size_t *n);
/* Modules found by carving struct module out of the mapped module area (independent of the module
 * list: a module unlinked from the list is still there). Addresses; caller frees *addrs. */
int xv_module_carve(struct xv_kernel *k, uint64_t **addrs, size_t *n);
/* Modules in the module address tree (mod_tree, the latched red-black tree __module_address()
 * searches), reached without its symbol: from the tree nodes embedded in the known modules (e.g.
 * those on the list) up to the root, then every node down from it, each mapped back to its
 * struct module and validated like a carved one. Bounded in depth and nodes; a cycle or a child
 * that does not name its parent is -EINVAL/-ELOOP. -ENOTSUP when BTF has no tree nodes
 * (CONFIG_MODULES_TREE_LOOKUP off). Sorted addresses without duplicates; caller frees *addrs. */
int xv_module_tree(struct xv_kernel *k, const uint64_t *known, size_t nknown, uint64_t **addrs,
		   size_t *n);
int xv_module_read(struct xv_kernel *k, uint64_t addr, struct xv_module *m);
const char *xv_module_state_name(int state);

#endif
