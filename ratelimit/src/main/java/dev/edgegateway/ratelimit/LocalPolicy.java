package dev.edgegateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.edgegateway.config.RateLimitConfig;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.local.LocalBucketBuilder;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * Token buckets in this gateway's memory (bucket4j, lock-free), one per key, held in a Caffeine
 * cache bounded by {@code maxKeys} (least recently used evicted first) and dropped once idle for
 * longer than the slowest limit takes to refill: a bucket that would be full again anyway carries
 * no state worth keeping. A key longer than 64 characters is held as its digest
 * ({@link Policy#stored}), so each bucket's entry is bounded in bytes too (about 400: key, bucket,
 * cache node), and a flood of distinct keys of any length costs at most {@code maxKeys} of them.
 */
final class LocalPolicy extends Policy {
    private final Cache<String, Bucket> buckets;
    private final Function<String, Bucket> newBucket = k -> newBucket();

    LocalPolicy(RateLimitConfig config) {
        super(config);
        Duration idle = Duration.ZERO;
        for (RateLimitConfig.Limit l : config.limits()) {
            Duration refill = Duration.ofNanos((long) (l.burst() * 1e9 / l.rate().perSecond()));
            if (refill.compareTo(idle) > 0) {
                idle = refill;
            }
        }
        buckets = Caffeine.newBuilder()
                .maximumSize(config.maxKeys())
                .expireAfterAccess(idle.plusSeconds(1))
                .executor(Runnable::run) // maintenance on the calling thread: no pool hops
                .build();
    }

    private Bucket newBucket() {
        LocalBucketBuilder b = Bucket.builder();
        for (RateLimitConfig.Limit l : config.limits()) {
            b.addLimit(Bandwidth.builder().capacity(l.burst()).refillGreedy(l.rate().tokens(), l.rate().period()).build());
        }
        return b.build();
    }

    @Override
    public boolean check(String key, Verdict verdict, ScheduledExecutorService loop, Runnable done) {
        Bucket bucket = buckets.get(stored(key), newBucket);
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        RateLimitConfig.Limit first = config.limits().get(0);
        long remaining = probe.getRemainingTokens();
        long reset = (long) ((first.burst() - Math.min(first.burst(), remaining)) * 1e9 / first.rate().perSecond());
        if (probe.isConsumed()) {
            verdict.set(Verdict.Decision.ALLOWED, remaining, 0, reset);
        } else {
            verdict.set(Verdict.Decision.LIMITED, 0, probe.getNanosToWaitForRefill(), reset);
        }
        return true;
    }

    /** Buckets held now (after pending evictions); for tests and the memory bound. */
    long size() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }
}
