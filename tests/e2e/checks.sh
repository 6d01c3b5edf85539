#!/usr/bin/env bash
# checks.sh — issue 3 end to end: pchk/mchk on a busy clean guest (no false positives over 100
# runs), an intrusion after the baseline, deny rules, run-and-delete, unreadable exes, malformed
# policies, hostile (patched) kernel memory, and a DKOM rootkit (hidden task and module, init_cred).
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

  # 2b. Deny rules: a denied process (the rule's severity), a denied module (high by default)
  #     and a denied kernel thread; the kthreads are the ones the guest's own /proc names so.
  cp "$d/policy" "$d/pdeny"
  printf 'process deny comm=busybox-evil severity=critical\nmodule deny name=dummy\nkthread deny comm=ksoftirqd/* severity=low\n' >>"$d/pdeny"
  pl=$(grep -n '^process deny' "$d/pdeny" | cut -d: -f1); ml=$(grep -n '^module deny' "$d/pdeny" | cut -d: -f1)
  kl=$(grep -n '^kthread deny' "$d/pdeny" | cut -d: -f1)
  gk=$(gcmd "$run" 'for f in /proc/[0-9]*/comm; do case "$(cat $f 2>/dev/null)" in ksoftirqd/*) p=${f#/proc/}; echo ${p%/comm};; esac; done' | sort -n | tr '\n' ' ')
  "$XVIDS" --vm "$ram" pchk --policy "$d/pdeny" --json >"$d/pd.json"; rc=$?
  if [ $rc -eq 1 ] && [ -n "$gk" ] && python3 - "$d/pd.json" "$evil_pid" "$d/pdeny" "$pl" "$kl" "$gk" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
evil, pol, pl, kl, gk = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sorted(map(int, sys.argv[6].split()))
p = [x for x in f if not x["kthread"]]
k = [x for x in f if x["kthread"]]
ok = len(p) == 1 and p[0]["pid"] == evil and p[0]["kind"] == "unauthorized" and p[0]["severity"] == "critical"
ok = ok and p[0]["evidence"] == "denied by %s:%s" % (pol, pl)
ok = ok and sorted(x["pid"] for x in k) == gk and all(x["kind"] == "unauthorized" and x["severity"] == "low"
         and x["comm"].startswith("ksoftirqd/") and x["evidence"] == "denied by %s:%s" % (pol, kl) for x in k)
sys.exit(0 if ok else 1)
PY
  then
    pass "$arch: deny rules: process pid $evil_pid critical, kernel threads $gk(the guest's ksoftirqd/*) low, each 'denied by FILE:LINE'"
  else
    fail "$arch: deny rules (rc $rc, guest ksoftirqd pids '$gk'): $(cat "$d/pd.json")"
  fi
  "$XVIDS" --vm "$ram" mchk --policy "$d/pdeny" --json >"$d/md.json"; rc=$?
  if [ $rc -eq 1 ] && jq_py "$d/md.json" "f=d['findings']; sys.exit(0 if len(f)==1 and f[0]['name']=='dummy' and f[0]['severity']=='high' and f[0]['evidence']=='denied by $d/pdeny:$ml' else 1)"; then
    pass "$arch: module deny rule: dummy, severity high, denied by $d/pdeny:$ml"
  else
    fail "$arch: module deny rule (rc $rc): $(cat "$d/md.json")"
  fi

  # 2c. Run and delete: a root process whose executable was unlinked (the guest's own
  #     /proc/PID/exe says "(deleted)"). BusyBox picks its applet from argv[0], hence the link.
  del_pid=$(gcmd "$run" 'cp /bin/busybox /tmp/x; ln -s /tmp/x /tmp/sleep; /tmp/sleep 1000 >/dev/null 2>&1 & echo $!; sleep 0.2; rm /tmp/x /tmp/sleep')
  del_exe=$(gcmd "$run" "readlink /proc/$del_pid/exe")
  "$XVIDS" --vm "$ram" pchk --json >"$d/del.json"; rc=$?
  if [ "$del_exe" = "/tmp/x (deleted)" ] && [ $rc -eq 1 ] &&
     jq_py "$d/del.json" "f=[x for x in d['findings'] if x['kind']=='deleted-exe']; sys.exit(0 if len(f)==1 and f[0]['pid']==$del_pid and f[0]['uid']==0 and f[0]['exe']=='/tmp/x' and f[0]['severity']=='high' and len(d['findings'])==1 else 1)"; then
    pass "$arch: deleted-exe: root pid $del_pid runs /tmp/x, deleted (guest: '$del_exe')"
  else
    fail "$arch: deleted-exe (rc $rc, pid $del_pid, guest exe '$del_exe'): $(cat "$d/del.json")"
  fi
  gcmd "$run" "kill $del_pid" >/dev/null

  # 3. Malformed policies: FILE:LINE and exit 2.
  printf 'process allow comm=sh\nprocess permit comm=x\n' >"$d/bad1"
  printf 'module allow name="unterminated\n' >"$d/bad2"
  printf 'module allow colour=red\n' >"$d/bad3"
  printf 'process allow comm=sh uid=abc\n' >"$d/bad4"
  printf '# a typo in a severity must not fall back to the default\nprocess deny comm=nc severity=bogus\n' >"$d/bad5"
  printf 'module deny name=dummy severity=urgent\n' >"$d/bad6"
  for b in bad1:2:pchk:unknown.action bad2:1:pchk:unterminated bad3:1:pchk:colour \
           bad4:1:pchk:"uid='abc'" bad5:2:pchk:"severity='bogus'" bad6:1:mchk:"severity='urgent'"; do
    IFS=: read -r f line cmd what <<<"$b"
    "$XVIDS" --vm "$ram" "$cmd" --policy "$d/$f" >/dev/null 2>"$d/err"; rc=$?
    [ $rc -eq 2 ] && grep -q "$d/$f:$line: .*$what" "$d/err" && pass "$arch: malformed policy $f ($cmd): $(cut -c1-120 "$d/err")" ||
      fail "$arch: malformed policy $f ($cmd): rc $rc, $(cat "$d/err")"
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
  # A cycle in the module address tree (both latch copies): dummy's tree node gets its parent as
  # left child. A bounded walk, a corrupt-view finding.
  cp "$d/dump.elf" "$d/badtree.elf"
  for t in 0 1; do
    n="module@$maddr.core_layout.mtn.node.node[$t]"
    pc=$("$XVIDS" --vm "dump:$d/dump.elf" --json eval "$n.__rb_parent_color" | jq_py /dev/stdin "print(d['value'])")
    self=$("$XVIDS" --vm "dump:$d/dump.elf" --json eval "$n" | jq_py /dev/stdin "print(d['address'])")
    up=$(python3 -c 'import sys; p = int(sys.argv[1]) & (2**64 - 4); print("%x" % (p or int(sys.argv[2], 16)))' "$pc" "$self")
    ph=$("$XVIDS" --vm "dump:$d/dump.elf" --json eval "$n.rb_left" | jq_py /dev/stdin "print(d['phys'])")
    python3 "$ROOT/tests/e2e/patch_dump.py" "$d/badtree.elf" "$ph" "$up"
  done
  start=$(date +%s%N)
  timeout 60 "$XVIDS" --vm "dump:$d/badtree.elf" mchk --json >"$d/bt.json" 2>"$d/err"; rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ $rc -eq 1 ] && jq_py "$d/bt.json" "sys.exit(0 if any(f['kind']=='corrupt-view' and 'module address tree' in f['summary'] for f in d['findings']) else 1)"; then
    pass "$arch: cycle in the module address tree: corrupt-view finding in $ms ms"
  else
    fail "$arch: module tree cycle: rc $rc $(cat "$d/err") $(head -c 600 "$d/bt.json")"
  fi

  # 4b. A running user task whose exe cannot be read (mm->exe_file cleared in a copy of the dump)
  #     is judged by comm: the unauthorized busybox-evil is still reported, saying why its exe is
  #     empty; the long-running root 'sleep 100000' (allowed by comm, uid and exe) stays allowed.
  long_sleep=$(gcmd "$run" "ps -o pid,args | awk '\$2==\"sleep\" && \$3==\"100000\" {print \$1}'")
  cp "$d/dump.elf" "$d/noexe.elf"
  for pid in "$evil_pid" "$long_sleep"; do
    ta=$(jq_py "$d/ps.json" "print([t['address'] for t in d if t['pid']==$pid][0])")
    ph=$("$XVIDS" --vm "dump:$d/dump.elf" --json eval "task_struct@$ta.mm->exe_file" | jq_py /dev/stdin "print(d['phys'])")
    python3 "$ROOT/tests/e2e/patch_dump.py" "$d/noexe.elf" "$ph" 0
  done
  "$XVIDS" --vm "dump:$d/noexe.elf" pchk --policy "$d/policy" --json >"$d/noexe.json"; rc=$?
  if [ -n "$long_sleep" ] && [ $rc -eq 1 ] &&
     jq_py "$d/noexe.json" "f=d['findings']; sys.exit(0 if len(f)==1 and f[0]['pid']==$evil_pid and f[0]['kind']=='unauthorized' and f[0]['exe']=='' and f[0]['exe_unreadable'] and 'exe could not be read' in f[0]['evidence'] else 1)"; then
    pass "$arch: exe unreadable: pid $evil_pid judged by comm (unauthorized), pid $long_sleep (sleep) allowed by comm"
  else
    fail "$arch: exe unreadable (rc $rc, sleep pid '$long_sleep'): $(cat "$d/noexe.json")"
  fi
  rm -f "$d"/*.elf
  "$ROOT/guest/stop" "$run" >/dev/null 2>&1

  # 5. A DKOM rootkit hides a task from the task list and itself from the module list.
  if "$ROOT/tests/rootkit/guest-check" "$arch" --keep >"$d/rk.txt" 2>&1; then
    rk=$(sed -n 's/^rundir=//p' "$d/rk.txt"); hp=$(sed -n 's/^hidden_pid=//p' "$d/rk.txt")
    cp=$(sed -n 's/^cred_pid=//p' "$d/rk.txt")
    E2E_GUESTS+=("$rk")
    rkram=$(ram_spec "$rk")
    gps=$(gcmd "$rk" "ps | awk '\$1==$hp'")
    gppid=$(gcmd "$rk" "awk '/^PPid:/ {print \$2}' /proc/$hp/status")
    gcuid=$(gcmd "$rk" "awk '/^Uid:/ {print \$2}' /proc/$cp/status")
    gmod=$(gcmd "$rk" "grep -c '^xvrk ' /proc/modules; ls -d /sys/module/xvrk")
    "$XVIDS" --vm "$rkram" ps --json >"$d/rkps.json"
    hidden_in_ps=$(jq_py "$d/rkps.json" "print(sum(1 for t in d if t['pid']==$hp))")
    "$XVIDS" --vm "$rkram" pchk --json >"$d/rkp.json"; rc=$?
    if [ -n "$gps" ] && [ "$hidden_in_ps" = 0 ] && [ $rc -eq 1 ] && [ -n "$gppid" ] &&
       jq_py "$d/rkp.json" "f=[x for x in d['findings'] if x['kind']=='hidden']; sys.exit(0 if len(f)==1 and f[0]['pid']==$hp and f[0]['in_pid_table'] and f[0]['in_children_list'] and f[0]['ppid']==$gppid else 1)"; then
      pass "$arch: pchk reports the hidden task pid $hp (guest's ps shows it, the task list does not), in the PID table and its parent's ($gppid) children list"
    else
      fail "$arch: pchk on rootkit (rc $rc, guest ps '$gps', ppid '$gppid', in xvids ps $hidden_in_ps): $(cat "$d/rkp.json")"
    fi
    if [ "$gcuid" = 0 ] &&
       jq_py "$d/rkp.json" "f=d['findings']; c=[x for x in f if x['kind']=='kernel-cred']; sys.exit(0 if len(f)==2 and len(c)==1 and c[0]['pid']==$cp and c[0]['uid']==0 and c[0]['severity']=='critical' and 'init_cred' in c[0]['evidence'] else 1)"; then
      pass "$arch: pchk reports kernel-cred for pid $cp (started as uid 1000; the guest now shows uid $gcuid)"
    else
      fail "$arch: pchk kernel-cred (pid '$cp', guest uid '$gcuid'): $(cat "$d/rkp.json")"
    fi
    # The children list alone: in a copy of a dump, the hidden task's struct pid loses its
    # thread-group link, so the PID table no longer leads to it; its parent's children list does.
    "$ROOT/guest/dump" "$rk" "$d/rk.elf" >/dev/null 2>&1
    ht=$(jq_py "$d/rkp.json" "print([x['task_struct'] for x in d['findings'] if x['kind']=='hidden'][0])")
    ph=$("$XVIDS" --vm "dump:$d/rk.elf" --json eval "task_struct@$ht.thread_pid->tasks[1].first" | jq_py /dev/stdin "print(d['phys'])")
    python3 "$ROOT/tests/e2e/patch_dump.py" "$d/rk.elf" "$ph" 0
    "$XVIDS" --vm "dump:$d/rk.elf" pchk --json >"$d/rkc.json"; rc=$?
    if [ $rc -eq 1 ] &&
       jq_py "$d/rkc.json" "f=[x for x in d['findings'] if x['kind']=='hidden']; sys.exit(0 if len(f)==1 and f[0]['pid']==$hp and not f[0]['in_pid_table'] and f[0]['in_children_list'] and 'children list of its parent' in f[0]['evidence'] else 1)"; then
      pass "$arch: hidden task pid $hp found through its parent's children list alone (PID table link removed)"
    else
      fail "$arch: children-list view (rc $rc): $(cat "$d/rkc.json")"
    fi
    rm -f "$d/rk.elf"
    "$XVIDS" --vm "$rkram" mchk --json >"$d/rkm.json"; rc=$?
    if [ "$gmod" = "$(printf '0\n/sys/module/xvrk')" ] && [ $rc -eq 1 ] &&
       jq_py "$d/rkm.json" "f=d['findings']; sys.exit(0 if len(f)==1 and f[0]['kind']=='hidden' and f[0]['name']=='xvrk' and f[0]['in_sysfs'] and f[0]['in_module_area'] and f[0]['in_mod_tree'] and 'module address tree (mod_tree)' in f[0]['evidence'] else 1)"; then
      pass "$arch: mchk reports the hidden module xvrk (absent from the guest's /proc/modules) in sysfs, the module area and mod_tree"
    else
      fail "$arch: mchk on rootkit (rc $rc, guest '$gmod'): $(cat "$d/rkm.json")"
    fi
    "$ROOT/guest/stop" "$rk" >/dev/null 2>&1
    rm -rf "$(dirname "$rk")"
  else
    fail "$arch: rootkit guest: $(tail -5 "$d/rk.txt")"
  fi
done
