package dev.edgegateway.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Requests, latency, bytes and stickiness for one (route, cluster), registered once per config
 * snapshot; recording is an array lookup and a few adds. Thread-safe (Micrometer's meters).
 */
public final class RouteMetrics {
    private final Counter[] byStatusClass = new Counter[6];
    private final Timer duration;
    private final Counter stickyHits;
    private final Counter stickyMisses;
    private final Counter bytesIn;
    private final Counter bytesOut;
    /** The cluster's own meters, resolved with the snapshot; null before a cluster is chosen. */
    private final GatewayMetrics.ClusterMetrics clusterMeters;

    RouteMetrics(MeterRegistry registry, String route, String cluster, GatewayMetrics.ClusterMetrics clusterMeters) {
        this.clusterMeters = clusterMeters;
        String[] classes = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 0; i < classes.length; i++) {
            byStatusClass[i] = Counter.builder("edge.downstream.requests")
                    .description("Requests answered, by route, cluster and status class")
                    .tags("route", route, "cluster", cluster, "status_class", classes[i]).register(registry);
        }
        duration = Timer.builder("edge.downstream.request.duration")
                .description("Time from a request's first line to the last byte of its response")
                .tags("route", route, "cluster", cluster)
                .serviceLevelObjectives(GatewayMetrics.LATENCY_BUCKETS)
                .minimumExpectedValue(GatewayMetrics.LATENCY_BUCKETS[0])
                .maximumExpectedValue(GatewayMetrics.LATENCY_BUCKETS[GatewayMetrics.LATENCY_BUCKETS.length - 1])
                .register(registry);
        bytesIn = Counter.builder("edge.downstream.request.bytes").description("Request body bytes received from clients")
                .baseUnit("bytes").tags("route", route, "cluster", cluster).register(registry);
        bytesOut = Counter.builder("edge.downstream.response.bytes").description("Response body bytes sent to clients")
                .baseUnit("bytes").tags("route", route, "cluster", cluster).register(registry);
        stickyHits = Counter.builder("edge.sticky").description("Sticky routes: the client's endpoint was available (hit) or a new one was chosen (miss)")
                .tags("route", route, "cluster", cluster, "result", "hit").register(registry);
        stickyMisses = Counter.builder("edge.sticky").description("Sticky routes: the client's endpoint was available (hit) or a new one was chosen (miss)")
                .tags("route", route, "cluster", cluster, "result", "miss").register(registry);
    }

    /** Requests answered so far, every status class (the console's rates are differences of these). */
    public long answered() {
        long n = 0;
        for (Counter c : byStatusClass) {
            n += (long) c.count();
        }
        return n;
    }

    /** Requests answered 5xx so far. */
    public long answered5xx() {
        return (long) byStatusClass[5].count();
    }

    /** The meters of this route's cluster (its origin latency), null for the requests answered before one was chosen. */
    public GatewayMetrics.ClusterMetrics clusterMeters() {
        return clusterMeters;
    }

    public void sticky(boolean hit) {
        (hit ? stickyHits : stickyMisses).increment();
    }

    public void bytes(long in, long out) {
        if (in > 0) {
            bytesIn.increment(in);
        }
        if (out > 0) {
            bytesOut.increment(out);
        }
    }

    public void record(int status, long elapsedNanos) {
        int c = status / 100;
        byStatusClass[c >= 1 && c <= 5 ? c : 0].increment();
        duration.record(elapsedNanos, TimeUnit.NANOSECONDS);
    }
}
