/* test_mem.c — buffer sources (reads across and outside segments, overlaps, views), the
 * ram:PATH@BASE spec, and what guest pages a ram: source keeps resident. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/mem_internal.h" /* XV_MEM_COLD_READS */
#include "xvids/err.h"
#include "xvids/mem.h"

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static void test_buffers_span_and_gaps(void **state)
{
	/* a and b are adjacent in guest-physical space but not in host memory. */
	static uint8_t pool[0x6000];
	uint8_t *a = pool, *b = pool + 0x3000, *c = pool + 0x5000;
	struct xv_mem_seg segs[] = { { 0x3000, 0x1000 }, { 0x1000, 0x2000 }, { 0x10000, 0x1000 } };
	const void *bufs[] = { b, a, c };
	struct xv_mem *mem;
	uint8_t out[0x40], want[0x40];

	(void)state;
	fill(a, 0x2000, 1);
	fill(b, 0x1000, 99);
	fill(c, 0x1000, 5);
	assert_int_equal(xv_mem_open_buffers(segs, bufs, 3, &mem), 0);
	assert_int_equal(xv_mem_nsegs(mem), 3);
	assert_int_equal(xv_mem_segs(mem)[0].start, 0x1000); /* sorted */
	assert_int_equal(xv_mem_size(mem), 0x4000);
	assert_null(xv_mem_vmcoreinfo(mem, NULL));
	assert_int_equal(xv_mem_arch(mem), XV_MEM_ARCH_UNKNOWN);

	/* A read spanning the adjacent segments a|b. */
	memcpy(want, a + 0x2000 - 0x20, 0x20);
	memcpy(want + 0x20, b, 0x20);
	assert_int_equal(xv_mem_read(mem, 0x2fe0, out, sizeof(out)), 0);
	assert_memory_equal(out, want, sizeof(out));
	/* The zero-copy view exists inside one segment only. */
	assert_ptr_equal(xv_mem_view(mem, 0x1010, 16), a + 0x10);
	assert_null(xv_mem_view(mem, 0x2fe0, 0x40));
	assert_null(xv_mem_view(mem, 0x5000, 1));

	/* A read running into the gap after b fails whole and names the first missing byte. */
	memset(out, 0x77, sizeof(out));
	assert_int_equal(xv_mem_read(mem, 0x3fe0, out, sizeof(out)), -EFAULT);
	assert_non_null(strstr(xv_errmsg(), "0x4000"));
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x77);
	assert_int_equal(xv_mem_read(mem, 0x0, out, 1), -EFAULT);
	assert_int_equal(xv_mem_read(mem, 0x10fff, out, 1), 0);
	assert_int_equal(out[0], c[0xfff]);
	assert_int_equal(xv_mem_read(mem, 0x10fff, out, 2), -EFAULT);
	assert_int_equal(xv_mem_read(mem, UINT64_MAX, out, 2), -EFAULT);
	assert_int_equal(xv_mem_read(mem, 0x999999, out, 0), 0);
	/* Files have nothing to pause or refresh. */
	assert_int_equal(xv_mem_pause(mem), 0);
	assert_int_equal(xv_mem_resume(mem), 0);
	assert_int_equal(xv_mem_refresh(mem), 0);
	xv_mem_close(mem);
}

static void test_buffers_overlap(void **state)
{
	static uint8_t big[0x3000];
	uint8_t other[0x1000];
	struct xv_mem_seg segs[] = { { 0x10000, sizeof(big) }, { 0x11000, 0x1000 } };
	const void *bufs[2];
	struct xv_mem *mem;

	(void)state;
	fill(big, sizeof(big), 3);
	/* Same bytes twice (a paging dump's aliases): accepted as one segment. */
	bufs[0] = big;
	bufs[1] = big + 0x1000;
	assert_int_equal(xv_mem_open_buffers(segs, bufs, 2, &mem), 0);
	assert_int_equal(xv_mem_nsegs(mem), 1);
	assert_int_equal(xv_mem_size(mem), sizeof(big));
	xv_mem_close(mem);
	/* An identical copy elsewhere (kdump's second kernel-image segment): accepted. */
	memcpy(other, big + 0x1000, sizeof(other));
	bufs[1] = other;
	assert_int_equal(xv_mem_open_buffers(segs, bufs, 2, &mem), 0);
	assert_int_equal(xv_mem_size(mem), sizeof(big));
	xv_mem_close(mem);
	/* Different bytes for the same address: refused. */
	other[100] ^= 0xff;
	assert_int_equal(xv_mem_open_buffers(segs, bufs, 2, &mem), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "overlap"));
	assert_null(mem);
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xvids-mem-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void expect_open_error(const char *spec, int err, const char *needle)
{
	struct xv_mem *mem = (struct xv_mem *)1;
	int rc = xv_mem_open(spec, NULL, &mem);

	if (rc != -err)
		fail_msg("%s: rc %d (%s), want %d", spec, rc, xv_errmsg(), -err);
	assert_null(mem);
	if (!strstr(xv_errmsg(), needle))
		fail_msg("%s: message '%s' lacks '%s'", spec, xv_errmsg(), needle);
}

static void test_ram_spec(void **state)
{
	static uint8_t data[0x3000];
	char path[128], spec[192], empty[128];
	struct xv_mem *mem;
	uint8_t out[16];

	(void)state;
	fill(data, sizeof(data), 42);
	snprintf(path, sizeof(path), "%s/ram@odd", tmpdir); /* '@' in the file name */
	write_file(path, data, sizeof(data));
	snprintf(empty, sizeof(empty), "%s/empty", tmpdir);
	write_file(empty, NULL, 0);

	snprintf(spec, sizeof(spec), "ram:%s@0x40000000", path);
	assert_int_equal(xv_mem_open(spec, NULL, &mem), 0);
	assert_int_equal(xv_mem_nsegs(mem), 1);
	assert_int_equal(xv_mem_segs(mem)[0].start, 0x40000000);
	assert_int_equal(xv_mem_segs(mem)[0].size, sizeof(data));
	assert_int_equal(xv_mem_read(mem, 0x40002ff0, out, 16), 0);
	assert_memory_equal(out, data + 0x2ff0, 16);
	assert_int_equal(xv_mem_read(mem, 0x3ffffff8, out, 16), -EFAULT);
	assert_non_null(strstr(xv_mem_describe(mem), "at 0x40000000"));
	xv_mem_close(mem);
	snprintf(spec, sizeof(spec), "ram:%s@1000", path); /* 0x optional */
	assert_int_equal(xv_mem_open(spec, NULL, &mem), 0);
	assert_int_equal(xv_mem_read(mem, 0x1000, out, 1), 0);
	assert_int_equal(out[0], data[0]);
	xv_mem_close(mem);

	snprintf(spec, sizeof(spec), "ram:%s", empty);
	expect_open_error(spec, EINVAL, "no base address");
	snprintf(spec, sizeof(spec), "ram:%s@0xzz", path);
	expect_open_error(spec, EINVAL, "not a hexadecimal address");
	snprintf(spec, sizeof(spec), "ram:%s@", path);
	expect_open_error(spec, EINVAL, "not a hexadecimal address");
	snprintf(spec, sizeof(spec), "ram:%s@0x", path);
	expect_open_error(spec, EINVAL, "not a hexadecimal");
	snprintf(spec, sizeof(spec), "ram:%s@0x10000000000000000", path);
	expect_open_error(spec, EINVAL, "not a hexadecimal");
	snprintf(spec, sizeof(spec), "ram:%s@0xfffffffffffff000", path);
	expect_open_error(spec, EINVAL, "past the end of the physical address space");
	expect_open_error("ram:@0x0", EINVAL, "no file path");
	snprintf(spec, sizeof(spec), "ram:%s/missing@0", tmpdir);
	expect_open_error(spec, ENOENT, "cannot open");
	snprintf(spec, sizeof(spec), "ram:%s@0", empty);
	expect_open_error(spec, EINVAL, "is empty");
	snprintf(spec, sizeof(spec), "ram:%s@0", tmpdir);
	expect_open_error(spec, EINVAL, "not a regular file");
	expect_open_error("disk:/x", EINVAL, "unknown memory source");
	expect_open_error("dump:", EINVAL, "needs a path");
}

/* Is the host page holding p mapped into this process (present in our page tables)? */
static int resident(const void *p)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t e = 0;
	FILE *f = fopen("/proc/self/pagemap", "rb");

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)((uintptr_t)p / (uintptr_t)pg * 8), SEEK_SET), 0);
	assert_int_equal(fread(&e, 8, 1, f), 1);
	fclose(f);
	return (int)(e >> 63);
}

/* Guest pages enter the resident set only when asked to: cold reads pread() the file, a scanned
 * window can be dropped again, and the mapping sits off the 2 MiB grid (no whole-folio maps). */
static void test_ram_resident(void **state)
{
	const size_t sz = 4u << 20;
	const uint64_t base = 0x40000000;
	uint8_t *data = malloc(sz), out[64];
	char path[128], spec[192];
	const uint8_t *v;
	struct xv_mem *mem;
	long pg = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_non_null(data);
	fill(data, sz, 9);
	snprintf(path, sizeof(path), "%s/ram", tmpdir);
	write_file(path, data, sz);
	snprintf(spec, sizeof(spec), "ram:%s@0x%llx", path, (unsigned long long)base);
	assert_int_equal(xv_mem_open(spec, NULL, &mem), 0);
	v = xv_mem_view(mem, base, sz);
	assert_non_null(v);
	assert_int_equal((uintptr_t)v % (2u << 20), (uintptr_t)pg);
	/* cold reads and a source's first ordinary reads: right bytes, nothing mapped */
	assert_int_equal(xv_mem_read_cold(mem, base + 0x100010, out, 64), 0);
	assert_memory_equal(out, data + 0x100010, 64);
	assert_int_equal(xv_mem_read(mem, base + 0x200ff0, out, 32), 0); /* across a page */
	assert_memory_equal(out, data + 0x200ff0, 32);
	assert_false(resident(v + 0x100010));
	assert_false(resident(v + 0x200ff0));
	assert_false(resident(v + 0x201000));
	/* a read-mostly reader gets the mapping after XV_MEM_COLD_READS reads */
	for (unsigned i = 0; i < XV_MEM_COLD_READS; i++)
		assert_int_equal(xv_mem_read(mem, base + 8 * (i % 512), out, 8), 0);
	assert_int_equal(xv_mem_read(mem, base + 0x300008, out, 8), 0);
	assert_memory_equal(out, data + 0x300008, 8);
	assert_true(resident(v + 0x300008));
	/* a trimmed window is given back; what lies outside it stays */
	assert_int_equal(v[0x100000], data[0x100000]);
	assert_true(resident(v + 0x100000));
	assert_int_equal(xv_mem_trim_range(mem, base + 0x0ff000, 0x3000), 0);
	assert_false(resident(v + 0x100000));
	assert_true(resident(v + 0x300008));
	assert_int_equal(v[0x100000], data[0x100000]); /* and faults back in */
	/* ranges partly or wholly outside guest RAM are no error */
	assert_int_equal(xv_mem_trim_range(mem, base - 0x1000, 0x2000), 0);
	assert_int_equal(xv_mem_trim_range(mem, base + sz, 0x1000), 0);
	assert_int_equal(xv_mem_trim_range(mem, 0, UINT64_MAX), 0);
	assert_false(resident(v + 0x300008));
	/* a cold read outside RAM fails like an ordinary one */
	assert_int_equal(xv_mem_read_cold(mem, base + sz - 8, out, 16), -EFAULT);
	xv_mem_close(mem);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffers_span_and_gaps),
		cmocka_unit_test(test_buffers_overlap),
		cmocka_unit_test_setup_teardown(test_ram_spec, make_tmpdir, rm_tmpdir),
		cmocka_unit_test_setup_teardown(test_ram_resident, make_tmpdir, rm_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
