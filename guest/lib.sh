# Shared helpers for the guest/ scripts (sourced, not executed).
# shellcheck shell=bash disable=SC2034 # the variables set here are used by the scripts that source this

xv_die() { echo "${XV_PROG:-guest}: error: $*" >&2; exit 1; }
xv_log() { echo "${XV_PROG:-guest}: $*" >&2; }

# Accept both QEMU and Debian spellings; sets XV_ARCH (aarch64|x86_64) and XV_DEB (arm64|amd64).
xv_arch() {
    case "${1:-}" in
        aarch64|arm64) XV_ARCH=aarch64; XV_DEB=arm64 ;;
        x86_64|amd64|x86-64) XV_ARCH=x86_64; XV_DEB=amd64 ;;
        *) xv_die "unknown ARCH '${1:-}' (use aarch64 or x86_64)" ;;
    esac
}

xv_cache_dir() { echo "${XVIDS_CACHE:-${HOME:-/tmp}/.cache/xvids}/guest/$1"; }

XV_GUEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Read key=value from RUNDIR/info.
xv_info() {
    local rundir="$1" key="$2"
    [ -f "$rundir/info" ] || xv_die "$rundir/info missing (guest not booted by guest/boot?)"
    sed -n "s/^$key=//p" "$rundir/info" | sed -n 1p
}

# Wait until FILE contains a line matching the fixed string, starting at byte OFFSET.
# Returns 0 when found, 1 on timeout, 2 when PID (if given, non-empty) died.
xv_wait_for() {
    local file="$1" needle="$2" offset="$3" timeout="$4" pid="${5:-}"
    local deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
    while :; do
        if [ -f "$file" ] && tail -c +"$((offset + 1))" "$file" | grep -aF -- "$needle" >/dev/null; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            return 2
        fi
        [ $(( $(date +%s%N) / 1000000 )) -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

