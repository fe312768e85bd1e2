package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Splits, canaries, geo failover, latency-aware balancing and sticky WebSockets over real sockets. */
@Timeout(120)
class RoutingTest {

    private static void await(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        Await.until(condition, millis, what);
    }

    private static Map<String, Integer> send(GatewayFixture gw, int n, String extraHeaders) throws Exception {
        Map<String, Integer> byOrigin = new HashMap<>();
        try (RawHttp http = new RawHttp(gw.port())) {
            for (int i = 0; i < n; i++) {
                http.send("GET /x HTTP/1.1\r\nHost: x\r\n" + extraHeaders + "\r\n");
                RawHttp.Response r = http.read();
                assertThat(r.status()).isEqualTo(200);
                byOrigin.merge(r.header("x-origin"), 1, Integer::sum);
            }
        }
        return byOrigin;
    }

    @Test
    void aNinetyTenSplitAndItsCanaryOverride() throws Exception {
        try (TestOrigin v1 = new TestOrigin("v1"); TestOrigin v2 = new TestOrigin("v2");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes:
                       - name: pinned
                         match: {pathPrefix: /pinned}
                         split: [{cluster: stable, weight: 50}, {cluster: canary, weight: 50}]
                         splitKey: {cookie: uid}
                       - name: app
                         split: [{cluster: stable, weight: 90}, {cluster: canary, weight: 10}]
                         canary: {cluster: canary, header: X-Canary, value: always}
                     clusters:
                       - {name: stable, endpoints: [%s]}
                       - {name: canary, endpoints: [%s]}
                     """.formatted(v1.address(), v2.address())))) {
            int n = 3000;
            Map<String, Integer> seen = send(gw, n, "");
            double canaryShare = seen.getOrDefault("v2", 0) / (double) n;
            System.out.printf("90/10 split over %d requests: %.2f%% to the canary%n", n, 100 * canaryShare);
            // Binomial: sd = sqrt(0.1 * 0.9 / 3000) = 0.55 points; 2.5 points is 4.5 sd.
            assertThat(canaryShare).isBetween(0.075, 0.125);
            assertThat(send(gw, 50, "X-Canary: always\r\n")).containsOnlyKeys("v2");
            // The split is visible per cluster in the route's meters.
            assertThat(gw.metric("edge_downstream_requests_total{cluster=\"canary\",route=\"app\",status_class=\"2xx\"}"))
                    .isEqualTo(seen.getOrDefault("v2", 0) + 50);
            // A keyed split keeps each client on one side.
            for (int user = 0; user < 20; user++) {
                try (RawHttp http = new RawHttp(gw.port())) {
                    String first = null;
                    for (int i = 0; i < 10; i++) {
                        http.send("GET /pinned HTTP/1.1\r\nHost: x\r\nCookie: a=b; uid=user" + user + "\r\n\r\n");
                        String origin = http.read().header("x-origin");
                        if (first == null) {
                            first = origin;
                        }
                        assertThat(origin).isEqualTo(first);
                    }
                }
            }
        }
    }

    @Test
    void geoFailsOverWhenTheLocalRegionIsDownAndComesBack() throws Exception {
        try (TestOrigin us1 = new TestOrigin("us1"); TestOrigin us2 = new TestOrigin("us2"); TestOrigin eu1 = new TestOrigin("eu1");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     forwarding: {trustedProxies: [127.0.0.1/32]}
                     geo: {regionHeader: x-edge-region, defaultRegion: eu-west}
                     routes:
                       - name: app
                         geo:
                           minHealthyPercent: 50
                           regions:
                             us-east: {cluster: use, failover: [eu-west]}
                             eu-west: {cluster: euw, failover: [us-east]}
                     clusters:
                       - name: use
                         endpoints: [%s, %s]
                         healthCheck: {interval: 400ms, jitter: 10ms, timeout: 400ms, healthyThreshold: 1, unhealthyThreshold: 2}
                       - name: euw
                         endpoints: [%s]
                         healthCheck: {interval: 400ms, jitter: 10ms, timeout: 400ms, healthyThreshold: 1, unhealthyThreshold: 2}
                     """.formatted(us1.address(), us2.address(), eu1.address())))) {
            String fromUs = "x-edge-region: us-east\r\n";
            assertThat(send(gw, 20, fromUs)).containsOnlyKeys("us1", "us2");
            assertThat(send(gw, 10, "")).as("no region: the default").containsOnlyKeys("eu1");
            us1.healthStatus = 500;
            us2.healthStatus = 500;
            await(() -> gw.adminGetUnchecked("/clusters").split("\"unhealthy\"", -1).length == 3, 5_000, "both us endpoints unhealthy");
            assertThat(send(gw, 20, fromUs)).as("failed over").containsOnlyKeys("eu1");
            assertThat(gw.metric("edge_geo_failovers_total{from=\"us-east\",route=\"app\",to=\"eu-west\"}")).isEqualTo(20);
            us2.healthStatus = 200;
            await(() -> gw.adminGetUnchecked("/clusters").split("\"unhealthy\"", -1).length == 2, 5_000, "us2 healthy again");
            // 1 of 2 is 50%: enough for the region to serve again.
            assertThat(send(gw, 20, fromUs)).containsOnlyKeys("us2");
        }
    }

    @Test
    void aSlowedEndpointLosesTrafficAndGetsItBackWhenItRecovers() throws Exception {
        try (TestOrigin a = new TestOrigin("a"); TestOrigin b = new TestOrigin("b"); TestOrigin c = new TestOrigin("c");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes: [{name: r, cluster: app}]
                     clusters:
                       - {name: app, endpoints: [%s, %s, %s], ewmaDecay: 1s}
                     """.formatted(a.address(), b.address(), c.address())))) {
            try (Load load = new Load(gw.port(), "/x", 6, 1_000_000)) {
                Thread.sleep(1000);
                c.delayMillis = 50;
                Thread.sleep(1000); // within a second the balancer has seen it
                int[] before = {a.requests.get(), b.requests.get(), c.requests.get()};
                Thread.sleep(2000);
                double slowShare = share(before, a, b, c);
                c.delayMillis = 0;
                // Its average decays (ln 50 ~ 4 decay times) and it is tried again: wait for a 2 s
                // window in which it has its share back (on a busy machine the decay takes longer).
                double recoveredShare = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (recoveredShare <= 0.20 && System.nanoTime() < deadline) {
                    int[] later = {a.requests.get(), b.requests.get(), c.requests.get()};
                    Thread.sleep(2000);
                    recoveredShare = share(later, a, b, c);
                }
                load.close();
                System.out.printf("slowed endpoint (+50 ms): %.1f%% of traffic (fair share 33%%); recovered: %.1f%%; statuses %s%n",
                        100 * slowShare, 100 * recoveredShare, load.statuses);
                assertThat(load.count(200, true)).isZero();
                assertThat(slowShare).isLessThan(0.10);
                assertThat(recoveredShare).isGreaterThan(0.20);
            }
        }
    }

    private static double share(int[] before, TestOrigin a, TestOrigin b, TestOrigin c) {
        int da = a.requests.get() - before[0];
        int db = b.requests.get() - before[1];
        int dc = c.requests.get() - before[2];
        return dc / (double) (da + db + dc);
    }

    @Test
    void twoHundredStickyWebSocketsReturnToTheirEndpointAndMoveOnlyWhenItDies() throws Exception {
        WsOrigin[] origins = {new WsOrigin("a"), new WsOrigin("b"), new WsOrigin("c")};
        HttpClient client = HttpClient.newHttpClient();
        try (GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                routes:
                  - name: ws
                    match: {path: /ws}
                    cluster: ws
                    sticky: {hash: {header: x-session}}
                clusters:
                  - name: ws
                    endpoints: [%s, %s, %s]
                    healthCheck: {interval: 400ms, jitter: 10ms, timeout: 400ms, healthyThreshold: 1, unhealthyThreshold: 2}
                """.formatted(origins[0].address(), origins[1].address(), origins[2].address())))) {
            int n = 200;
            List<WsClient> clients = new ArrayList<>();
            String[] home = new String[n];
            for (int i = 0; i < n; i++) {
                WsClient ws = new WsClient(client, gw.port(), "session-" + i);
                clients.add(ws);
                String echo = ws.echo("hi " + i);
                assertThat(echo).endsWith(":hi " + i);
                home[i] = echo.substring(0, echo.indexOf(':'));
            }
            Map<String, Integer> spread = new HashMap<>();
            for (String h : home) {
                spread.merge(h, 1, Integer::sum);
            }
            System.out.println("200 sticky WebSocket sessions by endpoint: " + spread);
            assertThat(spread).containsOnlyKeys("a", "b", "c");
            assertThat(gw.metric("edge_tunnels_open")).isEqualTo(n);

            // Reconnect everyone: each lands where it was.
            for (int i = 0; i < n; i++) {
                clients.get(i).close();
                clients.set(i, new WsClient(client, gw.port(), "session-" + i));
                String echo = clients.get(i).echo("again");
                assertThat(echo).as("session-" + i).startsWith(home[i] + ":");
            }

            // b dies: its sessions end; the others carry on untouched.
            origins[1].close();
            for (int i = 0; i < n; i++) {
                if (home[i].equals("b")) {
                    assertThat(clients.get(i).awaitClosed(5_000)).as("session-" + i + " on b is closed").isTrue();
                } else {
                    assertThat(clients.get(i).echo("still here")).startsWith(home[i] + ":");
                }
            }
            await(() -> gw.adminGetUnchecked("/clusters").contains("\"unhealthy\""), 5_000, "b unhealthy");
            int moved = 0;
            for (int i = 0; i < n; i++) {
                clients.get(i).close();
                clients.set(i, new WsClient(client, gw.port(), "session-" + i));
                String at = clients.get(i).echo("back").split(":")[0];
                if (home[i].equals("b")) {
                    assertThat(at).isIn("a", "c");
                    moved++;
                } else {
                    assertThat(at).as("session-" + i + " stays").isEqualTo(home[i]);
                }
            }
            assertThat(moved).isEqualTo(spread.get("b"));
            for (WsClient ws : clients) {
                ws.close();
            }
            await(() -> {
                try {
                    return gw.metric("edge_tunnels_open") == 0;
                } catch (Exception e) {
                    return false;
                }
            }, 5_000, "tunnels closed");
        } finally {
            for (WsOrigin o : origins) {
                o.close();
            }
        }
    }

    @Test
    void theStickyCookiePinsAClientToItsEndpoint() throws Exception {
        try (TestOrigin a = new TestOrigin("a"); TestOrigin b = new TestOrigin("b"); TestOrigin c = new TestOrigin("c");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes: [{name: r, cluster: app, sticky: {cookie: {name: sid}}}]
                     clusters: [{name: app, endpoints: [%s, %s, %s]}]
                     """.formatted(a.address(), b.address(), c.address())))) {
            for (int client = 0; client < 10; client++) {
                try (RawHttp http = new RawHttp(gw.port())) {
                    http.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
                    RawHttp.Response first = http.read();
                    String setCookie = first.header("set-cookie");
                    assertThat(setCookie).startsWith("sid=").contains("HttpOnly").doesNotContain("127.0.0.1");
                    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
                    for (int i = 0; i < 20; i++) {
                        http.send("GET /x HTTP/1.1\r\nHost: x\r\nCookie: theme=dark; " + cookie + "\r\n\r\n");
                        RawHttp.Response r = http.read();
                        assertThat(r.header("x-origin")).isEqualTo(first.header("x-origin"));
                        assertThat(r.header("set-cookie")).isNull();
                    }
                }
            }
            assertThat(gw.metric("edge_sticky_total{cluster=\"app\",result=\"hit\",route=\"r\"}")).isEqualTo(200);
            assertThat(gw.metric("edge_sticky_total{cluster=\"app\",result=\"miss\",route=\"r\"}")).isEqualTo(10);
        }
    }

    /**
     * A header condition sees every line of a repeated header, joined by commas in order (as Envoy
     * matches since CVE-2020-25017): with only the first line read, {@code x-env: prod} then
     * {@code x-env: test} took the prod route while an origin reading the last line saw test.
     */
    @Test
    void aHeaderOnSeveralLinesIsMatchedAsOneValue() throws Exception {
        try (TestOrigin prod = new TestOrigin("prod"); TestOrigin other = new TestOrigin("other");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes:
                       - {name: prod, match: {headers: [{name: x-env, value: prod}]}, cluster: prod}
                       - {name: gold, match: {headers: [{name: x-tier, regex: "gold(,gold)*"}]}, cluster: prod}
                       - {name: rest, cluster: other}
                     clusters:
                       - {name: prod, endpoints: [%s]}
                       - {name: other, endpoints: [%s]}
                     """.formatted(prod.address(), other.address())))) {
            String[][] cases = {
                {"x-env: prod\r\n", "prod"},
                {"x-env: prod\r\nx-env: test\r\n", "other"},
                {"x-env: test\r\nx-env: prod\r\n", "other"},
                {"X-Env: prod\r\naccept: */*\r\nx-env: prod\r\n", "other"}, // "prod,prod" is not "prod"
                {"x-tier: gold\r\nx-tier: gold\r\n", "prod"},
                {"x-tier: gold\r\nx-tier: silver\r\n", "other"},
            };
            try (RawHttp http = new RawHttp(gw.port())) {
                for (String[] c : cases) {
                    http.send("GET /x HTTP/1.1\r\nHost: x\r\n" + c[0] + "\r\n");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).as(c[0]).isEqualTo(200);
                    assertThat(r.header("x-origin")).as(c[0]).isEqualTo(c[1]);
                }
            }
            if (Tools.curl()) { // HTTP/2 (h2c): the same field on two lines of one header block
                String url = "http://127.0.0.1:" + gw.port() + "/x";
                assertThat(Curl.run("-sS", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null", "-H", "x-env: prod", url).out())
                        .containsIgnoringCase("x-origin: prod");
                assertThat(Curl.run("-sS", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null", "-H", "x-env: prod", "-H", "x-env: test", url).out())
                        .containsIgnoringCase("x-origin: other");
            }
        }
    }
}
