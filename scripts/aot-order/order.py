#!/usr/bin/env python3
"""Write the method order file for ILC (src/Shell/aot-order.txt) from profiles of real runs.

Inputs (all of the same unstripped build, whose symbols `nm -n` printed):
  --nm FILE          `nm -n --defined-only` of the unstripped binary
  --callgrind FILE.. callgrind profiles (valgrind --tool=callgrind --dump-instr=yes) of the stripped copy
Output on stdout: mangled method names, most widely used first.

Methods are ranked by how many profiles executed them, then by their address in the profiled build."""
import argparse, bisect, collections, re, sys

ap = argparse.ArgumentParser()
ap.add_argument('--nm', required=True)
ap.add_argument('--binary', required=True, help='the path valgrind ran (its object name in the profiles)')
ap.add_argument('--callgrind', nargs='*', default=[])
args = ap.parse_args()

def load(path):
    """Text symbols (address, name) sorted, their start addresses, and the managed code's range."""
    code = []; managed = None
    for line in open(path):
        p = line.split()
        if len(p) != 3: continue
        a, kind, name = int(p[0], 16), p[1], p[2]
        if name == '__start___managedcode': managed = [a, None]
        elif name == '__stop___managedcode' and managed: managed[1] = a
        if kind in 'tTwW': code.append((a, name))
    if not managed or managed[1] is None:
        sys.exit('order.py: no __managedcode section symbols in ' + path)
    code.sort()
    return code, [a for a, _ in code], managed[0], managed[1]

code, starts, m0, m1 = load(args.nm)

def methods_at(a):
    """(start, name) of the method(s) whose body holds address a: every name at that start (folded bodies share
    one)."""
    i = bisect.bisect_right(starts, a) - 1
    if i < 0: return []
    s = starts[i]; out = []
    while i >= 0 and starts[i] == s:
        n = code[i][1]
        if not n.startswith('__start_'): out.append((s, n))
        i -= 1
    return out

def callgrind_addresses(path):
    """Executed instruction addresses of the binary in one profile (positions: instr line)."""
    obs = {}; cur = None; last = 0; seen = set()
    for line in open(path, errors='replace'):
        c = line[:1]
        if c and c in '0123456789+-*':
            tok = line.split(None, 1)[0]
            if tok.startswith('0x'): a = int(tok, 16)
            elif tok[0] == '+': a = last + int(tok[1:])
            elif tok[0] == '-': a = last - int(tok[1:])
            elif tok == '*': a = last
            else: a = int(tok)
            last = a
            # valgrind names managed code "???": it lies outside the ELF's symbol-bearing text
            if (cur == args.binary or cur == '???') and m0 <= a < m1: seen.add(a)
        elif line.startswith(('ob=', 'cob=')):
            m = re.match(r'c?ob=\((\d+)\)(?: (.*))?', line.rstrip('\n'))
            if m:
                if m.group(2): obs[m.group(1)] = m.group(2)
                if line.startswith('ob='): cur = obs.get(m.group(1))
    return seen

count = collections.Counter(); start = {}
for path in args.callgrind:
    hit = set()
    for a in callgrind_addresses(path):
        for s, n in methods_at(a): hit.add(n); start[n] = s
    count.update(hit)
ranked = sorted(count, key=lambda n: (-count[n], start[n], n))

print(f'order.py: {len(ranked)} methods from {len(args.callgrind)} profiles', file=sys.stderr)
if not ranked:
    sys.exit('order.py: no managed method executed in any profile: wrong --binary?')
for n in ranked: print(n)
