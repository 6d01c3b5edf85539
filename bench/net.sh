#!/bin/bash
# net.sh — benchmark of the net engine: pcap replay with a few hundred header rules against
# `tcpdump -r` (equivalent BPF filter) and `tshark -r` (equivalent display filter) on the same
# generated capture, the replay inside one process (no start-up, no output), the engine alone on
# preloaded frames, and the switch's forwarding rate and latency. Target: >= 5 Mpps per core (CPU
# time of the whole `xvids net --pcap` process) with the header rules.
# usage: bench/net.sh [BUILD_DIR] [PACKETS] [RULES]      (defaults: build 300000 300)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
N=${2:-300000}
R=${3:-300}
XVNET=$BUILD/tests/unit/net/xvnet
BENCH=$BUILD/tests/unit/net/net_bench
[ -x "$BUILD/src/cli/xvids" ] && XVNET=$BUILD/src/cli/xvids
for t in "$XVNET" "$BENCH"; do [ -x "$t" ] || { echo "missing $t: build first (ninja -C $BUILD)"; exit 2; }; done
for c in tcpdump tshark hyperfine python3; do command -v $c >/dev/null || { echo "missing $c"; exit 2; }; done
T=$(mktemp -d /tmp/xvnet-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# tools: $(tcpdump --version 2>&1 | head -1), $(tshark -v 2>/dev/null | head -1 | cut -d' ' -f1-3)"
python3 "$ROOT/tests/net/gen_pcap.py" bench "$T/bench.pcap" --packets "$N"
python3 "$ROOT/bench/net_rules.py" "$R" "$T/bench.rules" "$T/bpf" "$T/dfilter"
echo "# capture: $N frames, $(stat -c %s "$T/bench.pcap") bytes; $R rules ($(grep -c . "$T/bench.rules") lines)"

# the three must select the same packets, or the comparison means nothing
xv=$("$XVNET" net --pcap "$T/bench.pcap" --rules "$T/bench.rules" --home-net 10.0.0.0/24 --no-detectors --json | wc -l)
tcpdump -r "$T/bench.pcap" -w "$T/td.pcap" "$(cat "$T/bpf")" 2>/dev/null
td=$(tcpdump -r "$T/td.pcap" 2>/dev/null | wc -l)
ts=$(tshark -n -r "$T/bench.pcap" -Y "$(cat "$T/dfilter")" -T fields -e frame.number 2>/dev/null | wc -l)
echo "# matches: xvids $xv alerts, tcpdump $td packets, tshark $ts packets"
[ "$xv" = "$td" ] && [ "$td" = "$ts" ] || echo "WARNING: the filters disagree"

hyperfine -i -w 1 -r 5 --export-json "$T/fast.json" \
	-n xvids "$XVNET net --pcap $T/bench.pcap --rules $T/bench.rules --home-net 10.0.0.0/24 --no-detectors --json" \
	-n xvids+detectors "$XVNET net --pcap $T/bench.pcap --rules $T/bench.rules --home-net 10.0.0.0/24 --json" \
	-n tcpdump "tcpdump -r $T/bench.pcap -w /dev/null -F $T/bpf" >/dev/null 2>&1 || true
hyperfine -i -w 0 -r 2 --export-json "$T/tshark.json" \
	-n tshark "tshark -n -r $T/bench.pcap -Y \"$(cat $T/dfilter)\" -T fields -e frame.number > /dev/null" >/dev/null 2>&1 || true
python3 - "$T/fast.json" "$T/tshark.json" "$N" <<'PY'
import json, sys
n = int(sys.argv[3])
res = {}
for f in sys.argv[1:3]:
    for r in json.load(open(f))['results']:
        res[r['command']] = r
print("| tool | wall s (mean) | CPU s (user+sys) | Mpps by wall | Mpps by CPU |")
print("|---|---|---|---|---|")
for name, r in res.items():
    cpu = r['user'] + r['system']
    print("| %s | %.3f | %.3f | %.2f | %.2f |" % (name, r['mean'], cpu, n / r['mean'] / 1e6, n / cpu / 1e6))
for name, r in res.items():
    if name.startswith('xvids'):
        cpu = r['user'] + r['system']
        print("# %s: %.2f Mpps per core by CPU time: target 5 %s" % (name, n / cpu / 1e6,
              "met" if n / cpu / 1e6 >= 5 else "NOT met"))
x = res.get('xvids')
for other in ('tcpdump', 'tshark'):
    if x and other in res:
        o = res[other]
        print("# xvids vs %s: %.1fx by wall clock, %.1fx by CPU time" % (other, o['mean'] / x['mean'],
              (o['user'] + o['system']) / (x['user'] + x['system'])))
PY
"$BENCH" replay "$T/bench.pcap" "$T/bench.rules" 10.0.0.0/24 10 --no-detectors
"$BENCH" replay "$T/bench.pcap" "$T/bench.rules" 10.0.0.0/24 10
"$BENCH" engine "$T/bench.pcap" "$T/bench.rules" 10.0.0.0/24 3 --no-detectors
"$BENCH" engine "$T/bench.pcap" "$T/bench.rules" 10.0.0.0/24 3
"$BENCH" engine "$T/bench.pcap" - 10.0.0.0/24 3 --no-detectors
"$BENCH" switch "$T"
"$BENCH" switch "$T" "$T/bench.rules"
