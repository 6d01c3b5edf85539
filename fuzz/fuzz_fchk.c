/* fuzz_fchk.c — the file checks' hostile-text inputs over a fixed small guest (fuzz/fstree.h):
 * fchk policies (tree include/exclude lines with attrs= lists, file expect lines with recorded
 * attributes, file deny rules with mode/uid/gid/type/target/sha256 matches, severities), the
 * baseline writer on the same scope, and fichk's --strings list (one forbidden string per line).
 * Input: mode byte (bit 0: a string list, else a policy; bit 1: also write a baseline), text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "fstree.h"
#include "kernel/kernel_internal.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/policy.h"
#include "xvids/vat.h"

#define RAM (IMG_LEN + 8192) /* the tree, then the PML4 and PDPT pages */

static struct xv_kernel k;

static const char vmci_text[] =
	"PAGESIZE=4096\nSYMBOL(mem_section)=ffff888000000100\nLENGTH(mem_section)=2048\n"
	"SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\nSIZE(page)=64\n";

static void setup(void)
{
	static uint8_t *ram;
	struct xv_mem_seg seg = { 0, RAM };
	const void *bufs[1];
	struct xv_vat_params p = { .arch = XV_ARCH_X86_64, .root = IMG_LEN, .levels = 4 };

	ram = calloc(1, RAM);
	if (!ram)
		abort();
	fst_build(ram, 0);
	xv_put_le64(ram + IMG_LEN + 273 * 8, (IMG_LEN + 4096) | 3);
	xv_put_le64(ram + IMG_LEN + 4096, 0x83); /* 1 GiB page at PA 0 */
	bufs[0] = ram;
	if (xv_mem_open_buffers(&seg, bufs, 1, &k.mem) < 0)
		abort();
	k.vat = xv_vat_new(k.mem, &p);
	k.btf = kbtf_build_tab(kbtf_fs61, sizeof(kbtf_fs61) / sizeof(kbtf_fs61[0]), NULL, NULL);
	k.vmci = xv_vmci_parse(vmci_text, sizeof(vmci_text) - 1);
	if (!k.vat || !k.btf || !k.vmci)
		abort();
	k.info.arch = XV_ARCH_X86_64;
	k.info.init_task = DM + T0;
	k.kernel_va_lo = 0xffff800000000000ull;
	k.image_lo = DM;
	k.image_hi = DM + 0x1000;
}

static void use_findings(struct xv_findings *f)
{
	struct json_object *o = xv_findings_json(f);

#ifdef FUZZ_FCHK_TRACE
	fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
#endif
	for (size_t i = 0; i < f->n; i++)
		if (!f->v[i].key[0] || !f->v[i].summary[0])
			abort(); /* every finding has a key and a summary */
	json_object_put(o);
	xv_findings_free(f);
}

static void policy(const uint8_t *data, size_t size, int baseline)
{
	struct xv_policy *p = xv_policy_parse((const char *)data, size, "fuzz.policy");
	struct xv_findings f = { 0 };
	static FILE *null;

	if (!p) {
#ifdef FUZZ_FCHK_TRACE
		fprintf(stderr, "policy: %s\n", xv_errmsg());
#endif
		return;
	}
	int rc = xv_fchk(&k, p, &f);

#ifdef FUZZ_FCHK_TRACE
	fprintf(stderr, "fchk: %d %s\n", rc, rc ? xv_errmsg() : "");
#endif
	if (rc == 0)
		use_findings(&f);
	else
		xv_findings_free(&f);
	if (baseline) {
		if (!null && !(null = fopen("/dev/null", "w")))
			abort();
		xv_fchk_baseline(&k, p, null);
	}
	xv_policy_free(p);
}

static void strings(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct xv_findings f = { 0 };
	struct xv_fichk_opts o = { .threads = 1, .max_file = 65536 };

	if (fd < 0) {
		fd = memfd_create("fuzz-strings", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	o.strings_path = path;
	int rc = xv_fichk(&k, &o, &f);

#ifdef FUZZ_FCHK_TRACE
	fprintf(stderr, "fichk: %d %s\n", rc, rc ? xv_errmsg() : "");
#endif
	if (rc == 0)
		use_findings(&f);
	else
		xv_findings_free(&f);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	if (!k.mem)
		setup();
	if (size < 1)
		return 0;
	if (data[0] & 1)
		strings(data + 1, size - 1);
	else
		policy(data + 1, size - 1, (data[0] & 2) != 0);
	xv_err_clear();
	return 0;
}
