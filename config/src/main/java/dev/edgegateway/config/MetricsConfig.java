package dev.edgegateway.config;

import java.time.Duration;
import java.util.List;

/** Request metrics per route and cluster; {@code enabled: false} stops recording them (for cost measurements). */
public record MetricsConfig(Boolean enabled) {
    public static final MetricsConfig DEFAULT = new MetricsConfig(null);

    /**
     * The latency histograms' bucket bounds, 100 us (what the gateway takes to answer by itself)
     * to 10 s. Here so that what reads the histograms (the SLO rules the sidecar generates) uses
     * the same bounds the gateway records.
     */
    public static final List<Duration> LATENCY_BUCKETS = List.of(
            Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10));

    public MetricsConfig {
        enabled = enabled == null || enabled;
    }
}
