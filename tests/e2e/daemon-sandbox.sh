#!/usr/bin/env bash
# daemon-sandbox.sh — issue 6: the release xvidsd's sandbox is enforced, not just installed. A
# test-only LD_PRELOAD library (daemon_probe.c, compiled here, never part of a build) makes the
# daemon process itself issue a system call when it gets SIGUSR1, as code an attacker got to run
# in it would: allowed calls work, Landlock confines writes to the state dir, and each call
# outside the seccomp allow-list (execve of a shell, fork, an AF_INET stream socket, opening an
# existing file for writing, TIOCSTI, executable memory, setuid) kills the daemon with SIGSYS
# before it returns; `sandbox debug` names the call instead. Controls with --no-sandbox show the
# probes really do what they say. No guest needed.
source "$(dirname "$0")/lib.sh"
PLAIN="${XVIDSD_PLAIN:-$ROOT/build/src/daemon/xvidsd}"
[ -x "$PLAIN" ] || { skip "daemon-sandbox: no release build at $PLAIN (the sanitizer build only logs denied calls)"; exit 0; }
command -v cc >/dev/null || { skip "daemon-sandbox: no C compiler for the probe library"; exit 0; }
if nm -D "$PLAIN" 2>/dev/null | grep -q __asan_init; then
  skip "daemon-sandbox: $PLAIN is a sanitizer build (seccomp only logs there)"; exit 0
fi
cc -shared -fPIC -O1 -o "$E2E_TMP/probe.so" "$ROOT/tests/e2e/daemon_probe.c" ||
  { fail "daemon-sandbox: the probe library compiles"; exit 1; }
DPID=""
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; e2e_cleanup' EXIT
ADDR="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
N=0

# start TAG ARGS... — the release daemon with the probe preloaded; sets DPID, P (probe dir), S
start() {
  local tag="$1"; shift
  N=$((N + 1)); P="$E2E_TMP/p$N"; S="$E2E_TMP/s$N"
  mkdir -p "$P" "$S"
  echo "do not touch" >"$P/victim"
  LD_PRELOAD="$E2E_TMP/probe.so" XVIDSD_PROBE_DIR="$P" XVIDSD_PROBE_STATE="$S" \
    "$PLAIN" --listen "$ADDR:0" --no-password --vm x=qmp:/nonexistent --state-dir "$S" "$@" 2>"$P/log" &
  DPID=$!
  for _ in $(seq 100); do grep -qs 'ready:' "$P/log" && break; sleep 0.1; done
  grep -q 'ready:' "$P/log" || { fail "daemon-sandbox: $tag: daemon starts: $(cat "$P/log")"; return 1; }
}
# run_probe NAME — one probe in the running daemon; waits for it to report or die
run_probe() {
  echo "$1" >"$P/probe"
  kill -USR1 "$DPID"
  for _ in $(seq 50); do
    grep -qs "^$1: after" "$P/result" && return 0
    kill -0 "$DPID" 2>/dev/null || return 0
    sleep 0.1
  done
}
after() { sed -n "s/^$1: after //p" "$P/result"; }
before_nr() { sed -n "s/^$1 nr=\([0-9]*\): before/\1/p" "$P/result"; }

# --- allowed calls, and what Landlock refuses without killing ---
if start "allowed"; then
  for p in getpid create-state create-outside unlink-outside rename-out; do run_probe "$p"; done
  grep -q "landlock: writes only in the state dir" "$P/log" && LL=1 || LL=0
  if kill -0 "$DPID" 2>/dev/null && [[ "$(after getpid)" == "rc=$DPID errno=0" ]]; then
    pass "daemon-sandbox: an allowed call (getpid) works and the daemon lives on"
  else fail "daemon-sandbox: getpid: $(cat "$P/result")"; fi
  if [[ "$(after create-state)" == rc=[0-9]*" errno=0" ]] && [ -f "$S/probe-inside" ]; then
    pass "daemon-sandbox: a new file in the state dir can be created (baselines)"
  else fail "daemon-sandbox: create in the state dir: $(after create-state)"; fi
  if [ "$LL" = 1 ]; then
    if [ "$(after create-outside)" = "rc=-1 errno=13" ] && [ ! -e "$P/probe-outside" ] &&
       [ "$(after unlink-outside)" = "rc=-1 errno=13" ] && [ -f "$P/victim" ] &&
       [[ "$(after rename-out)" == "rc=-1 errno="@(13|18) ]] && [ -f "$S/probe-inside" ]; then
      pass "daemon-sandbox: landlock: creating, removing or renaming out of the state dir fails (EACCES/EXDEV), the daemon lives on"
    else fail "daemon-sandbox: landlock: create-outside $(after create-outside), unlink $(after unlink-outside), rename $(after rename-out)"; fi
  else
    skip "daemon-sandbox: this kernel has no Landlock ($(grep sandbox: "$P/log"))"
  fi
  kill "$DPID"; wait "$DPID"; rc=$?; DPID=""
  [ $rc -eq 0 ] && pass "daemon-sandbox: clean exit after the allowed probes" || fail "daemon-sandbox: exit $rc"
fi

# --- each call outside the allow-list kills the daemon before it returns ---
for p in execve fork socket-inet open-write ioctl-tiocsti mmap-exec setuid; do
  start "$p" || continue
  run_probe "$p"
  { wait "$DPID"; rc=$?; } 2>/dev/null; DPID=""
  nr=$(before_nr "$p")
  if [ $rc -eq $((128 + 31)) ] && [ -n "$nr" ] && [ -z "$(after "$p")" ] && ! grep -q stopping "$P/log" &&
     [ ! -e "$P/pwned" ] && [ "$(cat "$P/victim")" = "do not touch" ]; then
    pass "daemon-sandbox: $p (system call $nr) kills the daemon with SIGSYS before it returns"
  else fail "daemon-sandbox: $p: exit $rc, result: $(cat "$P/result" 2>/dev/null), pwned: $([ -e "$P/pwned" ] && echo yes)"; fi
done

# --- sandbox debug names the call and exits 3 ---
if start "debug" --set 'sandbox debug'; then
  run_probe socket-inet
  wait "$DPID"; rc=$?; DPID=""
  nr=$(before_nr socket-inet)
  [ $rc -eq 3 ] && grep -q "sandbox: system call $nr is not allowed" "$P/log" &&
    pass "daemon-sandbox: sandbox debug: names the denied call ($nr, socket) and exits 3" ||
    fail "daemon-sandbox: debug: exit $rc, log: $(tail -2 "$P/log")"
fi

# --- controls: without the sandbox the same probes do what they say ---
if start "no sandbox" --no-sandbox; then
  run_probe create-outside
  run_probe socket-inet
  [[ "$(after create-outside)" == rc=[0-9]*" errno=0" ]] && [ -e "$P/probe-outside" ] &&
    [[ "$(after socket-inet)" == rc=[0-9]*" errno=0" ]] &&
    pass "daemon-sandbox: control (--no-sandbox): the file outside is created, the socket opened" ||
    fail "daemon-sandbox: control: $(cat "$P/result")"
  run_probe execve
  for _ in $(seq 50); do [ -e "$P/pwned" ] && break; sleep 0.1; done
  wait "$DPID" 2>/dev/null; DPID=""
  [ -e "$P/pwned" ] && pass "daemon-sandbox: control (--no-sandbox): the execve probe really runs a shell" ||
    fail "daemon-sandbox: control execve: $(cat "$P/result")"
fi
