#!/usr/bin/env python3
"""What CPU 0's scheduler does with each proxy's traffic: wrk rounds against proxies already running,
alternating, and per request of each round the run-queue wait, CPU time and voluntary / involuntary
context switches of the origin's nginx worker, of wrk and of the proxy (all its threads), read from
/proc/<pid>/task/*/schedstat and status between 0.3 s into the round and 0.3 s before its end.

The harness's set-up, started by hand: the origin nginx (its workers found by `pgrep -f "nginx: worker"`,
so no other nginx may run) and wrk on CPU 0, each proxy alone on CPU 1. A JVM proxy wants 120 s of
load before its figures count; `--skip` leaves out the first rounds of the summary.

usage: benchmarks/load/cpu0sched.py ROUNDS SECONDS CONNECTIONS NAME:PID:PORT ... [--skip 10] [--host local]
"""
import argparse
import collections
import os
import re
import statistics
import subprocess
import tempfile
import time

DONE = """done = function(summary, latency, requests)
  io.write(string.format("TAIL %d %.0f %.0f\\n", summary.requests, latency:percentile(50), latency:percentile(99)))
end
"""


def snapshot(pid):
    """[CPU ns, run-queue wait ns, voluntary switches, involuntary switches] over the process's threads."""
    total = [0, 0, 0, 0]
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return total
    for tid in tids:
        try:
            ran, waited = open(f"/proc/{pid}/task/{tid}/schedstat").read().split()[:2]
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except OSError:
            continue  # a thread that ended meanwhile
        vol = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M)
        inv = re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M)
        for i, v in enumerate((int(ran), int(waited), int(vol.group(1)), int(inv.group(1)))):
            total[i] += v
    return total


def main():
    ap = argparse.ArgumentParser(usage=__doc__.rsplit("usage: ", 1)[1])
    ap.add_argument("rounds", type=int)
    ap.add_argument("seconds", type=int)
    ap.add_argument("connections", type=int)
    ap.add_argument("targets", nargs="+", help="NAME:PID:PORT of each proxy")
    ap.add_argument("--skip", type=int, default=10, help="rounds left out of the summary (warm-up)")
    ap.add_argument("--host", default="local")
    args = ap.parse_args()
    if args.seconds < 2:
        ap.error("rounds of 2 s at least: 0.3 s at each end are left out")
    targets = [t.split(":") for t in args.targets]
    workers = [int(p) for p in subprocess.run(["pgrep", "-f", "nginx: worker"], capture_output=True, text=True).stdout.split()]
    if not workers:
        ap.error("no nginx worker running: start the origin first")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(DONE)
    rows = collections.defaultdict(list)
    try:
        for r in range(args.rounds):
            for name, pid, port in targets:
                wrk = subprocess.Popen(["taskset", "-c", "0", "wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s",
                                        "-s", f.name, "-H", f"Host: {args.host}", f"http://127.0.0.1:{port}/1k.bin"],
                                       stdout=subprocess.PIPE, text=True)
                time.sleep(0.3)
                before = {"origin": [snapshot(w) for w in workers], "wrk": [snapshot(wrk.pid)], "proxy": [snapshot(pid)]}
                time.sleep(args.seconds - 0.6)
                after = {"origin": [snapshot(w) for w in workers], "wrk": [snapshot(wrk.pid)], "proxy": [snapshot(pid)]}
                out = wrk.communicate()[0]
                m = re.search(r"TAIL (\d+) (\d+) (\d+)", out)
                if not m:
                    raise SystemExit(f"wrk against {name} printed no result:\n{out}")
                requests = int(m.group(1)) * (args.seconds - 0.6) / args.seconds  # those in the window, about
                row = {"rps": int(m.group(1)) / args.seconds, "p50": int(m.group(2)) / 1000, "p99": int(m.group(3)) / 1000}
                for who in ("origin", "wrk", "proxy"):
                    d = [sum(b[i] - a[i] for a, b in zip(before[who], after[who])) for i in range(4)]
                    row[who] = (d[0] / 1e3 / requests, d[1] / 1e3 / requests, d[2] / requests, d[3] / requests)
                rows[name].append(row)
                print(f"{r:3d} {name:8s} {row['rps']:8.0f} req/s  p50 {row['p50']:5.2f}  p99 {row['p99']:5.2f} ms  "
                      + "  ".join(f"{who}: cpu {v[0]:5.1f} wait {v[1]:5.2f} us, vol {v[2]:.3f} inv {v[3]:.3f}"
                                  for who, v in row.items() if isinstance(v, tuple)), flush=True)
    finally:
        os.unlink(f.name)
    print(f"\nmedians of rounds {args.skip + 1} to {args.rounds}, per request (us; switches)")
    for name, _, _ in targets:
        kept = rows[name][args.skip:]
        if not kept:
            continue
        med = lambda get: statistics.median(get(x) for x in kept)
        print(f"{name:8s} {med(lambda x: x['rps']):8.0f} req/s  p50 {med(lambda x: x['p50']):5.2f}  p99 {med(lambda x: x['p99']):5.2f} ms  "
              + "  ".join(f"{who}: cpu {med(lambda x: x[who][0]):5.1f} wait {med(lambda x: x[who][1]):5.2f}, "
                          f"vol {med(lambda x: x[who][2]):.3f} inv {med(lambda x: x[who][3]):.3f}" for who in ("origin", "wrk", "proxy")))
    first = targets[0][0]
    for name, _, _ in targets[1:]:
        pairs = [b["p99"] - a["p99"] for a, b in zip(rows[first][args.skip:], rows[name][args.skip:])]
        if pairs:
            print(f"{name} minus {first}, p99 paired by round: median {statistics.median(pairs):+.2f} ms, "
                  f"lower in {sum(p < 0 for p in pairs)} of {len(pairs)}")


if __name__ == "__main__":
    main()
