package dev.edgegateway.ratelimit;

import dev.edgegateway.config.RateLimitConfig;
import java.util.Arrays;
import java.util.List;

/**
 * One key's token buckets (one per limit of its policy) as the generic cell rate algorithm keeps
 * them: per limit one number, the time at which the bucket would be full again (its "theoretical
 * arrival time"). A request takes a token from every limit or from none. Equivalent to a token
 * bucket of {@code burst} tokens refilled continuously at {@code rate} (bucket4j's greedy refill,
 * which this replaces): the bucket holds {@code (interval x burst - (tat - now)) / interval}
 * tokens. A decision reads the clock once and allocates nothing; thread-safe (a key's requests may
 * arrive on several event loops), holding the bucket's monitor for a few arithmetic steps.
 */
final class LocalBucket {
    /** Per limit: nanoseconds per token (rounded up: never faster than the rate), and the burst in nanoseconds. */
    static final class Shape {
        final long[] interval;
        final long[] capacity;

        Shape(List<RateLimitConfig.Limit> limits) {
            interval = new long[limits.size()];
            capacity = new long[limits.size()];
            for (int i = 0; i < interval.length; i++) {
                RateLimitConfig.Limit l = limits.get(i);
                long period = l.rate().period().toNanos();
                interval[i] = Math.max(1, (period + l.rate().tokens() - 1) / l.rate().tokens());
                long cap = interval[i] * l.burst();
                capacity[i] = Math.multiplyHigh(interval[i], l.burst()) != 0 || cap < 0 ? Long.MAX_VALUE / 4 : cap;
            }
        }
    }

    private final Shape shape;
    /** Set once the policy's cache has dropped this bucket: a thread's front stops using it. */
    volatile boolean dropped;
    /** Per limit: when the bucket is full again; at or before now, it is full. */
    private final long[] tat;

    LocalBucket(Shape shape, long now) {
        this.shape = shape;
        this.tat = new long[shape.interval.length];
        Arrays.fill(tat, now);
    }

    /** Takes a token from every limit if each has one, and says so in {@code verdict}. */
    synchronized void take(long now, Verdict verdict) {
        long[] interval = shape.interval;
        long[] capacity = shape.capacity;
        long remaining = Long.MAX_VALUE;
        long wait = 0;
        for (int i = 0; i < tat.length; i++) {
            long next = Math.max(tat[i], now) + interval[i] - now; // the bucket's deficit after taking one
            if (next > capacity[i]) {
                wait = Math.max(wait, next - capacity[i]);
            } else {
                remaining = Math.min(remaining, (capacity[i] - next) / interval[i]);
            }
        }
        if (wait > 0) {
            verdict.set(Verdict.Decision.LIMITED, 0, wait, Math.max(0, tat[0] - now));
            return;
        }
        for (int i = 0; i < tat.length; i++) {
            tat[i] = Math.max(tat[i], now) + interval[i];
        }
        verdict.set(Verdict.Decision.ALLOWED, remaining, 0, tat[0] - now);
    }
}
