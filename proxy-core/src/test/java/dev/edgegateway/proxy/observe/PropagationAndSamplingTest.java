package dev.edgegateway.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The X-Ray header both ways and what it refuses; the per-route sampler against a clock the test moves. */
class PropagationAndSamplingTest {
    static final TextMapGetter<Map<String, String>> GET = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> c) {
            return c.keySet();
        }

        @Override
        public String get(Map<String, String> c, String key) {
            return c == null ? null : c.get(key);
        }
    };

    static SpanContext xray(String header) {
        return Span.fromContext(new XRayPropagator().extract(Context.root(), Map.of("x-amzn-trace-id", header), GET)).getSpanContext();
    }

    @Test
    void xRayHeadersAreReadAndWrittenAndMalformedOnesIgnored() {
        SpanContext sc = xray("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
        assertThat(sc.getTraceId()).isEqualTo("5759e988bd862e3fe1be46a994272793");
        assertThat(sc.getSpanId()).isEqualTo("53995c3f42cd8ad8");
        assertThat(sc.isSampled()).isTrue();
        assertThat(sc.isRemote()).isTrue();
        assertThat(xray("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?").isSampled()).isFalse();
        assertThat(xray("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8").isSampled()).isFalse();
        for (String bad : List.of("", "Root=1-5759e988-bd862e3fe1be46a994272793", "Parent=53995c3f42cd8ad8;Sampled=1",
                "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", "Root=1-5759e988bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Lineage=" + "x".repeat(300))) {
            assertThat(xray(bad).isValid()).as(bad).isFalse();
        }
        Map<String, String> out = new HashMap<>();
        SpanContext mine = SpanContext.create("5759e988bd862e3fe1be46a994272793", "1111222233334444", TraceFlags.getSampled(), TraceState.getDefault());
        new XRayPropagator().inject(Context.root().with(Span.wrap(mine)), out, Map::put);
        assertThat(out).containsExactly(Map.entry("x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=1111222233334444;Sampled=1"));
    }

    @Test
    void theRouteSamplerAdmitsABurstThenTheRateAndCountsRoutesApart() {
        AtomicLong now = new AtomicLong(1_000_000_000_000L);
        RouteRateSampler s = new RouteRateSampler(5, now::get);
        int admitted = 0;
        for (int i = 0; i < 100; i++) {
            admitted += s.take("api") ? 1 : 0;
        }
        assertThat(admitted).as("a burst of one second's worth").isEqualTo(5);
        assertThat(s.take("web")).as("another route has its own budget").isTrue();
        now.addAndGet(200_000_000); // one interval later: one more
        assertThat(s.take("api")).isTrue();
        assertThat(s.take("api")).isFalse();
        now.addAndGet(10_000_000_000L); // a long quiet spell refills to the burst, not beyond
        admitted = 0;
        for (int i = 0; i < 100; i++) {
            admitted += s.take("api") ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(5);

        // The caller's "not sampled" is kept; its "sampled" is no way past the limit.
        SpanContext unsampled = SpanContext.createFromRemoteParent("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8",
                TraceFlags.getDefault(), TraceState.getDefault());
        SpanContext sampled = SpanContext.createFromRemoteParent("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8",
                TraceFlags.getSampled(), TraceState.getDefault());
        Attributes web = Attributes.of(RouteRateSampler.ROUTE, "web");
        now.addAndGet(10_000_000_000L);
        assertThat(s.shouldSample(Context.root().with(Span.wrap(unsampled)), "5759e988bd862e3fe1be46a994272793", "GET", SpanKind.SERVER, web, List.of())
                .getDecision()).isEqualTo(SamplingDecision.DROP);
        int sampledAdmitted = 0;
        for (int i = 0; i < 20; i++) {
            if (s.shouldSample(Context.root().with(Span.wrap(sampled)), "5759e988bd862e3fe1be46a994272793", "GET", SpanKind.SERVER, web, List.of())
                    .getDecision() == SamplingDecision.RECORD_AND_SAMPLE) {
                sampledAdmitted++;
            }
        }
        assertThat(sampledAdmitted).isEqualTo(5);
    }
}
