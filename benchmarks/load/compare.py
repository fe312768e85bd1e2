#!/usr/bin/env python3
"""Side-by-side load test: direct origin, nginx, HAProxy and the gateway, on this machine.

All three proxies forward to the same origin (nginx serving a 1 KiB file) with upstream
keep-alive. wrk runs against each in interleaved rounds (A B C D A B C D ...). Following
shared/BENCHMARKING.md: the origin and wrk share CPU 0, the proxy under test runs alone on CPU 1
(one worker / one event loop each), and besides requests/s and p99 the table shows CPU time per
request read from /proc/PID/stat, which separates proxies even when wrk is the bottleneck.

usage: benchmarks/load/compare.py [--duration 10] [--rounds 3] [--connections 64,256] [--warmup 5] [--threads]
"""
import argparse
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import stalls

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORIGIN, NGINX, HAPROXY, GATEWAY, GATEWAY_ADMIN, REDIS = 18080, 18081, 18082, 18083, 18093, 18094
GW_OFF, GW_OFF_ADMIN, GW_ON, GW_ON_ADMIN, OTLP_SINK = 18085, 18095, 18086, 18096, 18097
GW_TRACE, GW_TRACE_ADMIN, GW_LOG, GW_LOG_ADMIN = 18087, 18098, 18088, 18099
NGINX_TLS, GATEWAY_TLS = 18443, 18444
GW_URING, GW_URING_ADMIN = 18089, 18100
GW_EPOLL, GW_EPOLL_ADMIN = 18107, 18108
GW_BASE, GW_BASE_TLS, GW_BASE_ADMIN = 18090, 18445, 18101
GW_UI, GW_UI_TLS, GW_UI_ADMIN = 18091, 18446, 18102
GW_GZ, GW_GZ_ADMIN = 18092, 18103
GW_MIRROR, GW_MIRROR_ADMIN, HANGING = 18104, 18105, 18106

# The route issue 9 measures: a local rate limit keyed by client address, set high so every request is
# checked and admitted. wrk reaches it with "Host: local".
LOCAL_ROUTE = """  - name: local
    match: {host: local}
    cluster: origin
    rateLimits: [{name: ip, key: [{clientAddress: true}], limits: [{rate: 1000000000/s}]}]
"""

# An OTLP/HTTP sink for the tracing variant: accepts every export with 200 and drops it.
OTLP_SINK_CODE = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('content-length', 0)))
        self.send_response(200); self.send_header('content-length', '0'); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
"""
# An origin that hangs, for --mirror: accepts every connection, reads what comes, never answers.
HANGING_CODE = """
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(4096)
def drain(c):
    while c.recv(65536): pass
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
"""
# --forwarded: the request headers the gateway adds (ForwardingHeaders), added by the peers too.
NGINX_FORWARDED = (" proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;"
                   " proxy_set_header X-Forwarded-Host $host; proxy_set_header X-Request-ID $request_id;")
HAPROXY_FORWARDED = """  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  unique-id-format %[uuid()]
  unique-id-header X-Request-ID
"""
TICKS = os.sysconf("SC_CLK_TCK")
# Extra JVM options for every gateway process, e.g. EDGE_BENCH_JAVA_OPTS="-XX:+UseParallelGC".
JAVA_OPTS = os.environ.get("EDGE_BENCH_JAVA_OPTS", "").split()
# Extra JVM options for the --baseline-jar gateway only (after EDGE_BENCH_JAVA_OPTS), to compare a JVM or
# Netty setting against the same build: --baseline-jar proxy-core/target/edge-gateway.jar.
BASE_JAVA_OPTS = os.environ.get("EDGE_BENCH_BASE_JAVA_OPTS", "").split()
# The java launcher of the --baseline-jar gateway (default: java on PATH), to compare two JDKs on one build,
# e.g. EDGE_BENCH_BASE_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java.
BASE_JAVA = os.environ.get("EDGE_BENCH_BASE_JAVA", "java")
# Environment variables (NAME=VALUE, space-separated) for the --baseline-jar gateway only, e.g.
# EDGE_BENCH_BASE_ENV="GLIBC_TUNABLES=glibc.malloc.hugetlb=1".
_BASE_ENV_ENTRIES = os.environ.get("EDGE_BENCH_BASE_ENV", "").split()
if any("=" not in kv for kv in _BASE_ENV_ENTRIES):
    sys.exit(f"EDGE_BENCH_BASE_ENV: each entry is NAME=VALUE, space-separated; got {' '.join(_BASE_ENV_ENTRIES)!r}")
BASE_ENV = dict(kv.split("=", 1) for kv in _BASE_ENV_ENTRIES)
# Extra runtime settings for the --baseline-jar gateway's config only, to compare a setting on one jar,
# e.g. EDGE_BENCH_BASE_RUNTIME="idleNap: 60us" (joined into its `runtime: {workerThreads: 1, ...}`).
BASE_RUNTIME = os.environ.get("EDGE_BENCH_BASE_RUNTIME", "").strip()


def need_tools(tls, capture=False):
    tools = (("wrk", "nginx", "haproxy", "taskset", "redis-server") + (("h2load", "openssl") if tls else ())
             + (("tcpdump", "perf") if capture else ()))
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    pkgs = {"wrk": "wrk", "nginx": "nginx-light", "haproxy": "haproxy", "taskset": "util-linux", "redis-server": "redis-server",
            "h2load": "nghttp2-client", "openssl": "openssl", "tcpdump": "tcpdump", "perf": "linux-perf"}
    names = " ".join(pkgs[m] for m in missing)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing {names} ...", flush=True)
        subprocess.run("apt-get update -qq", shell=True, check=True)
        subprocess.run(f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {names}", shell=True, check=True)
    else:
        sys.exit(f"missing tools; install them with: sudo apt-get install {names}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def start(cmd, cpu, log, env=None):
    return subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env=dict(os.environ, **env) if env else None)


def os_name():
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown OS"


def runtime_options():
    """The JVM options the gateway's image carries in its runtime (ImageBuilder.RUNTIME_OPTIONS): the harness
    runs the gateway as the image does, not as a bare `java -jar`."""
    src = open(os.path.join(ROOT, "image/src/main/java/dev/edgegateway/image/ImageBuilder.java")).read()
    m = re.search(r'RUNTIME_OPTIONS = "([^"]*)"', src)
    if not m:
        sys.exit("image/.../ImageBuilder.java: no RUNTIME_OPTIONS constant to run the gateway with")
    return m.group(1).split()


def gateway_cmd(jar, config, extra=(), java="java"):
    return ([java, "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"] + runtime_options() + JAVA_OPTS + list(extra)
            + ["-jar", jar, "run", "--config", config])


# Every port the harness may listen on. A process left on one of them from an earlier run or by hand
# would take part of the load unseen: HAProxy and nginx listen with SO_REUSEPORT, so a second one on
# the port starts without an error and the kernel splits the connections between the two.
HARNESS_PORTS = sorted({v for k, v in globals().items() if k.isupper() and isinstance(v, int) and 18000 <= v < 19000})


def ports_in_use(ports):
    """The ports some socket already listens on. The probe asks for no SO_REUSEPORT, so a listener that
    set it still conflicts; SO_REUSEADDR lets it past the connections a run before left in TIME_WAIT."""
    taken = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                taken.append(port)
    return taken


def check_ports_free(ports):
    taken = ports_in_use(ports)
    if taken:
        held = subprocess.run(["ss", "-ltnpH"] + [a for p in taken for a in ("sport", "=", f":{p}", "or")][:-1],
                              capture_output=True, text=True).stdout.strip()
        sys.exit(f"ports the harness listens on are in use: {', '.join(map(str, taken))}; stop what holds them first"
                 + (f":\n{held}" if held else ""))


def wait_http(port, path="/", timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"nothing answered on port {port}{path}")


def cpu_ticks(pids):
    """(user, system) clock ticks the processes have used so far."""
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])  # utime (field 14)
            system += int(fields[12])  # stime (field 15): system calls, and loopback delivery charged to the sender
        except FileNotFoundError:
            pass
    return user, system


def syscall_counts(pids):
    """(read calls, write calls, context switches) of the processes so far, for --syscalls."""
    reads = writes = switches = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/io") as f:
                io = dict(line.split(": ") for line in f.read().splitlines())
            reads, writes = reads + int(io["syscr"]), writes + int(io["syscw"])
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.endswith("ctxt_switches:", 0, line.find(":") + 1):
                            switches += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return reads, writes, switches


def tcp_counters():
    """System-wide TCP counters for --segments: segments sent, and TcpExt's delayed, pure and header-predicted ACK counts."""
    out = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            prefix = names.split(":")[0]
            for k, v in zip(names.split()[1:], values.split()[1:]):
                out[f"{prefix}.{k}"] = int(v)
    return {k: out.get(k, 0) for k in SEGMENT_COUNTERS}


def cpu_idle_ticks(cpu):
    """A CPU's (busy, idle) clock ticks so far (/proc/stat), for --cpu0."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                return sum(v) - v[3] - v[4], v[3] + v[4]
    return 0, 0


IPI_KINDS = ("RES", "CAL")


def ipis():
    """Rescheduling and function-call interrupts received so far by CPU 0 and CPU 1 (/proc/interrupts), for
    --cpu0: [RES into 0, RES into 1, CAL into 0, CAL into 1]. Waking a task on another CPU that is halted, or
    preempting what runs there, sends one; in a VM each is an exit on the sender and an injection on the receiver."""
    out = []
    with open("/proc/interrupts") as f:
        rows = {line.split(":")[0].strip(): line.split()[1:3] for line in f if ":" in line}
    for kind in IPI_KINDS:
        v = rows.get(kind, ["0", "0"])
        out += [int(v[0]), int(v[1])]
    return out


def exchange_buckets(admin):
    """The gateway's own exchange durations so far, for --exchange: cumulative counts by upper bound in seconds,
    summed over its routes, of edge_downstream_request_duration_seconds (from a request's first byte read to its
    response written) and edge_upstream_response_duration_seconds (from the request written to the origin to the
    response's head read)."""
    out = {"downstream": {}, "upstream": {}}
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            m = re.match(r'edge_(downstream_request|upstream_response)_duration_seconds_bucket\{.*le="([^"]+)".*\} (\S+)', line)
            if m:
                side = out[m.group(1).split("_")[0]]
                le = float("inf") if m.group(2) == "+Inf" else float(m.group(2))
                side[le] = side.get(le, 0) + float(m.group(3))
    return out


EXCHANGE_BOUNDS = (0.005, 0.01, 0.025)


def heap_counters(admin):
    """The gateway's heap allocated so far (jvm_gc_memory_allocated_bytes_total, all threads) and its collections
    (jvm_gc_pause_seconds_count over its collectors), for --alloc."""
    allocated, collections = None, 0.0  # no allocated counter: a build from before it (a --baseline-jar)
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("jvm_gc_memory_allocated_bytes_total"):
                allocated = (allocated or 0.0) + float(line.split()[-1])
            elif line.startswith("jvm_gc_pause_seconds_count"):
                collections += float(line.split()[-1])
    return allocated, collections


SEGMENT_COUNTERS = ("Tcp.OutSegs", "TcpExt.DelayedACKs", "TcpExt.TCPPureAcks", "TcpExt.TCPHPAcks")


def family(pid):
    """The process and its children (nginx's workers)."""
    pids = [pid]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(p))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return pids


def thread_ticks(pids):
    """User + system clock ticks per thread name (digits dropped, so a pool's threads add up), for --threads."""
    ticks = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except FileNotFoundError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    head, rest = f.read().rsplit(")", 1)
            except (FileNotFoundError, ProcessLookupError):
                continue
            name = re.sub(r"[0-9#]+", "", head.split("(", 1)[1]).strip(" -") or "?"
            fields = rest.split()
            ticks[name] = ticks.get(name, 0) + int(fields[11]) + int(fields[12])
    return ticks


COLD_SCRIPT = None
# --tail: a wrk script that prints more of the latency distribution when the run is done, and what the
# last run printed (percentile -> ms).
TAIL_SCRIPT = None
TAIL_PERCENTILES = (90, 95, 99, 99.5, 99.9)
LAST_TAIL = {}


def wrk(port, conns, seconds, host=None, scheme="http", path="/1k.bin", headers=(), script=None):
    script = script or TAIL_SCRIPT
    extra = (["-H", f"Host: {host}"] if host else []) + [x for h in headers for x in ("-H", h)] + (["-s", script] if script else [])
    out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency"] + extra
                         + [f"{scheme}://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    LAST_TAIL.clear()
    LAST_TAIL.update((float(p), int(us) / 1000) for p, us in re.findall(r"tail ([\d.]+) (\d+)", out))
    return rps, latency(out, "99%"), total, (int(errors.group(1)) if errors else 0), (sock.group(1) if sock else ""), latency(out, "50%")


def redis_calls():
    """Lua script calls Redis has run so far (EVAL and EVALSHA, from INFO commandstats)."""
    out = subprocess.run(["redis-cli", "-p", str(REDIS), "info", "commandstats"], capture_output=True, text=True).stdout
    return sum(int(m.group(2)) for m in re.finditer(r"cmdstat_(evalsha|eval):calls=(\d+)", out))


def h2load(port, conns, seconds):
    """HTTP/2 over TLS: 16 connections with conns/16 concurrent streams each (conns streams in all)."""
    clients = min(16, conns)
    out = subprocess.run(["taskset", "-c", "0", "h2load", "-t1", f"-c{clients}", f"-m{max(1, conns // clients)}", f"-D{seconds}",
                          f"https://127.0.0.1:{port}/1k.bin"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))
    m = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded", out)
    total, done, ok = int(m.group(1)), int(m.group(2)), int(m.group(3))
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    mean_ms = float(mean.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[mean.group(2)]
    return rps, float("nan"), done, done - ok, "", mean_ms


def measure(port, conns, seconds, mode):
    """mode: None (HTTP/1.1), a Host header (a route), 'https' (wrk over TLS), 'h2' (h2load over TLS),
    '16k' (a 16 KiB HTML page as it is) or 'gzip16k' (the same, asked for with Accept-Encoding: gzip)."""
    LAST_TAIL.clear()  # only a wrk run without a script of its own fills it again
    if mode == "h2":
        return h2load(port, conns, seconds)
    if mode in ("16k", "gzip16k"):
        return wrk(port, conns, seconds, host=mode, path="/16k.html",
                   headers=("Accept-Encoding: gzip",) if mode == "gzip16k" else ())
    if mode == "https":
        return wrk(port, conns, seconds, scheme="https")
    if mode == "redis-cold":
        return wrk(port, conns, seconds, script=COLD_SCRIPT)
    return wrk(port, conns, seconds, mode)


def latency(out, percentile):
    m = re.search(percentile + r"\s+([\d.]+)(us|ms|s)", out)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--connections", default="64,256")
    ap.add_argument("--observability", action="store_true",
                    help="also measure a gateway with metrics, tracing (1%% sampled, OTLP to a local sink) and the access log "
                         "(to a file) all on, against one with all three off")
    ap.add_argument("--limiters", action="store_true",
                    help="also measure the gateway with a local and a Redis rate limiter on the path (limits set high: "
                         "every request is checked and admitted), against redis-server on CPU 0")
    ap.add_argument("--tls", action="store_true",
                    help="also measure HTTPS (wrk over TLS, HTTP/1.1) and HTTP/2 over TLS (h2load) against nginx with the "
                         "same certificate")
    ap.add_argument("--transports", action="store_true",
                    help="also measure the gateway with each native transport named (gw-uring on io_uring, gw-epoll "
                         "on epoll, both with the local limiter: compare with gw+local, which runs on the default, "
                         "auto: epoll, else NIO)")
    ap.add_argument("--baseline-jar", default="",
                    help="also run this jar (an earlier build) with the gateway's config, as base (HTTP/1.1), "
                         "base+local (with --limiters) and base-h2 (with --tls): before and after in the same run")
    ap.add_argument("--console", action="store_true",
                    help="also run gw+ui: a second gateway, same config, with a headless Chromium (on CPU 0, with wrk) "
                         "keeping its operator console /ui open the whole time (issue 23: the page costs the request path nothing)")
    ap.add_argument("--compression", action="store_true",
                    help="also measure a 16 KiB HTML page as it is and gzip-compressed (Accept-Encoding: gzip), through nginx "
                         "(gzip on, level 6) and a gateway whose route compresses (gw-16k, gw-gzip16k)")
    ap.add_argument("--mirror", action="store_true",
                    help="also run gw-mirror: a gateway whose route copies every request to a mirror cluster that hangs "
                         "(maxInFlight 100: the excess is dropped), against the same gateway's route without a mirror "
                         "(gw-nomirror): issue 21, a hanging mirror adds nothing to the client's p99")
    ap.add_argument("--threads", action="store_true",
                    help="also print each proxy's CPU us/request by thread (event loop, JIT compilers, GC ...), "
                         "medians over the rounds")
    ap.add_argument("--syscalls", action="store_true",
                    help="also print each proxy's read and write system calls and context switches per request "
                         "(/proc/PID/io syscr and syscw, /proc/PID/task/*/status), medians over the rounds")
    ap.add_argument("--segments", action="store_true",
                    help="also print the TCP segments sent per request on the whole host (all of them are loopback here: "
                         "client, proxy and origin together; /proc/net/snmp OutSegs) and TcpExt's ACK counters, medians")
    ap.add_argument("--cpu0", action="store_true",
                    help="also print what each target costs CPU 0 per request (the origin's CPU, and the harness's children's: "
                         "wrk, and redis-cli for the Redis targets) and CPU 0's idle share during the round: idle there means "
                         "wrk and the origin waited on the proxy; the origin's and wrk's context switches per request; CPU 1's "
                         "idle share; and the rescheduling (RES) and function-call (CAL) interrupts each CPU received per request "
                         "(/proc/interrupts): a wake-up of a task on a halted or busy CPU")
    ap.add_argument("--alloc", action="store_true",
                    help="also print, for the gateway's rows, the heap its process allocated per request and its "
                         "collections per round (its /metrics read before and after each round)")
    ap.add_argument("--exchange", action="store_true",
                    help="also print, for the gateway's rows, the share of its own exchanges (its duration histograms, "
                         "from a request's first byte read to its response written, and from the request written to the "
                         "origin to its response's head) over 5, 10 and 25 ms, beside wrk's p99: how much of the client's "
                         "tail the gateway's exchange holds, and how much lies outside it (socket queues, wrk's own CPU)")
    ap.add_argument("--tail", action="store_true",
                    help="also print each target's latency at the 90th, 95th, 99th, 99.5th and 99.9th percentiles and its "
                         "maximum (medians over the rounds; wrk's own histogram, through a script's done())")
    ap.add_argument("--stalls", action="store_true",
                    help="also capture 2 s of each proxy's round from the wire (tcpdump on loopback, perf sched on the "
                         "proxy's CPU; both on CPU 0, as root) and print where a request waits (the proxy's hold of it and of "
                         "its response, the origin, the client's cycle: percentiles) and the proxy's stalls (a packet in, "
                         "nothing out for over 0.8 ms) with what ran on its CPU meanwhile, and its event loop's waits for that CPU "
                         "with who held it: benchmarks/load/stalls.py. "
                         "Each request then carries an x-id header (a wrk script)")
    ap.add_argument("--forwarded", action="store_true",
                    help="have nginx and HAProxy add to each request what the gateway adds: X-Forwarded-For, "
                         "X-Forwarded-Proto, X-Forwarded-Host and an X-Request-ID (a random id), so that the origin parses "
                         "the same request from every proxy (four more headers, about 130 bytes, which widen the "
                         "latency's tail at 64 connections: benchmarks/README.md, forty-first step)")
    ap.add_argument("--targets", default="",
                    help="measure only these targets (comma-separated names from the table; 'direct' is always kept)")
    args = ap.parse_args()
    if args.stalls and os.geteuid() != 0:
        sys.exit("--stalls needs root: tcpdump captures loopback and perf sched records the proxy's CPU")
    need_tools(args.tls, args.stalls)
    jar = os.path.join(ROOT, "proxy-core", "target", "edge-gateway.jar")
    if not os.path.exists(jar):
        subprocess.run([os.path.join(ROOT, "mvnw"), "-B", "-q", "-DskipTests", "package"], cwd=ROOT, check=True)

    check_ports_free(HARNESS_PORTS)
    work = tempfile.mkdtemp(prefix="edge-bench-")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    os.makedirs(f"{work}/www")
    write(f"{work}/www/1k.bin", "x" * 1024)
    # A page that compresses as real HTML does (about 5:1), for --compression.
    page = "".join(f"<li class=\"item\"><a href=\"/p/{i}\">product {i}</a> <span>{(i * 7919) % 10007} in stock</span></li>\n" for i in range(400))
    write(f"{work}/www/16k.html", ("<!doctype html><ul>\n" + page)[:16384])
    # One certificate (EC P-256, as a modern edge would serve) for nginx and the gateway alike.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", f"{work}/tls.key", "-out", f"{work}/tls.pem"], check=True, capture_output=True)
    os.chmod(f"{work}/tls.key", 0o644)
    tls_server = (f"server {{ listen 127.0.0.1:{NGINX_TLS} ssl http2 backlog=4096; ssl_certificate {work}/tls.pem; "
                  f"ssl_certificate_key {work}/tls.key; ssl_protocols TLSv1.2 TLSv1.3; "
                  "location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }")
    common = "pid {pid}; error_log " + work + "/{name}.err; events {{ worker_connections 4096; }}\n"
    write(f"{work}/origin.conf", common.format(pid=f"{work}/origin.pid", name="origin") + f"""
worker_processes 1; daemon off; worker_rlimit_nofile 16384;
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{ORIGIN} backlog=4096; root {work}/www; }} }}""")
    write(f"{work}/nginx.conf", common.format(pid=f"{work}/nginx.pid", name="nginx") + f"""
worker_processes 1; daemon off; worker_rlimit_nofile 16384;
http {{ access_log off; keepalive_requests 1000000;
  gzip on; gzip_comp_level 6; gzip_min_length 1024; gzip_types text/plain text/html;
  upstream origin {{ server 127.0.0.1:{ORIGIN}; keepalive 64; }}
  server {{ listen 127.0.0.1:{NGINX} backlog=4096;
    location / {{ proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection "";{NGINX_FORWARDED if args.forwarded else ""} }} }}
  {tls_server} }}""")
    write(f"{work}/haproxy.cfg", f"""
global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:{HAPROXY}
{HAPROXY_FORWARDED if args.forwarded else ""}  default_backend be
backend be
  server o1 127.0.0.1:{ORIGIN}
""")
    write(f"{work}/gateway.yaml", f"""
listeners:
  - {{name: public, address: 127.0.0.1:{GATEWAY}}}
  - {{name: secure, address: 127.0.0.1:{GATEWAY_TLS}, tls: {{certificates: [{{certFile: {work}/tls.pem, keyFile: {work}/tls.key}}]}}}}
admin: {{address: 127.0.0.1:{GATEWAY_ADMIN}}}
runtime: {{workerThreads: 1}}
drain: {{readinessDelay: 0s, timeout: 5s}}
redis: {{nodes: [127.0.0.1:{REDIS}], timeout: 50ms}}
routes:
{LOCAL_ROUTE}  - name: redis
    match: {{host: redis}}
    cluster: origin
    rateLimits: [{{name: ip, mode: distributed, key: [{{clientAddress: true}}], limits: [{{rate: 1000000000/s}}], failOpen: false}}]
  - name: redis-cold
    match: {{host: redis-cold}}
    cluster: origin
    rateLimits: [{{name: key, mode: distributed, key: [{{header: x-key}}], limits: [{{rate: 1000000000/s}}], failOpen: false}}]
  - {{name: all, cluster: origin}}
clusters: [{{name: origin, endpoints: [127.0.0.1:{ORIGIN}]}}]
""")
    # The cold-key mix: each request a key drawn from 100,000.
    write(f"{work}/cold-keys.lua", 'request = function()\n  wrk.headers["Host"] = "redis-cold"\n'
          '  wrk.headers["x-key"] = "k" .. math.random(100000)\n  return wrk.format()\nend\n')
    global COLD_SCRIPT
    COLD_SCRIPT = f"{work}/cold-keys.lua"
    global TAIL_SCRIPT
    if args.tail:
        write(f"{work}/tail.lua", "done = function(summary, latency, requests)\n"
              + "".join(f'  io.write(string.format("tail {p} %d\\n", latency:percentile({p})))\n' for p in TAIL_PERCENTILES)
              + '  io.write(string.format("tail 100 %d\\n", latency.max))\nend\n')
        TAIL_SCRIPT = f"{work}/tail.lua"
    if args.stalls:
        write(f"{work}/ids.lua", stalls.ID_SCRIPT + (open(TAIL_SCRIPT).read() if args.tail else ""))
        TAIL_SCRIPT = f"{work}/ids.lua"
    def small_gateway(name, port, admin, runtime="", extra="", routes=""):
        write(f"{work}/{name}.yaml", f"""
listeners: [{{name: public, address: 127.0.0.1:{port}}}]
admin: {{address: 127.0.0.1:{admin}}}
runtime: {{workerThreads: 1{runtime}}}
drain: {{readinessDelay: 0s, timeout: 5s}}
{extra}routes:
{routes}  - {{name: all, cluster: origin}}
clusters: [{{name: origin, endpoints: [127.0.0.1:{ORIGIN}]}}]
""")

    small_gateway("gw-uring", GW_URING, GW_URING_ADMIN, runtime=", transport: io_uring", routes=LOCAL_ROUTE)
    small_gateway("gw-epoll", GW_EPOLL, GW_EPOLL_ADMIN, runtime=", transport: epoll", routes=LOCAL_ROUTE)
    small_gateway("gw-gz", GW_GZ, GW_GZ_ADMIN, routes="""  - {name: plain16k, match: {host: 16k}, cluster: origin}
  - {name: gzip16k, match: {host: gzip16k}, cluster: origin, compression: {minBytes: 1024, contentTypes: [text/*]}}
""")
    small_gateway("gw-mirror", GW_MIRROR, GW_MIRROR_ADMIN, routes=f"""  - {{name: mirrored, match: {{host: mirrored}}, cluster: origin, mirror: {{cluster: hanging, percent: 100, maxInFlight: 100}}}}
""")
    with open(f"{work}/gw-mirror.yaml") as f:
        mirrored = f.read().replace("clusters: [", f"clusters: [{{name: hanging, endpoints: [127.0.0.1:{HANGING}]}}, ")
    write(f"{work}/gw-mirror.yaml", mirrored)
    tracing_on = f"tracing: {{otlpEndpoint: 'http://127.0.0.1:{OTLP_SINK}', samplingRatio: 0.01}}\n"
    log_on = f"accessLog: {{enabled: true, path: {work}/access.log}}\n"
    for name, port, admin, extra in (("gw-off", GW_OFF, GW_OFF_ADMIN, "metrics: {enabled: false}\n"),
                                     ("gw-trace", GW_TRACE, GW_TRACE_ADMIN, "metrics: {enabled: false}\n" + tracing_on),
                                     ("gw-log", GW_LOG, GW_LOG_ADMIN, "metrics: {enabled: false}\n" + log_on.replace("access.log", "access-only.log")),
                                     ("gw-on", GW_ON, GW_ON_ADMIN, tracing_on + log_on)):
        small_gateway(name, port, admin, extra=extra)
    log = open(f"{work}/processes.log", "w")
    began = time.time()
    procs = {}
    try:
        procs["origin"] = start(["nginx", "-c", f"{work}/origin.conf", "-p", work], 0, log)
        wait_http(ORIGIN, "/1k.bin")
        procs["nginx"] = start(["nginx", "-c", f"{work}/nginx.conf", "-p", work], 1, log)
        procs["haproxy"] = start(["haproxy", "-db", "-f", f"{work}/haproxy.cfg"], 1, log)
        if args.limiters:
            procs["redis"] = start(["redis-server", "--port", str(REDIS), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no"], 0, log)
            time.sleep(0.5)
        procs["gateway"] = start(gateway_cmd(jar, f"{work}/gateway.yaml"), 1, log)
        ports = [NGINX, HAPROXY, GATEWAY]
        if args.baseline_jar:
            with open(f"{work}/gateway.yaml") as f:
                base = (f.read().replace(f"127.0.0.1:{GATEWAY_TLS}", f"127.0.0.1:{GW_BASE_TLS}")
                        .replace(f"127.0.0.1:{GATEWAY_ADMIN}", f"127.0.0.1:{GW_BASE_ADMIN}")
                        .replace(f"127.0.0.1:{GATEWAY}", f"127.0.0.1:{GW_BASE}"))
            if BASE_RUNTIME:
                if "runtime: {workerThreads: 1}" not in base:
                    sys.exit("EDGE_BENCH_BASE_RUNTIME: the gateway's config has no `runtime: {workerThreads: 1}` to add to")
                base = base.replace("runtime: {workerThreads: 1}", f"runtime: {{workerThreads: 1, {BASE_RUNTIME}}}")
            write(f"{work}/gw-base.yaml", base)
            procs["gw-base"] = start(gateway_cmd(os.path.abspath(args.baseline_jar), f"{work}/gw-base.yaml", BASE_JAVA_OPTS, BASE_JAVA), 1, log, BASE_ENV)
            ports.append(GW_BASE)
        if args.console:
            with open(f"{work}/gateway.yaml") as f:
                ui = (f.read().replace(f"127.0.0.1:{GATEWAY_TLS}", f"127.0.0.1:{GW_UI_TLS}")
                      .replace(f"127.0.0.1:{GATEWAY_ADMIN}", f"127.0.0.1:{GW_UI_ADMIN}")
                      .replace(f"127.0.0.1:{GATEWAY}", f"127.0.0.1:{GW_UI}"))
            write(f"{work}/gw-ui.yaml", ui)
            procs["gw-ui"] = start(gateway_cmd(jar, f"{work}/gw-ui.yaml"), 1, log)
            ports.append(GW_UI)
        if args.compression:
            procs["gw-gz"] = start(gateway_cmd(jar, f"{work}/gw-gz.yaml"), 1, log)
            ports.append(GW_GZ)
        if args.mirror:
            procs["hanging"] = start(["python3", "-c", HANGING_CODE, str(HANGING)], 0, log)
            procs["gw-mirror"] = start(gateway_cmd(jar, f"{work}/gw-mirror.yaml"), 1, log)
            ports.append(GW_MIRROR)
        if args.transports:
            procs["gw-uring"] = start(gateway_cmd(jar, f"{work}/gw-uring.yaml"), 1, log)
            procs["gw-epoll"] = start(gateway_cmd(jar, f"{work}/gw-epoll.yaml"), 1, log)
            ports += [GW_URING, GW_EPOLL]
        if args.observability:
            procs["otlp-sink"] = start(["python3", "-c", OTLP_SINK_CODE, str(OTLP_SINK)], 0, log)
            for name in ("gw-off", "gw-trace", "gw-log", "gw-on"):
                procs[name] = start(gateway_cmd(jar, f"{work}/{name}.yaml"), 1, log)
            ports += [GW_OFF, GW_TRACE, GW_LOG, GW_ON]
        for port in ports:
            wait_http(port, "/1k.bin")
        if args.console:
            chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
            if not chromium:
                sys.exit("--console needs chromium (apt-get install chromium)")
            # The operator's browser is not on the proxy's CPU: it shares CPU 0 with wrk and the origin.
            procs["chromium"] = start([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={work}/chromium",
                                       "--remote-debugging-port=0", f"http://127.0.0.1:{GW_UI_ADMIN}/ui"], 0, log)
        targets = [("direct", ORIGIN, None, None), ("nginx", NGINX, "nginx", None), ("haproxy", HAPROXY, "haproxy", None),
                   ("gateway", GATEWAY, "gateway", None)]
        if args.tls:
            # https: HTTP/1.1 over TLS (wrk); h2: HTTP/2 over TLS (h2load). Keep-alive: handshakes only at connect.
            targets += [("nginx-https", NGINX_TLS, "nginx", "https"), ("gw-https", GATEWAY_TLS, "gateway", "https"),
                        ("nginx-h2", NGINX_TLS, "nginx", "h2"), ("gw-h2", GATEWAY_TLS, "gateway", "h2")]
            if args.baseline_jar:
                targets += [("base-h2", GW_BASE_TLS, "gw-base", "h2")]
        if args.limiters:
            targets += [("gw+local", GATEWAY, "gateway", "local"), ("gw+redis", GATEWAY, "gateway", "redis"),
                        ("gw+rcold", GATEWAY, "gateway", "redis-cold")]
            if args.baseline_jar:
                targets += [("base+local", GW_BASE, "gw-base", "local")]
        if args.baseline_jar:
            targets += [("base", GW_BASE, "gw-base", None)]
        if args.compression:
            targets += [("nginx-16k", NGINX, "nginx", "16k"), ("nginx-gzip16k", NGINX, "nginx", "gzip16k"),
                        ("gw-16k", GW_GZ, "gw-gz", "16k"), ("gw-gzip16k", GW_GZ, "gw-gz", "gzip16k")]
        if args.mirror:
            targets += [("gw-nomirror", GW_MIRROR, "gw-mirror", None), ("gw-mirror", GW_MIRROR, "gw-mirror", "mirrored")]
        if args.console:
            targets += [("gw+ui", GW_UI, "gw-ui", None)]
            if args.limiters:
                targets += [("gw+ui+local", GW_UI, "gw-ui", "local")]
        if args.transports:
            targets += [("gw-uring", GW_URING, "gw-uring", "local"), ("gw-epoll", GW_EPOLL, "gw-epoll", "local")]
        if args.observability:
            targets += [("gw-off", GW_OFF, "gw-off", None), ("gw-trace", GW_TRACE, "gw-trace", None),
                        ("gw-log", GW_LOG, "gw-log", None), ("gw-on", GW_ON, "gw-on", None)]
        if args.targets:
            keep = set(args.targets.split(",")) | {"direct"}
            targets = [t for t in targets if t[0] in keep]
        # Warm up the way the rounds measure: runs of --duration seconds, each with new connections
        # at each connection count in turn, the targets interleaved as in the rounds. A JIT needs to
        # see connections opened and closed, not only requests: one long run leaves the accept and
        # close paths cold, and their first use in a measured round deoptimizes hot methods
        # (AbstractChannelHandlerContext.write, the event loop's completion handling) and
        # recompiles them on the proxy's only CPU. The same holds for what a proxy does while the
        # others are measured (caches' expiry, idle connections' trims, meters' window rotation):
        # warming one target after another never left it idle in between, and the first measured
        # rounds paid for those paths' compiles (JFR: 2.2 s of C2 in 50 s of rounds).
        counts = [int(c) for c in args.connections.split(",")]
        print(f"warming up {args.warmup}s each, in {args.duration}s runs ...", flush=True)
        left, i = args.warmup, 0
        while left > 0:
            for _, port, _, host in targets:
                measure(port, counts[i % len(counts)], min(left, args.duration), host)
            left -= args.duration
            i += 1

        results = {}
        redis_per_request = {}
        by_thread = {}
        by_calls = {}
        by_segments = {}
        by_cpu0 = {}
        by_exchange = {}
        by_alloc = {}
        by_tail = {}
        by_stalls = {}
        admins = {"gateway": GATEWAY_ADMIN, "gw-base": GW_BASE_ADMIN}
        for conns in counts:
            for r in range(args.rounds):
                # The proxies' order alternates round by round (A B C, then C B A): a target measured
                # right after another was measurably favoured (an A/A run, same jar twice, put the
                # first 0.65-0.95 us/req above the second), and alternating cancels that in the medians.
                order = targets if r % 2 == 0 else targets[:1] + targets[:0:-1]
                for name, port, proc, host in order:
                    pids = family(procs[proc].pid) if proc else []
                    # Read before the CPU counters (and after, below), so the scrapes are not in the round's CPU.
                    exchange_before = exchange_buckets(admins[proc]) if args.exchange and proc in admins else None
                    heap_before = heap_counters(admins[proc]) if args.alloc and proc in admins else None
                    calls_before = redis_calls() if host in ("redis", "redis-cold") else 0
                    before = cpu_ticks(pids)
                    threads_before = thread_ticks(pids) if args.threads else {}
                    syscalls_before = syscall_counts(pids) if args.syscalls else None
                    segments_before = tcp_counters() if args.segments else None
                    if args.cpu0:
                        origin_pids = family(procs["origin"].pid)
                        cpu0_before = (cpu_ticks(origin_pids), resource.getrusage(resource.RUSAGE_CHILDREN), cpu_idle_ticks(0),
                                       syscall_counts(origin_pids)[2], ipis(), cpu_idle_ticks(1))
                    capture = (stalls.Capture(work, f"{name}-{conns}-{r}", port, ORIGIN, 1, 1.5, min(2, max(1, args.duration - 2)))
                               if args.stalls and proc else None)
                    rps, p99, total, non2xx, sockerr, p50 = measure(port, conns, args.duration, host)
                    after = cpu_ticks(pids)
                    if capture:
                        by_stalls.setdefault((name, conns), []).append(capture.analyse(pids))
                    if LAST_TAIL:
                        by_tail.setdefault((name, conns), []).append(dict(LAST_TAIL))
                    if heap_before:
                        heap_after = heap_counters(admins[proc])
                        by_alloc.setdefault((name, conns), []).append(
                            (None if heap_before[0] is None else (heap_after[0] - heap_before[0]) / max(1, total),
                             heap_after[1] - heap_before[1]))
                    if exchange_before:
                        exchange_after = exchange_buckets(admins[proc])
                        shares = []
                        for side in ("downstream", "upstream"):
                            delta = {le: exchange_after[side].get(le, 0) - exchange_before[side].get(le, 0) for le in exchange_after[side]}
                            n = max(1, delta.get(float("inf"), 0))
                            shares.append(tuple(1 - delta.get(b, 0) / n for b in EXCHANGE_BOUNDS))
                        by_exchange.setdefault((name, conns), []).append((p99, shares[0], shares[1]))
                    if args.threads and proc:
                        for thread, t in thread_ticks(pids).items():
                            by_thread.setdefault((name, conns, thread), []).append(
                                (t - threads_before.get(thread, 0)) / TICKS * 1e6 / max(1, total))
                    if args.cpu0:
                        (ou, os_), kids, (busy, idle), origin_switches, ipis_before, (busy1, idle1) = cpu0_before
                        ou2, os2 = cpu_ticks(origin_pids)
                        kids2, (busy2, idle2) = resource.getrusage(resource.RUSAGE_CHILDREN), cpu_idle_ticks(0)
                        busy1_2, idle1_2 = cpu_idle_ticks(1)
                        wrk_s = kids2.ru_utime + kids2.ru_stime - kids.ru_utime - kids.ru_stime
                        wrk_switches = kids2.ru_nvcsw + kids2.ru_nivcsw - kids.ru_nvcsw - kids.ru_nivcsw
                        by_cpu0.setdefault((name, conns), []).append((
                            (ou2 + os2 - ou - os_) / TICKS * 1e6 / max(1, total), wrk_s * 1e6 / max(1, total),
                            (idle2 - idle) / max(1, busy2 + idle2 - busy - idle),
                            (syscall_counts(origin_pids)[2] - origin_switches) / max(1, total), wrk_switches / max(1, total),
                            tuple((a - b) / max(1, total) for a, b in zip(ipis(), ipis_before)),
                            (idle1_2 - idle1) / max(1, busy1_2 + idle1_2 - busy1 - idle1)))
                    if segments_before:
                        segments = tcp_counters()
                        by_segments.setdefault((name, conns), []).append(
                            tuple((segments[k] - segments_before[k]) / max(1, total) for k in SEGMENT_COUNTERS))
                    if syscalls_before and proc:
                        calls = syscall_counts(pids)
                        by_calls.setdefault((name, conns), []).append(
                            tuple((a - b) / max(1, total) for a, b in zip(calls, syscalls_before)))
                    used, used_sys = after[0] + after[1] - before[0] - before[1], after[1] - before[1]
                    if host in ("redis", "redis-cold"):
                        redis_per_request.setdefault((name, conns), []).append((redis_calls() - calls_before) / max(1, total - non2xx))
                    cpu_us = used / TICKS * 1e6 / total if proc else float("nan")
                    sys_us = used_sys / TICKS * 1e6 / total if proc else float("nan")
                    results.setdefault((name, conns), []).append((rps, p99, cpu_us, non2xx, sockerr, p50, sys_us))
                    print(f"  [{time.time() - began:6.0f}s] c={conns} round {r + 1} {name:8s} {rps:10.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:7.2f} ms"
                          + (f"  {cpu_us:5.1f} us/req (sys {sys_us:4.1f})" if proc else "") + (f"  non-2xx {non2xx}" if non2xx else "")
                          + (f"  socket errors {sockerr}" if sockerr else ""), flush=True)

        print()
        cpu_model = open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
        print(f"machine: {os.cpu_count()} cores, {cpu_model}, {os_name()}, Linux {os.uname().release}, {java}")
        print(f"wrk -t1, {args.duration}s x {args.rounds} interleaved rounds, 1 KiB responses; medians (min-max)")
        if args.tls:
            print("h2 rows: h2load -t1 over TLS, 16 connections x conns/16 streams; its p50 column is the mean (h2load reports no percentiles)")
        print(f"{'target':8s} {'conns':>5s} {'req/s':>24s} {'ratio':>6s} {'p50 ms':>7s} {'p99 ms':>20s} {'CPU us/req':>11s} {'of it sys':>9s}")
        for (name, conns), rows in results.items():
            rps = [x[0] for x in rows]
            p99 = [x[1] for x in rows]
            cpu = [x[2] for x in rows]
            p50 = [x[5] for x in rows]
            sys_cpu = [x[6] for x in rows]
            direct = statistics.median(x[0] for x in results[("direct", conns)])
            print(f"{name:8s} {conns:5d} {statistics.median(rps):10.0f} ({min(rps):.0f}-{max(rps):.0f}) "
                  f"{statistics.median(rps) / direct:6.2f} {statistics.median(p50):7.2f} {statistics.median(p99):7.2f} ({min(p99):.2f}-{max(p99):.2f}) "
                  + (f"{statistics.median(cpu):11.1f} {statistics.median(sys_cpu):9.1f}" if name != "direct" else f"{'-':>11s}"))
        for (name, conns), rows in redis_per_request.items():
            print(f"{name:8s} {conns:5d} Redis script calls per admitted request (INFO commandstats): "
                  f"{statistics.median(rows):.4f} ({min(rows):.4f}-{max(rows):.4f})")
        for (name, conns), rows in by_calls.items():
            print(f"{name:8s} {conns:5d} per request: {statistics.median(r[0] for r in rows):.3f} read calls, "
                  f"{statistics.median(r[1] for r in rows):.3f} write calls, {statistics.median(r[2] for r in rows):.3f} context switches")
        for (name, conns), rows in by_segments.items():
            print(f"{name:8s} {conns:5d} per request, whole host: " + ", ".join(
                f"{statistics.median(r[i] for r in rows):.3f} {k.split('.')[1]}" for i, k in enumerate(SEGMENT_COUNTERS)))
        for (name, conns), rows in by_cpu0.items():
            print(f"{name:8s} {conns:5d} CPU 0 per request: origin {statistics.median(r[0] for r in rows):.2f} us, "
                  f"wrk {statistics.median(r[1] for r in rows):.2f} us, CPU 0 idle {statistics.median(r[2] for r in rows):.1%}; "
                  f"context switches per request: origin {statistics.median(r[3] for r in rows):.3f}, wrk {statistics.median(r[4] for r in rows):.3f}; "
                  f"CPU 1 idle {statistics.median(r[6] for r in rows):.1%}; IPIs per request: " + ", ".join(
                      f"{kind} into CPU {cpu} {statistics.median(r[5][2 * k + cpu] for r in rows):.3f}"
                      for k, kind in enumerate(IPI_KINDS) for cpu in (0, 1)))
        for (name, conns), rows in by_alloc.items():
            per_request = [r[0] for r in rows if r[0] is not None]
            print(f"{name:8s} {conns:5d} heap allocated "
                  f"{f'{statistics.median(per_request):.0f} bytes/req' if per_request else 'not counted by this build'}, "
                  f"collections per round {statistics.median(r[1] for r in rows):g} (min-max {min(r[1] for r in rows):g}-{max(r[1] for r in rows):g})")
        for (name, conns), rows in by_exchange.items():
            def over(i):
                return ", ".join(f"{statistics.median(r[i][j] for r in rows):.2%} over {b * 1000:g} ms" for j, b in enumerate(EXCHANGE_BOUNDS))
            print(f"{name:8s} {conns:5d} wrk's p99 {statistics.median(r[0] for r in rows):.2f} ms; the gateway's exchanges: "
                  f"{over(1)}; its origin's answers: {over(2)}")
        for (name, conns), rows in by_tail.items():
            print(f"{name:8s} {conns:5d} latency ms: " + ", ".join(
                f"{'max' if p == 100 else f'p{p:g}'} {statistics.median(r[p] for r in rows if p in r):.2f}"
                for p in TAIL_PERCENTILES + (100,)))
        stalls.report(by_stalls)
        for (name, conns, thread), rows in sorted(by_thread.items()):
            if statistics.median(rows) >= 0.05:
                print(f"{name:8s} {conns:5d} thread {thread:24s} {statistics.median(rows):5.2f} us/req"
                      f"  (rounds: {' '.join(f'{v:.2f}' for v in rows)})")
    finally:
        for p in procs.values():
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        log.close()


if __name__ == "__main__":
    main()
