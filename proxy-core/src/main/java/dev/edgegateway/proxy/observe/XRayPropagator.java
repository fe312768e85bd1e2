package dev.edgegateway.proxy.observe;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Collection;
import java.util.List;

/**
 * AWS X-Ray's {@code X-Amzn-Trace-Id}: {@code Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1}.
 * The root's two parts (8 hex digits of epoch seconds, 24 random) are the W3C trace id's 32; keys
 * may come in any order and with others ({@code Lineage}, {@code Self}), which are ignored.
 * Without a valid {@code Root} and {@code Parent} nothing is continued. {@code Sampled=?} (the
 * caller asks the next hop to decide) and a missing flag count as not sampled by the caller.
 */
final class XRayPropagator implements TextMapPropagator {
    static final String HEADER = "x-amzn-trace-id";
    private static final List<String> FIELDS = List.of(HEADER);
    /** Longer than any real header (about 100 characters with Lineage): not parsed. */
    private static final int MAX_LENGTH = 256;

    @Override
    public Collection<String> fields() {
        return FIELDS;
    }

    @Override
    public <C> void inject(Context context, C carrier, TextMapSetter<C> setter) {
        SpanContext sc = Span.fromContext(context).getSpanContext();
        if (!sc.isValid()) {
            return;
        }
        String t = sc.getTraceId();
        setter.set(carrier, HEADER, "Root=1-" + t.substring(0, 8) + "-" + t.substring(8) + ";Parent=" + sc.getSpanId()
                + ";Sampled=" + (sc.isSampled() ? "1" : "0"));
    }

    @Override
    public <C> Context extract(Context context, C carrier, TextMapGetter<C> getter) {
        String header = getter.get(carrier, HEADER);
        if (header == null || header.length() > MAX_LENGTH) {
            return context;
        }
        String traceId = null;
        String parent = null;
        boolean sampled = false;
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            switch (key) {
                case "Root" -> traceId = traceId(value);
                case "Parent" -> parent = SpanId.isValid(value) ? value : null;
                case "Sampled" -> sampled = value.equals("1");
                default -> { }
            }
        }
        if (traceId == null || parent == null) {
            return context;
        }
        SpanContext sc = SpanContext.createFromRemoteParent(traceId, parent, sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(),
                TraceState.getDefault());
        return sc.isValid() ? context.with(Span.wrap(sc)) : context;
    }

    /** {@code 1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy} to the 32 hex digits, or null. */
    private static String traceId(String root) {
        if (root.length() != 35 || !root.startsWith("1-") || root.charAt(10) != '-') {
            return null;
        }
        String id = root.substring(2, 10) + root.substring(11);
        return TraceId.isValid(id) ? id : null;
    }

    @Override
    public String toString() {
        return "XRayPropagator";
    }
}
