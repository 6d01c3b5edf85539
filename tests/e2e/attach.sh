#!/usr/bin/env bash
# attach.sh — issue 2 end to end: xvids's ps/lsmod/info/eval equal the guest's own view, on both
# architectures, through ram:, qmp: and dump: (with and without paging); bad input fails cleanly.
source "$(dirname "$0")/lib.sh"

block() { # block FILE NAME — the lines between the guest's view markers
  sed -n "/==XVIDS-BEGIN $2==/,/==XVIDS-END $2==/p" "$1" | grep -v '==XVIDS-'
}

for arch in ${E2E_ARCHES:-aarch64 x86_64}; do
  run=$(boot_guest "$arch" clean) || { fail "$arch: guest boots"; continue; }
  E2E_GUESTS+=("$run")
  d="$E2E_TMP/$arch"; mkdir -p "$d"
  ram=$(ram_spec "$run")

  gcmd "$run" xvids-views >"$d/before.txt"
  "$XVIDS" --vm "$ram" --json ps >"$d/ps-ram.json" 2>"$d/err" || fail "$arch: ps via ram: ($(cat "$d/err"))"
  "$XVIDS" --vm "qmp:$run/qmp.sock" --json ps >"$d/ps-qmp.json" 2>"$d/err" || fail "$arch: ps via qmp: ($(cat "$d/err"))"
  "$ROOT/guest/dump" "$run" "$d/dump.elf" >/dev/null 2>&1 || fail "$arch: guest/dump"
  "$ROOT/guest/dump" "$run" "$d/dump-paging.elf" --paging >/dev/null 2>&1 || fail "$arch: guest/dump --paging"
  gcmd "$run" xvids-views >"$d/after.txt"
  block "$d/before.txt" ps >"$d/gps-before"; block "$d/after.txt" ps >"$d/gps-after"
  block "$d/after.txt" modules >"$d/gmodules"
  for src in ram qmp; do
    if out=$(python3 "$ROOT/tests/e2e/compare.py" ps "$d/gps-before" "$d/gps-after" "$d/ps-$src.json"); then
      pass "$arch: ps via $src: equals the guest's own ps (${out#equal: })"
    else
      fail "$arch: ps via $src: differs from the guest's ps"; echo "$out"
    fi
  done
  for dump in dump dump-paging; do
    sha_before=$(sha256sum <"$d/$dump.elf")
    if "$XVIDS" --vm "dump:$d/$dump.elf" --json ps >"$d/ps-$dump.json" 2>"$d/err" &&
       out=$(python3 "$ROOT/tests/e2e/compare.py" ps "$d/gps-before" "$d/gps-after" "$d/ps-$dump.json"); then
      pass "$arch: ps via $dump: equals the guest's own ps (${out#equal: })"
    else
      fail "$arch: ps via $dump: $(cat "$d/err") ${out:-}"
    fi
    if "$XVIDS" --vm "dump:$d/$dump.elf" --json lsmod >"$d/lsmod-$dump.json" 2>"$d/err" &&
       out=$(python3 "$ROOT/tests/e2e/compare.py" modules "$d/gmodules" "$d/lsmod-$dump.json"); then
      pass "$arch: lsmod via $dump: equals the guest's /proc/modules (${out#equal: })"
    else
      fail "$arch: lsmod via $dump: $(cat "$d/err") ${out:-}"
    fi
    [ "$(sha256sum <"$d/$dump.elf")" = "$sha_before" ] && pass "$arch: $dump file unchanged by xvids" ||
      fail "$arch: $dump file was modified"
  done
  for spec in "$ram" "qmp:$run/qmp.sock"; do
    src=${spec%%:*}
    if "$XVIDS" --vm "$spec" --json lsmod >"$d/lsmod-$src.json" 2>"$d/err" &&
       out=$(python3 "$ROOT/tests/e2e/compare.py" modules "$d/gmodules" "$d/lsmod-$src.json"); then
      pass "$arch: lsmod via $src: equals the guest's /proc/modules (${out#equal: })"
    else
      fail "$arch: lsmod via $src: $(cat "$d/err") ${out:-}"
    fi
  done

  # info: what the guest says about itself (uname -a) against what xvids found.
  uname_a=$(block "$d/after.txt" uname)
  "$XVIDS" --vm "$ram" --json info >"$d/info.json" 2>"$d/err" || fail "$arch: info ($(cat "$d/err"))"
  if python3 - "$d/info.json" "$uname_a" "$arch" <<'PY'
import json, sys
i = json.load(open(sys.argv[1])); u = sys.argv[2].split(); arch = sys.argv[3]
ok = (i["arch"] == arch and i["release"] == u[2] and i["nodename"] == u[1] and i["machine"] == arch
      and i["btf_types"] > 50000 and i["kallsyms_symbols"] > 20000 and int(i["init_task"], 16) > 0
      and all(i["found_by"].values()))
paging = {"aarch64": "48-bit VA", "x86_64": "5-level"}[arch]
ok = ok and paging in i["paging"]
print(i["release"], i["paging"], i["btf_types"], "types", i["kallsyms_symbols"], "symbols")
sys.exit(0 if ok else 1)
PY
  then pass "$arch: info matches the guest's uname -a"; else fail "$arch: info does not match: $uname_a"; fi
  rel=$("$XVIDS" --vm "$ram" eval init_uts_ns.name.release 2>&1)
  [ "$rel" = "$(echo "$uname_a" | awk '{print $3}')" ] && pass "$arch: eval init_uts_ns.name.release = $rel" ||
    fail "$arch: eval init_uts_ns.name.release gave '$rel'"
  comm=$("$XVIDS" --vm "$ram" eval 'init_task.comm' 2>&1)
  [ "$comm" = "swapper/0" ] && pass "$arch: eval init_task.comm" || fail "$arch: eval init_task.comm gave '$comm'"
  # A user task's exe through four pointers, by kernel-source names.
  addr=$(python3 -c 'import json,sys; print([t["address"] for t in json.load(open(sys.argv[1])) if t["comm"]=="httpd"][0])' "$d/ps-ram.json" 2>/dev/null)
  exe=$("$XVIDS" --vm "$ram" eval "task_struct@$addr.mm->exe_file->f_path.dentry->d_name.name" 2>&1)
  [ "$exe" = busybox ] && pass "$arch: eval task->mm->exe_file->f_path.dentry->d_name.name" ||
    fail "$arch: eval exe name gave '$exe'"

  # Bad input: one clear sentence, exit 2, no hang, no crash (ASan/UBSan abort would be exit != 2).
  head -c 4096 "$d/dump.elf" >"$d/truncated.elf"
  head -c 8M /dev/urandom >"$d/garbage.bin"
  truncate -s 64M "$d/zeros.bin"
  wrong_base=$([ "$arch" = aarch64 ] && echo 0x0 || echo 0x40000000)
  for bad in "dump:$d/truncated.elf" "dump:$d/garbage.bin" "ram:$d/garbage.bin@0" "ram:$d/zeros.bin@0" \
             "ram:$(sed -n 's/^ram=//p' "$run/info")@$wrong_base" "ram:/nonexistent@0" "ram:$d/zeros.bin" \
             "bogus:x" "qmp:$d/nosocket"; do
    timeout 60 "$XVIDS" --vm "$bad" ps >/dev/null 2>"$d/err"; rc=$?
    lines=$(wc -l <"$d/err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^xvids: ' "$d/err"; then
      pass "$arch: bad input $bad: exit 2, \"$(cut -c1-110 "$d/err")\""
    else
      fail "$arch: bad input $bad: exit $rc, $lines lines: $(head -3 "$d/err")"
    fi
  done
  rm -f "$d"/*.elf "$d"/*.bin
  "$ROOT/guest/stop" "$run" >/dev/null 2>&1
done
