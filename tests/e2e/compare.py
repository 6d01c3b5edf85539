#!/usr/bin/env python3
"""compare.py — compare xvids's view of a guest with the guest's own view (from its console).

  compare.py ps GUEST_BEFORE GUEST_AFTER XVIDS_JSON
      GUEST_*: lines "PID PPID UID COMM" printed by the guest (xvids-views) just before and just
      after xvids ran. A process that the guest showed both times must be in xvids's list with the
      same ppid, uid and comm; every process xvids lists must have been shown by the guest at least
      once. Kernel threads: the guest prints the full kthread name ("rcu_tasks_rude_kthread",
      "kworker/0:0-events"), the kernel's comm holds its first 15 bytes.
  compare.py modules GUEST_PROC_MODULES XVIDS_JSON
      Every line of the guest's /proc/modules: same name, size, refcount, state and address.
Exit 0 when equal, 1 with one line per difference.
"""
import json
import sys


def load_guest_ps(path):
    procs = {}
    for line in open(path):
        parts = line.split(None, 3)
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        procs[int(parts[0])] = (int(parts[1]), int(parts[2]), parts[3].strip())
    return procs


def transient(procs, pid):
    """The view's own helpers (xvids-views and what it runs) and the console command's shell."""
    seen = 0
    while pid in procs and seen < 64:
        if procs[pid][2] == "xvids-views":
            return True
        pid = procs[pid][0]
        seen += 1
    return False


def comm_ok(guest, xv):
    return guest == xv or (len(xv) == 15 and guest.startswith(xv)) or guest.startswith(xv + "-")


def cmp_ps(before_p, after_p, xv_p):
    before, after = load_guest_ps(before_p), load_guest_ps(after_p)
    xv = {t["pid"]: t for t in json.load(open(xv_p))}
    errs = []
    stable = [p for p in before if p in after and before[p] == after[p] and not transient(before, p)]
    if len(stable) < 10:
        errs.append("guest view has only %d stable processes: view broken?" % len(stable))
    for p in stable:
        ppid, uid, comm = before[p]
        t = xv.get(p)
        if t is None:
            errs.append("pid %d (%s) shown by the guest, missing in xvids ps" % (p, comm))
            continue
        if t["ppid"] != ppid or t["uid"] != uid or not comm_ok(comm, t["comm"]):
            errs.append("pid %d: guest ppid=%d uid=%d comm=%s, xvids ppid=%d uid=%d comm=%s"
                        % (p, ppid, uid, comm, t["ppid"], t["uid"], t["comm"]))
    for p, t in xv.items():
        if p not in before and p not in after:
            errs.append("pid %d (%s) in xvids ps but never shown by the guest" % (p, t["comm"]))
    return errs, "%d guest processes compared, %d listed by xvids" % (len(stable), len(xv))


def cmp_modules(guest_p, xv_p):
    xv = {m["name"]: m for m in json.load(open(xv_p))}
    errs, n = [], 0
    for line in open(guest_p):
        f = line.split()
        if len(f) < 6:
            continue
        n += 1
        name, size, ref, state, addr = f[0], int(f[1]), int(f[2]), f[4], int(f[5], 16)
        m = xv.pop(name, None)
        if m is None:
            errs.append("module %s in the guest's /proc/modules, missing in xvids lsmod" % name)
            continue
        got = (m["size"], m["refcnt"], m["state"], int(m["address"], 16))
        if got != (size, ref, state, addr):
            errs.append("module %s: guest %s, xvids %s" % (name, (size, ref, state, hex(addr)),
                                                         (got[0], got[1], got[2], hex(got[3]))))
    for name in xv:
        errs.append("module %s in xvids lsmod but not in the guest's /proc/modules" % name)
    if n == 0:
        errs.append("guest /proc/modules view is empty: view broken?")
    return errs, "%d modules compared" % n


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "ps":
        errs, what = cmp_ps(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "modules":
        errs, what = cmp_modules(*sys.argv[2:])
    else:
        print(__doc__)
        return 2
    for e in errs:
        print("  " + e)
    print(("equal: " if not errs else "DIFFERENT: ") + what)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
