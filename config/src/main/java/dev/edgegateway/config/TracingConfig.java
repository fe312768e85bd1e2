package dev.edgegateway.config;

/**
 * OpenTelemetry tracing. The gateway continues an incoming W3C {@code traceparent} (with
 * {@code tracestate} and baggage) or starts a trace, makes one server span per request and passes
 * the context on to the origin. Off unless {@code otlpEndpoint} is set.
 *
 * @param otlpEndpoint an OTLP/HTTP collector, e.g. {@code http://127.0.0.1:4318}; none: tracing off
 * @param samplingRatio share of new traces recorded (0 to 1); an incoming trace's sampled flag wins
 * @param serviceName the {@code service.name} resource attribute
 */
public record TracingConfig(String otlpEndpoint, Double samplingRatio, String serviceName) {
    public static final TracingConfig DEFAULT = new TracingConfig(null, null, null);

    public TracingConfig {
        samplingRatio = samplingRatio == null ? 0.01 : samplingRatio;
        serviceName = serviceName == null ? "edge-gateway" : serviceName;
        ConfigViolation.collector()
                .check(samplingRatio >= 0 && samplingRatio <= 1, "samplingRatio", "must be 0 to 1")
                .check(otlpEndpoint == null || otlpEndpoint.startsWith("http://") || otlpEndpoint.startsWith("https://"),
                        "otlpEndpoint", "expected http://host:port or https://host:port, found '" + otlpEndpoint + "'")
                .throwIfAny();
    }

    public boolean enabled() {
        return otlpEndpoint != null;
    }
}
