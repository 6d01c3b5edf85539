#!/usr/bin/env bash
# shadow.sh — chkrootkit and AIDE through `xvids shadow` against the same tools run natively over
# the guest's file tree extracted to the host. Prints one line per measurement (median of N runs).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
usage() {
  cat <<'EOF'
usage: bench/shadow.sh [--arch ARCH] [--vm SPEC] [--runs N] [--full] [--xvids PATH]

Without --vm, boots a clean ARCH guest (default aarch64) with guest/boot and stops it at the end.
--full adds a run of every chkrootkit test (minutes).
Needs chkrootkit and aide (apt-get install chkrootkit aide).
EOF
}
ARCH=aarch64 VM="" RUNS=3 FULL=0
XVIDS="${XVIDS:-$ROOT/build/src/cli/xvids}"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH=$2; shift 2 ;;
    --vm) VM=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --full) FULL=1; shift ;;
    --xvids) XVIDS=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
HELPER="${XVIDS_SHADOW:-$(dirname "$XVIDS")/../shadow/xvids-shadow}"
for t in chkrootkit aide; do command -v $t >/dev/null || { echo "bench/shadow.sh: $t is not installed" >&2; exit 2; }; done
[ -x "$HELPER" ] || { echo "bench/shadow.sh: no $HELPER (build first)" >&2; exit 2; }
B=$(mktemp -d /tmp/xvids-bench-shadow.XXXXXX)
cleanup() { [ -n "${RUN:-}" ] && "$ROOT/guest/stop" "$RUN" >/dev/null 2>&1; rm -rf "$B"; }
trap cleanup EXIT
if [ -z "$VM" ]; then
  RUN="$B/run"
  "$ROOT/guest/boot" "$ARCH" "$RUN" >"$B/boot.log" 2>&1 || { cat "$B/boot.log"; exit 2; }
  VM="ram:$(sed -n 's/^ram=//p' "$RUN/info")@$(sed -n 's/^ram_base=//p' "$RUN/info")"
fi
shadow() { "$HELPER" --vm "$VM" --bind "$B:/b" "$@"; }

# The same file tree on the host: copied out through the shadow itself (guest files only; the
# shadow's own /proc, /sys, /dev and host mount points excluded).
shadow tar -C / -cpf /b/tree.tar --exclude=./proc --exclude=./sys --exclude=./dev \
  --exclude=./.xvids-host --exclude=./.xvids-proc . 2>"$B/tar.err"
mkdir -p "$B/root" && tar -C "$B/root" -xpf "$B/tree.tar" 2>>"$B/tar.err"
echo "tree: $(find "$B/root" | wc -l) entries, $(du -sh "$B/root" | cut -f1) (extracted from the guest through the shadow)"

# time_median LABEL CMD... — wall-clock median of RUNS runs, in seconds
time_median() {
  local label=$1; shift
  local ts=()
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    ts+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${ts[@]}" | sort -g | awk -v l="$label" '{a[NR]=$1} END {printf "%-44s %8.3f s (median of %d)\n", l, a[int((NR+1)/2)], NR}'
}
ratio() { echo "scale=2; $1 / $2" | bc -l; }
med() { time_median "$@" | tee -a "$B/res" | awk '{print $(NF-4)}'; }

# chkrootkit: the file-signature tests (what -r ROOT can run natively too)
TESTS="aliens"
n=$(med "chkrootkit $TESTS, native -r ROOT" chkrootkit -r "$B/root" $TESTS)
s=$(med "chkrootkit $TESTS, shadow" shadow chkrootkit $TESTS)
echo "chkrootkit $TESTS: shadow/native = $(ratio "$s" "$n")"
# every test (--full); natively with -r ROOT (which leaves sniffer, chkproc, chkdirs untested)
if [ "$FULL" = 1 ]; then
  n=$(med "chkrootkit (all), native -r ROOT" chkrootkit -r "$B/root")
  s=$(med "chkrootkit (all), shadow" shadow chkrootkit)
  echo "chkrootkit all: shadow/native = $(ratio "$s" "$n") (the native run skips the process checks)"
fi
# chkproc: 4,194,304 pid probes (chdir + getpriority), natively over the host's own /proc
n=$(med "chkrootkit lkm (chkproc), native host /proc" chkrootkit lkm)
s=$(med "chkrootkit lkm (chkproc), shadow" shadow chkrootkit lkm)
echo "chkrootkit lkm: shadow/native = $(ratio "$s" "$n")"

# AIDE: the same rules, natively with root_prefix, through the shadow without
rules='R = p+ftype+i+l+n+u+g+s+m+c+sha256
/etc R
/www R
/home R
/root R
/bin R
/sbin R
/usr R
/lib R'
printf 'database_in=file:/b/s.db\ndatabase_out=file:/b/s.db.new\nreport_url=stdout\n%s\n' "$rules" >"$B/s.conf"
printf 'root_prefix=%s\ndatabase_in=file:%s/n.db\ndatabase_out=file:%s/n.db.new\nreport_url=stdout\n%s\n' \
  "$B/root" "$B" "$B" "$rules" >"$B/n.conf"
n=$(med "aide --init, native root_prefix" aide --init -c "$B/n.conf")
s=$(med "aide --init, shadow" shadow aide --init -c /b/s.conf)
echo "aide --init: shadow/native = $(ratio "$s" "$n")"
mv "$B/n.db.new" "$B/n.db"; mv "$B/s.db.new" "$B/s.db"
n=$(med "aide --check, native root_prefix" aide --check -c "$B/n.conf")
s=$(med "aide --check, shadow" shadow aide --check -c /b/s.conf)
echo "aide --check: shadow/native = $(ratio "$s" "$n")"
echo "entries: native $(aide --check -c "$B/n.conf" 2>/dev/null | sed -n 's/^Number of entries:\t*//p;s/^ *Total number of entries:\t*//p'), shadow $(shadow aide --check -c /b/s.conf 2>/dev/null | sed -n 's/^Number of entries:\t*//p;s/^ *Total number of entries:\t*//p')"
echo "--- timings"; cat "$B/res"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
