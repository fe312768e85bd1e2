package dev.edgegateway.config;

import java.util.Locale;

/**
 * An override of a route's split: a request whose {@code header} or {@code cookie} has
 * {@code value} goes to {@code cluster} whatever its bucket (e.g. {@code X-Canary: always}).
 */
public record CanaryConfig(String cluster, String header, String cookie, String value) {
    public CanaryConfig {
        header = header == null ? null : header.toLowerCase(Locale.ROOT);
        value = value == null ? "always" : value;
        ConfigViolation.collector().require(cluster, "cluster")
                .check(header != null || cookie != null, "header", "set a header, a cookie or both")
                .throwIfAny();
    }
}
