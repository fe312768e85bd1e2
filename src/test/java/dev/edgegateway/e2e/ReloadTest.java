package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload under live traffic: keep-alive load and WebSocket sessions run while the config is
 * changed dozens of times through the file and the admin API, some documents invalid.
 */
@Timeout(180)
class ReloadTest {
    private static final String TOKEN = "s3cret-admin-token";

    private static String config(Path tokenFile, int w1, int w2, boolean withExtra, TestOrigin v1, TestOrigin v1b, TestOrigin v2,
                                 TestOrigin sick, WsOrigin ws) {
        return """
                listeners: [{name: public, address: 127.0.0.1:0}]
                admin: {address: 127.0.0.1:0, tokenFile: %s}
                routes:
                  - {name: ws, match: {path: /ws}, cluster: ws}
                  - name: limited
                    match: {pathPrefix: /limited}
                    cluster: stable
                    rateLimits: [{name: few, limits: [{rate: 1/h, burst: 5}]}]
                  - {name: ejector, match: {pathPrefix: /eject}, cluster: ej}
                  - name: app
                    split: [{cluster: v1, weight: %d}, {cluster: v2, weight: %d}]
                clusters:
                  - {name: v1, endpoints: [%s], balancer: round-robin}
                  - {name: v2, endpoints: [%s]}
                  - {name: stable, endpoints: [%s]}
                  - name: ej
                    endpoints: [%s]
                    outlierDetection: {consecutive5xx: 1, baseEjectionTime: 1h, maxEjectionTime: 1h, maxEjectionPercent: 100}
                    panicThreshold: 0
                  - {name: ws, endpoints: [%s]}
                """.formatted(tokenFile, w1, w2, v1.address() + (withExtra ? ", " + v1b.address() : ""), v2.address(), v1.address(),
                sick.address(), ws.address());
    }

    private static double v1Share(GatewayFixture gw, int n) throws Exception {
        return v1Share(gw, n, new StringBuilder());
    }

    /** The share of {@code n} requests that v1 (or v1b) answered; {@code order} gets one letter a response, 1 or 2. */
    private static double v1Share(GatewayFixture gw, int n, StringBuilder order) throws Exception {
        int v1 = 0;
        try (RawHttp http = new RawHttp(gw.port())) {
            for (int i = 0; i < n; i++) {
                http.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Response r = http.read();
                assertThat(r.status()).isEqualTo(200);
                boolean one = r.header("x-origin").startsWith("v1");
                order.append(one ? '1' : '2');
                if (one) {
                    v1++;
                }
            }
        }
        return v1 / (double) n;
    }

    private static long generation(GatewayFixture gw) throws Exception {
        return (long) gw.metric("edge_config_generation");
    }

    /**
     * The GitOps way back from an emergency API change: the file served, a {@code PUT /config}
     * changes what is served ({@code /config} then says the file differs), and saving the file
     * again, with the very same content, serves the file again.
     */
    @Test
    void savingTheFileAgainRevertsAnApiChange(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        try (TestOrigin v1 = new TestOrigin("v1"); TestOrigin v2 = new TestOrigin("v2"); TestOrigin sick = new TestOrigin("sick");
             WsOrigin ws = new WsOrigin("ws")) {
            Path file = dir.resolve("gateway.yaml");
            String fileText = config(tokenFile, 100, 0, false, v1, v1, v2, sick, ws);
            Files.writeString(file, fileText);
            try (GatewayFixture gw = new GatewayFixture(file)) {
                assertThat(v1Share(gw, 20)).isEqualTo(1.0);
                assertThat(gw.adminGet("/config")).contains("# watched file: " + file).contains("its content is the served config");
                var put = gw.adminSend("PUT", "/config", config(tokenFile, 0, 100, false, v1, v1, v2, sick, ws), "Bearer " + TOKEN);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                assertThat(v1Share(gw, 20)).isZero();
                assertThat(gw.adminGet("/config")).contains("differs from the served config, which came from admin API");
                // The operator saves the file again, unchanged.
                Files.writeString(file, fileText);
                Await.until(() -> gw.adminGetUnchecked("/config").contains("its content is the served config"), 10_000, "the file served again");
                assertThat(v1Share(gw, 20)).isEqualTo(1.0);
                assertThat(generation(gw)).isEqualTo(3);
            }
        }
    }

    /**
     * {@code GET /config} shows the document served; a listener or admin change in it waits for a
     * restart, and the document says so rather than showing an address nothing listens on.
     */
    @Test
    void theServedDocumentNamesWhatWaitsForARestart(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        try (TestOrigin o = new TestOrigin("o")) {
            String rest = "  tokenFile: " + tokenFile + "\nroutes: [{name: all, cluster: app}]\nclusters: [{name: app, endpoints: [" + o.address() + "]}]\n";
            String served = GatewayFixture.config(rest);
            try (GatewayFixture gw = new GatewayFixture(served)) {
                assertThat(gw.adminGet("/config")).doesNotContain("waiting for a restart");
                String moved = served.replaceFirst("address: 127.0.0.1:0", "address: 127.0.0.1:1")
                        .replace("admin:\n  address: 127.0.0.1:0", "admin:\n  address: 127.0.0.1:2");
                var put = gw.adminSend("PUT", "/config", moved, "Bearer " + TOKEN);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                assertThat(put.body()).contains("listener public, admin changed: these take effect on restart");
                assertThat(gw.adminGet("/config")).contains("# waiting for a restart: listener public, admin (served as the config at start has them)")
                        .contains("address: 127.0.0.1:1");
                assertThat(RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status()).as("still served where it was").isEqualTo(200);
                assertThat(gw.adminSend("PUT", "/config", served, "Bearer " + TOKEN).statusCode()).isEqualTo(200);
                assertThat(gw.adminGet("/config")).doesNotContain("waiting for a restart");
            }
        }
    }

    /**
     * A document over the 4 MiB a config may be: 413 with the limit, before curl sends it (curl asks
     * with Expect: 100-continue over 1 MB; Netty's aggregator's answer reached it as an empty reply)
     * and without Expect too, and the served config stays.
     */
    @Test
    void aDocumentOverTheLimitIsRefusedWithTheLimit(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        Path big = Files.writeString(dir.resolve("big.yaml"), "#".repeat(5 << 20));
        try (TestOrigin o = new TestOrigin("o")) {
            String rest = "  tokenFile: " + tokenFile + "\nroutes: [{name: all, cluster: app}]\nclusters: [{name: app, endpoints: [" + o.address() + "]}]\n";
            try (GatewayFixture gw = new GatewayFixture(GatewayFixture.config(rest))) {
                String url = "http://127.0.0.1:" + gw.adminPort() + "/config";
                for (String expect : new String[] {"X-Expect-Default: 1", "Expect:"}) {
                    Curl.Result r = Curl.run("-sS", "-X", "PUT", "-H", "Authorization: Bearer " + TOKEN, "-H", expect, "--data-binary", "@" + big,
                            "-w", "\n%{http_code}", url);
                    assertThat(r.out()).as(expect + " " + r.err()).endsWith("\n413").contains("a config document is at most 4194304");
                }
                assertThat(RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
            }
        }
    }

    /**
     * A method a path does not take is a 405 naming the ones it does, in {@code Allow} (RFC 9110
     * 15.5.6: a MUST) and in the body; a path the admin does not have is a 404 whatever the method.
     * Before, every method but GET and HEAD was a bare 405 ("method not allowed"), on any path, and
     * a GET of {@code /config/validate} a 404.
     */
    @Test
    void aWrongMethodIsA405NamingTheMethodsThePathTakes() throws Exception {
        try (TestOrigin o = new TestOrigin("o");
                GatewayFixture gw = new GatewayFixture(GatewayFixture.config("routes: [{name: all, cluster: app}]\nclusters: [{name: app, endpoints: ["
                        + o.address() + "]}]\n"))) {
            String[][] cases = {
                {"DELETE", "/config", "GET, HEAD, PUT"}, {"POST", "/config", "GET, HEAD, PUT"}, {"GET", "/config/validate", "POST"},
                {"PUT", "/config/validate", "POST"}, {"POST", "/healthz", "GET, HEAD"}, {"PUT", "/metrics", "GET, HEAD"},
                {"DELETE", "/rollouts", "GET, HEAD"}, {"GET", "/rollouts/all/pause", "POST"}, {"POST", "/ui", "GET, HEAD"}};
            for (String[] c : cases) {
                HttpResponse<String> r = gw.adminSend(c[0], c[1], "", null);
                assertThat(r.statusCode()).as(c[0] + " " + c[1]).isEqualTo(405);
                assertThat(r.headers().firstValue("allow")).as(c[0] + " " + c[1]).hasValue(c[2]);
                assertThat(r.body()).isEqualTo(c[0] + " is not served at " + c[1] + "; it takes " + c[2] + "\n");
            }
            for (String method : new String[] {"GET", "POST", "DELETE"}) {
                HttpResponse<String> r = gw.adminSend(method, "/nope", "", null);
                assertThat(r.statusCode()).as(method + " /nope").isEqualTo(404);
                assertThat(r.body()).startsWith("not found; try /healthz");
            }
            assertThat(gw.adminSend("GET", "/config", "", null).statusCode()).isEqualTo(200);
            assertThat(gw.adminSend("HEAD", "/healthz", "", null).statusCode()).isEqualTo(200);
        }
    }

    /** A config file removed: the gateway serves on, and {@code GET /config} says the file cannot be read until it is back. */
    @Test
    void aRemovedConfigFileIsReportedAndTheServedConfigStays(@TempDir Path dir) throws Exception {
        try (TestOrigin o = new TestOrigin("o")) {
            Path file = dir.resolve("gateway.yaml");
            String text = GatewayFixture.config("routes: [{name: all, cluster: app}]\nclusters: [{name: app, endpoints: [" + o.address() + "]}]\n");
            Files.writeString(file, text);
            try (GatewayFixture gw = new GatewayFixture(file)) {
                Files.delete(file);
                Await.until(() -> gw.adminGetUnchecked("/config").contains("# watched file: " + file + " (cannot be read now: removed, or not readable"),
                        30_000, "the removal shown");
                assertThat(RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
                Files.writeString(file, text);
                Await.until(() -> gw.adminGetUnchecked("/config").contains("# watched file: " + file + " (its content is the served config)"),
                        30_000, "the file back");
                assertThat(generation(gw)).isEqualTo(1);
            }
        }
    }

    @Test
    void fiftyReloadsUnderLoadLoseNothing(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        Path file = dir.resolve("gateway.yaml");
        try (TestOrigin v1 = new TestOrigin("v1"); TestOrigin v1b = new TestOrigin("v1b"); TestOrigin v2 = new TestOrigin("v2");
             TestOrigin sick = new TestOrigin("sick")) {
            sick.forceStatus = 500;
            WsOrigin ws = new WsOrigin("ws");
            Files.writeString(file, config(tokenFile, 90, 10, true, v1, v1b, v2, sick, ws));
            HttpClient wsClient = HttpClient.newHttpClient();
            List<WsClient> sessions = new ArrayList<>();
            try (GatewayFixture gw = new GatewayFixture(file)) {
                // Runtime state that must survive unrelated reloads: an ejected endpoint, a nearly spent limit.
                assertThat(RawHttp.exchange(gw.port(), "GET /eject HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(500);
                try (RawHttp http = new RawHttp(gw.port())) {
                    for (int i = 0; i < 4; i++) {
                        http.send("GET /limited HTTP/1.1\r\nHost: x\r\n\r\n");
                        assertThat(http.read().status()).isEqualTo(200);
                    }
                }
                for (int i = 0; i < 100; i++) {
                    WsClient s = new WsClient(wsClient, gw.port(), "s" + i);
                    assertThat(s.echo("hello")).isEqualTo("ws:hello");
                    sessions.add(s);
                }

                // Without the token nothing changes.
                long before = generation(gw);
                String other = config(tokenFile, 50, 50, true, v1, v1b, v2, sick, ws);
                assertThat(gw.adminSend("PUT", "/config", other, null).statusCode()).isEqualTo(401);
                assertThat(gw.adminSend("PUT", "/config", other, "Bearer wrong").statusCode()).isEqualTo(401);
                assertThat(gw.adminSend("POST", "/config/validate", other, null).statusCode()).isEqualTo(401);
                assertThat(generation(gw)).isEqualTo(before);
                HttpResponse<String> validated = gw.adminSend("POST", "/config/validate", other, "Bearer " + TOKEN);
                assertThat(validated.statusCode()).isEqualTo(200);
                assertThat(validated.body()).contains("\"outcome\":\"valid\"").contains("split v1:90/v2:10 -> v1:50/v2:50");
                assertThat(generation(gw)).as("validate applies nothing").isEqualTo(before);

                int reloads = 0;
                int invalid = 0;
                long t0 = System.nanoTime();
                try (Load load = new Load(gw.port(), "/x", 6, 10_000_000)) {
                    for (int i = 0; i < 60; i++) {
                        boolean viaApi = i % 2 == 0;
                        if (i % 6 == 5) {
                            // An invalid document: a typo in a field, or a route naming no cluster.
                            String bad = "# invalid " + i + "\n" + (i % 12 == 5
                                    ? config(tokenFile, 90, 10, true, v1, v1b, v2, sick, ws).replace("balancer: round-robin", "balancr: round-robin")
                                    : config(tokenFile, 90, 10, true, v1, v1b, v2, sick, ws).replace("{cluster: v2, weight", "{cluster: v3, weight"));
                            long gen = generation(gw);
                            if ((i / 6) % 2 == 0) { // invalid documents alternate between the API and the file
                                HttpResponse<String> r = gw.adminSend("PUT", "/config", bad, "Bearer " + TOKEN);
                                assertThat(r.statusCode()).isEqualTo(400);
                                assertThat(r.body()).contains("\"outcome\":\"invalid\"").containsPattern("\"line\":\\d+")
                                        .containsAnyOf("\"field\":\"clusters[0].balancr\"", "\"field\":\"routes[3].split[1].cluster\"");
                            } else {
                                double rejectedBefore = metricOr0(gw, "edge_config_reloads_total{outcome=\"invalid\",via=\"file\"}");
                                Files.writeString(file, bad);
                                Await.until(() -> moved(() -> metricOr0(gw, "edge_config_reloads_total{outcome=\"invalid\",via=\"file\"}"),
                                        rejectedBefore), 30_000, "file rejection seen");
                            }
                            assertThat(generation(gw)).as("an invalid document changes nothing").isEqualTo(gen);
                            invalid++;
                        }
                        int w1 = i % 2 == 0 ? 10 : 90;
                        boolean withExtra = i % 4 < 2;
                        // Each document is new text (the file watch acts on changed content).
                        String next = "# reload " + i + "\n" + config(tokenFile, w1, 100 - w1, withExtra, v1, v1b, v2, sick, ws);
                        long gen = generation(gw);
                        if (viaApi) {
                            HttpResponse<String> r = gw.adminSend("PUT", "/config", next, "Bearer " + TOKEN);
                            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                            assertThat(r.body()).contains("\"outcome\":\"applied\"");
                        } else {
                            Files.writeString(file, next);
                            Await.until(() -> moved(() -> (double) generation(gw), gen), 30_000, "file reload seen");
                        }
                        reloads++;
                        StringBuilder order = new StringBuilder();
                        double share = v1Share(gw, 100, order);
                        // 100 placements at 90%: sd 3 points; 75% is five of them away. (How soon
                        // after the write the weights are in force is a speed, not a behaviour:
                        // the next request after the swap is what is asserted here.) The clusters
                        // in the order they answered say which it was if it fails: the old weights
                        // for a while after the swap, or chance.
                        assertThat(w1 == 90 ? share : 1 - share).as("reload %d (%s) share of the heavy side; clusters in answer order: %s",
                                        i, viaApi ? "api" : "file", order)
                                .isGreaterThanOrEqualTo(0.75);
                        if (!withExtra) {
                            Thread.sleep(50); // requests that started before the swap finish
                            int atV1b = v1b.requests.get();
                            v1Share(gw, 50);
                            assertThat(v1b.requests.get()).as("a removed endpoint gets no new requests").isEqualTo(atV1b);
                        }
                        if (i % 10 == 9) {
                            for (WsClient s : sessions) {
                                assertThat(s.echo("r" + i)).isEqualTo("ws:r" + i);
                            }
                        }
                        Thread.sleep(350);
                    }
                    load.close();
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("reloads: %d applied, %d invalid rejected, over %.1f s; load: %d requests (%.0f/s), statuses %s%n",
                            reloads, invalid, seconds, load.total.get(), load.total.get() / seconds, load.statuses);
                    assertThat(load.count(200, true)).as("failed client requests").isZero();
                }
                assertThat(reloads).isGreaterThanOrEqualTo(50);
                for (WsClient s : sessions) {
                    assertThat(s.closed).as("a WebSocket session dropped").isFalse();
                    assertThat(s.echo("end")).isEqualTo("ws:end");
                }
                // The runtime state is still in force.
                assertThat(gw.adminGet("/clusters")).contains("\"address\":\"" + sick.address() + "\",\"health\":\"unknown\",\"available\":false,\"ejected\":true");
                try (RawHttp http = new RawHttp(gw.port())) {
                    http.send("GET /limited HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(http.read().status()).as("the fifth of five").isEqualTo(200);
                    http.send("GET /limited HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(http.read().status()).as("the limit is spent").isEqualTo(429);
                }
            } finally {
                sessions.forEach(WsClient::close);
                ws.close();
            }
        }
    }

    /** For a poll: whether the reading differs from {@code from}; false when the admin port did not answer this time. */
    private static boolean moved(java.util.concurrent.Callable<Double> reading, double from) {
        try {
            return reading.call() != from;
        } catch (Exception e) {
            return false;
        }
    }

    private static double metricOr0(GatewayFixture gw, String series) throws Exception {
        try {
            return gw.metric(series);
        } catch (AssertionError e) {
            return 0;
        }
    }
}
