/* mem_elf.c — the dump:PATH source: QEMU dump-guest-memory / kdump ELF64 cores, mapped read-only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem_internal.h"
#include "util/bytes.h"
#include "xvids/err.h"

/* ELF constants, spelled out so that guest files are decoded byte by byte, never cast. */
enum {
	EHDR_SIZE = 64,
	PHDR_SIZE = 56,
	SHDR_SIZE = 64,
	ET_CORE_ = 4,
	EM_X86_64_ = 62,
	EM_AARCH64_ = 183,
	PT_LOAD_ = 1,
	PT_NOTE_ = 4,
	PN_XNUM_ = 0xffff,
};

/* A core with more program headers than this is not a guest dump but an attack on our memory. */
#define MAX_PHNUM (1u << 20)
/* Bound the note walk; a QEMU dump has a handful of notes per vCPU. */
#define MAX_NOTES 65536

struct elf_priv {
	struct xv_mem_file f;
};

static void elf_close(struct xv_mem *mem)
{
	struct elf_priv *ep = mem->priv;

	if (ep) {
		xv_mem_unmap_file(&ep->f);
		free(ep);
	}
}

static const struct xv_mem_ops elf_ops = { .close = elf_close };

/* Does [off, off+size) lie inside a file of len bytes (without overflowing)? */
static int in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~(uint64_t)3;
}

static int parse_notes(struct xv_mem *mem, const uint8_t *buf, uint64_t off, uint64_t size,
		       const char *name, unsigned idx)
{
	uint64_t pos = 0;
	unsigned count = 0;

	while (size - pos >= 12) {
		uint32_t namesz = xv_le32(buf + off + pos);
		uint32_t descsz = xv_le32(buf + off + pos + 4);
		uint64_t name_off = pos + 12;
		uint64_t desc_off = name_off + align4(namesz);
		uint64_t next = desc_off + align4(descsz);

		if (++count > MAX_NOTES)
			return xv_err(EINVAL, "%s: note segment %u has more than %d notes", name, idx,
				      MAX_NOTES);
		/* The last note may omit the padding of its descriptor. */
		if (desc_off > size || descsz > size - desc_off)
			return xv_err(EINVAL, "%s: note %u in note segment %u runs past the segment end",
				      name, count, idx);
		if ((namesz == 11 || namesz == 10) &&
		    memcmp(buf + off + name_off, "VMCOREINFO", 10) == 0 &&
		    (namesz == 10 || buf[off + name_off + 10] == '\0')) {
			const char *text = (const char *)buf + off + desc_off;
			size_t tlen = descsz;

			while (tlen > 0 && text[tlen - 1] == '\0')
				tlen--;
			if (!mem->vmcoreinfo) {
				mem->vmcoreinfo = text;
				mem->vmcoreinfo_len = tlen;
			}
		}
		if (next >= size)
			break;
		pos = next;
	}
	return 0;
}

/* Number of program headers, following the PN_XNUM escape into section header 0. */
static int get_phnum(const uint8_t *buf, size_t len, const char *name, uint64_t *phnum)
{
	uint64_t shoff;
	uint16_t shentsize;

	*phnum = xv_le16(buf + 0x38);
	if (*phnum != PN_XNUM_)
		return 0;
	shoff = xv_le64(buf + 0x28);
	shentsize = xv_le16(buf + 0x3a);
	if (shoff == 0 || shentsize < SHDR_SIZE || !in_file(shoff, SHDR_SIZE, len))
		return xv_err(EINVAL, "%s: e_phnum is PN_XNUM but section header 0 (offset 0x%llx) is missing or truncated",
			      name, (unsigned long long)shoff);
	*phnum = xv_le32(buf + shoff + 0x2c);
	return 0;
}

int xv_mem_parse_elf(struct xv_mem *mem, const uint8_t *buf, size_t len, const char *name)
{
	uint64_t phoff, phnum, i, nload = 0;
	uint16_t machine, phentsize;
	int rc;

	if (len >= 8 && (memcmp(buf, "KDUMP   ", 8) == 0 || memcmp(buf, "DISKDUMP", 8) == 0))
		return xv_err(EINVAL, "%s is a compressed kdump file, not ELF: take the dump with dump-guest-memory without a format option (or convert it with makedumpfile -E)",
			      name);
	if (len >= 12 && memcmp(buf, "makedumpfile", 12) == 0)
		return xv_err(EINVAL, "%s is a flattened makedumpfile stream, not ELF: rearrange it with makedumpfile -R",
			      name);
	if (len < 4 || memcmp(buf, "\177ELF", 4) != 0)
		return xv_err(EINVAL, "%s is not an ELF core dump (bad magic)", name);
	if (len < EHDR_SIZE)
		return xv_err(EINVAL, "%s is truncated: %zu bytes, shorter than an ELF header", name, len);
	if (buf[4] != 2)
		return xv_err(EINVAL, "%s is a 32-bit ELF file; only ELF64 guest dumps are supported", name);
	if (buf[5] != 1)
		return xv_err(EINVAL, "%s is a big-endian ELF file; only little-endian guests are supported", name);
	if (xv_le16(buf + 0x10) != ET_CORE_)
		return xv_err(EINVAL, "%s is an ELF file but not a core dump (e_type %u)", name,
			      xv_le16(buf + 0x10));
	machine = xv_le16(buf + 0x12);
	if (machine == EM_AARCH64_)
		mem->arch = XV_MEM_ARCH_AARCH64;
	else if (machine == EM_X86_64_)
		mem->arch = XV_MEM_ARCH_X86_64;
	else
		return xv_err(EINVAL, "%s is a core dump for machine %u; only x86-64 and AArch64 are supported",
			      name, machine);

	phoff = xv_le64(buf + 0x20);
	phentsize = xv_le16(buf + 0x36);
	rc = get_phnum(buf, len, name, &phnum);
	if (rc < 0)
		return rc;
	if (phnum == 0)
		return xv_err(EINVAL, "%s has no program headers, so no memory segments", name);
	if (phnum > MAX_PHNUM)
		return xv_err(EINVAL, "%s claims %llu program headers (at most %u accepted)", name,
			      (unsigned long long)phnum, MAX_PHNUM);
	if (phentsize < PHDR_SIZE)
		return xv_err(EINVAL, "%s: program header size %u is smaller than an ELF64 program header",
			      name, phentsize);
	if (!in_file(phoff, phnum * phentsize, len))
		return xv_err(EINVAL, "%s: %llu program headers at offset 0x%llx run past the end of the file (%zu bytes; truncated?)",
			      name, (unsigned long long)phnum, (unsigned long long)phoff, len);

	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + i * phentsize;
		uint32_t type = xv_le32(ph);
		uint64_t off = xv_le64(ph + 0x08), paddr = xv_le64(ph + 0x18);
		uint64_t filesz = xv_le64(ph + 0x20), memsz = xv_le64(ph + 0x28);
		struct xv_mem_part part;

		if (type == PT_NOTE_) {
			if (!in_file(off, filesz, len))
				return xv_err(EINVAL, "%s: note segment %llu (offset 0x%llx, 0x%llx bytes) runs past the end of the file (truncated?)",
					      name, (unsigned long long)i, (unsigned long long)off,
					      (unsigned long long)filesz);
			rc = parse_notes(mem, buf, off, filesz, name, (unsigned)i);
			if (rc < 0)
				return rc;
			continue;
		}
		if (type != PT_LOAD_)
			continue;
		nload++;
		if (filesz > memsz)
			return xv_err(EINVAL, "%s: segment %llu at physical 0x%llx has p_filesz 0x%llx larger than p_memsz 0x%llx",
				      name, (unsigned long long)i, (unsigned long long)paddr,
				      (unsigned long long)filesz, (unsigned long long)memsz);
		if (!in_file(off, filesz, len))
			return xv_err(EINVAL, "%s: segment %llu at physical 0x%llx (file offset 0x%llx, 0x%llx bytes) runs past the end of the file (%zu bytes; truncated?)",
				      name, (unsigned long long)i, (unsigned long long)paddr,
				      (unsigned long long)off, (unsigned long long)filesz, len);
		if (filesz && paddr + filesz - 1 < paddr)
			return xv_err(EINVAL, "%s: segment %llu at physical 0x%llx wraps the address space",
				      name, (unsigned long long)i, (unsigned long long)paddr);
		/* Bytes beyond p_filesz are not in the file: QEMU writes p_filesz 0 for
		 * mappings of device memory, so they are left out rather than invented as zeros. */
		part = (struct xv_mem_part){ .start = paddr, .size = filesz, .backing = XV_SEG_MAPPED,
					     .data = buf + off };
		rc = xv_mem_add(mem, &part);
		if (rc < 0)
			return xv_err_ctx(rc, "%s: ", name);
	}
	if (nload == 0)
		return xv_err(EINVAL, "%s has no PT_LOAD segments (no guest memory)", name);
	if (mem->n == 0)
		return xv_err(EINVAL, "%s: all %llu PT_LOAD segments are empty (p_filesz 0)", name,
			      (unsigned long long)nload);
	return 0;
}

int xv_mem_open_dump(const char *arg, struct xv_mem *mem)
{
	struct elf_priv *ep;
	int rc;

	if (!*arg)
		return xv_err(EINVAL, "dump source needs a path: dump:PATH");
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return xv_err(ENOMEM, "out of memory opening a dump");
	rc = xv_mem_map_file(arg, &ep->f);
	if (rc < 0) {
		free(ep);
		return rc;
	}
	mem->priv = ep;
	mem->ops = &elf_ops;
	rc = xv_mem_parse_elf(mem, ep->f.base, ep->f.len, arg);
	if (rc < 0)
		return rc;
	/* The segments are slices of the mapped file: let cold reads pread() them instead. */
	for (size_t i = 0; i < mem->n; i++) {
		mem->parts[i].fmap = ep->f.base;
		mem->parts[i].fd = ep->f.fd;
	}
	rc = xv_mem_finish(mem);
	if (rc < 0)
		return xv_err_ctx(rc, "%s: ", arg);
	snprintf(mem->desc, sizeof(mem->desc), "ELF dump %s (%zu segment%s, %s%s)", arg, mem->n,
		 mem->n == 1 ? "" : "s", mem->arch == XV_MEM_ARCH_AARCH64 ? "aarch64" : "x86-64",
		 mem->vmcoreinfo ? ", VMCOREINFO" : "");
	return 0;
}
