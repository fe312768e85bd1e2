package dev.edgegateway.config;

/** Request metrics per route and cluster; {@code enabled: false} stops recording them (for cost measurements). */
public record MetricsConfig(Boolean enabled) {
    public static final MetricsConfig DEFAULT = new MetricsConfig(null);

    /**
     * The latency histograms' bucket bounds, 100 us (what the gateway takes to answer by itself)
     * to 10 s. Here so that what reads the histograms (the SLO rules the sidecar generates) uses
     * the same bounds the gateway records.
     */
    public static final java.util.List<java.time.Duration> LATENCY_BUCKETS = java.util.List.of(
            java.time.Duration.ofNanos(100_000), java.time.Duration.ofNanos(250_000), java.time.Duration.ofNanos(500_000),
            java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(2), java.time.Duration.ofMillis(5), java.time.Duration.ofMillis(10),
            java.time.Duration.ofMillis(25), java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(250),
            java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(2500), java.time.Duration.ofSeconds(5),
            java.time.Duration.ofSeconds(10));

    public MetricsConfig {
        enabled = enabled == null || enabled;
    }
}
