/* test_vmcoreinfo.c — VMCOREINFO parsing and finding it in (fake) guest RAM among decoys and stale copies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "ktest.h"
#include "util/bytes.h"
#include "xvids/err.h"

/* Written after crash_save_vmcoreinfo_init() + arch_crash_save_vmcoreinfo() of Linux 6.1. */
static const char x86_text[] =
	"OSRELEASE=6.1.0-13-amd64\n"
	"BUILD-ID=6f1c3bd4b2d8a3c1e0e8c3f4a0b1c2d3e4f50617\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffff9b213440\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(node_online_map)=ffffffff9b2ea3a8\n"
	"SYMBOL(swapper_pg_dir)=ffffffff9b00a000\n"
	"SYMBOL(_stext)=ffffffff99a00000\n"
	"SYMBOL(vmap_area_list)=ffffffff9b2b9b30\n"
	"SYMBOL(mem_section)=ffff8880bffd2000\n"
	"LENGTH(mem_section)=2048\n"
	"SIZE(mem_section)=16\n"
	"OFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=27\n"
	"NUMBER(MAX_PHYSMEM_BITS)=52\n"
	"SIZE(page)=64\n"
	"SIZE(list_head)=16\n"
	"OFFSET(page.flags)=0\n"
	"OFFSET(list_head.next)=0\n"
	"OFFSET(list_head.prev)=8\n"
	"LENGTH(zone.free_area)=11\n"
	"SYMBOL(prb)=ffffffff9b0b6a48\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"SYMBOL(kallsyms_names)=ffffffff9a8a5d08\n"
	"SYMBOL(kallsyms_num_syms)=ffffffff9a8a5d00\n"
	"SYMBOL(kallsyms_token_table)=ffffffff9aa5e5b8\n"
	"SYMBOL(kallsyms_token_index)=ffffffff9aa5e948\n"
	"SYMBOL(kallsyms_offsets)=ffffffff9a82ac40\n"
	"SYMBOL(kallsyms_relative_base)=ffffffff9a8a5cf8\n"
	"NUMBER(phys_base)=-1658847232\n"
	"SYMBOL(init_top_pgt)=ffffffff9b00a000\n"
	"NUMBER(pgtable_l5_enabled)=1\n"
	"SYMBOL(node_data)=ffffffff9b2e6ec0\n"
	"LENGTH(node_data)=1024\n"
	"KERNELOFFSET=18a00000\n"
	"NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
	"NUMBER(sme_mask)=0\n";

static const char arm64_text[] =
	"OSRELEASE=6.1.0-13-cloud-arm64\n"
	"BUILD-ID=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffc6e07b5f9470\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(swapper_pg_dir)=ffffc6e07b0c5000\n"
	"SYMBOL(_stext)=ffffc6e079c10000\n"
	"SYMBOL(mem_section)=ffff2c717fdf8e00\n"
	"OFFSET(list_head.next)=0\n"
	"OFFSET(list_head.prev)=8\n"
	"SYMBOL(kallsyms_names)=ffffc6e07ac0e6b0\n"
	"SYMBOL(kallsyms_num_syms)=ffffc6e07ac0e6a8\n"
	"SYMBOL(kallsyms_token_table)=ffffc6e07ad4b4c8\n"
	"SYMBOL(kallsyms_token_index)=ffffc6e07ad4b870\n"
	"SYMBOL(kallsyms_offsets)=ffffc6e07abb5b48\n"
	"SYMBOL(kallsyms_relative_base)=ffffc6e07ac0e6a0\n"
	"NUMBER(VA_BITS)=48\n"
	"NUMBER(kimage_voffset)=0xffffc6df39c00000\n"
	"NUMBER(PHYS_OFFSET)=0x40000000\n"
	"NUMBER(TCR_EL1_T1SZ)=0x10\n"
	"KERNELOFFSET=46e069c00000\n"
	"NUMBER(KERNELPACMASK)=0x0\n"
	"NUMBER(MODULES_VADDR)=0xffff800000000000\n";

static struct xv_vmci *parse_str(const char *s)
{
	return xv_vmci_parse(s, strlen(s));
}

static void test_parse_x86(void **state)
{
	struct xv_vmci *v = parse_str(x86_text);
	uint64_t u;
	int64_t s;

	(void)state;
	assert_non_null(v);
	assert_string_equal(xv_vmci_get(v, "OSRELEASE"), "6.1.0-13-amd64");
	assert_int_equal(xv_vmci_check(v), 0);
	assert_int_equal(xv_vmci_symbol(v, "init_top_pgt", &u), 0);
	assert_true(u == 0xffffffff9b00a000ull);
	assert_int_equal(xv_vmci_u64(v, "KERNELOFFSET", &u), 0); /* hex without 0x */
	assert_true(u == 0x18a00000ull);
	assert_int_equal(xv_vmci_number(v, "phys_base", &s), 0);
	assert_true(s == -1658847232ll);
	/* the two's complement makes phys_base usable in u64 arithmetic */
	assert_int_equal(xv_vmci_u64(v, "NUMBER(phys_base)", &u), 0);
	assert_true(0x100000000ull + u == 0x100000000ull - 1658847232ull);
	assert_int_equal(xv_vmci_number(v, "PAGE_BUDDY_MAPCOUNT_VALUE", &s), 0);
	assert_true(s == -129);
	assert_int_equal(xv_vmci_offset(v, "list_head", "prev", &u), 0);
	assert_true(u == 8);
	assert_int_equal(xv_vmci_size(v, "page", &u), 0);
	assert_true(u == 64);
	assert_int_equal(xv_vmci_u64(v, "LENGTH(zone.free_area)", &u), 0);
	assert_true(u == 11);
	assert_int_equal(xv_vmci_number(v, "pgtable_l5_enabled", &s), 0);
	assert_true(s == 1);
	/* BUILD-ID is a 160-bit hex string, not a number */
	assert_true(xv_vmci_u64(v, "BUILD-ID", &u) < 0);
	assert_int_equal(xv_vmci_symbol(v, "no_such_symbol", &u), -ENOENT);
	assert_non_null(strstr(xv_errmsg(), "SYMBOL(no_such_symbol)"));
	assert_int_equal(xv_vmci_count(v), 38);
	assert_int_equal(xv_vmci_garbage(v), 0);
	xv_vmci_free(v);
}

static void test_parse_arm64(void **state)
{
	struct xv_vmci *v = parse_str(arm64_text);
	uint64_t u;
	int64_t s;

	(void)state;
	assert_non_null(v);
	assert_int_equal(xv_vmci_check(v), 0);
	assert_int_equal(xv_vmci_u64(v, "NUMBER(kimage_voffset)", &u), 0);
	assert_true(u == 0xffffc6df39c00000ull);
	assert_int_equal(xv_vmci_number(v, "TCR_EL1_T1SZ", &s), 0); /* printed as 0x%llx */
	assert_true(64 - s == 48);
	assert_int_equal(xv_vmci_number(v, "VA_BITS", &s), 0);
	assert_true(s == 48);
	assert_int_equal(xv_vmci_u64(v, "KERNELOFFSET", &u), 0);
	assert_true(u == 0x46e069c00000ull);
	assert_int_equal(xv_vmci_symbol(v, "_stext", &u), 0);
	assert_true(u == 0xffffc6e079c10000ull);
	/* arm64 has swapper_pg_dir but no init_top_pgt; still complete */
	assert_int_equal(xv_vmci_symbol(v, "init_top_pgt", &u), -ENOENT);
	xv_vmci_free(v);
}

static void test_parse_garbage_and_limits(void **state)
{
	size_t big = XV_VMCI_MAX_LINE + 100;
	char *buf = malloc(big + 1024);
	struct xv_vmci *v;
	uint64_t u;
	size_t n = 0;

	(void)state;
	n += (size_t)sprintf(buf + n, "OSRELEASE=6.1.0\nno equals sign here\n=novalue\n");
	n += (size_t)sprintf(buf + n, "SYMBOL(bin\x01ary)=1234\nKEY WITH SPACE=1\n");
	buf[n++] = 'X';
	buf[n++] = '=';
	memset(buf + n, 'a', big); /* a huge line */
	n += big;
	buf[n++] = '\n';
	n += (size_t)sprintf(buf + n, "CRASHTIME=100\nCRASHTIME=200\nPAGESIZE=4096\n");
	n += (size_t)sprintf(buf + n, "SYMBOL(swapper_pg_dir)=1ffffffffffffffff\n");
	n += (size_t)sprintf(buf + n, "SYMBOL(ok)=ffff0000\nNUMBER(bad)=12abc\nNUMBER(neg)=-0x10\n");
	v = xv_vmci_parse(buf, n);
	assert_non_null(v);
	assert_int_equal(xv_vmci_garbage(v), 5); /* no '=', empty key, binary, space, huge */
	assert_null(xv_vmci_get(v, "X"));
	/* duplicates: the last one wins (the kernel appends CRASHTIME again on every crash) */
	assert_int_equal(xv_vmci_u64(v, "CRASHTIME", &u), 0);
	assert_true(u == 200);
	assert_int_equal(xv_vmci_symbol(v, "swapper_pg_dir", &u), -ERANGE);
	assert_int_equal(xv_vmci_symbol(v, "ok", &u), 0);
	assert_true(u == 0xffff0000ull);
	assert_int_equal(xv_vmci_u64(v, "NUMBER(bad)", &u), -EINVAL);
	assert_int_equal(xv_vmci_u64(v, "NUMBER(neg)", &u), 0);
	assert_true(u == (uint64_t)-16);
	/* swapper_pg_dir is present but unusable, and init_top_pgt is absent */
	assert_true(xv_vmci_check(v) < 0);
	assert_non_null(strstr(xv_errmsg(), "swapper_pg_dir"));
	xv_vmci_free(v);

	/* text is cut at the first NUL */
	v = xv_vmci_parse("OSRELEASE=6.1\n\0PAGESIZE=4096\n", 29);
	assert_non_null(v);
	assert_null(xv_vmci_get(v, "PAGESIZE"));
	xv_vmci_free(v);

	/* nothing usable, or too big */
	assert_null(xv_vmci_parse("just words\n\x7f\x80\n", 15));
	assert_int_equal(errno, EINVAL);
	free(buf);
	buf = calloc(1, XV_VMCI_MAX_TEXT + 10);
	memset(buf, 'A', XV_VMCI_MAX_TEXT + 9);
	assert_null(xv_vmci_parse(buf, XV_VMCI_MAX_TEXT + 9));
	assert_int_equal(errno, E2BIG);
	free(buf);
}

static void test_check_missing(void **state)
{
	struct xv_vmci *v = parse_str("OSRELEASE=6.1.0\nSYMBOL(swapper_pg_dir)=ffff0000\n");

	(void)state;
	assert_non_null(v);
	assert_true(xv_vmci_check(v) < 0);
	assert_non_null(strstr(xv_errmsg(), "PAGESIZE"));
	xv_vmci_free(v);
	v = parse_str("OSRELEASE=%s\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffff0000\n");
	assert_true(xv_vmci_check(v) < 0);
	assert_non_null(strstr(xv_errmsg(), "not a kernel release"));
	xv_vmci_free(v);
	v = parse_str("OSRELEASE=6.1.0\nPAGESIZE=4095\nSYMBOL(swapper_pg_dir)=ffff0000\n");
	assert_true(xv_vmci_check(v) < 0);
	xv_vmci_free(v);
}

/* Random mutations of a real text: parsing never crashes and never invents keys. */
static void test_fuzz_parse(void **state)
{
	unsigned seed = 99;
	size_t n = strlen(x86_text);
	char *buf = malloc(n);

	(void)state;
	for (int round = 0; round < 5000; round++) {
		struct xv_vmci *v;

		memcpy(buf, x86_text, n);
		for (int k = 0; k < 8; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % n] = (char)(seed >> 20);
		}
		v = xv_vmci_parse(buf, n);
		if (v) {
			uint64_t u;
			assert_true(xv_vmci_count(v) + xv_vmci_garbage(v) <= 38 + 8);
			(void)xv_vmci_u64(v, "KERNELOFFSET", &u);
			(void)xv_vmci_check(v);
			xv_vmci_free(v);
		}
	}
	free(buf);
}

/* Put an ELF note "VMCOREINFO" with text at off; returns the pa of the text. */
static uint64_t put_note(struct fake_ram *r, size_t seg, size_t off, const char *text)
{
	uint8_t *p = r->bufs[seg] + off;
	size_t n = strlen(text);

	xv_put_le32(p, 11);
	xv_put_le32(p + 4, (uint32_t)n);
	xv_put_le32(p + 8, 0);
	memcpy(p + 12, "VMCOREINFO\0", 12);
	memcpy(p + 24, text, n);
	return r->segs[seg].start + off + 24;
}

struct judge_arg {
	uint64_t want_koff;
	unsigned calls;
};

static int judge_koff(void *arg, const struct xv_vmci *v, uint64_t pa)
{
	struct judge_arg *j = arg;
	uint64_t k;

	(void)pa;
	j->calls++;
	if (xv_vmci_u64(v, "KERNELOFFSET", &k) < 0 || k != j->want_koff)
		return -1;
	return 0;
}

static void build_ram(struct fake_ram *r, uint64_t *note_pa, uint64_t *stale_pa)
{
	const char *decoy = "\0OSRELEASE=%s\n\0PAGESIZE=%ld\n\0";
	char *stale = strdup(arm64_text), *cut;
	uint8_t *s0, *s1;

	/* arm64 virt: RAM at 0x40000000; two segments to check segment handling */
	s0 = fake_ram_add(r, 0x40000000, 6u << 20);
	s1 = fake_ram_add(r, 0x80000000, 2u << 20);
	/* rodata format strings come first in RAM */
	memcpy(s0 + 0x1000, decoy, 30);
	memcpy(s0 + 0x2000, "OSRELEASE=", 10); /* and a bare needle at nothing */
	/* a stale truncated copy: cut after 9 lines, the rest of the page is junk */
	cut = stale;
	for (int i = 0; i < 9; i++)
		cut = strchr(cut, '\n') + 1;
	*cut = '\0';
	memcpy(s0 + 0x3008, stale, strlen(stale));
	s0[0x3008 + strlen(stale)] = 0xff;
	*stale_pa = 0x40003008;
	/* vmcoreinfo_data: a page-aligned copy */
	memcpy(s0 + 0x100000, arm64_text, strlen(arm64_text));
	/* vmcoreinfo_note in the second segment */
	*note_pa = put_note(r, 1, 0x7000, arm64_text);
	(void)s1;
	free(stale);
}

static void test_find_in_ram(void **state)
{
	struct fake_ram r = {0};
	struct xv_phys_src src;
	struct xv_vmci_scan sc;
	uint64_t note_pa, stale_pa, pa = 0;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	build_ram(&r, &note_pa, &stale_pa);
	for (int view = 1; view >= 0; view--) {
		src = fake_ram_src(&r, view);
		assert_int_equal(xv_vmci_scan_all(&src, &sc), 0);
		assert_int_equal(sc.ncands, 2); /* full text (2 copies merged) + stale cut copy */
		assert_true(sc.decoys >= 2);
		assert_int_equal(sc.distinct_complete, 1);
		assert_true(sc.cands[0].complete);
		assert_true(sc.cands[0].pa == note_pa); /* the note wins over the page copy */
		assert_int_equal(sc.cands[0].where, XV_VMCI_IN_NOTE);
		assert_int_equal(sc.cands[0].copies, 1);
		assert_int_equal(sc.cands[0].len, strlen(arm64_text));
		assert_false(sc.cands[1].complete);
		assert_true(sc.cands[1].pa == stale_pa);
		assert_int_equal(sc.cands[1].nkeys, 9);
		xv_vmci_scan_free(&sc);

		assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, &len, &pa), 0);
		assert_true(pa == note_pa);
		assert_string_equal(text, arm64_text);
		free(text);

		/* the page probe sees only the kernel's own placements (page offsets 0 and 24) */
		assert_int_equal(xv_vmci_scan_pages(&src, &sc), 0);
		assert_int_equal(sc.ncands, 1);
		assert_true(sc.cands[0].pa == note_pa);
		assert_int_equal(sc.cands[0].copies, 1);
		assert_int_equal(sc.decoys, 1); /* the bare needle at 0x40002000 */
		xv_vmci_scan_free(&sc);
	}
	fake_ram_free(&r);
}

static void test_find_stale_boot(void **state)
{
	struct fake_ram r = {0};
	struct xv_phys_src src;
	struct judge_arg j = {.want_koff = 0x46e069c00000ull};
	char *old = strdup(arm64_text), *p, *text = NULL;
	uint64_t note_pa, stale_pa, pa = 0;
	struct xv_vmci_scan sc;

	(void)state;
	build_ram(&r, &note_pa, &stale_pa);
	/* a complete copy left by the previous boot, other KASLR offset, lower address */
	p = strstr(old, "KERNELOFFSET=");
	memcpy(p + 13, "3a1", 3);
	memcpy(r.bufs[0] + 0x20000, old, strlen(old));
	src = fake_ram_src(&r, 1);
	assert_int_equal(xv_vmci_scan_all(&src, &sc), 0);
	assert_int_equal(sc.distinct_complete, 2);
	xv_vmci_scan_free(&sc);
	/* the ranking alone prefers the in-note copy; the judge makes the choice explicit */
	assert_int_equal(xv_vmci_find(&src, judge_koff, &j, &text, NULL, &pa), 0);
	assert_true(pa == note_pa);
	free(text);
	/* a judge that rejects the current boot's copy gets the stale one, never an incomplete */
	j.want_koff = 0x3a1069c00000ull;
	assert_int_equal(xv_vmci_find(&src, judge_koff, &j, &text, NULL, &pa), 0);
	assert_true(pa == 0x40020000);
	free(text);
	j.want_koff = 1;
	j.calls = 0;
	assert_int_equal(xv_vmci_find(&src, judge_koff, &j, &text, NULL, &pa), -ENOENT);
	assert_true(j.calls >= 2); /* both complete texts were offered */
	assert_non_null(strstr(xv_errmsg(), "rejected"));
	free(old);
	fake_ram_free(&r);
}

static void test_find_straddling_chunks(void **state)
{
	struct fake_ram r = {0};
	struct xv_phys_src src;
	uint64_t pa = 0;
	char *text = NULL;
	uint8_t *s;

	(void)state;
	s = fake_ram_add(&r, 0, 12u << 20);
	/* the needle crosses the 4 MiB read-chunk boundary when no view is available */
	memcpy(s + (4u << 20) - 5, x86_text, strlen(x86_text));
	src = fake_ram_src(&r, 0);
	assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, NULL, &pa), 0);
	assert_true(pa == (4u << 20) - 5);
	assert_string_equal(text, x86_text);
	free(text);
	/* a text running into the end of the segment is cut to complete lines, not overread */
	memset(s, 0, 12u << 20);
	memcpy(s + (12u << 20) - 100, x86_text, 100);
	for (int view = 0; view < 2; view++) {
		struct xv_vmci_scan sc;
		src = fake_ram_src(&r, view);
		assert_int_equal(xv_vmci_scan_all(&src, &sc), 0);
		assert_int_equal(sc.ncands, 1);
		assert_false(sc.cands[0].complete);
		assert_int_equal(sc.cands[0].text[sc.cands[0].len - 1], '\n');
		xv_vmci_scan_free(&sc);
		assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, NULL, &pa), -ENOENT);
	}
	fake_ram_free(&r);
}

static void test_find_none(void **state)
{
	struct fake_ram r = {0};
	struct xv_phys_src src;
	char *text = NULL;
	uint8_t *s = fake_ram_add(&r, 0x40000000, 1u << 20);

	(void)state;
	memcpy(s + 100, "OSRELEASE=%s\n", 13);
	src = fake_ram_src(&r, 1);
	assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, NULL, NULL), -ENOENT);
	assert_non_null(strstr(xv_errmsg(), "1 \"OSRELEASE=\" decoys"));
	assert_null(text);
	fake_ram_free(&r);
}

/* 256 MiB of guest RAM (mostly zero, some text-like noise): the scan must stay fast. */
static void test_find_speed(void **state)
{
	struct fake_ram r = {0};
	struct xv_phys_src src;
	struct timespec a, b;
	uint64_t pa = 0;
	char *text = NULL;
	size_t sz = 256u << 20;
	uint8_t *s = fake_ram_add(&r, 0, sz);
	double ms;

	(void)state;
	for (size_t i = 0; i < sz; i += 4096) /* noise: '=' and 'O' in every page */
		memcpy(s + i + 64, "KEY=VALUE OSRELEASE OSRELEASE", 29);
	/* not page-aligned: the page probe misses it, the full scan must find it */
	memcpy(s + sz - 8000, x86_text, strlen(x86_text));
	src = fake_ram_src(&r, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, NULL, &pa), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("[ info ] VMCOREINFO full scan of 256 MiB: %.1f ms\n", ms);
	assert_true(pa == sz - 8000);
	free(text);
	/* page-aligned, as the kernel places it: the fast path */
	memset(s + sz - 8000, 0, strlen(x86_text));
	memcpy(s + sz - 8192, x86_text, strlen(x86_text));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, NULL, &pa), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("[ info ] VMCOREINFO page probe of 256 MiB: %.1f ms\n", ms);
	assert_true(pa == sz - 8192);
	free(text);
	fake_ram_free(&r);
}

/* A guest that fills RAM with "OSRELEASE=" lines must not make the scan slow or hide the note. */
static void test_flood(void **state)
{
	static const char line[] = "OSRELEASE=1.1\nA=B\n";
	struct fake_ram r = {0};
	struct xv_phys_src src;
	struct xv_vmci_scan sc;
	struct timespec a, b;
	size_t sz = 32u << 20, ll = sizeof(line) - 1;
	uint8_t *s = fake_ram_add(&r, 0x40000000, sz);
	uint64_t note_pa, pa = 0;
	char *text = NULL;
	double ms;

	(void)state;
	for (size_t i = 0; i + ll <= sz; i += ll)
		memcpy(s + i, line, ll);
	for (size_t i = 1u << 20; i < sz; i += 1u << 20) /* some distinct fakes, too */
		s[i + 11] = (uint8_t)('0' + (i >> 20) % 10);
	note_pa = put_note(&r, 0, 20u << 20, x86_text);
	src = fake_ram_src(&r, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(xv_vmci_scan_all(&src, &sc), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("[ info ] flood of %zu fake lines: %.1f ms, %zu texts kept\n", sz / ll, ms,
	       sc.ncands);
	assert_true(ms < 5000);
	/* every 64 KiB text is examined once, not once per line in it */
	assert_true(sc.ncands + sc.decoys + sc.dropped <= sz / (XV_VMCI_MAX_TEXT - 64) + 2);
	assert_true(sc.ncands <= XV_VMCI_MAX_CANDS);
	assert_int_equal(sc.distinct_complete, 1);
	assert_true(sc.cands[0].pa == note_pa);
	xv_vmci_scan_free(&sc);
	assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, NULL, &pa), 0);
	assert_true(pa == note_pa);
	free(text);
	fake_ram_free(&r);
}

/* Through the real memory layer (a buffer source), as the discovery code will call it. */
static void test_find_via_mem(void **state)
{
	struct fake_ram r = {0};
	struct xv_mem *mem;
	struct xv_phys_src src;
	const void *bufs[2];
	uint64_t note_pa, stale_pa, pa = 0;
	char *text = NULL;

	(void)state;
	build_ram(&r, &note_pa, &stale_pa);
	bufs[0] = r.bufs[0];
	bufs[1] = r.bufs[1];
	assert_int_equal(xv_mem_open_buffers(r.segs, bufs, 2, &mem), 0);
	xv_phys_src_from_mem(&src, mem);
	assert_int_equal(src.nsegs, 2);
	assert_int_equal(xv_vmci_find(&src, NULL, NULL, &text, NULL, &pa), 0);
	assert_true(pa == note_pa);
	assert_string_equal(text, arm64_text);
	free(text);
	xv_mem_close(mem);
	fake_ram_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_x86),
		cmocka_unit_test(test_parse_arm64),
		cmocka_unit_test(test_parse_garbage_and_limits),
		cmocka_unit_test(test_check_missing),
		cmocka_unit_test(test_fuzz_parse),
		cmocka_unit_test(test_find_in_ram),
		cmocka_unit_test(test_find_stale_boot),
		cmocka_unit_test(test_find_straddling_chunks),
		cmocka_unit_test(test_find_none),
		cmocka_unit_test(test_find_via_mem),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_find_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
