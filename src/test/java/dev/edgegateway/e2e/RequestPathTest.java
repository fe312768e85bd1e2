package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request path in the cases real clients hit first: {@code Expect: 100-continue}, an endpoint
 * that never completes a connect or refuses one, a sticky key or a geo region whose endpoint is
 * gone, a body to retry, and what the gateway's own answers leave in the access log.
 */
@Timeout(90)
class RequestPathTest {

    @Test
    void anUploadWithExpectContinueGets100AtOnceAndStreams() throws Exception {
        assumeTrue(Tools.curl(), "curl with HTTP/2 is not installed");
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes: [{name: r, cluster: c}]
                     clusters: [{name: c, endpoints: [%s]}]
                     """.formatted(o.address())))) {
            // A raw client: the head with Expect, then nothing until the gateway says 100.
            try (RawHttp http = new RawHttp(gw.port())) {
                http.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
                assertThat(http.readLine()).isEqualTo("HTTP/1.1 100 Continue");
                assertThat(http.readLine()).isEmpty();
                http.send("hello");
                RawHttp.Response r = http.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("5");
            }
            // curl sends Expect: 100-continue for bodies over 1 MiB and waits a second for the 100.
            Path file = Files.createTempFile("upload", ".bin");
            try {
                Files.write(file, new byte[5 << 20]);
                Curl.Result r = Curl.run("--http1.1", "-sS", "-v", "--data-binary", "@" + file,
                        "http://127.0.0.1:" + gw.port() + "/upload");
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.out()).isEqualTo(Integer.toString(5 << 20));
                assertThat(r.err()).contains("Expect: 100-continue").contains("HTTP/1.1 100 Continue")
                        .doesNotContain("Done waiting for 100-continue");
            } finally {
                Files.deleteIfExists(file);
            }
            assertThat(o.seen).allSatisfy(req -> assertThat(req.headers().contains("expect")).as("Expect is the gateway's to answer").isFalse());
        }
    }

    @Test
    void anEndpointThatNeverCompletesAConnectIsProbedByOneRequestNotPiledOn() throws Exception {
        try (BlackHole hole = new BlackHole(); TestOrigin a = new TestOrigin("a"); TestOrigin b = new TestOrigin("b");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     timeouts: {connect: 500ms, responseHeader: 5s}
                     routes:
                       - {name: warm, match: {pathPrefix: /warm}, cluster: w}
                       - {name: r, cluster: c}
                     clusters:
                       - {name: w, endpoints: [%s]}
                       - {name: c, endpoints: [%s, %s, %s]}
                     """.formatted(a.address(), hole.address(), a.address(), b.address())))) {
            // A cold JVM takes milliseconds for its first connects, and while none has completed
            // every endpoint looks the same; warm the request path first, as a serving gateway is.
            assertThat(keepAliveClients(gw.port(), 4, 50, "GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")).containsOnlyKeys(200);
            Map<Integer, Integer> statuses = keepAliveClients(gw.port(), 8, 40, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(statuses).containsOnlyKeys(200);
            // Every request that went to the black hole waited out the connect timeout. While one
            // waits, the endpoint counts it in flight and costs the penalty, so no other piles on;
            // the failure then feeds its cost. Each of the two event loops may probe it once.
            double timeouts = gw.metric("edge_upstream_errors_total{cluster=\"c\",kind=\"connect_timeout\"}");
            assertThat(timeouts).isBetween(1.0, 2.0);
        }
    }

    /**
     * A TLS origin that accepts the connection and never answers the ClientHello is a connect
     * that never completes: 504 at {@code timeouts.connect} (counted as a connect timeout, and its
     * connection closed), not a 502 at the TLS library's own 10 s, whatever the connect timeout.
     */
    @Test
    void aTlsOriginThatNeverAnswersTheHandshakeTimesOutWithTheConnect() throws Exception {
        try (ServerSocket mute = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     timeouts: {connect: 500ms, responseHeader: 30s}
                     routes: [{name: r, cluster: c}]
                     clusters: [{name: c, endpoints: ["127.0.0.1:%d"], tls: {verify: false}}]
                     """.formatted(mute.getLocalPort())))) {
            java.util.concurrent.CompletableFuture<Integer> accepted = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (Socket s = mute.accept()) {
                    s.setSoTimeout(30_000);
                    while (s.getInputStream().read() >= 0) {
                        // the ClientHello, never answered; until the gateway closes
                    }
                    return 1;
                } catch (IOException e) {
                    return 2; // reset by the gateway: also closed
                }
            });
            RawHttp.Response r = RawHttp.exchange(gw.port(), "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.text()).contains("connecting to the origin timed out");
            assertThat(gw.metric("edge_upstream_errors_total{cluster=\"c\",kind=\"connect_timeout\"}")).isGreaterThanOrEqualTo(1.0);
            assertThat(gw.metric("edge_upstream_errors_total{cluster=\"c\",kind=\"tls_handshake\"}")).isZero();
            assertThat(accepted.get(20, java.util.concurrent.TimeUnit.SECONDS)).as("the gateway closed the mute connection").isPositive();
        }
    }

    @Test
    void aRefusedEndpointInAFreshClusterCostsNoClientAnError() throws Exception {
        // Before: about half of fresh clusters answered some of these with 502; so several of each.
        for (int clients : new int[] {8, 8, 8, 8, 8, 8, 64, 64, 64}) {
            try (RefusedPort refused = new RefusedPort(); TestOrigin a = new TestOrigin("a"); TestOrigin b = new TestOrigin("b");
                 GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                         routes: [{name: r, cluster: c}]
                         clusters: [{name: c, endpoints: ["127.0.0.1:%d", %s, %s]}]
                         """.formatted(refused.port(), a.address(), b.address())))) {
                Map<Integer, Integer> statuses = keepAliveClients(gw.port(), clients, 5, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(statuses).as(clients + " clients").containsOnlyKeys(200);
                assertThat(gw.metric("edge_upstream_errors_total{cluster=\"c\",kind=\"connect_refused\"}")).as("it was tried").isPositive();
            }
        }
    }

    @Test
    void aPostWhoseEndpointRefusesGoesToAnotherWithItsBody() throws Exception {
        try (RefusedPort refused = new RefusedPort(); TestOrigin a = new TestOrigin("a");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes: [{name: r, cluster: c}]
                     clusters: [{name: c, endpoints: ["127.0.0.1:%d", %s], balancer: round-robin}]
                     """.formatted(refused.port(), a.address())))) {
            String body = "x".repeat(3000);
            for (int i = 0; i < 10; i++) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n" + body);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("3000");
            }
        }
    }

    @Test
    void aBodyWithinTheRetryBufferIsSentAgainAfterAResetAndALargerOneIsNot() throws Exception {
        try (TestOrigin resetting = new TestOrigin("resetting"); TestOrigin good = new TestOrigin("good");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     limits: {retryBufferBytes: 64KiB}
                     routes: [{name: r, cluster: c}]
                     clusters:
                       - name: c
                         endpoints: [%s, %s]
                         balancer: round-robin
                         retry: {retryOn: [reset], maxRetries: 1, nonIdempotent: true}
                         outlierDetection: {consecutiveGatewayFailures: 0, consecutive5xx: 0}
                     """.formatted(resetting.address(), good.address())))) {
            resetting.reset = true;
            int small = 40_000;
            for (int i = 0; i < 6; i++) {
                try (RawHttp http = new RawHttp(gw.port())) {
                    http.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
                    for (int sent = 0; sent < small; sent += 10_000) {
                        http.send(Integer.toHexString(10_000) + "\r\n" + "y".repeat(10_000) + "\r\n");
                    }
                    http.send("0\r\n\r\n");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.text()).as("the whole body reached the good endpoint").isEqualTo(Integer.toString(small));
                }
            }
            assertThat(resetting.requests.get()).as("round robin sent half of the first tries there").isPositive();
            int large = 200_000;
            int failed = 0;
            for (int i = 0; i < 4; i++) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + large
                        + "\r\n\r\n" + "z".repeat(large));
                if (r.status() == 502) {
                    failed++;
                } else {
                    assertThat(r.text()).isEqualTo(Integer.toString(large));
                }
            }
            assertThat(failed).as("a body over the buffer streams without a copy and is not retried").isPositive();
        }
    }

    @Test
    void aStickyKeyWhoseEndpointDiesMovesOnceToItsNextOwnerOnTheRing() throws Exception {
        TestOrigin[] origins = {new TestOrigin("a"), new TestOrigin("b"), new TestOrigin("c")};
        try (GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                routes: [{name: r, cluster: c, sticky: {hash: {header: x-session}}}]
                clusters:
                  - name: c
                    endpoints: [%s, %s, %s]
                    outlierDetection: {consecutiveGatewayFailures: 0, consecutive5xx: 0}
                    healthCheck: {interval: 1s, jitter: 10ms, timeout: 200ms, unhealthyThreshold: 1}
                """.formatted(origins[0].address(), origins[1].address(), origins[2].address())))) {
            Map<String, String> home = new HashMap<>();
            for (int i = 0; i < 60; i++) {
                home.put("k" + i, servedBy(gw, "k" + i));
            }
            List<String> onA = home.entrySet().stream().filter(e -> e.getValue().equals("a")).map(Map.Entry::getKey).toList();
            assumeTrue(onA.size() >= 6, "enough keys on a to tell a random move from the ring's");
            origins[0].close();
            // Until its checks notice, each request for a key of a's is refused there and retried;
            // it must land where the key lives once a is out, so the client moves once.
            Map<String, String> firstMove = new HashMap<>();
            for (String k : onA) {
                firstMove.put(k, servedBy(gw, k));
            }
            Await.until(() -> gw.adminGetUnchecked("/clusters").contains("\"unhealthy\""), 10_000, "a unhealthy");
            for (String k : onA) {
                assertThat(servedBy(gw, k)).as(k).isEqualTo(firstMove.get(k));
            }
            for (Map.Entry<String, String> e : home.entrySet()) {
                if (!e.getValue().equals("a")) {
                    assertThat(servedBy(gw, e.getKey())).as("keys elsewhere do not move").isEqualTo(e.getValue());
                }
            }
        } finally {
            for (TestOrigin o : origins) {
                o.close();
            }
        }
    }

    @Test
    void aGeoRouteWhoseRegionRefusesFailsOverInTheSameRequest() throws Exception {
        try (RefusedPort dead1 = new RefusedPort(); RefusedPort dead2 = new RefusedPort(); TestOrigin eu1 = new TestOrigin("eu1");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     forwarding: {trustedProxies: [127.0.0.1/32]}
                     geo: {regionHeader: x-edge-region, defaultRegion: eu-west}
                     routes:
                       - name: app
                         geo:
                           regions:
                             us-east: {cluster: use, failover: [eu-west]}
                             eu-west: {cluster: euw, failover: [us-east]}
                     clusters:
                       - {name: use, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
                       - {name: euw, endpoints: [%s]}
                     """.formatted(dead1.port(), dead2.port(), eu1.address())))) {
            // No health checks: the region is found dead by the requests themselves.
            Map<Integer, Integer> statuses = keepAliveClients(gw.port(), 4, 10, "GET /x HTTP/1.1\r\nHost: x\r\nx-edge-region: us-east\r\n\r\n");
            assertThat(statuses).containsOnlyKeys(200);
            assertThat(eu1.requests.get()).isEqualTo(40);
        }
    }

    @Test
    void theGatewaysOwnAnswersAreLoggedWithWhatTheRequestSaidAndCounted(@TempDir Path dir) throws Exception {
        Path accessLog = dir.resolve("access.log");
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     accessLog: {enabled: true, path: %s}
                     limits: {maxRequestLineBytes: 256, maxHeaderBytes: 1KiB}
                     routes: [{name: r, match: {host: known.test}, cluster: c}]
                     clusters: [{name: c, endpoints: [%s]}]
                     """.formatted(accessLog, o.address())))) {
            String trace = "0af7651916cd43dd8448eb211c80319c";
            String traceparent = "traceparent: 00-" + trace + "-b7ad6b7169203331-01\r\n";
            assertThat(RawHttp.exchange(gw.port(), "GET /nowhere HTTP/1.1\r\nHost: other.test\r\n" + traceparent + "\r\n").status()).isEqualTo(404);
            assertThat(RawHttp.exchange(gw.port(), "GET /two HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n").status()).isEqualTo(400);
            assertThat(RawHttp.exchange(gw.port(), "GET /" + "l".repeat(300) + " HTTP/1.1\r\nHost: known.test\r\n\r\n").status()).isEqualTo(414);
            assertThat(RawHttp.exchange(gw.port(), "GET /big HTTP/1.1\r\nHost: known.test\r\nx-big: " + "h".repeat(2000) + "\r\n\r\n").status())
                    .isEqualTo(431);
            List<String> lines = new ArrayList<>();
            Await.until(() -> {
                lines.clear();
                try {
                    lines.addAll(Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of());
                } catch (java.io.IOException e) {
                    return false;
                }
                return lines.size() >= 4;
            }, 10_000, "four access-log lines");
            assertThat(lines.get(0)).contains("\"status\":404", "\"rejected\":\"no_route\"", "\"method\":\"GET\"", "\"path\":\"/nowhere\"",
                    "\"host\":\"other.test\"", "\"traceId\":\"" + trace + "\"").containsPattern("\"requestId\":\"[0-9a-f]{32}\"")
                    .containsPattern("\"bytesOut\":[1-9]");
            assertThat(lines.get(1)).contains("\"status\":400", "\"rejected\":\"bad_request\"", "\"path\":\"/two\"").containsPattern("\"bytesOut\":[1-9]");
            assertThat(lines.get(2)).contains("\"status\":414", "\"rejected\":\"uri_too_long\"").containsPattern("\"bytesOut\":[1-9]");
            assertThat(lines.get(3)).contains("\"status\":431", "\"rejected\":\"headers_too_large\"", "\"method\":\"GET\"", "\"path\":\"/big\"")
                    .containsPattern("\"requestId\":\"[0-9a-f]{32}\"").containsPattern("\"bytesOut\":[1-9]");
            assertThat(gw.metric("edge_downstream_response_bytes_total{cluster=\"none\",route=\"none\"}")).as("their bodies are counted")
                    .isGreaterThan(40);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static String servedBy(GatewayFixture gw, String session) throws Exception {
        RawHttp.Response r = RawHttp.exchange(gw.port(), "GET /s HTTP/1.1\r\nHost: x\r\nx-session: " + session + "\r\n\r\n");
        assertThat(r.status()).as(session).isEqualTo(200);
        return r.header("x-origin");
    }

    /** {@code clients} keep-alive connections sending {@code request} {@code each} times at once; statuses counted (-1: I/O error). */
    static Map<Integer, Integer> keepAliveClients(int port, int clients, int each, String request) throws Exception {
        Map<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                done.add(pool.submit(() -> {
                    try (RawHttp http = new RawHttp(port, 20_000)) {
                        for (int i = 0; i < each; i++) {
                            http.send(request);
                            counts.computeIfAbsent(http.read().status(), s -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (java.io.IOException e) {
                        counts.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Map<Integer, Integer> out = new HashMap<>();
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /**
     * A port that takes no connections and refuses none: a listener whose accept queue is full,
     * so the kernel drops further SYNs and a connect waits for its timeout, as an overloaded or
     * firewalled endpoint does.
     */
    static final class BlackHole implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        private final List<Socket> fillers = new ArrayList<>();

        BlackHole() throws Exception {
            boolean full = false;
            for (int i = 0; i < 8 && !full; i++) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress("127.0.0.1", server.getLocalPort()), 200);
                    fillers.add(s); // queued, never accepted
                } catch (SocketTimeoutException e) {
                    s.close();
                    full = true;
                }
            }
            assumeTrue(full, "this kernel refuses rather than drops connects to a full accept queue");
        }

        String address() {
            return "127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            for (Socket s : fillers) {
                s.close();
            }
            server.close();
        }
    }
}
