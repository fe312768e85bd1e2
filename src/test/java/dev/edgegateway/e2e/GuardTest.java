package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bad input gets a 4xx from the gateway and never reaches an origin. */
@Timeout(60)
class GuardTest {
    private TestOrigin origin;
    private GatewayFixture gw;

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin("o");
        gw = new GatewayFixture(GatewayFixture.config("""
                timeouts: {requestHeader: 300ms, idle: 1s}
                limits: {maxRequestLineBytes: 1024, maxHeaderBytes: 4096, maxRequestBodyBytes: 1000}
                routes:
                  - name: shop
                    match: {host: shop.test}
                    cluster: shop
                clusters:
                  - name: shop
                    endpoints: [%s]
                """.formatted(origin.address())));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            assertThat(origin.requests.get()).as("requests that reached the origin").isZero();
        } finally {
            gw.close();
            origin.close();
        }
    }

    private RawHttp.Response send(String raw) throws Exception {
        return RawHttp.exchange(gw.port(), raw);
    }

    @Test
    void contentLengthTogetherWithTransferEncodingIs400() throws Exception {
        RawHttp.Response r = send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: shop.test\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text()).contains("both Content-Length and Transfer-Encoding");
        assertThat(r.header("connection")).isEqualTo("close");
    }

    @Test
    void invalidContentLengthIs400() throws Exception {
        assertThat(send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 12abc\r\n\r\n").status()).isEqualTo(400);
        assertThat(send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").status()).isEqualTo(400);
    }

    @Test
    void unknownTransferEncodingIs400() throws Exception {
        assertThat(send("POST / HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").status()).isEqualTo(400);
    }

    @Test
    void tooLongRequestLineIs414() throws Exception {
        assertThat(send("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: shop.test\r\n\r\n").status()).isEqualTo(414);
    }

    @Test
    void tooLargeHeadersAre431() throws Exception {
        assertThat(send("GET / HTTP/1.1\r\nHost: shop.test\r\nX-Big: " + "a".repeat(6000) + "\r\n\r\n").status()).isEqualTo(431);
    }

    @Test
    void declaredBodyOverTheLimitIs413() throws Exception {
        assertThat(send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 5000\r\n\r\n").status()).isEqualTo(413);
    }

    /**
     * A host naming nothing is as bad as none: an http URI with an empty host is invalid (RFC 9110
     * 4.2.1) and nginx refuses it; routed, it was a 404 here, and behind a catch-all route it reached
     * the origin with {@code Host:} empty.
     */
    @Test
    void missingEmptyOrRepeatedHostIs400() throws Exception {
        assertThat(send("GET / HTTP/1.1\r\n\r\n").status()).isEqualTo(400);
        assertThat(send("GET / HTTP/1.1\r\nHost: shop.test\r\nHost: other.test\r\n\r\n").status()).isEqualTo(400);
        for (String empty : new String[] {"GET / HTTP/1.1\r\nHost:\r\n\r\n", "GET / HTTP/1.0\r\nHost: :80\r\n\r\n",
                "GET http:///x HTTP/1.1\r\nHost: shop.test\r\n\r\n", "GET http://:8080/x HTTP/1.1\r\nHost: shop.test\r\n\r\n"}) {
            RawHttp.Response r = send(empty);
            assertThat(r.status()).as(empty).isEqualTo(400);
            assertThat(r.text()).as(empty).contains("invalid or repeated Host");
        }
        assertThat(send("GET / HTTP/1.0\r\n\r\n").status()).as("HTTP/1.0 needs no Host; no route serves it here").isEqualTo(404);
    }

    @Test
    void noMatchingRouteIs404AndTheConnectionStaysUsable() throws Exception {
        try (RawHttp http = new RawHttp(gw.port())) {
            http.send("GET / HTTP/1.1\r\nHost: unknown.test\r\n\r\n");
            RawHttp.Response r = http.read();
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.text()).contains("no route");
            http.send("GET /again HTTP/1.1\r\nHost: unknown.test\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(404);
        }
    }

    @Test
    void absoluteFormToAnotherHostIs404NeverAnOpenProxy() throws Exception {
        // The Host header names a routed host; the absolute-form target (which wins) does not.
        RawHttp.Response r = send("GET http://evil.example/steal HTTP/1.1\r\nHost: shop.test\r\n\r\n");
        assertThat(r.status()).isEqualTo(404);
        assertThat(send("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n").status()).isEqualTo(405);
    }

    @Test
    void slowHeadersAreCutOffWith408() throws Exception {
        try (RawHttp http = new RawHttp(gw.port(), 5000)) {
            http.send("GET / HTTP/1.1\r\nHost: shop.test\r\n"); // ... and never the blank line
            long start = System.nanoTime();
            RawHttp.Response r = http.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start).toMillis()).isLessThan(4000);
            assertThat(http.closedByPeer()).isTrue();
        }
        assertThat(gw.metric("edge_downstream_rejected_total{reason=\"header_timeout\"}")).isEqualTo(1);
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (RawHttp http = new RawHttp(gw.port(), 10_000)) {
            http.send("GET / HTTP/1.1\r\nHost: unknown.test\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(404);
            long start = System.nanoTime();
            assertThat(http.closedByPeer()).isTrue();
            // Configured 1 s; the upper bound only guards against "never".
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start).toMillis()).isBetween(800L, 8000L);
        }
    }

    @Test
    void aConnectionThatNeverSendsAByteIsClosedAfterTheIdleTimeout() throws Exception {
        // Before its first byte a connection is neither HTTP/1 nor HTTP/2 yet: the idle timeout
        // still applies.
        try (RawHttp http = new RawHttp(gw.port(), 10_000)) {
            long start = System.nanoTime();
            assertThat(http.closedByPeer()).isTrue();
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start).toMillis()).isBetween(800L, 8000L);
        }
    }

    @Test
    void garbageIs400() throws Exception {
        assertThat(send("HELLO\r\n\r\n").status()).isEqualTo(400);
        // The asterisk form belongs to OPTIONS alone (RFC 9112 3.2.4): with GET it is malformed, not unrouted.
        assertThat(send("GET * HTTP/1.1\r\nHost: a.test\r\n\r\n").status()).isEqualTo(400);
        assertThat(send("OPTIONS * HTTP/1.1\r\nHost: a.test\r\n\r\n").status()).isEqualTo(404);
    }

    /**
     * Clients that reset their connection at once (nothing sent, half a head, part of the HTTP/2
     * preface) are closed without a word: before, each could put a warning with a stack trace in
     * the log (the reset reaching the end of the still undecided pipeline, or the peer's address,
     * unreadable on io_uring once the peer is gone, failing the HTTP/1 set-up), a log any client
     * could fill at will.
     */
    @Test
    void clientsThatResetAtOnceLeaveNoWarningInTheLog() throws Exception {
        Logger root = (Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        root.addAppender(seen);
        try {
            String[] sends = {"", "GET /x HTTP/1.1\r\nHo", "PRI * HTTP/2.0\r\n"};
            for (int i = 0; i < 300; i++) {
                try (Socket s = new Socket("127.0.0.1", gw.port())) {
                    s.getOutputStream().write(sends[i % sends.length].getBytes(StandardCharsets.ISO_8859_1));
                    s.setSoLinger(true, 0); // the close is a reset
                }
            }
            assertThat(send("GET / HTTP/1.1\r\nHost: nowhere.test\r\n\r\n").status()).as("the gateway still answers").isEqualTo(404);
            Await.until(() -> gw.metricOrMissing("edge_downstream_connections_accepted_total") >= 301
                    && gw.metricOrMissing("edge_downstream_connections_open") == 0, 20_000,
                    () -> "every reset connection accepted and closed: accepted " + gw.metricOrMissing("edge_downstream_connections_accepted_total")
                            + ", open " + gw.metricOrMissing("edge_downstream_connections_open"));
        } finally {
            root.detachAppender(seen);
        }
        assertThat(seen.list).as("warnings logged for the resets").extracting(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).isEmpty();
    }
}
