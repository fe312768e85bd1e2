package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an origin sends, through the gateway's own HTTP/1 response decoder, over real sockets: a
 * head it cannot read is a 502; a body that breaks its framing reaches the client as a truncation
 * (never as a clean end) and its connection is not used again; obs-fold is joined. And the other
 * way: a client's chunked body that breaks never reaches the origin as a complete one.
 */
@Timeout(60)
class OriginResponseTest {

    @Test
    void aHeadWithAControlCharacterIsA502AndTheNextRequestGetsAFreshConnection() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\u0001b\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            RawHttp.Response bad = RawHttp.exchange(gw.port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(bad.status()).isEqualTo(502);
            assertThat(bad.text()).contains("invalid response");
            RawHttp.Response next = RawHttp.exchange(gw.port(), "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).isEqualTo("fresh");
            assertThat(origin.connections.get()).as("origin connections").isEqualTo(2);
            assertThat(gw.metric("edge_upstream_errors_total{cluster=\"o\",kind=\"bad_response\"}")).isEqualTo(1.0);
        }
    }

    /**
     * Bytes an origin sends past the end of a response (a 204 with a body, a body longer than its
     * Content-Length, here carrying a whole second response) answer no request: the connection is
     * closed, not pooled. Before, they waited in the pooled connection's decoder, and the next
     * request on it got a 502 (or, had they been a whole response, someone else's answer).
     */
    @Test
    void bytesPastTheEndOfAResponseCloseItsConnectionRatherThanAnswerTheNextRequest() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"));
                GatewayFixture gw = new GatewayFixture(config(origin));
                RawHttp http = new RawHttp(gw.port())) { // one client connection: one event loop, one pool
            http.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(204);
            http.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response b = http.read();
            assertThat(b.status()).isEqualTo(200);
            assertThat(b.text()).isEqualTo("ok");
            http.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response c = http.read();
            assertThat(c.status()).isEqualTo(200);
            assertThat(c.text()).as("the origin's answer to /c, not the bytes it sent after /b's").isEqualTo("fresh");
            assertThat(origin.connections.get()).as("origin connections: neither was pooled with bytes left over").isEqualTo(3);
        }
    }

    @Test
    void aChunkedBodyThatBreaksIsATruncationAndItsConnectionIsNotPooled() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nworld",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            String broken = RawHttp.untilClosed(gw.port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(broken).startsWith("HTTP/1.1 200");
            assertThat(broken.substring(broken.indexOf("\r\n\r\n") + 4)).as("the body, without a last chunk: the client can tell it is cut short")
                    .isEqualTo("5\r\nhello\r\n");
            RawHttp.Response next = RawHttp.exchange(gw.port(), "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).isEqualTo("fresh");
            assertThat(origin.connections.get()).as("the broken connection was not pooled").isEqualTo(2);
        }
    }

    /** An origin's Connection option naming Content-Length is not obeyed: the client keeps the body's framing. */
    @Test
    void aResponsesConnectionOptionNamingItsLengthIsIgnored() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: content-length, X-Origin-Secret\r\nX-Origin-Secret: s\r\n\r\nhello",
                "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"));
                GatewayFixture gw = new GatewayFixture(config(origin));
                RawHttp http = new RawHttp(gw.port())) {
            http.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response first = http.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("content-length")).isEqualTo("5");
            assertThat(first.header("x-origin-secret")).isNull();
            assertThat(first.text()).isEqualTo("hello");
            http.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"); // and the client's connection still reads in step
            assertThat(http.read().text()).isEqualTo("next");
        }
    }

    @Test
    void anInterimResponseLosesItsHopByHopFieldsToo() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nConnection: X-Hint-Secret\r\nX-Hint-Secret: s\r\n"
                        + "Keep-Alive: timeout=5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            String both = RawHttp.untilClosed(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String interim = both.substring(0, both.indexOf("\r\n\r\n") + 4).toLowerCase();
            assertThat(interim).startsWith("http/1.1 103").contains("link: </a.css>; rel=preload");
            assertThat(interim).doesNotContain("x-hint-secret").doesNotContain("keep-alive").doesNotContain("connection:");
            assertThat(both).contains("HTTP/1.1 200 OK").endsWith("\r\n\r\nok");
        }
    }

    /**
     * HTTP/1.0 has no chunked coding (RFC 9112 6.1): an origin's chunked body reaches an HTTP/1.0
     * client unframed and ends with the connection, even one that asked to keep it alive; its
     * trailers have nowhere to go. An HTTP/1.1 client still gets the chunks.
     */
    @Test
    void aChunkedBodyReachesAnHttp10ClientUnchunkedAndEndsWithTheConnection() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n";
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(chunked, chunked, chunked));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            for (String request : new String[] {"GET /a HTTP/1.0\r\nHost: x\r\n\r\n",
                    "GET /b HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"}) {
                String all = RawHttp.untilClosed(gw.port(), request);
                String head = all.substring(0, all.indexOf("\r\n\r\n") + 4).toLowerCase();
                assertThat(head).as(request).startsWith("http/1.1 200").doesNotContain("transfer-encoding").contains("connection: close");
                assertThat(all.substring(head.length())).as(request).isEqualTo("abcde");
            }
            RawHttp.Response chunkedToHttp11 = RawHttp.exchange(gw.port(), "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(chunkedToHttp11.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(chunkedToHttp11.text()).isEqualTo("abcde");
        }
    }

    /**
     * An origin's 101 to a protocol the client did not ask for is an invalid answer: a 502, not a
     * tunnel the WebSocket client cannot speak. One naming websocket switches as before.
     */
    @Test
    void aSwitchToAnotherProtocolThanTheOneAskedForIs502() throws Exception {
        String upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
                "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n"
                        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            RawHttp.Response other = RawHttp.exchange(gw.port(), upgrade);
            assertThat(other.status()).isEqualTo(502);
            assertThat(other.text()).contains("the origin sent an invalid response");
            try (RawHttp http = new RawHttp(gw.port())) {
                http.send(upgrade);
                RawHttp.Response ws = http.readHeadOnly();
                assertThat(ws.status()).isEqualTo(101);
                assertThat(ws.header("upgrade")).isEqualToIgnoringCase("websocket");
            }
            assertThat(gw.metric("edge_upstream_errors_total{cluster=\"o\",kind=\"bad_response\"}")).isEqualTo(1.0);
        }
    }

    /** HTTP/1.0 has no 1xx (RFC 9110 15.2): an origin's interim response is not relayed to an HTTP/1.0 client. */
    @Test
    void anHttp10ClientGetsNoInterimResponse() throws Exception {
        String early = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(early, early));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            for (String version : new String[] {"1.0", "1.1"}) {
                String all = RawHttp.untilClosed(gw.port(), "GET / HTTP/" + version + "\r\nHost: x\r\nConnection: close\r\n\r\n");
                if (version.equals("1.0")) {
                    assertThat(all).as(version).startsWith("HTTP/1.1 200 OK").doesNotContain("103").endsWith("\r\n\r\nok");
                } else {
                    assertThat(all).as(version).startsWith("HTTP/1.1 103 Early Hints").contains("HTTP/1.1 200 OK").endsWith("\r\n\r\nok");
                }
            }
        }
    }

    /**
     * A response in a transfer coding other than chunked is a 502: the gateway re-frames bodies and
     * drops the field, so a gzip-coded body reached the client as if it were plain.
     */
    @Test
    void aResponseInAnotherTransferCodingIs502NotPassedOnStillCoded() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n4\r\nnext\r\n0\r\n\r\n"));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            for (String coding : new String[] {"gzip, chunked", "gzip"}) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(r.status()).as(coding).isEqualTo(502);
                assertThat(r.text()).as(coding).contains("the origin sent an invalid response");
            }
            RawHttp.Response plain = RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(plain.status()).isEqualTo(200);
            assertThat(plain.text()).isEqualTo("next");
        }
    }

    @Test
    void foldedFieldsAreJoinedAndAHeadResponseKeepsTheConnection() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 200 OK\r\nX-Fold: one\r\n  two\r\nContent-Length: 3\r\n\r\nabc",
                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
                "HTTP/1.1 200 Fine Thanks\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nxyz\r\n0\r\nX-Trailer: t\r\n\r\n"));
                GatewayFixture gw = new GatewayFixture(config(origin));
                RawHttp client = new RawHttp(gw.port())) {
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response folded = client.read();
            assertThat(folded.header("x-fold")).isEqualTo("one two");
            assertThat(folded.text()).isEqualTo("abc");
            client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = client.readHeadOnly();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("100");
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response chunked = client.read();
            assertThat(chunked.text()).isEqualTo("xyz");
            assertThat(origin.connections.get()).as("one origin connection for all three").isEqualTo(1);
        }
    }

    @Test
    void aClientsChunkedBodyThatBreaksIs400AndTheOriginSeesItCutShort() throws Exception {
        try (ServerSocket origin = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
                GatewayFixture gw = new GatewayFixture(config("127.0.0.1:" + origin.getLocalPort()))) {
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
            Thread reader = new Thread(() -> {
                try (Socket s = origin.accept()) {
                    s.getInputStream().transferTo(received); // until the gateway closes: the origin never answers
                } catch (IOException e) {
                    // reset by the gateway: also an end
                }
                ended.set(true);
            });
            reader.setDaemon(true);
            reader.start();
            RawHttp.Response r = RawHttp.exchange(gw.port(),
                    "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.text()).contains("malformed request body");
            Await.until(ended::get, 10_000, () -> "the origin connection closed; received: " + received);
            String atOrigin = received.toString(StandardCharsets.ISO_8859_1);
            assertThat(atOrigin).startsWith("POST /upload HTTP/1.1\r\n");
            assertThat(atOrigin.substring(atOrigin.indexOf("\r\n\r\n") + 4)).as("the body, without a last chunk: the origin cannot take it for a whole one")
                    .isEqualTo("5\r\nhello\r\n");
        }
    }

    /**
     * RFC 9110 6.6.1: a proxy adds a {@code Date} to a response that came without one, and a
     * server with a clock sends one with its own answers; the gateway is the server of its local
     * answers and of its admin's. An origin's own {@code Date} passes unchanged, and only once.
     */
    @Test
    void everyResponseCarriesADateAndAnOriginsOwnIsKept() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin(List.of(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                GatewayFixture gw = new GatewayFixture(config(origin))) {
            Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            String undated = RawHttp.untilClosed(gw.port(), "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String dated = RawHttp.untilClosed(gw.port(), "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String local = RawHttp.untilClosed(gw.port(), "GET / HTTP/1.1\r\nHost: nowhere\r\nConnection: close\r\n\r\n");
            String admin = RawHttp.untilClosed(gw.adminPort(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String h2Undated = curlHead(gw.port(), "x");
            String h2Local = curlHead(gw.port(), "nowhere");
            Instant after = Instant.now();
            assertThat(dates(dated)).as("the origin's Date, as it sent it").containsExactly("Tue, 01 Jan 2030 00:00:00 GMT");
            assertThat(local).startsWith("HTTP/1.1 404");
            assertThat(h2Undated).startsWith("HTTP/2 200");
            assertThat(h2Local).startsWith("HTTP/2 404");
            for (String response : List.of(undated, local, admin, h2Undated, h2Local)) {
                assertThat(dates(response)).as("one Date in %s", response).hasSize(1);
                Instant date = ZonedDateTime.parse(dates(response).get(0), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                assertThat(date).as("the Date of %s", response).isBetween(before, after);
                assertThat(dates(response).get(0)).as("IMF-fixdate: a two-digit day").matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
            }
        }
    }

    /** The head curl prints for a GET over HTTP/2 (prior knowledge) to host {@code host}. */
    private static String curlHead(int port, String host) throws IOException {
        return Curl.run("-s", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null", "-H", "Host: " + host, "http://127.0.0.1:" + port + "/").out();
    }

    /** The values of a raw response's Date fields, in order. */
    private static List<String> dates(String response) {
        return response.substring(0, response.indexOf("\r\n\r\n")).lines()
                .filter(l -> l.regionMatches(true, 0, "date:", 0, 5)).map(l -> l.substring(5).strip()).toList();
    }

    /** Sends {@code request} on a new connection and reads everything until the gateway closes it. */
    private static String config(ScriptedOrigin origin) {
        return config(origin.address());
    }

    /** One route for host x to one cluster of one endpoint. */
    private static String config(String endpoint) {
        return GatewayFixture.config("""
                routes:
                  - name: all
                    match: {host: x}
                    cluster: o
                clusters:
                  - name: o
                    endpoints: [%s]
                """.formatted(endpoint));
    }

    /** An origin that answers the nth request it reads, on any connection, with the nth script, as bytes. */
    static final class ScriptedOrigin implements AutoCloseable {
        final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger requests = new AtomicInteger();
        private final ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        private final List<String> scripts;

        ScriptedOrigin(List<String> scripts) throws IOException {
            this.scripts = scripts;
            Thread t = new Thread(this::accept, "scripted-origin");
            t.setDaemon(true);
            t.start();
        }

        String address() {
            return "127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread t = new Thread(() -> serve(s), "scripted-origin-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                while (readHead(in)) {
                    int n = requests.getAndIncrement();
                    String script = n < scripts.size() ? scripts.get(n) : "HTTP/1.1 500 Out Of Script\r\nContent-Length: 0\r\n\r\n";
                    s.getOutputStream().write(script.getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                }
            } catch (IOException e) {
                // the gateway closed it
            }
        }

        private static boolean readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                byte[] h = head.toByteArray();
                int n = h.length;
                if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
