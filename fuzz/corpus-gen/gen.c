/* gen.c — writes small seed inputs for every fuzz target (valid structures the fuzzer then breaks):
 * VMCOREINFO texts, ELF cores, kallsyms tables, BTF blobs, page tables, kernel object graphs,
 * frames, rules, policies and daemon input. Usage: gen OUTDIR (creates OUTDIR/<target>/seed-N). */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>

#include "kbtf.h"
#include "net/decode.h"
#include "util/bytes.h"
#include "../tests/unit/net/frames.h"

static const char *outdir;
static unsigned seq;

static void emit(const char *target, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%03u", outdir, target, seq++);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

void seeds_fs(void (*emit)(const char *, const void *, size_t)); /* gen_fs.c */

static void emit_str(const char *target, const char *s)
{
	emit(target, s, strlen(s));
}

static const char vmci_x86[] =
	"OSRELEASE=6.1.0-13-amd64\nBUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
	"PAGESIZE=4096\nSYMBOL(init_uts_ns)=ffffffff82a12340\nOFFSET(uts_namespace.name)=0\n"
	"SYMBOL(node_online_map)=ffffffff82b0c000\nSYMBOL(swapper_pg_dir)=ffffffff82a0a000\n"
	"SYMBOL(_stext)=ffffffff81000000\nSYMBOL(kallsyms_names)=ffffffff82300000\n"
	"SYMBOL(kallsyms_num_syms)=ffffffff822ff000\nSYMBOL(kallsyms_token_table)=ffffffff82400000\n"
	"SYMBOL(kallsyms_token_index)=ffffffff82401000\nSYMBOL(kallsyms_offsets)=ffffffff82200000\n"
	"SYMBOL(kallsyms_relative_base)=ffffffff822fe000\nOFFSET(list_head.next)=0\nSIZE(page)=64\n"
	"LENGTH(mem_section)=1024\nNUMBER(phys_base)=-1073741824\nNUMBER(pgtable_l5_enabled)=1\n"
	"KERNELOFFSET=2a600000\nSYMBOL(init_top_pgt)=ffffffff82a0a000\nCRASHTIME=1700000000\n";
static const char vmci_arm[] =
	"OSRELEASE=6.1.0-13-cloud-arm64\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffff80000a1c2000\n"
	"NUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xffff7fffc8000000\nNUMBER(PHYS_OFFSET)=0x40000000\n"
	"KERNELOFFSET=0\nNUMBER(TCR_EL1_T1SZ)=16\n";

static void seeds_vmcoreinfo(void)
{
	static uint8_t ram[3 * 4096];
	/* the vmcoreinfo_note layout: ELF note header (namesz 11, descsz, type 0) + "VMCOREINFO\0\0" */
	uint8_t *n = ram + 4096;

	emit_str("fuzz_vmcoreinfo", vmci_x86);
	emit_str("fuzz_vmcoreinfo", vmci_arm);
	emit_str("fuzz_vmcoreinfo", "OSRELEASE=%s\nOSRELEASE=5.10.0\nPAGESIZE=65536\nA=B=C\n\n=\n");
	memset(ram, 0, sizeof(ram));
	memcpy(ram, vmci_arm, sizeof(vmci_arm) - 1);
	xv_put_le32(n, 11);
	xv_put_le32(n + 4, sizeof(vmci_x86) - 1);
	xv_put_le32(n + 8, 0);
	memcpy(n + 12, "VMCOREINFO", 10);
	memcpy(n + 24, vmci_x86, sizeof(vmci_x86) - 1);
	ram[0] = 'O'; /* first byte also selects the page scan (odd) */
	emit("fuzz_vmcoreinfo", ram, sizeof(ram));
	ram[0] = 'N';
	emit("fuzz_vmcoreinfo", ram, sizeof(ram));
}

/* An ELF64 core: PT_NOTE with a VMCOREINFO note, and two PT_LOAD segments of 64 bytes. */
static void seeds_elf(void)
{
	uint8_t b[1024];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	uint16_t machines[] = { EM_X86_64, EM_AARCH64 };

	for (int m = 0; m < 2; m++) {
		memset(b, 0, sizeof(b));
		memcpy(eh->e_ident, ELFMAG, SELFMAG);
		eh->e_ident[EI_CLASS] = ELFCLASS64;
		eh->e_ident[EI_DATA] = ELFDATA2LSB;
		eh->e_ident[EI_VERSION] = EV_CURRENT;
		eh->e_type = ET_CORE;
		eh->e_machine = machines[m];
		eh->e_version = EV_CURRENT;
		eh->e_phoff = sizeof(*eh);
		eh->e_ehsize = sizeof(*eh);
		eh->e_phentsize = sizeof(Elf64_Phdr);
		eh->e_phnum = 3;
		Elf64_Phdr *ph = (Elf64_Phdr *)(b + sizeof(*eh));
		size_t off = sizeof(*eh) + 3 * sizeof(Elf64_Phdr);
		const char *text = m ? vmci_arm : "OSRELEASE=6.1.0\nPAGESIZE=4096\n";
		uint32_t tl = (uint32_t)strlen(text);
		uint8_t *note = b + off;

		xv_put_le32(note, 11);
		xv_put_le32(note + 4, tl);
		xv_put_le32(note + 8, 0);
		memcpy(note + 12, "VMCOREINFO", 11);
		memcpy(note + 24, text, tl);
		ph[0].p_type = PT_NOTE;
		ph[0].p_offset = off;
		ph[0].p_filesz = 24 + ((tl + 3) & ~3u);
		off += ph[0].p_filesz;
		for (int i = 1; i < 3; i++) {
			ph[i].p_type = PT_LOAD;
			ph[i].p_offset = off;
			ph[i].p_paddr = (m ? 0x40000000ull : 0) + (uint64_t)(i - 1) * 0x1000;
			ph[i].p_vaddr = 0;
			ph[i].p_filesz = ph[i].p_memsz = 64;
			memset(b + off, 0x11 * i, 64);
			off += 64;
		}
		emit("fuzz_elf", b, off);
	}
}

/* kallsyms: one-char tokens, base-relative offsets. Header as fuzz_kallsyms.c reads it. */
static void seeds_kallsyms(void)
{
	static const struct {
		const char *name;
		char type;
		uint32_t off;
	} syms[] = { { "_stext", 'T', 0 }, { "start_kernel", 'T', 0x100 }, { "do_fork", 't', 0x240 },
		     { "init_task", 'D', 0x200000 }, { "modules", 'd', 0x200800 } };
	const size_t n = sizeof(syms) / sizeof(syms[0]);
	static uint8_t img[4096];
	uint8_t hdr[1 + 7 * 4 + 8];
	size_t pos = 0;
	uint32_t o_offsets, o_base, o_num, o_names, o_ttab, o_tidx;
	uint64_t base = 0xffffffff81000000ull;

	for (int abs = 0; abs < 2; abs++) {
		memset(img, 0, sizeof(img));
		pos = 0;
		o_offsets = 0;
		for (size_t i = 0; i < n; i++, pos += 4)
			xv_put_le32(img + pos, abs ? (uint32_t)(-(int32_t)syms[i].off - 1) : syms[i].off);
		pos = (pos + 7) & ~(size_t)7;
		o_base = (uint32_t)pos;
		xv_put_le64(img + pos, base);
		pos += 8;
		o_num = (uint32_t)pos;
		xv_put_le32(img + pos, (uint32_t)n);
		pos += 8;
		o_names = (uint32_t)pos;
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(syms[i].name) + 1;

			img[pos++] = (uint8_t)l;
			img[pos++] = (uint8_t)syms[i].type;
			memcpy(img + pos, syms[i].name, l - 1);
			pos += l - 1;
		}
		pos = (pos + 7) & ~(size_t)7;
		o_ttab = (uint32_t)pos;
		uint16_t idx[256];

		for (int c = 0; c < 256; c++) {
			idx[c] = (uint16_t)(pos - o_ttab);
			img[pos++] = (c >= 0x21 && c < 0x7f) ? (uint8_t)c : '?';
			img[pos++] = 0;
		}
		pos = (pos + 7) & ~(size_t)7;
		o_tidx = (uint32_t)pos;
		for (int c = 0; c < 256; c++, pos += 2)
			xv_put_le16(img + pos, idx[c]);
		hdr[0] = abs ? 1 : 2; /* percpu: absolute / relative */
		uint32_t f[7] = { o_num, o_names, o_ttab, o_tidx, o_offsets, o_base, UINT32_MAX };

		for (int i = 0; i < 7; i++)
			xv_put_le32(hdr + 1 + 4 * i, f[i]);
		xv_put_le64(hdr + 29, base);
		uint8_t *seed = malloc(sizeof(hdr) + pos);

		memcpy(seed, hdr, sizeof(hdr));
		memcpy(seed + sizeof(hdr), img, pos);
		emit("fuzz_kallsyms", seed, sizeof(hdr) + pos);
		seed[0] |= 4; /* with _stext checked */
		emit("fuzz_kallsyms", seed, sizeof(hdr) + pos);
		free(seed);
	}
	emit_str("fuzz_kallsyms", "\x80" "ffffffff81000000 T _stext\nffffffff81000100 t do_fork\n"
				  "ffffffff82000000 D init_task\nffffffff82000000 D init_task\nbad line\n"
				  "0000000000000000 A fixed_percpu_data\n");
}

static void seeds_btf(void)
{
	struct btf *b = kbtf_build(NULL, NULL);
	uint32_t sz;
	const void *raw = btf__raw_data(b, &sz);
	uint8_t *seed = calloc(1, sz + 8192);

	seed[0] = 0; /* mode: raw BTF */
	memcpy(seed + 1, raw, sz);
	emit("fuzz_btf", seed, 1 + sz);
	memset(seed, 0, sz + 8192);
	seed[0] = 1 | 4; /* mode: carve, image range given */
	memcpy(seed + 1 + 4096, raw, sz);
	emit("fuzz_btf", seed, 1 + 4096 + sz + 64);
	seed[0] = 1 | 2 | 4;
	emit("fuzz_btf", seed, 1 + 4096 + sz + 64);
	free(seed);
	btf__free(b);
}

/* Page tables: x86-64 4-level mapping 3 pages; aarch64 48-bit (4 levels) and 39-bit (3 levels). */
static void seeds_vat(void)
{
	static uint8_t s[1 + 4 + 32 + 8 * 4096];
	uint8_t *ram = s + 37;
	uint64_t va = 0xffff888000001000ull, arm48 = 0xffff800008000000ull, arm39 = 0xffffffc008000000ull;

	/* x86-64: root page 0; PML4[273] -> 1, PDPT[0] -> 2, PD[0] -> 3, PT[1] -> page 4; PD[1]: 2M */
	memset(s, 0, sizeof(s));
	s[0] = 0;
	xv_put_le32(s + 1, 0);
	xv_put_le64(s + 5, va);
	xv_put_le64(s + 13, va + 0x400000);
	xv_put_le64(s + 21, va + 0x200000 + 0x1234);
	xv_put_le64(s + 29, 0xffffffff81000000ull);
	xv_put_le64(ram + 273 * 8, 0x1000 | 3);
	xv_put_le64(ram + 0x1000, 0x2000 | 3);
	xv_put_le64(ram + 0x2000, 0x3000 | 3);
	xv_put_le64(ram + 0x2000 + 8, 0x200000 | 0x83);
	xv_put_le64(ram + 0x3000 + 8, 0x4000 | 3);
	xv_put_le64(ram + 0x3000 + 16, 0x5000 | 3 | (1ull << 63));
	emit("fuzz_vat", s, sizeof(s));
	s[0] = 2; /* 5 levels: the same tables one level deeper is garbage, still a fine seed */
	emit("fuzz_vat", s, sizeof(s));
	/* aarch64 48-bit: L0[256] -> L1 -> L2 -> L3; table desc 3, page desc 3 | AF(1<<10) */
	for (int bits = 0; bits < 2; bits++) {
		uint64_t b = 0x40000000ull, v = bits ? arm48 : arm39;
		unsigned l0 = bits ? (unsigned)((v >> 39) & 511) : 0;

		memset(s, 0, sizeof(s));
		s[0] = (uint8_t)(1 | (bits ? 2 : 0));
		xv_put_le64(s + 5, v);
		xv_put_le64(s + 13, v + 0x400000);
		xv_put_le64(s + 21, v + 0x1008);
		xv_put_le64(s + 29, v + 0x200000);
		uint64_t t = 0;

		if (bits) {
			xv_put_le64(ram + l0 * 8, (b + 0x1000) | 3);
			t = 0x1000;
		}
		xv_put_le64(ram + t + ((v >> 30) & 511) * 8, (b + t + 0x1000) | 3);
		t += 0x1000;
		xv_put_le64(ram + t + ((v >> 21) & 511) * 8, (b + t + 0x1000) | 3);
		xv_put_le64(ram + t + (((v >> 21) & 511) + 1) * 8, (b + 0x200000) | 1 | (1 << 10));
		t += 0x1000;
		xv_put_le64(ram + t + ((v >> 12) & 511) * 8, (b + 0x6000) | 3 | (1 << 10));
		xv_put_le64(ram + t + (((v >> 12) & 511) + 1) * 8, (b + 0x7000) | 3 | (1 << 10));
		emit("fuzz_vat", s, sizeof(s));
	}
}

/* Kernel objects for fuzz_walk: header (mode, 8 x u16 object offsets) then the image at PA 0. */
#define DM 0xffff888000000000ull
static void seeds_walk(void)
{
	static uint8_t s[17 + 0x4000];
	uint8_t *img = s + 17;
	const uint32_t T0 = 0x100, T1 = 0x300, T2 = 0x500, CRED = 0x700, MM = 0x780, FILE_ = 0x7c0;
	const uint32_t MNT = 0x800, D_ROOT = 0x900, D_BIN = 0x980, D_SH = 0xa00, NAMES = 0xb00;

	memset(s, 0, sizeof(s));
	/* three tasks on a ring through tasks (offset 32) */
	uint32_t t[3] = { T0, T1, T2 };

	for (int i = 0; i < 3; i++) {
		uint32_t o = t[i];

		xv_put_le32(img + o + 8, (uint32_t)i);
		xv_put_le32(img + o + 12, (uint32_t)i);
		memcpy(img + o + 16, i ? "sh" : "swapper/0", i ? 2 : 9);
		xv_put_le64(img + o + 32, DM + t[(i + 1) % 3] + 32);
		xv_put_le64(img + o + 40, DM + t[(i + 2) % 3] + 32);
		xv_put_le64(img + o + 48, DM + T0);
		xv_put_le64(img + o + 56, i ? DM + MM : 0);
		xv_put_le64(img + o + 64, DM + CRED);
		xv_put_le64(img + o + 72, DM + CRED);
	}
	xv_put_le32(img + CRED, 1000);
	xv_put_le64(img + MM + 8, DM + FILE_);
	xv_put_le64(img + FILE_ + 16, DM + MNT + 16);
	xv_put_le64(img + FILE_ + 24, DM + D_SH);
	xv_put_le64(img + MNT, DM + MNT);                 /* mnt_parent: itself (the root mount) */
	xv_put_le64(img + MNT + 16, DM + D_ROOT);         /* mnt.mnt_root */
	xv_put_le64(img + D_ROOT + 16, DM + D_ROOT);
	xv_put_le64(img + D_BIN + 16, DM + D_ROOT);
	xv_put_le64(img + D_BIN + 8, DM + 0x10);          /* hashed */
	xv_put_le32(img + D_BIN + 28, 3);
	xv_put_le64(img + D_BIN + 32, DM + NAMES);
	xv_put_le64(img + D_SH + 16, DM + D_BIN);
	xv_put_le32(img + D_SH + 28, 2);
	xv_put_le64(img + D_SH + 32, DM + NAMES + 8);
	memcpy(img + NAMES, "bin", 3);
	memcpy(img + NAMES + 8, "sh", 2);
	uint16_t objs[8] = { T0, T0 + 32, 0x1000, 0, 0, 0, 0, 0 };

	/* mode 0: list + hlist (hlist head at 0x1000 -> T1 -> T2) */
	xv_put_le64(img + 0x1000, DM + T1);
	xv_put_le64(img + T1, DM + T2);
	for (int i = 0; i < 8; i++)
		xv_put_le16(s + 1 + 2 * i, objs[i]);
	s[0] = 0;
	emit("fuzz_walk", s, sizeof(s));
	/* mode 6: task_read(T1), path_resolve(MNT.mnt, D_SH), task_list from T0 */
	uint16_t o6[8] = { T0, T1, MNT + 16, D_SH, 0, 0, 0, 0 };

	for (int i = 0; i < 8; i++)
		xv_put_le16(s + 1 + 2 * i, o6[i]);
	s[0] = 6;
	emit("fuzz_walk", s, sizeof(s));
	s[0] = 7; /* the same with BTF overrides read from the image bytes */
	emit("fuzz_walk", s, sizeof(s));
	/* mode 2: module list head at 0x2000, modules at 0x2100, 0x2300 (list at 8, name at 24) */
	memset(s, 0, sizeof(s));
	uint32_t mh = 0x2000, m[2] = { 0x2100, 0x2300 };

	xv_put_le64(img + mh, DM + m[0] + 8);
	xv_put_le64(img + mh + 8, DM + m[1] + 8);
	xv_put_le64(img + m[0] + 8, DM + m[1] + 8);
	xv_put_le64(img + m[0] + 16, DM + mh);
	xv_put_le64(img + m[1] + 8, DM + mh);
	xv_put_le64(img + m[1] + 16, DM + m[0] + 8);
	for (int i = 0; i < 2; i++) {
		memcpy(img + m[i] + 24, i ? "virtio_net" : "dummy", i ? 10 : 5);
		xv_put_le64(img + m[i] + 80 + 8, DM + m[i]);
		xv_put_le64(img + m[i] + 112, 0xffffffffc0000000ull + 0x10000ull * i);
		xv_put_le32(img + m[i] + 120, 0x3000);
		xv_put_le32(img + m[i] + 104, 1);
	}
	uint16_t o2[8] = { 0, mh, m[1], 0, 0, 0, 0, 0 };

	for (int i = 0; i < 8; i++)
		xv_put_le16(s + 1 + 2 * i, o2[i]);
	s[0] = 2;
	emit("fuzz_walk", s, sizeof(s));
	/* mode 4: xarray at 0x3000 -> node (shift 0) at 0x3100 with entries in slots 0, 5, 63 */
	memset(s, 0, sizeof(s));
	xv_put_le64(img + 0x3000 + 8, DM + 0x3100 + 2); /* internal entry: node | 2 */
	img[0x3100] = 0;
	img[0x3100 + 2] = 3;
	xv_put_le64(img + 0x3100 + 8, 0);
	xv_put_le64(img + 0x3100 + 16, DM + 0x3000);
	xv_put_le64(img + 0x3100 + 40, DM + 0x100);
	xv_put_le64(img + 0x3100 + 40 + 5 * 8, DM + 0x200);
	xv_put_le64(img + 0x3100 + 40 + 63 * 8, 0x15); /* a value entry */
	uint16_t o4[8] = { 0, 0x3000, 0, 0, 0, 0, 0, 0 };

	for (int i = 0; i < 8; i++)
		xv_put_le16(s + 1 + 2 * i, o4[i]);
	s[0] = 4;
	emit("fuzz_walk", s, sizeof(s));
}

static void put_rec(uint8_t *b, size_t *pos, const uint8_t *f, uint32_t len, uint8_t dt)
{
	xv_put_le16(b + *pos, (uint16_t)len);
	b[*pos + 2] = dt;
	memcpy(b + *pos + 3, f, len);
	*pos += 3 + len;
}

static void seeds_net(void)
{
	static uint8_t b[8192];
	uint8_t f[512];
	size_t pos = 0;
	uint32_t l, cl = IP4(192, 168, 1, 5), sv = IP4(10, 0, 0, 2);

	l = tcp4_frame(f, MAC_EVIL, MAC_B, cl, 40000, sv, 2001, XV_TCP_SYN, NULL);
	put_rec(b, &pos, f, l, 0);
	l = tcp4_frame(f, MAC_B, MAC_EVIL, sv, 2001, cl, 40000, XV_TCP_SYN | XV_TCP_ACK, NULL);
	put_rec(b, &pos, f, l, 0);
	l = tcp4_frame(f, MAC_EVIL, MAC_B, cl, 40000, sv, 80, XV_TCP_ACK | XV_TCP_PSH,
		       "GET /etc/passwd HTTP/1.0\r\n\r\n");
	put_rec(b, &pos, f, l, 1);
	l = udp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 9), 5353, sv, 53, "xxabcxx");
	put_rec(b, &pos, f, l, 0);
	l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	put_rec(b, &pos, f, l, 0);
	l = arp_frame(f, MAC_EVIL, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	put_rec(b, &pos, f, l, 0);
	emit("fuzz_net", b, pos);
	/* a port scan: SYNs to 8 ports, and a VLAN-tagged copy */
	pos = 0;
	for (uint16_t p = 20; p < 28; p++) {
		l = tcp4_frame(f, MAC_EVIL, MAC_B, cl, 40000, sv, p, XV_TCP_SYN, NULL);
		put_rec(b, &pos, f, l, 0);
	}
	l = tcp4_frame(f + 4, MAC_EVIL, MAC_B, cl, 1, sv, 6666, XV_TCP_SYN, NULL);
	memmove(f, f + 4, 12);
	f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 0x05;
	put_rec(b, &pos, f, l + 4, 3);
	emit("fuzz_net", b, pos);
	/* IPv6 UDP and ICMPv6 echo */
	pos = 0;
	memset(f, 0, sizeof(f));
	l = eth(f, MAC_A, MAC_B, 0x86dd);
	f[l] = 0x60;
	xv_put_le16(f + l + 4, 0x0c00); /* payload length 12, big-endian */
	f[l + 6] = 17;
	f[l + 7] = 64;
	f[l + 8] = 0xfd;
	f[l + 24] = 0xfd;
	f[l + 39] = 1;
	f[l + 41] = 53;
	f[l + 43] = 53;
	f[l + 45] = 12;
	put_rec(b, &pos, f, l + 40 + 12, 0);
	f[l + 6] = 58;
	f[l + 40] = 128;
	put_rec(b, &pos, f, l + 40 + 12, 0);
	emit("fuzz_net", b, pos);
}

static void seeds_text(void)
{
	emit_str("fuzz_rules", "HOME_NET [10.0.0.0/8,192.168.0.0/16]\n"
			       "alert tcp $HOME_NET any -> $EXTERNAL_NET [80,443,8000:8080] (msg:\"web\"; sid:2; rev:3;)\n"
			       "drop udp !10.0.0.0/8 :1023 -> [10.1.0.0/16,!10.1.2.0/24] 1024: (sid:3;)\n");
	emit_str("fuzz_rules", "HTTP_PORTS [80,8080]\n"
			       "alert tcp any any -> any 80 (content:\"GET\"; offset:0; depth:3; content:\"|2f 65 74 63|\"; nocase; sid:7;)\n"
			       "alert tcp any any -> any any (msg:\"semi\\; colon \\\"quoted\\\"\"; content:\"a\\;b\"; sid:8;)\n"
			       "alert tcp any any -> any 22 (flow:to_server,established; threshold: type limit, track by_src, count 1, seconds 60; sid:9;)\n"
			       "alert tcp any any -> any $HTTP_PORTS (flags:+SA; sid:13;)\n");
	emit_str("fuzz_rules", "X 1\npass ip any any <> fd00::/8 any (msg:\"v6 ok\"; sid:4;)\n"
			       "alert tcp any any -> any 22 (detection_filter: track by_dst, count 5, seconds 10; classtype:attempted-admin; priority:1; reference:url,example.org; metadata:a b; sid:10;)\n"
			       "alert tcp any any -> any ![22,80] (content:!\"benign\"; flags:S,12; sid:12;)\n");
	emit_str("fuzz_policy", "# processes\nprocess allow comm=sshd exe=/usr/sbin/sshd uid=0\n"
				"process deny exe=\"/tmp/*\"\nkthread allow comm=\"kworker/*\"\n"
				"module allow name=virtio_net\nmodule deny name=xvrk\n"
				"file expect path=/etc/passwd mode=0644 owner=0\ntree include path=/usr/bin\n"
				"tree exclude path=\"/tmp/a \\\"b\\\"\"\n");
	emit_str("fuzz_policy", "process expect comm=init pid=1\nmodule expect name=dummy\n"
				"file deny path=/root/.ssh/authorized_keys\n");
	emit_str("fuzz_daemon", "\0listen 127.0.0.1:2323\npassword-file /etc/xvidsd/passwd\n"
				"vm web ram:/tmp/x.ram@0x40000000\nvm db qmp:/run/db.qmp\npolicy web /etc/p\n"
				"watch pchk web every 10s\nmax-clients 8\nmax-line 1024\nidle-timeout 5m\n"
				"syslog udp:127.0.0.1:514\nsyslog-facility local3\neve /var/log/eve.json\n"
				"switch-port tap0\nlogin-delay-ms 100\nvm-check 2\nrules /etc/r.rules\nhome-net 10.0.0.0/8\nsandbox off\n");
	/* telnet bytes: capacity byte, then CR LF, CR NUL, backspace over UTF-8, ^C, ^U, ^D */
	static const char tel[] = "\1\x20ps --json\r\n" "ls \"/a b\" 'c'\r\0" "x\xc3\xa9\x7f\x7f\r\n"
				  "abc\x03" "def\x15" "pchk web\n\x04";
	emit("fuzz_daemon", tel, sizeof(tel) - 1);
	emit_str("fuzz_daemon", "\2[::1]:2323");
	emit_str("fuzz_daemon", "\2web=dump:/tmp/x.elf");
}

/* fuzz_telnet: mode byte, then records (u8 length, bytes the client sends in one write; 0: a pass
 * of the poll loop without input, which ends a login delay). */
static void tel_rec(uint8_t *b, size_t *n, const char *s, size_t len)
{
	b[(*n)++] = (uint8_t)len;
	memcpy(b + *n, s, len);
	*n += len;
}

#define TEL(s) tel_rec(b, &n, s, sizeof(s) - 1)
static void seeds_telnet(void)
{
	static uint8_t b[4096];
	size_t n = 0;

	/* no password: the client's side of the negotiation, then daemon and guest commands */
	b[n++] = 0;
	TEL("\xff\xfd\x01\xff\xfd\x03\xff\xfb\x1f"); /* DO ECHO, DO SGA, WILL NAWS */
	TEL("\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0"); /* SB NAWS 80x24 SE */
	TEL("help\r\n");
	TEL("help ls\r\nvm list -j\r\nvm info web\r\n");
	TEL("status\r\nalerts 5\r\nalerts -j\r\n");
	TEL("watch pchk web every 10s\r\nwatch list -j\r\nwatch del 1\r\n");
	TEL("ps web\r\nls web -R /\r\nls --eve=/tmp/x web\r\ncat web /etc/passwd\r\n");
	TEL("net\r\nbaseline web --learn 1\r\nfind web / -name '*.sh'\r\n\"unbalanced\r\n");
	TEL("pchk web -j --policy=/etc/x\r\nx\xc3\xa9\x7f\x7f\r\nabc\x03quit\r\n");
	emit("fuzz_telnet", b, n);
	/* a password: a wrong one, the delay, typed-ahead input, the right one */
	n = 0;
	b[n++] = 1;
	TEL("\xff\xfd\x01");
	TEL("guess\r\nhunter2\r\n");
	TEL("");
	TEL("");
	TEL("status\r\n\xff\xf4help\r\n"); /* IAC IP acts like ^C */
	TEL("exit\r\n");
	emit("fuzz_telnet", b, n);
	/* too many wrong passwords; short lines */
	n = 0;
	b[n++] = 3;
	TEL("a\r\n");
	TEL("");
	TEL("0123456789012345678901234567890123456789\r\n");
	TEL("");
	TEL("b\r\n");
	TEL("");
	TEL("c\r\n");
	emit("fuzz_telnet", b, n);
	/* broken protocol: a subnegotiation that never ends, IAC EOF, ^D */
	n = 0;
	b[n++] = 2;
	TEL("help\r\0\xff\xff\r\n\xff\xfa\x18\x01");
	TEL("\x04");
	TEL("\xff\xecls\r\n");
	emit("fuzz_telnet", b, n);
}

/* fuzz_fchk: mode byte (0 policy, 2 policy and baseline, 1 string list), text; the guest is
 * fuzz/fstree.h (/etc/passwd 62 bytes, /big set-uid and sparse, /l -> etc/passwd, /tmp/x). */
static void seeds_fchk(void)
{
	static const char *const texts[] = {
		"\0tree include path=/ attrs=all\ntree exclude path=/tmp\n"
		"file expect path=/etc/passwd type=file mode=0644 uid=0 gid=0 size=62 mtime=1700000100 "
		"sha256=64c96bc59818ef4e58cf63c64b844edeb79ecb98d88b4f3a783807347fbc713d\n"
		"file expect path=/etc type=dir mode=0755 uid=0 gid=0\n"
		"file expect path=/l type=symlink target=etc/passwd\nfile expect path=/gone type=file\n",
		"\2tree include path=/etc attrs=perms,size+sha256\ntree include path=/ attrs=type\n"
		"tree exclude path=\"*.log\"\nfile expect path=/big mode=4755 nlink=1 inode=6\n",
		"\0file deny path=/* mode=/6000 severity=critical\nfile deny type=symlink target=/etc/*\n"
		"file deny uid=!0 type=file\nfile deny path=/etc/passwd sha256=64c96bc59818ef4e58cf63c64b844edeb79ecb98d88b4f3a783807347fbc713d size=62\n"
		"file deny gid=0 mode=-0002 inode=3 nlink=1\n",
		"\2",
		"\1root:x:0:0\nAAAA\n\xff\xfe\n\r\n\nB\r\n/bin/sh",
		"\1x",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		emit("fuzz_fchk", texts[i], 1 + strlen(texts[i] + 1));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	seeds_vmcoreinfo();
	seeds_elf();
	seeds_kallsyms();
	seeds_btf();
	seeds_vat();
	seeds_walk();
	seeds_net();
	seeds_text();
	seeds_fs(emit);
	seeds_telnet();
	seeds_fchk();
	return 0;
}
