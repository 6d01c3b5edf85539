/* test_bounds_files.c — more explicit bounds driven to their limit: symlinks per lookup and mounts
 * stacked on one dentry (src/fs over the fuzz/fstree.h guest), lines per policy, the size of a
 * rules file, ranges of QEMU's memory map. Each test also shows the input just inside the bound
 * is accepted. See the bounds table in docs/fuzzing.md. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "fstree.h"
#include "kfix.h"
#include "mem/mtree.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/net.h"
#include "xvids/policy.h"

static struct kfix *fs_fix(void)
{
	struct kfix *f = kfix_new(kbtf_build_tab(kbtf_fs61, sizeof(kbtf_fs61) / sizeof(kbtf_fs61[0]),
						 NULL, NULL));

	fst_build(f->ram, 0); /* 32 KiB, below kfix's page tables at 0x10000 */
	f->k.info.init_task = DM + T0;
	return f;
}

/* MAX_SYMLINKS (fs.c, 40, like the kernel): /l made to point at itself. */
static void test_fs_symlinks(void **state)
{
	struct kfix *f = fs_fix();
	struct xv_fs *fs;
	struct xv_fs_node n;

	(void)state;
	assert_int_equal(xv_fs_open(&f->k, &fs), 0);
	assert_int_equal(xv_fs_lookup(fs, "/l", 1, &n), 0); /* l -> etc/passwd */
	xv_fs_close(fs);
	memcpy(f->ram + STR + 48, "l", 2);               /* l -> l */
	xv_put_le64(f->ram + I_L + FS_I_SIZE, 1);
	assert_int_equal(xv_fs_open(&f->k, &fs), 0);
	assert_int_equal(xv_fs_lookup(fs, "/l", 0, &n), 0); /* the link itself */
	assert_int_equal(xv_fs_lookup(fs, "/l", 1, &n), -ELOOP);
	assert_non_null(strstr(xv_errmsg(), "more than 40 symlinks"));
	assert_int_equal(xv_fs_lookup(fs, "/l/x", 0, &n), -ELOOP); /* in the middle too */
	xv_fs_close(fs);
	kfix_free(f);
}

/* MAX_MOUNT_CROSS (fs.c, 16): k more mounts stacked on the tmpfs root that is mounted on /tmp,
 * each on the one before (mountpoint and root: the tmpfs root, DCACHE_MOUNTED). Reaching /tmp
 * crosses 1 + k mounts. The mounts go on the 6.1 ring NS.list -> MNT -> MNT2 -> stacked. */
#define STACK 0x3000 /* free space of the fstree image: 0x3000..0x4000 */

static void stack_mounts(struct kfix *f, int k)
{
	uint32_t ring[2 + 16];
	int n = 0;

	ring[n++] = MNT;
	ring[n++] = MNT2;
	xv_put_le32(f->ram + D_TROOT + FS_D_FLAGS, 0x00010000u);
	for (int i = 0; i < k; i++) {
		uint32_t m = STACK + (uint32_t)i * FS_MNT_SIZE, parent = i ? m - FS_MNT_SIZE : MNT2;

		xv_put_le64(f->ram + m + FS_MNT_PARENT, DM + parent);
		xv_put_le64(f->ram + m + FS_MNT_MOUNTPOINT, DM + D_TROOT);
		xv_put_le64(f->ram + m + FS_MNT_MNT, DM + D_TROOT);
		xv_put_le64(f->ram + m + FS_MNT_MNT + 8, DM + SB2);
		ring[n++] = m;
	}
	for (int i = 0; i < n; i++) {
		uint64_t next = i + 1 < n ? ring[i + 1] + FS_MNT_LIST : NS + FS_NS_LIST;
		uint64_t prev = i ? ring[i - 1] + FS_MNT_LIST : NS + FS_NS_LIST;

		xv_put_le64(f->ram + ring[i] + FS_MNT_LIST, DM + next);
		xv_put_le64(f->ram + ring[i] + FS_MNT_LIST + 8, DM + prev);
	}
	xv_put_le64(f->ram + NS + FS_NS_LIST, DM + MNT + FS_MNT_LIST);
	xv_put_le64(f->ram + NS + FS_NS_LIST + 8, DM + ring[n - 1] + FS_MNT_LIST);
}

static void test_fs_mount_stack(void **state)
{
	struct kfix *f = fs_fix();
	struct xv_fs *fs;
	struct xv_fs_node n, x;

	(void)state;
	stack_mounts(f, 14); /* 15 crossings: the topmost mount's root is /tmp */
	assert_int_equal(xv_fs_open(&f->k, &fs), 0);
	assert_int_equal(xv_fs_lookup(fs, "/tmp", 0, &n), 0);
	assert_int_equal(n.mnt, DM + STACK + 13 * FS_MNT_SIZE);
	assert_int_equal(xv_fs_lookup(fs, "/tmp/x", 0, &x), 0);
	xv_fs_close(fs);
	stack_mounts(f, 15); /* 16 crossings and still a mount on top: refused */
	assert_int_equal(xv_fs_open(&f->k, &fs), 0);
	assert_int_equal(xv_fs_lookup(fs, "/tmp", 0, &n), -ELOOP);
	assert_non_null(strstr(xv_errmsg(), "more than 16 mounts stacked"));
	assert_int_equal(xv_fs_lookup(fs, "/etc/passwd", 0, &n), 0); /* the rest of the tree */
	xv_fs_close(fs);
	kfix_free(f);
}

/* XV_POLICY_MAX_LINES (1,000,000): one more line is refused with FILE:LINE. */
static void test_policy_lines(void **state)
{
	static const char first[] = "module allow name=virtio_net\n";
	/* exactly XV_POLICY_MAX_LINES lines: the module line, then empty ones; then one more */
	size_t n = sizeof(first) - 1 + XV_POLICY_MAX_LINES - 1;
	char *text = malloc(n + 1);
	struct xv_policy *p;

	(void)state;
	assert_non_null(text);
	memcpy(text, first, sizeof(first) - 1);
	memset(text + sizeof(first) - 1, '\n', XV_POLICY_MAX_LINES);
	p = xv_policy_parse(text, n, "big.policy");
	assert_non_null(p);
	assert_int_equal(xv_policy_count(p), 1);
	xv_policy_free(p);
	assert_null(xv_policy_parse(text, n + 1, "big.policy"));
	assert_non_null(strstr(xv_errmsg(), "big.policy:1000001: more than 1000000 lines"));
	free(text);
}

/* MAX_RULES_FILE (net/engine.c, 256 MiB): a sparse file one byte larger is refused before it
 * is read; a small one loads. */
static void test_rules_file_size(void **state)
{
	char path[] = "/tmp/xv-bounds-rules-XXXXXX";
	int fd = mkstemp(path);
	struct xv_net_config cfg = { .flow_capacity = 16, .alert_ring = 4 };
	struct xv_net *n = xv_net_new(&cfg);
	static const char rule[] = "alert tcp any any -> any 80 (msg:\"web\"; sid:1;)\n";

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(n);
	assert_int_equal(write(fd, rule, sizeof(rule) - 1), (ssize_t)(sizeof(rule) - 1));
	assert_int_equal(xv_net_load_rules(n, path), 1);
	assert_int_equal(ftruncate(fd, (256 << 20) + 1), 0); /* sparse: no disk used */
	assert_int_equal(xv_net_load_rules(n, path), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "at most 256 MiB"));
	close(fd);
	unlink(path);
	xv_net_free(n);
}

/* MTREE_MAX_RANGES (mem/mtree.c, 65536): QEMU's `info mtree -f` with one range too many. */
static char *mtree_text(unsigned ranges)
{
	size_t cap = 128 + (size_t)ranges * 64, len;
	char *t = malloc(cap);

	assert_non_null(t);
	len = (size_t)snprintf(t, cap, "FlatView #0\n AS \"memory\", root: system\n"
				       " Root memory region: system\n");
	for (unsigned i = 0; i < ranges; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"  %016llx-%016llx (prio 0, ram): mem0\n",
					(unsigned long long)i << 12, ((unsigned long long)i << 12) + 0xfff);
	return t;
}

static void test_mtree_ranges(void **state)
{
	struct xv_mtree_range *r = NULL;
	size_t n = 0;
	char *t = mtree_text(65536);

	(void)state;
	assert_int_equal(xv_mtree_parse(t, "memory", &r, &n), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(r[65535].start, 0xffffull << 12);
	free(r);
	free(t);
	t = mtree_text(65537);
	assert_int_equal(xv_mtree_parse(t, "memory", &r, &n), -E2BIG);
	assert_non_null(strstr(xv_errmsg(), "more than 65536 ranges"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_symlinks),
		cmocka_unit_test(test_fs_mount_stack),
		cmocka_unit_test(test_policy_lines),
		cmocka_unit_test(test_rules_file_size),
		cmocka_unit_test(test_mtree_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
