#!/usr/bin/env python3
"""patch_dump.py — write a little-endian u64 into a COPY of a QEMU ELF dump at a guest-physical
address (turns a clean dump into hostile memory for tests; never used on a live guest's RAM).

  patch_dump.py DUMP PHYS VALUE     (PHYS and VALUE in hex)
"""
import struct
import sys


def main():
    path, phys, value = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3], 16)
    with open(path, "r+b") as f:
        ehdr = f.read(64)
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _flags, p_offset, _vaddr, p_paddr, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == 1 and p_paddr <= phys and phys + 8 <= p_paddr + p_filesz:
                f.seek(p_offset + phys - p_paddr)
                f.write(struct.pack("<Q", value & (2**64 - 1)))
                return 0
    print("physical address %#x not in any PT_LOAD of %s" % (phys, path), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
