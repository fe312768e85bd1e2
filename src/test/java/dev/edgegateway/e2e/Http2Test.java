package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP/2 on raw frames, against h2c. Abuse: a rapid-reset burst (CVE-2023-44487), a CONTINUATION
 * flood and oversized header lists; each is cut off on its own stream or connection while other
 * clients keep being served. Drain: GOAWAY, then the open stream finishes. And a WebSocket over
 * an HTTP/2 stream (RFC 8441).
 */
@Timeout(60)
class Http2Test {
    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int SETTINGS = 0x4;
    private static final int PING = 0x6;
    private static final int GOAWAY = 0x7;
    private static final int CONTINUATION = 0x9;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int ENHANCE_YOUR_CALM = 0xb;

    private static GatewayFixture gateway(TestOrigin origin) throws Exception {
        return new GatewayFixture("""
                admin:
                  address: 127.0.0.1:0
                drain: {readinessDelay: 0s, timeout: 5s}
                listeners:
                  - name: public
                    address: 127.0.0.1:0
                    http2: {maxResetsPerWindow: 100, resetWindow: 10s}
                routes:
                  - name: all
                    cluster: web
                clusters:
                  - {name: web, endpoints: [%s]}
                """.formatted(origin.address()));
    }

    @Test
    void aRapidResetBurstIsCutOffAndOtherConnectionsCarryOn() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin);
             RawHttp bystander = new RawHttp(gw.port())) {
            bystander.send("GET /before HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(bystander.read().status()).isEqualTo(200);

            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 1000; i++) {
                int stream = 2 * i + 1;
                frame(burst, HEADERS, END_STREAM | END_HEADERS, stream, requestBlock("/reset"));
                frame(burst, RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}); // CANCEL
            }
            Goaway goaway = firstGoaway(abuse(gw.port(), burst));
            assertThat(goaway).as("a GOAWAY before the connection closed").isNotNull();
            assertThat(goaway.error).isEqualTo(ENHANCE_YOUR_CALM);
            System.out.printf("rapid reset: GOAWAY(ENHANCE_YOUR_CALM), last stream %d of 1999; the origin saw %d requests%n",
                    goaway.lastStream, origin.requests.get() - 1);
            // The GOAWAY names the last stream the gateway took (about maxResetsPerWindow pairs in),
            // not 2^31-1; a stream reset in the read that brought it never starts, so at most one
            // (its HEADERS at the end of one read, its RST_STREAM in the next) reached the origin.
            assertThat(goaway.lastStream).isBetween(101, 2 * 110 + 1);
            assertThat(origin.requests.get() - 1).isLessThanOrEqualTo(1);

            // The connection that behaved is still served, and so is a new HTTP/2 client.
            bystander.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(bystander.read().status()).isEqualTo(200);
            if (Tools.curl()) {
                Curl.Result r = Curl.run("-s", "--http2-prior-knowledge", "-w", "\\n%{http_code} %{http_version}", "http://127.0.0.1:" + gw.port() + "/h2");
                assertThat(r.out()).endsWith("200 2");
            }
            // Every stream's exchange was cleaned up: only the bystander is open.
            Await.until(() -> gw.metricOrMissing("edge_downstream_connections_open") == 1, 5000, "the abusive connection's state released");
            Await.until(() -> gw.adminGetUnchecked("/clusters").contains("\"requests\":0,")
                    && gw.adminGetUnchecked("/clusters").contains("\"inFlight\":0"), 5000, "no request slot or endpoint in-flight count held");
        }
    }

    @Test
    void aContinuationFloodIsCutOff() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin)) {
            // A header block that never ends: one HEADERS without END_HEADERS, then thousands of
            // CONTINUATION frames, each carrying a little more of a literal header.
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            frame(flood, HEADERS, END_STREAM, 1, requestBlock("/flood"));
            byte[] chunk = new byte[16];
            for (int i = 0; i < 20_000; i++) {
                frame(flood, CONTINUATION, 0, 1, chunk);
            }
            Goaway goaway = firstGoaway(abuse(gw.port(), flood));
            assertThat(goaway).as("GOAWAY, not an endless read").isNotNull();
            assertThat(goaway.error).isEqualTo(ENHANCE_YOUR_CALM);
            assertThat(origin.requests.get()).isZero();
            if (Tools.curl()) {
                Curl.Result r = Curl.run("-s", "--http2-prior-knowledge", "-w", "\\n%{http_code} %{http_version}", "http://127.0.0.1:" + gw.port() + "/h2");
                assertThat(r.out()).endsWith("200 2");
            }
        }
    }

    @Test
    void oversizedHeaderListsGet431OnTheirStreamsAndTheConnectionServesOn() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin)) {
            if (Tools.curl()) {
                // A real client sees 431 (limits.maxHeaderBytes is 16 KiB; this is 32 KiB).
                Curl.Result r = Curl.run("-s", "--http2-prior-knowledge", "-w", "%{http_code} %{http_version}", "-o", "/dev/null",
                        "-H", "x-big: " + "x".repeat(32_768), "http://127.0.0.1:" + gw.port() + "/big");
                assertThat(r.out()).isEqualTo("431 2");
            }
            // On one connection (raw frames: curl 7.88 cannot reuse an h2c connection, with any
            // server): header lists of 20 KB, 32 KiB and 60 KB on streams 1, 3 and 5 (HEADERS and
            // CONTINUATION), then a normal request on stream 7. Each oversized stream is answered
            // 431 and ended, stream 7 gets its response, and the connection is not closed.
            int[] sizes = {20_000, 32_768, 60_000};
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            for (int i = 0; i < sizes.length; i++) {
                oversizedRequest(frames, 2 * i + 1, sizes[i]);
            }
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 7, requestBlock("/small"));
            try (Socket s = h2c(gw.port())) {
                s.getOutputStream().write(frames.toByteArray());
                s.setSoTimeout(2000); // the connection stays open: read until quiet
                List<Frame> got = readFrames(s);
                assertThat(got).noneMatch(f -> f.type() == GOAWAY);
                Hpack hpack = new Hpack();
                for (int stream : new int[] {1, 3, 5}) {
                    Frame head = got.stream().filter(f -> f.stream() == stream && f.type() == HEADERS).findFirst().orElseThrow();
                    assertThat(hpack.status(head)).as("stream " + stream).isEqualTo("431");
                    assertThat(got).anyMatch(f -> f.stream() == stream && (f.flags() & END_STREAM) != 0);
                }
                assertThat(got).anyMatch(f -> f.stream() == 7 && f.type() == HEADERS);
                assertThat(got).anyMatch(f -> f.stream() == 7 && f.type() == 0x0 && (f.flags() & END_STREAM) != 0);
                assertThat(s.isClosed()).isFalse();
            }
            assertThat(origin.requests.get()).as("only the normal request reached the origin").isEqualTo(1);
            assertThat(origin.seen.get(0).uri()).isEqualTo("/small");
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"headers_too_large\"}")).isGreaterThanOrEqualTo(3);
        }
    }

    /**
     * A stream whose DATA disagrees with its content-length is malformed (RFC 9113 8.1.1): it is
     * reset with PROTOCOL_ERROR and reaches no origin, and the connection serves on. Before, the
     * codec's stream error was taken as already answered: the client waited for ever, with the
     * stream holding its slot, and the bytes past the length were the H2.CL smuggling shape.
     */
    @Test
    void aBodyThatDisagreesWithItsContentLengthIsResetAndReachesNoOrigin() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin); Socket s = h2c(gw.port())) {
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frame(frames, HEADERS, END_HEADERS, 1, postBlock("/longer", 1));
            frame(frames, DATA, END_STREAM, 1, "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(frames, HEADERS, END_HEADERS, 3, postBlock("/shorter", 10));
            frame(frames, DATA, END_STREAM, 3, "abc".getBytes(StandardCharsets.US_ASCII));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 5, requestBlock("/after"));
            s.getOutputStream().write(frames.toByteArray());
            DataInputStream in = new DataInputStream(s.getInputStream());
            List<Frame> seen = new ArrayList<>();
            java.util.Set<Integer> reset = new java.util.HashSet<>();
            awaitFrame(in, f -> {
                seen.add(f);
                if (f.type() == RST_STREAM) {
                    reset.add(f.stream());
                    assertThat(f.payload()).as("PROTOCOL_ERROR").containsExactly(0, 0, 0, 1);
                }
                return reset.size() == 2 && seen.stream().anyMatch(x -> x.stream() == 5 && (x.flags() & END_STREAM) != 0);
            });
            assertThat(reset).containsExactlyInAnyOrder(1, 3);
            assertThat(seen).noneMatch(f -> f.type() == GOAWAY).noneMatch(f -> (f.stream() == 1 || f.stream() == 3) && f.type() == HEADERS);
            assertThat(origin.seen).extracting(io.netty.handler.codec.http.HttpRequest::uri).containsExactly("/after");
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"bad_request\"}")).isEqualTo(2);

            // A stream already at the origin when its DATA overruns the length: reset, and its origin
            // connection (7 bytes of body short) is not used again, so the next request is read whole.
            frames.reset();
            frame(frames, HEADERS, END_HEADERS, 7, postBlock("/partial", 10));
            frame(frames, DATA, 0, 7, "abc".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(frames.toByteArray());
            Await.until(() -> origin.requests.get() == 2, 10_000, "the partial request at the origin");
            frames.reset();
            frame(frames, DATA, END_STREAM, 7, "x".repeat(20).getBytes(StandardCharsets.US_ASCII));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 9, requestBlock("/next"));
            s.getOutputStream().write(frames.toByteArray());
            seen.clear();
            awaitFrame(in, f -> {
                seen.add(f);
                return seen.stream().anyMatch(x -> x.stream() == 7 && x.type() == RST_STREAM)
                        && seen.stream().anyMatch(x -> x.stream() == 9 && (x.flags() & END_STREAM) != 0);
            });
            assertThat(seen).noneMatch(f -> f.stream() == 9 && f.type() == RST_STREAM).anyMatch(f -> f.stream() == 9 && f.type() == DATA);
            assertThat(origin.seen).extracting(io.netty.handler.codec.http.HttpRequest::uri).containsExactly("/after", "/partial", "/next");
        }
    }

    /**
     * A :path that is not a path is a 400 and reaches no origin. An absolute URI there was read as
     * HTTP/1's absolute form: its host won over :authority, and the origin was sent {@code Host: evil}.
     */
    @Test
    void aPathThatIsNotAPathIs400() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin); Socket s = h2c(gw.port())) {
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 1, requestBlock("http://evil/x"));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 3, requestBlock("x"));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 5, requestBlock("/ok"));
            s.getOutputStream().write(frames.toByteArray());
            List<Frame> seen = untilStreamsEnd(s, 3);
            assertThat(statuses(seen)).containsEntry(1, "400").containsEntry(3, "400").containsEntry(5, "200");
            assertThat(origin.seen).extracting(io.netty.handler.codec.http.HttpRequest::uri).containsExactly("/ok");
        }
    }

    /**
     * The gateway's own answer to a HEAD (a refusal, a route's page) is its head alone, one HEADERS
     * frame that ends the stream, as an origin's is. Before, a refusal's head was followed by DATA
     * carrying its body, which a HEAD's answer must not have (RFC 9110 9.3.2), and a route's page
     * (already empty for a HEAD) by an empty DATA frame.
     */
    @Test
    void theGatewaysOwnAnswerToAHeadHasNoContent() throws Exception {
        try (TestOrigin origin = new TestOrigin("o");
                GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                        routes:
                          - {name: down, match: {pathPrefix: /down}, directResponse: {status: 503, body: "down for maintenance"}}
                          - {name: all, cluster: web}
                        clusters: [{name: web, endpoints: ["%s"]}]
                        """.formatted(origin.address())));
                Socket s = h2c(gw.port())) {
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 1, headBlock("/down"));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 3, headBlock("x"));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 5, requestBlock("/down"));
            s.getOutputStream().write(frames.toByteArray());
            List<Frame> seen = untilStreamsEnd(s, 3);
            assertThat(statuses(seen)).containsEntry(1, "503").containsEntry(3, "400").containsEntry(5, "503");
            for (int stream : new int[] {1, 3}) {
                assertThat(seen.stream().filter(f -> f.stream() == stream)).as("stream " + stream).singleElement()
                        .satisfies(f -> assertThat(f.type()).isEqualTo(HEADERS)).satisfies(f -> assertThat(f.flags() & END_STREAM).isEqualTo(END_STREAM));
            }
            assertThat(seen.stream().filter(f -> f.stream() == 5).map(Frame::type)).as("the GET's answer has its body").containsExactly(HEADERS, DATA);
            assertThat(origin.seen).isEmpty();
        }
    }

    /**
     * A stream whose request body stops coming is answered 408 after {@code timeouts.idle}, then
     * reset with NO_ERROR (the rest of its body is not wanted), even while PINGs keep its
     * connection busy, and its origin connection is not used again; a stream that is only waiting
     * on a slow origin is not. Before, the stalled stream held its slot and origin connection for
     * as long as the client pinged (and then was reset with CANCEL and no response).
     */
    @Test
    void aStreamWhoseBodyStallsIsAnswered408AfterTheIdleTimeoutWhilePingsKeepItsConnectionBusy() throws Exception {
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     timeouts: {idle: 1s}
                     routes: [{name: all, cluster: web}]
                     clusters: [{name: web, endpoints: [%s]}]
                     """.formatted(origin.address())));
             Socket s = h2c(gw.port())) {
            s.setSoTimeout(30_000);
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frame(frames, HEADERS, END_HEADERS, 1, postBlock("/upload", 10));
            frame(frames, DATA, 0, 1, "abc".getBytes(StandardCharsets.US_ASCII));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 3, requestBlock("/slow?ms=2500"));
            s.getOutputStream().write(frames.toByteArray());
            java.util.concurrent.atomic.AtomicBoolean pinging = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread pinger = new Thread(() -> {
                ByteArrayOutputStream ping = new ByteArrayOutputStream();
                frame(ping, PING, 0, 0, new byte[8]);
                try {
                    while (pinging.get()) {
                        s.getOutputStream().write(ping.toByteArray());
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // the test is over
                }
            }, "pinger");
            pinger.start();
            List<Frame> seen = new ArrayList<>();
            try {
                awaitFrame(new DataInputStream(s.getInputStream()), f -> {
                    seen.add(f);
                    return seen.stream().anyMatch(x -> x.stream() == 1 && x.type() == RST_STREAM)
                            && seen.stream().anyMatch(x -> x.stream() == 3 && (x.flags() & END_STREAM) != 0);
                });
            } finally {
                pinging.set(false);
                pinger.join();
            }
            Frame reset = seen.stream().filter(f -> f.stream() == 1 && f.type() == RST_STREAM).findFirst().orElseThrow();
            assertThat(reset.payload()).as("NO_ERROR").containsExactly(0, 0, 0, 0);
            assertThat(statuses(seen)).containsEntry(1, "408").containsEntry(3, "200");
            assertThat(seen).anyMatch(f -> f.stream() == 1 && f.type() == DATA && (f.flags() & END_STREAM) != 0);
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"body_timeout\"}")).isEqualTo(1);
            assertThat(seen).noneMatch(f -> f.stream() == 3 && f.type() == RST_STREAM).noneMatch(f -> f.type() == GOAWAY);
            frames.reset();
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 5, requestBlock("/after"));
            s.getOutputStream().write(frames.toByteArray());
            awaitFrame(new DataInputStream(s.getInputStream()), f -> f.stream() == 5 && (f.flags() & END_STREAM) != 0);
            assertThat(origin.seen).extracting(io.netty.handler.codec.http.HttpRequest::uri).containsExactlyInAnyOrder("/upload", "/slow?ms=2500", "/after");
        }
    }

    /**
     * An origin that answers before the request body is all in (a 413 at the head): once the
     * response is out, the stream is reset with NO_ERROR, so the client stops sending (RFC 9113
     * 8.1) and the connection's window is whole again; the connection serves on. Before, the
     * stream stayed open with its window never returned, and the client waited for it for ever.
     */
    @Test
    void anOriginsEarlyAnswerEndsTheStreamWithNoErrorSoTheClientStopsSending() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin); Socket s = h2c(gw.port())) {
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frame(frames, HEADERS, END_HEADERS, 1, postBlock("/early", 1_000_000));
            frame(frames, DATA, 0, 1, new byte[16_384]);
            s.getOutputStream().write(frames.toByteArray());
            DataInputStream in = new DataInputStream(s.getInputStream());
            List<Frame> seen = new ArrayList<>();
            awaitFrame(in, f -> {
                seen.add(f);
                return f.stream() == 1 && f.type() == RST_STREAM;
            });
            assertThat(seen).anyMatch(f -> f.stream() == 1 && f.type() == DATA && (f.flags() & END_STREAM) != 0);
            Frame reset = seen.get(seen.size() - 1);
            assertThat(reset.payload()).as("NO_ERROR").containsExactly(0, 0, 0, 0);
            assertThat(statuses(seen)).isEqualTo(java.util.Map.of(1, "413"));
            frames.reset();
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 3, requestBlock("/after"));
            s.getOutputStream().write(frames.toByteArray());
            awaitFrame(in, f -> f.stream() == 3 && (f.flags() & END_STREAM) != 0);
        }
    }

    /**
     * A response with nothing after its head goes as one HEADERS frame with END_STREAM, as gRPC
     * answers an error (trailers-only); as HEADERS then an empty DATA, a gRPC client lost the
     * status ("Stream removed"). A response with a body still gets its HEADERS first.
     */
    @Test
    void aResponseWithNothingAfterItsHeadIsOneHeadersFrameThatEndsTheStream() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin); Socket s = h2c(gw.port())) {
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 1, requestBlock("/download?bytes=0"));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 3, requestBlock("/x"));
            s.getOutputStream().write(frames.toByteArray());
            List<Frame> seen = untilStreamsEnd(s, 2);
            assertThat(seen.stream().filter(f -> f.stream() == 1)).singleElement()
                    .satisfies(f -> assertThat(f.type()).isEqualTo(HEADERS)).satisfies(f -> assertThat(f.flags() & END_STREAM).isEqualTo(END_STREAM));
            assertThat(seen.stream().filter(f -> f.stream() == 3).map(Frame::type)).containsExactly(HEADERS, DATA);
        }
    }

    @Test
    void bodiesLargerThanAStreamWindowStreamWholeBothWays(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        assumeTrue(Tools.curl(), "curl with HTTP/2 is not installed");
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin)) {
            java.nio.file.Path body = dir.resolve("up.bin");
            java.nio.file.Files.write(body, new byte[700_000]); // ten times the 64 KiB stream window
            Curl.Result up = Curl.run("-s", "--http2-prior-knowledge", "--data-binary", "@" + body, "-w", "\n%{http_version}",
                    "http://127.0.0.1:" + gw.port() + "/upload");
            assertThat(up.out()).as(up.err()).isEqualTo("700000\n2");
            Curl.Result down = Curl.run("-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{size_download} %{http_code} %{http_version}",
                    "http://127.0.0.1:" + gw.port() + "/download?bytes=8388608");
            assertThat(down.out()).as(down.err()).isEqualTo("8388608 200 2");
        }
    }

    @Test
    void aHeaderListPastTheHardLimitEndsTheConnection() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin)) {
            // Past 5 x 16 KiB the gateway stops decoding: the HPACK state of the rest is lost, so the
            // connection cannot go on (docs/config.md).
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            oversizedRequest(frames, 1, 100_000);
            Goaway goaway = firstGoaway(abuse(gw.port(), frames));
            assertThat(goaway).isNotNull();
            assertThat(origin.requests.get()).isZero();
        }
    }

    @Test
    void aWebSocketOverAnHttp2StreamIsTunnelledToTheOrigin() throws Exception {
        try (WsOrigin ws = new WsOrigin("w");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes: [{name: ws, match: {path: /ws}, cluster: ws}]
                     clusters: [{name: ws, endpoints: [%s]}]
                     """.formatted(ws.address())));
             Socket s = h2c(gw.port())) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            Frame settings = awaitFrame(in, f -> f.type() == SETTINGS && (f.flags() & 0x1) == 0);
            assertThat(setting(settings, 0x8)).as("SETTINGS_ENABLE_CONNECT_PROTOCOL").isEqualTo(1);

            // RFC 8441 4: extended CONNECT; the stream stays open for the session.
            io.netty.handler.codec.http2.Http2Headers connect = new io.netty.handler.codec.http2.DefaultHttp2Headers()
                    .method("CONNECT").path("/ws").scheme("http").authority("127.0.0.1");
            connect.set(":protocol", "websocket");
            connect.set("sec-websocket-version", "13");
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            frame(req, HEADERS, END_HEADERS, 1, encode(connect));
            out.write(req.toByteArray());
            Hpack hpack = new Hpack();
            assertThat(hpack.status(awaitFrame(in, f -> f.stream() == 1 && f.type() == HEADERS))).isEqualTo("200");

            for (String text : new String[] {"hello", "again"}) {
                ByteArrayOutputStream data = new ByteArrayOutputStream();
                frame(data, 0x0, 0, 1, maskedText(text));
                out.write(data.toByteArray());
                Frame echo = awaitFrame(in, f -> f.stream() == 1 && f.type() == 0x0 && f.payload().length > 0);
                assertThat(echo.payload()[0] & 0xff).as("FIN, text").isEqualTo(0x81);
                assertThat(new String(echo.payload(), 2, echo.payload().length - 2, StandardCharsets.UTF_8)).isEqualTo("w:" + text);
            }
            assertThat(gw.metric("edge_tunnels_open")).isEqualTo(1);

            ByteArrayOutputStream end = new ByteArrayOutputStream();
            frame(end, 0x0, END_STREAM, 1, new byte[0]);
            out.write(end.toByteArray());
            awaitFrame(in, f -> f.stream() == 1 && (f.flags() & END_STREAM) != 0);
            Await.until(() -> gw.metricOrMissing("edge_tunnels_open") == 0, 5000, "the tunnel closed");
        }
    }

    private static byte[] encode(io.netty.handler.codec.http2.Http2Headers headers) throws Exception {
        io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.buffer();
        try {
            new io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder().encodeHeaders(1, headers, out);
            byte[] b = new byte[out.readableBytes()];
            out.readBytes(b);
            return b;
        } finally {
            out.release();
        }
    }

    /** A client's WebSocket text frame: FIN, masked (RFC 6455 5.3). */
    private static byte[] maskedText(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return frame;
    }

    /** The value of setting {@code id} in a SETTINGS frame, or -1. */
    private static long setting(Frame settings, int id) {
        byte[] p = settings.payload();
        for (int i = 0; i + 6 <= p.length; i += 6) {
            int key = ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
            if (key == id) {
                return ((long) (p[i + 2] & 0xff) << 24) | ((p[i + 3] & 0xff) << 16) | ((p[i + 4] & 0xff) << 8) | (p[i + 5] & 0xff);
            }
        }
        return -1;
    }

    /** The frames read until {@code n} streams have ended (END_STREAM on a stream, not SETTINGS' ACK on 0), in order. */
    private static List<Frame> untilStreamsEnd(Socket s, int n) throws IOException {
        List<Frame> seen = new ArrayList<>();
        awaitFrame(new DataInputStream(s.getInputStream()), f -> {
            seen.add(f);
            return seen.stream().filter(x -> x.stream() != 0 && (x.flags() & END_STREAM) != 0).count() == n;
        });
        return seen;
    }

    /** Each stream's last :status among the HEADERS frames {@code seen}, decoded in the order sent (one HPACK context). */
    private static java.util.Map<Integer, String> statuses(List<Frame> seen) throws Exception {
        Hpack hpack = new Hpack();
        java.util.Map<Integer, String> status = new java.util.HashMap<>();
        for (Frame f : seen) {
            if (f.type() == HEADERS) {
                status.put(f.stream(), hpack.status(f));
            }
        }
        return status;
    }

    /** Reads frames until one matches (the socket's read timeout is the deadline). */
    private static Frame awaitFrame(DataInputStream in, java.util.function.Predicate<Frame> match) throws IOException {
        while (true) {
            int len = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            Frame f = new Frame(type, flags, stream, in.readNBytes(len));
            if (match.test(f)) {
                return f;
            }
        }
    }

    /** HEADERS + CONTINUATION frames for a GET whose x-big header has {@code size} bytes. */
    private static void oversizedRequest(ByteArrayOutputStream frames, int stream, int size) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.writeBytes(requestBlock("/big"));
        block.write(0x00); // literal without indexing, new name
        block.write(5);
        block.writeBytes("x-big".getBytes(StandardCharsets.US_ASCII));
        hpackLength(block, size);
        block.writeBytes("x".repeat(size).getBytes(StandardCharsets.US_ASCII));
        byte[] b = block.toByteArray();
        int at = 0;
        while (at < b.length) {
            int n = Math.min(16_000, b.length - at);
            boolean first = at == 0;
            boolean last = at + n == b.length;
            frame(frames, first ? HEADERS : CONTINUATION, (first ? END_STREAM : 0) | (last ? END_HEADERS : 0), stream,
                    java.util.Arrays.copyOfRange(b, at, at + n));
            at += n;
        }
    }

    /** The server's header blocks, decoded in order with one HPACK context, as a client keeps it. */
    private static final class Hpack {
        private final io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder decoder =
                new io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder(false);

        io.netty.handler.codec.http2.Http2Headers decode(Frame f) throws Exception {
            io.netty.buffer.ByteBuf in = io.netty.buffer.Unpooled.wrappedBuffer(f.payload());
            try {
                return decoder.decodeHeaders(f.stream(), in);
            } finally {
                in.release();
            }
        }

        String status(Frame f) throws Exception {
            CharSequence status = decode(f).status();
            return status == null ? null : status.toString();
        }
    }

    /** An HPACK string length (7-bit prefix, no Huffman). */
    private static void hpackLength(ByteArrayOutputStream out, int n) {
        if (n < 127) {
            out.write(n);
            return;
        }
        out.write(127);
        n -= 127;
        while (n >= 128) {
            out.write((n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write(n);
    }

    @Test
    void drainSendsGoawayAndLetsTheOpenStreamFinish() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin); Socket s = h2c(gw.port())) {
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            frame(req, HEADERS, END_STREAM | END_HEADERS, 1, requestBlock("/slow?ms=800"));
            s.getOutputStream().write(req.toByteArray());
            Await.until(() -> origin.requests.get() == 1, 5000, "the request at the origin");
            Thread drain = new Thread(gw.gateway::drainAndStop, "drain");
            drain.start();
            List<Frame> frames = readFrames(s);
            drain.join(10_000);
            int goaway = indexOf(frames, GOAWAY, 0);
            int headers = indexOf(frames, HEADERS, 1);
            int end = -1;
            for (int i = 0; i < frames.size(); i++) {
                if (frames.get(i).stream() == 1 && (frames.get(i).flags() & END_STREAM) != 0) {
                    end = i;
                }
            }
            assertThat(goaway).as("GOAWAY sent on drain").isNotNegative();
            assertThat(headers).as("the open stream's response after the GOAWAY").isGreaterThan(goaway);
            assertThat(end).as("and its end").isGreaterThanOrEqualTo(headers);
        }
    }

    private static int indexOf(List<Frame> frames, int type, int stream) {
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).type() == type && (type == GOAWAY || frames.get(i).stream() == stream)) {
                return i;
            }
        }
        return -1;
    }

    // ---- raw HTTP/2 --------------------------------------------------------------------------

    private record Frame(int type, int flags, int stream, byte[] payload) {}

    private record Goaway(int lastStream, int error) {}

    /** A connection that has sent the client preface and an empty SETTINGS frame. */
    private static Socket h2c(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        hello.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(hello, SETTINGS, 0, 0, new byte[0]);
        s.getOutputStream().write(hello.toByteArray());
        return s;
    }

    /** HPACK: GET, http, {@code path} as a literal, :authority 127.0.0.1. */
    private static byte[] requestBlock(String path) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x82); // :method GET (static 2)
        b.write(0x86); // :scheme http (static 6)
        b.write(0x04); // :path, literal without indexing, name from static 4
        b.write(path.length());
        b.writeBytes(path.getBytes(StandardCharsets.US_ASCII));
        b.write(0x01); // :authority, literal without indexing, name from static 1
        b.write(9);
        b.writeBytes("127.0.0.1".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    /** HPACK: HEAD, http, {@code path}, :authority 127.0.0.1. */
    private static byte[] headBlock(String path) {
        byte[] get = requestBlock(path);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x02); // :method, literal without indexing, name from static 2
        b.write(4);
        b.writeBytes("HEAD".getBytes(StandardCharsets.US_ASCII));
        b.write(get, 1, get.length - 1);
        return b.toByteArray();
    }

    /** HPACK: POST, http, {@code path}, :authority 127.0.0.1, content-length {@code length}. */
    private static byte[] postBlock(String path, long length) {
        byte[] get = requestBlock(path);
        get[0] = (byte) 0x83; // :method POST (static 3)
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(get);
        b.write(0x0f); // content-length, literal without indexing, name from static 28 (15 + 13)
        b.write(13);
        String v = Long.toString(length);
        b.write(v.length());
        b.writeBytes(v.getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        int n = payload.length;
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    /** Sends {@code frames} on a fresh h2c connection and returns what came back until it closed. */
    private static List<Frame> abuse(int port, ByteArrayOutputStream frames) throws IOException {
        try (Socket s = h2c(port)) {
            try {
                OutputStream out = s.getOutputStream();
                out.write(frames.toByteArray());
                out.flush();
            } catch (IOException closedUnderUs) {
                // the gateway may already have cut the connection: that is the point
            }
            return readFrames(s);
        }
    }

    /** Every frame until the connection ends (or 10 s of silence). */
    private static List<Frame> readFrames(Socket s) throws IOException {
        List<Frame> out = new ArrayList<>();
        DataInputStream in = new DataInputStream(s.getInputStream());
        try {
            while (true) {
                int len = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                out.add(new Frame(type, flags, stream, in.readNBytes(len)));
            }
        } catch (EOFException | SocketTimeoutException | java.net.SocketException end) {
            return out;
        }
    }

    /** The first GOAWAY among {@code frames}, or null. */
    private static Goaway firstGoaway(List<Frame> frames) {
        for (Frame f : frames) {
            if (f.type() == GOAWAY) {
                byte[] p = f.payload();
                int last = ((p[0] & 0x7f) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
                int error = ((p[4] & 0xff) << 24) | ((p[5] & 0xff) << 16) | ((p[6] & 0xff) << 8) | (p[7] & 0xff);
                return new Goaway(last, error);
            }
        }
        return null;
    }
}
