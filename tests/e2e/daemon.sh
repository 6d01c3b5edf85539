#!/usr/bin/env bash
# daemon.sh — issue 6: xvidsd end to end against a live guest: start-up refusals, a real telnet
# client session (wrong passwords refused and revealing nothing, every command, JSON, line
# editing, BusyBox telnet, nc), answers equal to the guest's own view, a scheduled pchk raising
# exactly one alert per new finding (EVE JSON, RFC 5424 syslog to a receiver, hook), the
# per-address login limit, and the release build's seccomp sandbox surviving every command.
source "$(dirname "$0")/lib.sh"
XVIDSD="${XVIDSD:-$(cd "$(dirname "$XVIDS")/.." && pwd)/daemon/xvidsd}"
PLAIN="${XVIDSD_PLAIN:-$ROOT/build/src/daemon/xvidsd}"
HERE="$ROOT/tests/e2e"
[ -x "$XVIDSD" ] || { skip "xvidsd not built ($XVIDSD; needs libtelnet)"; exit 0; }
ADDR="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
PIDS=()
stop_pids() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'stop_pids; e2e_cleanup' EXIT

# start_daemon LOG BINARY ARGS... — starts xvidsd on $ADDR:0; sets DPID and DPORT.
start_daemon() {
  local log="$1" bin="$2"; shift 2
  "$bin" --listen "$ADDR:0" "$@" 2>"$log" &
  DPID=$!; PIDS+=("$DPID")
  for _ in $(seq 100); do grep -qs 'ready:' "$log" && break; sleep 0.1; done
  DPORT=$(sed -n "s/.*listening on $ADDR:\([0-9]*\).*/\1/p" "$log")
  grep -q 'ready:' "$log"
}

# --- start-up refusals (no guest needed) ---
out=$("$XVIDSD" --listen 0.0.0.0:2323 --vm x=qmp:/nonexistent 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "refusing to listen on 0.0.0.0:2323 without a password" <<<"$out"; then
  pass "daemon: non-loopback listen without a password is refused at start-up"
else fail "daemon: non-loopback listen without a password must be refused (rc=$rc: $out)"; fi
out=$("$XVIDSD" --listen '[::]:2323' 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "refusing" <<<"$out" && pass "daemon: [::] without a password refused too" ||
  fail "daemon: [::] without a password must be refused ($out)"
PW="pw-$RANDOM-$RANDOM-$$"
printf '%s\n' "$PW" | "$XVIDSD" --hash-password >"$E2E_TMP/passwd" && chmod 600 "$E2E_TMP/passwd"
if grep -qE '^admin:\$(y|6)\$' "$E2E_TMP/passwd" && ! grep -q "$PW" "$E2E_TMP/passwd"; then
  pass "daemon: --hash-password writes a crypt(3) hash, not the password"
else fail "daemon: --hash-password output: $(cat "$E2E_TMP/passwd")"; fi
"$XVIDSD" --listen 0.0.0.0:2323 --password-file "$E2E_TMP/passwd" --check-config >/dev/null 2>&1 &&
  pass "daemon: non-loopback listen with a password file is accepted" ||
  fail "daemon: non-loopback listen with a password file should be accepted"
# A password is the default on loopback too: going without one is an explicit choice.
out=$("$XVIDSD" --listen 127.0.0.1:2323 --vm x=qmp:/nonexistent --check-config 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "no password file: give --password-file FILE .* or --no-password" <<<"$out" &&
  pass "daemon: loopback without a password file and without --no-password is refused" ||
  fail "daemon: loopback without a password must need --no-password (rc=$rc: $out)"
out=$("$XVIDSD" --listen 0.0.0.0:2323 --no-password --check-config 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "refusing to listen on 0.0.0.0:2323 without a password.*--no-password is for loopback addresses only" <<<"$out" &&
  pass "daemon: --no-password on a non-loopback address is refused" ||
  fail "daemon: --no-password on 0.0.0.0 must be refused (rc=$rc: $out)"
out=$("$XVIDSD" --no-password --password-file "$E2E_TMP/passwd" --check-config 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "both a password file and no-password" <<<"$out" &&
  pass "daemon: a password file and --no-password together are refused" || fail "daemon: both: rc=$rc $out"
printf 'listen 127.0.0.1:2323\nno-password\n' >"$E2E_TMP/nopw.conf"
out=$("$XVIDSD" --config "$E2E_TMP/nopw.conf" --check-config 2>&1) && grep -q "no password (loopback)" <<<"$out" &&
  pass "daemon: the config's no-password directive serves loopback without one ($out)" ||
  fail "daemon: no-password directive: $out"
echo 'admin:$1$salt$md5hashisweak' >"$E2E_TMP/badpw"
out=$("$XVIDSD" --password-file "$E2E_TMP/badpw" --check-config 2>&1) &&
  fail "daemon: an MD5-crypt password file must be refused" ||
  { grep -q "badpw:1: not a supported crypt" <<<"$out" && pass "daemon: weak hash formats refused (FILE:LINE)" ||
    fail "daemon: weak hash message: $out"; }
printf 'listen 127.0.0.1:1\nfrobnicate yes\n' >"$E2E_TMP/bad.conf"
out=$("$XVIDSD" --config "$E2E_TMP/bad.conf" --check-config 2>&1) &&
  fail "daemon: bad config accepted" ||
  { grep -q "bad.conf:2: unknown directive 'frobnicate'" <<<"$out" && pass "daemon: config errors name FILE:LINE" ||
    fail "daemon: config error message: $out"; }
"$XVIDSD" --config "$ROOT/examples/xvidsd.conf" --password-file "$E2E_TMP/passwd" --check-config >"$E2E_TMP/ex.out" 2>&1 &&
  pass "daemon: examples/xvidsd.conf loads ($(cat "$E2E_TMP/ex.out"))" ||
  fail "daemon: examples/xvidsd.conf: $(cat "$E2E_TMP/ex.out")"

# --- a live guest ---
run=$(boot_guest aarch64 clean) || { fail "daemon: guest boots"; exit 1; }
E2E_GUESTS+=("$run")
# --user: privileges dropped before the VMs are attached (root's QMP socket is then out of reach).
if id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  if start_daemon "$E2E_TMP/user.log" "$XVIDSD" --no-password --user nobody --vm "a1=qmp:$run/qmp.sock"; then
    uid=$(awk '/^Uid:/ {print $2 "/" $3 "/" $4}' "/proc/$DPID/status")
    out=$(python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "vm list" 2>&1)
    if [ "$uid" = "$(id -u nobody)/$(id -u nobody)/$(id -u nobody)" ] && grep -q "Permission denied" <<<"$out"; then
      pass "daemon: --user nobody: runs as nobody (real/effective/saved), root-only QMP socket refused"
    else fail "daemon: --user nobody: uid $uid, vm list: $out"; fi
    kill "$DPID"
  else fail "daemon: --user nobody starts: $(cat "$E2E_TMP/user.log")"; fi
fi

python3 "$HERE/daemon_client.py" syslog "udp:$ADDR" "$E2E_TMP/syslog.out" "$E2E_TMP/syslog.port" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$E2E_TMP/syslog.port" ] && break; sleep 0.1; done
printf '#!/bin/sh\ncat >>%s\n' "$E2E_TMP/hook.out" >"$E2E_TMP/hook.sh"; chmod +x "$E2E_TMP/hook.sh"
echo 'XVIDS-FORBIDDEN-MARKER-42' >"$E2E_TMP/forbidden.txt"
if ! start_daemon "$E2E_TMP/daemon.log" "$XVIDSD" --vm "a1=qmp:$run/qmp.sock" --vm "r1=$(ram_spec "$run")" \
    --password-file "$E2E_TMP/passwd" --eve "$E2E_TMP/eve.json" \
    --syslog "udp:$ADDR:$(cat "$E2E_TMP/syslog.port")" --hook "$E2E_TMP/hook.sh" \
    --set 'login-delay-ms 500' --set 'addr-failures 4' --state-dir "$E2E_TMP/state" \
    --set "check-args fichk --strings $E2E_TMP/forbidden.txt"; then
  fail "daemon: starts ($(cat "$E2E_TMP/daemon.log"))"; exit 1
fi
pass "daemon: starts on $ADDR:$DPORT with 2 VMs (qmp: and ram:)"

mkdir -p "$E2E_TMP/s"
gcmd "$run" xvids-views >"$E2E_TMP/before.txt"
python3 "$HERE/daemon_checks.py" session "$ADDR" "$DPORT" "$PW" "$E2E_TMP/s"
gcmd "$run" xvids-views >"$E2E_TMP/after.txt"
block() { sed -n "/==XVIDS-BEGIN $2==/,/==XVIDS-END $2==/p" "$1" | grep -v '==XVIDS-'; }
block "$E2E_TMP/before.txt" ps >"$E2E_TMP/gps-before"; block "$E2E_TMP/after.txt" ps >"$E2E_TMP/gps-after"
block "$E2E_TMP/after.txt" modules >"$E2E_TMP/gmodules"
if out=$(python3 "$HERE/compare.py" ps "$E2E_TMP/gps-before" "$E2E_TMP/gps-after" "$E2E_TMP/s/ps.json"); then
  pass "daemon: ps a1 over telnet equals the guest's own ps (${out#equal: })"
else fail "daemon: ps a1 over telnet differs from the guest's ps: $out"; fi
if out=$(python3 "$HERE/compare.py" modules "$E2E_TMP/gmodules" "$E2E_TMP/s/lsmod.json"); then
  pass "daemon: lsmod a1 over telnet equals the guest's /proc/modules (${out#equal: })"
else fail "daemon: lsmod a1 over telnet differs: $out"; fi
grel=$(gcmd "$run" 'uname -r' | tr -d '\r\n')
[ "$(cat "$E2E_TMP/s/vm-release")" = "$grel" ] && pass "daemon: vm list shows the guest's uname -r ($grel)" ||
  fail "daemon: vm list release '$(cat "$E2E_TMP/s/vm-release")' != guest '$grel'"
grep -q "$grel" "$E2E_TMP/s/eval-release" && pass "daemon: eval a1 init_uts_ns.name.release = uname -r" ||
  fail "daemon: eval over telnet: $(cat "$E2E_TMP/s/eval-release")"
ghost=$(gcmd "$run" 'hostname' | tr -d '\r\n')
grep -q "nodename  $ghost" "$E2E_TMP/s/vm-info" && pass "daemon: vm info a1 shows the guest's hostname" ||
  fail "daemon: vm info: $(cat "$E2E_TMP/s/vm-info")"
gkt=$(block "$E2E_TMP/after.txt" ps | wc -l)

python3 "$HERE/daemon_checks.py" intrusion "$ADDR" "$DPORT" "$PW" "$run" "$E2E_TMP/eve.json" \
  "$E2E_TMP/syslog.out" "$E2E_TMP/hook.out"
python3 "$HERE/daemon_checks.py" lockout "$ADDR" "$DPORT" "$PW"
! grep -q "$PW" "$E2E_TMP/daemon.log" && pass "daemon: the password never appears in the daemon's log" ||
  fail "daemon: the password is in the log"

kill -0 "$DPID" 2>/dev/null && pass "daemon: still running after all sessions" || fail "daemon: died"
kill "$DPID"; wait "$DPID"; rc=$?
[ $rc -eq 0 ] && pass "daemon: SIGTERM: clean exit (sanitizers silent)" ||
  { fail "daemon: exit status $rc after SIGTERM"; tail -30 "$E2E_TMP/daemon.log"; }

# --- the release build enforces the seccomp allow-list: every command must still work ---
if [ -x "$PLAIN" ] && [ "$PLAIN" != "$XVIDSD" ]; then
  if start_daemon "$E2E_TMP/plain.log" "$PLAIN" --no-password --vm "a1=qmp:$run/qmp.sock" \
       --state-dir "$E2E_TMP/state2" --set "check-args fichk --strings $E2E_TMP/forbidden.txt"; then
    out=$(python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "help" "help pchk -j" "vm info a1" \
          "ps a1" "lsmod a1" "pchk a1" "mchk a1" "baseline a1" "pchk a1 -j" "info a1" "fchk a1" \
          "fichk a1 -j" "ls a1 -l /etc" "stat a1 /etc/passwd" "find a1 /etc -name passwd" "net -j" \
          "watch pchk a1 every 1s" "watch fichk a1 every 2s" 2>&1)
    sleep 5
    if kill -0 "$DPID" 2>/dev/null && grep -q "sandbox: no_new_privs and seccomp allow-list applied; landlock" "$E2E_TMP/plain.log" &&
       grep -q '"findings"' <<<"$out" && grep -q "baseline of a1: [0-9]* entries" <<<"$out" &&
       grep -q '"forbidden-string"' <<<"$out" && ! grep -q "xvids: fichk" <<<"$out"; then
      pass "daemon: release build under seccomp answers every command (fichk's threads, baseline in the state dir) and runs watches"
    else
      fail "daemon: release build under seccomp: $(tail -5 "$E2E_TMP/plain.log") $out"
    fi
    kill "$DPID" 2>/dev/null
  else
    fail "daemon: release build starts: $(cat "$E2E_TMP/plain.log")"
  fi
else
  skip "daemon: no release build at $PLAIN to check the enforcing sandbox"
fi
