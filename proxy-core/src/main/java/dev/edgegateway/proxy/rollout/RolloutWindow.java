package dev.edgegateway.proxy.rollout;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where a rollout route's exchanges are counted as they end, on any event loop: requests, errors
 * and latency for the canary and the stable cluster, drained by the rollout's tick. Nothing is
 * allocated per request; each exchange costs three uncontended-in-the-common-case adds. A drain
 * loses nothing (each cell is read and zeroed at once) and an exchange that lands during one
 * is counted in the next. Thread-safe.
 */
public final class RolloutWindow {
    private final int canarySlot;
    private final Side canary = new Side();
    private final Side stable = new Side();

    private static final class Side {
        final LongAdder requests = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder[] histogram = new LongAdder[Counts.BUCKETS];

        Side() {
            for (int i = 0; i < histogram.length; i++) {
                histogram[i] = new LongAdder();
            }
        }

        void drainInto(Counts c) {
            c.requests += requests.sumThenReset();
            c.errors += errors.sumThenReset();
            for (int i = 0; i < histogram.length; i++) {
                c.histogram[i] += histogram[i].sumThenReset();
            }
        }
    }

    /** @param canarySlot the canary cluster's slot in the route's cluster list (the other is stable) */
    RolloutWindow(int canarySlot) {
        this.canarySlot = canarySlot;
    }

    /** An exchange sent to the cluster in {@code clusterSlot} ended with {@code status} after {@code nanos}. */
    public void record(int clusterSlot, int status, long nanos) {
        if (status <= 0) {
            return; // the client left before any answer: says nothing about the cluster
        }
        Side s = clusterSlot == canarySlot ? canary : stable;
        s.requests.increment();
        if (status >= 500) {
            s.errors.increment();
        }
        s.histogram[Counts.bucket(nanos)].increment();
    }

    void drainInto(Counts canaryOut, Counts stableOut) {
        canary.drainInto(canaryOut);
        stable.drainInto(stableOut);
    }
}
