package dev.edgegateway.proxy.observe;

import dev.edgegateway.config.TracingConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.AttributeKey;
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
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.extension.trace.propagation.JaegerPropagator;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry for the request path: continues an incoming trace in the configured formats (W3C
 * {@code traceparent} with {@code tracestate} and baggage, B3 single or multi header, Jaeger,
 * X-Ray) or starts a trace, one server span per request, context passed on to the origin in every
 * configured format. Spans are exported in batches by the SDK's own thread, never on an event loop.
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
    /** Reads: the configured formats, the first listed applied last (OTel's composite lets a later one override). */
    private final TextMapPropagator extractor;
    /** Writes: every configured format. */
    private final TextMapPropagator injector;

    private Tracing(SdkTracerProvider provider, List<TracingConfig.Propagation> formats) {
        this.provider = provider;
        this.tracer = provider.get("dev.edgegateway.proxy");
        List<TextMapPropagator> each = new ArrayList<>();
        for (TracingConfig.Propagation p : formats) {
            each.add(propagator(p));
        }
        this.injector = TextMapPropagator.composite(each);
        List<TextMapPropagator> reversed = new ArrayList<>(each);
        Collections.reverse(reversed);
        this.extractor = TextMapPropagator.composite(reversed);
    }

    static TextMapPropagator propagator(TracingConfig.Propagation p) {
        return switch (p) {
            case W3C -> TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance());
            case B3 -> B3Propagator.injectingSingleHeader();
            case B3_MULTI -> B3Propagator.injectingMultiHeaders();
            case JAEGER -> JaegerPropagator.getInstance();
            case XRAY -> new XRayPropagator();
        };
    }

    /** The sampler: a ratio of new traces (the caller's decision wins), or at most N traces per second per route. */
    static Sampler sampler(TracingConfig c) {
        return c.maxTracesPerSecond() != null
                ? new RouteRateSampler(c.maxTracesPerSecond(), System::nanoTime)
                : Sampler.parentBased(Sampler.traceIdRatioBased(c.samplingRatio()));
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
                .setSampler(sampler(c))
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), c.serviceName()))))
                .addSpanProcessor(processor)
                .build();
        return new Tracing(provider, c.propagation());
    }

    /** The incoming context (parent trace and baggage), from the request's headers. */
    public Context extract(HttpHeaders headers) {
        return extractor.extract(Context.root(), headers, GETTER);
    }

    /** Starts the server span of a request on {@code route} ({@code none}: refused before routing); the sampler may use the route. */
    public Span start(Context parent, String name, String route) {
        return tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(RouteRateSampler.ROUTE, route).startSpan();
    }

    /**
     * Writes the trace headers of every configured format (the gateway's span as parent; W3C
     * also carries {@code tracestate} and baggage) into the origin request. The incoming ones of
     * every known format are removed first, so the origin never sees a stale parent in a format
     * the gateway does not write.
     */
    public void inject(Context parent, Span span, HttpHeaders upstream) {
        for (String f : ALL_FIELDS) {
            upstream.remove(f);
        }
        injector.inject(parent.with(span), upstream, SETTER);
    }

    private static final List<String> ALL_FIELDS;

    static {
        List<String> fields = new ArrayList<>();
        for (TracingConfig.Propagation p : TracingConfig.Propagation.values()) {
            for (String f : propagator(p).fields()) {
                if (!f.equals("baggage") && !fields.contains(f)) {
                    fields.add(f);
                }
            }
        }
        ALL_FIELDS = List.copyOf(fields);
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
