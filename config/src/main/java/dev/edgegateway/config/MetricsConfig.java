package dev.edgegateway.config;

/** Request metrics per route and cluster; {@code enabled: false} stops recording them (for cost measurements). */
public record MetricsConfig(Boolean enabled) {
    public static final MetricsConfig DEFAULT = new MetricsConfig(null);

    public MetricsConfig {
        enabled = enabled == null || enabled;
    }
}
