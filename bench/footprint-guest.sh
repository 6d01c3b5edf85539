#!/usr/bin/env bash
# footprint-guest.sh — the aarch64 build on a real AArch64 Linux kernel: a second test guest (512 MB)
# plays the ARM64 host. It gets the aarch64 binaries, their glibc and libraries, some unit tests
# and a dump of a 96 MB guest in its initramfs, and measures there what qemu-user cannot:
# peak RSS (wait4), output equal to the native build's, process_vm_readv and seccomp.
#   bench/footprint-guest.sh        prints PASS/FAIL lines and a table of peak RSS (KiB)
# (tests/e2e/cross-kernel.sh runs it as an end-to-end test; $XVIDS is the native build to compare.)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
T=$(mktemp -d /tmp/xvids-fpguest.XXXXXX)
RUNS=()
cleanup() { for r in "${RUNS[@]}"; do guest/stop "$r" >/dev/null 2>&1; done; rm -rf "$T"; }
trap cleanup EXIT
XVIDS="${XVIDS:-$ROOT/build/src/cli/xvids}"
B=build-aarch64

bash scripts/cross-aarch64 >"$T/build.log" 2>&1 || { tail -20 "$T/build.log"; echo "FAIL: cross build"; exit 1; }

# 1. The watched guest, and its dump.
guest/boot aarch64 "$T/g1" --scenario clean >"$T/boot1.log" 2>&1 || { cat "$T/boot1.log"; exit 1; }
RUNS+=("$T/g1")
guest/dump "$T/g1" "$T/dump.elf" >/dev/null 2>&1 || { echo "FAIL: guest/dump"; exit 1; }
guest/stop "$T/g1" >/dev/null 2>&1

# 2. The host's files: binaries, the loader, libc and every library they load (multi-arch paths).
S="$T/root"; mkdir -p "$S/xv" "$S/lib/aarch64-linux-gnu" "$S/tmp"
exes=("$B/src/cli/xvids" "$B/src/daemon/xvidsd")
for t in mem/test_mem_qmp daemon/test_daemon; do
	[ -f "$B/tests/unit/$t" ] && exes+=("$B/tests/unit/$t")
done
needed() { aarch64-linux-gnu-readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
declare -A seen=()
queue=()
for e in "${exes[@]}"; do
	[ -f "$e" ] || continue
	aarch64-linux-gnu-strip -o "$S/xv/$(basename "$e")" "$e"
	queue+=($(needed "$e"))
done
while [ ${#queue[@]} -gt 0 ]; do
	n=${queue[0]}; queue=("${queue[@]:1}")
	[ -n "${seen[$n]:-}" ] && continue; seen[$n]=1
	for dir in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu; do
		[ -e "$dir/$n" ] || continue
		cp -L "$dir/$n" "$S/lib/aarch64-linux-gnu/$n"; queue+=($(needed "$dir/$n")); break
	done
done
cp -L /lib/ld-linux-aarch64.so.1 "$S/lib/ld-linux-aarch64.so.1"
# Peak RSS from wait4() (BusyBox 1.35's `time -v` multiplies ru_maxrss, already KiB, by 4).
cat >"$T/maxrss.c" <<'C'
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct rusage ru;
	int st;
	pid_t p = fork();
	if (argc < 2 || p < 0)
		return 127;
	if (p == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(p, &st, 0, &ru) < 0)
		return 127;
	fprintf(stderr, "maxrss_kib=%ld\n", ru.ru_maxrss);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
C
aarch64-linux-gnu-gcc -O2 -static -o "$S/xv/maxrss" "$T/maxrss.c" || { echo "FAIL: maxrss helper"; exit 1; }
cp "$T/dump.elf" "$S/xv/dump.elf"
(cd "$S" && find . -mindepth 1 | cpio -o -H newc 2>/dev/null) | gzip -1 >"$T/extra.cpio.gz"
cat "$HOME/.cache/xvids/guest/aarch64/initrd.cpio.gz" "$T/extra.cpio.gz" >"$T/initrd.cpio.gz"

# 3. The ARM64 host.
guest/boot aarch64 "$T/host" --mem 512 --timeout 300 -- -initrd "$T/initrd.cpio.gz" >"$T/boot2.log" 2>&1 ||
	{ cat "$T/boot2.log"; echo "FAIL: aarch64 host guest boots"; exit 1; }
RUNS+=("$T/host")
gc() { guest/cmd "$T/host" "$@"; }
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }

echo "| on a real AArch64 kernel (TCG), dump of a 96 MB guest | peak RSS KiB |"
echo "|---|---:|"
for cmd in ps "--json ps" lsmod pchk; do
	gc "/xv/xvids --vm dump:/xv/dump.elf $cmd >/tmp/out 2>/tmp/err; echo rc=\$?" 300 >"$T/rc"
	gc "cat /tmp/out" 60 >"$T/guest.out"
	"$XVIDS" --vm "dump:$T/dump.elf" $cmd >"$T/native.out" 2>/dev/null
	if grep -q 'rc=[01]' "$T/rc" && [ -s "$T/native.out" ] && cmp -s "$T/native.out" "$T/guest.out"; then
		pass "aarch64 xvids $cmd on an aarch64 kernel = native build ($(wc -l <"$T/native.out") lines)"
	else
		fail "aarch64 xvids $cmd on an aarch64 kernel: $(cat "$T/rc") $(gc 'head -3 /tmp/err')"
	fi
	m=$(gc "/xv/maxrss /xv/xvids --vm dump:/xv/dump.elf $cmd 2>&1 >/dev/null | grep maxrss_kib=" 300 |
		sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p')
	echo "| xvids $cmd | ${m:-?} |"
done

# xvidsd with its seccomp sandbox on, one VM, scheduled checks: peak and resident after 20 s.
gc "/xv/xvidsd --listen 127.0.0.1:2323 --vm g=dump:/xv/dump.elf --state-dir /tmp \
	--watch 'pchk g every 2s' --watch 'mchk g every 2s' >/tmp/xvidsd.log 2>&1 & echo \$! >/tmp/xvidsd.pid" 30 >/dev/null
sleep 20
st=$(gc 'p=$(cat /tmp/xvidsd.pid); grep -E "^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem)" /proc/$p/status | tr -s " \t" " " | tr "\n" " "; grep -c sandbox /tmp/xvidsd.log' 30)
if echo "$st" | grep -q VmHWM; then
	echo "| xvidsd (sandboxed), 1 VM, pchk/mchk every 2 s, 20 s: $(echo "$st" | sed 's/ kB/ KiB/g; s/ [0-9]*$//') | $(echo "$st" | sed -n 's/.*VmHWM: \([0-9]*\).*/\1/p') |"
	gc 'grep -q "sandbox: no_new_privs and seccomp" /tmp/xvidsd.log' 30 >/dev/null &&
		pass "xvidsd runs with its seccomp sandbox on an aarch64 kernel" ||
		fail "xvidsd sandbox: $(gc 'cat /tmp/xvidsd.log' 30 | tail -3)"
else
	fail "xvidsd on an aarch64 kernel: $(gc 'cat /tmp/xvidsd.log' 30 | tail -3)"
fi

# Unit tests that qemu-user cannot run (process_vm_readv, seccomp), on the real kernel.
for t in test_mem_qmp test_daemon; do
	[ -f "$S/xv/$t" ] || continue
	out=$(gc "cd /tmp && /xv/$t 2>&1; echo rc=\$?" 600)
	n=$(echo "$out" | grep -c '^\[       OK \]')
	if echo "$out" | grep -q '^rc=0' && [ "$n" -gt 0 ]; then
		pass "unit test $t on an aarch64 kernel ($n cases)"
	else
		fail "unit test $t on an aarch64 kernel"; echo "$out" | tail -15
	fi
done
