package dev.edgegateway.config;

import java.time.Duration;

/**
 * Shutdown on SIGTERM: readiness turns false at once; listeners close after
 * {@code readinessDelay} (time for load balancers to notice); in-flight requests then have until
 * {@code timeout} to finish before remaining connections are closed.
 */
public record DrainConfig(Duration readinessDelay, Duration timeout) {
    public static final DrainConfig DEFAULT = new DrainConfig(null, null);

    public DrainConfig {
        readinessDelay = readinessDelay == null ? Duration.ofSeconds(5) : readinessDelay;
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        ConfigViolation.collector()
                .check(!readinessDelay.isNegative(), "readinessDelay", "must not be negative")
                .check(!timeout.isNegative() && !timeout.isZero(), "timeout", "must be more than 0")
                .throwIfAny();
    }
}
