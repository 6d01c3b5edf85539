#!/usr/bin/env bash
# daemon.sh — xvidsd benchmark: command round trip over telnet on a warm VM (pchk, mchk, ps,
# lsmod; pchk/mchk with and without a baseline policy) and the daemon's memory (RSS) with one
# and with four 96 MB aarch64 guests attached. Targets: pchk < 5 ms, RSS < 16 MB with one VM.
# usage: bench/daemon.sh [XVIDSD]   (default build/src/daemon/xvidsd; N=200 runs per command)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
XVIDSD="${1:-${XVIDSD:-$ROOT/build/src/daemon/xvidsd}}"
N="${N:-200}"
[ -x "$XVIDSD" ] || { echo "no xvidsd at $XVIDSD (build first)"; exit 2; }
T=$(mktemp -d /tmp/xvids-bench-daemon.XXXXXX)
ADDR=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
DPID=""
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null
  for i in 1 2 3 4; do "$ROOT/guest/stop" "$T/g$i" >/dev/null 2>&1; done
  rm -rf "$T"
}
trap cleanup EXIT

start() { # start ARGS... — a daemon on $ADDR:0; sets DPID, DPORT
  "$XVIDSD" --listen "$ADDR:0" --no-password "$@" 2>"$T/daemon.log" &
  DPID=$!
  for _ in $(seq 100); do grep -qs 'ready:' "$T/daemon.log" && break; sleep 0.1; done
  DPORT=$(sed -n "s/.*listening on $ADDR:\([0-9]*\).*/\1/p" "$T/daemon.log")
}
rss() { # rss — after the daemon has had a quiet moment to drop guest pages it touched
  sleep 1.5
  awk '/^VmRSS|^RssAnon|^RssFile/ {printf "%s %s kB  ", $1, $2} END {print ""}' "/proc/$DPID/status"
}
dcmd() { python3 "$ROOT/tests/e2e/daemon_checks.py" cmd "$ADDR" "$DPORT" "" "$@" >/dev/null; }

echo "== machine"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs; kernel $(uname -r)"
echo "xvidsd: $XVIDSD ($(file -b "$XVIDSD" | cut -d, -f1)); guests: aarch64 96 MB under QEMU TCG"
# One guest for the latency runs (each TCG guest keeps a host CPU busy: four would compete with
# the daemon on a small machine), the other three only for the four-VM memory figures.
"$ROOT/guest/boot" aarch64 "$T/g1" >"$T/boot1.log" 2>&1 || { cat "$T/boot1.log"; exit 1; }

echo "== one VM (qmp:), warm"
start --vm "g1=qmp:$T/g1/qmp.sock" --state-dir "$T/state"
echo "rss idle after attach:      $(rss)"
python3 "$ROOT/bench/daemon_latency.py" "$ADDR" "$DPORT" g1 "$N" "pchk VM" "mchk VM" "ps VM" "lsmod VM" "vm list"
dcmd "baseline g1"
python3 "$ROOT/bench/daemon_latency.py" "$ADDR" "$DPORT" g1 "$N" "pchk VM" "mchk VM" "pchk VM -j"
echo "rss after the runs:         $(rss)"
dcmd "watch pchk g1 every 1s" "watch mchk g1 every 1s"
sleep 3
echo "rss with 2 watches (1 s):   $(rss)"
kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=""

echo "== one VM (ram:), warm"
ram=$(sed -n 's/^ram=//p' "$T/g1/info")@$(sed -n 's/^ram_base=//p' "$T/g1/info")
start --vm "g1=ram:$ram"
python3 "$ROOT/bench/daemon_latency.py" "$ADDR" "$DPORT" g1 "$N" "pchk VM" "mchk VM"
echo "rss after the runs:         $(rss)"
kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=""

for i in 2 3 4; do
  "$ROOT/guest/boot" aarch64 "$T/g$i" >"$T/boot$i.log" 2>&1 &
done
wait
for i in 2 3 4; do [ -S "$T/g$i/qmp.sock" ] || { echo "guest $i did not boot"; cat "$T/boot$i.log"; exit 1; }; done
echo "== four VMs (qmp:)"
start --vm "g1=qmp:$T/g1/qmp.sock" --vm "g2=qmp:$T/g2/qmp.sock" --vm "g3=qmp:$T/g3/qmp.sock" \
  --vm "g4=qmp:$T/g4/qmp.sock" --state-dir "$T/state4"
echo "rss idle after attach:      $(rss)"
for g in g1 g2 g3 g4; do dcmd "baseline $g" "pchk $g" "mchk $g" "watch pchk $g every 2s"; done
sleep 3
echo "rss, 4 baselines + watches: $(rss)"
python3 "$ROOT/bench/daemon_latency.py" "$ADDR" "$DPORT" g4 "$N" "pchk VM"
kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
