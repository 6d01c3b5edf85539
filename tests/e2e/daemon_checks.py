#!/usr/bin/env python3
"""daemon_checks.py — the xvidsd e2e checks that talk to the daemon (prints PASS:/FAIL: lines).

  daemon_checks.py session ADDR PORT PASSWORD OUTDIR      real telnet clients, every command
  daemon_checks.py intrusion ADDR PORT PASSWORD RUNDIR EVE SYSLOG HOOK   scheduled pchk alerts
  daemon_checks.py robust ADDR PORT PASSWORD N            N garbage sessions, 50 concurrent
  daemon_checks.py lockout ADDR PORT PASSWORD             per-address failed-login limit
  daemon_checks.py cmd ADDR PORT PASSWORD LINE...         run commands, print their output
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_client as dc  # noqa: E402

ROOT = os.environ.get("XVIDS_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
failures = 0


def ok(cond, what, detail=""):
    global failures
    if cond:
        print("PASS: daemon: " + what)
    else:
        failures += 1
        print("FAIL: daemon: " + what + (": " + detail if detail else ""))
    sys.stdout.flush()
    return cond


def gcmd(rundir, cmd, timeout=60):
    return subprocess.run([os.path.join(ROOT, "guest", "cmd"), rundir, cmd, str(timeout)],
                          capture_output=True, text=True).stdout


def login(addr, port, pw):
    c = dc.SockClient(addr, port)
    if pw:
        c.login(pw)
    else:
        c.recv_until(dc.PROMPT)
    return c


def session(addr, port, pw, outdir):
    # 1. Wrong passwords with the real telnet client: refused, nothing revealed, cut off after 3.
    t = dc.PtyClient(["telnet", addr, str(port)])
    t.expect(b"Password: ")
    transcript = b""
    delays = []
    for guess in ["admin", pw + "x", "' OR 1=1 --"]:
        start = time.time()
        t.type(guess + "\r")
        try:
            transcript += t.expect(b"Password: " if guess != "' OR 1=1 --" else b"attempts.", 15)
        except (dc.Timeout, EOFError) as e:
            transcript += str(e).encode()
        delays.append(time.time() - start)
    rest = t.drain(2)
    t.close()
    shown = transcript.replace(b"\r", b"").replace(b"\0", b"").decode("utf-8", "replace")
    words = set(re.findall(r"[A-Za-z]+", shown)) - {"Login", "incorrect", "Too", "many", "attempts"}
    ok(shown.count("Login incorrect.") == 3 and not words and b"xvids>" not in transcript,
       "telnet: 3 wrong passwords refused, reply says only 'Login incorrect.'", repr(shown))
    ok(min(delays) >= 0.4, "telnet: each wrong password answered only after the delay (%.2f s min)" % min(delays))
    ok(b"Connection closed" in rest, "telnet: connection closed after the third wrong password", repr(rest))

    # 2. The right password, then every command, with the real telnet client.
    t = dc.PtyClient(["telnet", addr, str(port)])
    t.expect(b"Password: ")
    t.type(pw + "\r")
    banner = t.expect(dc.PROMPT, 15)
    ok(b"command manager" in banner and pw.encode() not in banner,
       "telnet: right password gives the prompt, the password is not echoed")
    out = t.cmd("help")
    need = ["vm list", "watch", "alerts", "net", "baseline", "quit", "pchk VM", "mchk VM", "ps VM", "lsmod VM"]
    ok(all(n in out for n in need), "help lists the daemon and guest commands", out)
    guest_cmds = re.findall(r"^  (\w+) VM ", out, re.M)
    ok("switch" not in guest_cmds, "CLI-only commands are not offered (switch)")
    help_cmds(t, out, guest_cmds)
    vml = t.cmd("vm list")
    ok(re.search(r"^a1\s+attached\s+\S+", vml, re.M) is not None, "vm list: a1 attached", vml)
    rel = re.search(r"^a1\s+attached\s+(\S+)", vml, re.M)
    open(os.path.join(outdir, "vm-release"), "w").write(rel.group(1) if rel else "")
    open(os.path.join(outdir, "vm-info"), "w").write(t.cmd("vm info a1"))
    open(os.path.join(outdir, "eval-release"), "w").write(t.cmd("eval a1 init_uts_ns.name.release"))
    # operands for the commands that need some; any other command is run bare
    operands = {"stat": " /etc/passwd", "ls": " -l /etc", "find": " /etc -name passwd", "eval": None}
    for name in guest_cmds:
        if name in operands and operands[name] is None:
            continue
        text = t.cmd(name + " a1" + operands.get(name, ""), 120)
        js = t.cmd(name + " a1" + operands.get(name, "") + " -j", 120)
        open(os.path.join(outdir, name + ".txt"), "w").write(text)
        open(os.path.join(outdir, name + ".json"), "w").write(js)
        try:
            json.loads(js)
            parsed = True
        except ValueError:
            parsed = False
        ok("error:" not in text and "xvids:" not in text and "usage:" not in text and text.strip() != "",
           "telnet: %s a1%s answers" % (name, operands.get(name, "")), text[:300])
        ok(parsed, "telnet: %s a1 -j is JSON" % name, js[:300])
    for c in ["vm list -j", "alerts -j", "watch list -j", "status -j", "help -j", "help pchk -j"]:
        js = t.cmd(c)
        try:
            json.loads(js) if not c.startswith("alerts") else [json.loads(l) for l in js.splitlines() if l]
            parsed = True
        except ValueError:
            parsed = False
        ok(parsed, "telnet: %s is JSON" % c, js[:200])
    out = t.cmd("net")
    ok("no switch configured" in out or "attack" in out, "telnet: net answers", out)
    js = t.cmd("net -j")
    try:
        err = json.loads(js).get("error", "")
    except (ValueError, AttributeError):
        err = ""
    ok("no switch configured" in err, "telnet: net -j without a switch is JSON too ({\"error\": ...})", js[:200])
    out = t.cmd("pchk a1 --policy /etc/shadow")
    ok("not available over telnet" in out, "options that read host files are refused", out)
    out = t.cmd("ps a1 --eve=/tmp/x")
    ok("not available over telnet" in out, "--eve= is refused", out)
    out = t.cmd("ps nosuchvm")
    ok("no VM named 'nosuchvm'" in out, "unknown VM: clear error", out)
    out = t.cmd("frobnicate")
    ok("unknown command" in out, "unknown command: clear error", out)
    # line editing: DEL and backspace, ^C drops a half-typed line, ^U kills a line
    t.type("vm lisX\x7f\x08st")
    out = t.cmd("")
    ok("attached" in out, "telnet: backspace/DEL edit the line", out)
    t.type("vm list\x03")
    out = t.expect(dc.PROMPT).decode("utf-8", "replace")
    ok("attached" not in out, "telnet: ^C drops the line", out)
    t.type("garbage\x15")
    out = t.cmd("vm list")
    ok("attached" in out and "unknown command" not in out, "telnet: ^U kills the line", out)
    t.type("quit\r")
    rest = t.drain(2)
    ok(b"bye" in rest and b"Connection closed" in rest, "telnet: quit ends the session", repr(rest))
    t.close()

    # 3. ^D on an empty line ends the session too.
    t = dc.PtyClient(["telnet", addr, str(port)])
    t.expect(b"Password: ")
    t.type(pw + "\r")
    t.expect(dc.PROMPT)
    t.type("\x04")
    ok(b"Connection closed" in t.drain(2), "telnet: ^D ends the session")
    t.close()

    # 4. BusyBox telnet.
    t = dc.PtyClient(["busybox", "telnet", addr, str(port)])
    t.expect(b"Password: ")
    t.type(pw + "\r")
    t.expect(dc.PROMPT)
    out = t.cmd("vm list")
    ok("attached" in out, "busybox telnet: login and vm list", out)
    t.close()

    # 5. nc in a script (no telnet negotiation at all), LF line ends.
    import shutil
    if not shutil.which("nc"):
        print("SKIP: daemon: nc script (no nc: apt-get install netcat-openbsd)")
        return
    p = subprocess.run(["nc", "-q", "5", addr, str(port)], input=(pw + "\nps a1\nquit\n").encode(),
                       capture_output=True, timeout=60)
    text = dc.strip_telnet(p.stdout).decode("utf-8", "replace")
    ok("PID" in text and "init" in text and "bye" in text, "nc script: login, ps, quit", text[-300:])


def cli_help(name):
    """The CLI's own `xvids NAME --help` text below its usage lines."""
    xv = os.environ.get("XVIDS") or os.path.join(ROOT, "build", "src", "cli", "xvids")
    p = subprocess.run([xv, name, "--help"], capture_output=True, text=True)
    body = p.stdout + p.stderr
    return body.split("\n\n", 1)[1] if "\n\n" in body else ""


def help_cmds(t, listing, guest_cmds):
    """help, help CMD and help -j: the daemon's commands, and the table's with the CLI's text."""
    plain = lambda s: s.replace("\r", "")
    for name in ["vm", "watch", "alerts", "status", "quit", "help"]:
        h = t.cmd("help " + name)
        ok(re.match(r"usage: %s\b.*\n  \S" % name, plain(h)) is not None,
           "help %s: its usage and what it does" % name, h[:200])
    same = []
    for name in guest_cmds + ["net"]:
        text = cli_help(name).strip()
        h = plain(t.cmd("help " + name))
        if text and h.startswith("usage: " + name) and text in h:
            same.append(name)
        else:
            print("  help %s differs from `xvids %s --help`: %r" % (name, name, h[:300]))
    ok(len(same) == len(guest_cmds) + 1,
       "help CMD: each guest command (and net) shows the CLI's own help text (%d of %d)" %
       (len(same), len(guest_cmds) + 1))
    ok(plain(t.cmd("pchk a1 --help")) == plain(t.cmd("help pchk")), "pchk a1 --help = help pchk")
    out = t.cmd("help frobnicate")
    ok("no command 'frobnicate'" in out, "help of an unknown command: clear error", out)
    try:
        js = json.loads(t.cmd("help -j"))
        names = {c["name"] for c in js}
    except (ValueError, KeyError, TypeError):
        names = set()
    listed = set(re.findall(r"^  (\w+)", listing, re.M))
    ok(names and names == listed, "help -j: JSON, the same commands as help (%d)" % len(names),
       "%s vs %s" % (sorted(names), sorted(listed)))
    try:
        hj = json.loads(t.cmd("help fichk -j"))
    except ValueError:
        hj = {}
    ok(hj.get("name") == "fichk" and hj.get("help", "").strip() == cli_help("fichk").strip() and
       hj.get("needs_vm") is True, "help fichk -j: JSON with the CLI's help text", str(hj)[:200])


def alerts_json(c):
    out = c.cmd("alerts -j 256")
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def pchk_alerts(recs):
    return [r for r in recs if r.get("xvids", {}).get("check") == "pchk"]


def guest_pid(c, exe, wait=20):
    """The pid of the task running exe, from the daemon's own ps (no helper process in the guest).
    The console's "started" comes from the shell that forked it: on a slow TCG guest the child may
    not have exec'd yet, so ask again until it shows (or the wait is over)."""
    deadline = time.time() + wait
    while True:
        for t in json.loads(c.cmd("ps a1 -j")):
            if t.get("exe") == exe:
                return str(t["pid"])
        if time.time() >= deadline:
            return ""
        time.sleep(0.5)


def per_key(recs):
    keys = [r["xvids"].get("key") for r in recs]
    return len(keys) == len(set(keys)), keys


def intrusion(addr, port, pw, rundir, eve, syslog, hook):
    # The intruder's programs are copied before the baseline: the guest's own helpers (cp, the
    # console's base64) must not be what the watch finds. Helpers that run later are genuinely
    # unauthorized too; the checks below are about the intrusion's processes and about every
    # finding being alerted once.
    gcmd(rundir, "mkdir -p /tmp/xv1 /tmp/xv2; cp /bin/busybox /tmp/xv1/sleep; cp /bin/busybox /tmp/xv2/sleep; echo ok")
    time.sleep(1)
    c = login(addr, port, pw)
    out = c.cmd("baseline a1")
    ok("baseline of a1:" in out, "baseline a1 makes the VM's policy", out)
    out = c.cmd("watch ps a1 every 2s")
    ok("no check named 'ps'" in out, "watch refuses a command that is not a check", out)
    out = c.cmd("watch pchk a1 every 2s")
    m = re.search(r"watch (\d+):", out)
    ok(m is not None, "watch pchk a1 every 2s", out)
    wid = m.group(1) if m else "1"
    time.sleep(5)
    ok(len(pchk_alerts(alerts_json(c))) == 0, "no pchk alert before the intrusion")

    mine = lambda recs, pid: [r for r in recs if str(r["xvids"].get("pid")) == pid and
                              r["xvids"].get("exe", "").startswith("/tmp/xv")]
    gcmd(rundir, "(/tmp/xv1/sleep 900 >/dev/null 2>&1 &); echo started")
    pid1 = guest_pid(c, "/tmp/xv1/sleep")
    deadline = time.time() + 30
    while time.time() < deadline and not mine(pchk_alerts(alerts_json(c)), pid1):
        time.sleep(1)
    time.sleep(7)  # three more runs of the watch
    recs = pchk_alerts(alerts_json(c))
    m1 = mine(recs, pid1)
    ok(pid1 != "" and len(m1) == 1 and m1[0]["xvids"].get("kind") == "unauthorized",
       "intrusion 1 (pid %s, /tmp/xv1/sleep): exactly one alert after 3+ more runs" % pid1, json.dumps(recs)[:500])

    gcmd(rundir, "(/tmp/xv2/sleep 901 >/dev/null 2>&1 &); echo started")
    pid2 = guest_pid(c, "/tmp/xv2/sleep")
    deadline = time.time() + 30
    while time.time() < deadline and not mine(pchk_alerts(alerts_json(c)), pid2):
        time.sleep(1)
    time.sleep(7)
    recs = pchk_alerts(alerts_json(c))
    uniq, keys = per_key(recs)
    ok(len(mine(recs, pid1)) == 1 and len(mine(recs, pid2)) == 1 and uniq,
       "intrusion 2 (pid %s): one more alert; every pchk finding alerted once (%d alerts)" % (pid2, len(recs)),
       str(keys))
    wl = c.cmd("watch list")
    ok(re.search(r"^%s\s+pchk\s+a1\s+2s\s+\d+\s+\d+ findings?, 0 new" % wid, wl, re.M) is not None,
       "watch list: runs continue, nothing new on later runs", wl)
    time.sleep(1)
    eve_p = pchk_alerts([json.loads(l) for l in open(eve) if l.strip()])
    uniq, keys = per_key(eve_p)
    ok(len(mine(eve_p, pid1)) == 1 and len(mine(eve_p, pid2)) == 1 and uniq and len(eve_p) == len(recs) and
       all(r.get("event_type") == "xvids" and r.get("timestamp") and r["xvids"].get("key") for r in eve_p),
       "EVE JSON file: one record per new finding (the same %d), with timestamp, event_type, key" % len(recs),
       str(keys)[:400])
    sl = [l for l in open(syslog).read().splitlines() if " pchk " in l]
    rx = re.compile(r'^<\d+>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ xvidsd \d+ pchk '
                    r'\[xvids@32473 vm="a1" check="pchk" kind="unauthorized" severity="\w+" key="[^"]+"\] (\{.*\})$')
    good = [rx.match(l) for l in sl]
    srecs = [json.loads(g.group(1)) for g in good if g]
    ok(len(sl) == len(recs) and all(good) and len(mine(srecs, pid1)) == 1 and len(mine(srecs, pid2)) == 1
       and per_key(srecs)[0],
       "syslog (RFC 5424 over UDP): one message per new finding (the same %d)" % len(recs), "\n".join(sl)[:600])
    hk = [json.loads(l) for l in open(hook).read().splitlines() if l.strip()] if os.path.exists(hook) else []
    hp = pchk_alerts(hk)
    ok(len(hp) == len(recs) and len(mine(hp, pid1)) == 1 and len(mine(hp, pid2)) == 1,
       "alert hook got each new finding's JSON on stdin once", str(hk)[:300])
    out = c.cmd("watch del " + wid)
    ok("deleted" in out and "no watches" in c.cmd("watch list"), "watch del removes the schedule", out)

    # fchk on a schedule: a file dropped in /etc after the baseline alerts once
    drop = lambda: [r for r in alerts_json(c) if r.get("xvids", {}).get("check") == "fchk" and
                    "/etc/xvids-dropper" in json.dumps(r)]
    out = c.cmd("watch fchk a1 every 2s")
    ok(re.search(r"watch \d+:", out) is not None, "watch fchk a1 every 2s", out)
    time.sleep(5)
    gcmd(rundir, "echo 'XVIDS-FORBIDDEN-MARKER-42' > /etc/xvids-dropper; echo ok")
    deadline = time.time() + 30
    while time.time() < deadline and not drop():
        time.sleep(1)
    time.sleep(5)
    new = drop()
    ok(len(new) == 1 and new[0]["xvids"].get("kind") == "added",
       "scheduled fchk: the dropped file raises exactly one 'added' alert", json.dumps(new)[:400])
    js = c.cmd("fichk a1 -j", 300)
    try:
        hits = [f for f in json.loads(js).get("findings", []) if "/etc/xvids-dropper" in json.dumps(f)]
    except ValueError:
        hits = []
    ok(len(hits) == 1 and hits[0].get("kind") == "forbidden-string",
       "fichk a1 (strings file from the config's check-args) finds the dropped file's marker", js[:400])
    gcmd(rundir, "kill %s %s; echo" % (pid1, pid2))
    c.send("quit\n")
    ok("bye" in c.recv_all(5), "quit says bye")


def cmd(addr, port, pw, lines):
    c = login(addr, port, pw)
    for l in lines:
        sys.stdout.write(c.cmd(l, 120))
    c.close()


def robust(addr, port, pw, n):
    # warm-up: the daemon answers
    c = login(addr, port, pw)
    before = c.cmd("ps a1 -j")
    c.close()
    t0 = time.time()
    res = dc.garbage_run(addr, port, pw, n, seed=int(time.time()))
    ok(res.get("connect-failed", 0) == 0 and sum(res.values()) == n,
       "%d garbage sessions, every one accepted (%.1f s, %s)" % (n, time.time() - t0, res))
    # still answering, correctly
    c = login(addr, port, pw)
    after = c.cmd("ps a1 -j")
    c.close()
    try:
        pa = {p["pid"] for p in json.loads(before) if p["kthread"]}
        pb = {p["pid"] for p in json.loads(after) if p["kthread"]}
        same = pa == pb and len(pa) > 10
    except (ValueError, KeyError, TypeError):
        same = False
    ok(same, "after %d garbage sessions the daemon answers ps a1 (same kernel threads as before)" % n)

    # 50 concurrent clients, all logged in at once, each runs commands
    import concurrent.futures
    clients = []
    for i in range(50):
        clients.append(login(addr, port, pw))
    for cl in clients:
        cl.send("vm list\nps a1 -j\n")
    good = 0
    for cl in clients:
        try:
            a = cl.recv_until(dc.PROMPT, 60)
            b = cl.recv_until(dc.PROMPT, 120)
            if "attached" in a and len(json.loads(b)) > 10:
                good += 1
        except Exception as e:  # noqa: BLE001
            print("client error:", e)
    ok(good == 50, "50 concurrent logged-in clients each got vm list and ps a1 (%d/50)" % good)
    for cl in clients:
        cl.close()
    # the same 50 in parallel threads, connect-login-command-quit
    def one(_):
        try:
            cl = login(addr, port, pw)
            o = cl.cmd("lsmod a1 -j")
            cl.close()
            return len(json.loads(o)) > 0
        except Exception:  # noqa: BLE001
            return False
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        r = list(ex.map(one, range(50)))
    ok(all(r), "50 parallel sessions (connect, login, lsmod, close): %d/50 answered" % sum(r))


def lockout(addr, port, pw):
    # addr-prelogin (default 8): a ninth connection from one address that has not logged in is refused
    held = [dc.SockClient(addr, port, src="127.0.0.78") for _ in range(8)]
    for h in held:
        h.recv_until(b"Password: ")
    extra = dc.SockClient(addr, port, src="127.0.0.78")
    out = extra.recv_all(5)
    ok("Too many connections from your address" in out, "9th not-logged-in connection from one address refused", out)
    c = dc.SockClient(addr, port, src="127.0.0.79")
    c.login(pw)
    ok("attached" in c.cmd("vm list"), "meanwhile another address logs in")
    c.close()
    for h in held:
        h.close()
    src = "127.0.0.77"
    for _ in range(2):
        c = dc.SockClient(addr, port, src=src)
        for g in ("bad1", "bad2"):
            c.recv_until(b"Password: ")
            c.send(g + "\r\n")
        c.recv_until(b"Login incorrect.")
        c.close()
    c = dc.SockClient(addr, port, src=src)
    out = c.recv_all(5)
    ok("Too many failed logins" in out and "Password" not in out,
       "4 failures from 127.0.0.77: its next connection is refused before the password", out)
    c = dc.SockClient(addr, port, src="127.0.0.1")
    c.login(pw)
    ok("attached" in c.cmd("vm list"), "other source addresses still log in")
    c.close()


def main():
    what = sys.argv[1]
    a = sys.argv[2:]
    if what == "session":
        session(a[0], int(a[1]), a[2], a[3])
    elif what == "intrusion":
        intrusion(a[0], int(a[1]), a[2], a[3], a[4], a[5], a[6])
    elif what == "robust":
        robust(a[0], int(a[1]), a[2], int(a[3]))
    elif what == "lockout":
        lockout(a[0], int(a[1]), a[2])
    elif what == "cmd":
        cmd(a[0], int(a[1]), a[2], a[3:])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
