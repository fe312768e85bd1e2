package dev.edgegateway.proxy.observe;

import dev.edgegateway.config.TracingConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry for the request path: continues an incoming W3C {@code traceparent} (and
 * {@code tracestate}, baggage) or starts a trace, one server span per request, context passed on
 * to the origin. Spans are exported in batches by the SDK's own thread, never on an event loop.
 * Built once at start; when no exporter is configured there is no instance at all, and the
 * request path does no tracing work (incoming trace headers pass through to the origin untouched).
 */
public final class Tracing implements AutoCloseable {
    private static final TextMapGetter<HttpHeaders> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
    private static final TextMapSetter<HttpHeaders> SETTER = (carrier, key, value) -> carrier.set(key, value);

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final TextMapPropagator propagator =
            TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance());

    private Tracing(SdkTracerProvider provider) {
        this.provider = provider;
        this.tracer = provider.get("dev.edgegateway.proxy");
    }

    /** Tracing as configured, or null when it is off. {@code exporter} (tests) replaces OTLP and exports at once. */
    public static Tracing create(TracingConfig c, SpanExporter exporter) {
        if (exporter == null && !c.enabled()) {
            return null;
        }
        SpanProcessor processor = exporter != null
                ? SimpleSpanProcessor.create(exporter)
                : BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(c.otlpEndpoint() + "/v1/traces").build())
                        .setMaxQueueSize(8192).setScheduleDelay(1, TimeUnit.SECONDS).build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(c.samplingRatio())))
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), c.serviceName()))))
                .addSpanProcessor(processor)
                .build();
        return new Tracing(provider);
    }

    /** The incoming context (parent trace and baggage), from the request's headers. */
    public Context extract(HttpHeaders headers) {
        return propagator.extract(Context.root(), headers, GETTER);
    }

    /** Starts the server span of a request. */
    public Span start(Context parent, String name) {
        return tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.SERVER).startSpan();
    }

    /** Writes {@code traceparent} (the gateway's span as parent), {@code tracestate} and baggage into the origin request. */
    public void inject(Context parent, Span span, HttpHeaders upstream) {
        propagator.inject(parent.with(span), upstream, SETTER);
    }

    /**
     * The trace id of a valid W3C {@code traceparent} value ({@code 00-<32 hex>-<16 hex>-<2 hex>},
     * neither id all zeros), else null. With tracing off the access log still names the client's
     * trace, so a line can be found from the trace that caused it.
     */
    public static String incomingTraceId(String traceparent) {
        if (traceparent == null || traceparent.length() < 55 || traceparent.charAt(2) != '-'
                || traceparent.charAt(35) != '-' || traceparent.charAt(52) != '-'
                || (traceparent.length() > 55 && traceparent.charAt(55) != '-')) {
            return null;
        }
        if (traceparent.startsWith("ff") || !hex(traceparent, 0, 2) || !hex(traceparent, 3, 35)
                || !hex(traceparent, 36, 52) || !hex(traceparent, 53, 55)) {
            return null;
        }
        if (zeros(traceparent, 3, 35) || zeros(traceparent, 36, 52)) {
            return null;
        }
        return traceparent.substring(3, 35);
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        provider.shutdown().join(2, TimeUnit.SECONDS);
    }
}
