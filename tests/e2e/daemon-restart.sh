#!/usr/bin/env bash
# daemon-restart.sh — issue 6: a guest killed and restarted while xvidsd runs is reported (alert,
# syslog over a unix socket, vm list) and re-attached (answers match the new guest); a VM absent
# at start-up is reported once, not once per retry; the daemon never stops answering.
source "$(dirname "$0")/lib.sh"
XVIDSD="${XVIDSD:-$(cd "$(dirname "$XVIDS")/.." && pwd)/daemon/xvidsd}"
HERE="$ROOT/tests/e2e"
[ -x "$XVIDSD" ] || { skip "xvidsd not built ($XVIDSD; needs libtelnet)"; exit 0; }
ADDR="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; e2e_cleanup' EXIT
dcmd() { python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "$@"; }
block() { sed -n "/==XVIDS-BEGIN $2==/,/==XVIDS-END $2==/p" "$1" | grep -v '==XVIDS-'; }
wait_for() { # wait_for SECONDS PATTERN COMMAND... — until COMMAND's output matches
  local t="$1" pat="$2"; shift 2
  for _ in $(seq $((t * 2))); do "$@" 2>/dev/null | grep -qE "$pat" && return 0; sleep 0.5; done
  return 1
}

run=$(boot_guest aarch64 clean) || { fail "daemon-restart: guest boots"; exit 1; }
E2E_GUESTS+=("$run")
python3 "$HERE/daemon_client.py" syslog "unix:$E2E_TMP/log.sock" "$E2E_TMP/syslog.out" "$E2E_TMP/syslog.port" &
PIDS+=("$!")
for _ in $(seq 50); do [ -S "$E2E_TMP/log.sock" ] && break; sleep 0.1; done
"$XVIDSD" --listen "$ADDR:0" --no-password --vm "a1=qmp:$run/qmp.sock" --vm "r1=$(ram_spec "$run")" \
  --vm "gone=qmp:$E2E_TMP/nonexistent.sock" --set 'vm-check 1' \
  --syslog "unix:$E2E_TMP/log.sock" --eve "$E2E_TMP/eve.json" 2>"$E2E_TMP/daemon.log" &
DPID=$!; PIDS+=("$DPID")
for _ in $(seq 100); do grep -qs 'ready:' "$E2E_TMP/daemon.log" && break; sleep 0.1; done
DPORT=$(sed -n "s/.*listening on $ADDR:\([0-9]*\).*/\1/p" "$E2E_TMP/daemon.log")
[ -n "$DPORT" ] || { fail "daemon-restart: daemon starts: $(cat "$E2E_TMP/daemon.log")"; exit 1; }

out=$(dcmd "vm list")
if grep -qE '^a1 +attached' <<<"$out" && grep -qE '^r1 +attached' <<<"$out" && grep -qE '^gone +detached' <<<"$out"; then
  pass "daemon-restart: a1 (qmp:) and r1 (ram:) attached, gone reported detached"
else fail "daemon-restart: vm list at start: $out"; fi
sleep 3
n=$(dcmd "alerts 256" | grep -c "vm gone unavailable")
[ "$n" = 1 ] && pass "daemon-restart: the absent VM is reported once, not at every retry" ||
  fail "daemon-restart: 'vm gone unavailable' reported $n times"

# Kill QEMU the hard way: no QMP quit, the sockets and RAM file stay behind.
qpid=$(tr -dc 0-9 <"$run/qemu.pid")
kill -9 "$qpid"
# a1 (qmp:) notices at once; r1 is a plain RAM file that outlives QEMU: it is only told apart
# when the file is removed or re-created (by the restart below).
if wait_for 15 '^a1 +detached' dcmd "vm list"; then
  pass "daemon-restart: QEMU killed: a1 (qmp:) shown detached"
else fail "daemon-restart: after kill: $(dcmd "vm list")"; fi
al=$(dcmd "alerts 256")
grep -q "vm a1 detached" <<<"$al" &&
  pass "daemon-restart: detaching raised alerts ($(grep "vm a1 detached" <<<"$al" | sed 's/.*detached: //' | head -1))" ||
  fail "daemon-restart: detach alerts missing: $al"
out=$(dcmd "ps a1")
grep -q "error: vm a1 is not attached" <<<"$out" && pass "daemon-restart: ps a1 on the dead guest: a clear error" ||
  fail "daemon-restart: ps a1 on the dead guest: $out"
kill -0 "$DPID" && pass "daemon-restart: daemon still running with its guest gone" || fail "daemon-restart: daemon died"

run2=$(boot_guest aarch64 clean) || { fail "daemon-restart: guest boots again"; exit 1; }
if wait_for 20 '^a1 +attached' dcmd "vm list" && wait_for 20 '^r1 +attached' dcmd "vm list"; then
  pass "daemon-restart: guest restarted: both VMs re-attached"
else fail "daemon-restart: after restart: $(dcmd "vm list")"; fi
al=$(dcmd "alerts 256")
grep -q "vm a1 attached again" <<<"$al" && grep -qE "vm r1 detached: .*(re-created|is gone)" <<<"$al" &&
  grep -q "vm r1 attached again" <<<"$al" && pass "daemon-restart: re-attach of a1 and r1 reported" ||
  fail "daemon-restart: no re-attach alert: $al"
gcmd "$run2" xvids-views >"$E2E_TMP/before.txt"
python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "ps a1 -j" >"$E2E_TMP/ps-a1.json"
python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "ps r1 -j" >"$E2E_TMP/ps-r1.json"
gcmd "$run2" xvids-views >"$E2E_TMP/after.txt"
block "$E2E_TMP/before.txt" ps >"$E2E_TMP/gb"; block "$E2E_TMP/after.txt" ps >"$E2E_TMP/ga"
for v in a1 r1; do
  if out=$(python3 "$HERE/compare.py" ps "$E2E_TMP/gb" "$E2E_TMP/ga" "$E2E_TMP/ps-$v.json"); then
    pass "daemon-restart: ps $v after re-attach equals the new guest's ps (${out#equal: })"
  else fail "daemon-restart: ps $v after re-attach: $out"; fi
done
info=$(dcmd "vm info a1")
grep -q "attaches  2" <<<"$info" && grep -q "live QEMU pid $(tr -dc 0-9 <"$run2/qemu.pid") " <<<"$info" &&
  pass "daemon-restart: vm info: 2 attaches, reading the new QEMU" || fail "daemon-restart: vm info: $info"
sleep 1
sl=$(cat "$E2E_TMP/syslog.out")
if grep -qE '^<[0-9]+>1 \S+ \S+ xvidsd [0-9]+ vm \[xvids@32473 vm="a1" check="vm" kind="detached"' <<<"$sl" &&
   grep -qE 'xvidsd [0-9]+ vm \[xvids@32473 vm="a1" check="vm" kind="attached"' <<<"$sl"; then
  pass "daemon-restart: detach and re-attach went to syslog (unix socket, RFC 5424)"
else fail "daemon-restart: syslog got: $sl"; fi
grep -q '"kind":"detached"' "$E2E_TMP/eve.json" && pass "daemon-restart: detach recorded in EVE JSON" ||
  fail "daemon-restart: EVE: $(cat "$E2E_TMP/eve.json")"
kill "$DPID"; wait "$DPID"; rc=$?
[ $rc -eq 0 ] && pass "daemon-restart: clean exit" || { fail "daemon-restart: exit $rc"; tail -20 "$E2E_TMP/daemon.log"; }
