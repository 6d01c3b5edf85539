#!/usr/bin/env bash
# daemon-reboot.sh — issue 6: a guest that reboots inside the same QEMU while xvidsd runs. The
# QEMU process, its RAM file and its QMP socket stay the same, so only the kernel itself shows
# the change: the VMCOREINFO snapshot (KERNELOFFSET) differs after a reboot with a new KASLR
# offset. The guest runs with -action reboot=reset (instead of guest/boot's -no-reboot), -cpu max
# and -machine dtb-randomness=off, so its kernel takes a fresh KASLR seed from the CPU (RNDR) at
# every boot instead of QEMU's fixed device-tree seed. Asserted: both VMs (qmp: and ram:) are
# detached with a reason and re-attached, the daemon's new KASLR offset is the one the rebooted
# guest's own /proc/kallsyms implies, its ps equals the new guest's, the QEMU is the same one.
source "$(dirname "$0")/lib.sh"
XVIDSD="${XVIDSD:-$(cd "$(dirname "$XVIDS")/.." && pwd)/daemon/xvidsd}"
HERE="$ROOT/tests/e2e"
[ -x "$XVIDSD" ] || { skip "xvidsd not built ($XVIDSD; needs libtelnet)"; exit 0; }
ADDR="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
DPID=""
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; e2e_cleanup' EXIT
dcmd() { python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "$@"; }
block() { sed -n "/==XVIDS-BEGIN $2==/,/==XVIDS-END $2==/p" "$1" | grep -v '==XVIDS-'; }
wait_for() { # wait_for SECONDS PATTERN COMMAND... — until COMMAND's output matches
  local t="$1" pat="$2"; shift 2
  for _ in $(seq $((t * 2))); do "$@" 2>/dev/null | grep -qE "$pat" && return 0; sleep 0.5; done
  return 1
}
kaslr() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["kaslr_offset"])'; }
stext() { gcmd "$1" "grep ' _stext\$' /proc/kallsyms" 30 | awk '{print "0x" $1}'; }

run=$(boot_guest aarch64 clean --cpu max -- -action reboot=reset -machine dtb-randomness=off) ||
  { fail "daemon-reboot: guest boots"; exit 1; }
E2E_GUESTS+=("$run")
qpid=$(tr -dc 0-9 <"$run/qemu.pid")
"$XVIDSD" --listen "$ADDR:0" --no-password --vm "a1=qmp:$run/qmp.sock" --vm "r1=$(ram_spec "$run")" \
  --set 'vm-check 1' --eve "$E2E_TMP/eve.json" 2>"$E2E_TMP/daemon.log" &
DPID=$!
for _ in $(seq 100); do grep -qs 'ready:' "$E2E_TMP/daemon.log" && break; sleep 0.1; done
DPORT=$(sed -n "s/.*listening on $ADDR:\([0-9]*\).*/\1/p" "$E2E_TMP/daemon.log")
[ -n "$DPORT" ] || { fail "daemon-reboot: daemon starts: $(cat "$E2E_TMP/daemon.log")"; exit 1; }

k0=$(dcmd "info a1 -j" | kaslr); s0=$(stext "$run")
if [ -n "$k0" ] && [ -n "$s0" ]; then
  pass "daemon-reboot: before: KASLR offset $k0, the guest's _stext $s0"
else fail "daemon-reboot: before: kaslr '$k0' _stext '$s0'"; fi
boots=$(grep -c '==XVIDS-READY==' "$run/serial.log")
gcmd "$run" 'reboot -f' 5 >/dev/null 2>&1   # never answers: the guest goes down
for _ in $(seq 240); do [ "$(grep -c '==XVIDS-READY==' "$run/serial.log")" -gt "$boots" ] && break; sleep 0.5; done
if [ "$(grep -c '==XVIDS-READY==' "$run/serial.log")" -gt "$boots" ] && [ "$(tr -dc 0-9 <"$run/qemu.pid")" = "$qpid" ] &&
   kill -0 "$qpid"; then
  pass "daemon-reboot: the guest rebooted inside the same QEMU (pid $qpid)"
else fail "daemon-reboot: guest did not come back in the same QEMU"; exit 1; fi

if wait_for 60 'vm a1 attached again' dcmd "alerts 256" && wait_for 60 'vm r1 attached again' dcmd "alerts 256"; then
  al=$(dcmd "alerts 256")
  why=$(grep -o "vm a1 detached: .*" <<<"$al" | head -1)
  pass "daemon-reboot: a1 (qmp:) and r1 (ram:) detached and attached again (${why#vm a1 detached: })"
else fail "daemon-reboot: not re-attached: $(dcmd "alerts 256" "vm list")"; fi
grep -qE 'vm (a1|r1) detached: VMCOREINFO changed \(guest rebooted\)' <<<"$al" &&
  pass "daemon-reboot: the reboot was told by the VMCOREINFO check (same QEMU, RAM file and socket)" ||
  fail "daemon-reboot: no detach by the VMCOREINFO check: $(grep detached <<<"$al")"
k1=$(dcmd "info a1 -j" | kaslr); s1=$(stext "$run")
if [ "$k1" = "$k0" ]; then
  skip "daemon-reboot: the new boot drew the same KASLR offset ($k1): the change path was not exercised"
elif [ -n "$k1" ] && [ -n "$s1" ] && [ $((s1 - k1)) = $((s0 - k0)) ]; then
  pass "daemon-reboot: after: KASLR offset $k1 (was $k0), as the rebooted guest's _stext $s1 implies"
else fail "daemon-reboot: after: kaslr '$k1' _stext '$s1' (before $k0 / $s0)"; fi

gcmd "$run" xvids-views >"$E2E_TMP/before.txt"
dcmd "ps a1 -j" >"$E2E_TMP/ps-a1.json"
dcmd "ps r1 -j" >"$E2E_TMP/ps-r1.json"
gcmd "$run" xvids-views >"$E2E_TMP/after.txt"
block "$E2E_TMP/before.txt" ps >"$E2E_TMP/gb"; block "$E2E_TMP/after.txt" ps >"$E2E_TMP/ga"
for v in a1 r1; do
  if out=$(python3 "$HERE/compare.py" ps "$E2E_TMP/gb" "$E2E_TMP/ga" "$E2E_TMP/ps-$v.json"); then
    pass "daemon-reboot: ps $v after the reboot equals the rebooted guest's ps (${out#equal: })"
  else fail "daemon-reboot: ps $v after the reboot: $out"; fi
done
info=$(dcmd "vm info a1")
grep -q "attaches  2" <<<"$info" && grep -q "live QEMU pid $qpid " <<<"$info" &&
  pass "daemon-reboot: vm info: 2 attaches, still the same QEMU" || fail "daemon-reboot: vm info: $info"
kill "$DPID"; wait "$DPID"; rc=$?; DPID=""
[ $rc -eq 0 ] && pass "daemon-reboot: clean exit" || { fail "daemon-reboot: exit $rc"; tail -20 "$E2E_TMP/daemon.log"; }
