package dev.edgegateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.KeySource;
import dev.edgegateway.config.Rate;
import dev.edgegateway.config.RateLimitConfig;
import dev.edgegateway.config.RedisConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a distributed policy holds per key on the gateway, without a Redis (a port nothing listens
 * on: every decision answers by the fail-open choice, after the key's state is made).
 */
class DistributedPolicyTest {
    /**
     * 100,000 distinct 10 KB keys: each key's state (its lease, refusal and rate) is held under a
     * 45-character digest, so the heap after a full GC grows by less than 64 MiB.
     */
    @Test
    void tenKilobyteKeysCostAFewHundredBytesEach() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RedisConfig redisConfig = new RedisConfig(List.of(new HostPort("127.0.0.1", port)), false, Duration.ofMillis(25), 5,
                Duration.ofSeconds(1), null, Duration.ofMillis(100));
        try (RedisLimiter redis = new RedisLimiter(redisConfig, RedisLimiter.Events.NONE)) {
            DistributedPolicy p = new DistributedPolicy("api/p", new RateLimitConfig("p", List.of(new KeySource("x-key", null, null)),
                    List.of(new RateLimitConfig.Limit(Rate.parse("1/h"), 1L)), RateLimitConfig.Mode.DISTRIBUTED, null, null, 100_000), redis);
            Verdict v = new Verdict();
            long before = LocalPolicyTest.usedAfterGc();
            StringBuilder key = new StringBuilder("x".repeat(10_000));
            for (int i = 0; i < 100_000; i++) {
                key.setLength(10_000);
                key.append(i);
                assertThat(p.check(key.toString(), v, null, null)).isTrue();
            }
            long after = LocalPolicyTest.usedAfterGc();
            System.out.printf("distributed, 100,000 distinct 10 KB keys: heap +%.1f MiB after GC%n", (after - before) / 1048576.0);
            assertThat(v.outcome()).isEqualTo(Verdict.Decision.FAILED_OPEN);
            assertThat(after - before).isLessThan(64L << 20);
            java.lang.ref.Reference.reachabilityFence(p);
        }
    }
}
