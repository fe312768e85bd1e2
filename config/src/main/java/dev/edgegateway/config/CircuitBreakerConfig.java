package dev.edgegateway.config;

import java.time.Duration;

/**
 * Limits that protect a cluster (and the gateway) from a slow or failing origin. Past a cluster
 * limit the gateway answers 503 at once with {@code x-edge-rejected} naming the limit. Each
 * endpoint also has a breaker: {@code endpointConsecutiveFailures} failures in a row open it for
 * {@code endpointOpenTime}; then one probe request is let through (half-open), and its outcome
 * closes or reopens the breaker.
 *
 * @param maxConnections origin connections open at once, all endpoints and event loops together
 * @param maxPendingRequests requests waiting for a new origin connection
 * @param maxRequests requests in flight to the cluster
 */
public record CircuitBreakerConfig(Integer maxConnections, Integer maxPendingRequests, Integer maxRequests,
                                   Integer endpointConsecutiveFailures, Duration endpointOpenTime) {
    public static final CircuitBreakerConfig DEFAULT = new CircuitBreakerConfig(null, null, null, null, null);

    public CircuitBreakerConfig {
        maxConnections = maxConnections == null ? 10_000 : maxConnections;
        maxPendingRequests = maxPendingRequests == null ? 1_024 : maxPendingRequests;
        maxRequests = maxRequests == null ? 10_000 : maxRequests;
        endpointConsecutiveFailures = endpointConsecutiveFailures == null ? 0 : endpointConsecutiveFailures;
        endpointOpenTime = endpointOpenTime == null ? Duration.ofSeconds(10) : endpointOpenTime;
        ConfigViolation.collector()
                .check(maxConnections >= 1, "maxConnections", "must be 1 or more")
                .check(maxPendingRequests >= 1, "maxPendingRequests", "must be 1 or more")
                .check(maxRequests >= 1, "maxRequests", "must be 1 or more")
                .check(endpointConsecutiveFailures >= 0, "endpointConsecutiveFailures", "must be 0 (off) or more")
                .check(endpointOpenTime.toMillis() > 0, "endpointOpenTime", "must be more than 0")
                .throwIfAny();
    }
}
