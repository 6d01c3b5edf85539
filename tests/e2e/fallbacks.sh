#!/usr/bin/env bash
# fallbacks.sh — issue 2: a guest whose memory lacks VMCOREINFO, BTF or usable kallsyms gets an error
# that names what is missing and the option that supplies it; with --vmcoreinfo, --btf or
# --system-map (each made independently of xvids) its ps equals the guest's own. A dump without a
# VMCOREINFO note is read through the text in its RAM.
source "$(dirname "$0")/lib.sh"
CACHE="${XVIDS_CACHE:-$HOME/.cache/xvids}"
PY="$ROOT/tests/e2e/fallbacks.py"

block() { sed -n "/==XVIDS-BEGIN $2==/,/==XVIDS-END $2==/p" "$1" | grep -v '==XVIDS-'; }
# expect_error ARCH WHAT SPEC PATTERN [xvids options...] — exit 2 and a message matching PATTERN
expect_error() {
  local arch="$1" what="$2" spec="$3" pat="$4"; shift 4
  local err rc
  err=$("$XVIDS" --vm "$spec" "$@" ps 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 2 ] && grep -qE -- "$pat" <<<"$err"; then
    pass "$arch: $what: exit 2, \"$(head -c 150 <<<"$err")\""
  else
    fail "$arch: $what: exit $rc, \"$err\" (want exit 2 and /$pat/)"
  fi
}
# expect_ps ARCH WHAT SPEC [xvids options...] — ps equals the guest's own (views $d/gps-*)
expect_ps() {
  local arch="$1" what="$2" spec="$3"; shift 3
  local out
  if "$XVIDS" --vm "$spec" "$@" --json ps >"$d/ps.json" 2>"$d/err" &&
     out=$(python3 "$ROOT/tests/e2e/compare.py" ps "$d/gps-before" "$d/gps-after" "$d/ps.json"); then
    pass "$arch: $what: ps equals the guest's own ps (${out#equal: })"
  else
    fail "$arch: $what: $(cat "$d/err") ${out:-}"
  fi
}

for arch in ${E2E_ARCHES:-aarch64 x86_64}; do
  run=$(boot_guest "$arch" clean) || { fail "$arch: guest boots"; continue; }
  E2E_GUESTS+=("$run")
  d="$E2E_TMP/$arch"; mkdir -p "$d"
  base=$(sed -n 's/^ram_base=//p' "$run/info")
  release=$(sed -n 's/^release=//p' "$run/info")

  # One consistent copy of the guest's RAM (paused), and its own ps around it.
  gcmd "$run" xvids-views >"$d/before.txt"
  "$ROOT/guest/qmp" "$run" stop >/dev/null
  cp "$(sed -n 's/^ram=//p' "$run/info")" "$d/ram"
  "$ROOT/guest/qmp" "$run" cont >/dev/null
  "$ROOT/guest/dump" "$run" "$d/dump.elf" >/dev/null 2>&1 || fail "$arch: guest/dump"
  # The guest's own kernel symbols (runtime addresses), for a System.map made without xvids.
  gcmd "$run" 'grep -v "\[" /proc/kallsyms | gzip -c | base64' 180 | base64 -d | gunzip >"$d/kallsyms" ||
    fail "$arch: guest's /proc/kallsyms"
  gcmd "$run" xvids-views >"$d/after.txt"
  block "$d/before.txt" ps >"$d/gps-before"; block "$d/after.txt" ps >"$d/gps-after"
  "$ROOT/guest/stop" "$run" >/dev/null 2>&1

  # --vmcoreinfo: the text of this boot, cut out of the RAM copy by fallbacks.py.
  python3 "$PY" vmcoreinfo "$d/ram" "$release" "$d/vmcoreinfo.txt" || fail "$arch: extract VMCOREINFO"
  python3 "$PY" no-vmcoreinfo "$d/ram" "$d/ram-novmci" >/dev/null || fail "$arch: deface VMCOREINFO"
  expect_error "$arch" "no VMCOREINFO in memory" "ram:$d/ram-novmci@$base" 'no VMCOREINFO.*--vmcoreinfo FILE'
  expect_ps "$arch" "--vmcoreinfo FILE" "ram:$d/ram-novmci@$base" --vmcoreinfo "$d/vmcoreinfo.txt"
  "$XVIDS" --vm "ram:$d/ram-novmci@$base" --vmcoreinfo "$d/vmcoreinfo.txt" info 2>&1 |
    grep -q "from --vmcoreinfo" && pass "$arch: info says VMCOREINFO came from --vmcoreinfo" ||
    fail "$arch: info does not name --vmcoreinfo"
  expect_error "$arch" "--vmcoreinfo of a non-VMCOREINFO file" "ram:$d/ram-novmci@$base" \
    'not a usable VMCOREINFO' --vmcoreinfo /etc/passwd
  # The same kernel booted with another KASLR slide: every kernel address 2 MiB further on.
  python3 - "$d/vmcoreinfo.txt" "$d/vmcoreinfo-other.txt" <<'EOF'
import re, sys
def shift(m):
    v = int(m.group(2), 16)
    return m.group(1) + ("%x" % (v + 0x200000) if v >> 63 or m.group(1) == "KERNELOFFSET=" else m.group(2))
t = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"^(SYMBOL\([^)]*\)=|KERNELOFFSET=)([0-9a-f]+)$", shift, t, flags=re.M))
EOF
  expect_error "$arch" "--vmcoreinfo of another boot" "ram:$d/ram-novmci@$base" \
    'does not describe the kernel' --vmcoreinfo "$d/vmcoreinfo-other.txt"
  expect_error "$arch" "--vmcoreinfo of a missing file" "ram:$d/ram-novmci@$base" \
    '--vmcoreinfo /nonexistent: No such file' --vmcoreinfo /nonexistent

  # --btf: the vmlinux BTF cut out of the kernel image by fallbacks.py; every BTF magic defaced.
  python3 "$PY" btf "$d/ram" "$base" "$d/vmcoreinfo.txt" "$d/vmlinux.btf" >/dev/null || fail "$arch: extract BTF"
  python3 "$PY" no-btf "$d/ram" "$d/ram-nobtf" >/dev/null || fail "$arch: deface BTF"
  expect_error "$arch" "no BTF in memory" "ram:$d/ram-nobtf@$base" 'no usable vmlinux BTF.*--btf FILE'
  expect_ps "$arch" "--btf FILE" "ram:$d/ram-nobtf@$base" --btf "$d/vmlinux.btf"
  "$XVIDS" --vm "ram:$d/ram-nobtf@$base" --btf "$d/vmlinux.btf" info 2>&1 | grep -q "from --btf" &&
    pass "$arch: info says BTF came from --btf" || fail "$arch: info does not name --btf"
  expect_error "$arch" "--btf of a non-BTF file" "ram:$d/ram-nobtf@$base" '--btf /etc/passwd' --btf /etc/passwd

  # --system-map: a System.map (link-time addresses, as `nm vmlinux` prints) made from the guest's
  # /proc/kallsyms minus this boot's KASLR offset; the guest's kallsyms tables made unusable.
  koff=$(sed -n 's/^KERNELOFFSET=//p' "$d/vmcoreinfo.txt")
  python3 - "$d/kallsyms" "$koff" "$d/System.map" "$d/System.map-other" <<'EOF'
import sys
src, koff, out, other = sys.argv[1], int(sys.argv[2], 16), sys.argv[3], sys.argv[4]
with open(out, "w") as f, open(other, "w") as g:
    for l in open(src):
        a, t, n = l.split()[:3]
        a = int(a, 16)
        link = a - koff if a >> 63 else a
        f.write("%016x %s %s\n" % (link, t, n))
        g.write("%016x %s %s\n" % ((link + 0x1000) if a >> 63 else a, t, n))
EOF
  python3 "$PY" no-kallsyms "$d/ram" "$base" "$d/vmcoreinfo.txt" "$d/ram-noks" >/dev/null ||
    fail "$arch: corrupt kallsyms"
  expect_error "$arch" "unusable kallsyms" "ram:$d/ram-noks@$base" 'pass --system-map FILE'
  nmap=$(wc -l <"$d/System.map")
  expect_ps "$arch" "--system-map FILE ($nmap symbols)" "ram:$d/ram-noks@$base" --system-map "$d/System.map"
  "$XVIDS" --vm "ram:$d/ram-noks@$base" --system-map "$d/System.map" --json info >"$d/info-map.json" 2>&1
  python3 - "$d/info-map.json" "$nmap" <<'EOF' && pass "$arch: info: $nmap symbols from --system-map" || fail "$arch: info with --system-map: $(cat "$d/info-map.json")"
import json, sys
i = json.load(open(sys.argv[1]))
flat = json.dumps(i)
sys.exit(0 if "from --system-map" in flat and str(int(sys.argv[2])) in flat else 1)
EOF
  # eval reads a field through a symbol only the map knows the (relocated) address of.
  g=$(grep -m1 ' [Tt] start_kernel$' "$d/kallsyms" | cut -d' ' -f1)
  e=$("$XVIDS" --vm "ram:$d/ram-noks@$base" --system-map "$d/System.map" --json eval start_kernel 2>&1)
  grep -qi "$g" <<<"$e" && pass "$arch: --system-map symbols are relocated by the KASLR offset (start_kernel = 0x$g)" ||
    fail "$arch: eval start_kernel with --system-map: $e (guest: $g)"
  expect_error "$arch" "--system-map of another build" "ram:$d/ram-noks@$base" 'does not fit this kernel' \
    --system-map "$d/System.map-other"
  deb=$(ls "$CACHE/guest/$arch/debs/"linux-image-*.deb 2>/dev/null | head -1)
  if [ -n "$deb" ]; then
    dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './boot/System.map-*' >"$d/System.map-debian"
    expect_error "$arch" "Debian's placeholder System.map" "ram:$d/ram-noks@$base" 'placeholder' \
      --system-map "$d/System.map-debian"
  fi

  # A dump without a VMCOREINFO note (its name defaced): the text in its RAM is used instead.
  python3 - "$d/dump.elf" "$d/dump-nonote.elf" <<'EOF'
import shutil, sys
shutil.copyfile(sys.argv[1], sys.argv[2])
with open(sys.argv[2], "r+b") as f:
    head = f.read(1 << 20)
    pos = head.find(b"VMCOREINFO\0")
    assert pos > 0, "no VMCOREINFO note in the dump"
    f.seek(pos); f.write(b"XMCOREINFO")
EOF
  if "$XVIDS" --vm "dump:$d/dump-nonote.elf" info 2>&1 | grep -q "found in guest RAM"; then
    pass "$arch: dump without a VMCOREINFO note: the text is found in its RAM"
  else
    fail "$arch: dump without note: $("$XVIDS" --vm "dump:$d/dump-nonote.elf" info 2>&1 | head -3)"
  fi
  expect_ps "$arch" "dump without a VMCOREINFO note" "dump:$d/dump-nonote.elf"
  rm -f "$d"/ram*
done
