#!/usr/bin/env python3
"""daemon_client.py — drives xvidsd for the e2e tests: real telnet clients (netkit telnet, BusyBox
telnet) under a pty, plain sockets (nc-style scripts), garbage sessions, concurrent clients."""
import os
import pty
import random
import select
import signal
import socket
import sys
import time

PROMPT = b"xvids> "


class Timeout(Exception):
    pass


class PtyClient:
    """A real telnet client program on a pseudo-terminal, typed at like a person would."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        self.buf = b""

    def _fill(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            raise EOFError("client closed")
        self.buf += data
        return True

    def expect(self, pat, timeout=30):
        """Read until pat appears; return everything before it (and consume it)."""
        end = time.time() + timeout
        while pat not in self.buf:
            left = end - time.time()
            if left <= 0:
                raise Timeout("waiting for %r, got %r" % (pat, self.buf[-300:]))
            self._fill(left)
        i = self.buf.index(pat)
        out, self.buf = self.buf[:i], self.buf[i + len(pat):]
        return out

    def drain(self, timeout=1.0):
        end = time.time() + timeout
        try:
            while time.time() < end:
                self._fill(end - time.time())
        except EOFError:
            pass
        out, self.buf = self.buf, b""
        return out

    def type(self, s):
        os.write(self.fd, s.encode() if isinstance(s, str) else s)

    def cmd(self, line, timeout=60):
        """Type a command and Enter; return its output (the echoed line removed)."""
        self.type(line + "\r")
        out = self.expect(PROMPT, timeout).replace(b"\r\n", b"\n").replace(b"\r\0", b"\r")
        text = out.decode("utf-8", "replace")
        if text.startswith(line):
            text = text[len(line):]
        return text.lstrip("\r\n")

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


def strip_telnet(data):
    """Remove telnet commands (IAC ...) from raw bytes, as a dumb client would show them."""
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b == 255 and i + 1 < len(data):
            c = data[i + 1]
            if c == 255:
                out.append(255)
                i += 2
            elif 251 <= c <= 254:
                i += 3
            else:
                i += 2
            continue
        out.append(b)
        i += 1
    return bytes(out)


class SockClient:
    """A plain socket client, like nc in a script (no telnet negotiation answered)."""

    def __init__(self, host, port, src=None, timeout=30):
        self.s = socket.create_connection((host, port), timeout=timeout,
                                          source_address=(src, 0) if src else None)
        self.buf = b""

    def recv_until(self, pat, timeout=30):
        end = time.time() + timeout
        while pat not in strip_telnet(self.buf):
            left = end - time.time()
            if left <= 0:
                raise Timeout("waiting for %r, got %r" % (pat, self.buf[-300:]))
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                continue
            if not d:
                raise EOFError("server closed: %r" % strip_telnet(self.buf)[-300:])
            self.buf += d
        text = strip_telnet(self.buf)
        i = text.index(pat)
        out = text[:i]
        self.buf = text[i + len(pat):]
        return out.replace(b"\r\n", b"\n").decode("utf-8", "replace")

    def recv_all(self, timeout=10):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                break
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not d:
                break
            self.buf += d
        out, self.buf = strip_telnet(self.buf), b""
        return out.replace(b"\r\n", b"\n").decode("utf-8", "replace")

    def send(self, data):
        self.s.sendall(data.encode() if isinstance(data, str) else data)

    def login(self, password):
        self.recv_until(b"Password: ")
        self.send(password + "\n")
        self.recv_until(PROMPT)

    def cmd(self, line, timeout=60):
        self.send(line + "\n")
        return self.recv_until(PROMPT, timeout)

    def close(self):
        self.s.close()

    def reset(self):
        """Abrupt disconnect: RST instead of FIN."""
        import struct
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()


# ---- robustness: sessions of garbage ----

IAC, SB, SE, WILL, WONT, DO, DONT = 255, 250, 240, 251, 252, 253, 254


def _garbage(rng, kind):
    if kind == "random":
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
    if kind == "iac":
        parts = []
        for _ in range(rng.randint(1, 40)):
            parts.append(rng.choice([
                bytes([IAC]),                                   # lone IAC
                bytes([IAC, SB, rng.randint(0, 255)]) + bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 9000))),
                bytes([IAC, SB, 31, 0, 80, 0, 24, IAC, SE]),    # NAWS subnegotiation
                bytes([IAC, rng.choice([WILL, WONT, DO, DONT])]),  # missing option byte
                bytes([IAC, rng.choice([WILL, WONT, DO, DONT]), rng.randint(0, 255)]),
                bytes([IAC, SE]), bytes([IAC, rng.randint(236, 249)]),
                bytes([IAC, SB, 24, 1, IAC, IAC, IAC, SE]),
                b"\r\0\r\n\n\r", b"\x03\x04\x7f\x08\x15",
            ]))
        return b"".join(parts)
    if kind == "longline":
        return b"A" * (1 << 20) + b"\n"
    if kind == "longline-noeol":
        return b"B" * (1 << 20)
    return b""


def garbage_session(host, port, password, rng, kind, login_first):
    """One session: maybe log in, send garbage, then disconnect abruptly or politely.
    Errors on our side (the server closing on us) are expected and ignored."""
    try:
        s = socket.create_connection((host, port), timeout=10)
    except OSError:
        return "connect-failed"
    try:
        s.settimeout(10)
        if login_first:
            buf = b""
            while b"Password: " not in buf:
                d = s.recv(4096)
                if not d:
                    return "closed"
                buf += d
            s.sendall(password.encode() + b"\r\n")
        data = _garbage(rng, kind)
        s.sendall(data)
        if rng.random() < 0.5:
            # read a little, maybe
            s.settimeout(0.05)
            try:
                s.recv(65536)
            except OSError:
                pass
        if rng.random() < 0.5:
            import struct
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    finally:
        s.close()
    return "ok"


def garbage_run(host, port, password, n, seed=1, parallel=20):
    import concurrent.futures
    kinds = ["random", "iac", "longline", "longline-noeol", "none"]
    jobs = []
    rng0 = random.Random(seed)
    for i in range(n):
        jobs.append((random.Random(rng0.getrandbits(64)), kinds[i % len(kinds)], (i // len(kinds)) % 2 == 1))
    results = {}
    with concurrent.futures.ThreadPoolExecutor(parallel) as ex:
        for r in ex.map(lambda j: garbage_session(host, port, password, *j), jobs):
            results[r] = results.get(r, 0) + 1
    return results


if __name__ == "__main__":
    # daemon_client.py garbage HOST PORT PASSWORD N  → prints result counts
    if sys.argv[1] == "garbage":
        print(garbage_run(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])))
    elif sys.argv[1] == "syslog":
        # daemon_client.py syslog udp:HOST|unix:PATH OUTFILE PORTFILE — a minimal syslog receiver:
        # one datagram per line in OUTFILE.
        kind, where = sys.argv[2].split(":", 1)
        if kind == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((where, 0))
            open(sys.argv[4], "w").write(str(s.getsockname()[1]))
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(where)
            open(sys.argv[4], "w").write("0")
        with open(sys.argv[3], "ab", buffering=0) as f:
            while True:
                d = s.recv(65536)
                f.write(d.replace(b"\n", b" ") + b"\n")
