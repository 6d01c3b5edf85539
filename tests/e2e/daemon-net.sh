#!/usr/bin/env bash
# daemon-net.sh — issue 6: xvidsd runs the virtual switch for its VMs; frames arriving on a port
# (QEMU's dgram netdev format: one Ethernet frame per UDP datagram, here sent by a script) are
# inspected, and `net [NAME]` returns the recorded attacks with kind, source IP and MAC; the
# attacks are alerts too (EVE JSON, `alerts`). Run with the build under test and, when there is
# one, the release build whose seccomp allow-list is enforcing.
source "$(dirname "$0")/lib.sh"
XVIDSD="${XVIDSD:-$(cd "$(dirname "$XVIDS")/.." && pwd)/daemon/xvidsd}"
PLAIN="${XVIDSD_PLAIN:-$ROOT/build/src/daemon/xvidsd}"
HERE="$ROOT/tests/e2e"
[ -x "$XVIDSD" ] || { skip "xvidsd not built ($XVIDSD; needs libtelnet)"; exit 0; }
DPID=""
trap '[ -n "$DPID" ] && kill $DPID 2>/dev/null; e2e_cleanup' EXIT

send_attacks() { # ADDR PORT_A1 PORT_B1
  python3 - "$1" "$2" "$3" "$ROOT/tests/net" <<'PY'
import socket, sys, time
sys.path.insert(0, sys.argv[4])
import gen_pcap as g
addr, p1, p2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for f in g.scan():          # 10.0.0.66 (52:54:00:ee:ee:ee) scans 200 ports of 10.0.0.2, via a1
    s.sendto(f, (addr, p1)); time.sleep(0.0005)
for f in g.arpspoof():      # 52:54:00:ee:ee:ee claims the gateway's IP 10.0.0.1, via b1
    s.sendto(f, (addr, p2)); time.sleep(0.01)
PY
}

eve_ok() {
  python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
ok = bool(recs) and any(r.get("src_ip") == "10.0.0.66" for r in recs)
sys.exit(0 if ok else 1)'
}

run_net() { # run_net BINARY TAG
  local BIN="$1" TAG="$2" out a1 b1 js al rc
  ADDR="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
  local P1=$((20000 + RANDOM % 20000)); local P2=$((P1 + 1))
  "$BIN" --listen "$ADDR:0" --vm "a1=qmp:$E2E_TMP/none.sock" \
    --set "switch-port a1=dgram:udp:$ADDR:$P1" --set "switch-port b1=dgram:udp:$ADDR:$P2" \
    --set 'home-net 10.0.0.0/24' --eve "$E2E_TMP/eve$P1.json" 2>"$E2E_TMP/daemon$P1.log" &
  DPID=$!
  for _ in $(seq 100); do grep -qs 'ready:' "$E2E_TMP/daemon$P1.log" && break; sleep 0.1; done
  DPORT=$(sed -n "s/.*listening on $ADDR:\([0-9]*\).*/\1/p" "$E2E_TMP/daemon$P1.log")
  [ -n "$DPORT" ] || { fail "daemon-net$TAG: daemon starts: $(cat "$E2E_TMP/daemon$P1.log")"; return; }
  dcmd() { python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "$@"; }

  out=$(dcmd "net")
  grep -q "(0 attacks" <<<"$out" && grep -qE "port a1 +(up|down)" <<<"$out" &&
    pass "daemon-net$TAG: the switch runs with ports a1 and b1, no attacks yet" || fail "daemon-net$TAG: net at start: $out"
  send_attacks "$ADDR" "$P1" "$P2"
  sleep 1
  out=$(dcmd "net")
  if grep -qi "scan" <<<"$out" && grep -q "10.0.0.66" <<<"$out" && grep -qi "52:54:00:ee:ee:ee" <<<"$out" &&
     grep -qi "arp" <<<"$out"; then
    pass "daemon-net$TAG: net shows the port scan and the ARP spoof with source IP and MAC"
  else fail "daemon-net$TAG: net after the attacks: $out"; fi
  a1=$(dcmd "net a1"); b1=$(dcmd "net b1")
  if grep -qi scan <<<"$a1" && ! grep -qi "arp" <<<"$a1" && grep -qi arp <<<"$b1" && ! grep -qi scan <<<"$b1"; then
    pass "daemon-net$TAG: net NAME shows only that port's attacks"
  else fail "daemon-net$TAG: net a1: $a1 / net b1: $b1"; fi
  js=$(dcmd "net -j")
  eve_ok <<<"$js" && pass "daemon-net$TAG: net -j gives EVE alert records" || fail "daemon-net$TAG: net -j: $js"
  al=$(dcmd "alerts")
  grep -q " net " <<<"$al" && pass "daemon-net$TAG: network attacks are daemon alerts too" || fail "daemon-net$TAG: alerts: $al"
  grep -q "10.0.0.66" "$E2E_TMP/eve$P1.json" && pass "daemon-net$TAG: and reach the EVE file" ||
    fail "daemon-net$TAG: EVE: $(head -3 "$E2E_TMP/eve$P1.json")"
  out=$(dcmd "net nosuch")
  grep -q "no VM or switch port named" <<<"$out" && pass "daemon-net$TAG: unknown name: clear error" || fail "daemon-net$TAG: $out"
  kill "$DPID"; wait "$DPID"; rc=$?; DPID=""
  [ $rc -eq 0 ] && pass "daemon-net$TAG: clean exit" || { fail "daemon-net$TAG: exit $rc"; tail -20 "$E2E_TMP/daemon$P1.log"; }
}

run_net "$XVIDSD" ""
if [ -x "$PLAIN" ] && [ "$PLAIN" != "$XVIDSD" ]; then run_net "$PLAIN" " (release build, seccomp enforcing)"; fi
