package dev.edgegateway.config;

import java.time.Duration;

/**
 * Passive outlier detection: an endpoint that answers {@code consecutive5xx} 5xx in a row, or
 * fails {@code consecutiveGatewayFailures} times in a row to connect or to answer (reset,
 * timeout), is ejected from its cluster for {@code baseEjectionTime} times the number of times it
 * has been ejected (capped at {@code maxEjectionTime}). At most {@code maxEjectionPercent} of a
 * cluster is ejected at once. 0 turns a rule off.
 */
public record OutlierDetectionConfig(Integer consecutive5xx, Integer consecutiveGatewayFailures, Duration baseEjectionTime,
                                     Duration maxEjectionTime, Integer maxEjectionPercent) {
    public static final OutlierDetectionConfig DEFAULT = new OutlierDetectionConfig(null, null, null, null, null);

    public OutlierDetectionConfig {
        consecutive5xx = consecutive5xx == null ? 5 : consecutive5xx;
        consecutiveGatewayFailures = consecutiveGatewayFailures == null ? 3 : consecutiveGatewayFailures;
        baseEjectionTime = baseEjectionTime == null ? Duration.ofSeconds(30) : baseEjectionTime;
        maxEjectionTime = maxEjectionTime == null ? Duration.ofMinutes(5) : maxEjectionTime;
        maxEjectionPercent = maxEjectionPercent == null ? 50 : maxEjectionPercent;
        ConfigViolation.collector()
                .check(consecutive5xx >= 0, "consecutive5xx", "must be 0 (off) or more")
                .check(consecutiveGatewayFailures >= 0, "consecutiveGatewayFailures", "must be 0 (off) or more")
                .check(baseEjectionTime.toMillis() > 0, "baseEjectionTime", "must be more than 0")
                .check(maxEjectionTime.compareTo(baseEjectionTime) >= 0, "maxEjectionTime", "must be at least baseEjectionTime")
                .check(maxEjectionPercent >= 0 && maxEjectionPercent <= 100, "maxEjectionPercent", "must be 0 to 100")
                .throwIfAny();
    }
}
