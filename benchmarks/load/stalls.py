"""Where a proxy's requests wait, from the wire: compare.py --stalls.

During a measured round, tcpdump on loopback (the client's and the origin's ports) and
`perf sched record` on the proxy's CPU run on CPU 0 for a couple of seconds. Each request carries
an id (x-id, from a wrk script), so its four packets are matched: client to proxy, proxy to origin,
origin to proxy, proxy to client. From them:

- the proxy's hold of a request and of a response, the origin's time (its CPU's queue included),
  and the client's cycle (a request to the next one on the same connection);
- stalls: a packet into the proxy that waited over STALL_SECONDS with nothing at all coming out of
  it (every proxy here forwards continuously under load, so such a gap is its CPU not running it);
- for each stall, what ran on the proxy's CPU meanwhile (perf sched's per-task run times).
- the proxy's event loop (its busiest thread) runnable but not running for over WAIT_SECONDS, and
  who held the CPU meanwhile (perf sched's scheduling delay): its own JVM's threads, another
  process's, the kernel's. Only the waits CPU 1's events show (see loop_waits).
"""
import collections
import os
import re
import statistics
import struct
import subprocess
import time

STALL_SECONDS = 0.0008
# The event loop runnable this long without the CPU (perf sched's delay) counts as a wait.
WAIT_SECONDS = 0.0003
# wrk's per-request hook: the id as a header; a `done` can be appended (compare.py's tail script).
ID_SCRIPT = ("counter = 0\nrequest = function()\n  counter = counter + 1\n"
             "  wrk.headers[\"x-id\"] = tostring(counter)\n  return wrk.format()\nend\n")


class Capture:
    """tcpdump and perf sched on CPU 0, from `delay` seconds into a round for `seconds`."""

    def __init__(self, work, name, front, origin, proxy_cpu, delay, seconds):
        self.front, self.origin = front, origin
        # Not in the work directory itself: the gateway watches its config's directory, and each
        # file written there would wake its watch thread on the proxy's CPU.
        os.makedirs(f"{work}/capture", exist_ok=True)
        self.pcap, self.sched = f"{work}/capture/{name}.pcap", f"{work}/capture/{name}.sched"
        self.offset = time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_MONOTONIC)
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs = [
            subprocess.Popen(["taskset", "-c", "0", "sh", "-c", f"sleep {delay}; exec timeout {seconds} tcpdump -i lo -B 32768 -s 160 "
                              f"-w {self.pcap} 'tcp port {front} or tcp port {origin}'"], **quiet),
            subprocess.Popen(["taskset", "-c", "0", "sh", "-c", f"sleep {delay}; exec perf sched record -k CLOCK_MONOTONIC "
                              f"-C {proxy_cpu} -o {self.sched} -- sleep {seconds}"], **quiet)]

    def analyse(self, proxy_pids):
        for p in self.procs:
            p.wait()
        try:
            return analyse(self.pcap, self.sched, self.front, self.origin, self.offset, set(proxy_pids))
        finally:
            for f in (self.pcap, self.sched):
                if os.path.exists(f) and not os.environ.get("EDGE_BENCH_KEEP_CAPTURE"):
                    os.remove(f)


def packets(path):
    """(time, source port, destination port, payload) of each IPv4 TCP segment with a payload."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        nano = struct.unpack("<I", head[:4])[0] == 0xa1b23c4d
        link = struct.unpack("<I", head[20:24])[0]
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            s, frac, incl, _ = struct.unpack("<IIII", h)
            data = f.read(incl)
            ip = data[14 if link == 1 else 16:]
            if not ip or ip[0] >> 4 != 4:
                continue
            ihl = (ip[0] & 15) * 4
            tcp = ip[ihl:]
            size = struct.unpack(">H", ip[2:4])[0] - ihl - (tcp[12] >> 4) * 4
            if size > 0:
                sport, dport = struct.unpack(">HH", tcp[:4])
                yield s + frac / (1e9 if nano else 1e6), sport, dport, tcp[(tcp[12] >> 4) * 4:]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def runs_on_cpu(sched):
    """(start, end, comm, pid, delay, tid) of each stretch a task ran, from perf sched timehist
    (monotonic seconds; delay: how long it had been runnable before it ran, as CPU 1's events show it)."""
    out = subprocess.run(["perf", "sched", "timehist", "-i", sched], capture_output=True, text=True).stdout
    runs = []
    for line in out.splitlines()[3:]:
        # "  time [cpu]  comm[tid/pid]  wait  delay  run"; a thread's name may hold spaces ("VM Thread")
        m = re.match(r"\s*([\d.]+)\s+\[\d+\]\s+(.*?)(?:\[(\d+)(?:/(\d+))?\])?\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if m:
            end, ran = float(m.group(1)), float(m.group(6)) / 1e3
            runs.append((end - ran, end, re.sub(r"-\d+$", "", m.group(2)), int(m.group(4) or m.group(3) or 0),
                         float(m.group(5)) / 1e3, int(m.group(3) or 0)))
    return runs


def loop_waits(runs, proxy_pids):
    """The proxy's busiest thread (its event loop): how often it waited runnable over WAIT_SECONDS,
    and who held the CPU meanwhile (seconds, by name). Only the waits CPU 1's own events show: a
    preemption, or a wake-up done on CPU 1 (the gateway's nap timer). A wake-up that another CPU
    did onto a busy CPU 1 is recorded on that CPU, so HAProxy's waits are undercounted."""
    busy = collections.Counter()
    for a, b, comm, pid, delay, tid in runs:
        if pid in proxy_pids:
            busy[tid] += b - a
    if not busy:
        return 0, collections.Counter()
    loop = busy.most_common(1)[0][0]
    waits, held = 0, collections.Counter()
    for i, (a, b, comm, pid, delay, tid) in enumerate(runs):
        if tid != loop or delay <= WAIT_SECONDS:
            continue
        waits += 1
        for a2, b2, comm2, pid2, _, _ in runs[max(0, i - 100):i]:
            overlap = min(b2, a) - max(a2, a - delay)
            if overlap > 0:
                held[("the proxy: " if pid2 in proxy_pids else "") + comm2] += overlap
    return waits, held


def analyse(pcap, sched, front, origin, offset, proxy_pids):
    sent, forwarded, answered, returned, nxt = {}, {}, {}, {}, {}
    client_open, origin_open, last_back = {}, {}, {}
    stalls, waiting = [], None
    for t, sport, dport, data in packets(pcap):
        into = dport == front or sport == origin
        if into and waiting is None:
            waiting = t
        elif not into:
            if waiting is not None and t - waiting > STALL_SECONDS:
                stalls.append((waiting - offset, t - offset))
            waiting = None
        if dport == front or dport == origin:
            m = re.search(rb"x-id: (\d+)", data)
            if not m:
                continue
            i = int(m.group(1))
            if dport == front:
                sent[i] = t
                client_open[sport] = i
                if sport in last_back:
                    nxt[last_back.pop(sport)] = t
            else:
                forwarded[i] = t
                origin_open[sport] = i
        elif data[:5] == b"HTTP/":
            if sport == origin and dport in origin_open:
                answered[origin_open.pop(dport)] = t
            elif sport == front and dport in client_open:
                i = client_open.pop(dport)
                returned[i] = t
                last_back[dport] = i
    ids = [i for i in sent if i in forwarded and i in answered and i in returned]
    span = max(1e-9, max(returned.values(), default=0) - min(sent.values(), default=0))
    parts = {
        "holds a request": [forwarded[i] - sent[i] for i in ids],
        "origin": [answered[i] - forwarded[i] for i in ids],
        "holds a response": [returned[i] - answered[i] for i in ids],
        "cycle": [nxt[i] - sent[i] for i in ids if i in nxt],
    }
    who = collections.Counter()
    runs = runs_on_cpu(sched)
    for s, e in stalls:
        took = collections.Counter()
        for a, b, comm, pid, _, _ in runs:
            overlap = min(b, e) - max(a, s)
            if overlap > 0:
                took[("the proxy: " if pid in proxy_pids else "") + comm] += overlap
        if took:
            who[took.most_common(1)[0][0]] += 1
    waits, held = loop_waits(runs, proxy_pids)
    sched_span = max(1e-9, max((r[1] for r in runs), default=0) - min((r[0] for r in runs), default=0))
    return {"requests": len(ids), "parts": {k: {p: pct(v, p) * 1e3 for p in (50, 90, 99)} for k, v in parts.items()},
            "stalls/s": len(stalls) / span, "stall ms/s": sum(e - s for s, e in stalls) * 1e3 / span,
            "stalls by who ran most": {k: v / span for k, v in who.items()},
            "loop waits/s": waits / sched_span, "loop held by": {k: v * 1e3 / sched_span for k, v in held.items()}}


def report(rows_by_target):
    """Medians over the rounds, one block per (target, connections)."""
    for (name, conns), rows in rows_by_target.items():
        rows = [r for r in rows if r["requests"]]
        if not rows:
            print(f"{name:8s} {conns:5d} stalls: no request matched (a script of the target's own replaced the ids)")
            continue
        print(f"{name:8s} {conns:5d} from the wire ({statistics.median(r['requests'] for r in rows):.0f} requests a round), ms: " + "; ".join(
            f"{k} " + " ".join(f"p{p} {statistics.median(r['parts'][k][p] for r in rows):.3f}" for p in (50, 90, 99))
            for k in rows[0]["parts"]))
        names = collections.Counter()
        for r in rows:
            names.update(r["stalls by who ran most"])
        print(f"{name:8s} {conns:5d} stalls over {STALL_SECONDS * 1e3:g} ms: {statistics.median(r['stalls/s'] for r in rows):.1f}/s, "
              f"{statistics.median(r['stall ms/s'] for r in rows):.1f} ms/s; who ran most of each on the proxy's CPU, per s: "
              + (", ".join(f"{k} {v / len(rows):.1f}" for k, v in names.most_common(8)) or "-"))
        held = collections.Counter()
        for r in rows:
            held.update(r["loop held by"])
        print(f"{name:8s} {conns:5d} its loop runnable and waiting over {WAIT_SECONDS * 1e3:g} ms: "
              f"{statistics.median(r['loop waits/s'] for r in rows):.1f}/s; who held its CPU meanwhile, ms/s: "
              + (", ".join(f"{k} {v / len(rows):.2f}" for k, v in held.most_common(8)) or "-"))
