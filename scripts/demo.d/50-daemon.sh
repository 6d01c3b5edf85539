#!/usr/bin/env bash
# 50-daemon.sh — demo: xvidsd, the IDS daemon, run from examples/xvidsd.conf (a copy with this
# guest's paths and a free port), and an admin session over telnet (the seed's command manager).
set -euo pipefail
D=$ROOT/build/src/daemon/xvidsd
[ -x "$D" ] || { echo "(xvidsd not built: libtelnet missing)"; exit 0; }
printf '\n\033[1m== xvidsd: the IDS daemon, reached over telnet\033[0m\n'
tmp=$(mktemp -d /tmp/xvids-demo-daemon.XXXXXX)
port=$((24000 + RANDOM % 1000))
# The example names the aarch64 demo guest's directory; this guest's is $RUN.
sed -e "s#/tmp/xvids-demo-aarch64#$RUN#g" -e "s#^listen .*#listen 127.0.0.1:$port#" \
  "$ROOT/examples/xvidsd.conf" >"$tmp/xvidsd.conf"
echo demo-password | "$D" --hash-password >"$RUN/passwd"
chmod 600 "$RUN/passwd"
"$D" --config "$tmp/xvidsd.conf" 2>"$tmp/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp" "$RUN/passwd"' EXIT
for _ in $(seq 50); do grep -q ready "$tmp/log" && break; sleep 0.1; done
echo "xvidsd --config examples/xvidsd.conf (paths set to $RUN, port $port): one VM (demo = this"
echo "guest, kept warm), pchk every 10 s and mchk every 30 s, alerts to $RUN/eve.json. An admin"
echo "logs in (password first), runs IDS commands, and gets results; the same commands as the CLI:"
printf 'demo-password\r\nvm list\r\npchk demo\r\nmchk demo\r\nlsmod demo\r\nwatch list\r\nhelp\r\nquit\r\n' |
  timeout 20 nc -q 5 127.0.0.1 "$port" | LC_ALL=C tr -d '\000-\010\013-\037\177-\377' | sed 's/^/  | /'
echo "Schedules (watch), EVE JSON, syslog, hooks, the switch and its detectors: docs/daemon.md."
