#!/usr/bin/env bash
# End-to-end smoke test of the test guests: build, boot, views, console commands, dump, stop.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: tests/e2e/guest-smoke.sh [ARCH...]   (default: aarch64 x86_64)

For each ARCH: builds and boots the test guest under QEMU TCG, checks the
guest's views (ps, modules, uname), runs commands through guest/cmd, checks
the RAM file and a QMP memory dump for VMCOREINFO, and stops the guest; then
boots the busy scenario and checks that it keeps creating processes.
Prints PASS:/FAIL: lines and exits 0 only if every check passed.
Run dirs: /tmp/xvids-guest-smoke-ARCH-PID (removed unless XVIDS_KEEP=1).
EOF
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
G="$root/guest"
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(aarch64 x86_64)

pass=0 fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { # check "description" command...
    local what="$1"; shift
    if "$@"; then ok "$what"; else ko "$what"; fi
}

rundirs=()
cleanup() {
    local d
    for d in "${rundirs[@]}"; do
        "$G/stop" "$d" >/dev/null 2>&1 || true
        [ "${XVIDS_KEEP:-0}" = 1 ] || rm -rf "$d"
    done
}
trap cleanup EXIT

# Pipelines below never end early (no grep -q, no awk exit after a match): with pipefail, the
# writer's SIGPIPE would fail the check at random.

# ps view line "PID PPID UID COMM": is there one with these fields? (comm compared exactly)
has_proc() { # FILE PID-or-* PPID-or-* UID COMM
    awk -v p="$2" -v pp="$3" -v u="$4" -v c="$5" '
        { comm = $0; sub(/^[0-9]+ [0-9]+ [0-9]+ /, "", comm) }
        (p == "*" || $1 == p) && (pp == "*" || $2 == pp) && $3 == u && comm == c { f = 1 }
        END { exit !f }' "$1"
}

smoke() {
    local arch="$1" R="/tmp/xvids-guest-smoke-$1-$$" t0 t1 out release ram_base pid
    rundirs+=("$R")
    rm -rf "$R"

    t0=$(date +%s%N)
    if ! "$G/build" "$arch" >"$R.build.log" 2>&1; then
        ko "$arch: guest/build"; cat "$R.build.log"; return
    fi
    t1=$(date +%s%N)
    ok "$arch: guest/build ($(( (t1 - t0) / 1000000 )) ms)"
    rm -f "$R.build.log"

    if ! "$G/boot" "$arch" "$R"; then
        ko "$arch: guest/boot to ==XVIDS-READY=="; return
    fi
    ok "$arch: guest/boot to ==XVIDS-READY== ($(sed -n 's/^boot_ms=//p' "$R/info") ms)"
    # shellcheck disable=SC2034 # used in eval'd checks below
    pid="$(sed -n 's/^pid=//p' "$R/info")"
    release="$(sed -n 's/^release=//p' "$R/info")"
    ram_base="$(sed -n 's/^ram_base=//p' "$R/info")"

    "$G/view" "$R" ps >"$R/ps.txt" || true
    "$G/view" "$R" modules >"$R/modules.txt" || true
    "$G/view" "$R" uname >"$R/uname.txt" || true
    check "$arch: ps view has init as pid 1" has_proc "$R/ps.txt" 1 0 0 init
    check "$arch: ps view has kernel thread kthreadd as pid 2" has_proc "$R/ps.txt" 2 0 0 kthreadd
    check "$arch: ps view has ksoftirqd/0 under kthreadd" has_proc "$R/ps.txt" '*' 2 0 ksoftirqd/0
    check "$arch: ps view has root's sleep and httpd" \
        eval 'has_proc "$R/ps.txt" "*" 1 0 sleep && has_proc "$R/ps.txt" "*" 1 0 httpd'
    check "$arch: ps view has xvids-idle running as uid 1000" has_proc "$R/ps.txt" '*' 1 1000 xvids-idle
    check "$arch: modules view lists qemu_fw_cfg and virtio_net" \
        eval 'grep -q "^qemu_fw_cfg " "$R/modules.txt" && grep -q "^virtio_net " "$R/modules.txt"'
    check "$arch: uname view names host xvids-guest and release $release" \
        grep -q "^Linux xvids-guest $release " "$R/uname.txt"

    out="$("$G/cmd" "$R" 'echo $((6 * 7)); hostname' 30 || true)"
    check "$arch: guest/cmd runs a command and returns only its output" \
        [ "$out" = "42"$'\n'"xvids-guest" ]
    local rc=0
    out="$("$G/cmd" "$R" "printf '%s' \"it's\"; exit 7" 30)" || rc=$?
    check "$arch: guest/cmd passes quotes, output without newline and the exit status" \
        [ "$out|$rc" = "it's|7" ]
    out="$("$G/cmd" "$R" 'cat /proc/modules' 30 || true)"
    check "$arch: guest/cmd output matches the boot-time modules view" \
        [ "$out" = "$(cat "$R/modules.txt")" ]
    "$G/cmd" "$R" 'sleep 30 & echo $! >/tmp/smoke.pid; xvids-views >/dev/null' 30 >/dev/null || true
    out="$("$G/cmd" "$R" 'cat /tmp/smoke.pid' 30 || true)"
    "$G/cmd" "$R" xvids-views 60 >/dev/null || true
    check "$arch: refreshed ps view shows a process started by guest/cmd" \
        has_proc <("$G/view" "$R" ps) "${out:-none}" '*' 0 sleep

    local hits
    hits="$(grep -a -c 'OSRELEASE=' "$R/ram" || true)"
    check "$arch: RAM file holds VMCOREINFO text ($hits lines with OSRELEASE=)" \
        grep -aqF "OSRELEASE=$release" "$R/ram"
    check "$arch: info ram_map starts the RAM file at GPA $ram_base" \
        grep -q "^ram_map=0x0:$ram_base:" "$R/info"

    if "$G/dump" "$R" "$R/dump.elf" 2>/dev/null; then
        ok "$arch: guest/dump wrote $(stat -c %s "$R/dump.elf") bytes"
        check "$arch: dump has a VMCOREINFO note with OSRELEASE=$release" \
            eval 'readelf -n "$R/dump.elf" | grep "^ *VMCOREINFO" >/dev/null &&
                  head -c 65536 "$R/dump.elf" | grep -aF "OSRELEASE=$release" >/dev/null'
        check "$arch: dump's first PT_LOAD is guest RAM at $ram_base" \
            eval 'readelf -lW "$R/dump.elf" | awk "\$1 == \"LOAD\" && !n++ { print \$4 }" |
                  grep -i "^0x0*${ram_base#0x}$" >/dev/null'
        rm -f "$R/dump.elf"
    else
        ko "$arch: guest/dump"
    fi

    "$G/stop" "$R" || true
    check "$arch: guest/stop ends QEMU and removes the sockets" \
        eval '! kill -0 "$pid" 2>/dev/null && [ ! -e "$R/qmp.sock" ] && [ ! -e "$R/console.sock" ]'
}

# The busy scenario must keep creating processes (race tests rely on it).
busy() {
    local arch="$1" R="/tmp/xvids-guest-smoke-$1-busy-$$" n
    rundirs+=("$R")
    rm -rf "$R"
    if ! "$G/boot" "$arch" "$R" --scenario busy; then
        ko "$arch: guest/boot --scenario busy"; return
    fi
    n="$("$G/cmd" "$R" 'read -r _ _ _ _ a </proc/loadavg; sleep 2; read -r _ _ _ _ b </proc/loadavg; echo $((b - a))' 30 || true)"
    check "$arch: busy scenario creates processes ($n new pids in 2 s, want >= 20)" \
        [ "${n:-0}" -ge 20 ]
    "$G/stop" "$R" || true
}

for a in "${archs[@]}"; do smoke "$a"; busy "$a"; done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
