/* mem.c — the memory-source object: spec dispatch, segment table, all-or-nothing physical reads. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mem/mem_internal.h"
#include "xvids/err.h"

struct xv_mem *xv_mem_alloc(void)
{
	struct xv_mem *mem = calloc(1, sizeof(*mem));

	if (!mem) {
		xv_err(ENOMEM, "out of memory allocating a memory source");
		return NULL;
	}
	return mem;
}

int xv_mem_add(struct xv_mem *mem, const struct xv_mem_part *part)
{
	if (part->size == 0)
		return 0;
	if (part->start + part->size < part->start)
		return xv_err(EINVAL, "segment at 0x%llx of 0x%llx bytes wraps the physical address space",
			      (unsigned long long)part->start, (unsigned long long)part->size);
	if (mem->n >= XV_MEM_MAX_RAW)
		return xv_err(E2BIG, "more than %d memory segments", XV_MEM_MAX_RAW);
	if (mem->n == mem->cap) {
		size_t cap = mem->cap ? mem->cap * 2 : 8;
		struct xv_mem_part *np = realloc(mem->parts, cap * sizeof(*np));

		if (!np)
			return xv_err(ENOMEM, "out of memory growing the segment table");
		mem->parts = np;
		mem->cap = cap;
	}
	mem->parts[mem->n++] = *part;
	return 0;
}

static int part_cmp(const void *a, const void *b)
{
	const struct xv_mem_part *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

/* Do a and b hold the same bytes over [lo, lo+len) by construction (same backing address)? */
static int same_backing(const struct xv_mem_part *a, const struct xv_mem_part *b, uint64_t lo)
{
	if (a->backing != b->backing)
		return 0;
	if (a->backing == XV_SEG_MAPPED)
		return a->data + (lo - a->start) == b->data + (lo - b->start);
	return a->hva + (lo - a->start) == b->hva + (lo - b->start);
}

/* Overlap between an accepted part q and a new part c is fine only when both describe the same
 * bytes: QEMU paging dumps emit one PT_LOAD per virtual mapping, all pointing at one file copy,
 * and kdump cores repeat the kernel image in a second, identical copy. */
static int check_overlap(const struct xv_mem_part *q, const struct xv_mem_part *c)
{
	uint64_t qend = q->start + q->size, cend = c->start + c->size;
	uint64_t lo = q->start > c->start ? q->start : c->start;
	uint64_t hi = qend < cend ? qend : cend;

	if (lo >= hi || same_backing(q, c, lo))
		return 0;
	if (q->backing == XV_SEG_MAPPED && c->backing == XV_SEG_MAPPED &&
	    memcmp(q->data + (lo - q->start), c->data + (lo - c->start), hi - lo) == 0)
		return 0;
	return xv_err(EINVAL, "memory segments overlap with different contents: 0x%llx-0x%llx and 0x%llx-0x%llx",
		      (unsigned long long)q->start, (unsigned long long)qend - 1,
		      (unsigned long long)c->start, (unsigned long long)cend - 1);
}

int xv_mem_finish(struct xv_mem *mem)
{
	uint64_t covered = 0; /* end of the union of accepted parts */
	size_t i, out = 0;

	if (mem->n) /* a source without segments: qsort(NULL, 0) is undefined */
		qsort(mem->parts, mem->n, sizeof(*mem->parts), part_cmp);
	for (i = 0; i < mem->n; i++) {
		struct xv_mem_part cur = mem->parts[i];
		uint64_t cend = cur.start + cur.size;

		/* Parts are visited by start, so the accepted ones above cur.start form one
		 * unbroken run [cur.start, covered): check each, then keep only what sticks out. */
		if (out > 0 && cur.start < covered) {
			for (size_t j = out; j-- > 0;) {
				const struct xv_mem_part *q = &mem->parts[j];
				int rc;

				if (q->start + q->size <= cur.start)
					break;
				rc = check_overlap(q, &cur);
				if (rc < 0)
					return rc;
			}
			if (cend <= covered)
				continue;
			if (cur.backing == XV_SEG_MAPPED)
				cur.data += covered - cur.start;
			else
				cur.hva += covered - cur.start;
			cur.size = cend - covered;
			cur.start = covered;
		}
		if (out > 0) {
			struct xv_mem_part *last = &mem->parts[out - 1];

			if (last->start + last->size == cur.start && same_backing(last, &cur, cur.start)) {
				last->size += cur.size;
				covered = cend;
				continue;
			}
		}
		mem->parts[out++] = cur;
		covered = cend;
	}
	mem->n = out;
	if (out > XV_MEM_MAX_SEGS)
		return xv_err(E2BIG, "%zu distinct memory segments (more than %d)", out, XV_MEM_MAX_SEGS);
	free(mem->segs);
	mem->segs = calloc(out ? out : 1, sizeof(*mem->segs));
	if (!mem->segs)
		return xv_err(ENOMEM, "out of memory building the segment list");
	for (i = 0; i < out; i++) {
		mem->segs[i].start = mem->parts[i].start;
		mem->segs[i].size = mem->parts[i].size;
	}
	return 0;
}

void xv_mem_reset_segs(struct xv_mem *mem)
{
	mem->n = 0;
}

/* Where to map a file of len bytes: one host page past a 2 MiB boundary. A RAM file that QEMU
 * writes is cached in large folios (2 MiB on a 6.x host with THP), and a PMD-aligned mapping
 * lets the kernel map a whole folio at the first touch of any byte in it: RSS grows 2 MiB per
 * guest page read. With the mapping off the PMD grid the kernel must use page-table entries, and
 * a fault maps at most the fault-around window (64 KiB). Any PMD size is a multiple of 2 MiB,
 * so one page past a 2 MiB boundary is off every PMD grid. 0 if no such hole can be reserved
 * (the kernel then picks the address). */
static uintptr_t off_pmd_hint(size_t len, size_t pg)
{
	const size_t pmd = 2u << 20;
	size_t span;
	uint8_t *r;
	uintptr_t a;

	if (len < pmd || len > SIZE_MAX - 2 * pmd)
		return 0;
	span = len + 2 * pmd;
	r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return 0;
	a = (((uintptr_t)r + pmd - 1) & ~(uintptr_t)(pmd - 1)) + pg;
	munmap(r, span); /* only its address was wanted; MAP_FIXED_NOREPLACE claims it below */
	return a;
}

int xv_mem_map_fd(int fd, const char *path, struct xv_mem_file *f)
{
	long pgl = sysconf(_SC_PAGESIZE);
	size_t pg = pgl > 0 ? (size_t)pgl : 4096;
	struct stat st;
	uintptr_t hint;
	void *p = MAP_FAILED;

	f->base = NULL;
	f->len = 0;
	f->fd = -1;
	if (fstat(fd, &st) < 0)
		return xv_err(errno, "cannot stat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return xv_err(EINVAL, "%s is not a regular file", path);
	if (st.st_size <= 0)
		return xv_err(EINVAL, "%s is empty", path);
	if ((uint64_t)st.st_size > SIZE_MAX)
		return xv_err(EFBIG, "%s is too large to map", path);
	hint = off_pmd_hint((size_t)st.st_size, pg);
	if (hint)
		p = mmap((void *)hint, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
			 fd, 0);
	if (p == MAP_FAILED) /* raced with another mapping, or an old kernel: anywhere will do */
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	else if ((uintptr_t)p != hint) { /* pre-4.17 kernels take MAP_FIXED_NOREPLACE as a hint */
		munmap(p, (size_t)st.st_size);
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	}
	if (p == MAP_FAILED)
		return xv_err(errno, "cannot map %s read-only: %s", path, strerror(errno));
	f->base = p;
	f->len = (size_t)st.st_size;
	f->fd = fd;
	return 0;
}

int xv_mem_map_file(const char *path, struct xv_mem_file *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	f->base = NULL;
	f->fd = -1;
	if (fd < 0)
		return xv_err(errno, "cannot open %s: %s", path, strerror(errno));
	rc = xv_mem_map_fd(fd, path, f);
	if (rc < 0)
		close(fd);
	return rc;
}

void xv_mem_unmap_file(struct xv_mem_file *f)
{
	if (f->base)
		munmap((void *)f->base, f->len);
	if (f->fd >= 0)
		close(f->fd);
	f->base = NULL;
	f->len = 0;
	f->fd = -1;
}

int xv_mem_open(const char *spec, const struct xv_mem_opts *opts, struct xv_mem **out)
{
	struct xv_mem *mem;
	int rc;

	*out = NULL;
	if (!spec)
		return xv_err(EINVAL, "no memory source given");
	mem = xv_mem_alloc();
	if (!mem)
		return -ENOMEM;
	if (strncmp(spec, "ram:", 4) == 0)
		rc = xv_mem_open_ram(spec + 4, mem);
	else if (strncmp(spec, "dump:", 5) == 0)
		rc = xv_mem_open_dump(spec + 5, mem);
	else if (strncmp(spec, "qmp:", 4) == 0)
		rc = xv_mem_open_qmp(spec + 4, opts, mem);
	else
		rc = xv_err(EINVAL, "unknown memory source '%s' (use ram:PATH@BASE, dump:PATH or qmp:SOCKET)",
			    spec);
	if (rc == 0)
		rc = xv_mem_finish(mem);
	if (rc < 0) {
		int e = errno;

		xv_mem_close(mem);
		errno = e;
		return rc;
	}
	*out = mem;
	return 0;
}

int xv_mem_open_buffers(const struct xv_mem_seg *segs, const void *const *bufs, size_t n,
			struct xv_mem **out)
{
	struct xv_mem *mem;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (n > 0 && (!segs || !bufs))
		return xv_err(EINVAL, "buffer source without segments or buffers");
	mem = xv_mem_alloc();
	if (!mem)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		struct xv_mem_part p = { .start = segs[i].start, .size = segs[i].size,
					 .backing = XV_SEG_MAPPED, .data = bufs[i] };

		if (!bufs[i] && segs[i].size)
			rc = xv_err(EINVAL, "buffer %zu is NULL", i);
		else
			rc = xv_mem_add(mem, &p);
	}
	if (rc == 0)
		rc = xv_mem_finish(mem);
	if (rc < 0) {
		xv_mem_close(mem);
		return rc;
	}
	snprintf(mem->desc, sizeof(mem->desc), "buffers (%zu segments)", mem->n);
	*out = mem;
	return 0;
}

void xv_mem_close(struct xv_mem *mem)
{
	if (!mem)
		return;
	if (mem->ops && mem->ops->close)
		mem->ops->close(mem);
	free(mem->parts);
	free(mem->segs);
	free(mem);
}

/* Index of the segment holding pa, or -1. */
static ssize_t find_part(const struct xv_mem *mem, uint64_t pa)
{
	size_t lo = 0, hi = mem->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mem->parts[mid].start <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	lo--;
	if (pa - mem->parts[lo].start >= mem->parts[lo].size)
		return -1;
	return (ssize_t)lo;
}

static int read_process(struct xv_mem *mem, uint64_t hva, void *buf, size_t len, uint64_t pa)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)hva, .iov_len = len };
	ssize_t got = process_vm_readv(mem->pid, &local, 1, &remote, 1, 0);

	if (got < 0)
		return xv_err(EIO, "cannot read guest-physical 0x%llx from QEMU pid %d: %s",
			      (unsigned long long)pa, (int)mem->pid, strerror(errno));
	if ((size_t)got != len)
		return xv_err(EIO, "short read of guest-physical 0x%llx from QEMU pid %d (%zd of %zu bytes)",
			      (unsigned long long)pa, (int)mem->pid, got, len);
	return 0;
}

/* pread all of [off, off + len) of fd; 0 or -errno. */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *d = buf;

	while (len > 0) {
		ssize_t n = pread(fd, d, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		d += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int xv_mem_read(struct xv_mem *mem, uint64_t pa, void *buf, size_t len)
{
	uint8_t *dst = buf;
	uint64_t cur = pa;
	size_t left = len;
	bool cold;

	if (len == 0)
		return 0;
	if (pa + len - 1 < pa)
		return xv_err(EFAULT, "read of %zu bytes at physical address 0x%llx wraps around", len,
			      (unsigned long long)pa);
	/* A short-lived reader (one CLI command) reads each structure about once: pread() costs it
	 * a syscall per read and keeps guest pages out of its resident set (a touch of a mapped
	 * page maps the fault-around window, 64 KiB, or the whole 2 MiB folio QEMU's RAM file is
	 * cached in). A long-lived one (xvidsd, benchmarks) re-reads the same structures at every
	 * check, where the mapping is several times faster; it trims between checks. */
	/* fichk's scanner threads read at segment edges: count without a data race */
	cold = __atomic_fetch_add(&mem->nreads, 1, __ATOMIC_RELAXED) < XV_MEM_COLD_READS;
	/* Check the whole range first so a failed read copies nothing. */
	while (left > 0) {
		ssize_t i = find_part(mem, cur);
		uint64_t avail;

		if (i < 0)
			return xv_err(EFAULT, "physical address 0x%llx is outside guest RAM (reading %zu bytes at 0x%llx)",
				      (unsigned long long)cur, len, (unsigned long long)pa);
		avail = mem->parts[i].start + mem->parts[i].size - cur;
		if (avail >= left)
			break;
		left -= avail;
		cur += avail;
	}
	cur = pa;
	left = len;
	while (left > 0) {
		const struct xv_mem_part *p = &mem->parts[find_part(mem, cur)];
		uint64_t off = cur - p->start;
		size_t chunk = p->size - off < left ? (size_t)(p->size - off) : left;

		if (p->backing == XV_SEG_MAPPED && p->fmap && cold) {
			int rc = pread_all(p->fd, dst, chunk, (uint64_t)(p->data - p->fmap) + off);

			if (rc < 0) /* the file shrank under us, or an I/O error */
				return xv_err(-rc, "reading %zu bytes at guest-physical 0x%llx from its "
						   "file: %s", chunk, (unsigned long long)cur, strerror(-rc));
		} else if (p->backing == XV_SEG_MAPPED) {
			memcpy(dst, p->data + off, chunk);
		} else {
			int rc = read_process(mem, p->hva + off, dst, chunk, cur);

			if (rc < 0)
				return rc;
		}
		dst += chunk;
		cur += chunk;
		left -= chunk;
	}
	return 0;
}

int xv_mem_read_cold(struct xv_mem *mem, uint64_t pa, void *buf, size_t len)
{
	const struct xv_mem_part *p;
	ssize_t i = len ? find_part(mem, pa) : -1;
	int rc;

	/* Not a file, or spanning parts (the scanners never ask for that): the ordinary read. */
	if (i < 0 || !mem->parts[i].fmap || len > mem->parts[i].size - (pa - mem->parts[i].start))
		return xv_mem_read(mem, pa, buf, len);
	p = &mem->parts[i];
	rc = pread_all(p->fd, buf, len, (uint64_t)(p->data - p->fmap) + (pa - p->start));
	if (rc < 0) /* the file shrank under us, or an I/O error */
		return xv_err(-rc, "reading %zu bytes at guest-physical 0x%llx from its file: %s", len,
			      (unsigned long long)pa, strerror(-rc));
	return 0;
}

const void *xv_mem_view(struct xv_mem *mem, uint64_t pa, size_t len)
{
	ssize_t i = find_part(mem, pa);
	const struct xv_mem_part *p;

	if (i < 0)
		return NULL;
	p = &mem->parts[i];
	if (p->backing != XV_SEG_MAPPED || len > p->size - (pa - p->start))
		return NULL;
	return p->data + (pa - p->start);
}

size_t xv_mem_nsegs(const struct xv_mem *mem)
{
	return mem->n;
}

const struct xv_mem_seg *xv_mem_segs(const struct xv_mem *mem)
{
	return mem->segs;
}

uint64_t xv_mem_size(const struct xv_mem *mem)
{
	uint64_t total = 0;

	for (size_t i = 0; i < mem->n; i++)
		total += mem->parts[i].size;
	return total;
}

const char *xv_mem_vmcoreinfo(const struct xv_mem *mem, size_t *len)
{
	if (len)
		*len = mem->vmcoreinfo ? mem->vmcoreinfo_len : 0;
	return mem->vmcoreinfo;
}

enum xv_mem_arch xv_mem_arch(const struct xv_mem *mem)
{
	return mem->arch;
}

const char *xv_mem_describe(const struct xv_mem *mem)
{
	return mem->desc;
}

int xv_mem_pause(struct xv_mem *mem)
{
	return mem->ops && mem->ops->pause ? mem->ops->pause(mem) : 0;
}

int xv_mem_resume(struct xv_mem *mem)
{
	return mem->ops && mem->ops->resume ? mem->ops->resume(mem) : 0;
}

int xv_mem_refresh(struct xv_mem *mem)
{
	return mem->ops && mem->ops->refresh ? mem->ops->refresh(mem) : 0;
}
