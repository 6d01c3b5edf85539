#!/usr/bin/env bash
# files.sh — issue 5 end to end on both architectures: ls/stat/cat/find equal the guest's own view,
# fchk reports an intrusion after a clean baseline, fichk finds a planted signature, and hostile
# (patched copies of) guest RAM give bounded, clean errors.
source "$(dirname "$0")/lib.sh"
CHECK="python3 $ROOT/tests/e2e/files_check.py"

# xv ARGS... — run xvids with a time bound; a crash (signal) or a hang is a failure on its own.
xv() { timeout 60 "$XVIDS" "$@"; }
crashed() { [ "$1" -ge 124 ]; }

# patch FILE OFFSET U64 — write a little-endian 64-bit value into a copy of guest RAM.
patch() {
  python3 - "$@" <<'PY'
import struct, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2], 0)); f.write(struct.pack('<Q', int(sys.argv[3], 0) & (2**64 - 1)))
PY
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d=d[0] if isinstance(d,list) else d; print(d[sys.argv[2]])' "$@"; }

SETUP='
mkdir -p /data/sub /data/deep/a/b
: > /data/empty
printf x > /data/one
dd if=/dev/urandom of=/data/page bs=4096 count=1 2>/dev/null
dd if=/dev/urandom of=/data/pages bs=4096 count=7 2>/dev/null
head -c 10001 /dev/urandom > /data/odd
dd if=/dev/urandom of=/data/sparse bs=4096 count=2 seek=300 2>/dev/null
dd if=/dev/zero of=/data/hole bs=1 count=0 seek=1000000 2>/dev/null
printf tail | dd of=/data/sparse2 bs=1 seek=70000 2>/dev/null
ln -s /data/one /data/link
ln -s /data/$(printf "%0200d" 0)/target /data/longlink
mkfifo /data/fifo
echo deep > /data/deep/a/b/c.txt
chown 1000:100 /data/sub; chmod 2750 /data/sub; chmod 640 /data/one; chown 7:8 /data/odd
sync'
FILES="/data/empty /data/one /data/page /data/pages /data/odd /data/sparse /data/hole /data/sparse2 /data/deep/a/b/c.txt /etc/passwd /init /bin/busybox /www/index.html"

for arch in ${E2E_ARCHES:-aarch64 x86_64}; do
  run=$(boot_guest "$arch" clean) || { fail "$arch: guest boots"; continue; }
  E2E_GUESTS+=("$run")
  d="$E2E_TMP/$arch"; mkdir -p "$d"
  ram=$(ram_spec "$run")
  base=$(sed -n 's/^ram_base=//p' "$run/info")
  gcmd "$run" "$SETUP" >/dev/null

  # --- ls -l against the guest's ls -ln, several directories (memory file systems, devtmpfs, mounts)
  for dir in / /etc /bin /www /data /data/sub /dev /home/user "/lib/modules/$(sed -n 's/^release=//p' "$run/info")/kernel/drivers/net"; do
    tag=$(echo "$dir" | tr / _)
    gcmd "$run" "ls -ln $dir" >"$d/g-ls$tag"
    if ! xv --vm "$ram" ls -l "$dir" >"$d/x-ls$tag" 2>"$d/err"; then
      fail "$arch: ls -l $dir ($(cat "$d/err"))"; continue
    fi
    # /proc's link count is computed by proc on stat (one per process): not in the dentry tree;
    # /tmp holds guest/cmd's own script while the guest runs the listing.
    if out=$($CHECK ls "$d/g-ls$tag" "$d/x-ls$tag" proc tmp); then
      pass "$arch: ls -l $dir equals the guest's ls -ln (${out#equal: })"
    else
      fail "$arch: ls -l $dir differs from the guest's ls -ln"; echo "$out"
    fi
  done
  gcmd "$run" "ls -ln /data" >"$d/g-data"
  gcmd "$run" "stat -c '%n %Y' /data/*" | tr -d '\r' >"$d/g-data-mtime"
  xv --vm "$ram" ls -l --json /data >"$d/x-data.json" 2>"$d/err" &&
    out=$($CHECK lsjson "$d/g-data" "$d/g-data-mtime" "$d/x-data.json") &&
    pass "$arch: ls -l --json /data: name, type, mode, uid, gid, size, mtime equal the guest's (${out#equal: })" ||
    { fail "$arch: ls -l --json /data"; echo "${out:-$(cat "$d/err")}"; }
  xv --vm "$ram" ls -R /data >"$d/x-lsR" 2>"$d/err" && grep -qx '/data/deep/a/b:' "$d/x-lsR" &&
    grep -qx 'c.txt' "$d/x-lsR" && pass "$arch: ls -R reaches /data/deep/a/b/c.txt" ||
    fail "$arch: ls -R /data ($(cat "$d/err"))"

  # --- stat against the guest's stat
  gcmd "$run" "stat -c '%n %s %a %u %g %h %i %Y %Z' $FILES /data /data/sub /data/link /data/fifo /dev/null /" >"$d/g-stat"
  xv --vm "$ram" stat --json $FILES /data /data/sub /data/link /data/fifo /dev/null / >"$d/x-stat.json" 2>"$d/err" &&
    out=$($CHECK stat "$d/g-stat" "$d/x-stat.json") &&
    pass "$arch: stat: size, mode, uid, gid, links, inode, mtime, ctime equal the guest's (${out#equal: })" ||
    { fail "$arch: stat"; echo "${out:-$(cat "$d/err")}"; }
  for l in /data/link /data/longlink; do
    want=$(gcmd "$run" "readlink $l" | tr -d '\r')
    xv --vm "$ram" stat --json "$l" >"$d/x-l.json" 2>"$d/err"
    have=$(jget "$d/x-l.json" target 2>/dev/null)
    [ -n "$want" ] && [ "$want" = "$have" ] && pass "$arch: symlink target of $l (${#want} bytes) equals readlink" ||
      fail "$arch: symlink $l: guest '$want', xvids '$have' $(cat "$d/err")"
  done

  # --- cat: 0 bytes, 1 byte, one page, several pages, odd size, sparse files, 2 MB binary
  gcmd "$run" "sha256sum $FILES" >"$d/g-sha"
  nok=0; nbad=0
  for f in $FILES; do
    want=$(awk -v f="$f" '$2 == f { print $1 }' "$d/g-sha")
    have=$(xv --vm "$ram" cat "$f" 2>"$d/err" | sha256sum | cut -d' ' -f1)
    if [ -n "$want" ] && [ "$want" = "$have" ] && [ ! -s "$d/err" ]; then nok=$((nok + 1))
    else nbad=$((nbad + 1)); fail "$arch: cat $f: sha256 $have, guest $want $(cat "$d/err")"; fi
  done
  [ "$nbad" = 0 ] && pass "$arch: cat of $nok files (0 B, 1 B, 4096 B, 7 pages, 10001 B, sparse, hole-only, 2 MB) equals the guest's sha256sum"
  want=$(awk '$2 == "/data/one" { print $1 }' "$d/g-sha")
  [ "$(xv --vm "$ram" cat /data/link | sha256sum | cut -d' ' -f1)" = "$want" ] &&
    pass "$arch: cat follows a symlink" || fail "$arch: cat /data/link"
  xv --vm "$ram" cat /data >/dev/null 2>"$d/err"; rc=$?
  [ "$rc" = 2 ] && grep -q 'not a regular file' "$d/err" && pass "$arch: cat of a directory is a clean error" ||
    fail "$arch: cat /data: rc $rc $(cat "$d/err")"
  xv --vm "$ram" cat /data/nope >/dev/null 2>"$d/err"; rc=$?
  [ "$rc" = 2 ] && grep -q "no 'nope'" "$d/err" && pass "$arch: cat of a missing file names the missing component" ||
    fail "$arch: cat /data/nope: rc $rc $(cat "$d/err")"

  # --- find
  for dir in /etc /data /www; do
    gcmd "$run" "find $dir" | tr -d '\r' | sort >"$d/g-find"
    xv --vm "$ram" find "$dir" 2>"$d/err" | sort >"$d/x-find"
    cmp -s "$d/g-find" "$d/x-find" && pass "$arch: find $dir equals the guest's find ($(wc -l <"$d/g-find") paths)" ||
      { fail "$arch: find $dir"; diff "$d/g-find" "$d/x-find" | head -5; }
  done
  gcmd "$run" "find /data -name '*e*' -type f" | tr -d '\r' | sort >"$d/g-find"
  xv --vm "$ram" find /data -name '*e*' -type f | sort >"$d/x-find"
  cmp -s "$d/g-find" "$d/x-find" && [ -s "$d/g-find" ] && pass "$arch: find -name -type equals the guest's" ||
    { fail "$arch: find -name -type"; diff "$d/g-find" "$d/x-find" | head -5; }

  # BusyBox compares whole seconds, xvids (like GNU find) nanoseconds: a second apart both agree.
  # /data/ref is made a second before it is touched: creating it sets /data's mtime, possibly a
  # clock tick after ref's own, which nanoseconds see and seconds do not.
  gcmd "$run" ": >/data/ref; sleep 1; touch /data/ref; sleep 1; touch /data/sub /data/one; find /data -newer /data/ref" | tr -d '\r' | sort >"$d/g-find"
  xv --vm "$ram" find /data -newer /data/ref | sort >"$d/x-find"
  cmp -s "$d/g-find" "$d/x-find" && [ -s "$d/g-find" ] && pass "$arch: find -newer equals the guest's ($(wc -l <"$d/g-find") paths)" ||
    { fail "$arch: find -newer"; diff "$d/g-find" "$d/x-find" | head -5; }

  # --- fchk: clean baseline, then an intrusion
  xv --vm "$ram" fchk --init >"$d/init.pol" 2>"$d/err" || fail "$arch: fchk --init ($(cat "$d/err"))"
  # `xvids baseline` must carry the same manifest as `fchk --init` (the guest is quiet meanwhile).
  xv --vm "$ram" baseline >"$d/base.pol" 2>"$d/err"; rc=$?
  grep '^file expect' "$d/init.pol" | sort >"$d/init.files"; grep '^file expect' "$d/base.pol" | sort >"$d/base.files"
  if [ "$rc" = 0 ] && [ -s "$d/init.files" ] && cmp -s "$d/init.files" "$d/base.files"; then
    pass "$arch: xvids baseline includes the file manifest ($(wc -l <"$d/base.files") file lines, equal to fchk --init's)"
  else
    fail "$arch: xvids baseline: rc $rc, $(wc -l <"$d/base.files") file lines vs $(wc -l <"$d/init.files") from fchk --init $(head -c 200 "$d/err")"
    diff "$d/init.files" "$d/base.files" | head -5
    cp "$d/init.pol" "$d/base.pol"
  fi
  cat >>"$d/base.pol" <<'POL'
file deny type=file mode=/6000 severity=critical
file deny path=/www/* uid=!0
file deny path=/etc/* mode=-0002
file deny path=/etc/ld.so.preload
file deny path=*/.ssh/authorized_keys
POL
  n=$(grep -c '^file expect' "$d/base.pol")
  xv --vm "$ram" fchk --policy "$d/base.pol" >"$d/fchk0" 2>"$d/err"; rc=$?
  [ "$rc" = 0 ] && grep -q 'no findings' "$d/fchk0" && pass "$arch: fchk right after the baseline ($n files): no findings" ||
    { fail "$arch: fchk clean: rc $rc"; cat "$d/fchk0" "$d/err" | head; }
  psize=$(gcmd "$run" "wc -c </etc/passwd" | tr -d '\r ')
  gcmd "$run" 'echo "<?php system(\$_GET[c]); ?>" >/www/up.php; chown 1000:1000 /www/up.php
echo "toor:x:0:0::/root:/bin/sh" >>/etc/passwd
cp /bin/busybox /usr/bin/rootsh; chmod 4755 /usr/bin/rootsh
rm /root/secret.txt; chmod 666 /etc/group; echo /tmp/x.so >/etc/ld.so.preload
mkdir /root/.ssh; echo "ssh-ed25519 AAAA x" >/root/.ssh/authorized_keys' >/dev/null
  nsize=$(gcmd "$run" "wc -c </etc/passwd" | tr -d '\r ')
  xv --vm "$ram" fchk --policy "$d/base.pol" --json >"$d/fchk1.json" 2>"$d/err"; rc=$?
  if [ "$rc" = 1 ] && out=$($CHECK fchk "$d/fchk1.json" added:/www/up.php:uid=1000,gid=1000,mode=0644 \
        denied:/www/up.php:uid=1000 "changed:/etc/passwd:changes=size+sha256+mtime" \
        added:/usr/bin/rootsh:mode=4755,uid=0 denied:/usr/bin/rootsh:mode=4755 \
        removed:/root/secret.txt:type=file,mode=0600,uid=0 \
        changed:/etc/group:changes=mode,mode=0666 denied:/etc/group:mode=0666 \
        added:/etc/ld.so.preload:type=file denied:/etc/ld.so.preload \
        added:/root/.ssh:type=dir added:/root/.ssh/authorized_keys:type=file \
        denied:/root/.ssh/authorized_keys); then
    pass "$arch: fchk after the intrusion: exactly the web-root file (uid 1000), /etc/passwd changed, the setuid binary, the removed /root/secret.txt, world-writable /etc/group, the must-not-exist /etc/ld.so.preload and */.ssh/authorized_keys (exit 1)"
  else
    fail "$arch: fchk after the intrusion: rc $rc"; echo "${out:-}"; cat "$d/err"
  fi
  python3 - "$d/fchk1.json" "$psize" "$nsize" <<'PY' && pass "$arch: fchk reports /etc/passwd size $psize -> $nsize and /etc/group mode 0644 -> 0666 (high)" || fail "$arch: fchk passwd size / group mode change"
import json, sys
f = {x['path']: x for x in json.load(open(sys.argv[1]))['findings'] if x['kind'] == 'changed'}
c = {x['attr']: (x['old'], x['new']) for x in f['/etc/passwd']['changes']}
g = {x['attr']: (x['old'], x['new']) for x in f['/etc/group']['changes']}
sys.exit(0 if c['size'] == (sys.argv[2], sys.argv[3]) and f['/etc/passwd']['severity'] == 'high'
         and g.get('mode') == ('0644', '0666') and f['/etc/group']['severity'] == 'high' else 1)
PY
  # Each deny finding names its rule: the path-only ones (must not exist) and the world-writable one.
  python3 - "$d/fchk1.json" "$d/base.pol" <<'PY' && pass "$arch: fchk denied findings name their rules (path-only /etc/ld.so.preload, glob */.ssh/authorized_keys, world-writable in /etc)" || fail "$arch: fchk deny rules"
import json, sys
lines = open(sys.argv[2]).read().split('\n')
line = lambda rule: '%s:%d' % (sys.argv[2], lines.index(rule) + 1)
want = {('/etc/ld.so.preload', line('file deny path=/etc/ld.so.preload')),
        ('/root/.ssh/authorized_keys', line('file deny path=*/.ssh/authorized_keys')),
        ('/etc/group', line('file deny path=/etc/* mode=-0002'))}
have = {(x['path'], x['rule']) for x in json.load(open(sys.argv[1]))['findings'] if x['kind'] == 'denied'}
sys.exit(0 if want <= have else print(sorted(have)) or 1)
PY
  # Bad input is an error (exit 2, a message naming the file), never "no findings".
  printf 'file deny path=/etc/* mode=0x99\n' >"$d/bad1.pol"
  printf 'file expect path=etc/passwd type=file\n' >"$d/bad2.pol"
  printf 'file deny type=regular\n' >"$d/bad3.pol"
  nbad=0
  for c in "missing.pol:No such file" "bad1.pol:1:.*'0x99'" "bad2.pol:1:.*absolute" "bad3.pol:1:.*'regular'"; do
    p="$d/${c%%:*}"
    xv --vm "$ram" fchk --policy "$p" >"$d/out" 2>"$d/err"; rc=$?
    if [ "$rc" = 2 ] && grep -q "${c%%:*}.*${c#*:}" "$d/err" && [ ! -s "$d/out" ]; then :
    else nbad=$((nbad + 1)); fail "$arch: fchk --policy $(basename "$p"): rc $rc $(cat "$d/out" "$d/err")"; fi
  done
  [ "$nbad" = 0 ] && pass "$arch: fchk exits 2 naming the file for a missing policy, a bad mode, a relative path, a bad type"

  # --- fichk: nothing in a clean guest, then a planted signature (spelled so that the command
  # that plants it does not contain it)
  printf 'rule planted_sig { strings: $s = "XVIDS-PLANTED-7f3a" condition: $s }\n' >"$d/sig.yar"
  printf 'XVIDS-PLANTED-7f3a\n' >"$d/sig.txt"
  xv --vm "$ram" fichk --rules "$d/sig.yar" --strings "$d/sig.txt" >"$d/fichk0" 2>"$d/err"; rc=$?
  [ "$rc" = 0 ] && grep -q 'no findings' "$d/fichk0" && pass "$arch: fichk in a clean guest: no findings" ||
    { fail "$arch: fichk clean: rc $rc"; cat "$d/fichk0" "$d/err" | head; }
  gcmd "$run" 'S=PLANTED; printf "hello XVIDS-%s-7f3a\n" $S >/www/sig.html; { head -c 5000 /dev/zero; printf "XVIDS-%s-7f3a" $S; } >/tmp/dropper' >/dev/null
  xv --vm "$ram" fichk --rules "$d/sig.yar" --strings "$d/sig.txt" --json >"$d/fichk1.json" 2>"$d/err"; rc=$?
  python3 - "$d/fichk1.json" <<'PY' && [ "$rc" = 1 ] && pass "$arch: fichk finds the planted signature (YARA and string list; offsets 6 and 5000)" || { fail "$arch: fichk planted: rc $rc"; cat "$d/err"; head -c 600 "$d/fichk1.json"; }
import json, sys
f = json.load(open(sys.argv[1]))['findings']
got = sorted((x['kind'], x['path'], x['matches'][0]['offset']) for x in f)
want = sorted([('yara', '/www/sig.html', 6), ('forbidden-string', '/www/sig.html', 6),
               ('yara', '/tmp/dropper', 5000), ('forbidden-string', '/tmp/dropper', 5000)])
sys.exit(0 if got == want and all(x['rule'] for x in f) else print(got) or 1)
PY

  # --- a long-lived process (xvidsd) keeps fichk's compiled rules from one run to the next: it
  # must compile again when the rule file changes, even in place with the same size.
  XVIDSD="$(cd "$(dirname "$XVIDS")/.." && pwd)/daemon/xvidsd"
  if [ -x "$XVIDSD" ]; then
    printf 'rule planted_sig { strings: $s = "XVIDS-PLANTED-7f3a" condition: $s }\n' >"$d/d.yar"
    pw="pw-$RANDOM-$$"; printf '%s\n' "$pw" | "$XVIDSD" --hash-password >"$d/passwd" 2>/dev/null; chmod 600 "$d/passwd"
    "$XVIDSD" --listen 127.0.0.1:0 --password-file "$d/passwd" --vm "g=$ram" --set "check-args fichk --rules $d/d.yar" 2>"$d/xvidsd.log" &
    dpid=$!
    for _ in $(seq 100); do grep -qs 'ready:' "$d/xvidsd.log" && break; sleep 0.1; done
    dport=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$d/xvidsd.log")
    if out=$(timeout 120 python3 - "$ROOT/tests/e2e" "${dport:-0}" "$d/d.yar" "$pw" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from daemon_client import SockClient
c = SockClient('127.0.0.1', int(sys.argv[2]))
c.login(sys.argv[4])
def run(rule_text):
    if rule_text:
        open(sys.argv[3], 'w').write(rule_text)  # in place: same inode
    out = c.cmd('fichk g -j /www')
    return sorted((f['rule'], f['path']) for f in json.loads(out[out.index('{'):])['findings'])
seen = [run(None),
        run('rule planted_sig { strings: $s = "XVIDS-PLANTED-7f3b" condition: $s }\n'),  # same size
        run('rule greeting { strings: $s = "hello XVIDS" condition: $s }\n'),
        run('rule planted_sig { strings: $s = "XVIDS-PLANTED-7f3a" condition: $s }\n'),
        run(None)]
want = [[('planted_sig', '/www/sig.html')], [], [('greeting', '/www/sig.html')],
        [('planted_sig', '/www/sig.html')], [('planted_sig', '/www/sig.html')]]
print(seen)
sys.exit(0 if seen == want else 1)
PY
    ); then
      pass "$arch: xvidsd fichk compiles the rules again when the file changes (same size, in place), reuses them when not"
    else
      fail "$arch: xvidsd fichk with changing rules: $out $(tail -3 "$d/xvidsd.log")"
    fi
    kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
  else
    skip "$arch: xvidsd not built ($XVIDSD)"
  fi

  # --- the same through a QEMU dump (ELF core) and live over QMP: same bytes, same findings
  if "$ROOT/guest/dump" "$run" "$d/core.elf" >/dev/null 2>&1; then
    want=$(awk '$2 == "/bin/busybox" { print $1 }' "$d/g-sha")
    have=$(xv --vm "dump:$d/core.elf" cat /bin/busybox | sha256sum | cut -d' ' -f1)
    [ "$want" = "$have" ] && pass "$arch: cat /bin/busybox from a QEMU dump equals the guest's sha256sum" ||
      fail "$arch: cat from dump: $have"
    keys() { python3 -c 'import json,sys; print("\n".join(sorted(f["kind"] + " " + f["path"] for f in json.load(open(sys.argv[1]))["findings"])))' "$1"; }
    xv --vm "dump:$d/core.elf" fchk --policy "$d/base.pol" --json >"$d/fchk-dump.json" 2>"$d/err"
    xv --vm "$ram" fchk --policy "$d/base.pol" --json >"$d/fchk-ram.json" 2>>"$d/err"
    xv --vm "qmp:$run/qmp.sock" fchk --policy "$d/base.pol" --json >"$d/fchk-qmp.json" 2>>"$d/err"
    if [ "$(keys "$d/fchk-dump.json")" = "$(keys "$d/fchk-ram.json")" ] &&
       [ "$(keys "$d/fchk-qmp.json")" = "$(keys "$d/fchk-ram.json")" ] && [ -n "$(keys "$d/fchk-ram.json")" ]; then
      pass "$arch: fchk via dump:, ram: and qmp: gives the same $(keys "$d/fchk-ram.json" | wc -l) findings"
    else
      fail "$arch: fchk differs between dump:, ram: and qmp: $(cat "$d/err")"
    fi
    rm -f "$d/core.elf"
  else
    fail "$arch: guest/dump"
  fi

  # --- hostile memory: patched copies of guest RAM (never the live guest's)
  xv --vm "$ram" stat --json /home/user/notes.txt /home/user /etc/motd /etc /data/pages >"$d/h.json" 2>"$d/err" ||
    fail "$arch: stat for the hostile tests ($(cat "$d/err"))"
  field_pa() { # field_pa TYPE ADDR FIELD -> physical address of the field
    xv --vm "$ram" eval --json "$1@$2.$3" | python3 -c 'import json,sys; print(json.load(sys.stdin)["phys"])'
  }
  field_va() {
    xv --vm "$ram" eval --json "$1@$2.$3" | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])'
  }
  read_addr() { python3 -c 'import json,sys; print([e for e in json.load(open(sys.argv[1])) if e["path"]==sys.argv[2]][0][sys.argv[3]])' "$d/h.json" "$1" "$2"; }
  notes=$(read_addr /home/user/notes.txt dentry); user=$(read_addr /home/user dentry)
  motd_i=$(read_addr /etc/motd inode); etc_i=$(read_addr /etc inode); pages_i=$(read_addr /data/pages inode)
  cp "$(sed -n 's/^ram=//p' "$run/info")" "$d/ram.copy"
  clean_sha=$(sha256sum <"$d/ram.copy")
  cp "$d/ram.copy" "$d/ram.loop"; cp "$d/ram.copy" "$d/ram.size"
  # 1. dentry loop: notes.txt's sibling link points to itself (a cycle that never returns to
  #    /home/user's list head), and /home/user's child list also names /home/user as a child.
  off=$(( $(field_pa dentry "$notes" d_child.next) - base ))
  patch "$d/ram.loop" "$off" "$(field_va dentry "$notes" d_child)"
  # 2. a directory with a bogus child count and an inode with an absurd size
  patch "$d/ram.size" $(( $(field_pa inode "$etc_i" i_nlink) - base )) 0xffffffff
  patch "$d/ram.size" $(( $(field_pa inode "$etc_i" i_size) - base )) 0x7fffffffffffffff
  patch "$d/ram.size" $(( $(field_pa inode "$motd_i" i_size) - base )) 0x0000400000000000
  for v in loop size; do
    spec="ram:$d/ram.$v@$base"
    start=$(date +%s%N)
    xv --vm "$spec" fchk --policy "$d/base.pol" --json >"$d/hf-$v.json" 2>"$d/err"; rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if crashed "$rc"; then fail "$arch: hostile $v: fchk crashed or hung (rc $rc)"; continue; fi
    case $v in
      loop) python3 - "$d/hf-$v.json" <<'PY' && [ "$rc" = 1 ] && pass "$arch: dentry loop: fchk ends in ${ms} ms with a corrupt-fs finding for /home/user (exit 1)" || { fail "$arch: dentry loop: rc $rc"; cat "$d/err"; }
import json, sys
f = json.load(open(sys.argv[1]))['findings']
sys.exit(0 if any(x['kind'] == 'corrupt-fs' and x['path'] == '/home/user' for x in f) else 1)
PY
        xv --vm "$spec" ls /home/user >/dev/null 2>"$d/err"; rc=$?
        [ "$rc" = 2 ] && grep -q 'cycle' "$d/err" && pass "$arch: dentry loop: ls is a clean error ($(head -c 100 "$d/err"))" ||
          fail "$arch: dentry loop: ls rc $rc $(cat "$d/err")"
        xv --vm "$spec" find / >/dev/null 2>"$d/err"; rc=$?
        [ "$rc" = 2 ] && pass "$arch: dentry loop: find reports it and goes on (exit 2)" || fail "$arch: dentry loop: find rc $rc" ;;
      size) python3 - "$d/hf-$v.json" <<'PY' && [ "$rc" = 1 ] && pass "$arch: absurd sizes: fchk ends in ${ms} ms, /etc/motd changed size and cannot be hashed (exit 1)" || { fail "$arch: absurd sizes: rc $rc"; cat "$d/err"; head -c 800 "$d/hf-$v.json"; }
import json, sys
f = json.load(open(sys.argv[1]))['findings']
kinds = {(x['kind'], x['path']) for x in f}
sys.exit(0 if ('partial', '/etc/motd') in kinds else 1)
PY
        xv --vm "$spec" ls -l / >"$d/hl" 2>"$d/err"; rc=$?
        [ "$rc" = 0 ] && grep -q '^d.* 4294967295 .* 9223372036854775807 .* etc$' "$d/hl" &&
          pass "$arch: bogus link count and size of /etc: ls -l shows them, no crash" ||
          fail "$arch: bogus /etc: ls rc $rc $(cat "$d/err") $(grep etc "$d/hl")"
        xv --vm "$spec" cat /etc/motd >/dev/null 2>"$d/err"; rc=$?
        [ "$rc" = 2 ] && pass "$arch: absurd size: cat refuses ($(head -c 90 "$d/err"))" || fail "$arch: absurd size: cat rc $rc"
        xv --vm "$spec" fichk --strings "$d/sig.txt" /etc --json >"$d/hfi.json" 2>"$d/err"; rc=$?
        [ "$rc" = 1 ] && grep -q '"not-scanned"' "$d/hfi.json" && pass "$arch: absurd size: fichk reports the file as not scanned" ||
          fail "$arch: absurd size: fichk rc $rc $(cat "$d/err")" ;;
    esac
  done
  # 3. pages missing from a file: slot 3 of /data/pages' page cache (7 pages, one XArray node)
  #    cleared, then made a value (swap) entry. The file is still 7 pages long: its bytes come
  #    out with zeros for page 3 (what the guest's own dd shows when page 3 is zeros), and every
  #    command says it is partial, never a silently short or silently different file.
  want=$(gcmd "$run" '{ dd if=/data/pages bs=4096 count=3; dd if=/dev/zero bs=4096 count=1; dd if=/data/pages bs=4096 skip=4; } 2>/dev/null | sha256sum' | awk '{print $1}')
  head=$(xv --vm "$ram" eval --json "inode@$pages_i.i_mapping->i_pages.xa_head" | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])')
  if [ -n "$head" ] && [ $((head & 3)) = 2 ] && [ "$(xv --vm "$ram" stat --json /data/pages | jget /dev/stdin pages)" = 7 ]; then
    node=$(printf '0x%x' $((head - 2)))
    slot=$(( $(field_pa xa_node "$node" "slots[3]") - base ))
    cp "$d/ram.copy" "$d/ram.page"
    for entry in 0 0x2469; do
      what=$([ "$entry" = 0 ] && echo "slot cleared" || echo "value (swap) entry")
      patch "$d/ram.page" "$slot" "$entry"
      spec="ram:$d/ram.page@$base"
      xv --vm "$spec" cat /data/pages >"$d/hp.out" 2>"$d/err"; rc=$?
      have=$(sha256sum <"$d/hp.out" | cut -d' ' -f1)
      [ "$rc" = 1 ] && grep -q 'partial: 1 of 7 pages are not in guest RAM' "$d/err" &&
        [ "$(wc -c <"$d/hp.out")" = 28672 ] && [ "$have" = "$want" ] &&
        pass "$arch: page missing ($what): cat writes all 28672 bytes, page 3 as zeros (= the guest's dd), says partial, exit 1" ||
        fail "$arch: page missing ($what): cat rc $rc, $(wc -c <"$d/hp.out") bytes, sha $have want $want: $(cat "$d/err")"
      xv --vm "$spec" fchk --policy "$d/base.pol" --json >"$d/hp.json" 2>"$d/err"; rc=$?
      python3 - "$d/hp.json" <<'PY' && [ "$rc" = 1 ] && pass "$arch: page missing ($what): fchk reports /data/pages partial (1 of 7 pages), not changed" || { fail "$arch: page missing ($what): fchk rc $rc"; cat "$d/err"; }
import json, sys
f = [x for x in json.load(open(sys.argv[1]))['findings'] if x.get('path') == '/data/pages']
sys.exit(0 if [x['kind'] for x in f] == ['partial'] and '1 of 7 pages' in f[0]['reason'] else print(f) or 1)
PY
      xv --vm "$spec" fichk --strings "$d/sig.txt" /data --json >"$d/hpi.json" 2>"$d/err"; rc=$?
      python3 - "$d/hpi.json" <<'PY' && [ "$rc" = 1 ] && pass "$arch: page missing ($what): fichk reports /data/pages partial (scanned with zeros for the page)" || { fail "$arch: page missing ($what): fichk rc $rc"; cat "$d/err"; }
import json, sys
f = json.load(open(sys.argv[1]))['findings']
sys.exit(0 if [(x['kind'], x['path']) for x in f] == [('partial', '/data/pages')] and '1 of 7 pages' in f[0]['reason'] else print(f) or 1)
PY
    done
  else
    fail "$arch: /data/pages: page cache head $head is not a node of 7 pages"
  fi
  [ "$(sha256sum <"$d/ram.copy")" = "$clean_sha" ] && pass "$arch: RAM copy unchanged by xvids (read-only)" || fail "$arch: RAM copy modified"
  rm -f "$d"/ram.*
done
