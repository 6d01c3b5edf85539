/* task.c — the guest's processes: the task list from init_task, each task_struct decoded via BTF. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_internal.h"
#include "util/bytes.h"
#include "util/text.h"
#include "xvids/err.h"
#include "xvids/obj.h"
#include "xvids/task.h"

#define PF_EXITING 0x00000004u
#define PF_KTHREAD 0x00200000u
#define XV_TASK_BUF_MAX (32u << 10) /* no sane task_struct is larger */
#define XV_PATH_DEPTH 256           /* path components, mounts included */

/* Offsets resolved once per call; every name as in include/linux/sched.h. */
struct task_layout {
	uint32_t size, pid, tgid, comm, tasks, real_parent, flags, mm, real_cred, cred, start_time;
	uint32_t state, exit_state;
	uint32_t cred_uid, cred_euid, cred_gid, mm_exe_file, file_path;
	uint32_t mount_mnt, mount_parent, mount_mountpoint, vfsmount_root;
	uint32_t dentry_parent, dentry_name_len, dentry_name, dentry_hash_pprev;
};

static int layout(struct xv_kernel *k, struct task_layout *l)
{
	/* Kernels before 5.14 call the state field "state". */
	if (xv_off(k, "task_struct", "__state", &l->state) < 0 &&
	    xv_off(k, "task_struct", "state", &l->state) < 0)
		return -ENOENT;
	if (xv_sizeof(k, "task_struct", &l->size) < 0 ||
	    xv_off(k, "task_struct", "pid", &l->pid) < 0 ||
	    xv_off(k, "task_struct", "tgid", &l->tgid) < 0 ||
	    xv_off(k, "task_struct", "comm", &l->comm) < 0 ||
	    xv_off(k, "task_struct", "tasks", &l->tasks) < 0 ||
	    xv_off(k, "task_struct", "real_parent", &l->real_parent) < 0 ||
	    xv_off(k, "task_struct", "flags", &l->flags) < 0 ||
	    xv_off(k, "task_struct", "mm", &l->mm) < 0 ||
	    xv_off(k, "task_struct", "real_cred", &l->real_cred) < 0 ||
	    xv_off(k, "task_struct", "cred", &l->cred) < 0 ||
	    xv_off(k, "task_struct", "start_time", &l->start_time) < 0 ||
	    xv_off(k, "task_struct", "exit_state", &l->exit_state) < 0 ||
	    xv_off(k, "cred", "uid", &l->cred_uid) < 0 ||
	    xv_off(k, "cred", "euid", &l->cred_euid) < 0 ||
	    xv_off(k, "cred", "gid", &l->cred_gid) < 0 ||
	    xv_off(k, "mm_struct", "exe_file", &l->mm_exe_file) < 0 ||
	    xv_off(k, "file", "f_path", &l->file_path) < 0 ||
	    xv_off(k, "mount", "mnt", &l->mount_mnt) < 0 ||
	    xv_off(k, "mount", "mnt_parent", &l->mount_parent) < 0 ||
	    xv_off(k, "mount", "mnt_mountpoint", &l->mount_mountpoint) < 0 ||
	    xv_off(k, "vfsmount", "mnt_root", &l->vfsmount_root) < 0 ||
	    xv_off(k, "dentry", "d_parent", &l->dentry_parent) < 0 ||
	    xv_off(k, "dentry", "d_name.len", &l->dentry_name_len) < 0 ||
	    xv_off(k, "dentry", "d_name.name", &l->dentry_name) < 0 ||
	    xv_off(k, "dentry", "d_hash.pprev", &l->dentry_hash_pprev) < 0)
		return xv_err_ctx(ENOENT, "task_struct layout from BTF: ");
	if (l->size > XV_TASK_BUF_MAX)
		return xv_err(EINVAL, "BTF says task_struct is %u bytes; refusing", l->size);
	/* task_decode() reads these out of one copy of the struct: the guest's BTF must not place
	 * them past its own size (a hostile BTF would make us read past the buffer). */
	const struct { const char *name; uint32_t off, len; } in[] = {
		{ "pid", l->pid, 4 }, { "tgid", l->tgid, 4 }, { "comm", l->comm, XV_COMM_LEN },
		{ "flags", l->flags, 4 }, { "mm", l->mm, 8 }, { "cred", l->cred, 8 },
		{ "real_cred", l->real_cred, 8 }, { "start_time", l->start_time, 8 },
		{ "state", l->state, 4 }, { "exit_state", l->exit_state, 4 },
		{ "real_parent", l->real_parent, 8 },
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		if (in[i].off > l->size || in[i].len > l->size - in[i].off)
			return xv_err(EINVAL, "BTF puts task_struct.%s at offset %u, past the struct's "
					      "%u bytes; refusing", in[i].name, in[i].off, l->size);
	return 0;
}

static char state_char(uint32_t state, uint32_t exit_state)
{
	static const char letters[] = "RSDTtXZPI";
	uint32_t s = (state | exit_state) & 0x7f;
	unsigned idx = 0;

	if (state == 0x402) /* TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
		return 'I';
	while (s) {
		idx++;
		s >>= 1;
	}
	return idx < sizeof(letters) - 1 ? letters[idx] : '?';
}

/* d_path(): walk dentries up to each mount's root, then cross to the parent mount. */
static int path_resolve(struct xv_kernel *k, const struct task_layout *l, uint64_t vfsmnt,
			uint64_t dentry, char *buf, size_t size, int *deleted)
{
	char tmp[XV_PATH_MAX];
	size_t pos = sizeof(tmp) - 1;
	uint64_t mount = vfsmnt - l->mount_mnt, root, parent, pprev;
	uint32_t len;
	int depth;

	tmp[pos] = '\0';
	if (deleted) {
		*deleted = 0;
		/* d_unlinked(): unhashed and not a root. */
		if (xv_kernel_read_u64(k, dentry + l->dentry_hash_pprev, &pprev) == 0 &&
		    xv_kernel_read_u64(k, dentry + l->dentry_parent, &parent) == 0)
			*deleted = pprev == 0 && parent != dentry;
	}
	for (depth = 0; depth < XV_PATH_DEPTH; depth++) {
		if (xv_kernel_read_u64(k, mount + l->mount_mnt + l->vfsmount_root, &root) < 0)
			return xv_err_ctx(EFAULT, "resolving a path: ");
		if (dentry == root) {
			uint64_t pm, mp;

			if (xv_kernel_read_u64(k, mount + l->mount_parent, &pm) < 0)
				return xv_err_ctx(EFAULT, "resolving a path: ");
			if (pm == mount || pm == 0)
				break;
			if (xv_kernel_read_u64(k, mount + l->mount_mountpoint, &mp) < 0)
				return xv_err_ctx(EFAULT, "resolving a path: ");
			mount = pm;
			dentry = mp;
			continue;
		}
		if (xv_kernel_read_u64(k, dentry + l->dentry_parent, &parent) < 0 ||
		    xv_kernel_read_u32(k, dentry + l->dentry_name_len, &len) < 0)
			return xv_err_ctx(EFAULT, "resolving a path: ");
		if (parent == dentry)
			break;
		uint64_t name;

		if (len == 0 || len > 255 || len + 1 > pos)
			return xv_err(ENAMETOOLONG, "path component of %u bytes at dentry 0x%" PRIx64,
				      len, dentry);
		if (xv_kernel_read_u64(k, dentry + l->dentry_name, &name) < 0 ||
		    xv_kernel_read(k, name, tmp + pos - len, len) < 0)
			return xv_err_ctx(EFAULT, "reading a dentry name: ");
		pos -= len;
		tmp[--pos] = '/';
		dentry = parent;
	}
	if (depth == XV_PATH_DEPTH)
		return xv_err(ELOOP, "path deeper than %d components (dentry or mount loop?)",
			      XV_PATH_DEPTH);
	if (pos == sizeof(tmp) - 1)
		tmp[--pos] = '/';
	snprintf(buf, size, "%s", tmp + pos);
	xv_text_sanitize(buf); /* names are guest data: printable, valid UTF-8 */
	return 0;
}

int xv_path_resolve(struct xv_kernel *k, uint64_t mnt, uint64_t dentry, char *buf, size_t size,
		    int *deleted)
{
	struct task_layout l;
	int rc = layout(k, &l);

	return rc < 0 ? rc : path_resolve(k, &l, mnt, dentry, buf, size, deleted);
}

static int task_decode(struct xv_kernel *k, const struct task_layout *l, uint64_t addr,
		       struct xv_task *t)
{
	uint8_t buf[XV_TASK_BUF_MAX];
	uint64_t parent, exe, mnt, dentry;
	uint8_t c[12];
	uint32_t ptgid;

	memset(t, 0, sizeof(*t));
	t->addr = addr;
	if (xv_kernel_read(k, addr, buf, l->size) < 0)
		return xv_err_ctx(EFAULT, "task_struct at 0x%" PRIx64 ": ", addr);
	t->pid = (int32_t)xv_le32(buf + l->pid);
	t->tgid = (int32_t)xv_le32(buf + l->tgid);
	memcpy(t->comm, buf + l->comm, XV_COMM_LEN);
	t->comm[XV_COMM_LEN] = '\0';
	t->kthread = (xv_le32(buf + l->flags) & PF_KTHREAD) != 0;
	t->exiting = (xv_le32(buf + l->flags) & PF_EXITING) != 0 || xv_le32(buf + l->exit_state) != 0;
	t->mm = xv_le64(buf + l->mm);
	t->cred = xv_le64(buf + l->cred);
	t->real_cred = xv_le64(buf + l->real_cred);
	t->start_time = xv_le64(buf + l->start_time);
	t->state = state_char(xv_le32(buf + l->state), xv_le32(buf + l->exit_state));
	parent = xv_le64(buf + l->real_parent);
	if (parent && xv_kernel_read_u32(k, parent + l->tgid, &ptgid) == 0)
		t->ppid = (int32_t)ptgid;
	/* /proc shows the parent of init and of kthreadd as 0 (their parent is swapper). */
	if (parent == k->info.init_task)
		t->ppid = 0;
	if (xv_kernel_read(k, t->real_cred + l->cred_uid, c, 4) == 0)
		t->uid = xv_le32(c);
	if (xv_kernel_read(k, t->real_cred + l->cred_euid, c, 4) == 0)
		t->euid = xv_le32(c);
	if (xv_kernel_read(k, t->real_cred + l->cred_gid, c, 4) == 0)
		t->gid = xv_le32(c);
	if (!t->kthread && t->mm && xv_kernel_read_u64(k, t->mm + l->mm_exe_file, &exe) == 0 && exe &&
	    xv_kernel_read_u64(k, exe + l->file_path, &mnt) == 0 &&
	    xv_kernel_read_u64(k, exe + l->file_path + 8, &dentry) == 0) {
		if (path_resolve(k, l, mnt, dentry, t->exe, sizeof(t->exe), &t->exe_deleted) < 0)
			snprintf(t->exe, sizeof(t->exe), "?");
	}
	xv_text_sanitize(t->comm);
	return 0;
}

int xv_task_read(struct xv_kernel *k, uint64_t addr, struct xv_task *t)
{
	struct task_layout l;
	int rc = layout(k, &l);

	return rc < 0 ? rc : task_decode(k, &l, addr, t);
}

struct tl_ctx {
	const struct task_layout *l;
	struct xv_task *v;
	size_t n, cap;
};

static int tl_visit(struct xv_kernel *k, uint64_t task, void *arg)
{
	struct tl_ctx *c = arg;

	if (c->n >= c->cap)
		return xv_err(E2BIG, "more than %zu tasks on the task list", c->cap);
	int rc = task_decode(k, c->l, task, &c->v[c->n]);

	if (rc < 0)
		return rc;
	c->n++;
	return 0;
}

int xv_task_list(struct xv_kernel *k, struct xv_task **out, size_t *n)
{
	struct task_layout l;
	struct tl_ctx c = { .l = &l };
	int rc = layout(k, &l);
	size_t cap = 1024;

	*out = NULL;
	*n = 0;
	if (rc < 0)
		return rc;
	/* One generous allocation; the walk itself is bounded by XV_MAX_TASKS. */
	for (;;) {
		c.v = calloc(cap, sizeof(*c.v));
		if (!c.v)
			return xv_err(ENOMEM, "out of memory for %zu tasks", cap);
		c.n = 0;
		c.cap = cap;
		rc = xv_list_walk(k, k->info.init_task + l.tasks, l.tasks,
				  cap < XV_MAX_TASKS ? cap : XV_MAX_TASKS, tl_visit, &c);
		if (rc != -E2BIG || cap >= XV_MAX_TASKS)
			break;
		free(c.v);
		cap = cap * 8 < XV_MAX_TASKS ? cap * 8 : XV_MAX_TASKS;
	}
	if (rc < 0) {
		free(c.v);
		return xv_err_ctx(-rc, "walking the task list from init_task: ");
	}
	*out = c.v;
	*n = c.n;
	return 0;
}
