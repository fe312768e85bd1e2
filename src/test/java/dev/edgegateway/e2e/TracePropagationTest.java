package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Trace propagation in the formats the plans name (B3 single and multi header, X-Ray, W3C), over
 * real sockets: an incoming trace in each is continued (the span the gateway exports to a real
 * OTLP/HTTP receiver has the caller's trace id and span as parent), and the origin receives the
 * trace in every configured format with the gateway's span as parent. And the rate-limited
 * sampler: at most N traces per second per route, whatever the callers' sampled flags say.
 */
class TracePropagationTest {
    static final String TRACE = "463ac35c9f6413ad48485a3953bb6124";
    static final String PARENT = "0020000000000001";

    @Test
    void b3AndXRayInAContinuedTraceOutInEveryFormat() throws Exception {
        try (OtlpReceiver otlp = new OtlpReceiver();
             TestOrigin o = new TestOrigin("o")) {
            GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                    tracing: {otlpEndpoint: %s, samplingRatio: 1.0, propagation: [b3, b3-multi, xray, w3c]}
                    routes: [{name: api, cluster: app}]
                    clusters: [{name: app, endpoints: [%s]}]
                    """.formatted(otlp.endpoint(), o.address())));
            String xrayRoot = "1-" + TRACE.substring(0, 8) + "-" + TRACE.substring(8);
            String[][] cases = {
                    {"b3 single", "b3: " + TRACE + "-" + PARENT + "-1"},
                    {"b3 multi", "X-B3-TraceId: " + TRACE + "\r\nX-B3-SpanId: " + PARENT + "\r\nX-B3-Sampled: 1"},
                    {"x-ray", "X-Amzn-Trace-Id: Root=" + xrayRoot + ";Parent=" + PARENT + ";Sampled=1"},
                    {"x-ray, keys reordered and a lineage", "X-Amzn-Trace-Id: Sampled=1;Lineage=a87bd80c:1|68fd508a:5;Parent=" + PARENT + ";Root=" + xrayRoot},
                    // Two formats at once: the first listed (b3) wins over a W3C header naming another trace.
                    {"b3 before w3c", "b3: " + TRACE + "-" + PARENT + "-1\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
            };
            try {
                for (String[] c : cases) {
                    int before = o.seen.size();
                    RawHttp.Response r = RawHttp.exchange(gw.port(), "GET /x HTTP/1.1\r\nHost: x\r\n" + c[1] + "\r\n\r\n");
                    assertThat(r.status()).as(c[0]).isEqualTo(200);
                    assertThat(o.seen).hasSize(before + 1);
                    HttpHeaders at = o.seen.get(before).headers();
                    // The origin's parent is the gateway's span, the same in every format.
                    String b3 = at.get("b3");
                    assertThat(b3).as(c[0] + ": b3 at the origin").startsWith(TRACE + "-").endsWith("-1");
                    String span = b3.substring(TRACE.length() + 1, TRACE.length() + 17);
                    assertThat(span).as(c[0]).isNotEqualTo(PARENT);
                    assertThat(at.get("x-b3-traceid")).as(c[0]).isEqualTo(TRACE);
                    assertThat(at.get("x-b3-spanid")).as(c[0]).isEqualTo(span);
                    assertThat(at.get("x-b3-sampled")).as(c[0]).isEqualTo("1");
                    assertThat(at.getAll("x-amzn-trace-id")).as(c[0]).containsExactly("Root=" + xrayRoot + ";Parent=" + span + ";Sampled=1");
                    assertThat(at.getAll("traceparent")).as(c[0]).containsExactly("00-" + TRACE + "-" + span + "-01");
                }
            } finally {
                gw.close(); // flushes the batch of spans to the receiver
            }
            // The receiver got one server span per request, each a child of the caller's span.
            List<OtlpReceiver.Received> spans = otlp.withTrace(TRACE);
            assertThat(spans).hasSize(cases.length);
            assertThat(spans).allSatisfy(s -> {
                assertThat(s.parentSpanId()).isEqualTo(PARENT);
                assertThat(s.name()).isEqualTo("GET api");
                assertThat(s.attributes()).containsEntry("edge.route", "api");
            });
            assertThat(otlp.spans).hasSize(cases.length);
        }
    }

    @Test
    void withOnlyB3TheOriginGetsNoStaleW3cOrXRayHeaderFromTheClient() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     tracing: {samplingRatio: 1.0, propagation: [b3]}
                     routes: [{name: api, cluster: app}]
                     clusters: [{name: app, endpoints: [%s]}]
                     """.formatted(o.address())), spans)) {
            RawHttp.exchange(gw.port(), "GET /x HTTP/1.1\r\nHost: x\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
                    + "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\r\n\r\n");
            SpanData span = spans.getFinishedSpanItems().get(0);
            assertThat(span.getParentSpanContext().isValid()).as("w3c and x-ray are not read when not configured").isFalse();
            HttpHeaders at = o.seen.get(0).headers();
            assertThat(at.get("b3")).isEqualTo(span.getTraceId() + "-" + span.getSpanId() + "-1");
            assertThat(at.contains("traceparent")).isFalse();
            assertThat(at.contains("x-amzn-trace-id")).isFalse();
        }
    }

    @Test
    void theRateLimitedSamplerRecordsAtMostNTracesPerSecondPerRouteWhateverTheCallerAsks() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     tracing: {maxTracesPerSecond: 2}
                     routes:
                       - {name: api, match: {path: /api}, cluster: app}
                       - {name: web, cluster: app}
                     clusters: [{name: app, endpoints: [%s]}]
                     """.formatted(o.address())), spans)) {
            long start = System.nanoTime();
            for (int i = 0; i < 40; i++) {
                // Every caller says "sampled": the limit holds anyway.
                String tp = String.format("traceparent: 00-%032x-%016x-01", i + 1, i + 1);
                assertThat(RawHttp.exchange(gw.port(), "GET /api HTTP/1.1\r\nHost: x\r\n" + tp + "\r\n\r\n").status()).isEqualTo(200);
            }
            assertThat(RawHttp.exchange(gw.port(), "GET /web HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
            double seconds = (System.nanoTime() - start) / 1e9;
            long api = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("GET api")).count();
            long web = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("GET web")).count();
            // A burst of one second's worth (2), then 2 per second of the time the 40 requests took.
            assertThat(api).as("api spans of 40 requests in %.2f s", seconds).isBetween(2L, (long) Math.floor(2 + 2 * seconds) + 1);
            assertThat(web).as("web has its own budget").isEqualTo(1);
            // A caller that says "not sampled" is not traced.
            long before = spans.getFinishedSpanItems().size();
            // (web has a token left of its burst of 2, so only the caller's flag can keep this one out.)
            RawHttp.exchange(gw.port(), "GET /web HTTP/1.1\r\nHost: x\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00\r\n\r\n");
            assertThat(spans.getFinishedSpanItems()).hasSize((int) before);
        }
    }
}
