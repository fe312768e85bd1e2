package dev.edgegateway.config;

import java.util.HashSet;
import java.util.List;

/**
 * OpenTelemetry tracing. The gateway continues an incoming trace (in the {@code propagation}
 * formats it reads) or starts one, makes one server span per request and passes the context on to
 * the origin in every configured format. Off unless {@code otlpEndpoint} is set.
 *
 * @param otlpEndpoint an OTLP/HTTP collector, e.g. {@code http://127.0.0.1:4318}; none: tracing off
 * @param samplingRatio share of new traces recorded (0 to 1); an incoming trace's sampled flag wins
 * @param maxTracesPerSecond instead of a ratio: at most this many traces recorded per second on
 *     each route, sampled or not by the caller (a client cannot make the gateway trace more)
 * @param serviceName the {@code service.name} resource attribute
 * @param propagation the header formats read (in this order: the first one present wins) and
 *     written to the origin (all of them)
 */
public record TracingConfig(String otlpEndpoint, Double samplingRatio, Double maxTracesPerSecond, String serviceName,
                            List<Propagation> propagation) {
    public static final TracingConfig DEFAULT = new TracingConfig(null, null, null, null, null);

    /** Trace header formats. */
    public enum Propagation {
        /** W3C {@code traceparent} and {@code tracestate}, with W3C {@code baggage}. */
        W3C,
        /** Zipkin's single {@code b3} header. */
        B3,
        /** Zipkin's {@code X-B3-TraceId}, {@code X-B3-SpanId}, {@code X-B3-Sampled} headers. */
        B3_MULTI,
        /** Jaeger's {@code uber-trace-id}. */
        JAEGER,
        /** AWS X-Ray's {@code X-Amzn-Trace-Id}. */
        XRAY
    }

    public TracingConfig {
        var v = ConfigViolation.collector()
                .check(samplingRatio == null || maxTracesPerSecond == null, "maxTracesPerSecond",
                        "set samplingRatio or maxTracesPerSecond, not both: they are two samplers");
        samplingRatio = samplingRatio == null ? 0.01 : samplingRatio;
        serviceName = serviceName == null ? "edge-gateway" : serviceName;
        propagation = propagation == null ? List.of(Propagation.W3C) : List.copyOf(propagation);
        v.check(samplingRatio >= 0 && samplingRatio <= 1, "samplingRatio", "must be 0 to 1")
                .check(maxTracesPerSecond == null || (maxTracesPerSecond > 0 && maxTracesPerSecond <= 100_000), "maxTracesPerSecond",
                        "must be above 0 and at most 100000, found " + maxTracesPerSecond)
                .check(!propagation.isEmpty(), "propagation", "at least one format (w3c, b3, b3-multi, jaeger, xray)")
                .check(new HashSet<>(propagation).size() == propagation.size(), "propagation", "a format is listed twice")
                .check(otlpEndpoint == null || otlpEndpoint.startsWith("http://") || otlpEndpoint.startsWith("https://"),
                        "otlpEndpoint", "expected http://host:port or https://host:port, found '" + otlpEndpoint + "'")
                .throwIfAny();
    }

    public boolean enabled() {
        return otlpEndpoint != null;
    }
}
