package dev.edgegateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.KeySource;
import dev.edgegateway.config.Rate;
import dev.edgegateway.config.RateLimitConfig;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalPolicyTest {
    private static LocalPolicy policy(int maxKeys, String rate, long burst) {
        return new LocalPolicy(new RateLimitConfig("p", List.of(new KeySource(null, null, true)),
                List.of(new RateLimitConfig.Limit(Rate.parse(rate), burst)), null, null, null, maxKeys), System::nanoTime);
    }

    private static LocalPolicy policy(String rate, long burst, java.util.function.LongSupplier clock) {
        return new LocalPolicy(new RateLimitConfig("p", List.of(new KeySource(null, null, true)),
                List.of(new RateLimitConfig.Limit(Rate.parse(rate), burst)), null, null, null, 100), clock);
    }

    /**
     * A key decided from the thread's front for 20 s (a decision every 50 ms on a clock the test
     * moves) is admitted exactly as the rate allows, and the cache still holds its bucket at the
     * end: it was looked up there often enough not to expire (2 s after its last lookup).
     */
    @Test
    void aKeyDecidedFromTheFrontIsExactAndStaysInTheCache() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
        LocalPolicy p = policy("1/s", 1, now::get);
        Verdict v = new Verdict();
        int admitted = 0;
        for (int i = 0; i <= 400; i++) {
            p.check("k", v, null, null);
            admitted += v.admitted() ? 1 : 0;
            now.addAndGet(50_000_000L);
        }
        assertThat(admitted).as("one at the start, one per second after").isEqualTo(21);
        assertThat(p.size()).isEqualTo(1);
    }

    /** A bucket the cache dropped (evicted) is not used from a front: the key's next decision is the cache's new bucket. */
    @Test
    void aBucketTheCacheDroppedIsNotDecidedFromTheFront() {
        LocalPolicy p = policy("1/h", 2, System::nanoTime);
        Verdict v = new Verdict();
        p.check("k", v, null, null);
        assertThat(v.remaining()).isEqualTo(1);
        p.evict("k");
        p.check("k", v, null, null);
        assertThat(v.remaining()).as("a fresh bucket's").isEqualTo(1);
        p.check("k", v, null, null);
        assertThat(v.remaining()).isEqualTo(0);
    }

    /** Threads with fronts of their own share a key's one bucket: its burst is admitted once in all. */
    @Test
    void threadsWithFrontsOfTheirOwnShareOneBucket() throws Exception {
        LocalPolicy p = policy("1/h", 100, System::nanoTime);
        java.util.concurrent.atomic.AtomicInteger admitted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> runs = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                runs.add(pool.submit(() -> {
                    Verdict v = new Verdict();
                    for (int i = 0; i < 100; i++) {
                        p.check("shared", v, null, null);
                        if (v.admitted()) {
                            admitted.incrementAndGet();
                        }
                    }
                }));
            }
            for (var r : runs) {
                r.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(admitted.get()).isEqualTo(100);
    }

    @Test
    void aBurstIsAdmittedThenRefusedWithTheWaitForTheNextToken() {
        LocalPolicy p = policy(10, "1/s", 3);
        Verdict v = new Verdict();
        for (int i = 0; i < 3; i++) {
            assertThat(p.check("k", v, null, null)).isTrue();
            assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
            assertThat(v.remaining()).isEqualTo(2 - i);
        }
        p.check("k", v, null, null);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.LIMITED);
        assertThat(v.retryAfterNanos()).isBetween(1L, 1_000_000_000L);
        p.check("other", v, null, null);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
    }

    /**
     * A million distinct keys (a spoofed-address flood) against a policy capped at 100,000 keys.
     * Bound: the cache holds at most maxKeys buckets, and the heap after a full GC grows by less
     * than 100 MiB (a bucket, its key and its cache entry cost about 250 bytes).
     */
    @Test
    void aMillionDistinctKeysKeepTheHeapBounded() {
        LocalPolicy p = policy(100_000, "10/s", 20);
        Verdict v = new Verdict();
        var memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        for (int i = 0; i < 1_000_000; i++) {
            p.check("10." + (i >>> 16) + "." + ((i >>> 8) & 255) + "." + (i & 255), v, null, null);
        }
        long size = p.size();
        System.gc();
        long after = memory.getHeapMemoryUsage().getUsed();
        System.out.printf("1,000,000 keys: %d buckets kept, heap +%.1f MiB after GC%n", size, (after - before) / 1048576.0);
        assertThat(size).isLessThanOrEqualTo(100_000);
        assertThat(after - before).isLessThan(100L << 20);
        java.lang.ref.Reference.reachabilityFence(p); // the buckets are measured while held
    }

    /**
     * 100,000 distinct 10 KB keys (a client inventing huge keys): each is held as a 45-character
     * digest, so the heap after a full GC grows by less than 64 MiB, not the gigabyte the keys
     * themselves would take; and two keys that differ only past the 64th character stay apart.
     */
    @Test
    void tenKilobyteKeysAreHeldAsDigests() {
        LocalPolicy p = policy(100_000, "1/h", 1); // slow refill: every bucket is kept for the measurement
        Verdict v = new Verdict();
        String prefix = "x".repeat(10_000);
        p.check(prefix + "a", v, null, null);
        p.check(prefix + "a", v, null, null);
        assertThat(v.outcome()).as("the same long key is the same bucket").isEqualTo(Verdict.Decision.LIMITED);
        p.check(prefix + "b", v, null, null);
        assertThat(v.outcome()).as("a long key differing at its end is another bucket").isEqualTo(Verdict.Decision.ALLOWED);
        assertThat(Policy.stored(prefix)).hasSize(44).startsWith("~");
        assertThat(Policy.stored("short-key")).isEqualTo("short-key");

        long before = usedAfterGc();
        StringBuilder key = new StringBuilder(prefix);
        for (int i = 0; i < 100_000; i++) {
            key.setLength(10_000);
            key.append(i);
            p.check(key.toString(), v, null, null);
        }
        long size = p.size();
        long after = usedAfterGc();
        System.out.printf("100,000 distinct 10 KB keys: %d buckets kept, heap +%.1f MiB after GC (%.1f -> %.1f)%n", size, (after - before) / 1048576.0, before / 1048576.0, after / 1048576.0);
        assertThat(after - before).isLessThan(64L << 20);
        assertThat(size).isEqualTo(100_000);
        java.lang.ref.Reference.reachabilityFence(p); // the buckets are measured while held
    }

    static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, rt.totalMemory() - rt.freeMemory());
        }
        return least;
    }
}
