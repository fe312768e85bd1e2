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
