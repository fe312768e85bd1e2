package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The idle and header timers of each HTTP/1 pipeline, over real sockets: a clear-text client
 * connection (the listener with the HTTP/2 preface check, and one without), an origin connection,
 * a tunnel. On clear text the codec is the connection's idle timer, and on an origin connection
 * always; a tunnel gets a timer of its own. Each closes a quiet connection no earlier than its
 * timeout, and a connection in use past several timeouts stays open.
 */
@Timeout(90)
class IdleTimersTest {
    private static String config(String origin, String timeouts) {
        return """
                listeners:
                  - {name: public, address: 127.0.0.1:0}
                  - {name: plain, address: 127.0.0.1:0, http2: {cleartext: false}}
                admin: {address: 127.0.0.1:0}
                timeouts: {%s}
                routes:
                  - {name: all, cluster: origin}
                clusters:
                  - {name: origin, endpoints: [%s]}
                """.formatted(timeouts, origin);
    }

    @Test
    void bothClearTextListenersCloseAQuietKeepAliveConnectionAndTimeSlowHeaders() throws Exception {
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(config(origin.address(), "requestHeader: 300ms, idle: 1s"))) {
            for (String listener : new String[] {"public", "plain"}) {
                try (RawHttp http = new RawHttp(gw.port(listener), 10_000)) {
                    http.send("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
                    assertThat(http.read().status()).as(listener).isEqualTo(200);
                    long quietFrom = System.nanoTime(); // the gateway's last write was earlier still
                    assertThat(http.closedByPeer()).as(listener + ": closed while quiet").isTrue();
                    assertThat(Duration.ofNanos(System.nanoTime() - quietFrom).toMillis()).as(listener + ": not before the idle timeout")
                            .isGreaterThanOrEqualTo(800);
                }
                try (RawHttp http = new RawHttp(gw.port(listener), 10_000)) {
                    http.send("GET / HTTP/1.1\r\nHost: a.test\r\n"); // ... and never the blank line
                    assertThat(http.read().status()).as(listener).isEqualTo(408);
                    assertThat(http.closedByPeer()).isTrue();
                }
            }
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"header_timeout\"}")).isEqualTo(2);
        }
    }

    /**
     * A request body that stops coming is answered 408 after the idle timeout (Envoy's stream idle
     * timeout), not cut off with no word; the origin connection, left with half a request, is not
     * used again. Before, the client saw its connection close with no response.
     */
    @Test
    void aRequestBodyThatStopsComingIsAnswered408AfterTheIdleTimeout() throws Exception {
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(config(origin.address(), "idle: 1s"))) {
            for (String listener : new String[] {"public", "plain"}) {
                try (RawHttp http = new RawHttp(gw.port(listener), 10_000)) {
                    http.send("POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\nabc");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).as(listener).isEqualTo(408);
                    assertThat(r.headers()).as(listener).containsEntry("connection", "close").containsEntry("x-edge-rejected", "body_timeout");
                    assertThat(http.closedByPeer()).as(listener).isTrue();
                }
                assertThat(RawHttp.exchange(gw.port(listener), "GET /after HTTP/1.1\r\nHost: a.test\r\n\r\n").status()).isEqualTo(200);
            }
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"body_timeout\"}")).isEqualTo(2);
            assertThat(origin.seen).extracting(io.netty.handler.codec.http.HttpRequest::uri)
                    .containsExactly("/upload", "/after", "/upload", "/after");
        }
    }

    @Test
    void aClientConnectionInUsePastSeveralIdleTimeoutsStaysOpen() throws Exception {
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(config(origin.address(), "idle: 2s"))) {
            for (String listener : new String[] {"public", "plain"}) {
                try (RawHttp http = new RawHttp(gw.port(listener), 10_000)) {
                    long until = System.nanoTime() + Duration.ofMillis(5000).toNanos();
                    int answered = 0;
                    while (System.nanoTime() < until) {
                        http.send("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
                        assertThat(http.read().status()).as(listener + ", request " + answered).isEqualTo(200);
                        answered++;
                        Thread.sleep(100);
                    }
                    assertThat(answered).isGreaterThan(1);
                }
            }
        }
    }

    @Test
    void aPooledOriginConnectionIsKeptWhileUsedAndClosedOnceQuietForTheUpstreamIdleTimeout() throws Exception {
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(config(origin.address(), "upstreamIdle: 2s"))) {
            long quietFrom;
            try (RawHttp http = new RawHttp(gw.port(), 10_000)) {
                long until = System.nanoTime() + Duration.ofMillis(5000).toNanos();
                do {
                    Thread.sleep(100);
                    http.send("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
                    assertThat(http.read().status()).isEqualTo(200);
                    quietFrom = System.nanoTime(); // the origin connection's last read was earlier still
                } while (quietFrom < until);
            }
            // One request at a time: one origin connection, reused throughout.
            assertThat(origin.connections.get()).as("origin connections opened").isEqualTo(1);
            Await.until(() -> origin.openConnections() == 0, 20_000, "the quiet origin connection closed");
            assertThat(Duration.ofNanos(System.nanoTime() - quietFrom).toMillis()).as("not before the upstream idle timeout")
                    .isGreaterThanOrEqualTo(1800);
        }
    }

    @Test
    void aQuietClearTextTunnelIsClosedAfterTheTunnelIdleTimeout() throws Exception {
        try (WsOrigin origin = new WsOrigin("w");
             GatewayFixture gw = new GatewayFixture(config(origin.address(), "idle: 30s, tunnelIdle: 2s"))) {
            HttpClient client = HttpClient.newHttpClient();
            for (String listener : new String[] {"public", "plain"}) {
                WsClient ws = new WsClient(client, gw.port(listener), "s");
                // In use past the tunnel's idle timeout: open.
                long until = System.nanoTime() + Duration.ofMillis(5000).toNanos();
                long quietFrom;
                do {
                    Thread.sleep(100);
                    assertThat(ws.echo("hi")).as(listener).isEqualTo("w:hi");
                    quietFrom = System.nanoTime();
                } while (quietFrom < until);
                assertThat(ws.awaitClosed(20_000)).as(listener + ": the quiet tunnel closed").isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - quietFrom).toMillis()).as(listener + ": not before the tunnel idle timeout")
                        .isGreaterThanOrEqualTo(1800);
                ws.close();
            }
            Await.until(() -> gw.metricOrMissing("edge_tunnels_open") == 0, 20_000, "no tunnel open");
        }
    }
}
