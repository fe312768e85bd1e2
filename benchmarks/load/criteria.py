#!/usr/bin/env python3
"""Issue 24's six criteria, read from the table of one or more runs of compare.py.

usage: benchmarks/load/criteria.py LOG [LOG ...]

For each log (one run of `compare.py --limiters --targets nginx,haproxy,gateway,gw+local`) and each
connection count, the medians of `gw+local` against: the lower CPU per request of nginx and HAProxy,
the higher req/s of the two, and HAProxy's p99. Prints each figure, whether it is met (at or below
for CPU and p99, at or above for req/s) and how many of the six each run met; last, the longest
streak of runs in the order given that met all six (the issue asks for two in a row).
"""
import re
import sys

ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+) \(\d+-\d+\)\s+[\d.]+\s+[\d.]+\s+([\d.]+) \([\d.]+-[\d.]+\)\s+([\d.]+)\s+[\d.]+\s*$")


def medians(path):
    """{(target, conns): (req/s, p99 ms, CPU us/req)} from the run's summary table."""
    table = {}
    with open(path) as f:
        for line in f:
            m = ROW.match(line)
            if m:
                table[(m.group(1), int(m.group(2)))] = (int(m.group(3)), float(m.group(4)), float(m.group(5)))
    return table


def judge(table, conns):
    """The three criteria at one connection count: (label, format, ours, theirs, met) each, or None if a row is missing."""
    try:
        ours, nginx, haproxy = table[("gw+local", conns)], table[("nginx", conns)], table[("haproxy", conns)]
    except KeyError:
        return None
    cpu_peer = min((nginx[2], "nginx"), (haproxy[2], "HAProxy"))
    rate_peer = max((nginx[0], "nginx"), (haproxy[0], "HAProxy"))
    return [
        (f"CPU us/req vs {cpu_peer[1]}", "{:.1f}", ours[2], cpu_peer[0], ours[2] <= cpu_peer[0]),
        (f"req/s vs {rate_peer[1]}", "{:.0f}", ours[0], rate_peer[0], ours[0] >= rate_peer[0]),
        ("p99 ms vs HAProxy", "{:.2f}", ours[1], haproxy[1], ours[1] <= haproxy[1]),
    ]


def main(paths):
    streak = best = six = 0
    each = {}
    for path in paths:
        table = medians(path)
        met, parts = 0, []
        for conns in (64, 256):
            checks = judge(table, conns)
            if checks is None:
                sys.exit(f"{path}: no nginx, haproxy and gw+local rows at {conns} connections")
            for label, shown, ours, theirs, ok in checks:
                name = label.split(" vs ")[0]
                met += ok
                each[(conns, name)] = each.get((conns, name), 0) + ok
                parts.append(f"{conns}: {label} {shown.format(ours)} / {shown.format(theirs)} {'met' if ok else 'MISSED'}")
        print(f"{path}: {met} of 6")
        for p in parts:
            print(f"  {p}")
        six += met == 6
        streak = streak + 1 if met == 6 else 0
        best = max(best, streak)
    print("met in: " + ", ".join(f"{conns}: {name} {n}" for (conns, name), n in each.items()) + f" (of {len(paths)} runs)")
    print(f"all six in {six} of {len(paths)} runs; longest run of six of six in a row: {best}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
