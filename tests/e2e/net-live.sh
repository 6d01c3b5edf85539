#!/bin/bash
# net-live.sh — the switch live: a "server" (a QEMU guest on a stream socket port, or a network
# namespace on a TAP port) and a client namespace on a TAP port. The server runs a `nc -l -p 2001`
# backdoor; the client connects, scans, pings and fetches a page; `net --switch` must report the
# backdoor connection with the client's IP and MAC and the scan, while ping and HTTP still work
# and a `drop` rule (port 6666) blocks inline.
# usage: net-live.sh XVIDS_OR_XVNET [--guest ARCH [--netdev stream|dgram|stream-tcp|dgram-udp]]
# (root; traffic stays between the namespaces it creates, the guest and loopback sockets)
set -u
# Without arguments (as scripts/test runs it): $XVIDS against the AArch64 guest on a stream port.
if [ $# -eq 0 ]; then
	set -- "${XVIDS:?usage: net-live.sh XVIDS [--guest ARCH [--netdev KIND]]}" --guest aarch64
fi
BIN=$(readlink -f "$1")
shift
GUEST_ARCH="" NETDEV=stream
while [ $# -gt 0 ]; do
	case "$1" in
	--guest) GUEST_ARCH=${2:?--guest needs an ARCH}; shift 2 ;;
	--netdev) NETDEV=${2:?--netdev needs a kind}; shift 2 ;;
	*) echo "unknown argument $1"; exit 2 ;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] || { echo "SKIP: needs root and /dev/net/tun"; exit 77; }
command -v busybox >/dev/null || { echo "SKIP: needs busybox"; exit 77; }

ID=$$
NS_C=xvnet-c$ID NS_S=xvnet-s$ID TAP_C=xvc$ID TAP_S=xvs$ID
T=$(mktemp -d /tmp/xvnet-live.XXXXXX)
SW=""
PIDS=""
fails=0
ok() { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
cleanup() {
	# only what this script started: the timeout wrappers, which end their child with them
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	[ -n "$SW" ] && kill -TERM "$SW" 2>/dev/null && wait "$SW" 2>/dev/null
	[ -n "$GUEST_ARCH" ] && "$ROOT/guest/stop" "$T/guest" >/dev/null 2>&1
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

cat "$ROOT/tests/net/e2e.rules" > "$T/live.rules"
echo 'drop tcp any any -> $HOME_NET 6666 (msg:"XV blocked port 6666"; sid:1000010;)' >> "$T/live.rules"

LPORT=$((20000 + ID % 20000))
case "$NETDEV" in
stream) SERVER_PORT="vm=stream:unix:$T/vm.sock"
	QNET="stream,id=n0,server=off,addr.type=unix,addr.path=$T/vm.sock" ;;
stream-tcp) SERVER_PORT="vm=stream:tcp:127.0.0.1:$LPORT"
	QNET="stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=$LPORT" ;;
dgram) SERVER_PORT="vm=dgram:unix:$T/sw.sock,peer=$T/vm.sock"
	QNET="dgram,id=n0,local.type=unix,local.path=$T/vm.sock,remote.type=unix,remote.path=$T/sw.sock" ;;
dgram-udp) SERVER_PORT="vm=dgram:udp:127.0.0.1:$LPORT,peer=127.0.0.1:$((LPORT + 1))"
	QNET="dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$((LPORT + 1)),remote.type=inet,remote.host=127.0.0.1,remote.port=$LPORT" ;;
*) echo "unknown --netdev $NETDEV"; exit 2 ;;
esac
if [ -z "$GUEST_ARCH" ]; then
	SERVER_PORT="srv=tap:$TAP_S"
fi
"$BIN" switch --port "$SERVER_PORT" --port "cli=tap:$TAP_C" --rules "$T/live.rules" \
	--home-net 10.0.0.0/24 --drop --control "$T/ctl.sock" --eve "$T/eve.json" \
	--mirror "$T/mirror.pcap" > "$T/sw.out" 2> "$T/sw.err" &
SW=$!
for _ in $(seq 50); do [ -S "$T/ctl.sock" ] && break; sleep 0.1; done
[ -S "$T/ctl.sock" ] || { echo "switch did not start: $(cat "$T/sw.err")"; exit 2; }

ip netns add "$NS_C" || exit 2
ip link set "$TAP_C" netns "$NS_C" && ip -n "$NS_C" addr add 10.0.0.5/24 dev "$TAP_C" &&
	ip -n "$NS_C" link set lo up && ip -n "$NS_C" link set "$TAP_C" up || exit 2
CLIENT_MAC=$(ip -n "$NS_C" -o link show "$TAP_C" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

if [ -n "$GUEST_ARCH" ]; then
	SMAC=52:54:00:12:34:02
	"$ROOT/guest/boot" "$GUEST_ARCH" "$T/guest" --append 'xvids.ip=10.0.0.2/24' -- \
		-netdev "$QNET" \
		-device "virtio-net-pci,netdev=n0,mac=$SMAC" > "$T/boot.log" 2>&1 ||
		{ echo "guest did not boot: $(tail -5 "$T/boot.log")"; exit 2; }
	srv() { "$ROOT/guest/cmd" "$T/guest" "$1" 30; }
	srv 'ip addr show eth0 | grep -q 10.0.0.2 || { ip addr add 10.0.0.2/24 dev eth0; ip link set eth0 up; }; ip -o addr show eth0' > "$T/ipaddr" 2>&1
	grep -q 10.0.0.2 "$T/ipaddr" && ok "guest eth0 is 10.0.0.2 on the switch" || bad "guest eth0: $(cat "$T/ipaddr")"
	srv '(nc -l -p 2001 > /tmp/backdoor.out 2>&1 &); (nc -l -p 6666 > /tmp/blocked.out 2>&1 &); mkdir -p /tmp/www; echo xvids-live-page > /tmp/www/index.html; httpd -p 8081 -h /tmp/www; echo started' >/dev/null
	SERVER_DESC="guest ($GUEST_ARCH, -netdev $QNET)"
else
	ip netns add "$NS_S" || exit 2
	ip link set "$TAP_S" netns "$NS_S" && ip -n "$NS_S" addr add 10.0.0.2/24 dev "$TAP_S" &&
		ip -n "$NS_S" link set lo up && ip -n "$NS_S" link set "$TAP_S" up || exit 2
	SMAC=$(ip -n "$NS_S" -o link show "$TAP_S" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ip netns exec "$NS_S" timeout 60 busybox nc -l -p 2001 > "$T/backdoor.out" 2>&1 &
	PIDS="$PIDS $!"
	ip netns exec "$NS_S" timeout 60 busybox nc -l -p 6666 > "$T/blocked.out" 2>&1 &
	PIDS="$PIDS $!"
	mkdir -p "$T/www" && echo xvids-live-page > "$T/www/index.html"
	ip netns exec "$NS_S" timeout 60 busybox httpd -f -p 8081 -h "$T/www" &
	PIDS="$PIDS $!"
	srv() { ip netns exec "$NS_S" sh -c "$1"; }
	SERVER_DESC="namespace (TAP port)"
	sleep 0.3
fi
echo "# server: $SERVER_DESC 10.0.0.2 $SMAC; client: namespace 10.0.0.5 $CLIENT_MAC"
C() { ip netns exec "$NS_C" "$@"; }

C busybox ping -c 3 -W 5 10.0.0.2 > "$T/ping" 2>&1 && ok "ping flows through the switch ($(grep -o 'round-trip.*' "$T/ping"))" || bad "ping: $(cat "$T/ping")"
echo 'id; uname -a' | C timeout 5 busybox nc 10.0.0.2 2001
sleep 0.5
if [ -n "$GUEST_ARCH" ]; then got=$(srv 'cat /tmp/backdoor.out'); else got=$(cat "$T/backdoor.out"); fi
[ "$got" = "id; uname -a" ] && ok "backdoor connection carried data to the server" || bad "backdoor data: '$got'"
C timeout 10 busybox wget -q -O "$T/page" http://10.0.0.2:8081/index.html
grep -q xvids-live-page "$T/page" 2>/dev/null && ok "HTTP through the switch" || bad "HTTP fetch failed"
echo secret | C timeout 4 busybox nc -w 3 10.0.0.2 6666 > /dev/null 2>&1
if [ -n "$GUEST_ARCH" ]; then got=$(srv 'cat /tmp/blocked.out'); else got=$(cat "$T/blocked.out"); fi
[ -z "$got" ] && ok "inline drop: nothing reached port 6666" || bad "port 6666 got '$got'"
C python3 - <<'PY'
import socket
for p in range(1, 101):
    s = socket.socket()
    s.settimeout(0.3)
    s.connect_ex(("10.0.0.2", p))
    s.close()
PY
sleep 0.5
"$BIN" net --switch "$T/ctl.sock" --json > "$T/alerts.json"
rc=$?
"$BIN" net --switch "$T/ctl.sock" > "$T/alerts.txt"
cat "$T/alerts.txt"
[ $rc = 1 ] && ok "net --switch exits 1 (alerts)" || bad "net --switch exit $rc"
python3 - "$T/alerts.json" "$CLIENT_MAC" <<'PY' && ok "net reports the backdoor (client IP+MAC), the scan and the drop" || bad "alerts wrong"
import json, sys
A = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mac = sys.argv[2]
def has(sid, gid=1, **kw):
    return [a for a in A if a['alert']['signature_id'] == sid and a['alert']['gid'] == gid
            and a['src_ip'] == '10.0.0.5' and a['ether']['src_mac'] == mac
            and all(a.get(k) == v for k, v in kw.items())]
ok = True
for what, cond in (("backdoor", has(1000001, dest_port=2001, dest_ip='10.0.0.2', in_iface='cli')),
                   ("scan", has(3, gid=100)),
                   ("drop", [a for a in has(1000010) if a['alert']['action'] == 'blocked'])):
    if not cond:
        print("missing", what); ok = False
bad = [a for a in A if a['ether']['src_mac'] != mac]
if bad:
    print("alerts not from the client:", bad); ok = False
sys.exit(0 if ok else 1)
PY
cmp -s <(sort "$T/alerts.json") <(sort "$T/eve.json") && ok "--eve file holds the same records" || bad "--eve file differs"
kill -TERM "$SW"; wait "$SW"; rc=$?; SW=""
[ $rc = 1 ] && ! grep -q Sanitizer "$T/sw.err" && grep -q '^# cli ' "$T/sw.err" && grep -q 'engine:' "$T/sw.err" && ok "SIGTERM: clean stop with counters (exit $rc)" || bad "no counters: $(cat "$T/sw.err")"
cat "$T/sw.err"
n=$(tcpdump -nr "$T/mirror.pcap" 2>/dev/null | wc -l)
[ "$n" -gt 100 ] && [ "$(tcpdump -nr "$T/mirror.pcap" 'tcp port 2001' 2>/dev/null | wc -l)" -gt 3 ] &&
	ok "mirror pcap readable by tcpdump ($n frames)" || bad "mirror has $n frames"
# A second unmodified reader, Wireshark's dissectors: the same frames, the same backdoor packets.
if command -v tshark >/dev/null; then
	nt=$(tshark -n -r "$T/mirror.pcap" 2>/dev/null | wc -l)
	bt=$(tshark -n -r "$T/mirror.pcap" -Y 'tcp.port == 2001' 2>/dev/null | wc -l)
	bd=$(tcpdump -nr "$T/mirror.pcap" 'tcp port 2001' 2>/dev/null | wc -l)
	[ "$nt" = "$n" ] && [ "$bt" = "$bd" ] && [ "$bt" -gt 3 ] &&
		ok "mirror pcap read by tshark: $nt frames, $bt on the backdoor port, as tcpdump" ||
		bad "tshark sees $nt frames ($bt on port 2001), tcpdump $n ($bd)"
fi
[ $fails = 0 ] && echo "all net live checks passed" || echo "$fails net live checks FAILED"
exit $((fails > 0))
