package dev.edgegateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.edgegateway.config.RateLimitConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Token buckets in this gateway's memory ({@link LocalBucket}), one per key, held in a Caffeine
 * cache bounded by {@code maxKeys} (least recently used evicted first) and dropped once idle for
 * longer than the slowest limit takes to refill: a bucket that would be full again anyway carries
 * no state worth keeping. A key longer than 64 characters is held as its digest
 * ({@link Policy#stored}), so each bucket's entry is bounded in bytes too (about 250: key, bucket,
 * cache node), and a flood of distinct keys of any length costs at most {@code maxKeys} of them.
 */
final class LocalPolicy extends Policy {
    private final Cache<String, LocalBucket> buckets;
    private final Function<String, LocalBucket> newBucket;
    private final LongSupplier nanoClock;

    LocalPolicy(RateLimitConfig config, LongSupplier nanoClock) {
        super(config);
        this.nanoClock = nanoClock;
        LocalBucket.Shape shape = new LocalBucket.Shape(config.limits());
        newBucket = k -> new LocalBucket(shape, nanoClock.getAsLong());
        // Idle past the slowest limit's refill from empty (its burst in nanoseconds), a bucket is full again.
        Duration idle = Duration.ofNanos(Arrays.stream(shape.capacity).max().orElse(0));
        buckets = Caffeine.newBuilder()
                .maximumSize(config.maxKeys())
                .expireAfterAccess(idle.plusSeconds(1))
                .executor(Runnable::run) // maintenance on the calling thread: no pool hops
                .ticker(nanoClock::getAsLong) // the bucket's reading, not a second one per lookup
                .build();
    }

    @Override
    public boolean check(String key, Verdict verdict, ScheduledExecutorService loop, Runnable done) {
        buckets.get(stored(key), newBucket).take(nanoClock.getAsLong(), verdict);
        return true;
    }

    /** Buckets held now (after pending evictions); for tests and the memory bound. */
    long size() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }
}
