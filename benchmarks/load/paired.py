#!/usr/bin/env python3
"""Paired per-round comparison of two targets in one compare.py run, or pooled over several.

usage: python3 benchmarks/load/compare.py ... > run.log; python3 benchmarks/load/paired.py run.log [run2.log ...] gw+local haproxy

compare.py interleaves its targets within each round, so two targets of the same round met the
same minute of a noisy host. For each connection count this prints the median over the rounds of
A's req/s divided by B's, and of A minus B in CPU us/request, user us/request (CPU minus sys) and
p99, with how many rounds went A's way: the figures the medians of the summary table can hide.
Given several logs it pools their rounds, and with six rounds or more it adds a 90% confidence
interval for each median (distribution-free, from the sign test's order statistics): an interval
that holds zero (or a ratio of 1) says the rounds cannot tell A from B.
"""
import collections
import math
import re
import statistics
import sys

ROUND = re.compile(r"c=(\d+) round (\d+) (\S+)\s+(\d+) req/s\s+p50\s+[\d.]+ ms\s+p99\s+([\d.]+) ms"
                   r"(?:\s+([\d.]+) us/req \(sys\s+([\d.]+)\))?")


def interval(values):
    """A 90% confidence interval for the median of values (n >= 6): the k-th smallest and k-th largest,
    k the largest rank whose binomial tail P(Binom(n, 1/2) < k) stays within 5%; None for fewer values."""
    n = len(values)
    if n < 6:
        return None
    tail, k = 0.0, 0
    while True:
        p = math.comb(n, k) / 2 ** n
        if tail + p > 0.05:
            break
        tail += p
        k += 1
    v = sorted(values)  # k >= 1: from six values on, P(Binom(n, 1/2) = 0) is under 5%
    return v[k - 1], v[n - k]


def main(logs, a, b):
    rounds = collections.defaultdict(dict)
    for log in logs:
        with open(log) as f:
            for line in f:
                m = ROUND.search(line)
                if m and m.group(6):
                    conns, rnd, target, rps, p99, cpu, sys_ = m.groups()
                    rounds[(int(conns), log, int(rnd))][target] = (int(rps), float(p99), float(cpu), float(sys_))
    pairs = collections.defaultdict(list)
    for (conns, _, _), by in sorted(rounds.items()):
        if a in by and b in by:
            (ra, pa, ca, sa), (rb, pb, cb, sb) = by[a], by[b]
            pairs[conns].append((ra / rb, ca - cb, (ca - sa) - (cb - sb), pa - pb))
    if not pairs:
        sys.exit(f"no round in {', '.join(logs)} has both {a} and {b}")
    for conns, v in pairs.items():
        def med(i, fmt):
            column = [x[i] for x in v]
            ci = interval(column)
            return format(statistics.median(column), fmt) + (f" [{ci[0]:{fmt}}, {ci[1]:{fmt}}]" if ci else "")
        print(f"c={conns} {a} vs {b}, {len(v)} rounds: req/s ratio {med(0, '.3f')} ({sum(x[0] > 1 for x in v)} higher), "
              f"CPU {med(1, '+.2f')} us/req ({sum(x[1] < 0 for x in v)} lower), user {med(2, '+.2f')}, p99 {med(3, '+.2f')} ms")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1:-2], sys.argv[-2], sys.argv[-1])
