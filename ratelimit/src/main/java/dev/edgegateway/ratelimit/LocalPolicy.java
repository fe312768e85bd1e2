package dev.edgegateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
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
 *
 * <p>In front of the cache, each thread that decides (an event loop) keeps the buckets of the last
 * few keys it saw ({@link Front}): a hit there takes the token without the cache's bookkeeping
 * (its lookup, read buffer and maintenance were most of what a local limit cost per request). The
 * front never outlives the cache's view: a bucket the cache has dropped is marked and looked up
 * again, and a key served from the front is looked up in the cache at least every
 * {@link #TOUCH_NANOS}, so the cache still sees it used (its expiry and its frequency sketch).
 */
final class LocalPolicy extends Policy {
    /** How often a key served from a front is looked up in the cache all the same: well inside the shortest expiry (1 s). */
    static final long TOUCH_NANOS = 100_000_000L;
    /** Slots per thread's front (a power of two), and how many threads get one. */
    private static final int SLOTS = 64;
    private static final int MAX_FRONTS = 256;

    private final Cache<String, LocalBucket> buckets;
    private final Function<String, LocalBucket> newBucket;
    private final LongSupplier nanoClock;
    private volatile Front[] fronts = new Front[0];

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
                .removalListener((String k, LocalBucket b, RemovalCause cause) -> {
                    if (b != null) {
                        b.dropped = true; // a front holding it looks the key up again
                    }
                })
                .build();
    }

    @Override
    public boolean answersAtOnce() {
        return true;
    }

    @Override
    public boolean check(String key, Verdict verdict, ScheduledExecutorService loop, Runnable done) {
        String k = stored(key);
        Front f = k == key ? front() : null; // a digest is made per request anyway: those go to the cache
        if (f == null) {
            LocalBucket b = buckets.get(k, newBucket);
            b.take(nanoClock.getAsLong(), verdict); // read after the lookup: never before a new bucket's start
            return true;
        }
        long now = nanoClock.getAsLong();
        int slot = k.hashCode() & SLOTS - 1;
        LocalBucket b = f.buckets[slot];
        if (b == null || b.dropped || now - f.touched[slot] >= TOUCH_NANOS || !k.equals(f.keys[slot])) {
            b = buckets.get(k, newBucket);
            now = nanoClock.getAsLong();
            f.keys[slot] = k;
            f.buckets[slot] = b;
            f.touched[slot] = now;
        }
        b.take(now, verdict);
        return true;
    }

    /** The calling thread's front, made on its first decision; null past {@link #MAX_FRONTS} threads. */
    private Front front() {
        Thread t = Thread.currentThread();
        for (Front f : fronts) {
            if (f.thread == t) {
                return f;
            }
        }
        synchronized (this) {
            Front[] all = fronts;
            for (Front f : all) {
                if (f.thread == t) {
                    return f;
                }
            }
            if (all.length == MAX_FRONTS) {
                return null;
            }
            Front f = new Front(t);
            Front[] more = Arrays.copyOf(all, all.length + 1);
            more[all.length] = f;
            fronts = more;
            return f;
        }
    }

    /** One thread's recently used keys, direct-mapped by hash; confined to that thread. */
    private static final class Front {
        final Thread thread;
        final String[] keys = new String[SLOTS];
        final LocalBucket[] buckets = new LocalBucket[SLOTS];
        /** When each slot's key was last looked up in the cache. */
        final long[] touched = new long[SLOTS];

        Front(Thread thread) {
            this.thread = thread;
        }
    }

    /** Drops a key's bucket from the cache, as an eviction would; for tests. */
    void evict(String key) {
        buckets.invalidate(stored(key));
    }

    /** Buckets held now (after pending evictions); for tests and the memory bound. */
    long size() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }
}
