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
for s in benign backdoor backdoor6 payload scan arpspoof synflood all malformed; do
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

[ $fails = 0 ] && echo "all net offline checks passed" || echo "$fails net offline checks FAILED"
exit $((fails > 0))
