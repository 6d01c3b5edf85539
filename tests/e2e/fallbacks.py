#!/usr/bin/env python3
"""fallbacks.py — make COPIES of a guest's RAM file that lack what xvids finds on its own, and
extract, independently of xvids, what the user would pass instead (never used on a live guest).

  fallbacks.py vmcoreinfo RAM RELEASE OUT     the VMCOREINFO text of this boot -> OUT
  fallbacks.py no-vmcoreinfo RAM OUT          OUT = RAM with every "OSRELEASE=" defaced
  fallbacks.py btf RAM BASE VMCI OUT          the vmlinux BTF (the largest blob in the kernel image) -> OUT
  fallbacks.py no-btf RAM OUT                 OUT = RAM with every BTF header's magic zeroed
  fallbacks.py no-kallsyms RAM BASE VMCI OUT  OUT = RAM with kallsyms_num_syms = 0xffffffff
"""
import mmap
import re
import shutil
import struct
import sys

BTF_MAGIC = b"\x9f\xeb\x01"  # 0xeB9F little-endian, version 1


def ram(path):
    f = open(path, "rb")
    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def vmcoreinfo(path, release, out):
    m = ram(path)
    key = b"OSRELEASE=" + release.encode() + b"\n"
    pos = m.find(key)
    while pos >= 0:
        end = m.find(b"\0", pos, pos + 65536)
        text = m[pos:end if end > 0 else pos + 65536]
        if b"\nKERNELOFFSET=" in text and b"\nPAGESIZE=" in text:
            open(out, "wb").write(text)
            return 0
        pos = m.find(key, pos + 1)
    print("no complete VMCOREINFO text for %s in %s" % (release, path), file=sys.stderr)
    return 1


def deface(src, out, pattern, repl_at, repl):
    shutil.copyfile(src, out)
    n = 0
    with open(out, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0)
        pos = m.find(pattern)
        while pos >= 0:
            m[pos + repl_at:pos + repl_at + len(repl)] = repl
            n += 1
            pos = m.find(pattern, pos + 1)
        m.flush()
    print("defaced %d occurrences" % n)
    return 0 if n else 1


def btf_blobs(m):
    pos = m.find(BTF_MAGIC)
    while pos >= 0:
        if pos + 24 <= len(m):
            hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<IIIII", m, pos + 4)
            size = hdr_len + str_off + str_len
            if hdr_len == 24 and type_off == 0 and str_off == type_len and 0 < size <= len(m) - pos:
                yield pos, size
        pos = m.find(BTF_MAGIC, pos + 1)


def image_pa(text, va):
    """Physical address of a kernel-image virtual address, from the VMCOREINFO text."""
    voff = re.search(r"^NUMBER\(kimage_voffset\)=(0x[0-9a-f]+)$", text, re.M)
    if voff:  # arm64: kernel image VA = PA + kimage_voffset
        return va - int(voff.group(1), 16)
    # x86-64: __START_KERNEL_map + PA - phys_base
    phys_base = int(re.search(r"^NUMBER\(phys_base\)=(-?[0-9]+)$", text, re.M).group(1))
    return va - 0xffffffff80000000 + phys_base


def symbol_off(text, name, base):
    sym = re.search(r"^SYMBOL\(" + name + r"\)=([0-9a-f]+)$", text, re.M)
    if not sym:
        raise SystemExit("VMCOREINFO names no " + name)
    return image_pa(text, int(sym.group(1), 16)) - int(base, 16)


def btf(path, base, vmci, out):
    # RAM also holds module BTFs and stale partial copies from boot: the vmlinux BTF is the
    # largest blob inside the kernel image (which starts at _stext and spans less than 128 MiB).
    m = ram(path)
    lo = symbol_off(open(vmci).read(), "_stext", base)
    inside = [b for b in btf_blobs(m) if lo <= b[0] < lo + (128 << 20)]
    best = max(inside, key=lambda b: b[1], default=None)
    if not best:
        print("no BTF blob in the kernel image in %s" % path, file=sys.stderr)
        return 1
    open(out, "wb").write(m[best[0]:best[0] + best[1]])
    print("BTF of %d bytes at file offset %#x" % (best[1], best[0]))
    return 0


def no_kallsyms(path, base, vmci, out):
    off = symbol_off(open(vmci).read(), "kallsyms_num_syms", base)
    shutil.copyfile(path, out)
    with open(out, "r+b") as f:
        f.seek(off)
        f.write(struct.pack("<I", 0xffffffff))
    print("kallsyms_num_syms at file offset %#x" % off)
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "vmcoreinfo":
        return vmcoreinfo(*args)
    if cmd == "no-vmcoreinfo":
        return deface(args[0], args[1], b"OSRELEASE=", 8, b"X")
    if cmd == "btf":
        return btf(*args)
    if cmd == "no-btf":
        return deface(args[0], args[1], BTF_MAGIC, 0, b"\0\0")
    if cmd == "no-kallsyms":
        return no_kallsyms(*args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
