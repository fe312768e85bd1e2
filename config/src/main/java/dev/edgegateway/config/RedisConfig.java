package dev.edgegateway.config;

import java.time.Duration;
import java.util.List;

/**
 * The Redis that distributed rate limits share. Never on a request's critical path for longer
 * than {@code timeout}: past it the policy's fail-open/closed choice answers. After
 * {@code breakerFailures} failures in a row the gateway stops asking for {@code breakerOpenTime}
 * (decisions are immediate), then tries again.
 *
 * @param nodes one address, or for a Redis Cluster any of its nodes (with {@code cluster: true})
 * @param passwordEnv the name of an environment variable holding the password, if any (the
 *     password itself never appears in the config, {@code /config} or logs)
 * @param leaseTime how long a gateway may hold tokens it took from a hot key's buckets before it
 *     spends them (0: every request asks Redis); over any interval T the fleet admits at most
 *     {@code burst + rate x (T + leaseTime)}
 */
public record RedisConfig(List<HostPort> nodes, Boolean cluster, Duration timeout, Integer breakerFailures,
                          Duration breakerOpenTime, String passwordEnv, Duration leaseTime) {
    public static final RedisConfig DEFAULT = new RedisConfig(null, null, null, null, null, null, null);

    public RedisConfig {
        nodes = nodes == null ? List.of(new HostPort("127.0.0.1", 6379)) : List.copyOf(nodes);
        cluster = cluster != null && cluster;
        timeout = timeout == null ? Duration.ofMillis(25) : timeout; // docs/config.md, "Late is not failed": why 25 ms
        breakerFailures = breakerFailures == null ? 5 : breakerFailures;
        breakerOpenTime = breakerOpenTime == null ? Duration.ofSeconds(1) : breakerOpenTime;
        leaseTime = leaseTime == null ? Duration.ofMillis(100) : leaseTime;
        ConfigViolation.collector()
                .check(!nodes.isEmpty(), "nodes", "at least one host:port")
                .check(!timeout.isNegative() && !timeout.isZero(), "timeout", "must be more than 0")
                .check(breakerFailures >= 1, "breakerFailures", "must be at least 1")
                .check(!leaseTime.isNegative() && leaseTime.compareTo(Duration.ofSeconds(1)) <= 0, "leaseTime", "must be 0 to 1s")
                .throwIfAny();
    }
}
