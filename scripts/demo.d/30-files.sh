#!/usr/bin/env bash
# 30-files.sh — demo: the guest's RAM-disk files read from its kernel memory; fchk and fichk.
set -euo pipefail
printf '\n\033[1m== Files: the guest RAM disk, read from its dentries and page cache\033[0m\n'
show() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
tmp=$(mktemp -d /tmp/xvids-demo-files.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
show "$X" --vm "$VM" ls -l /etc
show "$X" --vm "$VM" cat /etc/passwd
"$X" --vm "$VM" baseline -o "$tmp/policy" 2>/dev/null
echo "(baseline: $(grep -c '^file expect' "$tmp/policy") files recorded with attributes and SHA-256)"
"$ROOT/guest/cmd" "$RUN" 'echo "evil::0:0::/:/bin/sh" >> /etc/passwd; printf "x5O!P%%@AP[4\\PZX54(P^)7CC)7}\$EICAR" > /tmp/eicar; echo "(in the guest: appended a root account to /etc/passwd)"'
show "$X" --vm "$VM" fchk --policy "$tmp/policy" || true
printf 'EICAR\n' >"$tmp/strings"
show "$X" --vm "$VM" fichk --strings "$tmp/strings" /etc /tmp || true
