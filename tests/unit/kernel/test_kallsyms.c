/* test_kallsyms.c — kallsyms decoding against tables encoded here the way scripts/kallsyms.c lays them out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/kallsyms.h"
#include "kernel/vmcoreinfo.h"
#include "ktest.h"
#include "util/bytes.h"
#include "xvids/err.h"

#define VBASE 0xffffffff82000000ull
#define TEXT 0xffffffff81000000ull

struct sym {
	char name[600];
	char type;
	uint64_t addr;
	int percpu; /* absolute per-cpu symbol (x86-64) */
};

/* The encoded image and where each table landed. */
struct image {
	struct fake_vm vm;
	struct xv_kallsyms_addrs a;
	size_t names_len;
};

static const char *multi_tokens[] = {"Tdo_", "sys_", "_init", "kernel", "ab", "t__", "irq",
				     "long_name_part_"};

/* Token table: codes 0x80.. are multi-char tokens, every printable char maps to itself. */
static void tokens(char tok[256][32])
{
	for (int c = 0; c < 256; c++) {
		tok[c][0] = (c >= 0x21 && c < 0x7f) ? (char)c : '\0';
		tok[c][1] = '\0';
	}
	for (size_t i = 0; i < XV_ARRAY_SIZE(multi_tokens); i++)
		strcpy(tok[0x80 + i], multi_tokens[i]);
	for (int c = 0; c < 256; c++) /* unused codes: a filler token so every index is valid */
		if (!tok[c][0])
			strcpy(tok[c], "?");
}

/* Greedy longest-token encoding of "<type><name>". */
static size_t encode(char tok[256][32], const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s) {
		int best = -1;
		size_t bl = 0;
		for (int c = 0; c < 256; c++) {
			size_t l = strlen(tok[c]);
			if (l > bl && strncmp(s, tok[c], l) == 0 && strcmp(tok[c], "?") != 0) {
				best = c;
				bl = l;
			}
		}
		assert_true(best >= 0);
		out[n++] = (uint8_t)best;
		s += bl;
	}
	return n;
}

/* Lay out: offsets, relative_base, num_syms, names, markers, token_table, token_index (6.1). */
static void build(struct image *im, const struct sym *syms, size_t n, int abs_percpu,
		  uint64_t base)
{
	char tok[256][32];
	size_t cap = 4u << 20, pos = 0;
	uint8_t *b = calloc(1, cap);

	tokens(tok);
	memset(im, 0, sizeof(*im));
	im->a.offsets = VBASE + pos;
	for (size_t i = 0; i < n; i++) {
		int64_t o;
		if (!abs_percpu)
			o = (int64_t)(syms[i].addr - base);
		else if (syms[i].percpu)
			o = (int64_t)syms[i].addr;
		else
			o = (int64_t)base - (int64_t)syms[i].addr - 1;
		xv_put_le32(b + pos, (uint32_t)(int32_t)o);
		pos += 4;
	}
	pos = (pos + 7) & ~(size_t)7;
	im->a.relative_base = VBASE + pos;
	xv_put_le64(b + pos, base);
	pos += 8;
	im->a.num_syms = VBASE + pos;
	xv_put_le32(b + pos, (uint32_t)n);
	pos += 8;
	im->a.names = VBASE + pos;
	for (size_t i = 0; i < n; i++) {
		char full[700];
		uint8_t enc[700];
		size_t l;

		snprintf(full, sizeof(full), "%c%s", syms[i].type, syms[i].name);
		l = encode(tok, full, enc);
		if (l > 127) {
			b[pos++] = (uint8_t)(0x80 | (l & 0x7f));
			b[pos++] = (uint8_t)(l >> 7);
		} else {
			b[pos++] = (uint8_t)l;
		}
		memcpy(b + pos, enc, l);
		pos += l;
	}
	im->names_len = pos - (size_t)(im->a.names - VBASE);
	pos = (pos + 7) & ~(size_t)7;
	pos += 4 * ((n + 255) / 256); /* markers: not needed by the decoder, but present */
	pos = (pos + 7) & ~(size_t)7;
	im->a.token_table = VBASE + pos;
	{
		uint16_t idx[256];
		size_t start = pos;
		for (int c = 0; c < 256; c++) {
			idx[c] = (uint16_t)(pos - start);
			strcpy((char *)b + pos, tok[c]);
			pos += strlen(tok[c]) + 1;
		}
		pos = (pos + 7) & ~(size_t)7;
		im->a.token_index = VBASE + pos;
		for (int c = 0; c < 256; c++)
			xv_put_le16(b + pos + 2 * c, idx[c]);
		pos += 512;
	}
	im->vm.base = VBASE;
	im->vm.buf = b;
	im->vm.size = pos;
}

static struct sym *make_syms(size_t *n_out, int with_percpu)
{
	size_t n = 0, cap = 3000;
	struct sym *s = calloc(cap, sizeof(*s));
	uint64_t a = TEXT;

	if (with_percpu) {
		strcpy(s[n].name, "fixed_percpu_data");
		s[n].type = 'D';
		s[n].addr = 0;
		s[n++].percpu = 1;
		strcpy(s[n].name, "irq_stack_backing_store");
		s[n].type = 'd';
		s[n].addr = 0x4000;
		s[n++].percpu = 1;
	}
	strcpy(s[n].name, "_text");
	s[n].type = 'T';
	s[n++].addr = a;
	strcpy(s[n].name, "startup_64");
	s[n].type = 'T';
	s[n++].addr = a;
	a += 0x1000;
	strcpy(s[n].name, "_stext");
	s[n].type = 'T';
	s[n++].addr = a;
	for (int i = 0; n < cap - 3; i++) {
		a += 0x40 + (uint64_t)(i % 7) * 0x10;
		snprintf(s[n].name, sizeof(s[n].name), "%s%d", i % 3 == 0 ? "do_sys_open_" :
			 i % 3 == 1 ? "irq_kernel_thing_" : "abc_init_", i);
		s[n].type = i % 5 == 0 ? 't' : 'T';
		s[n++].addr = a;
	}
	/* a "big" symbol (> 127 compressed bytes: 2-byte length) and a static duplicate name */
	a += 0x100;
	for (int i = 0; i < 20; i++)
		strcat(s[n].name, "zq");
	strcat(s[n].name, "_big_rust_like_symbol_");
	for (int i = 0; i < 60; i++)
		strcat(s[n].name, "x");
	s[n].type = 'T';
	s[n++].addr = a;
	a += 0x100;
	strcpy(s[n].name, "do_sys_open_0");
	s[n].type = 't';
	s[n++].addr = a;
	a += 0x100;
	strcpy(s[n].name, "_etext");
	s[n].type = 'T';
	s[n++].addr = a;
	*n_out = n;
	return s;
}

static void check_table(struct xv_kallsyms *ks, const struct sym *s, size_t n)
{
	uint64_t addr, off;
	struct xv_ksym k;
	const char *name;
	size_t i;

	assert_int_equal(xv_kallsyms_count(ks), n);
	for (i = 0; i < n; i += 97) { /* every symbol decodes to its name and address */
		struct xv_ksym got;
		assert_int_equal(xv_kallsyms_lookup_sym(ks, s[i].name, &got), 0);
		if (strcmp(s[i].name, "do_sys_open_0") != 0) {
			assert_true(got.addr == s[i].addr);
			assert_int_equal(got.type, s[i].type);
		}
	}
	assert_int_equal(xv_kallsyms_lookup(ks, "_stext", &addr), 0);
	assert_true(addr == TEXT + 0x1000);
	/* duplicate names: lowest address wins */
	assert_int_equal(xv_kallsyms_lookup_sym(ks, "do_sys_open_0", &k), 0);
	for (i = 0; i < n && strcmp(s[i].name, "do_sys_open_0") != 0; i++)
		;
	assert_true(k.addr == s[i].addr);
	assert_true(k.addr < s[n - 2].addr);
	assert_int_equal(k.type, 't'); /* i == 0 -> 't' */
	assert_int_equal(xv_kallsyms_lookup(ks, "nope", &addr), -ENOENT);
	/* the big symbol */
	assert_int_equal(xv_kallsyms_lookup(ks, s[n - 3].name, &addr), 0);
	assert_true(addr == s[n - 3].addr);
	/* addr2name */
	name = xv_kallsyms_addr2name(ks, TEXT + 0x1000 + 5, &off);
	assert_non_null(name);
	assert_string_equal(name, "_stext");
	assert_true(off == 5);
	name = xv_kallsyms_addr2name(ks, TEXT, &off);
	assert_string_equal(name, "_text"); /* first in table order among equal addresses */
	if (!s[0].percpu)
		assert_null(xv_kallsyms_addr2name(ks, TEXT - 1, &off));
	assert_null(xv_kallsyms_addr2name(ks, s[n - 1].addr + XV_KS_TAIL + 1, &off));
	/* iteration is address-ordered */
	for (i = 1; i < n; i++) {
		struct xv_ksym p, c;
		assert_int_equal(xv_kallsyms_get(ks, i - 1, &p), 0);
		assert_int_equal(xv_kallsyms_get(ks, i, &c), 0);
		assert_true(p.addr <= c.addr);
	}
	assert_int_equal(xv_kallsyms_get(ks, n, &k), -ENOENT);
}

static void test_relative(void **state)
{
	size_t n;
	struct sym *s = make_syms(&n, 0);
	struct image im;
	struct xv_kallsyms *ks;
	struct xv_kallsyms_opts o = {.stext = TEXT + 0x1000};

	(void)state;
	build(&im, s, n, 0, TEXT);
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), 0);
	assert_int_equal(xv_kallsyms_abs_percpu(ks), 0);
	check_table(ks, s, n);
	xv_kallsyms_free(ks);
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, &o, &ks), 0);
	xv_kallsyms_free(ks);
	/* wrong _stext: refuse */
	o.stext = TEXT + 0x2000;
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, &o, &ks), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "_stext"));
	assert_null(ks);
	free(im.vm.buf);
	free(s);
}

static void test_abs_percpu(void **state)
{
	size_t n;
	struct sym *s = make_syms(&n, 1);
	struct image im;
	struct xv_kallsyms *ks;
	struct xv_kallsyms_opts o = {.stext = TEXT + 0x1000};
	uint64_t addr;

	(void)state;
	build(&im, s, n, 1, TEXT);
	/* auto-detected from the ordering */
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), 0);
	assert_int_equal(xv_kallsyms_abs_percpu(ks), 1);
	check_table(ks, s, n);
	assert_int_equal(xv_kallsyms_lookup(ks, "irq_stack_backing_store", &addr), 0);
	assert_true(addr == 0x4000);
	xv_kallsyms_free(ks);
	/* forcing the wrong encoding with an _stext check fails loudly */
	o.percpu = XV_KS_PERCPU_RELATIVE;
	assert_true(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, &o, &ks) < 0);
	o.percpu = XV_KS_PERCPU_AUTO;
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, &o, &ks), 0);
	assert_int_equal(xv_kallsyms_abs_percpu(ks), 1);
	xv_kallsyms_free(ks);
	free(im.vm.buf);
	free(s);
}

static void test_from_vmci(void **state)
{
	char text[1024];
	struct xv_vmci *v;
	struct xv_kallsyms_addrs a;

	(void)state;
	snprintf(text, sizeof(text),
		 "OSRELEASE=6.1.0\nSYMBOL(kallsyms_names)=ffffffff9a8a5d08\n"
		 "SYMBOL(kallsyms_num_syms)=ffffffff9a8a5d00\n"
		 "SYMBOL(kallsyms_token_table)=ffffffff9aa5e5b8\n"
		 "SYMBOL(kallsyms_token_index)=ffffffff9aa5e948\n"
		 "SYMBOL(kallsyms_offsets)=ffffffff9a82ac40\n");
	v = xv_vmci_parse(text, strlen(text));
	assert_int_equal(xv_kallsyms_addrs_from_vmci(v, &a), -ENOENT);
	assert_non_null(strstr(xv_errmsg(), "kallsyms_relative_base"));
	xv_vmci_free(v);
	strcat(text, "SYMBOL(kallsyms_relative_base)=ffffffff9a8a5cf8\n");
	v = xv_vmci_parse(text, strlen(text));
	assert_int_equal(xv_kallsyms_addrs_from_vmci(v, &a), 0);
	assert_true(a.names == 0xffffffff9a8a5d08ull && a.relative_base == 0xffffffff9a8a5cf8ull);
	assert_true(a.addresses == 0);
	xv_vmci_free(v);
}

static void test_hostile(void **state)
{
	size_t n;
	struct sym *s = make_syms(&n, 0);
	struct image im;
	struct xv_kallsyms *ks = NULL;
	uint8_t *b;
	uint8_t save[8];

	(void)state;
	build(&im, s, n, 0, TEXT);
	b = im.vm.buf;
#define AT(va) (b + ((va) - VBASE))
	/* absurd symbol count */
	xv_put_le32(AT(im.a.num_syms), 1u << 22);
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "kallsyms_num_syms"));
	/* more symbols than names: decoding runs into the markers/tokens and must stop cleanly */
	xv_put_le32(AT(im.a.num_syms), (uint32_t)n + 1000);
	assert_true(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks) < 0);
	assert_null(ks);
	xv_put_le32(AT(im.a.num_syms), (uint32_t)n);
	/* a token index pointing past the table */
	memcpy(save, AT(im.a.token_index + 2 * 'a'), 2);
	xv_put_le16(AT(im.a.token_index + 2 * 'a'), 0xfff0);
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), -EINVAL);
	memcpy(AT(im.a.token_index + 2 * 'a'), save, 2);
	/* an unterminated last token */
	{
		uint64_t last = im.a.token_table + xv_le16(AT(im.a.token_index + 2 * 255));
		uint8_t *p = AT(last);
		size_t k = 0;
		while (p[k])
			k++;
		memset(p + k, 'Z', (size_t)(im.a.token_index - last) - k);
		assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), -EINVAL);
		assert_non_null(strstr(xv_errmsg(), "not terminated"));
		memset(p + k, 0, (size_t)(im.a.token_index - last) - k);
	}
	/* zero-length symbol */
	save[0] = *AT(im.a.names);
	*AT(im.a.names) = 0;
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), -EINVAL);
	/* a "big" length running past the names (and past mapped memory) */
	AT(im.a.names)[0] = 0xff;
	AT(im.a.names)[1] = 0xff;
	assert_true(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks) < 0);
	AT(im.a.names)[0] = save[0];
	/* the whole thing still loads after the repairs (the test itself did not break it) */
	{
		struct sym *s2 = make_syms(&n, 0);
		struct image im2;
		build(&im2, s2, n, 0, TEXT);
		memcpy(b, im2.vm.buf, im.vm.size);
		free(im2.vm.buf);
		free(s2);
	}
	assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), 0);
	xv_kallsyms_free(ks);
	/* a name longer than KSYM_NAME_LEN: 200 copies of the 15-char token */
	{
		uint8_t *p = AT(im.a.names);
		p[0] = 0x80 | (200 & 0x7f);
		p[1] = 200 >> 7;
		memset(p + 2, 0x87, 200);
		assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &im.a, NULL, &ks), -EINVAL);
		assert_non_null(strstr(xv_errmsg(), "longer than"));
	}
	/* unreadable tables */
	{
		struct xv_kallsyms_addrs bad = im.a;
		bad.token_index = 0x1000;
		assert_true(xv_kallsyms_load(fake_vm_read, &im.vm, &bad, NULL, &ks) < 0);
		bad = im.a;
		bad.offsets = VBASE + im.vm.size - 16;
		assert_true(xv_kallsyms_load(fake_vm_read, &im.vm, &bad, NULL, &ks) < 0);
		bad = im.a;
		bad.relative_base = 0;
		assert_int_equal(xv_kallsyms_load(fake_vm_read, &im.vm, &bad, NULL, &ks), -EINVAL);
	}
#undef AT
	free(im.vm.buf);
	free(s);
}

/* Random garbage as tables: never crashes, never succeeds with nonsense beyond the bounds. */
static void test_fuzz(void **state)
{
	size_t n;
	struct sym *s = make_syms(&n, 0);
	struct image im;
	unsigned seed = 12345;

	(void)state;
	build(&im, s, n, 0, TEXT);
	for (int round = 0; round < 200; round++) {
		struct xv_kallsyms *ks = NULL;
		uint8_t *copy = malloc(im.vm.size);
		struct fake_vm vm = im.vm;

		memcpy(copy, im.vm.buf, im.vm.size);
		for (int k = 0; k < 20; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % im.vm.size] = (uint8_t)(seed >> 3);
		}
		vm.buf = copy;
		if (xv_kallsyms_load(fake_vm_read, &vm, &im.a, NULL, &ks) == 0) {
			assert_true(xv_kallsyms_count(ks) <= XV_KS_MAX_SYMS);
			xv_kallsyms_free(ks);
		}
		free(copy);
	}
	free(im.vm.buf);
	free(s);
}

static void test_sysmap(void **state)
{
	const char *map = "ffffffff81000000 T _text\n"
			  "ffffffff81000000 T startup_64\n"
			  "ffffffff81001000 T _stext\n"
			  "garbage line\n"
			  "ffffffff81002000 t local_fn\n"
			  "0000000000000000 A fixed_percpu_data\n"
			  "ffffffff81003000 T\n"
			  "zzzz T bad_addr\n"
			  "ffffffff81004000 TT bad_type\n"
			  "ffffffff81005000 T with_module\t[ext4]\n"
			  "\x01\x02\x03\n"
			  "ffffffff81006000 T _etext";
	struct xv_kallsyms *ks;
	uint64_t addr, off;
	struct xv_ksym k;

	(void)state;
	assert_int_equal(xv_kallsyms_parse_sysmap(map, strlen(map), &ks), 0);
	assert_int_equal(xv_kallsyms_count(ks), 7);
	assert_int_equal(xv_kallsyms_skipped(ks), 5);
	assert_int_equal(xv_kallsyms_lookup(ks, "_stext", &addr), 0);
	assert_true(addr == 0xffffffff81001000ull);
	assert_int_equal(xv_kallsyms_lookup_sym(ks, "local_fn", &k), 0);
	assert_int_equal(k.type, 't');
	assert_int_equal(xv_kallsyms_lookup(ks, "with_module", &addr), 0);
	assert_int_equal(xv_kallsyms_lookup(ks, "_etext", &addr), 0); /* no final newline */
	assert_string_equal(xv_kallsyms_addr2name(ks, 0xffffffff81002010ull, &off), "local_fn");
	assert_true(off == 0x10);
	xv_kallsyms_free(ks);
	assert_int_equal(xv_kallsyms_parse_sysmap("nothing\n", 8, &ks), -EINVAL);
	assert_int_equal(xv_kallsyms_load_sysmap("/nonexistent/System.map", &ks), -ENOENT);
	{
		char path[] = "/tmp/xv_sysmapXXXXXX";
		int fd = mkstemp(path);
		FILE *f = fdopen(fd, "w");
		fputs(map, f);
		fclose(f);
		assert_int_equal(xv_kallsyms_load_sysmap(path, &ks), 0);
		assert_int_equal(xv_kallsyms_count(ks), 7);
		xv_kallsyms_free(ks);
		unlink(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative),  cmocka_unit_test(test_abs_percpu),
		cmocka_unit_test(test_from_vmci), cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_fuzz),      cmocka_unit_test(test_sysmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
