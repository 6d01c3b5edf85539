#!/usr/bin/env bash
# cross-kernel.sh — issue 8: the aarch64 build on a real AArch64 kernel (a 1 GB test guest as the
# host, like the Raspberry Pi 3): ps/lsmod/pchk of the full and the minimal build equal the native
# build on a dump and on the RAM file of a 96 MB guest, their peak RSS is under the targets
# (xvids ps < 12 MB, xvidsd with one guest < 16 MB), xvidsd runs with its seccomp sandbox, and the
# unit tests qemu-user cannot run (process_vm_readv, seccomp) pass.
source "$(dirname "$0")/lib.sh"
export XVIDS
bash "$ROOT/bench/footprint-guest.sh"
