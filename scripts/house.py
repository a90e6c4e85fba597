#!/usr/bin/env python3
"""Class-level dependency 'house' of a Java source tree: files are rooms, references are arrows.
Prints: number of files, floors (longest path in the SCC condensation), edges inside cycles
("imports running back up"), the largest SCCs, largest files, public top-level types per package.
Usage: house.py SRC_ROOT [SRC_ROOT...]"""
import os, re, sys, collections
roots = sys.argv[1:] or ['core/src/main/java']
files = {}
for root in roots:
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith('.java') and f not in ('module-info.java', 'package-info.java'):
                p = os.path.join(d, f)
                src = open(p, encoding='utf-8').read()
                m = re.search(r'^package\s+([\w.]+);', src, re.M)
                pkg = m.group(1) if m else ''
                files[pkg + '.' + f[:-5]] = (p, pkg, src)
byname = collections.defaultdict(list)
for fq in files:
    byname[fq.rsplit('.', 1)[1]].append(fq)
def strip(src):
    src = re.sub(r'/\*.*?\*/', ' ', src, flags=re.S)
    src = re.sub(r'//[^\n]*', ' ', src)
    src = re.sub(r'"(?:\\.|[^"\\])*"', '""', src)
    return src
edges = collections.defaultdict(set)
for fq, (p, pkg, src) in files.items():
    s = strip(src)
    imports = set(re.findall(r'^import\s+(?:static\s+)?([\w.]+)\s*;', s, re.M))
    body = re.sub(r'^import[^\n]*', '', s, flags=re.M)
    words = set(re.findall(r'\b([A-Z]\w*)\b', body))
    for w in words:
        for cand in byname.get(w, []):
            cpkg = cand.rsplit('.', 1)[0]
            if cand != fq and (cpkg == pkg or cand in imports or any(i.endswith('.*') and i[:-2] == cpkg for i in imports)):
                edges[fq].add(cand)
    for i in imports:
        if i in files and i != fq:
            edges[fq].add(i)
    for fqn in re.findall(r'\b(org\.guestmem(?:\.\w+)+)\b', body):
        while fqn and fqn not in files:
            fqn = fqn.rsplit('.', 1)[0] if '.' in fqn else ''
        if fqn and fqn != fq:
            edges[fq].add(fqn)
# Tarjan
index = {}; low = {}; stack = []; on = set(); sccs = []; i = [0]
sys.setrecursionlimit(100000)
def strong(v):
    index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        sccs.append(comp)
for v in files:
    if v not in index: strong(v)
comp_of = {v: k for k, c in enumerate(sccs) for v in c}
inside = sum(1 for v in files for w in edges[v] if comp_of[v] == comp_of[w])
floor = {}
for k, c in enumerate(sccs):  # Tarjan emits SCCs in reverse topological order (sinks first)
    f = 0
    for v in c:
        for w in edges[v]:
            if comp_of[w] != k: f = max(f, floor[comp_of[w]] + 1)
    floor[k] = f
print(f"files: {len(files)}  floors: {max(floor.values()) + 1 if floor else 0}  edges: {sum(len(e) for e in edges.values())}  edges inside cycles: {inside}")
big = sorted((c for c in sccs if len(c) > 1), key=len, reverse=True)
for c in big[:5]:
    print(f"  cycle of {len(c)}: " + ', '.join(sorted(x.rsplit('.', 1)[1] for x in c)))
lines = sorted(((sum(1 for _ in open(p, encoding='utf-8')), fq) for fq, (p, _, _) in files.items()), reverse=True)
print("largest files: " + ', '.join(f"{fq.rsplit('.',1)[1]} {n}" for n, fq in lines[:8]))
pub = collections.Counter()
for fq, (p, pkg, src) in files.items():
    if re.search(r'^public\s+(?:(?:abstract|final|sealed|non-sealed|static)\s+)*(?:class|interface|enum|record|@interface)\b', strip(src), re.M):
        pub[pkg] += 1
print("public top-level types per package: " + ', '.join(f"{k} {v}" for k, v in sorted(pub.items())))
