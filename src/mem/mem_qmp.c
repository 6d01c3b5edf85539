/* mem_qmp.c — the qmp:SOCKET source: a live, unmodified QEMU; RAM layout from QMP, bytes from the
 * shared RAM file (mapped read-only) or from QEMU's own memory with process_vm_readv. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mem/mem_internal.h"
#include "mem/mtree.h"
#include "mem/qmp.h"
#include "xvids/err.h"

#define QMP_TIMEOUT_MS 5000
#define MAX_BACKENDS 64

struct backend {
	char id[128];
	uint64_t size;
	int share;
	int tried;          /* mem-path looked up */
	struct xv_mem_file f; /* whole RAM file, PROT_READ; f.base NULL = read QEMU's memory */
	char file[512];
};

struct qmp_priv {
	struct xv_qmp *q;
	char *sock;
	int paused_by_us;
	struct backend be[MAX_BACKENDS];
	size_t nbe;
	size_t nfile, nproc;
};

static void unmap_backends(struct qmp_priv *qp)
{
	for (size_t i = 0; i < qp->nbe; i++)
		if (qp->be[i].f.base)
			xv_mem_unmap_file(&qp->be[i].f);
	qp->nbe = 0;
}

static void qmp_close(struct xv_mem *mem)
{
	struct qmp_priv *qp = mem->priv;

	if (!qp)
		return;
	/* Never leave a guest stopped because we went away. */
	if (qp->paused_by_us && qp->q)
		xv_qmp_cmd(qp->q, "cont", NULL, NULL);
	unmap_backends(qp);
	xv_qmp_close(qp->q);
	free(qp->sock);
	free(qp);
}

static int load_backends(struct qmp_priv *qp)
{
	json_object *ret = NULL;
	int rc = xv_qmp_cmd(qp->q, "query-memdev", NULL, &ret);
	size_t i, n;

	if (rc < 0)
		return rc;
	if (!json_object_is_type(ret, json_type_array)) {
		json_object_put(ret);
		return xv_err(EPROTO, "query-memdev did not return a list");
	}
	n = json_object_array_length(ret);
	for (i = 0; i < n && qp->nbe < MAX_BACKENDS; i++) {
		json_object *o = json_object_array_get_idx(ret, i), *v;
		struct backend *b = &qp->be[qp->nbe];

		memset(b, 0, sizeof(*b));
		b->f.fd = -1;
		if (!json_object_object_get_ex(o, "id", &v))
			continue; /* anonymous backends cannot be looked up in /objects */
		snprintf(b->id, sizeof(b->id), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "size", &v))
			b->size = (uint64_t)json_object_get_int64(v);
		if (json_object_object_get_ex(o, "share", &v))
			b->share = json_object_get_boolean(v);
		qp->nbe++;
	}
	json_object_put(ret);
	return 0;
}

static struct backend *find_backend(struct qmp_priv *qp, const char *name)
{
	for (size_t i = 0; i < qp->nbe; i++)
		if (strcmp(qp->be[i].id, name) == 0)
			return &qp->be[i];
	return NULL;
}

/* Map the backend's RAM file if it has one that shows the guest's writes (share=on). A private
 * (share=off) file mapping hides them in QEMU's copy-on-write pages, so it is read via the
 * process instead; so are anonymous and memfd backends. */
static int try_map_backend(struct qmp_priv *qp, pid_t pid, struct backend *b)
{
	json_object *args, *ret = NULL;
	char path[512];
	const char *mp;
	struct stat st;
	int fd, rc;

	b->tried = 1;
	if (!b->share)
		return 0;
	args = json_object_new_object();
	if (!args)
		return xv_err(ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/objects/%s", b->id);
	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "property", json_object_new_string("mem-path"));
	rc = xv_qmp_cmd(qp->q, "qom-get", args, &ret);
	json_object_put(args);
	if (rc < 0) {
		xv_err_clear();
		return 0; /* not a memory-backend-file */
	}
	mp = json_object_get_string(ret);
	if (!mp || !*mp) {
		json_object_put(ret);
		return 0;
	}
	/* A relative mem-path is relative to QEMU's working directory, not ours. */
	if (mp[0] == '/')
		snprintf(path, sizeof(path), "%s", mp);
	else
		snprintf(path, sizeof(path), "/proc/%d/cwd/%s", (int)pid, mp);
	json_object_put(ret);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* e.g. a directory mem-path (QEMU made and unlinked a temp file) */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < b->size ||
	    st.st_size == 0) {
		close(fd);
		return 0;
	}
	if (xv_mem_map_fd(fd, path, &b->f) < 0) {
		xv_err_clear();
		close(fd);
		return 0;
	}
	snprintf(b->file, sizeof(b->file), "%s", path);
	return 0;
}

/* "Host virtual address for 0x100000 (pc.ram) is 0x7f35940ff000" */
static int gpa2hva(struct qmp_priv *qp, uint64_t gpa, uint64_t *hva)
{
	char cmd[64], *text = NULL, *is;
	unsigned long long v;
	int rc;

	snprintf(cmd, sizeof(cmd), "gpa2hva 0x%" PRIx64, gpa);
	rc = xv_qmp_hmp(qp->q, cmd, &text);
	if (rc < 0)
		return rc;
	is = strstr(text, " is 0x");
	if (!is || sscanf(is, " is 0x%llx", &v) != 1) {
		rc = xv_err(EPROTO, "QEMU could not translate guest-physical 0x%" PRIx64 ": %.200s", gpa,
			    text);
		free(text);
		return rc;
	}
	free(text);
	*hva = v;
	return 0;
}

/* XVIDS_QMP_TIMEOUT_MS overrides the 5 s bound (slow hosts, tests of a wedged QEMU). */
static int qmp_timeout_ms(void)
{
	const char *e = getenv("XVIDS_QMP_TIMEOUT_MS");
	long v = e ? strtol(e, NULL, 10) : 0;

	return v > 0 && v <= 600000 ? (int)v : QMP_TIMEOUT_MS;
}

static int build_layout(struct xv_mem *mem)
{
	struct qmp_priv *qp = mem->priv;
	struct xv_mtree_range *r = NULL;
	char *text = NULL;
	size_t n = 0, i;
	int rc;

	qp->nfile = qp->nproc = 0;
	rc = load_backends(qp);
	if (rc < 0)
		return rc;
	rc = xv_qmp_hmp(qp->q, "info mtree -f", &text);
	if (rc < 0)
		return rc;
	rc = xv_mtree_parse(text, "memory", &r, &n);
	free(text);
	if (rc < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		struct backend *b = find_backend(qp, r[i].name);
		uint64_t size = r[i].end - r[i].start + 1;
		struct xv_mem_part part = { .start = r[i].start, .size = size };

		/* Only memory backends are guest RAM: video RAM, option ROMs, flash and I/O are
		 * other regions. A backend range shown as "rom" is read-only RAM (PAM shadow). */
		if (!b)
			continue;
		if (b->size && (r[i].offset > b->size || size > b->size - r[i].offset)) {
			rc = xv_err(EPROTO, "QEMU maps 0x%" PRIx64 "-0x%" PRIx64 " to offset 0x%" PRIx64 " of backend %s, past its size 0x%" PRIx64,
				    r[i].start, r[i].end, r[i].offset, b->id, b->size);
			break;
		}
		if (!b->tried) {
			rc = try_map_backend(qp, mem->pid, b);
			if (rc < 0)
				break;
		}
		if (b->f.base) {
			if (r[i].offset > b->f.len || size > b->f.len - r[i].offset) {
				rc = xv_err(EINVAL, "QEMU maps 0x%" PRIx64 "-0x%" PRIx64 " to offset 0x%" PRIx64 " of %s, past its end (%zu bytes)",
					    r[i].start, r[i].end, r[i].offset, b->file, b->f.len);
				break;
			}
			part.backing = XV_SEG_MAPPED;
			part.data = b->f.base + r[i].offset;
			part.fmap = b->f.base;
			part.fd = b->f.fd;
			qp->nfile++;
		} else {
			part.backing = XV_SEG_PROCESS;
			rc = gpa2hva(qp, r[i].start, &part.hva);
			if (rc < 0)
				break;
			qp->nproc++;
		}
		rc = xv_mem_add(mem, &part);
	}
	free(r);
	if (rc < 0)
		return rc;
	if (mem->n == 0)
		return xv_err(ENOENT, "QEMU's system memory map shows no RAM backed by a memory backend (query-memdev lists %zu)",
			      qp->nbe);
	return 0;
}

/* Fail at open, not at the first read, when we may not read QEMU's memory. */
static int probe_process(struct xv_mem *mem)
{
	for (size_t i = 0; i < mem->n; i++) {
		uint8_t b;
		struct iovec l = { &b, 1 }, r;

		if (mem->parts[i].backing != XV_SEG_PROCESS)
			continue;
		r.iov_base = (void *)(uintptr_t)mem->parts[i].hva;
		r.iov_len = 1;
		if (process_vm_readv(mem->pid, &l, 1, &r, 1, 0) != 1)
			return xv_err(EPERM, "cannot read the memory of QEMU pid %d (%s): run as root or with CAP_SYS_PTRACE, or give QEMU a shared memory-backend-file",
				      (int)mem->pid, strerror(errno));
		break;
	}
	return 0;
}

static void describe(struct xv_mem *mem)
{
	struct qmp_priv *qp = mem->priv;
	const char *file = "";

	for (size_t i = 0; i < qp->nbe; i++)
		if (qp->be[i].f.base)
			file = qp->be[i].file;
	snprintf(mem->desc, sizeof(mem->desc), "live QEMU pid %d via %.100s (%s, %zu RAM range%s, %" PRIu64 " MiB, %s%.100s)",
		 (int)mem->pid, qp->sock,
		 mem->arch == XV_MEM_ARCH_AARCH64 ? "aarch64" :
		 mem->arch == XV_MEM_ARCH_X86_64 ? "x86-64" : "unknown arch",
		 mem->n, mem->n == 1 ? "" : "s", xv_mem_size(mem) >> 20,
		 qp->nproc ? "process memory" : "RAM file ", qp->nproc ? "" : file);
}

static int qmp_pause(struct xv_mem *mem)
{
	struct qmp_priv *qp = mem->priv;
	json_object *st = NULL, *running = NULL;
	int rc;

	if (qp->paused_by_us)
		return 0;
	rc = xv_qmp_cmd(qp->q, "query-status", NULL, &st);
	if (rc < 0)
		return rc;
	json_object_object_get_ex(st, "running", &running);
	if (running && !json_object_get_boolean(running)) {
		json_object_put(st);
		return 0; /* already stopped by someone else: theirs to resume */
	}
	json_object_put(st);
	rc = xv_qmp_cmd(qp->q, "stop", NULL, NULL);
	if (rc == 0)
		qp->paused_by_us = 1;
	return rc;
}

static int qmp_resume(struct xv_mem *mem)
{
	struct qmp_priv *qp = mem->priv;
	int rc;

	if (!qp->paused_by_us)
		return 0;
	rc = xv_qmp_cmd(qp->q, "cont", NULL, NULL);
	if (rc == 0)
		qp->paused_by_us = 0;
	return rc;
}

static int qmp_refresh(struct xv_mem *mem)
{
	struct qmp_priv *qp = mem->priv;
	int rc;

	xv_mem_reset_segs(mem);
	unmap_backends(qp);
	rc = build_layout(mem);
	if (rc == 0)
		rc = xv_mem_finish(mem);
	if (rc == 0)
		rc = probe_process(mem);
	if (rc < 0) {
		xv_mem_reset_segs(mem);
		xv_mem_finish(mem);
		return xv_err_ctx(rc, "re-reading the QEMU memory layout: ");
	}
	describe(mem);
	return 0;
}

static const struct xv_mem_ops qmp_ops = {
	.close = qmp_close, .pause = qmp_pause, .resume = qmp_resume, .refresh = qmp_refresh,
};

int xv_mem_open_qmp(const char *arg, const struct xv_mem_opts *opts, struct xv_mem *mem)
{
	struct qmp_priv *qp;
	json_object *tgt = NULL, *a;
	int rc;

	(void)opts; /* pausing is explicit: the caller calls xv_mem_pause/resume */
	qp = calloc(1, sizeof(*qp));
	if (!qp || !(qp->sock = strdup(arg))) {
		free(qp);
		return xv_err(ENOMEM, "out of memory");
	}
	mem->priv = qp;
	mem->ops = &qmp_ops;
	rc = xv_qmp_connect(arg, qmp_timeout_ms(), &qp->q);
	if (rc < 0)
		return rc;
	mem->pid = xv_qmp_peer_pid(qp->q);
	rc = xv_qmp_cmd(qp->q, "query-target", NULL, &tgt);
	if (rc < 0)
		return rc;
	if (json_object_object_get_ex(tgt, "arch", &a)) {
		const char *s = json_object_get_string(a);

		if (strcmp(s, "x86_64") == 0)
			mem->arch = XV_MEM_ARCH_X86_64;
		else if (strcmp(s, "aarch64") == 0)
			mem->arch = XV_MEM_ARCH_AARCH64;
	}
	json_object_put(tgt);
	rc = build_layout(mem);
	if (rc == 0)
		rc = xv_mem_finish(mem);
	if (rc == 0)
		rc = probe_process(mem);
	if (rc < 0)
		return rc;
	describe(mem);
	return 0;
}
