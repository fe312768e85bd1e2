package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thousand reloads that add and remove endpoints, routes, clusters and rate-limit policies,
 * under load: once the config is back where it began, the gateway's {@code /metrics} series, its
 * heap after a full collection, its threads and its open files end where they started (series
 * exactly; heap no more than 5% above), and no request failed. Figures are printed for the note.
 */
class ReloadSoakTest {
    static final String TOKEN = "soak-token";
    static final int RELOADS = 1000;

    @TempDir
    Path dir;

    /**
     * The gateway's own threads (event loops, its executors, the Redis client's): what a reload
     * that leaks would add. Not the whole JVM's, where this test's HTTP client and other tests'
     * leftovers come and go on their own.
     */
    static int gatewayThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && (t.getName().startsWith("edge-") || t.getName().startsWith("lettuce-"))) {
                n++;
            }
        }
        return n;
    }

    /** Reload {@code i}: the base routes, plus a route, a cluster and a policy named after {@code i}, on a changing set of endpoints. */
    static String config(Path token, String[] origins, int i) {
        StringBuilder extra = new StringBuilder();
        StringBuilder clusters = new StringBuilder();
        if (i >= 0) {
            String name = "r" + i;
            extra.append("  - name: ").append(name).append("\n    match: {pathPrefix: /").append(name).append("}\n    cluster: c").append(i)
                    .append("\n    rateLimits: [{name: p").append(i).append(", key: [{clientAddress: true}], limits: [{rate: 100/s}]}]\n");
            clusters.append("  - {name: c").append(i).append(", endpoints: [\"").append(origins[i % origins.length]).append("\"]}\n");
        }
        String appEndpoints = i < 0 ? "\"" + origins[0] + "\"" : "\"" + origins[0] + "\", \"" + origins[1 + (i % (origins.length - 1))] + "\"";
        return """
                listeners: [{name: public, address: 127.0.0.1:0}]
                admin: {address: 127.0.0.1:0, tokenEnv: EDGE_SOAK_UNSET, tokenFile: %s}
                routes:
                %s  - name: app
                    cluster: app
                    rateLimits: [{name: base, key: [{clientAddress: true}], limits: [{rate: 100000/s}]}]
                clusters:
                  - {name: app, endpoints: [%s]}
                %s""".formatted(token, extra, appEndpoints, clusters);
    }

    @Test
    void aThousandReloadsUnderLoadLeaveSeriesHeapThreadsAndFilesWhereTheyWere() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        try (TestOrigin a = new TestOrigin("a"); TestOrigin b = new TestOrigin("b"); TestOrigin c = new TestOrigin("c");
             GatewayFixture gw = new GatewayFixture(config(token, new String[] {a.address(), b.address(), c.address()}, -1))) {
            String[] origins = {a.address(), b.address(), c.address()};
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong ok = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            Thread load = new Thread(() -> {
                try (RawHttp http = new RawHttp(gw.port())) {
                    while (!stop.get()) {
                        http.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
                        (http.read().status() == 200 ? ok : failed).incrementAndGet();
                    }
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
            });
            load.start();
            // Warm up: the lazily made parts (pools, JIT, the admin client) exist before the baseline is taken.
            for (int i = 0; i < 50; i++) {
                put(gw, config(token, origins, i));
            }
            put(gw, config(token, origins, -1));
            long seriesBefore = gw.edgeSeries().size();
            // The test's origins keep every request they saw (for other tests' assertions): not the gateway's heap.
            for (TestOrigin o : new TestOrigin[] {a, b, c}) {
                o.seen.clear();
            }
            long heapBefore = liveHeap();
            int threadsBefore = gatewayThreads();
            long filesBefore = openFiles();

            long start = System.nanoTime();
            for (int i = 0; i < RELOADS; i++) {
                put(gw, config(token, origins, 1000 + i));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long seriesDuring = gw.edgeSeries().size();
            put(gw, config(token, origins, -1));
            stop.set(true);
            load.join();

            long seriesAfter = gw.edgeSeries().size();
            for (TestOrigin o : new TestOrigin[] {a, b, c}) {
                o.seen.clear();
            }
            long heapAfter = liveHeap();
            int threadsAfter = gatewayThreads();
            long filesAfter = openFiles();
            System.out.printf("soak: %d reloads in %.1f s under load (%d requests, %d failed); series %d -> %d (%d with a reload's extras); "
                            + "live heap %.1f -> %.1f MiB; threads %d -> %d; open files %d -> %d%n",
                    RELOADS, seconds, ok.get(), failed.get(), seriesBefore, seriesAfter, seriesDuring, heapBefore / 1048576.0,
                    heapAfter / 1048576.0, threadsBefore, threadsAfter, filesBefore, filesAfter);
            assertThat(failed.get()).isZero();
            assertThat(ok.get()).isPositive();
            assertThat(seriesAfter).as("series once the config is back").isEqualTo(seriesBefore);
            // Growth is what a leak looks like; less than before is the warm-up's garbage of the baseline going.
            assertThat((double) heapAfter).as("live heap after a full collection").isLessThanOrEqualTo(heapBefore * 1.05);
            assertThat(threadsAfter).isLessThanOrEqualTo(threadsBefore);
            assertThat(filesAfter).isLessThanOrEqualTo(filesBefore);
        }
    }

    static void put(GatewayFixture gw, String yaml) throws Exception {
        HttpResponse<String> r = gw.adminSend("PUT", "/config", yaml, "Bearer " + TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** The heap in use after full collections (the live set), the least of a few tries. */
    static long liveHeap() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }

    static long openFiles() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
