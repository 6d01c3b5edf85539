#!/usr/bin/env bash
# daemon-net.sh — issue 6: xvidsd runs the virtual switch for its VMs from its config file;
# frames arriving on a port (QEMU's dgram netdev format: one Ethernet frame per UDP datagram,
# here sent by a script; a second script socket plays the VM on the other port and records what
# the switch delivers to it) are inspected, and the shared `net [NAME]` command returns the
# recorded attacks with kind, source IP and MAC; the attacks are alerts too (EVE JSON, `alerts`).
# The config's switch settings are exercised: switch-mirror (a pcap of every received frame),
# inline-drop on/off (a `drop` rule's frames are not / are delivered), detector on/off and the
# detectors' parameters (the same traffic alerts or not). Run with the build under test and,
# when there is one, the release build whose seccomp allow-list is enforcing.
source "$(dirname "$0")/lib.sh"
XVIDSD="${XVIDSD:-$(cd "$(dirname "$XVIDS")/.." && pwd)/daemon/xvidsd}"
PLAIN="${XVIDSD_PLAIN:-$ROOT/build/src/daemon/xvidsd}"
HERE="$ROOT/tests/e2e"
[ -x "$XVIDSD" ] || { skip "xvidsd not built ($XVIDSD; needs libtelnet)"; exit 0; }
DPID=""
trap '[ -n "$DPID" ] && kill $DPID 2>/dev/null; e2e_cleanup' EXIT

cat >"$E2E_TMP/drop.rules" <<'EOF'
# daemon-net: a drop rule (inline IPS) and traffic beside it that no rule matches
drop udp any any -> $HOME_NET 6666 (msg:"XV daemon drop test"; content:"XVIDS-DROP-ME"; classtype:policy-violation; sid:1000101; rev:1;)
EOF

# send_traffic ADDR PORT_A1 PORT_B1 OUT.json — the attacks and the drop-rule traffic; a socket
# on b1 (the "VM" there) says hello first so the switch knows where b1 is, then records what
# it receives. Writes counts as JSON.
send_traffic() {
  python3 - "$1" "$2" "$3" "$4" "$ROOT/tests/net" <<'PY'
import json, socket, sys, time
sys.path.insert(0, sys.argv[5])
import gen_pcap as g
addr, p1, p2, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
a1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a1.bind((addr, 0))
b1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b1.bind((addr, 0))
b1.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sent = 0
def send(sock, port, f):
    global sent
    sock.sendto(f, (addr, port)); sent += 1; time.sleep(0.0005)
send(b1, p2, g.udp('cli', 'gw', 5353, 5353, b'hello from b1'))  # b1 learns 10.0.0.5's MAC
time.sleep(0.2)
for f in g.scan():          # 10.0.0.66 (52:54:00:ee:ee:ee) scans 200 ports of 10.0.0.2, via a1
    send(a1, p1, f)
for i in range(5):          # to 10.0.0.5 on b1: five the drop rule matches, five it does not
    send(a1, p1, g.udp('evil', 'cli', 40000 + i, 6666, b'XVIDS-DROP-ME %d' % i))
    send(a1, p1, g.udp('evil', 'cli', 40000 + i, 7777, b'XVIDS-PASS-OK %d' % i))
for f in g.arpspoof():      # 52:54:00:ee:ee:ee claims the gateway's IP 10.0.0.1, via b1
    send(b1, p2, f); time.sleep(0.01)
got = {"drop": 0, "pass": 0}
b1.settimeout(1.5)
try:
    while True:
        d = b1.recv(65536)
        got["drop"] += b"XVIDS-DROP-ME" in d
        got["pass"] += b"XVIDS-PASS-OK" in d
except socket.timeout:
    pass
json.dump({"sent": sent, "got_drop": got["drop"], "got_pass": got["pass"]}, open(out, "w"))
PY
}

# pcap_count FILE PATTERN — frames in a classic pcap, and how many contain PATTERN: "N M"
pcap_count() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
pat = sys.argv[2].encode()
assert d[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"), "not a pcap"
e = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" else ">"
off, n, m = 24, 0, 0
while off + 16 <= len(d):
    incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
    n += 1; m += pat in d[off + 16:off + 16 + incl]; off += 16 + incl
print(n, m)
PY
}

eve_ok() {
  python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
ok = bool(recs) and any(r.get("src_ip") == "10.0.0.66" for r in recs)
sys.exit(0 if ok else 1)'
}

run_net() { # run_net BINARY TAG MODE — MODE: default (inline drop, mirror) or tuned
  local BIN="$1" TAG="$2" MODE="$3" out a1 b1 js al rc cnt conf
  ADDR="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
  local P1=$((20000 + RANDOM % 20000)); local P2=$((P1 + 1))
  conf="$E2E_TMP/net$P1.conf"
  cat >"$conf" <<EOF
# daemon-net.sh ($MODE): the switch from the config file
listen $ADDR:0
no-password
vm a1 qmp:$E2E_TMP/none.sock
switch-port a1=dgram:udp:$ADDR:$P1
switch-port b1=dgram:udp:$ADDR:$P2
home-net 10.0.0.0/24
rules $E2E_TMP/drop.rules
eve $E2E_TMP/eve$P1.json
EOF
  if [ "$MODE" = default ]; then
    printf 'switch-mirror %s\ninline-drop on\ndetector all on\nscan-ports 150\nscan-window 30s\n' \
      "$E2E_TMP/mirror$P1.pcap" >>"$conf"
  else
    printf 'inline-drop off\ndetector arp-spoof off\nscan-ports 500\n' >>"$conf"
  fi
  "$BIN" --config "$conf" 2>"$E2E_TMP/daemon$P1.log" &
  DPID=$!
  for _ in $(seq 100); do grep -qs 'ready:' "$E2E_TMP/daemon$P1.log" && break; sleep 0.1; done
  DPORT=$(sed -n "s/.*listening on $ADDR:\([0-9]*\).*/\1/p" "$E2E_TMP/daemon$P1.log")
  [ -n "$DPORT" ] || { fail "daemon-net$TAG: daemon starts: $(cat "$E2E_TMP/daemon$P1.log")"; return; }
  dcmd() { python3 "$HERE/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "$@"; }
  if [ "$MODE" = default ]; then
    grep -q "inline drop on, mirror $E2E_TMP/mirror$P1.pcap; detectors: arp-spoof on, syn-flood on, port-scan on" \
      "$E2E_TMP/daemon$P1.log" && pass "daemon-net$TAG: the config's switch settings are in force (log)" ||
      fail "daemon-net$TAG: switch settings: $(grep switch: "$E2E_TMP/daemon$P1.log")"
  else
    grep -q "inline drop off; detectors: arp-spoof off, syn-flood on, port-scan on" "$E2E_TMP/daemon$P1.log" &&
      pass "daemon-net$TAG: the config's switch settings are in force (log)" ||
      fail "daemon-net$TAG: switch settings: $(grep switch: "$E2E_TMP/daemon$P1.log")"
  fi

  out=$(dcmd "net")
  grep -q "(0 attacks" <<<"$out" && grep -qE "port a1 +(up|down)" <<<"$out" &&
    pass "daemon-net$TAG: the switch runs with ports a1 and b1, no attacks yet" || fail "daemon-net$TAG: net at start: $out"
  send_traffic "$ADDR" "$P1" "$P2" "$E2E_TMP/sent$P1.json"
  sleep 1
  cnt=$(cat "$E2E_TMP/sent$P1.json")
  out=$(dcmd "net")
  a1=$(dcmd "net a1"); b1=$(dcmd "net b1")
  if [ "$MODE" = default ]; then
    if grep -qi "scan" <<<"$out" && grep -q "10.0.0.66" <<<"$out" && grep -qi "52:54:00:ee:ee:ee" <<<"$out" &&
       grep -qi "arp" <<<"$out"; then
      pass "daemon-net$TAG: net shows the port scan and the ARP spoof with source IP and MAC"
    else fail "daemon-net$TAG: net after the attacks: $out"; fi
    if grep -qi scan <<<"$a1" && ! grep -qi "arp" <<<"$a1" && grep -qi arp <<<"$b1" && ! grep -qi scan <<<"$b1"; then
      pass "daemon-net$TAG: net NAME shows only that port's attacks"
    else fail "daemon-net$TAG: net a1: $a1 / net b1: $b1"; fi
    js=$(dcmd "net -j")
    eve_ok <<<"$js" && pass "daemon-net$TAG: net -j gives EVE alert records" || fail "daemon-net$TAG: net -j: $js"
    # inline drop: the drop rule's five frames alert and never reach b1; the other five do
    if python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if c["got_drop"]==0 and c["got_pass"]==5 else 1)' \
         "$E2E_TMP/sent$P1.json" && grep -q "XV daemon drop test" <<<"$a1" &&
       grep -qE "port a1 +up .*ids-dropped 5$" <<<"$a1"; then
      pass "daemon-net$TAG: inline-drop on: the drop rule's 5 frames alert and are not delivered, the 5 others are ($cnt)"
    else fail "daemon-net$TAG: inline drop: $cnt / $a1"; fi
    read -r n m < <(pcap_count "$E2E_TMP/mirror$P1.pcap" XVIDS-DROP-ME)
    sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$E2E_TMP/sent$P1.json")
    [ "$n" = "$sent" ] && [ "$m" = 5 ] &&
      pass "daemon-net$TAG: switch-mirror: the pcap holds every received frame ($n of $sent), dropped ones included" ||
      fail "daemon-net$TAG: mirror has $n frames ($m dropped ones), $sent were sent"
  else
    # the same traffic: no ARP alert (detector off), no scan alert (200 ports < scan-ports 500),
    # and the drop rule only alerts: its frames are delivered
    if grep -q "XV daemon drop test" <<<"$out" && ! grep -qi "scan" <<<"$out" && ! grep -qi "arp" <<<"$out"; then
      pass "daemon-net$TAG: detector arp-spoof off and scan-ports 500: the same traffic raises neither alert"
    else fail "daemon-net$TAG: tuned detectors: $out"; fi
    if python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if c["got_drop"]==5 and c["got_pass"]==5 else 1)' \
         "$E2E_TMP/sent$P1.json" && grep -qE "port a1 +up .*ids-dropped 0$" <<<"$a1"; then
      pass "daemon-net$TAG: inline-drop off: the drop rule alerts, its frames are delivered ($cnt)"
    else fail "daemon-net$TAG: inline drop off: $cnt / $a1"; fi
  fi
  al=$(dcmd "alerts")
  grep -q " net " <<<"$al" && pass "daemon-net$TAG: network attacks are daemon alerts too" || fail "daemon-net$TAG: alerts: $al"
  grep -q "10.0.0.66" "$E2E_TMP/eve$P1.json" && pass "daemon-net$TAG: and reach the EVE file" ||
    fail "daemon-net$TAG: EVE: $(head -3 "$E2E_TMP/eve$P1.json")"
  out=$(dcmd "net nosuch" "net nosuch -j")
  grep -q "no VM or switch port named 'nosuch'" <<<"$out" &&
    python3 -c 'import json,sys; l=sys.stdin.read().splitlines()[-1]; sys.exit(0 if "no VM or switch port" in json.loads(l)["error"] else 1)' <<<"$out" &&
    pass "daemon-net$TAG: unknown name: clear error, as JSON with -j" || fail "daemon-net$TAG: $out"
  kill "$DPID"; wait "$DPID"; rc=$?; DPID=""
  [ $rc -eq 0 ] && pass "daemon-net$TAG: clean exit" || { fail "daemon-net$TAG: exit $rc"; tail -20 "$E2E_TMP/daemon$P1.log"; }
}

run_net "$XVIDSD" "" default
run_net "$XVIDSD" " (inline-drop off, tuned detectors)" tuned
if [ -x "$PLAIN" ] && [ "$PLAIN" != "$XVIDSD" ]; then run_net "$PLAIN" " (release build, seccomp enforcing)" default; fi
