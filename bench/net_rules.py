#!/usr/bin/env python3
"""net_rules.py — N header rules for the bench, and the same selection as a BPF filter (tcpdump)
and a display filter (tshark). usage: net_rules.py N RULES_OUT BPF_OUT TSHARK_OUT"""
import random
import sys

n, rules_out, bpf_out, ts_out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rnd = random.Random(1)
common = {80, 443, 22, 53, 25, 8080, 3306, 5432}
ports = set()
while len(ports) < n - 10:
    p = rnd.randrange(1, 65535)
    if p not in common:
        ports.add(p)
tcp_ports, udp_ports, lines = [], [], []
sid = 1
for p in sorted(ports):
    proto = 'tcp' if sid % 3 else 'udp'
    (tcp_ports if proto == 'tcp' else udp_ports).append(p)
    lines.append(f'alert {proto} any any -> $HOME_NET {p} (msg:"port {p}"; sid:{sid};)')
    sid += 1
for p in (3306, 5432):
    lines.append(f'alert tcp $EXTERNAL_NET any -> $HOME_NET {p} (msg:"db {p} from outside"; flags:S; sid:{sid};)')
    sid += 1
for i in range(8):
    lines.append(f'alert tcp 192.168.{i}.0/24 any -> any any (msg:"bad net {i}"; sid:{sid};)')
    sid += 1
open(rules_out, 'w').write('\n'.join(lines) + '\n')

def ors(proto, ps):
    return '(%s and (%s))' % (proto, ' or '.join('dst port %d' % p for p in ps))
bpf = ('(dst net 10.0.0.0/24 and (%s or %s)) or '
       '(tcp and not src net 10.0.0.0/24 and dst net 10.0.0.0/24 and tcp[tcpflags] == tcp-syn and (dst port 3306 or dst port 5432)) or '
       '(tcp and src net 192.168.0.0/21)') % (ors('tcp', tcp_ports), ors('udp', udp_ports))
open(bpf_out, 'w').write(bpf + '\n')
ts = ('(ip.dst == 10.0.0.0/24 && ((tcp.dstport in {%s}) || (udp.dstport in {%s}))) || '
      '(tcp && !(ip.src == 10.0.0.0/24) && ip.dst == 10.0.0.0/24 && tcp.flags == 0x002 && tcp.dstport in {3306, 5432}) || '
      '(tcp && ip.src == 192.168.0.0/21)') % (', '.join(map(str, tcp_ports)), ', '.join(map(str, udp_ports)))
open(ts_out, 'w').write(ts + '\n')
