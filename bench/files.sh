#!/usr/bin/env bash
# files.sh — benchmark of fchk over the whole RAM disk and of fichk's scan rate, side by side with
# `yara -r` and `sha256sum` run over the same files extracted to the host (with `xvids cat`).
# usage: bench/files.sh [BUILD_DIR] [DATA_MIB] [ROUNDS]
#   (defaults: build, 24 MiB of extra files per guest, 10 alternating rounds of fichk and yara)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
MIB=${2:-24}
ROUNDS=${3:-10}
X=$BUILD/src/cli/xvids
RULES=$ROOT/bench/files.yar
[ -x "$X" ] || { echo "missing $X: build first"; exit 2; }
for c in yara hyperfine python3 pkg-config cc; do command -v $c >/dev/null || { echo "missing $c"; exit 2; }; done
T=$(mktemp -d /tmp/xvids-files-bench.XXXXXX)
runs=()
cleanup() { for r in "${runs[@]}"; do "$ROOT/guest/stop" "$r" >/dev/null 2>&1 || true; done; rm -rf "$T"; }
trap cleanup EXIT

# The warm figures come from a small program that opens the kernel model once (as xvidsd does).
yara_libs=$(pkg-config --libs yara 2>/dev/null || true)
cc -O2 -std=gnu11 -I"$ROOT/include" -I"$ROOT/src" -I"$BUILD" -o "$T/files_bench" "$ROOT/bench/files_bench.c" \
  "$BUILD/libxvids.a" $(pkg-config --libs libbpf json-c libcrypto libpcap) $yara_libs -lm
: >"$T/empty.pol" # fchk with nothing to compare: the rounds below time fichk alone

# "wall-ms cpu-ms" per command: the host may be busy (other TCG guests), CPU time says more then.
mean() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("\n".join("%.1f %.1f" % (x["mean"]*1e3, (x["user"]+x["system"])*1e3) for x in r))' "$1"; }
median() { python3 -c 'import statistics,sys; print("%.0f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# extract SPEC DIR — every regular file fichk scans (memory file systems) to the host; prints bytes.
extract() {
  "$X" --vm "$1" find / -type f 2>/dev/null | grep -Ev '^/(proc|sys)/' >"$2.list"
  while read -r f; do mkdir -p "$2$(dirname "$f")"; "$X" --vm "$1" cat "$f" >"$2$f" 2>/dev/null || true; done <"$2.list"
  find "$2" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'
}

# side_by_side SPEC TREE BYTES LOAD — ROUNDS alternating rounds, so that both tools see the same
# load: fichk warm in process (median of 3 runs), then `yara -r` (its default 32 threads) and
# `yara -p NPROC -r` (as many threads as fichk's default) on the extracted copy (median of 3).
# Prints the medians over the rounds: MB/s of file data per wall second, and per CPU second
# (user + system of the whole process; steadier than wall time on a shared host).
side_by_side() {
  local spec=$1 tree=$2 bytes=$3 fk=() fc=() ya=() yac=() yp=() ypc=() r out
  for r in $(seq "$ROUNDS"); do
    out=$("$T/files_bench" "$spec" "$T/empty.pol" "$RULES" - 3)
    fk+=("$(sed -n 's/^fichk_warm_MBps_median //p' <<<"$out")")
    fc+=("$(sed -n 's/^fichk_warm_MB_per_cpu_s_median //p' <<<"$out")")
    hyperfine -N -w 1 -r 3 --export-json "$T/y.json" "yara -r $RULES $tree" "yara -p $(nproc) -r $RULES $tree" >"$T/y.log" 2>&1 ||
      { echo "hyperfine failed:"; tail -5 "$T/y.log"; return 1; }
    readarray -t m < <(python3 -c 'import json,sys; print("\n".join("%.1f %.1f" % (int(sys.argv[2]) / x["median"] / 1e6, int(sys.argv[2]) / (x["user"] + x["system"]) / 1e6) for x in json.load(open(sys.argv[1]))["results"]))' "$T/y.json" "$bytes")
    ya+=("${m[0]% *}"); yac+=("${m[0]#* }"); yp+=("${m[1]% *}"); ypc+=("${m[1]#* }")
  done
  echo "  side by side, $ROUNDS rounds (load before: $4, after: $(load)); MB of file data per second:"
  printf '    %-28s %6s wall %6s CPU   wall by round: %s\n' "fichk warm (in process)" "$(median "${fk[@]}")" "$(median "${fc[@]}")" "${fk[*]}"
  printf '    %-28s %6s wall %6s CPU   wall by round: %s\n' "yara -r (host copy)" "$(median "${ya[@]}")" "$(median "${yac[@]}")" "${ya[*]}"
  printf '    %-28s %6s wall %6s CPU   wall by round: %s\n' "yara -p $(nproc) -r (host copy)" "$(median "${yp[@]}")" "$(median "${ypc[@]}")" "${yp[*]}"
}

echo "# xvids files benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -r)"
echo "load at start: $(load); $(yara --version | sed 's/^/yara /'), $(sha256sum --version | head -1)"
echo "rules: bench/files.yar ($(grep -c '^rule' "$RULES") rules)"

for arch in ${BENCH_ARCHES:-x86_64 aarch64}; do
  run=$T/$arch; runs+=("$run")
  "$ROOT/guest/boot" "$arch" "$run" >/dev/null 2>&1
  spec="ram:$(sed -n 's/^ram=//p' "$run/info")@$(sed -n 's/^ram_base=//p' "$run/info")"
  "$X" --vm "$spec" fchk --init >"$T/$arch.demo.pol"
  echo
  echo "## $arch guest: the demo RAM disk ($(grep -c '^file expect' "$T/$arch.demo.pol") entries in the manifest)"
  "$T/files_bench" "$spec" "$T/$arch.demo.pol" "$RULES" - 15 | sed 's/^/  warm /'
  l0=$(load); bytes=$(extract "$spec" "$T/$arch.demo")
  echo "  extracted $(wc -l <"$T/$arch.demo.list") files, $bytes bytes"
  side_by_side "$spec" "$T/$arch.demo" "$bytes" "$l0"
  # Extra data on the RAM disk: 1 MiB files of random bytes and of text, like binaries and logs.
  "$ROOT/guest/cmd" "$run" "mkdir -p /opt/data; i=0; while [ \$i -lt $MIB ]; do
      if [ \$((i % 2)) = 0 ]; then dd if=/dev/urandom of=/opt/data/bin\$i bs=65536 count=16 2>/dev/null
      else j=0; while [ \$j -lt 400 ]; do cat /etc/passwd /www/index.html /init; j=\$((j+1)); done | head -c 1048576 >/opt/data/log\$i; fi
      i=\$((i+1)); done; sync" 300 >/dev/null
  "$X" --vm "$spec" fchk --init >"$T/$arch.pol"
  nfiles=$(grep -c '^file expect' "$T/$arch.pol")
  echo
  echo "## $arch guest with $MIB MiB more files ($nfiles entries in the manifest)"
  "$T/files_bench" "$spec" "$T/$arch.pol" "$RULES" - 15 | sed 's/^/  warm /'
  l0=$(load); bytes=$(extract "$spec" "$T/$arch.tree")
  echo "  extracted $(wc -l <"$T/$arch.tree.list") files, $bytes bytes"
  side_by_side "$spec" "$T/$arch.tree" "$bytes" "$l0"
  hyperfine -N -w 2 -r 10 --export-json "$T/h.json" \
    "$X --vm $spec fchk --policy $T/$arch.pol" \
    "$X --vm $spec fichk --rules $RULES" \
    "$X --vm $spec info" \
    "yara -r $RULES $T/$arch.tree" \
    "yara -p 1 -r $RULES $T/$arch.tree" >/dev/null 2>&1 || true
  hyperfine -w 2 -r 10 --export-json "$T/h2.json" "find $T/$arch.tree -type f -exec sha256sum {} +" >/dev/null 2>&1
  readarray -t m < <(mean "$T/h.json"); s=$(mean "$T/h2.json")
  mbps() { python3 -c "print('%.0f' % ($bytes / ($1 / 1e3) / 1e6))"; }
  row() { # row LABEL "WALL CPU" — MB/s from the wall time
    set -- "$1" ${2}
    printf '    %-46s %8s ms wall %8s ms CPU  %5s MB/s\n' "$1" "$2" "$3" "$(mbps "$2")"
  }
  echo "  cold CLI (hyperfine mean of 10; xvids includes opening the kernel model: info = ${m[2]% *} ms wall, ${m[2]#* } ms CPU):"
  row "xvids fchk --policy (manifest of $nfiles)" "${m[0]}"
  row "xvids fichk --rules files.yar" "${m[1]}"
  row "yara -r files.yar (host copy, default threads)" "${m[3]}"
  row "yara -p 1 -r files.yar (host copy)" "${m[4]}"
  row "sha256sum of every file (host copy)" "$s"
  "$ROOT/guest/stop" "$run" >/dev/null 2>&1 || true
done
echo
echo "load at end: $(load)"
