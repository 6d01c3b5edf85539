#!/usr/bin/env bash
# build.sh — configure (once) and build xvids: build/ (release-ish) and build-asan/ (ASan+UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
werror=-Dwerror=true
if [ "$which" = all ] || [ "$which" = normal ]; then
  [ -f build/build.ninja ] || meson setup build $werror >/dev/null
  ninja -C build >/dev/null
fi
if [ "$which" = all ] || [ "$which" = asan ]; then
  [ -f build-asan/build.ninja ] || meson setup build-asan $werror -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debug >/dev/null
  ninja -C build-asan >/dev/null
fi
