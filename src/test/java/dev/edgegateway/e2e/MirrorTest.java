package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Traffic mirroring with real origins: every request of the route reaches the mirror too, marked
 * and with its body; the mirror's answers never reach the client; a mirror that hangs holds at
 * most {@code maxInFlight} copies (the rest dropped and counted) while clients are answered as
 * without it.
 */
class MirrorTest {
    static String config(TestOrigin app, TestOrigin shadow, int maxInFlight) {
        return GatewayFixture.config("""
                timeouts: {responseHeader: 2s}
                routes:
                  - name: plain
                    match: {pathPrefix: /plain}
                    cluster: app
                  - name: api
                    cluster: app
                    mirror: {cluster: shadow, percent: 100, maxInFlight: %d}
                clusters:
                  - {name: app, endpoints: ["%s"]}
                  - {name: shadow, endpoints: ["%s"]}
                """.formatted(maxInFlight, app.address(), shadow.address()));
    }

    @Test
    void copiesReachTheMirrorMarkedWithTheirBodiesAndItsAnswersNeverReachTheClient() throws Exception {
        try (TestOrigin app = new TestOrigin("app"); TestOrigin shadow = new TestOrigin("shadow");
             GatewayFixture gw = new GatewayFixture(config(app, shadow, 10))) {
            shadow.forceStatus = 500; // the new version is broken: users must not notice
            RawHttp.Response get = RawHttp.exchange(gw.port(), "GET /items?q=1 HTTP/1.1\r\nHost: shop.test\r\n\r\n");
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.header("x-origin")).isEqualTo("app");
            String body = "x".repeat(20_000);
            RawHttp.Response post = RawHttp.exchange(gw.port(), "POST /orders HTTP/1.1\r\nHost: shop.test\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body);
            assertThat(post.status()).isEqualTo(200);
            Await.until(() -> shadow.seen.size() == 2, 10_000, "both copies at the mirror");
            var first = shadow.seen.get(0).headers();
            assertThat(shadow.seen.get(0).uri()).isEqualTo("/items?q=1");
            assertThat(first.get("x-edge-shadow")).isEqualTo("1");
            assertThat(first.get("host")).isEqualTo("shop.test-shadow");
            assertThat(first.get("x-request-id")).isEqualTo(app.seen.get(0).headers().get("x-request-id"));
            assertThat(shadow.seen.get(1).method().name()).isEqualTo("POST");
            Await.until(() -> shadow.bytesReceived.get() == body.length(), 10_000, "the body copied whole");
            Await.until(() -> gw.metricOrMissing("edge_mirror_requests_total{outcome=\"sent\",route=\"api\"}") == 2, 10_000, "both counted");
            // A route without a mirror sends nothing there.
            RawHttp.exchange(gw.port(), "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(shadow.seen).hasSize(2);
        }
    }

    @Test
    void aHangingMirrorHoldsAtMostItsBoundAndClientsAreAnsweredAsWithoutIt() throws Exception {
        try (TestOrigin app = new TestOrigin("app"); TestOrigin shadow = new TestOrigin("shadow");
             GatewayFixture gw = new GatewayFixture(config(app, shadow, 5))) {
            shadow.hang = true;
            List<Double> mirrored = new ArrayList<>();
            List<Double> plain = new ArrayList<>();
            try (RawHttp http = new RawHttp(gw.port())) {
                for (int i = 0; i < 200; i++) {
                    for (String path : new String[] {"/x", "/plain/x"}) {
                        long t0 = System.nanoTime();
                        http.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                        assertThat(http.read().status()).isEqualTo(200);
                        (path.equals("/x") ? mirrored : plain).add((System.nanoTime() - t0) / 1e6);
                    }
                }
            }
            assertThat(shadow.maxInFlight.get()).as("copies outstanding at the hanging mirror").isLessThanOrEqualTo(5);
            assertThat(gw.metric("edge_mirror_requests_total{outcome=\"dropped\",route=\"api\"}")).isGreaterThan(0);
            Collections.sort(mirrored);
            Collections.sort(plain);
            System.out.printf("hanging mirror: client p99 %.2f ms with the mirror, %.2f ms without (200 requests each, interleaved); "
                            + "%d copies dropped%n", mirrored.get(197), plain.get(197),
                    (long) gw.metric("edge_mirror_requests_total{outcome=\"dropped\",route=\"api\"}"));
            // Once the mirror's response timeout passes, the copies held are given up (failed) and the slots are free.
            Await.until(() -> gw.metricOrMissing("edge_mirror_requests_total{outcome=\"failed\",route=\"api\"}") >= 5, 20_000,
                    "the hanging copies given up after the response timeout");
        }
    }
}
