package dev.edgegateway.e2e;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keep-alive clients requesting {@code path} in a loop until stopped, counting statuses. A
 * connection error counts as status -1 and the client reconnects. Bounded: at most
 * {@code maxRequestsPerClient} each.
 */
final class Load implements AutoCloseable {
    final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    final AtomicInteger total = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    Load(int port, String path, int clients, int maxRequestsPerClient) {
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> {
                int sent = 0;
                while (!stop.get() && sent < maxRequestsPerClient) {
                    try (RawHttp http = new RawHttp(port, 10_000)) {
                        while (!stop.get() && sent < maxRequestsPerClient) {
                            sent++;
                            http.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                            RawHttp.Response r = http.read();
                            count(r.status());
                            if (r.status() < 0 || "close".equals(r.header("connection"))) {
                                break;
                            }
                        }
                    } catch (IOException e) {
                        count(-1);
                    }
                }
            }, "load-" + i);
            t.start();
            threads.add(t);
        }
    }

    private void count(int status) {
        total.incrementAndGet();
        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
    }

    int count(int status, boolean exceptStatus) {
        int n = 0;
        for (var e : statuses.entrySet()) {
            if ((e.getKey() == status) != exceptStatus) {
                n += e.getValue().get();
            }
        }
        return n;
    }

    /** Stops the clients and waits for them. */
    @Override
    public void close() {
        stop.set(true);
        try {
            for (Thread t : threads) {
                t.join(20_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every client has sent its requests. */
    void awaitDone() throws InterruptedException {
        for (Thread t : threads) {
            t.join(120_000);
        }
    }
}
