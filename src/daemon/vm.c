/* vm.c — the daemon's VMs: one warm kernel model each, health checks, detach and re-attach. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xvids/err.h"
#include "xvids/kernel.h"
#include "xvids/mem.h"
#include "xvids/obj.h"
#include "xvids/policy.h"

#define VMCI_SNAP 512

struct xvd_vm *xvd_vm_find(struct xvd *d, const char *name)
{
	for (unsigned i = 0; i < d->nvm; i++)
		if (strcmp(d->vm[i].name, name) == 0)
			return &d->vm[i];
	return NULL;
}

/* The file or socket behind a spec: its identity changes when QEMU is restarted. */
static int spec_path(const char *spec, char *path, size_t size)
{
	const char *p = strchr(spec, ':');
	if (!p)
		return -1;
	p++;
	size_t n = strlen(p);
	if (strncmp(spec, "ram:", 4) == 0) {
		const char *at = strrchr(p, '@');
		if (!at)
			return -1;
		n = (size_t)(at - p);
	}
	if (n >= size)
		return -1;
	memcpy(path, p, n);
	path[n] = 0;
	return 0;
}

/* Identity of the file behind a spec. Inode numbers are reused at once by some file systems
 * when QEMU deletes and re-creates its RAM file or socket, so the birth time counts too. */
static int path_identity(const char *path, dev_t *dev, ino_t *ino, int64_t *btime)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_BTIME | STATX_CTIME, &sx) < 0)
		return -errno;
	*dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	*ino = sx.stx_ino;
	/* Sockets never change after creation: their ctime is a birth time too. */
	if (sx.stx_mask & STATX_BTIME)
		*btime = sx.stx_btime.tv_sec * 1000000000LL + sx.stx_btime.tv_nsec;
	else if (S_ISSOCK(sx.stx_mode))
		*btime = sx.stx_ctime.tv_sec * 1000000000LL + sx.stx_ctime.tv_nsec;
	else
		*btime = 0;
	return 0;
}

/* A QMP socket whose QEMU died stays on disk but refuses connections. A live QEMU queues or
 * accepts ours; we close it at once without a word (QEMU just sees a client leave). */
static int qmp_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return 1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	return !(rc < 0 && (e == ECONNREFUSED || e == ENOENT));
}

static int read_release(struct xv_kernel *k, char *buf, size_t size)
{
	uint64_t uts;
	int rc = xv_kernel_symbol(k, "init_uts_ns", &uts);
	if (rc < 0)
		return rc;
	return xv_obj_str(k, "uts_namespace", "name.release", uts, buf, size);
}

static void snapshot_vmci(struct xvd_vm *vm, struct xv_kernel *k)
{
	const struct xv_kernel_info *ki = xv_kernel_info(k);

	free(vm->vmci);
	vm->vmci = NULL;
	vm->vmci_len = 0;
	vm->vmci_pa = ki->vmcoreinfo_pa;
	if (!vm->vmci_pa)
		return;
	char *buf = malloc(VMCI_SNAP);
	if (!buf)
		return;
	/* The note may sit near the end of a RAM range: shrink until the read fits. */
	for (size_t n = VMCI_SNAP; n >= 64; n /= 2)
		if (xv_mem_read(xv_kernel_mem(k), vm->vmci_pa, buf, n) == 0) {
			vm->vmci = buf;
			vm->vmci_len = n;
			return;
		}
	free(buf);
}

int xvd_vm_attach(struct xvd *d, struct xvd_vm *vm)
{
	struct xv_kernel *k;
	char path[512];

	xv_ctx_release(&vm->ctx);
	vm->up = 0;
	vm->ctx.vm_spec = vm->spec;
	vm->ctx.vm_name = vm->name;
	vm->ctx.daemon = d;
	vm->ctx.dops = &xvd_dops;
	vm->dev = 0;
	vm->ino = 0;
	if (spec_path(vm->spec, path, sizeof(path)) == 0) {
		int e = -path_identity(path, &vm->dev, &vm->ino, &vm->btime);
		if (e) {
			snprintf(vm->error, sizeof(vm->error), "%.200s: %s", path, strerror(e));
			return xv_err(e, "%s", vm->error);
		}
		if (strncmp(vm->spec, "qmp:", 4) == 0 && !qmp_alive(path)) {
			snprintf(vm->error, sizeof(vm->error), "%.200s refuses connections (QEMU is "
				 "not running)", path);
			return xv_err(ECONNREFUSED, "%s", vm->error);
		}
	}
	int rc = xv_ctx_kernel(&vm->ctx, &k);
	if (rc < 0) {
		snprintf(vm->error, sizeof(vm->error), "%s", xv_errmsg());
		/* The memory opened but no kernel was found (a guest still booting, a foreign OS):
		 * discovery scans RAM, so back off instead of repeating it every tick. */
		if (vm->ctx.mem && vm->slow_fails < 8)
			vm->slow_fails++;
		xv_ctx_release(&vm->ctx);
		return rc;
	}
	vm->slow_fails = 0;
	const struct xv_kernel_info *ki = xv_kernel_info(k);
	snprintf(vm->release, sizeof(vm->release), "%s", ki->release ? ki->release : "");
	snapshot_vmci(vm, k);
	d->dirty = 1;
	vm->up = 1;
	vm->error[0] = 0;
	vm->since = time(NULL);
	vm->attaches++;
	if (vm->attaches > 1 || vm->reported_down) {
		char msg[256];
		snprintf(msg, sizeof(msg), "vm %s attached again (kernel %s, %s)", vm->name,
			 vm->release, ki->arch_name ? ki->arch_name : "?");
		xvd_alert_raise(d->alerts, vm->name, "vm", "attached", 0, NULL, msg, NULL);
	} else {
		xvd_log("vm %s attached: kernel %s (%s)", vm->name, vm->release,
			xv_mem_describe(vm->ctx.mem));
	}
	vm->reported_down = 0;
	return 0;
}

void xvd_vm_detach(struct xvd *d, struct xvd_vm *vm, const char *why)
{
	char msg[400];

	xv_ctx_release(&vm->ctx);
	vm->up = 0;
	vm->since = time(NULL);
	snprintf(vm->error, sizeof(vm->error), "%s", why);
	snprintf(msg, sizeof(msg), "vm %s detached: %s", vm->name, why);
	xvd_alert_raise(d->alerts, vm->name, "vm", "detached", 2, NULL, msg, NULL);
	vm->reported_down = 1;
}

int xvd_vm_healthy(struct xvd_vm *vm)
{
	char path[512], rel[80];

	if (!vm->up || !vm->ctx.kernel)
		return xv_err(ENODEV, "not attached");
	if (spec_path(vm->spec, path, sizeof(path)) == 0) {
		dev_t dev;
		ino_t ino;
		int64_t bt;
		if (path_identity(path, &dev, &ino, &bt) < 0)
			return xv_err(ENOENT, "%s is gone (guest stopped?)", path);
		if (dev != vm->dev || ino != vm->ino || bt != vm->btime)
			return xv_err(ESTALE, "%s was re-created (guest restarted)", path);
		if (strncmp(vm->spec, "qmp:", 4) == 0 && !qmp_alive(path))
			return xv_err(ECONNREFUSED, "QEMU is gone (%s refuses connections)", path);
	}
	struct xv_kernel *k = vm->ctx.kernel;
	if (vm->vmci) {
		char buf[VMCI_SNAP];
		if (xv_mem_read(xv_kernel_mem(k), vm->vmci_pa, buf, vm->vmci_len) < 0)
			return xv_err(EIO, "guest memory unreadable (%s)", xv_errmsg());
		if (memcmp(buf, vm->vmci, vm->vmci_len) != 0)
			return xv_err(ESTALE, "VMCOREINFO changed (guest rebooted)");
	}
	if (read_release(k, rel, sizeof(rel)) < 0)
		return xv_err(EIO, "kernel release unreadable (%s)", xv_errmsg());
	if (strcmp(rel, vm->release) != 0)
		return xv_err(ESTALE, "kernel release changed (%s -> %s)", vm->release, rel);
	return 0;
}

void xvd_vm_tick(struct xvd *d)
{
	d->dirty = 1;
	for (unsigned i = 0; i < d->nvm; i++) {
		struct xvd_vm *vm = &d->vm[i];
		if (vm->up) {
			if (xvd_vm_healthy(vm) < 0)
				xvd_vm_detach(d, vm, xv_errmsg());
			continue;
		}
		double now = xvd_now();
		if (now < vm->next_try)
			continue;
		int rc = xvd_vm_attach(d, vm);
		/* 2, 4, 8 ... s after failed discoveries, at most 10 s. */
		double wait = vm->slow_fails ? (double)(d->cfg.vm_check << (vm->slow_fails - 1)) : 0;
		vm->next_try = now + (wait > 10 ? 10 : wait);
		if (rc < 0 && !vm->reported_down) {
			char msg[400];
			snprintf(msg, sizeof(msg), "vm %s unavailable: %s", vm->name, vm->error);
			xvd_alert_raise(d->alerts, vm->name, "vm", "unavailable", 2, NULL, msg, NULL);
			vm->reported_down = 1;
		}
	}
}
