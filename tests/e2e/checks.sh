#!/usr/bin/env bash
# checks.sh — issue 3 end to end: pchk/mchk on a busy clean guest (no false positives over 100
# runs), an intrusion after the baseline, a DKOM rootkit, and hostile (patched) kernel memory.
source "$(dirname "$0")/lib.sh"
RUNS=${CHECK_RUNS:-100}

jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

for arch in ${E2E_ARCHES:-aarch64 x86_64}; do
  d="$E2E_TMP/$arch"; mkdir -p "$d"
  run=$(boot_guest "$arch" busy) || { fail "$arch: busy guest boots"; continue; }
  E2E_GUESTS+=("$run")
  ram=$(ram_spec "$run")

  # 1. Baseline of a busy guest, then 100 runs of both checks: nothing may be reported.
  if "$XVIDS" --vm "$ram" baseline --learn 5 -o "$d/policy" 2>"$d/err"; then
    pass "$arch: baseline written ($(grep -c '^process' "$d/policy") process, $(grep -c '^module' "$d/policy") module lines)"
  else
    fail "$arch: baseline: $(cat "$d/err")"
  fi
  bad=0
  for i in $(seq "$RUNS"); do
    "$XVIDS" --vm "$ram" pchk --policy "$d/policy" >"$d/out" 2>&1 || { bad=$((bad + 1)); cat "$d/out"; }
    "$XVIDS" --vm "$ram" mchk --policy "$d/policy" >"$d/out" 2>&1 || { bad=$((bad + 1)); cat "$d/out"; }
  done
  [ $bad -eq 0 ] && pass "$arch: clean busy guest: $RUNS x pchk and mchk, zero findings" ||
    fail "$arch: clean busy guest: $bad of $((2 * RUNS)) runs reported findings"

  # 2. Intrusion after the baseline: an unknown program and an unlisted module.
  evil_pid=$(gcmd "$run" 'cp /bin/busybox /tmp/busybox-evil; /tmp/busybox-evil sleep 5000 >/dev/null 2>&1 & echo $!')
  gcmd "$run" "insmod \$(find /lib/modules -name dummy.ko | head -1) && grep -c '^dummy ' /proc/modules" >"$d/ins"
  "$XVIDS" --vm "$ram" pchk --policy "$d/policy" --json --eve "$d/eve.json" >"$d/p.json"; rc=$?
  if [ $rc -eq 1 ] && jq_py "$d/p.json" "f=[x for x in d['findings'] if x['kind']=='unauthorized' and x['pid']==$evil_pid and x['comm']=='busybox-evil' and x['exe']=='/tmp/busybox-evil']; sys.exit(0 if len(f)==1 and len(d['findings'])==1 else 1)"; then
    pass "$arch: pchk reports the unauthorized program, pid $evil_pid, exit 1"
  else
    fail "$arch: pchk on intrusion (rc $rc, pid $evil_pid): $(cat "$d/p.json")"
  fi
  "$XVIDS" --vm "$ram" mchk --policy "$d/policy" --json --eve "$d/eve.json" >"$d/m.json"; rc=$?
  if [ "$(cat "$d/ins")" = 1 ] && [ $rc -eq 1 ] &&
     jq_py "$d/m.json" "f=d['findings']; sys.exit(0 if len(f)==1 and f[0]['kind']=='unauthorized' and f[0]['name']=='dummy' else 1)"; then
    pass "$arch: mchk reports the unlisted module dummy, exit 1"
  else
    fail "$arch: mchk on intrusion (rc $rc): $(cat "$d/m.json")"
  fi
  if python3 - "$d/eve.json" "$evil_pid" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ok = len(recs) == 2 and all(r["event_type"] == "xvids" and r["timestamp"] and r["host"] == "xvids-guest" for r in recs)
ok = ok and recs[0]["xvids"]["pid"] == int(sys.argv[2]) and recs[1]["xvids"]["name"] == "dummy"
sys.exit(0 if ok else 1)
PY
  then pass "$arch: --eve appended one EVE record per finding"; else fail "$arch: EVE file: $(cat "$d/eve.json")"; fi
  "$XVIDS" --vm "$ram" pchk --policy "$d/policy" >"$d/txt"
  grep -q "unauthorized.*pid $evil_pid (busybox-evil" "$d/txt" && pass "$arch: pchk text output names the process" ||
    fail "$arch: pchk text: $(cat "$d/txt")"

  # 3. Malformed policies: FILE:LINE and exit 2.
  printf 'process allow comm=sh\nprocess permit comm=x\n' >"$d/bad1"
  printf 'module allow name="unterminated\n' >"$d/bad2"
  printf 'module allow colour=red\n' >"$d/bad3"
  for b in bad1:2 bad2:1 bad3:1; do
    f=${b%%:*}; line=${b##*:}
    "$XVIDS" --vm "$ram" pchk --policy "$d/$f" >/dev/null 2>"$d/err"; rc=$?
    [ $rc -eq 2 ] && grep -q "$d/$f:$line: " "$d/err" && pass "$arch: malformed policy $f: $(cut -c1-120 "$d/err")" ||
      fail "$arch: malformed policy $f: rc $rc, $(cat "$d/err")"
  done

  # 4. Hostile memory: a dump of this guest, patched into a cyclic task list and a module list
  #    pointing outside RAM. Bounded time, an error finding, no crash.
  "$ROOT/guest/dump" "$run" "$d/dump.elf" >/dev/null 2>&1
  "$XVIDS" --vm "dump:$d/dump.elf" --json ps >"$d/ps.json"
  read -r a b < <(jq_py "$d/ps.json" "u=[t['address'] for t in d if not t['kthread']]; print(u[1], u[-2])")
  ta=$("$XVIDS" --vm "dump:$d/dump.elf" --json eval "task_struct@$a.tasks" | jq_py /dev/stdin "print(d['address'])")
  tb_phys=$("$XVIDS" --vm "dump:$d/dump.elf" --json eval "task_struct@$b.tasks.next" | jq_py /dev/stdin "print(d['phys'])")
  cp "$d/dump.elf" "$d/cyclic.elf"
  python3 "$ROOT/tests/e2e/patch_dump.py" "$d/cyclic.elf" "$tb_phys" "$ta"
  start=$(date +%s%N)
  timeout 60 "$XVIDS" --vm "dump:$d/cyclic.elf" pchk --json >"$d/cyc.json" 2>"$d/err"; rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ $rc -eq 1 ] && jq_py "$d/cyc.json" "sys.exit(0 if any(f['kind']=='corrupt-task-list' and 'cycle' in f['evidence'] for f in d['findings']) else 1)"; then
    pass "$arch: cyclic task list: corrupt-task-list finding in $ms ms"
  else
    fail "$arch: cyclic task list: rc $rc $(cat "$d/err") $(head -c 600 "$d/cyc.json")"
  fi
  timeout 60 "$XVIDS" --vm "dump:$d/cyclic.elf" ps >/dev/null 2>"$d/err"; rc=$?
  [ $rc -eq 2 ] && grep -q cycle "$d/err" && pass "$arch: ps on the cyclic list: exit 2, $(cut -c1-100 "$d/err")" ||
    fail "$arch: ps on cyclic list: rc $rc $(cat "$d/err")"
  mod=$("$XVIDS" --vm "dump:$d/dump.elf" --json lsmod | jq_py /dev/stdin "print(d[0]['name'])")
  maddr=$("$XVIDS" --vm "dump:$d/dump.elf" --json mchk --policy "$d/policy" | jq_py /dev/stdin "print([f['struct_module'] for f in d['findings'] if f['name']=='dummy'][0])")
  mphys=$("$XVIDS" --vm "dump:$d/dump.elf" --json eval "module@$maddr.list.next" | jq_py /dev/stdin "print(d['phys'])")
  cp "$d/dump.elf" "$d/badmod.elf"
  python3 "$ROOT/tests/e2e/patch_dump.py" "$d/badmod.elf" "$mphys" ffff8000dead0000
  timeout 60 "$XVIDS" --vm "dump:$d/badmod.elf" mchk --json >"$d/bm.json" 2>"$d/err"; rc=$?
  if [ $rc -eq 1 ] && jq_py "$d/bm.json" "sys.exit(0 if any(f['kind']=='corrupt-view' and 'module list' in f['summary'] for f in d['findings']) else 1)"; then
    pass "$arch: module list pointing outside RAM: corrupt-view finding (first module $mod)"
  else
    fail "$arch: module list outside RAM: rc $rc $(cat "$d/err") $(head -c 600 "$d/bm.json")"
  fi
  rm -f "$d"/*.elf
  "$ROOT/guest/stop" "$run" >/dev/null 2>&1

  # 5. A DKOM rootkit hides a task from the task list and itself from the module list.
  if "$ROOT/tests/rootkit/guest-check" "$arch" --keep >"$d/rk.txt" 2>&1; then
    rk=$(sed -n 's/^rundir=//p' "$d/rk.txt"); hp=$(sed -n 's/^hidden_pid=//p' "$d/rk.txt")
    E2E_GUESTS+=("$rk")
    rkram=$(ram_spec "$rk")
    gps=$(gcmd "$rk" "ps | awk '\$1==$hp'")
    gmod=$(gcmd "$rk" "grep -c '^xvrk ' /proc/modules; ls -d /sys/module/xvrk")
    "$XVIDS" --vm "$rkram" ps --json >"$d/rkps.json"
    hidden_in_ps=$(jq_py "$d/rkps.json" "print(sum(1 for t in d if t['pid']==$hp))")
    "$XVIDS" --vm "$rkram" pchk --json >"$d/rkp.json"; rc=$?
    if [ -n "$gps" ] && [ "$hidden_in_ps" = 0 ] && [ $rc -eq 1 ] &&
       jq_py "$d/rkp.json" "f=d['findings']; sys.exit(0 if len(f)==1 and f[0]['kind']=='hidden' and f[0]['pid']==$hp and f[0]['in_pid_table'] else 1)"; then
      pass "$arch: pchk reports the hidden task pid $hp (guest's ps shows it, the task list does not)"
    else
      fail "$arch: pchk on rootkit (rc $rc, guest ps '$gps', in xvids ps $hidden_in_ps): $(cat "$d/rkp.json")"
    fi
    "$XVIDS" --vm "$rkram" mchk --json >"$d/rkm.json"; rc=$?
    if [ "$gmod" = "$(printf '0\n/sys/module/xvrk')" ] && [ $rc -eq 1 ] &&
       jq_py "$d/rkm.json" "f=d['findings']; sys.exit(0 if len(f)==1 and f[0]['kind']=='hidden' and f[0]['name']=='xvrk' and f[0]['in_sysfs'] and f[0]['in_module_area'] else 1)"; then
      pass "$arch: mchk reports the hidden module xvrk (absent from the guest's /proc/modules)"
    else
      fail "$arch: mchk on rootkit (rc $rc, guest '$gmod'): $(cat "$d/rkm.json")"
    fi
    "$ROOT/guest/stop" "$rk" >/dev/null 2>&1
    rm -rf "$(dirname "$rk")"
  else
    fail "$arch: rootkit guest: $(tail -5 "$d/rk.txt")"
  fi
done
