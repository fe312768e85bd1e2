#!/usr/bin/env python3
"""Heap allocated per HTTP/1.1 request, from JFR, for one or more gateway builds in one run.

Each jar serves the compare.py configuration (routing, metrics, a local rate limit checked on
every request) on CPU 1 against an nginx origin on CPU 0. After a warm-up, a JFR recording with
jdk.ThreadAllocationStatistics (each thread's allocated bytes, sampled at the recording's start
and end) covers one wrk run; the bytes allocated by all the gateway's threads over that run,
divided by the requests wrk completed, is the figure. Jars are measured in turn, --rounds times,
interleaved (A B A B ...), and the median is reported.

usage: benchmarks/load/alloc.py --jar before=/path/old.jar --jar after=proxy-core/target/edge-gateway.jar
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import LOCAL_ROUTE, ORIGIN, gateway_cmd, start, wait_http, wrk, write  # noqa: E402

FIRST_PORT = 18180


def allocated_bytes(jfr_file):
    """All threads' bytes allocated between the recording's first and last sample."""
    out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ThreadAllocationStatistics", jfr_file],
                         capture_output=True, text=True, check=True).stdout
    first, last = {}, {}
    for e in json.loads(out)["recording"]["events"]:
        thread = e["values"]["thread"]
        key = thread["javaThreadId"] if thread else None
        value = e["values"]["allocated"]
        first.setdefault(key, value)
        last[key] = value
    # A thread seen once started (or ended) inside the run: its count from zero is the run's.
    return sum(last[k] - (first[k] if first[k] != last[k] else 0) for k in last)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jar", action="append", required=True, help="NAME=PATH, repeatable")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    jars = [j.split("=", 1) for j in args.jar]

    work = tempfile.mkdtemp(prefix="edge-alloc-")
    os.chmod(work, 0o755)
    os.makedirs(f"{work}/www")
    write(f"{work}/www/1k.bin", "x" * 1024)
    write(f"{work}/origin.conf", f"""pid {work}/origin.pid; error_log {work}/origin.err; events {{ worker_connections 4096; }}
worker_processes 1; daemon off; worker_rlimit_nofile 16384;
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{ORIGIN} backlog=4096; root {work}/www; }} }}""")
    log = open(f"{work}/processes.log", "w")
    procs = {"origin": start(["nginx", "-c", f"{work}/origin.conf", "-p", work], 0, log)}
    try:
        wait_http(ORIGIN, "/1k.bin")
        ports = {}
        for i, (name, jar) in enumerate(jars):
            port, admin = FIRST_PORT + 2 * i, FIRST_PORT + 2 * i + 1
            write(f"{work}/{name}.yaml", f"""
listeners: [{{name: public, address: 127.0.0.1:{port}}}]
admin: {{address: 127.0.0.1:{admin}}}
runtime: {{workerThreads: 1}}
drain: {{readinessDelay: 0s, timeout: 5s}}
routes:
{LOCAL_ROUTE}  - {{name: all, cluster: origin}}
clusters: [{{name: origin, endpoints: [127.0.0.1:{ORIGIN}]}}]
""")
            procs[name] = start(gateway_cmd(os.path.abspath(jar), f"{work}/{name}.yaml"), 1, log)
            ports[name] = port
        for name, port in ports.items():
            wait_http(port, "/1k.bin")
            wrk(port, args.connections, args.warmup, "local")
        results = {name: [] for name in ports}
        for r in range(args.rounds):
            for name, port in ports.items():
                pid = str(procs[name].pid)
                recording = f"{work}/{name}-{r}.jfr"
                subprocess.run(["jcmd", pid, "JFR.start", "name=alloc", "settings=default"], check=True, capture_output=True)
                _, _, total, _, _, _ = wrk(port, args.connections, args.seconds, "local")
                subprocess.run(["jcmd", pid, "JFR.stop", "name=alloc", f"filename={recording}"], check=True, capture_output=True)
                per = allocated_bytes(recording) / total
                results[name].append(per)
                print(f"round {r + 1} {name:>10}: {total} requests, {per:,.0f} bytes allocated per request", flush=True)
        print(f"\nheap allocated per HTTP/1.1 request (gw+local config, wrk -c{args.connections}, {args.seconds}s runs, "
              f"median of {args.rounds}):")
        for name, values in results.items():
            print(f"  {name:>10}: {statistics.median(values):,.0f} bytes (min {min(values):,.0f}, max {max(values):,.0f})")
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            p.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
