/* vm.c — the daemon's VMs: one warm kernel model each, health checks, detach and re-attach. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	struct stat st;
	char path[512];

	xv_ctx_release(&vm->ctx);
	vm->up = 0;
	vm->ctx.vm_spec = vm->spec;
	vm->ctx.vm_name = vm->name;
	vm->ctx.daemon = d;
	vm->dev = 0;
	vm->ino = 0;
	if (spec_path(vm->spec, path, sizeof(path)) == 0) {
		if (stat(path, &st) < 0) {
			int e = errno;
			snprintf(vm->error, sizeof(vm->error), "%.200s: %s", path, strerror(e));
			return xv_err(e, "%s", vm->error);
		}
		vm->dev = st.st_dev;
		vm->ino = st.st_ino;
	}
	int rc = xv_ctx_kernel(&vm->ctx, &k);
	if (rc < 0) {
		snprintf(vm->error, sizeof(vm->error), "%s", xv_errmsg());
		xv_ctx_release(&vm->ctx);
		return rc;
	}
	const struct xv_kernel_info *ki = xv_kernel_info(k);
	snprintf(vm->release, sizeof(vm->release), "%s", ki->release ? ki->release : "");
	snapshot_vmci(vm, k);
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
	struct stat st;
	char path[512], rel[80];

	if (!vm->up || !vm->ctx.kernel)
		return xv_err(ENODEV, "not attached");
	if (spec_path(vm->spec, path, sizeof(path)) == 0) {
		if (stat(path, &st) < 0)
			return xv_err(ENOENT, "%s is gone (guest stopped?)", path);
		if (st.st_dev != vm->dev || st.st_ino != vm->ino)
			return xv_err(ESTALE, "%s was re-created (guest restarted)", path);
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
	for (unsigned i = 0; i < d->nvm; i++) {
		struct xvd_vm *vm = &d->vm[i];
		if (vm->up) {
			if (xvd_vm_healthy(vm) < 0)
				xvd_vm_detach(d, vm, xv_errmsg());
			continue;
		}
		if (xvd_vm_attach(d, vm) < 0 && !vm->reported_down) {
			char msg[400];
			snprintf(msg, sizeof(msg), "vm %s unavailable: %s", vm->name, vm->error);
			xvd_alert_raise(d->alerts, vm->name, "vm", "unavailable", 2, NULL, msg, NULL);
			vm->reported_down = 1;
		}
	}
}
