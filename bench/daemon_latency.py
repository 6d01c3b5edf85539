#!/usr/bin/env python3
"""daemon_latency.py ADDR PORT VM N CMD... — round-trip time of commands over a telnet session
(send the line, wait for the next prompt), N runs each after 5 warm-up runs; prints one line per
command: median, p95, min, max in milliseconds."""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import daemon_client as dc  # noqa: E402

addr, port, vm, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
c = dc.SockClient(addr, port)
c.recv_until(dc.PROMPT)
for cmd in sys.argv[5:]:
    line = cmd.replace("VM", vm)
    for _ in range(5):
        c.cmd(line)
    t = []
    for _ in range(n):
        s = time.perf_counter()
        c.cmd(line)
        t.append((time.perf_counter() - s) * 1000)
    t.sort()
    print("%-22s median %7.2f ms  p95 %7.2f ms  min %7.2f  max %7.2f  (n=%d)" %
          (line, statistics.median(t), t[int(len(t) * 0.95) - 1], t[0], t[-1], n))
c.close()
