/* fstree.h — a small guest file tree in kernel memory (fuzz/kbtf_fs.h layouts), for fuzz_fs's seeds
 * and fuzz_fchk's fixed guest: init_task and PID 1, a rootfs and a tmpfs mounted on /tmp,
 * directories, a regular file in one page, a sparse three-page set-uid file through an xa_node
 * (a hole and a swapped page), an inline symlink and a page-cache symlink, and the mem_section
 * that maps struct pages to RAM. 6.1 and 6.11 shapes. One user per program (file statics). */
#ifndef XV_FUZZ_FSTREE_H
#define XV_FUZZ_FSTREE_H

#include <stdint.h>
#include <string.h>

#include "kbtf_fs.h"
#include "util/bytes.h"

#define DM 0xffff888000000000ull
#define VMEMMAP 0xffffea0000000000ull

enum {
	MS = 0x100, ROOT = 0x180, T0 = 0x200, T1 = 0x400, FSS = 0x600, NSP = 0x640, NS = 0x680,
	MNT = 0x700, MNT2 = 0x780, SB = 0x800, FST = 0x840, SB2 = 0x880, FST2 = 0x8c0, STR = 0x900,
	D_ROOT = 0x1000, D_ETC = 0x1080, D_PASSWD = 0x1100, D_TMP = 0x1180, D_TROOT = 0x1200,
	D_X = 0x1280, D_L = 0x1300, D_BIG = 0x1380,
	I_ROOT = 0x2000, I_ETC = 0x20a0, I_PASSWD = 0x2140, I_TMP = 0x21e0, I_TROOT = 0x2280,
	I_X = 0x2320, I_L = 0x23c0, I_BIG = 0x2460,
	AS_PASSWD = 0x2600, AS_X = 0x2620, AS_BIG = 0x2640, XA_BIG = 0x2800,
	PG_PASSWD = 0x4000, PG_X = 0x5000, PG_BIG0 = 0x6000, PG_BIG1 = 0x7000, IMG_LEN = 0x8000,
};

static uint8_t *img;
static int v611;

static void p64(uint32_t off, uint64_t v) { xv_put_le64(img + off, v); }
static void p32(uint32_t off, uint32_t v) { xv_put_le32(img + off, v); }
static uint64_t va(uint32_t off) { return DM + off; }
static uint64_t page_of(uint32_t pa) { return VMEMMAP + (uint64_t)(pa >> 12) * 64; }

static void task(uint32_t t, int pid, const char *comm, uint32_t next, uint32_t prev)
{
	p32(t + 8, (uint32_t)pid);
	p32(t + 12, (uint32_t)pid);
	memcpy(img + t + 16, comm, strlen(comm));
	p64(t + FS_TASK_TASKS, va(next + FS_TASK_TASKS));
	p64(t + FS_TASK_TASKS + 8, va(prev + FS_TASK_TASKS));
	p64(t + 48, va(T0));
	p64(t + FS_TASK_FS, va(FSS));
	p64(t + FS_TASK_NSPROXY, va(NSP));
}

static void mount(uint32_t m, uint32_t parent, uint32_t mp, uint32_t root, uint32_t sb)
{
	p64(m + FS_MNT_PARENT, va(parent));
	p64(m + FS_MNT_MOUNTPOINT, va(mp));
	p64(m + FS_MNT_MNT, va(root));
	p64(m + FS_MNT_MNT + 8, va(sb));
}

static void sb(uint32_t s, uint32_t magic, uint32_t fst, uint32_t name_off, const char *name)
{
	p64(s + FS_SB_MAGIC, magic);
	p64(s + FS_SB_TYPE, va(fst));
	p64(fst + FS_FST_NAME, va(name_off));
	memcpy(img + name_off, name, strlen(name) + 1);
}

/* A dentry with its name inline (d_iname), or at ext when given. */
static void dentry(uint32_t d, uint32_t parent, const char *name, uint32_t inode, uint32_t sbo,
		   uint32_t flags, uint32_t ext)
{
	size_t n = strlen(name);

	p32(d + FS_D_FLAGS, flags);
	p64(d + FS_D_HASH + 8, va(0x10)); /* hashed: pprev set */
	p64(d + FS_D_PARENT, va(parent));
	p32(d + FS_D_NAME + 4, (uint32_t)n);
	memcpy(img + (ext ? ext : d + FS_D_INAME), name, n);
	p64(d + FS_D_NAME + 8, va(ext ? ext : d + FS_D_INAME));
	p64(d + FS_D_INODE, va(inode));
	p64(d + FS_D_SB, va(sbo));
	/* an empty child list */
	if (v611) {
		p64(d + FS_D_SUBDIRS, 0);
	} else {
		p64(d + FS_D_SUBDIRS, va(d + FS_D_SUBDIRS));
		p64(d + FS_D_SUBDIRS + 8, va(d + FS_D_SUBDIRS));
	}
}

/* Children of dir in this order: a list_head ring (6.1) or an hlist (6.8+). */
static void children(uint32_t dir, const uint32_t *kids, int n)
{
	uint32_t head = dir + FS_D_SUBDIRS;

	for (int i = 0; i < n; i++) {
		uint32_t node = kids[i] + FS_D_CHILD;

		if (v611) {
			p64(node, i + 1 < n ? va(kids[i + 1] + FS_D_CHILD) : 0);
			p64(node + 8, i ? va(kids[i - 1] + FS_D_CHILD) : va(head));
		} else {
			p64(node, i + 1 < n ? va(kids[i + 1] + FS_D_CHILD) : va(head));
			p64(node + 8, i ? va(kids[i - 1] + FS_D_CHILD) : va(head));
		}
	}
	if (v611) {
		p64(head, n ? va(kids[0] + FS_D_CHILD) : 0);
	} else {
		p64(head, n ? va(kids[0] + FS_D_CHILD) : va(head));
		p64(head + 8, n ? va(kids[n - 1] + FS_D_CHILD) : va(head));
	}
}

static void inode(uint32_t i, uint32_t mode, uint64_t size, uint32_t sbo, uint32_t as, uint64_t ino)
{
	p32(i + FS_I_MODE, mode); /* u16 in BTF; the upper half is i_opflags */
	p32(i + FS_I_UID, ino == 4 ? 1000 : 0);
	p32(i + FS_I_GID, 0);
	p64(i + FS_I_SB, va(sbo));
	p64(i + FS_I_MAPPING, as ? va(as) : 0);
	p64(i + FS_I_INO, ino);
	p32(i + FS_I_NLINK, (mode & 0170000) == 0040000 ? 2 : 1);
	p64(i + FS_I_SIZE, size);
	p64(i + FS_I_BLOCKS, (size + 511) / 512);
	if (v611) {
		p64(i + 56, 1700000000);     /* i_atime_sec */
		p64(i + 64, 1700000100);     /* i_mtime_sec */
		p64(i + 72, 1700000200);     /* i_ctime_sec */
		p32(i + 84, 123456789);      /* i_mtime_nsec */
	} else {
		p64(i + FS_I_ATIME, 1700000000);
		p64(i + FS_I_MTIME, 1700000100);
		p64(i + FS_I_MTIME + 8, 123456789);
		p64(i + FS_I_CTIME, 1700000200);
	}
}

/* The whole tree into image (IMG_LEN bytes, guest PA 0 = DM); six11: the 6.11 shapes. */
static void fst_build(uint8_t *image, int six11)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home:/bin/sh\n";
	const uint32_t root_kids[] = { D_ETC, D_TMP, D_L, D_BIG }, etc_kids[] = { D_PASSWD };
	const uint32_t troot_kids[] = { D_X };

	img = image;
	v611 = six11;
	memset(img, 0, IMG_LEN);
	p64(MS, va(ROOT));                 /* mem_section roots: root 0 */
	p64(ROOT, VMEMMAP | 3);            /* section 0: present, has a mem_map */
	task(T0, 0, "swapper/0", T1, T1);
	task(T1, 1, "init", T0, T0);
	p64(FSS + FS_FSS_ROOT, va(MNT + FS_MNT_MNT));
	p64(FSS + FS_FSS_ROOT + 8, va(D_ROOT));
	p64(NSP + FS_NSP_MNT_NS, va(NS));
	mount(MNT, MNT, D_ROOT, D_ROOT, SB);
	mount(MNT2, MNT, D_TMP, D_TROOT, SB2);
	if (v611) { /* rb-tree: MNT with MNT2 as its right child */
		p64(NS + FS_NS_LIST, va(MNT + FS_MNT_LIST));
		p64(MNT + FS_MNT_LIST + 8, va(MNT2 + FS_MNT_LIST));
	} else {    /* ring: NS.list -> MNT -> MNT2 -> NS.list */
		p64(NS + FS_NS_LIST, va(MNT + FS_MNT_LIST));
		p64(NS + FS_NS_LIST + 8, va(MNT2 + FS_MNT_LIST));
		p64(MNT + FS_MNT_LIST, va(MNT2 + FS_MNT_LIST));
		p64(MNT + FS_MNT_LIST + 8, va(NS + FS_NS_LIST));
		p64(MNT2 + FS_MNT_LIST, va(NS + FS_NS_LIST));
		p64(MNT2 + FS_MNT_LIST + 8, va(MNT + FS_MNT_LIST));
	}
	sb(SB, 0x858458f6u, FST, STR, "rootfs");
	sb(SB2, 0x01021994u, FST2, STR + 16, "tmpfs");
	dentry(D_ROOT, D_ROOT, "/", I_ROOT, SB, 0, 0);
	dentry(D_ETC, D_ROOT, "etc", I_ETC, SB, 0, 0);
	dentry(D_PASSWD, D_ETC, "passwd", I_PASSWD, SB, 0, STR + 32); /* external name */
	dentry(D_TMP, D_ROOT, "tmp", I_TMP, SB, 0x00010000u, 0);       /* DCACHE_MOUNTED */
	dentry(D_TROOT, D_TROOT, "/", I_TROOT, SB2, 0, 0);
	dentry(D_X, D_TROOT, "x", I_X, SB2, 0, 0);
	dentry(D_L, D_ROOT, "l", I_L, SB, 0, 0);
	dentry(D_BIG, D_ROOT, "big", I_BIG, SB, 0, 0);
	children(D_ROOT, root_kids, 4);
	children(D_ETC, etc_kids, 1);
	children(D_TROOT, troot_kids, 1);
	inode(I_ROOT, 0040755, 0, SB, 0, 1);
	inode(I_ETC, 0040755, 0, SB, 0, 2);
	inode(I_PASSWD, 0100644, sizeof(passwd) - 1, SB, AS_PASSWD, 3);
	inode(I_TMP, 0041777, 0, SB, 0, 4);
	inode(I_TROOT, 0041777, 0, SB2, 0, 1);
	inode(I_X, 0120777, 11, SB2, AS_X, 2);     /* target in page 0 of its page cache */
	inode(I_L, 0120777, 10, SB, 0, 5);         /* shmem-style inline target */
	p64(I_L + FS_I_LINK, va(STR + 48));
	memcpy(img + STR + 48, "etc/passwd", 11);
	inode(I_BIG, 0104755, 3 * 4096 + 100, SB, AS_BIG, 6);
	memcpy(img + PG_PASSWD, passwd, sizeof(passwd) - 1);
	p64(AS_PASSWD + FS_AS_PAGES + 8, page_of(PG_PASSWD)); /* one page: the head is the entry */
	p64(AS_PASSWD + FS_AS_NRPAGES, 1);
	memcpy(img + PG_X, "/etc/passwd", 11);
	p64(AS_X + FS_AS_PAGES + 8, page_of(PG_X));
	p64(AS_X + FS_AS_NRPAGES, 1);
	/* big: a leaf node; page 0 and 1 resident, 2 a hole, 3 a value (swap) entry */
	p64(AS_BIG + FS_AS_PAGES + 8, va(XA_BIG) | 2);
	p64(AS_BIG + FS_AS_NRPAGES, 2);
	img[XA_BIG + FS_XA_SHIFT] = 0;
	p64(XA_BIG + FS_XA_SLOTS, page_of(PG_BIG0));
	p64(XA_BIG + FS_XA_SLOTS + 8, page_of(PG_BIG1));
	p64(XA_BIG + FS_XA_SLOTS + 24, 0x1235);
	memset(img + PG_BIG0, 'A', 4096);
	memset(img + PG_BIG1, 'B', 4096);
}

#endif
