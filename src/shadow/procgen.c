/* procgen.c — system-wide /proc files (version, modules, mounts, uptime, loadavg, meminfo, kallsyms, ...). */
#include <bpf/btf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel_internal.h"
#include "shadow/shadow.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define SH_MAX_MNTS 4096

static uint64_t f64(struct shadow *s, const char *type, const char *path, uint64_t obj)
{
	uint64_t v = 0;

	if (obj && xv_obj_u64(s->k, type, path, obj, &v) < 0)
		v = 0;
	return v;
}

/* Address of a kernel data object: kallsyms when it has data symbols (x86-64 KALLSYMS_ALL),
 * otherwise the first ADRP(+ADD/LDR) target in a text function that uses it (arm64). */
static int data_sym(struct shadow *s, const char *name, const char *user_fn, uint64_t *addr)
{
	uint64_t fn;
	uint8_t code[64];

	if (xv_kernel_symbol(s->k, name, addr) == 0)
		return 0;
	if (xv_kernel_info(s->k)->arch != XV_ARCH_AARCH64 || !user_fn ||
	    xv_kernel_symbol(s->k, user_fn, &fn) < 0 || xv_kernel_read(s->k, fn, code, sizeof(code)) < 0)
		return -ENOENT;
	if (s->verbose) {
		fprintf(stderr, "xvids shadow: %s: code of %s:", name, user_fn);
		for (int i = 0; i < 16; i++)
			fprintf(stderr, " %08x", xv_le32(code + 4 * i));
		fprintf(stderr, "\n");
	}
	return sh_a64_data_ref(code, sizeof(code), fn, addr);
}

/* The runqueue of pid 1's CPU: rq->clock is sched_clock time since boot. */
static uint64_t rq_of_init(struct shadow *s)
{
	uint64_t cfs = f64(s, "task_struct", "se.cfs_rq", xv_kernel_info(s->k)->init_task);

	return cfs ? f64(s, "cfs_rq", "rq", cfs) : 0;
}

int sh_guest_uptime(struct shadow *s, uint64_t *ns)
{
	uint64_t rq = rq_of_init(s);

	*ns = rq ? f64(s, "rq", "clock", rq) : 0;
	if (!*ns) {
		/* Fall back to the newest task's start time: a lower bound. */
		for (size_t i = 0; i < s->snap.ntasks; i++)
			if (s->snap.tasks[i].t.start_time > *ns)
				*ns = s->snap.tasks[i].t.start_time;
	}
	return 0;
}

int sh_guest_loads(struct shadow *s, long loads[3])
{
	uint64_t a, v[3];

	loads[0] = loads[1] = loads[2] = -1;
	if (data_sym(s, "avenrun", "get_avenrun", &a) < 0 || xv_kernel_read(s->k, a, v, sizeof(v)) < 0)
		return -ENOENT;
	for (int i = 0; i < 3; i++)
		loads[i] = (long)xv_le64(&v[i]);
	return 0;
}

/* Value of an enumerator in the guest's BTF (e.g. node_stat_item NR_FILE_PAGES), -1 if absent. */
static long enum_val(struct shadow *s, const char *type, const char *name)
{
	const struct btf *btf = xv_kernel_btf(s->k);
	int id = btf ? btf__find_by_name_kind(btf, type, BTF_KIND_ENUM) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;

	if (!t)
		return -1;
	const struct btf_enum *e = btf_enum(t);

	for (unsigned i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, e[i].name_off), name) == 0)
			return e[i].val;
	return -1;
}

/* Node 0's pglist_data, reached without data symbols: init's css_set -> the root memory
 * cgroup -> its per-node info -> lruvec.pgdat. */
static uint64_t node0(struct shadow *s)
{
	long memid = enum_val(s, "cgroup_subsys_id", "memory_cgrp_id");
	uint32_t off;
	uint64_t memcg, pn;
	char path[64];

	if (memid < 0 || memid > 64 || xv_off(s->k, "mem_cgroup", "nodeinfo", &off) < 0)
		return 0;
	snprintf(path, sizeof(path), "cgroups->subsys[%ld]", memid);
	memcg = f64(s, "task_struct", path, xv_kernel_info(s->k)->init_task);
	if (!memcg || xv_kernel_read_u64(s->k, memcg + off, &pn) < 0 || !pn)
		return 0;
	return f64(s, "mem_cgroup_per_node", "lruvec.pgdat", pn);
}

int sh_guest_mem_ext(struct shadow *s, uint64_t *total, uint64_t *freep, uint64_t *file,
		     uint64_t *shmem)
{
	uint64_t pgdat = node0(s);
	uint32_t zsize, zones_off, managed, vmstat, nvmstat;
	struct xv_fieldinfo fi;

	*total = *freep = *file = *shmem = 0;
	if (!pgdat || xv_sizeof(s->k, "zone", &zsize) < 0 || !zsize ||
	    xv_off(s->k, "pglist_data", "node_zones", &zones_off) < 0 ||
	    xv_obj_field(s->k, "pglist_data", "node_zones", pgdat, &fi) < 0 ||
	    xv_off(s->k, "zone", "managed_pages", &managed) < 0 ||
	    xv_off(s->k, "zone", "vm_stat", &vmstat) < 0 ||
	    xv_off(s->k, "pglist_data", "vm_stat", &nvmstat) < 0)
		return -ENOENT;
	for (uint32_t z = 0; z < fi.size / zsize && z < 8; z++) {
		uint64_t zone = pgdat + zones_off + (uint64_t)z * zsize, m = 0, f = 0;

		xv_kernel_read_u64(s->k, zone + managed, &m);
		xv_kernel_read_u64(s->k, zone + vmstat, &f); /* NR_FREE_PAGES = 0 */
		*total += m;
		*freep += (int64_t)f > 0 ? f : 0;
	}
	long nf = enum_val(s, "node_stat_item", "NR_FILE_PAGES");
	long ns = enum_val(s, "node_stat_item", "NR_SHMEM");

	if (nf >= 0)
		xv_kernel_read_u64(s->k, pgdat + nvmstat + 8 * (uint64_t)nf, file);
	if (ns >= 0)
		xv_kernel_read_u64(s->k, pgdat + nvmstat + 8 * (uint64_t)ns, shmem);
	if ((int64_t)*file < 0)
		*file = 0;
	if ((int64_t)*shmem < 0)
		*shmem = 0;
	return *total ? 0 : -ENOENT;
}

int sh_guest_mem(struct shadow *s, uint64_t *total, uint64_t *freep)
{
	uint64_t file, shmem;

	return sh_guest_mem_ext(s, total, freep, &file, &shmem);
}

static void put_version(struct shadow *s, struct sh_buf *out)
{
	const struct xv_kernel_info *ki = xv_kernel_info(s->k);
	uint64_t a;
	char banner[512];

	if (xv_kernel_symbol(s->k, "linux_banner", &a) == 0 &&
	    xv_kernel_read_str(s->k, a, banner, sizeof(banner)) == 0 &&
	    strncmp(banner, "Linux version ", 14) == 0) {
		sh_printf(out, "%s", banner);
		return;
	}
	/* linux_banner is data (not in text-only kallsyms): find it in the kernel image. */
	struct xv_kernel *k = s->k;
	char needle[128];
	size_t nl = (size_t)snprintf(needle, sizeof(needle), "Linux version %s (", ki->release);
	static char cached[512];

	if (cached[0]) {
		sh_printf(out, "%s", cached);
		return;
	}
	enum { CH = 1 << 16 };
	uint8_t *buf = malloc(CH + 512);

	for (uint64_t va = k->image_lo; buf && va < k->image_hi; va += CH) {
		if (xv_kernel_read(k, va, buf, CH + 512) < 0)
			continue;
		uint8_t *p = memmem(buf, CH, needle, nl);

		if (p) {
			size_t n = strnlen((char *)p, 511);

			memcpy(cached, p, n);
			cached[n] = '\0';
			if (n && cached[n - 1] != '\n' && n < 510)
				strcat(cached, "\n");
			break;
		}
	}
	free(buf);
	if (cached[0])
		sh_printf(out, "%s", cached);
	else
		sh_printf(out, "Linux version %s (unknown) %s\n", ki->release, ki->uts_version);
}

struct use_ctx {
	struct shadow *s;
	struct sh_buf *out;
	int printed;
	uint32_t use_source;
};

static int use_visit(struct xv_kernel *k, uint64_t use, void *arg)
{
	struct use_ctx *c = arg;
	char name[XV_MODNAME_LEN];
	uint64_t src;

	if (xv_kernel_read_u64(k, use + c->use_source, &src) < 0 ||
	    xv_obj_str(k, "module", "name", src, name, sizeof(name)) < 0)
		return 0;
	sh_printf(c->out, "%s,", name);
	c->printed = 1;
	return 0;
}

static void put_modules(struct shadow *s, struct sh_buf *out)
{
	struct xv_module *m;
	size_t n;
	uint32_t srcl, use_srcl;

	if (xv_module_list(s->k, &m, &n) < 0)
		return;
	int have_use = xv_off(s->k, "module", "source_list", &srcl) == 0 &&
		       xv_off(s->k, "module_use", "source_list", &use_srcl) == 0;
	for (size_t i = 0; i < n; i++) {
		struct use_ctx c = { .s = s, .out = out };

		sh_printf(out, "%s %" PRIu64 " %d ", m[i].name, m[i].size, m[i].refcnt);
		if (have_use && xv_off(s->k, "module_use", "source", &c.use_source) == 0)
			xv_list_walk(s->k, m[i].addr + srcl, use_srcl, 4096, use_visit, &c);
		if (f64(s, "module", "init", m[i].addr) && !f64(s, "module", "exit", m[i].addr)) {
			sh_printf(out, "[permanent],");
			c.printed = 1;
		}
		if (!c.printed)
			sh_printf(out, "-");
		sh_printf(out, " %s 0x%016" PRIx64 "%s%s\n", xv_module_state_name(m[i].state),
			  m[i].base, m[i].taints[0] ? " " : "", m[i].taints);
	}
	free(m);
}

struct mnt_ctx {
	struct shadow *s;
	struct sh_buf *out;
	uint32_t mnt_off;
};

static void put_escaped(struct sh_buf *out, const char *p)
{
	for (; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\')
			sh_printf(out, "\\%03o", (unsigned char)*p);
		else
			sh_putn(out, p, 1);
	}
}

static int mnt_visit(struct xv_kernel *k, uint64_t mount, void *arg)
{
	struct mnt_ctx *c = arg;
	struct shadow *s = c->s;
	char dev[256] = "none", path[XV_PATH_MAX], fstype[64] = "?";
	uint64_t vfs = mount + c->mnt_off;
	uint64_t root = f64(s, "vfsmount", "mnt_root", vfs);
	uint32_t mflags = (uint32_t)f64(s, "vfsmount", "mnt_flags", vfs);
	uint64_t sbflags = f64(s, "vfsmount", "mnt_sb->s_flags", vfs);

	xv_obj_str(k, "mount", "mnt_devname", mount, dev, sizeof(dev));
	xv_obj_str(k, "vfsmount", "mnt_sb->s_type->name", vfs, fstype, sizeof(fstype));
	if (xv_path_resolve(k, vfs, root, path, sizeof(path), NULL) < 0)
		return 0;
	put_escaped(c->out, dev[0] ? dev : "none");
	sh_printf(c->out, " ");
	put_escaped(c->out, path);
	sh_printf(c->out, " %s %s%s%s%s%s%s 0 0\n", fstype,
		  (mflags & 0x40) || (sbflags & 1) ? "ro" : "rw", (mflags & 1) ? ",nosuid" : "",
		  (mflags & 2) ? ",nodev" : "", (mflags & 4) ? ",noexec" : "",
		  (mflags & 8) ? ",noatime" : "", (mflags & 0x20) ? ",relatime" : "");
	return 0;
}

static void put_mounts(struct shadow *s, struct sh_buf *out)
{
	const struct sh_task *init = sh_task_find(s, 1);
	struct mnt_ctx c = { .s = s, .out = out };
	uint32_t list_off, mnt_list;
	uint64_t ns;

	if (!init || xv_off(s->k, "mount", "mnt", &c.mnt_off) < 0 ||
	    xv_off(s->k, "mnt_namespace", "list", &list_off) < 0 ||
	    xv_off(s->k, "mount", "mnt_list", &mnt_list) < 0)
		return;
	ns = f64(s, "task_struct", "nsproxy->mnt_ns", init->t.addr);
	if (ns)
		xv_list_walk(s->k, ns + list_off, mnt_list, SH_MAX_MNTS, mnt_visit, &c);
}

static void put_kallsyms(struct shadow *s, struct sh_buf *out)
{
	struct xv_kallsyms *ks = s->k->ks ? s->k->ks : s->k->sysmap;
	struct xv_ksym sym;

	if (!ks)
		return;
	for (size_t i = 0; xv_kallsyms_get(ks, i, &sym) == 0; i++)
		sh_printf(out, "%016" PRIx64 " %c %s\n", sym.addr, sym.type, sym.name);
}

static void put_meminfo(struct shadow *s, struct sh_buf *out)
{
	uint64_t total, freep, file, shmem;

	sh_guest_mem_ext(s, &total, &freep, &file, &shmem);
	/* MemAvailable as a lower bound: free plus the page cache that is not shmem. */
	sh_printf(out, "MemTotal:       %8" PRIu64 " kB\nMemFree:        %8" PRIu64 " kB\n"
		  "MemAvailable:   %8" PRIu64 " kB\nBuffers:               0 kB\n"
		  "Cached:         %8" PRIu64 " kB\nSwapCached:            0 kB\n"
		  "SwapTotal:             0 kB\nSwapFree:              0 kB\n"
		  "Shmem:          %8" PRIu64 " kB\n",
		  total * 4, freep * 4, (freep + (file > shmem ? file - shmem : 0)) * 4, file * 4,
		  shmem * 4);
}

static void put_fixed(struct sh_buf *out, long v)
{
	/* LOAD_INT / LOAD_FRAC of a FIXED_1 (2048) value, after the kernel's rounding. */
	unsigned long x = (unsigned long)v + (2048 / 200);

	sh_printf(out, "%lu.%02lu", x >> 11, ((x & 2047) * 100) >> 11);
}

uint32_t sh_guest_pid_max(struct shadow *s)
{
	uint64_t a;
	uint32_t v = 0;
	int ncpu = 0;

	if (xv_kernel_symbol(s->k, "pid_max", &a) == 0 && xv_kernel_read_u32(s->k, a, &v) == 0 &&
	    v >= 301 && v < SH_TOOL_PID_BASE)
		return v;
	/* No data symbol (arm64): the boot-time default, max(32768, 1024 * CPUs), raised to the
	 * largest pid in use (a raised sysctl shows there). */
	for (size_t i = 0; i < s->snap.ntasks; i++)
		if (s->snap.tasks[i].t.kthread && strncmp(s->snap.tasks[i].t.comm, "cpuhp/", 6) == 0)
			ncpu++;
	v = 32768;
	if ((uint32_t)ncpu * 1024 > v)
		v = (uint32_t)ncpu * 1024;
	if ((uint32_t)s->snap.last_pid > v)
		v = SH_TOOL_PID_BASE - 1;
	return v;
}

int sh_proc_file(struct shadow *s, const char *rel, struct sh_buf *out)
{
	const struct xv_kernel_info *ki = xv_kernel_info(s->k);
	uint64_t up;
	long loads[3];

	if (strcmp(rel, "version") == 0) {
		put_version(s, out);
	} else if (strcmp(rel, "modules") == 0) {
		put_modules(s, out);
	} else if (strcmp(rel, "mounts") == 0) {
		put_mounts(s, out);
	} else if (strcmp(rel, "kallsyms") == 0) {
		put_kallsyms(s, out);
	} else if (strcmp(rel, "meminfo") == 0) {
		put_meminfo(s, out);
	} else if (strcmp(rel, "uptime") == 0) {
		sh_guest_uptime(s, &up);
		sh_printf(out, "%" PRIu64 ".%02" PRIu64 " 0.00\n", up / UINT64_C(1000000000),
			  up / UINT64_C(10000000) % 100);
	} else if (strcmp(rel, "loadavg") == 0) {
		int running = 0;

		for (size_t i = 0; i < s->snap.ntasks; i++)
			running += s->snap.tasks[i].t.state == 'R';
		if (sh_guest_loads(s, loads) < 0)
			loads[0] = loads[1] = loads[2] = 0;
		for (int i = 0; i < 3; i++) {
			put_fixed(out, loads[i]);
			sh_printf(out, i < 2 ? " " : "");
		}
		sh_printf(out, " %d/%zu %d\n", running ? running : 1, s->snap.ntasks, s->snap.last_pid);
	} else if (strcmp(rel, "stat") == 0) {
		/* Boot time on the host's clock (QEMU guests keep the host's time). */
		sh_guest_uptime(s, &up);
		uint64_t btime = (uint64_t)time(NULL) - up / UINT64_C(1000000000);

		sh_printf(out, "cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nintr 0\nctxt 0\n"
			  "btime %" PRIu64 "\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n",
			  btime, s->snap.last_pid);
	} else if (strcmp(rel, "cpuinfo") == 0) {
		/* One entry per guest CPU: counted from the per-CPU hotplug threads (cpuhp/N). */
		int ncpu = 0;

		for (size_t i = 0; i < s->snap.ntasks; i++)
			if (s->snap.tasks[i].t.kthread && strncmp(s->snap.tasks[i].t.comm, "cpuhp/", 6) == 0)
				ncpu++;
		for (int c = 0; c < (ncpu ? ncpu : 1); c++)
			sh_printf(out, "processor\t: %d\n\n", c);
	} else if (strcmp(rel, "sys/kernel/pid_max") == 0) {
		sh_printf(out, "%u\n", sh_guest_pid_max(s));
	} else if (strcmp(rel, "sys/kernel/hostname") == 0) {
		sh_printf(out, "%s\n", ki->nodename);
	} else if (strcmp(rel, "sys/kernel/osrelease") == 0) {
		sh_printf(out, "%s\n", ki->release);
	} else if (strcmp(rel, "sys/kernel/ostype") == 0) {
		sh_printf(out, "Linux\n");
	} else if (strcmp(rel, "sys/kernel/version") == 0) {
		sh_printf(out, "%s\n", ki->uts_version);
	} else if (strncmp(rel, "net/", 4) == 0) {
		return sh_proc_net_file(s, rel + 4, out);
	} else {
		return -ENOENT;
	}
	return out->oom ? -ENOMEM : 0;
}
