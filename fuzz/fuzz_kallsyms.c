/* fuzz_kallsyms.c — kallsyms table decoding through a read callback, and System.map parsing.
 * Input: flags byte, 7 x u32 table offsets from VBASE, u64 _stext, then the image bytes at VBASE. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "kernel/kallsyms.h"

#define VBASE 0xffffffff82000000ull

struct img {
	const uint8_t *p;
	size_t n;
};

static int img_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	struct img *m = ctx;

	if (va < VBASE || va - VBASE > m->n || len > m->n - (va - VBASE))
		return -EFAULT;
	memcpy(buf, m->p + (va - VBASE), len);
	return 0;
}

static void use(struct xv_kallsyms *ks)
{
	struct xv_ksym s;
	uint64_t addr, off;
	size_t n = xv_kallsyms_count(ks);

	for (size_t i = 0; i < n && i < 64; i++)
		if (xv_kallsyms_get(ks, i, &s) == 0) {
			xv_kallsyms_lookup(ks, s.name, &addr);
			xv_kallsyms_addr2name(ks, s.addr + 1, &off);
		}
	xv_kallsyms_get(ks, n, &s);
	xv_kallsyms_lookup_sym(ks, "_stext", &s);
	xv_kallsyms_addr2idx(ks, 0);
	xv_kallsyms_addr2idx(ks, UINT64_MAX);
	xv_kallsyms_skipped(ks);
	xv_kallsyms_abs_percpu(ks);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct fz f;
	struct xv_kallsyms *ks = NULL;
	uint8_t flags;

	fz_init(&f, data, size);
	flags = fz_u8(&f);
	if (flags & 0x80) {
		size_t len;
		const uint8_t *text = fz_rest(&f, &len);

		if (xv_kallsyms_parse_sysmap((const char *)text, len, &ks) == 0) {
			use(ks);
			xv_kallsyms_free(ks);
		}
		return 0;
	}
	struct xv_kallsyms_addrs a;
	uint64_t *fields[] = { &a.num_syms, &a.names, &a.token_table, &a.token_index,
			       &a.offsets, &a.relative_base, &a.addresses };

	for (size_t i = 0; i < 7; i++) {
		uint32_t o = fz_u32(&f);

		/* all ones: "not exported" (0), anything else an address in or near the image */
		*fields[i] = o == UINT32_MAX ? 0 : VBASE + o;
	}
	struct xv_kallsyms_opts opts = { .percpu = (enum xv_ks_percpu)(flags & 3) % 3 };
	uint64_t stext = fz_u64(&f);

	if (flags & 4)
		opts.stext = stext;
	struct img m;

	m.p = fz_rest(&f, &m.n);
	if (xv_kallsyms_load(img_read, &m, &a, (flags & 8) ? NULL : &opts, &ks) == 0) {
		use(ks);
		xv_kallsyms_free(ks);
	}
	return 0;
}
