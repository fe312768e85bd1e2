package dev.edgegateway.proxy.rollout;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One cluster's requests in one rollout step: how many, how many failed (5xx, the gateway's own
 * included), and their latencies in a log-scale histogram ({@link #BUCKETS} buckets, each 25%
 * wider than the one before, from 250 us; the last holds everything slower). Mutable; owned by
 * one thread.
 */
final class Counts {
    static final int BUCKETS = 58;
    private static final long FIRST_BOUND_NANOS = 250_000;
    /** Upper bound of each bucket, nanoseconds (the last is open). */
    private static final long[] BOUNDS = new long[BUCKETS];

    static {
        double b = FIRST_BOUND_NANOS;
        for (int i = 0; i < BUCKETS; i++) {
            BOUNDS[i] = (long) b;
            b *= 1.25;
        }
        BOUNDS[BUCKETS - 1] = Long.MAX_VALUE;
    }

    long requests;
    long errors;
    final long[] histogram = new long[BUCKETS];

    static int bucket(long nanos) {
        // Few enough buckets that a scan beats a logarithm on this path.
        for (int i = 0; i < BUCKETS - 1; i++) {
            if (nanos <= BOUNDS[i]) {
                return i;
            }
        }
        return BUCKETS - 1;
    }

    void clear() {
        requests = 0;
        errors = 0;
        Arrays.fill(histogram, 0);
    }

    void add(Counts other) {
        requests += other.requests;
        errors += other.errors;
        for (int i = 0; i < BUCKETS; i++) {
            histogram[i] += other.histogram[i];
        }
    }

    /** Errors over requests; 0 with no requests. */
    double errorRatio() {
        return requests == 0 ? 0 : (double) errors / requests;
    }

    /** The 99th percentile latency, as the upper bound of its bucket (so never under the true figure); -1 with no requests. */
    long p99Nanos() {
        long total = 0;
        for (long c : histogram) {
            total += c;
        }
        if (total == 0) {
            return -1;
        }
        long rank = (long) Math.ceil(total * 0.99);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += histogram[i];
            if (seen >= rank) {
                return i == BUCKETS - 1 ? BOUNDS[BUCKETS - 2] * 2 : BOUNDS[i];
            }
        }
        return BOUNDS[BUCKETS - 2];
    }

    /** The non-zero counts as Redis hash fields and increments, each field prefixed ({@code c.} canary, {@code s.} stable). */
    void appendFields(String prefix, List<String> out) {
        if (requests == 0) {
            return;
        }
        out.add(prefix + "req");
        out.add(Long.toString(requests));
        if (errors > 0) {
            out.add(prefix + "err");
            out.add(Long.toString(errors));
        }
        for (int i = 0; i < BUCKETS; i++) {
            if (histogram[i] > 0) {
                out.add(prefix + i);
                out.add(Long.toString(histogram[i]));
            }
        }
    }

    /** Counts read back from a Redis hash with {@link #appendFields}'s fields. */
    static Counts fromFields(String prefix, Map<String, Long> fields) {
        Counts c = new Counts();
        fields.forEach((k, v) -> {
            if (!k.startsWith(prefix)) {
                return;
            }
            String f = k.substring(prefix.length());
            switch (f) {
                case "req" -> c.requests = v;
                case "err" -> c.errors = v;
                default -> {
                    int i = Integer.parseInt(f);
                    if (i >= 0 && i < BUCKETS) {
                        c.histogram[i] = v;
                    }
                }
            }
        });
        return c;
    }
}
