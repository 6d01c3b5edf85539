#!/usr/bin/env bash
# deps.sh — install, with apt-get, whatever xvids needs that this Debian 12 machine lacks.
set -euo pipefail

PKGS=(
  build-essential meson ninja-build pkg-config clang llvm libclang-rt-14-dev clang-tidy cppcheck
  libbpf-dev libelf-dev zlib1g-dev libjson-c-dev libcmocka-dev libpcap-dev libssl-dev
  libyara-dev libfuse3-dev fuse3 libseccomp-dev libtelnet-dev
  qemu-system-arm qemu-system-x86 qemu-utils busybox-static cpio gzip xz-utils zstd
  socat telnet netcat-openbsd tcpdump tshark python3 iproute2 hyperfine kmod
  chkrootkit aide tripwire yara time
)
[ "${XVIDS_DEPS_EXTRA:-}" ] && PKGS+=($XVIDS_DEPS_EXTRA)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_arm64=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1
if [ ${#missing[@]} -eq 0 ] && [ $need_arm64 -eq 0 ]; then
  exit 0
fi
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
# tripwire would ask for passphrases to make site and local keys: tests make their own keys.
printf '%s\n' "tripwire tripwire/use-sitekey boolean false" "tripwire tripwire/use-localkey boolean false" \
  "tripwire tripwire/installed note" | $SUDO debconf-set-selections
[ $need_arm64 -eq 1 ] && $SUDO dpkg --add-architecture arm64
echo "xvids: installing: ${missing[*]:-(arm64 package lists)}" >&2
$SUDO apt-get update -qq
[ ${#missing[@]} -eq 0 ] || $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
