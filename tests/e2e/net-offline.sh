#!/bin/bash
# net-offline.sh — `net --pcap` end to end on generated captures: the right alerts, with the
# attacker's IP and MAC, and nothing for benign traffic.
# usage: net-offline.sh XVIDS_OR_XVNET [GEN_PCAP.PY]   (run from anywhere)
set -u
BIN=${1:-${XVIDS:?usage: net-offline.sh XVIDS [gen_pcap.py]}}
HERE=$(cd "$(dirname "$0")" && pwd)
GEN=${2:-$HERE/../net/gen_pcap.py}
RULES=$HERE/../net/e2e.rules
T=$(mktemp -d /tmp/xvnet-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

HOME_NET='[10.0.0.0/24,fd00::/64]'
for s in benign backdoor backdoor6 payload scan arpspoof arpslow synflood all malformed; do
	python3 "$GEN" $s "$T/$s.pcap" || { echo "cannot generate $s"; exit 2; }
done

run() { # scenario -> $T/scenario.json, exit code in $rc
	"$BIN" net --pcap "$T/$1.pcap" --rules "$RULES" --home-net "$HOME_NET" --json \
		--eve "$T/$1.eve" > "$T/$1.json" 2> "$T/$1.err"
	rc=$?
}

# expect SCENARIO EXIT 'python predicate over the list A of alert dicts' DESCRIPTION
expect() {
	run "$1"
	if [ "$rc" != "$2" ]; then
		bad "$1: exit $rc, want $2 ($(head -c 300 "$T/$1.err"))"
		return
	fi
	if python3 - "$T/$1.json" "$T/$1.eve" <<PY
import json, sys
A = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
E = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert A == E, "--eve file differs from --json output"
for a in A:
    for k in ('timestamp', 'event_type', 'proto', 'alert', 'ether'):
        assert k in a, (k, a)
    assert a['event_type'] == 'alert'
    for k in ('action', 'gid', 'signature_id', 'rev', 'signature', 'category', 'severity'):
        assert k in a['alert'], (k, a)
sids = sorted(set((a['alert']['gid'], a['alert']['signature_id']) for a in A))
ok = $3
if not ok:
    print("   alerts:", json.dumps(A)[:1500])
sys.exit(0 if ok else 1)
PY
	then ok "$1: $4"; else bad "$1: $4"; fi
}

EVIL='a["src_ip"] == "10.0.0.66" and a["ether"]["src_mac"] == "52:54:00:ee:ee:ee"'
expect benign 0 'A == []' "benign traffic raises nothing"
expect backdoor 1 "len(A) == 1 and A[0]['alert']['signature_id'] == 1000001 and [a for a in A if $EVIL and a['dest_port'] == 2001 and a['dest_ip'] == '10.0.0.2']" \
	"backdoor connection to 2001 from 10.0.0.66 / 52:54:00:ee:ee:ee"
expect backdoor6 1 "len(A) == 1 and A[0]['alert']['signature_id'] == 1000001 and A[0]['src_ip'] == 'fd00::66' and A[0]['dest_ip'] == 'fd00::2' and A[0]['dest_port'] == 2001 and A[0]['ether']['src_mac'] == '52:54:00:ee:ee:ee'" \
	"IPv6 backdoor (hop-by-hop header, VLAN 42) from fd00::66 / 52:54:00:ee:ee:ee; benign IPv6 web silent"
expect payload 1 "sids == [(1, 1000002)] and all($EVIL for a in A) and A[0]['dest_port'] == 80" \
	"payload match (/etc/passwd, nocase) from the attacker"
expect scan 1 "sids == [(100, 3)] and len(A) == 1 and $EVIL" "SYN scan of 200 ports: one port-scan alert naming the attacker"
expect arpspoof 1 "sids == [(100, 1)] and A[0]['ether']['src_mac'] == '52:54:00:ee:ee:ee' and A[0]['src_ip'] == '10.0.0.1' and A[0]['proto'] == 'ARP'" \
	"ARP spoof of the gateway by 52:54:00:ee:ee:ee"
expect synflood 1 "(100, 2) in sids and [a for a in A if a['alert']['signature_id'] == 2 and a['dest_ip'] == '10.0.0.2']" "SYN flood against 10.0.0.2"
expect all 1 "sids == [(1, 1000001), (1, 1000002), (100, 1), (100, 3)] and all(a['ether']['src_mac'] == '52:54:00:ee:ee:ee' for a in A) and len([a for a in A if a['alert']['gid'] == 1]) == 2" \
	"mixed capture: exactly the four attacks, all from the attacker's MAC"
expect malformed 0 'A == []' "malformed frames raise nothing"

# text mode: one line per alert plus the summary
"$BIN" net --pcap "$T/backdoor.pcap" --rules "$RULES" --home-net 10.0.0.0/24 --stats > "$T/text.out" 2>&1
rc=$?
"$BIN" net --pcap "$T/backdoor6.pcap" --rules "$RULES" --home-net "$HOME_NET" > "$T/text6.out" 2>&1
grep -q '{TCP} \[fd00::66\]:51600 (52:54:00:ee:ee:ee) -> \[fd00::2\]:2001' "$T/text6.out" && ok "IPv6 text output: [addr]:port" || bad "IPv6 text: $(cat "$T/text6.out")"
if [ $rc = 1 ] && grep -q '\[1:1000001:1\] XV backdoor connection to port 2001 \[trojan-activity\] {TCP} 10.0.0.66:51515 (52:54:00:ee:ee:ee) -> 10.0.0.2:2001' "$T/text.out" \
	&& grep -q '^# 10 frames, 3 rules, 1 alerts, 0 malformed' "$T/text.out"; then
	ok "text output names the rule, attacker IP:port and MAC"
else bad "text output: $(cat "$T/text.out")"; fi
"$BIN" net --pcap "$T/malformed.pcap" --stats > "$T/mal.out" 2>&1
grep -q '^# 6 frames, 0 rules, 0 alerts, 6 malformed' "$T/mal.out" && ok "6 malformed frames counted" || bad "malformed count: $(cat "$T/mal.out")"

# errors: exit 2 with FILE:LINE
printf 'alert tcp any any -> any 1 (sid:1;)\nalert tcp any any -> any 2 (sid:2; pcre:"/x/";)\n' > "$T/bad.rules"
"$BIN" net --pcap "$T/benign.pcap" --rules "$T/bad.rules" > "$T/bad.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "$T/bad.rules:2: unsupported option 'pcre'" "$T/bad.out" && ok "bad rule: exit 2 with FILE:LINE" || bad "bad rule: exit $rc: $(cat "$T/bad.out")"
"$BIN" net --pcap "$T/nonexistent.pcap" > "$T/np.out" 2>&1
[ $? = 2 ] && ok "missing capture: exit 2" || bad "missing capture"
echo garbage > "$T/garbage.pcap"
"$BIN" net --pcap "$T/garbage.pcap" > "$T/g.out" 2>&1
[ $? = 2 ] && ok "garbage capture: exit 2" || bad "garbage capture"
# detector thresholds are configurable
"$BIN" net --pcap "$T/scan.pcap" --scan-ports 500 --json > "$T/scan2.json" 2>/dev/null
[ $? = 0 ] && [ ! -s "$T/scan2.json" ] && ok "--scan-ports 500: the 200-port scan is below threshold" || bad "--scan-ports"

# each detector on its own: (gid, sid) of the alerts of capture $1 with options $2..
dsids() {
	local cap=$1
	shift
	"$BIN" net --pcap "$T/$cap.pcap" --rules "$RULES" --home-net "$HOME_NET" --json "$@" 2>/dev/null |
		python3 -c 'import json, sys; print(sorted(set((a["alert"]["gid"], a["alert"]["signature_id"]) for a in map(json.loads, sys.stdin))))'
}
# expect_sids CAPTURE 'WANTED LIST' DESCRIPTION OPTIONS...
expect_sids() {
	local cap=$1 want=$2 what=$3
	shift 3
	got=$(dsids "$cap" "$@")
	[ "$got" = "$want" ] && ok "$what" || bad "$what: got $got, want $want"
}
expect_sids all '[(1, 1000001), (1, 1000002), (100, 1), (100, 3)]' "all detectors on by default"
expect_sids all '[(1, 1000001), (1, 1000002), (100, 3)]' "--no-arp-spoof: no ARP alert, the scan still reported" --no-arp-spoof
expect_sids all '[(1, 1000001), (1, 1000002), (100, 1)]' "--no-port-scan: no scan alert, the ARP spoof still reported" --no-port-scan
expect_sids all '[(1, 1000001), (1, 1000002)]' "--no-detectors: rules only" --no-detectors
expect_sids synflood '[(100, 2)]' "SYN flood detected by default" --no-port-scan
expect_sids synflood '[]' "--no-syn-flood: the flood is not reported" --no-syn-flood --no-port-scan
expect_sids synflood '[(100, 2)]' "--no-port-scan --no-arp-spoof: the SYN flood detector stays on" --no-port-scan --no-arp-spoof
# ARP TTL and re-alert: the owner speaks at 0 s, the attacker claims at 30, 40 and 100 s
arpn() { "$BIN" net --pcap "$T/arpslow.pcap" --json "$@" 2>/dev/null | grep -c '"signature_id":1,'; }
[ "$(arpn)" = 2 ] && ok "ARP claims at 30 and 100 s alert, 40 s is within the 60 s re-alert" || bad "arpslow default: $(arpn)"
[ "$(arpn --arp-realert 5)" = 3 ] && ok "--arp-realert 5: all three claims alert" || bad "--arp-realert: $(arpn --arp-realert 5)"
[ "$(arpn --arp-ttl 20)" = 0 ] && ok "--arp-ttl 20: the owner was silent for 30 s, the binding moves quietly" || bad "--arp-ttl: $(arpn --arp-ttl 20)"
[ "$(arpn --arp-ttl 35 --arp-realert 5)" = 1 ] && ok "--arp-ttl 35: only the claim at 30 s is an alert (40 s: owner silent 40 s)" || bad "--arp-ttl 35: $(arpn --arp-ttl 35 --arp-realert 5)"
"$BIN" net --pcap "$T/arpslow.pcap" --arp-ttl 0 > /dev/null 2>&1
[ $? = 2 ] && ok "--arp-ttl 0: usage error (exit 2)" || bad "--arp-ttl 0 accepted"

# The same options on `xvids switch` (no root: two unix datagram ports, frames of the generated
# captures sent into one of them as a QEMU dgram netdev would, alerts read with net --switch)
SWSEND=$T/swsend.py
cat > "$SWSEND" <<'PY'
import socket, struct, sys, time
pcap, port, me = sys.argv[1], sys.argv[2], sys.argv[3]
pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(me)
d = open(pcap, 'rb').read()
off, n = 24, 0
while off + 16 <= len(d):
    cap = struct.unpack('<I', d[off + 8:off + 12])[0]
    s.sendto(d[off + 16:off + 16 + cap], port)
    off += 16 + cap
    n += 1
    if pause and n == 1:
        time.sleep(pause)  # between the first frame and the rest
    elif n % 200 == 0:
        time.sleep(0.002)  # do not overrun the switch's socket buffer
PY
# swrun CAPTURE PAUSE OPTIONS... -> (gid, sid) list of what the switch recorded
swrun() {
	local cap=$1 pause=$2 d
	shift 2
	d=$(mktemp -d "$T/sw.XXXXXX")
	"$BIN" switch --port "in=dgram:unix:$d/in.sock,peer=$d/c1" --port "out=dgram:unix:$d/out.sock,peer=$d/c2" 		--rules "$RULES" --home-net "$HOME_NET" --control "$d/ctl" --quiet --for 30 "$@" > "$d/out" 2> "$d/err" &
	local pid=$!
	for _ in $(seq 50); do [ -S "$d/ctl" ] && break; sleep 0.1; done
	python3 "$SWSEND" "$T/$cap.pcap" "$d/in.sock" "$d/c1" "$pause"
	sleep 0.3
	"$BIN" net --switch "$d/ctl" --json 2>/dev/null |
		python3 -c 'import json, sys; print(sorted(set((a["alert"]["gid"], a["alert"]["signature_id"]) for a in map(json.loads, sys.stdin))))'
	kill -TERM $pid 2>/dev/null
	wait $pid 2>/dev/null
}
# swexpect CAPTURE PAUSE 'WANTED' DESCRIPTION OPTIONS...
swexpect() {
	local cap=$1 pause=$2 want=$3 what=$4
	shift 4
	got=$(swrun "$cap" "$pause" "$@")
	[ "$got" = "$want" ] && ok "switch: $what" || bad "switch: $what: got $got, want $want"
}
swexpect scan 0 '[(100, 3)]' "port scan reported by default"
swexpect scan 0 '[]' "--no-port-scan" --no-port-scan
swexpect arpspoof 0 '[(100, 1)]' "ARP spoof reported by default"
swexpect arpspoof 0 '[]' "--no-arp-spoof" --no-arp-spoof
swexpect arpspoof 1.5 '[]' "--arp-ttl 1: the owner silent 1.5 s, the binding moves quietly" --arp-ttl 1
swexpect arpspoof 1.5 '[(100, 1)]' "--arp-ttl 3: the claim 1.5 s after the owner alerts" --arp-ttl 3
swexpect synflood 0 '[(100, 2)]' "SYN flood reported (port scan off)" --no-port-scan
swexpect synflood 0 '[]' "--no-syn-flood" --no-syn-flood --no-port-scan
swexpect all 0 '[(1, 1000001), (1, 1000002)]' "--no-detectors: rules only" --no-detectors
"$BIN" switch --port "x=dgram:unix:$T/x.sock" --arp-realert 0 > /dev/null 2>&1
[ $? = 2 ] && ok "switch --arp-realert 0: usage error (exit 2)" || bad "switch --arp-realert 0 accepted"

[ $fails = 0 ] && echo "all net offline checks passed" || echo "$fails net offline checks FAILED"
exit $((fails > 0))
