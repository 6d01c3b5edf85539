#!/usr/bin/env bash
# daemon-robust.sh — issue 6: 1,000 sessions of garbage (random bytes, broken IAC sequences,
# 1 MB lines, abrupt disconnects, before and after login) and 50 concurrent clients: xvidsd stays
# up and keeps answering correctly; idle and login timeouts; the client cap. Loopback only.
source "$(dirname "$0")/lib.sh"
XVIDSD="${XVIDSD:-$(cd "$(dirname "$XVIDS")/.." && pwd)/daemon/xvidsd}"
HERE="$ROOT/tests/e2e"
[ -x "$XVIDSD" ] || { skip "xvidsd not built ($XVIDSD; needs libtelnet)"; exit 0; }
ADDR="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; e2e_cleanup' EXIT
N="${DAEMON_GARBAGE_SESSIONS:-1000}"

run=$(boot_guest aarch64 clean) || { fail "daemon-robust: guest boots"; exit 1; }
E2E_GUESTS+=("$run")
PW="pw-$RANDOM-$$"
printf '%s\n' "$PW" | "$XVIDSD" --hash-password >"$E2E_TMP/passwd"; chmod 600 "$E2E_TMP/passwd"
"$XVIDSD" --listen "$ADDR:0" --vm "a1=qmp:$run/qmp.sock" --password-file "$E2E_TMP/passwd" \
  --set 'max-clients 64' --set 'addr-failures 1000000' --set 'addr-prelogin 64' --set 'login-delay-ms 100' \
  --set 'idle-timeout 8' --set 'login-timeout 3' --set 'max-line 4096' 2>"$E2E_TMP/daemon.log" &
DPID=$!; PIDS+=("$DPID")
for _ in $(seq 100); do grep -qs 'ready:' "$E2E_TMP/daemon.log" && break; sleep 0.1; done
DPORT=$(sed -n "s/.*listening on $ADDR:\([0-9]*\).*/\1/p" "$E2E_TMP/daemon.log")
[ -n "$DPORT" ] || { fail "daemon-robust: daemon starts: $(cat "$E2E_TMP/daemon.log")"; exit 1; }

python3 "$HERE/daemon_checks.py" robust "$ADDR" "$DPORT" "$PW" "$N"
kill -0 "$DPID" 2>/dev/null && pass "daemon-robust: daemon still running" || fail "daemon-robust: daemon died"

python3 - "$ADDR" "$DPORT" "$PW" <<'PY'
import sys, time, os
sys.path.insert(0, os.path.join(os.environ.get("XVIDS_ROOT", "."), "tests", "e2e"))
import daemon_client as dc
addr, port, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def res(c, w): print(("PASS: " if c else "FAIL: ") + "daemon-robust: " + w); sys.stdout.flush()
# idle timeout: a logged-in client that says nothing is closed
c = dc.SockClient(addr, port); c.login(pw); t = time.time(); out = c.recv_all(15)
res("idle timeout" in out and 7.5 <= time.time() - t <= 11, "idle session closed after idle-timeout (%.1f s)" % (time.time() - t))
# login timeout: a client that never sends the password is closed
c = dc.SockClient(addr, port); t = time.time(); out = c.recv_all(10)
res("login timeout" in out and 2.5 <= time.time() - t <= 6, "silent client closed after login-timeout (%.1f s)" % (time.time() - t))
# a 1 MB line after login: refused, session continues
c = dc.SockClient(addr, port); c.login(pw); c.send(b"x" * (1 << 20) + b"\n")
out = c.recv_until(dc.PROMPT, 30); out2 = c.cmd("vm list")
res("line too long" in out and "attached" in out2, "1 MB line: 'line too long', the session goes on")
c.close()
# one address may hold only addr-prelogin connections that are not logged in (64 here); the
# client cap (64) refuses the 65th either way
cs = [dc.SockClient(addr, port) for _ in range(64)]
for x in cs: x.recv_until(b"Password: ")
extra = dc.SockClient(addr, port); out = extra.recv_all(5)
res("Too many clients" in out, "client 65 is refused with a message (cap 64)")
for x in cs: x.close()
time.sleep(0.5)
c = dc.SockClient(addr, port); c.login(pw)
res("attached" in c.cmd("vm list"), "after the cap is released, new clients get in")
c.close()
PY
kill -0 "$DPID" 2>/dev/null && pass "daemon-robust: daemon still running at the end" || fail "daemon-robust: daemon died"
kill "$DPID"; wait "$DPID"; rc=$?
[ $rc -eq 0 ] && pass "daemon-robust: clean exit (sanitizers silent)" ||
  { fail "daemon-robust: exit status $rc"; grep -A30 "ERROR: " "$E2E_TMP/daemon.log" | head -60; }
