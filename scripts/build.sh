#!/usr/bin/env bash
# build.sh — configure (once) and build xvids: build/ (optimised) and build-asan/ (ASan+UBSan, debug).
#   scripts/build.sh [all|normal|asan]
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
run() { # run LOG cmd... — quiet on success, the log's tail on failure
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    grep -E 'error|FAILED|ERROR' "$log" | head -40 || tail -40 "$log"
    echo "scripts/build.sh: '$*' failed (full log: $log)" >&2
    return 1
  fi
}
mkdir -p build-logs
if [ "$which" = all ] || [ "$which" = normal ]; then
  [ -f build/build.ninja ] || run build-logs/setup.log meson setup build -Dwerror=true
  run build-logs/build.log ninja -C build
fi
if [ "$which" = all ] || [ "$which" = asan ]; then
  [ -f build-asan/build.ninja ] || run build-logs/setup-asan.log meson setup build-asan -Dwerror=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
  run build-logs/build-asan.log ninja -C build-asan
fi
