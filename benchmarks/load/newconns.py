#!/usr/bin/env python3
"""Bursts of new connections against a proxy: each of N connections opens, sends one GET, reads the
1 KiB answer and closes; the next burst starts when the last answer is in. Prints the median over the
bursts of each burst's median and largest first-request latency (the request's send to its answer read).

Run it under `perf stat -p <proxy pid> -e task-clock,raw_syscalls:sys_enter,context-switches -- ...` for
the proxy's CPU, system calls and context switches per connection (divide by bursts x connections).
Each burst's sockets bind a different 127.0.0.x, so the closed connections' TIME_WAIT entries
(about 60 s each) never run a source address out of ports.

usage: benchmarks/load/newconns.py PORT [--bursts 40] [--connections 64] [--host local] [--path /1k.bin]
"""
import argparse
import os
import select
import socket
import statistics
import time


def burst(port, n, request, source):
    ep = select.epoll()
    socks, sent, done, got = {}, {}, {}, {}
    try:
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.bind((source, 0))
            s.connect_ex(("127.0.0.1", port))
            socks[s.fileno()] = s
            got[s.fileno()] = b""
            ep.register(s.fileno(), select.EPOLLOUT)
        while len(done) < n:
            events = ep.poll(10)
            if not events:
                raise SystemExit(f"port {port}: no answer for 10 s ({len(done)} of {n} in)")
            for fd, ev in events:
                s = socks[fd]
                if ev & select.EPOLLERR and fd not in done:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    raise SystemExit(f"port {port}: a connection failed: {os.strerror(err) if err else 'reset'}")
                if fd not in sent and ev & select.EPOLLOUT:
                    s.send(request)
                    sent[fd] = time.perf_counter()
                    ep.modify(fd, select.EPOLLIN)
                elif ev & (select.EPOLLIN | select.EPOLLHUP):
                    data = s.recv(65536)
                    got[fd] += data
                    head, sep, body = got[fd].partition(b"\r\n\r\n")
                    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), None)
                    if not data or sep and length is not None and len(body) >= length:
                        done[fd] = time.perf_counter()
                        ep.unregister(fd)
    finally:
        for s in socks.values():
            s.close()
        ep.close()
    latencies = sorted((done[fd] - sent[fd]) * 1000 for fd in done)
    return statistics.median(latencies), latencies[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--bursts", type=int, default=40)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--host", default="local")
    ap.add_argument("--path", default="/1k.bin")
    args = ap.parse_args()
    request = f"GET {args.path} HTTP/1.1\r\nHost: {args.host}\r\n\r\n".encode()
    results = [burst(args.port, args.connections, request, f"127.0.0.{2 + i % 250}") for i in range(args.bursts)]
    print(f"port {args.port}: {args.bursts} bursts of {args.connections} new connections; first request's latency, "
          f"median of the bursts' medians {statistics.median(r[0] for r in results):.2f} ms, "
          f"of their largest {statistics.median(r[1] for r in results):.2f} ms")


if __name__ == "__main__":
    main()
