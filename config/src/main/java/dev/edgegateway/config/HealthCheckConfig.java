package dev.edgegateway.config;

import java.time.Duration;

/**
 * Active health checking of a cluster's endpoints: {@code GET path} on a fresh connection every
 * {@code interval} (plus up to {@code jitter}, so a fleet does not probe in lockstep). An endpoint
 * turns unhealthy after {@code unhealthyThreshold} failed checks in a row and healthy again after
 * {@code healthyThreshold} passed checks in a row; until its first verdict it counts as healthy.
 *
 * @param expectedStatus the statuses that pass, e.g. {@code 200-399} or {@code 204}
 */
public record HealthCheckConfig(String path, StatusRange expectedStatus, Duration interval, Duration jitter, Duration timeout,
                                Integer healthyThreshold, Integer unhealthyThreshold) {
    public HealthCheckConfig {
        path = path == null ? "/healthz" : path;
        expectedStatus = expectedStatus == null ? StatusRange.parse("200-299") : expectedStatus;
        interval = interval == null ? Duration.ofSeconds(5) : interval;
        jitter = jitter == null ? interval.dividedBy(10) : jitter;
        timeout = timeout == null ? Duration.ofSeconds(1) : timeout;
        healthyThreshold = healthyThreshold == null ? 2 : healthyThreshold;
        unhealthyThreshold = unhealthyThreshold == null ? 3 : unhealthyThreshold;
        ConfigViolation.collector()
                .check(path.startsWith("/"), "path", "must start with '/', found '" + path + "'")
                .check(interval.toMillis() >= 10, "interval", "must be at least 10ms")
                .check(!jitter.isNegative(), "jitter", "must not be negative")
                .check(timeout.toMillis() >= 1 && timeout.compareTo(interval) <= 0, "timeout", "must be more than 0 and at most the interval")
                .check(healthyThreshold >= 1, "healthyThreshold", "must be 1 or more")
                .check(unhealthyThreshold >= 1, "unhealthyThreshold", "must be 1 or more")
                .throwIfAny();
    }
}
