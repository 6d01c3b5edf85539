#!/usr/bin/env bash
# footprint.sh — how big xvids is on an aarch64 device: stripped binaries and their shared-library
# closure (full and minimal build), and peak RSS of `xvids ps` and of xvidsd with one 96 MB guest.
#   bench/footprint.sh            build what is missing, boot one AArch64 guest, print the tables
#   bench/footprint.sh --no-rss   sizes only (no guest)
# Sizes are of the aarch64 cross builds (scripts/cross-aarch64, with and without --min). RSS is
# measured on native builds (full, and minimal: -Dyara/fuse/seccomp/telnet/pcap/crypto=disabled)
# against the same guest, through its RAM file (ram:) and a dump (dump:); docs/footprint.md says
# why native, and bench/footprint-guest.sh measures the aarch64 build on an AArch64 kernel.
# Build directories (defaults in the source tree): XV_AARCH64_BUILD, XV_AARCH64_MIN_BUILD,
# XV_NATIVE_BUILD, XV_NATIVE_MIN_BUILD.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
rss=1; [ "${1:-}" = --no-rss ] && rss=0
T=$(mktemp -d /tmp/xvids-footprint.XXXXXX)
RUN=
cleanup() { [ -n "$RUN" ] && "$ROOT/guest/stop" "$RUN" >/dev/null 2>&1; [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
A64=${XV_AARCH64_BUILD:-build-aarch64}
A64MIN=${XV_AARCH64_MIN_BUILD:-build-aarch64-min}
NATIVE=${XV_NATIVE_BUILD:-build-footprint}
NATIVE_MIN=${XV_NATIVE_MIN_BUILD:-build-footprint-min}
MIN_OPTS=(-Dyara=disabled -Dfuse=disabled -Dseccomp=disabled -Dtelnet=disabled -Dpcap=disabled
	-Dcrypto=disabled)

# The machine every figure was taken on (RSS does not depend on load; times would).
machine() {
	local cpu cores mem
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	cores=$(nproc)
	mem=$(awk '/^MemTotal/{printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
	echo "machine: ${cpu:-$(uname -m)}, $cores cores, $mem RAM, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u '+%F %H:%M UTC'))"
}
machine

EXES=(src/cli/xvids src/daemon/xvidsd src/shadow/xvids-shadow)
for b in "" --min; do
	d=$A64; [ -n "$b" ] && d=$A64MIN
	bash scripts/cross-aarch64 $b --dir "$d" >"$T/build.log" 2>&1 && continue
	# Only the executables matter here: a unit test caught mid-edit must not stop the measurement.
	targets=(); for e in "${EXES[@]}"; do [ -f "$d/$e" ] || grep -q "^build $e:" "$d/build.ninja" 2>/dev/null && targets+=("$e"); done
	if [ ${#targets[@]} -gt 0 ] && ninja -C "$d" "${targets[@]}" >/dev/null 2>&1; then
		echo "footprint: note: the full $d build failed, the executables built" >&2
	else
		tail -20 "$T/build.log" >&2; echo "footprint: cross build of $d failed" >&2; exit 1
	fi
done

# The multi-arch library directories: the same paths the libraries have on an arm64 Debian device.
LIBDIRS=(/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
# Part of every Debian system (libc6, libgcc-s1): not counted as xvids's cost.
BASE='^(libc\.so\.6|libm\.so\.6|ld-linux-aarch64\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libgcc_s\.so\.1)$'

resolve() { # resolve SONAME -> path in the aarch64 sysroot
	for d in "${LIBDIRS[@]}"; do [ -e "$d/$1" ] && { readlink -f "$d/$1"; return 0; }; done
	return 1
}
needed() { aarch64-linux-gnu-readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
closure() { # closure ELF -> the sonames it loads, transitively (one per line)
	local -A seen=(); local queue=($(needed "$1")) n p
	while [ ${#queue[@]} -gt 0 ]; do
		n=${queue[0]}; queue=("${queue[@]:1}")
		[ -n "${seen[$n]:-}" ] && continue
		seen[$n]=1; echo "$n"
		p=$(resolve "$n") || { echo "footprint: $n not found in ${LIBDIRS[*]}" >&2; continue; }
		queue+=($(needed "$p"))
	done
}
kib() { echo $(( ($1 + 1023) / 1024 )); }
stripped_size() { aarch64-linux-gnu-strip -o "$T/s" "$1" && stat -c %s "$T/s"; }

echo
echo "## Binaries (aarch64, stripped) and their run-time libraries"
echo
echo "| build | binary | stripped KiB | extra libraries (not libc) | their KiB | total KiB |"
echo "|---|---|---:|---|---:|---:|"
declare -A LIBSZ LIBPKG LIBUSERS
for b in "$A64" "$A64MIN"; do
	label=aarch64; [ "$b" = "$A64MIN" ] && label=aarch64-min
	for exe in "${EXES[@]}"; do
		f="$b/$exe"
		[ -f "$f" ] || { echo "| $label | $(basename "$exe") | not built | | | |"; continue; }
		s=$(stripped_size "$f"); libs=(); lsum=0
		for so in $(closure "$f"); do
			[[ $so =~ $BASE ]] && continue
			p=$(resolve "$so") || continue
			LIBSZ[$so]=$(stat -c %s "$p")
			LIBPKG[$so]=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1-2)
			[ -n "${LIBPKG[$so]}" ] || LIBPKG[$so]=$(dpkg -S "${p#/usr}" 2>/dev/null | head -1 | cut -d: -f1-2)
			LIBUSERS[$so]="${LIBUSERS[$so]:-} $(basename "$exe")${label#aarch64}"
			libs+=("$so"); lsum=$((lsum + LIBSZ[$so]))
		done
		echo "| $label | $(basename "$exe") | $(kib "$s") | ${#libs[@]}: $(echo "${libs[*]}" | sed 's/\.so[.0-9]*//g') | $(kib $lsum) | $(kib $((s + lsum))) |"
	done
done
echo
echo "Libraries, largest first (file size; the same files on the device):"
echo
echo "| library | package | KiB | loaded by |"
echo "|---|---|---:|---|"
for so in "${!LIBSZ[@]}"; do echo "${LIBSZ[$so]} $so"; done | sort -rn | while read -r sz so; do
	users=$(echo ${LIBUSERS[$so]} | tr ' ' '\n' | sort -u | tr '\n' ' ')
	echo "| $so | ${LIBPKG[$so]} | $(kib "$sz") | ${users% } |"
done
echo
base_total=0
for so in libc.so.6 ld-linux-aarch64.so.1; do base_total=$((base_total + $(stat -c %s "$(resolve $so)"))); done
echo "(Not counted: libc6 itself, $(kib $base_total) KiB for libc.so.6 + the loader, present on every system.)"

[ $rss -eq 1 ] || exit 0

# Peak RSS, native builds (non-sanitized, the cross builds' buildtype) on the same guest.
native_build() { # native_build DIR [meson options] — configure once, then ninja the executables
	local d="$1"; shift
	if [ ! -f "$d/build.ninja" ]; then
		meson setup "$d" -Dtests=false "$@" >"$T/setup.log" 2>&1 ||
			{ tail -20 "$T/setup.log" >&2; echo "footprint: native setup of $d failed" >&2; return 1; }
	fi
	ninja -C "$d" >/dev/null 2>&1 || ninja -C "$d" src/cli/xvids src/daemon/xvidsd >/dev/null ||
		{ echo "footprint: native build of $d failed" >&2; return 1; }
}
native_build "$NATIVE" || exit 1
native_build "$NATIVE_MIN" "${MIN_OPTS[@]}" || exit 1

RUN="$T/guest"
guest/boot aarch64 "$RUN" --scenario clean >"$T/boot.log" 2>&1 || { cat "$T/boot.log" >&2; exit 1; }
ram="ram:$(sed -n 's/^ram=//p' "$RUN/info")@$(sed -n 's/^ram_base=//p' "$RUN/info")"
guest/dump "$RUN" "$T/dump.elf" >/dev/null 2>&1
dump="dump:$T/dump.elf"

# peak CMD... — Maximum resident set size from /usr/bin/time -v, and the largest anonymous and
# file-backed parts seen while it ran (sampled from /proc/PID/status every 2 ms).
peak() {
	python3 - "$@" <<'PY'
import subprocess, sys, time
p = subprocess.Popen(["/usr/bin/time", "-v"] + sys.argv[1:], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
anon = filep = 0
child = None
while p.poll() is None:
    try:
        if child is None:
            kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
            child = int(kids[0]) if kids else None
        if child:
            for l in open("/proc/%d/status" % child):
                if l.startswith("RssAnon:"): anon = max(anon, int(l.split()[1]))
                if l.startswith("RssFile:"): filep = max(filep, int(l.split()[1]))
    except (OSError, ValueError, IndexError):
        pass
    time.sleep(0.002)
err = p.stderr.read().decode()
mx = [l for l in err.splitlines() if "Maximum resident set size" in l]
wall = [l for l in err.splitlines() if "Elapsed (wall clock)" in l]
print("%s %d %d %s" % (mx[0].split()[-1] if mx else "?", anon, filep,
                       wall[0].split()[-1] if wall else "?"))
PY
}
echo
echo "## Peak RSS (native x86-64 builds, AArch64 guest with 96 MB RAM)"
echo
machine
echo
echo "| build | what | peak RSS KiB (time -v) | largest anonymous KiB (sampled) | largest file-backed KiB (sampled) | wall (loaded machine) |"
echo "|---|---|---:|---:|---:|---:|"
for b in full min; do
	X="$NATIVE/src/cli/xvids"; [ $b = min ] && X="$NATIVE_MIN/src/cli/xvids"
	for spec in "$ram" "$dump"; do
		for cmd in ps "--json ps" lsmod pchk; do
			[ $b = min ] && [ "$cmd" != ps ] && continue
			read -r mx an fb wall < <(peak "$X" --vm "$spec" $cmd)
			echo "| $b | xvids $cmd (${spec%%:*}:) | $mx | $an | $fb | $wall |"
		done
	done
done

# Where the peak of a cold `ps` goes: the resident set after each phase of discovery.
echo
echo "Phases of a cold \`xvids ps\` (full build; KiB; XVIDS_TRACE_MEM=1; hwm = peak so far, heap = malloc'd in use):"
echo
for spec in "$ram" "$dump"; do
	echo "    ${spec%%:*}:"
	XVIDS_TRACE_MEM=1 "$NATIVE/src/cli/xvids" --vm "$spec" ps 2>&1 >/dev/null |
		sed -n 's/^xvids-mem: /      /p'
done

# daemon BUILD SPEC — xvidsd with one VM: a session running each inspection once (when the build
# has the command manager), then ten seconds of pchk/mchk every 2 s; VmHWM and what stays resident.
daemon() {
	local b="$1" spec="$2" XD port nopw=()
	XD="$NATIVE/src/daemon/xvidsd"; [ "$b" = min ] && XD="$NATIVE_MIN/src/daemon/xvidsd"
	[ -x "$XD" ] || { echo "| $b | xvidsd (${spec%%:*}:) | not built | | | |"; return; }
	"$XD" --help 2>&1 | grep -q -- --no-password && nopw=(--no-password)
	port=$((20000 + RANDOM % 20000))
	"$XD" --listen "127.0.0.1:$port" "${nopw[@]}" --vm "g=$spec" --state-dir "$T" \
		--watch 'pchk g every 2s' --watch 'mchk g every 2s' >"$T/xvidsd.log" 2>&1 &
	DPID=$!
	# Sample its memory from the start (attaching the guest is part of the peak).
	( while [ -r /proc/$DPID/status ]; do
		awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{print a+0, f+0}' /proc/$DPID/status 2>/dev/null
		sleep 0.02
	  done >"$T/samples" ) &
	for _ in $(seq 100); do grep -q ready "$T/xvidsd.log" && break; sleep 0.1; done
	if [ "$b" = full ]; then
		python3 - "$port" <<'PY' >"$T/session.log" 2>&1
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
def cmd(c):
    if c is not None:
        s.sendall(c.encode() + b"\r\n")
    buf = b""
    end = time.time() + 20
    while not buf.rstrip().endswith(b"xvids>") and time.time() < end:
        d = s.recv(65536)
        if not d: break
        buf += d
    return buf
cmd(None) # the greeting
for c in ["vm list", "ps g", "lsmod g", "pchk g", "mchk g", "info g", "status"]:
    print(c, len(cmd(c)))
s.sendall(b"quit\r\n")
PY
	fi
	sleep 10 # scheduled checks
	if kill -0 "$DPID" 2>/dev/null; then
		local st=/proc/$DPID/status hwm an fb what
		hwm=$(awk '/^VmHWM/{print $2}' $st)
		an=$(sort -n -k1 "$T/samples" | tail -1 | cut -d' ' -f1); fb=$(sort -n -k2 "$T/samples" | tail -1 | cut -d' ' -f2)
		what="a session (ps, lsmod, pchk, mchk, info) and 10 s"; [ "$b" = min ] && what="10 s (no command manager)"
		echo "| $b | xvidsd, 1 VM (${spec%%:*}:), $what of pchk/mchk every 2 s | $hwm (VmHWM) | $an | $fb | |"
		echo "| $b | xvidsd, the same, resident at the end | $(awk '/^VmRSS/{print $2}' $st) | $(awk '/^RssAnon/{print $2}' $st) | $(awk '/^RssFile/{print $2}' $st) | |"
		kill "$DPID"; wait "$DPID" 2>/dev/null
	else
		echo "| $b | xvidsd (${spec%%:*}:) | exited: $(tail -2 "$T/xvidsd.log" | tr '\n' ' ') | | | |"
	fi
	DPID=
	if [ -f "$T/session.log" ]; then sed 's/^/    session: /' "$T/session.log" >&2; rm -f "$T/session.log"; fi
	return 0
}
echo
echo "| build | what | peak KiB | largest anonymous KiB (sampled) | largest file-backed KiB (sampled) | |"
echo "|---|---|---:|---:|---:|---|"
for b in full min; do
	for spec in "$ram" "$dump"; do daemon "$b" "$spec"; done
done
