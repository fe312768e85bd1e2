package dev.edgegateway.config;

/**
 * One JSON line per request (and per WebSocket tunnel), written by a background thread so that a
 * slow disk never stalls an event loop; if the writer falls behind, lines are dropped and counted
 * ({@code edge_access_log_dropped_total}) rather than queued without bound.
 *
 * @param path a file to append to, or {@code stdout}
 * @param sampleRatio share of requests logged (0 to 1); errors (5xx, gateway-answered 4xx) are always logged
 */
public record AccessLogConfig(Boolean enabled, String path, Double sampleRatio) {
    public static final AccessLogConfig DEFAULT = new AccessLogConfig(null, null, null);

    public AccessLogConfig {
        enabled = enabled != null && enabled;
        path = path == null ? "stdout" : path;
        sampleRatio = sampleRatio == null ? 1.0 : sampleRatio;
        ConfigViolation.collector().check(sampleRatio >= 0 && sampleRatio <= 1, "sampleRatio", "must be 0 to 1").throwIfAny();
    }
}
