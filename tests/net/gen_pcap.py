#!/usr/bin/env python3
"""gen_pcap.py — writes the captures the net tests and bench use (nothing binary is committed).

usage: gen_pcap.py SCENARIO OUT.pcap [--packets N]
scenarios: benign, backdoor, backdoor6 (IPv6 + extension header + VLAN), payload, scan, arpspoof,
arpslow (the gateway speaks at 0 s, the attacker claims its IP at 30, 40 and 100 s: for the ARP
TTL and re-alert options), synflood, all (every one, interleaved in time), bench (N packets over
many flows for throughput runs), malformed (truncated/lying frames).
Addresses: HOME_NET 10.0.0.0/24; server 10.0.0.2 (52:54:00:00:00:02), client 10.0.0.5
(52:54:00:00:00:05), gateway 10.0.0.1 (52:54:00:00:00:01), attacker 10.0.0.66 (52:54:00:ee:ee:ee).
"""
import random
import struct
import sys

MAC = {
    'gw': bytes.fromhex('525400000001'), 'srv': bytes.fromhex('525400000002'),
    'cli': bytes.fromhex('525400000005'), 'evil': bytes.fromhex('525400eeeeee'),
    'bcast': b'\xff' * 6,
}
IP = {'gw': '10.0.0.1', 'srv': '10.0.0.2', 'cli': '10.0.0.5', 'evil': '10.0.0.66'}
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(src, dst, etype, payload):
    return MAC[dst] + MAC[src] + struct.pack('!H', etype) + payload


def ipv4(src, dst, proto, l4, ident=1):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ident, 0, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + l4


def tcp_seg(src, dst, sp, dp, flags, seq=1, ack=0, data=b''):
    h = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 64240, 0, 0)
    pseudo = ip4(src) + ip4(dst) + struct.pack('!BBH', 0, 6, len(h) + len(data))
    c = csum(pseudo + h + data)
    return h[:16] + struct.pack('!H', c) + h[18:] + data


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def tcp6(s, d, sp, dp, flags, seq=1, ack=0, data=b'', vlan=None):
    """TCP over IPv6 with a hop-by-hop options header (PadN) in front, optionally 802.1Q-tagged."""
    src, dst = IP6[s], IP6[d]
    seg = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 64240, 0, 0) + data
    pseudo = ip6(src) + ip6(dst) + struct.pack('!IxxxB', len(seg), 6)
    seg = seg[:16] + struct.pack('!H', csum(pseudo + seg)) + seg[18:]
    hbh = bytes([6, 0, 1, 4, 0, 0, 0, 0])
    hdr = struct.pack('!IHBB16s16s', 6 << 28, len(hbh) + len(seg), 0, 64, ip6(src), ip6(dst))
    payload = hdr + hbh + seg
    if vlan is not None:
        return MAC[d] + MAC[s] + struct.pack('!HHH', 0x8100, vlan, 0x86dd) + payload
    return eth(s, d, 0x86dd, payload)


IP6 = {'srv': 'fd00::2', 'evil': 'fd00::66', 'cli': 'fd00::5'}


def backdoor6():
    """The backdoor over IPv6 (with an extension header), inside VLAN 42."""
    f = [tcp6('evil', 'srv', 51600, 2001, SYN, 100, vlan=42),
         tcp6('srv', 'evil', 2001, 51600, SYN | ACK, 500, 101, vlan=42),
         tcp6('evil', 'srv', 51600, 2001, ACK, 101, 501, vlan=42),
         tcp6('evil', 'srv', 51600, 2001, PSH | ACK, 101, 501, b'id\n', vlan=42)]
    # benign IPv6 web traffic
    f += [tcp6('cli', 'srv', 40600, 80, SYN, 1), tcp6('srv', 'cli', 80, 40600, SYN | ACK, 9, 2),
          tcp6('cli', 'srv', 40600, 80, ACK, 2, 10)]
    return f


def tcp(s, d, sp, dp, flags, seq=1, ack=0, data=b''):
    return eth(s, d, 0x0800, ipv4(IP[s], IP[d], 6, tcp_seg(IP[s], IP[d], sp, dp, flags, seq, ack, data)))


def udp(s, d, sp, dp, data):
    u = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    return eth(s, d, 0x0800, ipv4(IP[s], IP[d], 17, u))


def icmp_echo(s, d, typ, ident, seq):
    body = struct.pack('!BBHHH', typ, 0, 0, ident, seq) + b'xvids-ping-payload'
    body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
    return eth(s, d, 0x0800, ipv4(IP[s], IP[d], 1, body))


def arp(s_mac, op, spa, tpa, dst_mac='bcast'):
    a = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, op, MAC[s_mac], ip4(spa),
                    b'\0' * 6 if op == 1 else MAC.get(dst_mac, b'\0' * 6), ip4(tpa))
    return eth(s_mac, dst_mac, 0x0806, a)


def session(c, s, cport, sport, req, resp):
    """A complete TCP connection: handshake, one request, one response, FIN close."""
    f = [tcp(c, s, cport, sport, SYN, 100),
         tcp(s, c, sport, cport, SYN | ACK, 500, 101),
         tcp(c, s, cport, sport, ACK, 101, 501)]
    if req:
        f.append(tcp(c, s, cport, sport, PSH | ACK, 101, 501, req))
        f.append(tcp(s, c, sport, cport, ACK, 501, 101 + len(req)))
    if resp:
        f.append(tcp(s, c, sport, cport, PSH | ACK, 501, 101 + len(req), resp))
        f.append(tcp(c, s, cport, sport, ACK, 101 + len(req), 501 + len(resp)))
    f.append(tcp(c, s, cport, sport, FIN | ACK, 101 + len(req), 501 + len(resp)))
    f.append(tcp(s, c, sport, cport, FIN | ACK, 501 + len(resp), 102 + len(req)))
    f.append(tcp(c, s, cport, sport, ACK, 102 + len(req), 502 + len(resp)))
    return f


def benign():
    f = [arp('cli', 1, IP['cli'], IP['gw']), arp('gw', 2, IP['gw'], IP['cli'], 'cli'),
         arp('cli', 1, IP['cli'], IP['srv']), arp('srv', 2, IP['srv'], IP['cli'], 'cli')]
    for i in range(3):
        f += session('cli', 'srv', 40000 + i, 80, b'GET /index.html HTTP/1.1\r\nHost: srv\r\n\r\n',
                     b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')
    f += session('cli', 'srv', 40100, 22, b'SSH-2.0-OpenSSH_9.2\r\n', b'SSH-2.0-OpenSSH_9.2\r\n')
    for i in range(4):
        f.append(udp('cli', 'gw', 53000 + i, 53, b'\x12\x34\x01\x00\x00\x01' + b'\0' * 6 + b'\x07example\x03org\0\0\x01\0\x01'))
        f.append(udp('gw', 'cli', 53, 53000 + i, b'\x12\x34\x81\x80' + b'\0' * 8))
    for i in range(5):
        f.append(icmp_echo('cli', 'srv', 8, 7, i))
        f.append(icmp_echo('srv', 'cli', 0, 7, i))
    # the gateway re-announces itself with the same MAC: not a spoof
    f.append(arp('gw', 2, IP['gw'], IP['cli'], 'cli'))
    return f


def backdoor():
    return session('evil', 'srv', 51515, 2001, b'id\n', b'uid=0(root) gid=0(root)\n')


def payload():
    return session('evil', 'srv', 52000, 80, b'GET /../../ETC/PASSWD HTTP/1.1\r\nHost: srv\r\n\r\n',
                   b'HTTP/1.1 404 Not Found\r\n\r\n')


def scan():
    f = []
    for p in range(1, 201):
        f.append(tcp('evil', 'srv', 61000, p, SYN, 1))
        f.append(tcp('srv', 'evil', p, 61000, RST | ACK, 0, 2))
    return f


def arpspoof():
    return [arp('gw', 2, IP['gw'], IP['cli'], 'cli'),
            arp('evil', 2, IP['gw'], IP['cli'], 'cli')]


def arpslow():
    """(seconds, frame): the owner once, then three claims by the attacker."""
    owner = arp('gw', 2, IP['gw'], IP['cli'], 'cli')
    claim = arp('evil', 2, IP['gw'], IP['cli'], 'cli')
    return [(0, owner), (30, claim), (40, claim), (100, claim)]


def synflood():
    f = []
    for i in range(2000):
        IP['spoofed'] = '172.16.%d.%d' % (i // 250, i % 250 + 1)
        MAC['spoofed'] = MAC['evil']
        f.append(tcp('spoofed', 'srv', 1024 + i, 80, SYN, i))
    return f


def malformed():
    good = tcp('cli', 'srv', 40000, 80, PSH | ACK, 1, 1, b'GET / HTTP/1.0\r\n\r\n')
    f = [good[:10], good[:20], good[:40], good[:14 + 20 + 10]]
    bad = bytearray(good)
    bad[16:18] = struct.pack('!H', 4000)  # IP total length lies
    f.append(bytes(bad))
    bad = bytearray(good)
    bad[14 + 20 + 12] = 0xf0  # TCP data offset lies
    f.append(bytes(bad))
    return f


def bench(n):
    """Many short flows among 256 clients and 16 servers, a realistic mix of sizes."""
    rnd = random.Random(42)
    f = []
    ports = [80, 443, 22, 53, 25, 8080, 3306, 5432]
    while len(f) < n:
        c = '10.1.%d.%d' % (rnd.randrange(4), rnd.randrange(1, 255))
        s = '10.0.0.%d' % rnd.randrange(2, 18)
        IP['bc'], IP['bs'] = c, s
        MAC['bc'] = bytes.fromhex('5254010000%02x' % rnd.randrange(256))
        MAC['bs'] = bytes.fromhex('52540000%04x' % rnd.randrange(65536))
        dp = rnd.choice(ports)
        sp = rnd.randrange(1024, 65535)
        if dp == 53:
            f.append(udp('bc', 'bs', sp, dp, b'q' * rnd.randrange(20, 60)))
            f.append(udp('bs', 'bc', dp, sp, b'r' * rnd.randrange(40, 200)))
            continue
        f += session('bc', 'bs', sp, dp, b'A' * rnd.randrange(0, 600), b'B' * rnd.randrange(0, 1400))
    return f[:n]


def write(path, frames, t0=1763900000, step=0.001):
    step_us = int(round(step * 1e6))
    with open(path, 'wb') as o:
        o.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = t0 * 1000000
        for fr in frames:
            o.write(struct.pack('<IIII', t // 1000000, t % 1000000, len(fr), len(fr)))
            o.write(fr)
            t += step_us


def write_timed(path, timed, t0=1763900000):
    with open(path, 'wb') as o:
        o.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for sec, fr in timed:
            o.write(struct.pack('<IIII', t0 + sec, 0, len(fr), len(fr)))
            o.write(fr)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    scen, out = sys.argv[1], sys.argv[2]
    n = 100000
    if '--packets' in sys.argv:
        n = int(sys.argv[sys.argv.index('--packets') + 1])
    gens = {'benign': benign, 'backdoor': backdoor, 'payload': payload, 'scan': scan,
            'arpspoof': arpspoof, 'synflood': synflood, 'malformed': malformed,
            'backdoor6': backdoor6}
    if scen == 'bench':
        write(out, bench(n), step=0.00001)
    elif scen == 'all':
        frames = benign() + backdoor() + benign() + payload() + scan() + arpspoof() + benign()
        write(out, frames)
    elif scen == 'arpslow':
        write_timed(out, arpslow())
    elif scen in gens:
        write(out, gens[scen](), step=0.0001 if scen == 'synflood' else 0.001)
    else:
        sys.exit('unknown scenario %s' % scen)


if __name__ == '__main__':
    main()
