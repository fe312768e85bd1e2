package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Metrics with exact counts, bounded label values, trace propagation, the access log, readiness with Redis down. */
@Timeout(60)
class ObservabilityTest {

    @Test
    void knownTrafficGivesExactCountsAndClientInputCreatesNoNewSeries() throws Exception {
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes:
                       - name: limited
                         match: {pathPrefix: /limited}
                         cluster: app
                         rateLimits: [{name: two, limits: [{rate: 1/h, burst: 2}]}]
                       - name: api
                         match: {host: api.test}
                         cluster: app
                     clusters: [{name: app, endpoints: [%s]}]
                     """.formatted(o.address())))) {
            Set<String> before = gw.edgeSeries();
            long responseBytes = 0;
            try (RawHttp http = new RawHttp(gw.port())) {
                for (int i = 0; i < 10; i++) {
                    http.send("GET /x" + i + " HTTP/1.1\r\nHost: api.test\r\n\r\n");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).isEqualTo(200);
                    responseBytes += r.body().length;
                }
                http.send("POST /upload HTTP/1.1\r\nHost: api.test\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100));
                RawHttp.Response up = http.read();
                assertThat(up.status()).isEqualTo(200);
                responseBytes += up.body().length;
                for (int i = 0; i < 2; i++) {
                    http.send("GET / HTTP/1.1\r\nHost: other.test\r\n\r\n");
                    assertThat(http.read().status()).isEqualTo(404);
                }
                int[] limited = new int[3];
                for (int i = 0; i < 3; i++) {
                    http.send("GET /limited HTTP/1.1\r\nHost: any\r\n\r\n");
                    limited[i] = http.read().status();
                }
                assertThat(limited).containsExactly(200, 200, 429);
            }
            String api = "cluster=\"app\",route=\"api\"";
            assertThat(gw.metric("edge_downstream_requests_total{" + api + ",status_class=\"2xx\"}")).isEqualTo(11);
            assertThat(gw.metric("edge_downstream_request_duration_seconds_count{" + api + "}")).isEqualTo(11);
            assertThat(gw.metric("edge_downstream_request_bytes_total{" + api + "}")).isEqualTo(100);
            assertThat(gw.metric("edge_downstream_response_bytes_total{" + api + "}")).isEqualTo(responseBytes);
            assertThat(gw.metric("edge_downstream_requests_total{cluster=\"none\",route=\"none\",status_class=\"4xx\"}")).isEqualTo(2);
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"no_route\"}")).isEqualTo(2);
            assertThat(gw.metric("edge_downstream_requests_total{cluster=\"none\",route=\"limited\",status_class=\"4xx\"}")).isEqualTo(1);
            assertThat(gw.metric("edge_ratelimit_decisions_total{outcome=\"allowed\",policy=\"two\",route=\"limited\"}")).isEqualTo(2);
            assertThat(gw.metric("edge_ratelimit_decisions_total{outcome=\"limited\",policy=\"two\",route=\"limited\"}")).isEqualTo(1);
            assertThat(gw.metric("edge_upstream_response_duration_seconds_count{cluster=\"app\"}")).isEqualTo(13);
            assertThat(gw.metricOrMissing("edge_upstream_response_duration_seconds_count{cluster=\"none\"}"))
                    .as("requests answered before a cluster was chosen make no cluster of their own").isEqualTo(-1);
            assertThat(gw.metric("edge_upstream_connections_opened_total")).as("one keep-alive connection").isEqualTo(1);
            assertThat(gw.metric("edge_upstream_connections_idle")).isEqualTo(1);
            assertThat(gw.metric("edge_downstream_connections_accepted_total")).isEqualTo(1);
            assertThat(gw.metric("edge_cluster_endpoints{cluster=\"app\",state=\"available\"}")).isEqualTo(1);
            assertThat(gw.metric("edge_config_generation")).isEqualTo(1);
            assertThat(gw.metric("edge_tunnels_open")).isEqualTo(0);
            assertThat(gw.metric("edge_eventloop_pending_tasks{loop=\"0\"}")).isGreaterThanOrEqualTo(0);

            // Random paths, hosts, methods, headers and bad requests from clients: no new series.
            Random random = new Random(7);
            String[] methods = {"GET", "POST", "DELETE", "PATCH", "BREW", "OPTIONS"};
            for (int i = 0; i < 300; i++) {
                String path = "/" + Long.toHexString(random.nextLong()) + "?q=" + random.nextInt();
                String host = random.nextBoolean() ? "api.test" : "h" + random.nextInt(1000) + ".test";
                String method = methods[random.nextInt(methods.length)];
                try (RawHttp http = new RawHttp(gw.port())) {
                    http.send(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nX-Random-" + i + ": " + random.nextInt()
                            + "\r\nContent-Length: 0\r\n\r\n");
                    http.read();
                }
            }
            assertThat(gw.edgeSeries()).as("series after random client input").isEqualTo(gw.edgeSeries());
            Set<String> after = gw.edgeSeries();
            assertThat(after).containsExactlyInAnyOrderElementsOf(before);
        }
    }

    @Test
    void anIncomingTraceIsContinuedAndPassedToTheOrigin(@TempDir Path dir) throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        Path accessLog = dir.resolve("access.log");
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     tracing: {samplingRatio: 1.0, serviceName: edge-test}
                     accessLog: {enabled: true, path: %s}
                     routes: [{name: api, cluster: app}]
                     clusters: [{name: app, endpoints: [%s]}]
                     """.formatted(accessLog, o.address())), spans)) {
            String traceId = "0af7651916cd43dd8448eb211c80319c";
            String parentId = "b7ad6b7169203331";
            RawHttp.Response r = RawHttp.exchange(gw.port(), "GET /traced HTTP/1.1\r\nHost: x\r\ntraceparent: 00-" + traceId + "-"
                    + parentId + "-01\r\ntracestate: vendor=1\r\nbaggage: tenant=acme\r\n\r\n");
            assertThat(r.status()).isEqualTo(200);
            List<SpanData> finished = spans.getFinishedSpanItems();
            assertThat(finished).hasSize(1);
            SpanData span = finished.get(0);
            assertThat(span.getTraceId()).isEqualTo(traceId);
            assertThat(span.getParentSpanId()).as("child of the caller's span").isEqualTo(parentId);
            assertThat(span.getName()).isEqualTo("GET api");
            assertThat(span.getAttributes().get(AttributeKey.stringKey("edge.route"))).isEqualTo("api");
            assertThat(span.getAttributes().get(AttributeKey.stringKey("edge.cluster"))).isEqualTo("app");
            assertThat(span.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200);
            assertThat(span.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo(o.address());
            var atOrigin = o.seen.get(o.seen.size() - 1).headers();
            assertThat(atOrigin.get("traceparent")).as("the origin's parent is the gateway's span")
                    .isEqualTo("00-" + traceId + "-" + span.getSpanId() + "-01");
            assertThat(atOrigin.get("tracestate")).isEqualTo("vendor=1");
            assertThat(atOrigin.get("baggage")).isEqualTo("tenant=acme");

            // No incoming trace: the gateway starts one.
            RawHttp.exchange(gw.port(), "GET /fresh HTTP/1.1\r\nHost: x\r\n\r\n");
            SpanData fresh = spans.getFinishedSpanItems().get(1);
            assertThat(fresh.getParentSpanContext().isValid()).isFalse();
            assertThat(o.seen.get(o.seen.size() - 1).headers().get("traceparent")).contains(fresh.getTraceId());

            // The access log has both, with their trace ids.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            List<String> lines = List.of();
            while (System.nanoTime() < deadline && lines.size() < 2) {
                lines = Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of();
                Thread.sleep(20);
            }
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).startsWith("{\"time\":\"").contains("\"kind\":\"request\"").contains("\"traceId\":\"" + traceId + "\"")
                    .contains("\"method\":\"GET\"").contains("\"path\":\"/traced\"").contains("\"status\":200").contains("\"route\":\"api\"")
                    .contains("\"cluster\":\"app\"").contains("\"endpoint\":\"" + o.address() + "\"").containsPattern("\"requestId\":\"[0-9a-f]{32}\"")
                    .containsPattern("\"upstreamMicros\":[1-9]");
        }
    }

    /**
     * Behind a trusted proxy (a CDN, a load balancer that forwards) every line's {@code client}
     * was the proxy: the log named no client. {@code forwardedFor} names the one the proxy
     * forwards for, by the forwarding headers' rule; it is absent when the peer is the client.
     */
    @Test
    void theAccessLogNamesTheClientATrustedProxyForwardsFor(@TempDir Path dir) throws Exception {
        Path accessLog = dir.resolve("access.log");
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     forwarding: {trustedProxies: [127.0.0.1/32, 10.0.0.0/8]}
                     accessLog: {enabled: true, path: %s}
                     routes: [{name: api, cluster: app}]
                     clusters: [{name: app, endpoints: [%s]}]
                     """.formatted(accessLog, o.address())))) {
            String[] forwarded = {"", "X-Forwarded-For: 6.6.6.6, 2001:DB8::7, 10.0.0.1\r\n", "X-Forwarded-For: 198.51.100.9:4711\r\n"};
            for (String xff : forwarded) {
                assertThat(RawHttp.exchange(gw.port(), "GET /" + forwarded.length + " HTTP/1.1\r\nHost: x\r\n" + xff + "\r\n").status()).isEqualTo(200);
            }
            Await.until(() -> lines(accessLog).size() == forwarded.length, 10_000, "three access-log lines");
            List<String> lines = lines(accessLog);
            assertThat(lines.get(0)).contains("\"client\":\"127.0.0.1\"").doesNotContain("forwardedFor");
            assertThat(lines.get(1)).contains("\"client\":\"127.0.0.1\"").contains("\"forwardedFor\":\"2001:db8::7\"");
            assertThat(lines.get(2)).contains("\"forwardedFor\":\"198.51.100.9\"");
        }
    }

    /**
     * {@code bytesOut} counts the body the client was sent: none for the gateway's own answer to a
     * HEAD (a route's page, a refusal), on either protocol, as for an origin's. Before, a refusal
     * counted the body a GET would have got, which the HEAD's answer never carried.
     */
    @Test
    void theGatewaysOwnAnswerToAHeadCountsNoBytesOut(@TempDir Path dir) throws Exception {
        Path accessLog = dir.resolve("access.log");
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     accessLog: {enabled: true, path: %s}
                     routes:
                       - {name: down, match: {pathPrefix: /down}, directResponse: {status: 503, body: "down for maintenance"}}
                       - {name: api, match: {pathPrefix: /api}, cluster: app}
                     clusters: [{name: app, endpoints: [%s]}]
                     """.formatted(accessLog, o.address())))) {
            assertThat(RawHttp.untilClosed(gw.port(), "HEAD /down HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 503");
            assertThat(RawHttp.untilClosed(gw.port(), "HEAD /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 404");
            Process curl = new ProcessBuilder("curl", "-s", "-I", "--http2-prior-knowledge", "http://127.0.0.1:" + gw.port() + "/down")
                    .redirectErrorStream(true).start();
            assertThat(new String(curl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).startsWith("HTTP/2 503");
            assertThat(curl.waitFor()).isZero();
            assertThat(RawHttp.exchange(gw.port(), "GET /down HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(503);
            Await.until(() -> lines(accessLog).size() == 4, 10_000, "four access-log lines");
            List<String> lines = lines(accessLog);
            for (String line : lines.subList(0, 3)) {
                assertThat(line).contains("\"method\":\"HEAD\"").contains("\"bytesOut\":0,");
            }
            assertThat(lines.get(3)).contains("\"method\":\"GET\"").contains("\"bytesOut\":20,");
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void readinessSaysDegradedWhileRedisIsDownAndPoliciesFailOpen() throws Exception {
        try (RefusedPort closed = new RefusedPort(); TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     redis: {nodes: [127.0.0.1:%d]}
                     routes:
                       - name: api
                         cluster: app
                         rateLimits: [{name: shared, mode: distributed, limits: [{rate: 100/s}], failOpen: true}]
                     clusters: [{name: app, endpoints: [%s]}]
                     """.formatted(closed.port(), o.address())))) {
            String ready = gw.adminGet("/ready");
            assertThat(ready).startsWith("ready (degraded: Redis");
            assertThat(gw.metric("edge_ratelimit_redis_up")).isEqualTo(0);
            assertThat(RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
        }
    }
}
