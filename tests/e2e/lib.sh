# lib.sh — shared helpers for the end-to-end tests (sourced). Tests print PASS:/FAIL:/SKIP: lines.
set -uo pipefail
ROOT="${XVIDS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
XVIDS="${XVIDS:-$ROOT/build/src/cli/xvids}"
[ -x "$XVIDS" ] || XVIDS="$ROOT/build/xvids"
E2E_TMP=$(mktemp -d /tmp/xvids-e2e.XXXXXX)
E2E_GUESTS=()

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }
check() { # check "description" command... : PASS if the command succeeds
  local d="$1"; shift
  if "$@"; then pass "$d"; else fail "$d"; fi
}

e2e_cleanup() {
  for r in "${E2E_GUESTS[@]}"; do "$ROOT/guest/stop" "$r" >/dev/null 2>&1 || true; done
  rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

# boot_guest ARCH SCENARIO [extra guest/boot args] — boots and echoes the run directory.
boot_guest() {
  local arch="$1" scen="$2"; shift 2
  local run="$E2E_TMP/$arch-$scen"
  if ! "$ROOT/guest/boot" "$arch" "$run" --scenario "$scen" "$@" >"$E2E_TMP/boot-$arch-$scen.log" 2>&1; then
    cat "$E2E_TMP/boot-$arch-$scen.log" >&2
    return 1
  fi
  echo "$run"
}

ram_spec() { # ram_spec RUNDIR -> ram:PATH@BASE
  echo "ram:$(sed -n 's/^ram=//p' "$1/info")@$(sed -n 's/^ram_base=//p' "$1/info")"
}

gcmd() { "$ROOT/guest/cmd" "$@"; }
gview() { "$ROOT/guest/view" "$@"; }
