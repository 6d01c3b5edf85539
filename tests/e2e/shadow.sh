#!/usr/bin/env bash
# shadow.sh — issue 7: unmodified host tools (uname, ps, cat, netstat, kill, chkrootkit, aide, tripwire) run
# through `xvids shadow` see the guest: its kernel, processes, modules, sockets, files; never the host.
source "$(dirname "$0")/lib.sh"

ARCH=${SHADOW_ARCH:-aarch64}
# `xvids shadow` once the command is in the table; the helper itself otherwise.
HELPER="${XVIDS_SHADOW:-$(dirname "$XVIDS")/../shadow/xvids-shadow}"
if "$XVIDS" --help 2>/dev/null | grep -q '^  shadow '; then
  sh_run() { local vm="$1"; shift; "$XVIDS" --vm "$vm" shadow "$@"; }
elif [ -x "$HELPER" ]; then
  sh_run() { local vm="$1"; shift; "$HELPER" --vm "$vm" "$@"; }
else
  fail "shadow: neither 'xvids shadow' nor $HELPER is available"; exit 1
fi
need() { command -v "$1" >/dev/null || { skip "$2: $1 not installed (apt-get install $3)"; return 1; }; }
block() { sed -n "/==XVIDS-BEGIN $2==/,/==XVIDS-END $2==/p" "$1" | grep -v '==XVIDS-'; }
W="$E2E_TMP/w"; mkdir -p "$W"

# The rootkit guest (hidden task and module) is built and booted meanwhile.
HAVE_CHK=0; command -v chkrootkit >/dev/null && HAVE_CHK=1
if [ "$HAVE_CHK" = 1 ]; then
  "$ROOT/tests/rootkit/guest-check" "$ARCH" --keep >"$W/rk.out" 2>"$W/rk.err" &
  rkjob=$!
fi

# ---------------------------------------------------------------- clean guest
run=$(boot_guest "$ARCH" clean) || { fail "$ARCH: guest boots"; exit 1; }
E2E_GUESTS+=("$run")
vm=$(ram_spec "$run")

# uname: the guest's kernel and machine (aarch64 on an x86-64 host), through seccomp.
g=$(gcmd "$run" 'uname -a' | tr -d '\r'); s=$(sh_run "$vm" uname -a 2>&1)
[ -n "$g" ] && [ "$g" = "$s" ] && pass "$ARCH: shadow uname -a equals the guest's: $s" ||
  fail "$ARCH: shadow uname -a: '$s' vs guest '$g'"
sm=$(sh_run "$vm" uname -m); gm=$(gcmd "$run" 'uname -m' | tr -d '\r')
[ -n "$gm" ] && [ "$sm" = "$gm" ] && pass "$ARCH: uname -m is the guest's ($sm; the host is $(uname -m))" ||
  fail "$ARCH: uname -m '$sm' vs guest '$gm'"

# ps -e: pids and names equal the guest's own ps (stable processes: in its view before and after).
gcmd "$run" xvids-views >"$W/v1"
sh_run "$vm" ps -e -o pid=,comm= >"$W/sps" 2>"$W/err" || fail "$ARCH: shadow ps -e ($(cat "$W/err"))"
gcmd "$run" xvids-views >"$W/v2"
python3 - "$W" "$ARCH" <<'EOF'
import re, sys
w, arch = sys.argv[1], sys.argv[2]
def norm(c):
    # a workqueue worker's "+desc"/"-desc" suffix is the work it runs right now: volatile
    return re.sub(r"^(kworker/[^-+]*)[-+].*$", r"\1", c)
def view(f):
    out, on = {}, False
    for l in open(f"{w}/{f}"):
        if l.startswith("==XVIDS-BEGIN ps=="): on = True; continue
        if l.startswith("==XVIDS-END ps=="): on = False
        if on and l.strip() and l.split()[0].isdigit():
            p = l.split(None, 3); out[int(p[0])] = norm(p[3].strip())
    return out
a, b = view("v1"), view("v2")
stable = {p: c for p, c in a.items() if b.get(p) == c}
shadow = {}
for l in open(f"{w}/sps"):
    p = l.split(None, 1)
    if p and p[0].isdigit() and int(p[0]) < 0x3F0000:  # tool pids are above 0x3F0000
        shadow[int(p[0])] = norm(p[1].strip()) if len(p) > 1 else ""
missing = {p: c for p, c in stable.items() if shadow.get(p) != c}
extra = {p: c for p, c in shadow.items() if p not in a and p not in b}
if missing or extra or not stable:
    print(f"FAIL: {arch}: ps -e differs from the guest's ps: missing/different {missing}, extra {extra}")
else:
    print(f"PASS: {arch}: ps -e equals the guest's own ps ({len(stable)} stable processes, pids and names)")
EOF
grep -q "^ *[0-9]* ps$" "$W/sps" && awk '$1 >= 4128768 && $2 == "ps"' "$W/sps" | grep -q . &&
  pass "$ARCH: the tool's own ps is listed under a tool pid (>= 0x3F0000)" || fail "$ARCH: tool pid range"

# /proc/modules, byte for byte.
gcmd "$run" 'cat /proc/modules' | tr -d '\r' >"$W/gmod"
sh_run "$vm" cat /proc/modules >"$W/smod" 2>&1
[ -s "$W/gmod" ] && cmp -s "$W/gmod" "$W/smod" && pass "$ARCH: shadow cat /proc/modules equals the guest's ($(wc -l <"$W/gmod") modules)" ||
  { fail "$ARCH: /proc/modules differs"; diff "$W/gmod" "$W/smod" | head; }

# /proc/1/maps (the maple tree) and /proc/1/cmdline (user memory through init's page tables).
gcmd "$run" 'cat /proc/1/maps' | tr -d '\r' >"$W/gmaps"
sh_run "$vm" cat /proc/1/maps >"$W/smaps" 2>&1
[ -s "$W/gmaps" ] && cmp -s "$W/gmaps" "$W/smaps" && pass "$ARCH: /proc/1/maps equals the guest's ($(wc -l <"$W/gmaps") mappings)" ||
  { fail "$ARCH: /proc/1/maps differs"; diff "$W/gmaps" "$W/smaps" | head; }
g=$(gcmd "$run" 'tr "\0" " " </proc/1/cmdline' | tr -d '\r'); s=$(sh_run "$vm" sh -c 'tr "\0" " " </proc/1/cmdline')
[ -n "$g" ] && [ "$g" = "$s" ] && pass "$ARCH: /proc/1/cmdline equals the guest's: $s" || fail "$ARCH: cmdline '$s' vs '$g'"

# netstat -tln: the guest's listeners (httpd 8080 and a backdoor on 2001).
gcmd "$run" 'nc -l -p 2001 </dev/null >/dev/null 2>&1 & echo started' >/dev/null
sleep 1
if need netstat "netstat" net-tools; then
  sh_run "$vm" netstat -tln >"$W/net" 2>&1
  grep -Eq 'tcp6? .*:2001 .*LISTEN' "$W/net" && grep -Eq 'tcp6? .*:8080 .*LISTEN' "$W/net" &&
    pass "$ARCH: shadow netstat -tln shows the guest's listeners on 8080 and 2001" ||
    { fail "$ARCH: netstat -tln"; cat "$W/net"; }
  sh_run "$vm" netstat -tlnp 2>&1 | grep -Eq ':2001 .*LISTEN +[0-9]+/nc' &&
    pass "$ARCH: netstat -p names the guest's nc as the owner of port 2001 (/proc/PID/fd)" ||
    fail "$ARCH: netstat -p owner of 2001"
fi
sh_run "$vm" ss -tln 2>&1 | grep -q ':2001 ' && pass "$ARCH: ss -tln (PROC_ROOT) shows port 2001" ||
  fail "$ARCH: ss -tln"

# The host is never signalled or read: a sentinel host process.
sleep 1000 & sent=$!
gpids=$(block "$W/v2" ps | awk '{print $1}')
if grep -qx "$sent" <<<"$gpids"; then
  skip "$ARCH: sentinel pid $sent is also a guest pid"
else
  sh_run "$vm" kill -0 "$sent" 2>/dev/null && fail "$ARCH: kill -0 of host pid $sent succeeded" ||
    pass "$ARCH: kill -0 <host sentinel $sent> fails"
  sh_run "$vm" kill -9 "$sent" 2>/dev/null
  sh_run "$vm" sh -c "kill -TERM $sent; kill -KILL -1" 2>/dev/null
  kill -0 "$sent" 2>/dev/null && pass "$ARCH: host sentinel survives kill -9 / kill -1 through the shadow" ||
    fail "$ARCH: host sentinel was killed"
  sh_run "$vm" ls "/proc/$sent" >/dev/null 2>&1 && fail "$ARCH: /proc/$sent (host) readable" ||
    pass "$ARCH: /proc/<host sentinel> does not exist in the shadow"
fi
kill "$sent" 2>/dev/null
sh_run "$vm" kill -0 1 && pass "$ARCH: kill -0 1 succeeds (the guest's init)" || fail "$ARCH: kill -0 1"
free=$(python3 -c "import sys; s=set(map(int,sys.argv[1:])); print(next(p for p in range(300,30000) if p not in s))" $gpids)
sh_run "$vm" kill -0 "$free" 2>/dev/null && fail "$ARCH: kill -0 $free (no such guest pid) succeeded" ||
  pass "$ARCH: kill -0 of a pid the guest does not have fails"
sh_run "$vm" sh -c 'echo x > /etc/xvids-write-test' 2>/dev/null && fail "$ARCH: guest tree writable" ||
  pass "$ARCH: the guest tree is read-only"

# Without root: user and mount namespaces where the kernel allows them (as user nobody, with read
# access to the guest's RAM file); /dev/fuse must be usable by the user (Debian ships it 0666;
# where it is not, the message says so).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod o+x "$E2E_TMP" "$run"; chmod o+r "$run/ram"
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  fmode=$(stat -c %a /dev/fuse)
  ( trap 'chmod "$fmode" /dev/fuse' EXIT  # whatever happens, /dev/fuse gets its mode back
  if ! as_nobody test -r /dev/fuse -a -w /dev/fuse; then
    out=$(as_nobody "$XVIDS" --vm "$vm" shadow uname -a 2>&1); rc=$?
    [ $rc = 2 ] && grep -q '/dev/fuse' <<<"$out" && pass "$ARCH: without access to /dev/fuse: exit 2, \"$out\"" ||
      fail "$ARCH: without access to /dev/fuse: exit $rc, '$out'"
    chmod 0666 /dev/fuse  # Debian's own mode for it, for the rest of this check
  fi
  out=$(as_nobody "$XVIDS" --vm "$vm" shadow sh -c 'uname -a; id -u' 2>&1); rc=$?
  g=$(gcmd "$run" 'uname -a' | tr -d '\r')
  if [ $rc = 0 ] && [ "$(head -1 <<<"$out")" = "$g" ] && [ "$(tail -1 <<<"$out")" = 0 ]; then
    pass "$ARCH: as user nobody (user namespace): shadow uname -a is the guest's, the tool runs as uid 0 of its namespace"
  elif [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" = 0 ] && grep -q 'namespace' <<<"$out"; then
    pass "$ARCH: as user nobody, user namespaces disabled here: clear message \"$out\""
  else
    fail "$ARCH: as user nobody: exit $rc, '$out'"
  fi
  )
  chmod o-r "$run/ram"; chmod o-x "$run" "$E2E_TMP"
fi

# ------------------------------------------------------------- chkrootkit
# The clean and the infected guest are checked at the same time (chkproc's 4,194,304 probes
# take a minute or two each).
# Every test of chkrootkit (CHK_TESTS="aliens sniffer lkm" for a quicker run by hand).
CHK_TESTS=${CHK_TESTS:-}
rkrun="" hidden=""
if need chkrootkit chkrootkit chkrootkit; then
  wait "$rkjob"
  rkrun=$(sed -n 's/^rundir=//p' "$W/rk.out"); hidden=$(sed -n 's/^hidden_pid=//p' "$W/rk.out")
  if [ -z "$rkrun" ] || [ -z "$hidden" ]; then
    fail "$ARCH: rootkit guest (tests/rootkit/guest-check --keep)"; tail -5 "$W/rk.err"
  else
    E2E_GUESTS+=("$rkrun")
    # guest-check --keep leaves its work directory (RAM file included) to the caller
    RK_WORK=$(dirname "$rkrun")
    case "$RK_WORK" in /tmp/xvids-rk-*) trap 'e2e_cleanup; rm -rf "$RK_WORK"' EXIT ;; esac
    rvm=$(ram_spec "$rkrun")
    # chkrootkit's own t0rn signature files, and a sniffer-style promiscuous interface
    gcmd "$rkrun" 'echo x > /etc/ttyhash; echo x > /sbin/xlogin; ip link set lo promisc on; echo ok' >/dev/null
    sh_run "$rvm" chkrootkit $CHK_TESTS >"$W/chk-rk" 2>&1 &
    rkchk=$!
  fi
  sh_run "$vm" chkrootkit $CHK_TESTS >"$W/chk-clean" 2>&1
  [ -n "${rkchk:-}" ] && wait "$rkchk"
  if grep -Eq 'INFECTED|Possible .*(installed|rootkit)|PROMISC|hidden for' "$W/chk-clean"; then
    fail "$ARCH: chkrootkit reports findings on the clean guest"; grep -E 'INFECTED|Possible|PROMISC|hidden' "$W/chk-clean"
  else
    nchk=$(grep -o "^Checking \`[^']*'" "$W/chk-clean" | sort -u | wc -l)
    pass "$ARCH: chkrootkit (${CHK_TESTS:-all $nchk checks}) on the clean guest: nothing infected"
  fi
  grep -q 'hidden processes with chkproc' "$W/chk-clean" && ! grep -q 'chkproc and chkdirs: not tested\|sniffer.*not tested' "$W/chk-clean" &&
    pass "$ARCH: chkproc and ifpromisc ran (tested, unlike chkrootkit -r ROOT)" || fail "$ARCH: chkproc/ifpromisc not tested"
  # aliens: "not tested" exactly where a native run over a tree without those files says so
  # (native -r on an empty root: the same logic, without scanning the host's own files)
  mkdir -p "$W/empty"
  chkrootkit -r "$W/empty" aliens 2>/dev/null | grep 'not tested' | sed 's/ *not tested//' | sort >"$W/nt-native"
  sed -n "/Checking \`aliens'... *started/,/Checking \`aliens'... *finished/p" "$W/chk-clean" |
    grep 'not tested' | sed 's/ *not tested//' | sort >"$W/nt-shadow"
  diff -q "$W/nt-native" "$W/nt-shadow" >/dev/null && pass "$ARCH: chkrootkit's 'not tested' checks equal a native run's ($(wc -l <"$W/nt-shadow"))" ||
    { fail "$ARCH: 'not tested' differs from a native run"; diff "$W/nt-native" "$W/nt-shadow"; }
fi

# ------------------------------------------------------------------- AIDE
if need aide aide aide; then
  cat >"$W/aide.conf" <<'EOF'
database_in=file:/w/aide.db
database_out=file:/w/aide.db.new
report_url=stdout
R = p+ftype+i+l+n+u+g+s+m+c+sha256
/etc R
/www R
/home R
/root R
/bin R
/sbin R
/usr R
EOF
  if sh_run "$vm" --bind "$W:/w" aide --init -c /w/aide.conf >"$W/aide-init" 2>&1 && [ -s "$W/aide.db.new" ]; then
    mv "$W/aide.db.new" "$W/aide.db"
    pass "$ARCH: aide --init over the guest's files ($(grep -c '^/' <(zcat -f "$W/aide.db")) entries)"
  else
    fail "$ARCH: aide --init"; tail -5 "$W/aide-init"
  fi
  sh_run "$vm" --bind "$W:/w" aide --check -c /w/aide.conf >"$W/aide-c0" 2>&1
  [ $? = 0 ] && pass "$ARCH: aide --check right after --init: no differences" || { fail "$ARCH: aide --check clean"; head -30 "$W/aide-c0"; }
fi

# ---------------------------------------------------------------- Tripwire
# Keys, signed configuration and policy are made on the host with twadmin (passphrases on the
# command line: no prompt); the database and local key names carry $(HOSTNAME), which tripwire
# takes from uname(2): the guest's nodename through the shadow. twadmin checks the paths in the
# configuration, so the work directory is bound at the same path inside the shadow.
HAVE_TW=0
if need tripwire tripwire tripwire; then
  HAVE_TW=1
  gnode=$(gcmd "$run" 'uname -n' | tr -d '\r')
  twadmin --generate-keys -S "$W/site.key" -Q xvids-site-pass >/dev/null &&
    twadmin --generate-keys -L "$W/$gnode-local.key" -P xvids-local-pass >/dev/null || fail "$ARCH: twadmin --generate-keys"
  cat >"$W/twcfg.txt" <<EOF
ROOT          =/usr/sbin
POLFILE       =$W/tw.pol
DBFILE        =$W/\$(HOSTNAME).twd
REPORTFILE    =$W/\$(HOSTNAME).twr
SITEKEYFILE   =$W/site.key
LOCALKEYFILE  =$W/\$(HOSTNAME)-local.key
EDITOR        =/bin/false
LATEPROMPTING =false
LOOSEDIRECTORYCHECKING =true
MAILNOTIFYVIOLATIONS =false
EMAILREPORTLEVEL =3
REPORTLEVEL   =3
SYSLOGREPORTING =false
MAILMETHOD    =SENDMAIL
MAILPROGRAM   =/bin/false
TEMPDIRECTORY =$W
EOF
  cat >"$W/twpol.txt" <<'EOF'
(rulename = "guest files", severity = 100)
{
  /etc  -> $(ReadOnly) ;
  /www  -> $(ReadOnly) ;
  /home -> $(ReadOnly) ;
  /root -> $(ReadOnly) ;
  /bin  -> $(ReadOnly) ;
  /sbin -> $(ReadOnly) ;
}
EOF
  twadmin --create-cfgfile -c "$W/tw.cfg" -S "$W/site.key" -Q xvids-site-pass "$W/twcfg.txt" >/dev/null &&
    twadmin --create-polfile -c "$W/tw.cfg" -p "$W/tw.pol" -S "$W/site.key" -Q xvids-site-pass "$W/twpol.txt" >/dev/null ||
    fail "$ARCH: twadmin --create-cfgfile/--create-polfile"
  if sh_run "$vm" --bind "$W:$W" tripwire --init -c "$W/tw.cfg" -P xvids-local-pass >"$W/tw-init" 2>&1 &&
     [ -s "$W/$gnode.twd" ]; then
    pass "$ARCH: tripwire --init over the guest's files (database named after the guest: $gnode.twd)"
  else
    fail "$ARCH: tripwire --init"; tail -5 "$W/tw-init"; ls "$W"
  fi
  sh_run "$vm" --bind "$W:$W" tripwire --check -c "$W/tw.cfg" >"$W/tw-c0" 2>&1
  rc=$?
  [ $rc = 0 ] && grep -q 'Total violations found: *0' "$W/tw-c0" && pass "$ARCH: tripwire --check right after --init: no violations" ||
    { fail "$ARCH: tripwire --check clean (exit $rc)"; grep -A3 -E 'Added:|Removed:|Modified:|rror' "$W/tw-c0" | head -30; }
fi

# --------------------------------------------------- the intrusion, then the checks
# one file changed, one added, one removed
gcmd "$run" 'echo defaced >> /www/index.html; echo evil > /etc/cron.evil; rm /home/user/notes.txt; echo done' >/dev/null
if [ -s "$W/aide.db" ]; then
  sh_run "$vm" --bind "$W:/w" aide --check -c /w/aide.conf >"$W/aide-c1" 2>&1
  python3 - "$W/aide-c1" "$ARCH" <<'EOF'
import re, sys
t, arch = open(sys.argv[1]).read(), sys.argv[2]
def section(name):
    m = re.search(name + r" entries:\n-+\n\n(.*?)\n\n", t, re.S)
    return {l.split(": ", 1)[1].strip() for l in m.group(1).splitlines() if ": " in l} if m else set()
added, removed, changed = section("Added"), section("Removed"), section("Changed")
ok = added == {"/etc/cron.evil"} and removed == {"/home/user/notes.txt"} and \
     "/www/index.html" in changed and changed <= {"/www/index.html", "/etc", "/home/user"}
print(("PASS" if ok else "FAIL") + f": {arch}: aide --check after the intrusion: added {sorted(added)}, removed {sorted(removed)}, changed {sorted(changed)}")
EOF
fi
if [ "$HAVE_TW" = 1 ] && [ -s "$W/$gnode.twd" ]; then
  sh_run "$vm" --bind "$W:$W" tripwire --check -c "$W/tw.cfg" >"$W/tw-c1" 2>&1
  rc=$?
  # exit status: 1 added, 2 removed, 4 modified
  python3 - "$W/tw-c1" "$ARCH" "$rc" <<'EOF'
import re, sys
t, arch, rc = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3])
def section(name):
    out = set()
    for m in re.finditer(r"^" + name + r":\n((?:\".*\"\n)+)", t, re.M):
        out |= {l.strip().strip('"') for l in m.group(1).splitlines()}
    return out
added, removed, modified = section("Added"), section("Removed"), section("Modified")
ok = rc == 7 and added == {"/etc/cron.evil"} and removed == {"/home/user/notes.txt"} and \
     "/www/index.html" in modified and modified <= {"/www/index.html", "/etc", "/home/user", "/www"}
print(("PASS" if ok else "FAIL") + f": {arch}: tripwire --check after the intrusion (exit {rc}): added {sorted(added)}, removed {sorted(removed)}, modified {sorted(modified)}")
EOF
fi

# --------------------------------------------- infected guest (rootkit scenario)
if [ -n "$rkrun" ] && [ -n "$hidden" ]; then
    grep -q 'Possible t0rn rootkit installed' "$W/chk-rk" && grep -q '/etc/ttyhash' "$W/chk-rk" &&
      pass "$ARCH: chkrootkit finds the planted t0rn files" || fail "$ARCH: t0rn files not reported"
    grep -Eq 'lo: PROMISC' "$W/chk-rk" && pass "$ARCH: chkrootkit's ifpromisc sees the guest's promiscuous lo" ||
      { fail "$ARCH: promiscuous interface not reported"; grep -A3 ifpromisc "$W/chk-rk"; }
    grep -q 'Possible LKM Trojan installed' "$W/chk-rk" && grep -Eq 'You have +1 process hidden for readdir' "$W/chk-rk" &&
      pass "$ARCH: chkproc reports the task hidden from the task list" ||
      { fail "$ARCH: hidden task $hidden not reported"; grep -A5 chkproc "$W/chk-rk"; }
    sh_run "$rvm" sh -c "ls /proc | grep -qx $hidden" && fail "$ARCH: hidden pid $hidden listed in /proc" ||
      pass "$ARCH: /proc lists the task list (hidden pid $hidden absent), lookups reach it: $(sh_run "$rvm" cat /proc/$hidden/comm 2>&1)"
fi
