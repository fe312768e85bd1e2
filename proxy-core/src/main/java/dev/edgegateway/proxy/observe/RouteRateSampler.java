package dev.edgegateway.proxy.observe;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * At most {@code perSecond} traces recorded per second on each route (the span's {@code edge.route}
 * attribute; requests refused before routing count as route {@code none}), with a burst of one
 * second's worth. A caller that marked its trace not sampled is not recorded; one that marked it
 * sampled is recorded only within the limit, so clients cannot make the gateway trace more (the
 * same rule as Jaeger's rate-limiting sampler, applied to remote parents as well as to new traces).
 * Each route's budget is one {@link AtomicLong} (a GCRA: the time the bucket is next empty), so a
 * decision is a CAS, not a lock. Routes are config names, so the map is bounded by the config.
 */
final class RouteRateSampler implements Sampler {
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("edge.route");

    private final long intervalNanos;
    private final long burstNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, AtomicLong> routes = new ConcurrentHashMap<>();

    RouteRateSampler(double perSecond, LongSupplier nanoTime) {
        this.intervalNanos = (long) (1e9 / perSecond);
        this.burstNanos = Math.max(intervalNanos, 1_000_000_000L);
        this.nanoTime = nanoTime;
    }

    @Override
    public SamplingResult shouldSample(Context parentContext, String traceId, String name, SpanKind spanKind, Attributes attributes,
                                       List<LinkData> parentLinks) {
        SpanContext parent = Span.fromContext(parentContext).getSpanContext();
        if (parent.isValid() && !parent.isSampled()) {
            return SamplingResult.drop();
        }
        String route = attributes.get(ROUTE);
        return take(route == null ? "none" : route) ? SamplingResult.recordAndSample() : SamplingResult.drop();
    }

    /** GCRA: a trace costs one interval; admit while the theoretical arrival time stays within a burst of now. */
    boolean take(String route) {
        AtomicLong tat = routes.computeIfAbsent(route, r -> new AtomicLong(nanoTime.getAsLong()));
        while (true) {
            long now = nanoTime.getAsLong();
            long current = tat.get();
            long base = current - now > 0 ? current : now;
            long next = base + intervalNanos;
            if (next - now > burstNanos) {
                return false;
            }
            if (tat.compareAndSet(current, next)) {
                return true;
            }
        }
    }

    @Override
    public String getDescription() {
        return "RouteRateSampler{" + (1e9 / intervalNanos) + "/s per route}";
    }
}
