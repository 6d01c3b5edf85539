#!/usr/bin/env bash
# 50-daemon.sh — demo: xvidsd, the IDS daemon, and an admin session over telnet (the seed's command manager).
set -euo pipefail
D=$ROOT/build/src/daemon/xvidsd
[ -x "$D" ] || { echo "(xvidsd not built: libtelnet missing)"; exit 0; }
printf '\n\033[1m== xvidsd: the IDS daemon, reached over telnet\033[0m\n'
tmp=$(mktemp -d /tmp/xvids-demo-daemon.XXXXXX)
echo demo-password | "$D" --hash-password >"$tmp/passwd"
port=$((24000 + RANDOM % 1000))
"$D" --listen "127.0.0.1:$port" --vm "demo=$QMP" --password-file "$tmp/passwd" \
  --eve "$tmp/eve.json" 2>"$tmp/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q ready "$tmp/log" && break; sleep 0.1; done
echo "xvidsd listens on 127.0.0.1:$port with one VM (demo = this guest, kept warm). An admin logs in"
echo "(password first), runs IDS commands, and gets results; the same commands as the CLI:"
printf 'demo-password\r\nvm list\r\npchk demo\r\nmchk demo\r\nlsmod demo\r\nhelp\r\nquit\r\n' |
  timeout 20 nc -q 5 127.0.0.1 "$port" | LC_ALL=C tr -d '\000-\010\013-\037\177-\377' | sed 's/^/  | /'
echo "Scheduled checks (watch pchk demo every 10s), EVE JSON, syslog and hooks: docs/daemon.md."
