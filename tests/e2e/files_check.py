#!/usr/bin/env python3
"""files_check.py — checks for tests/e2e/files.sh (xvids's view of guest files vs the guest's own).

  files_check.py ls GUEST_LS_LN XVIDS_LS_L
      Both are `ls -ln`-style listings of one directory. Every entry: same name, mode string,
      link count, uid, gid, size (or major,minor) and symlink target. Dates are not compared.
  files_check.py lsjson GUEST_LS_LN GUEST_MTIMES XVIDS_JSON
      `ls -l --json`: name, type, mode, uid, gid, size equal the guest's listing, mtime the
      guest's stat (GUEST_MTIMES: lines "PATH MTIME", busybox stat -c '%n %Y').
  files_check.py stat GUEST_STAT XVIDS_STAT_JSON
      GUEST_STAT: lines "PATH SIZE MODE_OCTAL UID GID NLINK INODE MTIME CTIME" (busybox stat -c).
  files_check.py fchk FINDINGS_JSON EXPECT...
      EXPECT is KIND:PATH[:key=value,...] ; every finding must be expected and vice versa.
      key=value checks a field of the finding (mode, uid, size); changes=a+b requires those
      attributes among the finding's changes.
Exit 0 when everything matches, 1 with one line per difference.
"""
import json
import re
import sys

LS_RE = re.compile(r'^(\S{10})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+,\s*\d+|\d+)\s+\S+\s+\S+\s+\S+\s(.*)$')


def parse_ls(path, skip=()):
    out = {}
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        if not line or line.startswith('total'):
            continue
        m = LS_RE.match(line)
        if not m:
            raise SystemExit('unparsed ls line in %s: %r' % (path, line))
        mode, nlink, uid, gid, size, rest = m.groups()
        size = re.sub(r',\s*', ',', size)
        target = None
        if mode.startswith('l') and ' -> ' in rest:
            rest, target = rest.split(' -> ', 1)
        if rest in skip:
            continue
        out[rest] = (mode, int(nlink), int(uid), int(gid), size, target)
    return out


def cmp_ls(guest, xv, skip):
    g, x = parse_ls(guest, skip), parse_ls(xv, skip)
    bad = []
    for name in sorted(set(g) | set(x)):
        if name not in x:
            bad.append('missing in xvids: %s %s' % (name, g[name]))
        elif name not in g:
            bad.append('extra in xvids: %s %s' % (name, x[name]))
        elif g[name] != x[name]:
            bad.append('%s: guest %s, xvids %s' % (name, g[name], x[name]))
    return bad, len(g)


TYPES = {'-': 'file', 'd': 'dir', 'l': 'symlink', 'c': 'chardev', 'b': 'blockdev', 'p': 'fifo',
         's': 'socket'}


def perm_bits(mode):
    v = 0
    for i, ch in enumerate(mode[1:]):
        if ch not in '-ST':
            v |= 0o400 >> i
    if mode[3] in 'sS':
        v |= 0o4000
    if mode[6] in 'sS':
        v |= 0o2000
    if mode[9] in 'tT':
        v |= 0o1000
    return v


def cmp_lsjson(guest, mtimes, xv):
    g = parse_ls(guest)
    mt = {}
    for line in open(mtimes):
        f = line.split()
        if len(f) == 2:
            mt[f[0].rsplit('/', 1)[-1]] = int(f[1])
    x = {e['name']: e for e in json.load(open(xv))}
    bad = []
    if set(mt) != set(g):
        bad.append('guest stat names %s differ from its ls names %s' % (sorted(mt), sorted(g)))
    for name in sorted(set(g) | set(x)):
        if name not in x or name not in g:
            bad.append('%s only in %s' % (name, 'guest' if name in g else 'xvids'))
            continue
        mode, _, uid, gid, size, target = g[name]
        e = x[name]
        want = (TYPES[mode[0]], '%04o' % perm_bits(mode), uid, gid)
        have = (e['type'], e['mode'], e['uid'], e['gid'])
        if want != have or (',' not in size and int(size) != e['size']):
            bad.append('%s: guest %s size %s, xvids %s size %s' % (name, want, size, have, e['size']))
        for k in ('name', 'path', 'type', 'mode', 'uid', 'gid', 'size', 'mtime'):
            if k not in e:
                bad.append('%s: no %s in JSON' % (name, k))
        if e.get('mtime') != mt.get(name):
            bad.append('%s: mtime guest %s, xvids %s' % (name, mt.get(name), e.get('mtime')))
    return bad, len(g)


def cmp_stat(guest, xv):
    x = {e['path']: e for e in json.load(open(xv))}
    bad, n = [], 0
    for line in open(guest):
        f = line.split()
        if len(f) != 9:
            continue
        n += 1
        path, size, mode, uid, gid, nlink, ino, mtime, ctime = f
        e = x.get(path)
        if not e:
            bad.append('%s: not in xvids output' % path)
            continue
        want = (int(size), int(mode, 8), int(uid), int(gid), int(nlink), int(ino), int(mtime),
                int(ctime))
        have = (e['size'], int(e['mode'], 8), e['uid'], e['gid'], e['nlink'], e['ino'], e['mtime'],
                e.get('ctime'))
        if want != have:
            bad.append('%s: guest %s, xvids %s' % (path, want, have))
    return bad, n


def cmp_fchk(path, expects):
    found = json.load(open(path))['findings']
    bad = []
    left = list(found)
    for ex in expects:
        parts = ex.split(':', 2)
        kind, fpath = parts[0], parts[1]
        conds = dict(c.split('=', 1) for c in parts[2].split(',')) if len(parts) > 2 and parts[2] else {}
        hits = [f for f in left if f['kind'] == kind and f.get('path') == fpath]
        if not hits:
            bad.append('expected %s %s, not reported' % (kind, fpath))
            continue
        f = hits[0]
        left.remove(f)
        for k, v in conds.items():
            if k == 'changes':
                have = {c['attr'] for c in f.get('changes', [])}
                if not set(v.split('+')) <= have:
                    bad.append('%s %s: changes %s, expected %s' % (kind, fpath, sorted(have), v))
            elif str(f.get(k)) != v:
                bad.append('%s %s: %s=%s, expected %s' % (kind, fpath, k, f.get(k), v))
    for f in left:
        bad.append('unexpected finding: %s %s (%s)' % (f['kind'], f.get('path'), f.get('summary')))
    return bad, len(found)


def main():
    what = sys.argv[1]
    if what == 'ls':
        bad, n = cmp_ls(sys.argv[2], sys.argv[3], set(sys.argv[4:]))
    elif what == 'lsjson':
        bad, n = cmp_lsjson(sys.argv[2], sys.argv[3], sys.argv[4])
    elif what == 'stat':
        bad, n = cmp_stat(sys.argv[2], sys.argv[3])
    elif what == 'fchk':
        bad, n = cmp_fchk(sys.argv[2], sys.argv[3:])
    else:
        raise SystemExit('unknown check ' + what)
    if n == 0 and what in ('lsjson', 'stat'):
        bad.append('nothing compared: the guest listing is empty or unparsed')
    if bad:
        print('\n'.join(bad))
        return 1
    print('equal: %d entries' % n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
