#!/usr/bin/env bash
# cross-kernel.sh — issue 8: the aarch64 build on a real AArch64 kernel (a 512 MB test guest as the
# host): ps/lsmod/pchk equal the native build on a dump of a 96 MB guest, xvidsd runs with its
# seccomp sandbox, and the unit tests qemu-user cannot run (process_vm_readv, seccomp) pass.
source "$(dirname "$0")/lib.sh"
export XVIDS
bash "$ROOT/bench/footprint-guest.sh"
