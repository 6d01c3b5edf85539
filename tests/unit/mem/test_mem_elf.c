/* test_mem_elf.c — dump:PATH over ELF cores written by the test: QEMU-style layouts with and
 * without VMCOREINFO, paging aliases, PN_XNUM, and every kind of broken or lying file. */
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

#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/mem.h"

#define EM_X86 62
#define EM_ARM64 183

struct lseg {
	uint64_t paddr, vaddr, size;
	uint64_t memsz;   /* 0 = size */
	int alias_of;     /* -1, or index of an earlier segment whose file bytes this one reuses */
	uint64_t alias_off;
};

struct core {
	uint8_t *buf;
	size_t len;
	size_t phoff;     /* program headers; PT_NOTE first when there is a note */
	size_t data_off[16];
};

static const char vmci[] = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffffffff82a0a000\n";

static uint8_t pattern(uint64_t pa)
{
	return (uint8_t)((pa >> 12) * 31 + pa * 7 + 1);
}

static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t dsz)
{
	uint32_t nsz = (uint32_t)strlen(name) + 1;
	size_t off = 12;

	xv_put_le32(p, nsz);
	xv_put_le32(p + 4, dsz);
	xv_put_le32(p + 8, type);
	memcpy(p + off, name, nsz);
	off += (nsz + 3) & ~3u;
	if (dsz)
		memcpy(p + off, desc, dsz);
	off += (dsz + 3) & ~3u;
	return off;
}

/* Build a core: notes (a CORE note, then VMCOREINFO if with_vmci), then the segments' bytes. */
static struct core build(uint16_t machine, const struct lseg *s, size_t n, int with_vmci, int xnum)
{
	size_t nph = n + 1, data = 0, note_len, off;
	uint8_t notes[1024] = { 0 }, prstatus[336] = { 0 };
	struct core c = { 0 };

	note_len = put_note(notes, "CORE", 1, prstatus, sizeof(prstatus));
	if (with_vmci)
		note_len += put_note(notes + note_len, "VMCOREINFO", 0, vmci, sizeof(vmci) - 1);
	for (size_t i = 0; i < n; i++)
		if (s[i].alias_of < 0)
			data += s[i].size;
	c.phoff = 64;
	off = c.phoff + nph * 56 + (xnum ? 64 : 0);
	c.len = off + note_len + data;
	c.buf = calloc(1, c.len);
	memcpy(c.buf, "\177ELF", 4);
	c.buf[4] = 2;
	c.buf[5] = 1;
	c.buf[6] = 1;
	xv_put_le16(c.buf + 0x10, 4);
	xv_put_le16(c.buf + 0x12, machine);
	xv_put_le32(c.buf + 0x14, 1);
	xv_put_le64(c.buf + 0x20, c.phoff);
	xv_put_le16(c.buf + 0x34, 64);
	xv_put_le16(c.buf + 0x36, 56);
	xv_put_le16(c.buf + 0x38, (uint16_t)(xnum ? 0xffff : nph));
	if (xnum) {
		size_t sh = c.phoff + nph * 56;

		xv_put_le64(c.buf + 0x28, sh);
		xv_put_le16(c.buf + 0x3a, 64);
		xv_put_le16(c.buf + 0x3c, 1);
		xv_put_le32(c.buf + sh + 0x2c, (uint32_t)nph);
	}
	/* PT_NOTE */
	xv_put_le32(c.buf + c.phoff, 4);
	xv_put_le64(c.buf + c.phoff + 8, off);
	xv_put_le64(c.buf + c.phoff + 0x20, note_len);
	xv_put_le64(c.buf + c.phoff + 0x28, note_len);
	memcpy(c.buf + off, notes, note_len);
	off += note_len;
	for (size_t i = 0; i < n; i++) {
		uint8_t *ph = c.buf + c.phoff + (i + 1) * 56;
		size_t doff;

		if (s[i].alias_of < 0) {
			doff = off;
			for (uint64_t k = 0; k < s[i].size; k++)
				c.buf[off + k] = pattern(s[i].paddr + k);
			off += s[i].size;
		} else {
			doff = c.data_off[s[i].alias_of] + s[i].alias_off;
		}
		c.data_off[i] = doff;
		xv_put_le32(ph, 1);
		xv_put_le32(ph + 4, 7);
		xv_put_le64(ph + 8, doff);
		xv_put_le64(ph + 0x10, s[i].vaddr);
		xv_put_le64(ph + 0x18, s[i].paddr);
		xv_put_le64(ph + 0x20, s[i].size);
		xv_put_le64(ph + 0x28, s[i].memsz ? s[i].memsz : s[i].size);
	}
	return c;
}

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xvids-elf-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int open_bytes(const void *buf, size_t len, struct xv_mem **mem)
{
	char path[128], spec[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/core", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	snprintf(spec, sizeof(spec), "dump:%s", path);
	return xv_mem_open(spec, NULL, mem);
}

static void expect_bad(const void *buf, size_t len, const char *needle)
{
	struct xv_mem *mem = NULL;
	int rc = open_bytes(buf, len, &mem);

	if (rc != -EINVAL)
		fail_msg("rc %d (%s) for '%s'", rc, xv_errmsg(), needle);
	assert_null(mem);
	if (needle && !strstr(xv_errmsg(), needle))
		fail_msg("message '%s' lacks '%s'", xv_errmsg(), needle);
}

static void check_bytes(struct xv_mem *mem, uint64_t pa, size_t n)
{
	uint8_t out[256];

	assert_true(n <= sizeof(out));
	if (xv_mem_read(mem, pa, out, n) != 0)
		fail_msg("read 0x%llx: %s", (unsigned long long)pa, xv_errmsg());
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], pattern(pa + i));
}

/* x86 pc, paging=false: RAM below 640K, above 1M, above 4G; VMCOREINFO present. */
static const struct lseg x86_segs[] = {
	{ 0x0, 0x0, 0xa000, 0, -1, 0 },
	{ 0x100000, 0x100000, 0x3000, 0, -1, 0 },
	{ 0x100000000ull, 0x100000000ull, 0x2000, 0, -1, 0 },
};

static void test_x86_dump_with_vmcoreinfo(void **state)
{
	struct core c = build(EM_X86, x86_segs, 3, 1, 0);
	struct xv_mem *mem;
	const char *text;
	size_t tl;
	uint8_t b;

	(void)state;
	assert_int_equal(open_bytes(c.buf, c.len, &mem), 0);
	assert_int_equal(xv_mem_arch(mem), XV_MEM_ARCH_X86_64);
	assert_int_equal(xv_mem_nsegs(mem), 3);
	assert_int_equal(xv_mem_segs(mem)[2].start, 0x100000000ull);
	assert_int_equal(xv_mem_size(mem), 0xa000 + 0x3000 + 0x2000);
	text = xv_mem_vmcoreinfo(mem, &tl);
	assert_non_null(text);
	assert_int_equal(tl, strlen(vmci));
	assert_memory_equal(text, vmci, tl);
	check_bytes(mem, 0x0, 64);
	check_bytes(mem, 0x102ff0, 16);
	check_bytes(mem, 0x100001f00, 256);
	assert_int_equal(xv_mem_read(mem, 0xa000, &b, 1), -EFAULT);
	assert_non_null(strstr(xv_errmsg(), "0xa000"));
	assert_int_equal(xv_mem_read(mem, 0x102fff, &b, 2), -EFAULT);
	assert_non_null(strstr(xv_mem_describe(mem), "3 segments"));
	assert_non_null(strstr(xv_mem_describe(mem), "VMCOREINFO"));
	/* A view points into the mapped file. */
	assert_non_null(xv_mem_view(mem, 0x100000, 0x3000));
	assert_int_equal(*(const uint8_t *)xv_mem_view(mem, 0x100010, 1), pattern(0x100010));
	xv_mem_close(mem);
	free(c.buf);
}

/* aarch64 virt, paging=true style: several PT_LOADs alias the same physical bytes (linear map
 * and kernel image), plus a device mapping with p_filesz 0; program headers via PN_XNUM. */
static void test_arm64_paging_aliases_xnum(void **state)
{
	const struct lseg s[] = {
		{ 0x40000000, 0xffff000000000000ull, 0x4000, 0, -1, 0 },
		{ 0x40001000, 0xffff800008000000ull, 0x2000, 0, 0, 0x1000 },
		{ 0x40003000, 0xffff800008010000ull, 0x1000, 0, 0, 0x3000 },
		{ 0x09000000, 0xfffffbfffe000000ull, 0, 0x1000, -1, 0 },
	};
	struct core c = build(EM_ARM64, s, 4, 0, 1);
	struct xv_mem *mem;

	(void)state;
	assert_int_equal(open_bytes(c.buf, c.len, &mem), 0);
	assert_int_equal(xv_mem_arch(mem), XV_MEM_ARCH_AARCH64);
	assert_null(xv_mem_vmcoreinfo(mem, NULL));
	/* Physical view: one segment, the device mapping is not RAM. */
	assert_int_equal(xv_mem_nsegs(mem), 1);
	assert_int_equal(xv_mem_segs(mem)[0].start, 0x40000000);
	assert_int_equal(xv_mem_segs(mem)[0].size, 0x4000);
	check_bytes(mem, 0x40001ff8, 16);
	assert_int_equal(xv_mem_read(mem, 0x09000000, c.buf, 1), -EFAULT);
	xv_mem_close(mem);
	free(c.buf);
}

/* kdump vmcore style: the kernel image has its own PT_LOAD (virtual address in the kernel map)
 * repeating RAM bytes at another file offset. Same bytes: accepted and merged. */
static void test_kdump_kernel_copy(void **state)
{
	const struct lseg s[] = {
		{ 0x1000000, 0xffffffff81000000ull, 0x2000, 0, -1, 0 },
		{ 0x0, 0xffff888000000000ull, 0x4000000 / 0x1000, 0, -1, 0 },
		{ 0x100000, 0xffff888000100000ull, 0x1000000, 0, -1, 0 },
	};
	struct core c = build(EM_X86, s, 3, 1, 0);
	struct xv_mem *mem;

	(void)state;
	assert_int_equal(open_bytes(c.buf, c.len, &mem), 0);
	assert_int_equal(xv_mem_nsegs(mem), 2);
	assert_int_equal(xv_mem_segs(mem)[1].start, 0x100000);
	assert_int_equal(xv_mem_segs(mem)[1].size, 0x1000000);
	check_bytes(mem, 0x1001ff0, 32);
	xv_mem_close(mem);
	/* One flipped byte in the copy: the two views of the kernel disagree, refuse. */
	c.buf[c.data_off[0] + 0x1234] ^= 1;
	expect_bad(c.buf, c.len, "overlap with different contents");
	free(c.buf);
}

static void test_truncated_everywhere(void **state)
{
	struct core c = build(EM_X86, x86_segs, 3, 1, 0);
	size_t head = c.phoff + 4 * 56 + 600;

	(void)state;
	/* Every cut through the headers and notes, then every 256 bytes through the data. */
	for (size_t len = 0; len < c.len; len += len < head ? 1 : 256) {
		struct xv_mem *mem = (struct xv_mem *)1;
		int rc = open_bytes(c.buf, len, &mem);

		if (rc != -EINVAL)
			fail_msg("truncated to %zu: rc %d (%s)", len, rc, xv_errmsg());
		assert_null(mem);
	}
	expect_bad(c.buf, c.len - 1, "runs past the end of the file");
	expect_bad(c.buf, 40, "truncated");
	free(c.buf);
}

static void test_lying_headers(void **state)
{
	struct core c = build(EM_X86, x86_segs, 3, 1, 0);
	uint8_t *b = malloc(c.len);
	uint8_t *ph1 = b + c.phoff + 56; /* first PT_LOAD */

	(void)state;
#define RESET() memcpy(b, c.buf, c.len)
	RESET();
	xv_put_le64(b + 0x20, c.len - 10);
	expect_bad(b, c.len, "program headers at offset");
	RESET();
	xv_put_le64(b + 0x20, UINT64_MAX - 8);
	expect_bad(b, c.len, "program headers at offset");
	RESET();
	xv_put_le16(b + 0x38, 60000);
	expect_bad(b, c.len, "run past the end");
	RESET();
	xv_put_le16(b + 0x38, 0);
	expect_bad(b, c.len, "no program headers");
	RESET();
	xv_put_le16(b + 0x36, 32);
	expect_bad(b, c.len, "program header size");
	RESET();
	xv_put_le16(b + 0x38, 0xffff); /* PN_XNUM without a section header */
	expect_bad(b, c.len, "PN_XNUM");
	RESET();
	xv_put_le64(ph1 + 8, c.len);
	expect_bad(b, c.len, "runs past the end of the file");
	RESET();
	xv_put_le64(ph1 + 8, UINT64_MAX - 0x100);
	expect_bad(b, c.len, "runs past the end of the file");
	RESET();
	xv_put_le64(ph1 + 0x20, UINT64_MAX);
	xv_put_le64(ph1 + 0x28, UINT64_MAX);
	expect_bad(b, c.len, "runs past the end of the file");
	RESET();
	xv_put_le64(ph1 + 0x28, 0x10);
	expect_bad(b, c.len, "larger than p_memsz");
	RESET();
	xv_put_le64(ph1 + 0x18, UINT64_MAX - 0x1000);
	expect_bad(b, c.len, "wraps");
	/* Second segment moved onto the first with different bytes. */
	RESET();
	xv_put_le64(ph1 + 56 + 0x18, 0x8000);
	expect_bad(b, c.len, "overlap");
	/* A note claiming more bytes than its segment holds. */
	RESET();
	xv_put_le32(b + xv_le64(b + c.phoff + 8) + 4, 0x7fffffff);
	expect_bad(b, c.len, "note 1");
	RESET();
	xv_put_le64(b + c.phoff + 0x20, c.len);
	expect_bad(b, c.len, "note segment");
	/* Identity checks. */
	RESET();
	b[4] = 1;
	expect_bad(b, c.len, "32-bit");
	RESET();
	b[5] = 2;
	expect_bad(b, c.len, "big-endian");
	RESET();
	xv_put_le16(b + 0x12, 40);
	expect_bad(b, c.len, "machine 40");
	RESET();
	xv_put_le16(b + 0x10, 2);
	expect_bad(b, c.len, "not a core dump");
	RESET();
	b[0] = 'X';
	expect_bad(b, c.len, "bad magic");
	RESET();
	memcpy(b, "KDUMP   ", 8);
	expect_bad(b, c.len, "compressed kdump");
	RESET();
	memcpy(b, "makedumpfile", 12);
	expect_bad(b, c.len, "flattened");
	/* No PT_LOAD at all. */
	RESET();
	for (int i = 1; i <= 3; i++)
		xv_put_le32(b + c.phoff + i * 56, 6);
	expect_bad(b, c.len, "no PT_LOAD");
#undef RESET
	free(b);
	free(c.buf);
}

/* Random byte damage to headers and notes: every result is a clean error or a usable source
 * whose every segment reads back (ASan/UBSan builds check the rest). */
static void test_random_damage(void **state)
{
	struct core c = build(EM_X86, x86_segs, 3, 1, 0);
	uint8_t *b = malloc(c.len), chunk[4096];
	size_t head = c.phoff + 4 * 56 + 600;
	unsigned seed = 12345, opened = 0, refused = 0;

	(void)state;
	for (int round = 0; round < 600; round++) {
		struct xv_mem *mem = NULL;
		int rc;

		memcpy(b, c.buf, c.len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			b[(seed >> 8) % head] = (uint8_t)(seed >> 3);
		}
		rc = open_bytes(b, c.len, &mem);
		if (rc < 0) {
			assert_true(rc == -EINVAL || rc == -E2BIG);
			assert_true(strlen(xv_errmsg()) > 10);
			refused++;
			continue;
		}
		opened++;
		for (size_t i = 0; i < xv_mem_nsegs(mem); i++) {
			const struct xv_mem_seg *sg = &xv_mem_segs(mem)[i];

			for (uint64_t off = 0; off < sg->size; off += sizeof(chunk)) {
				size_t n = sg->size - off < sizeof(chunk) ? (size_t)(sg->size - off) : sizeof(chunk);

				assert_int_equal(xv_mem_read(mem, sg->start + off, chunk, n), 0);
			}
		}
		xv_mem_vmcoreinfo(mem, NULL);
		xv_mem_close(mem);
	}
	/* Both outcomes must have happened, or the damage missed the interesting bytes. */
	assert_true(opened > 0);
	assert_true(refused > 0);
	free(b);
	free(c.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_dump_with_vmcoreinfo),
		cmocka_unit_test(test_arm64_paging_aliases_xnum),
		cmocka_unit_test(test_kdump_kernel_copy),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_lying_headers),
		cmocka_unit_test(test_random_damage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
