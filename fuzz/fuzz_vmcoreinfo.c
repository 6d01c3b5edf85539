/* fuzz_vmcoreinfo.c — VMCOREINFO text parsing, the essential-key check, and the RAM scanners. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "kernel/kallsyms.h"
#include "kernel/vmcoreinfo.h"
#include "xvids/mem.h"

static void use_vmci(struct xv_vmci *v)
{
	struct xv_kallsyms_addrs a;
	uint64_t u;
	int64_t s;
	size_t len;
	const char *key, *val;

	xv_vmci_check(v);
	xv_vmci_u64(v, "PAGESIZE", &u);
	xv_vmci_s64(v, "NUMBER(phys_base)", &s);
	xv_vmci_u64(v, "KERNELOFFSET", &u);
	xv_vmci_symbol(v, "swapper_pg_dir", &u);
	xv_vmci_number(v, "VA_BITS", &s);
	xv_vmci_offset(v, "list_head", "next", &u);
	xv_vmci_size(v, "page", &u);
	xv_vmci_get(v, "OSRELEASE");
	xv_kallsyms_addrs_from_vmci(v, &a);
	/* The accessors on the first keys and one past the last: every key costs a linear lookup,
	 * and all of them made an input of 4096 keys quadratic without reaching more code. */
	size_t n = xv_vmci_count(v);

	for (size_t i = 0; i <= n; i = i < 31 || i == n ? i + 1 : n)
		if (xv_vmci_entry(v, i, &key, &val) == 0) {
			xv_vmci_u64(v, key, &u);
			xv_vmci_s64(v, key, &s);
		}
	xv_vmci_garbage(v);
	xv_vmci_text(v, &len);
}

static void scan(const uint8_t *data, size_t size, int pages, int find)
{
	size_t ramsz;
	uint8_t *ram = fz_ram(data, size, 4096, &ramsz);
	struct xv_mem_seg seg = { 0x40000000, ramsz };
	const void *bufs[1] = { ram };
	struct xv_mem *mem;
	struct xv_phys_src src;
	struct xv_vmci_scan res;

	if (xv_mem_open_buffers(&seg, bufs, 1, &mem) == 0) {
		xv_phys_src_from_mem(&src, mem);
		if ((pages ? xv_vmci_scan_pages(&src, &res) : xv_vmci_scan_all(&src, &res)) == 0) {
			for (size_t i = 0; i < res.ncands; i++) {
				struct xv_vmci *v = xv_vmci_parse(res.cands[i].text, res.cands[i].len);

				if (v) {
					use_vmci(v);
					xv_vmci_free(v);
				}
			}
			xv_vmci_scan_free(&res);
		}
		char *text = NULL;
		size_t len;
		uint64_t pa;

		/* xv_vmci_find scans the RAM once more (most of an input's time): every other input */
		if (find && xv_vmci_find(&src, NULL, NULL, &text, &len, &pa) == 0)
			free(text);
		xv_mem_close(mem);
	}
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct xv_vmci *v = xv_vmci_parse((const char *)data, size);

	if (v) {
		use_vmci(v);
		xv_vmci_free(v);
	}
	/* The same bytes as guest RAM: the full scan; when the first byte is odd, the page-probing
	 * scanner too (it looks at page offset 24, where the text sits inside vmcoreinfo_note); when
	 * bit 1 is set, xv_vmci_find (which scans once more). */
	scan(data, size, 0, size >= 1 && (data[0] & 2));
	if (size >= 1 && (data[0] & 1))
		scan(data, size, 1, 0);
	return 0;
}
