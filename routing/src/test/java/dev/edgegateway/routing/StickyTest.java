package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.TryOutcome;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StickyTest {
    private static final int KEYS = 50_000;
    private final Tables tables = new Tables();

    private RouteTable ring(int endpoints, String extra) {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < endpoints; i++) {
            list.append(i == 0 ? "" : ", ").append("127.0.0.1:").append(9001 + i);
        }
        return tables.compile("""
                routes:
                  - name: r
                    cluster: c
                    sticky: {hash: {header: x-session}%s}
                clusters:
                  - name: c
                    endpoints: [%s]
                    outlierDetection: {consecutive5xx: 1, baseEjectionTime: 1h, maxEjectionTime: 1h, maxEjectionPercent: 100}
                    panicThreshold: 0
                """.formatted(extra, list));
    }

    private Map<Integer, Endpoint> assign(Route r, Cluster c) {
        Map<Integer, Endpoint> out = new HashMap<>();
        RouteDecision d = new RouteDecision();
        for (int i = 0; i < KEYS; i++) {
            Endpoint e = r.pickEndpoint(c, TestRequest.get("/").header("x-session", "s" + i), d);
            out.put(i, e);
        }
        return out;
    }

    @Test
    void whenOneOfTenLeavesOnlyItsKeysMoveAndTheyComeBack() {
        RouteTable t = ring(10, "");
        Route r = t.routes().get(0);
        Cluster c = t.clusters().get("c");
        Map<Integer, Endpoint> before = assign(r, c);
        Endpoint leaving = c.endpoints().get(3);
        leaving.record(TryOutcome.HTTP_5XX, 1, tables.now.get()); // ejected for an hour
        Map<Integer, Endpoint> during = assign(r, c);
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            if (before.get(i) != during.get(i)) {
                moved++;
                assertThat(before.get(i)).as("only the leaver's keys move").isSameAs(leaving);
            }
        }
        // The leaver owned about 1/10 of the ring. With 160 points per endpoint an owner's share
        // varies by about 0.8 points (1/(N*sqrt(160))); 5-15% is more than six of those.
        assertThat(moved / (double) KEYS).isBetween(0.05, 0.15);
        tables.now.addAndGet(3_600_000_000_000L + 1); // the ejection ends
        Map<Integer, Endpoint> after = assign(r, c);
        assertThat(after).as("every key is back where it was").isEqualTo(before);
    }

    @Test
    void boundedLoadPassesOverAnOverloadedOwner() {
        RouteTable t = ring(4, ", boundedLoad: 1.25");
        Route r = t.routes().get(0);
        Cluster c = t.clusters().get("c");
        RouteDecision d = new RouteDecision();
        TestRequest req = TestRequest.get("/").header("x-session", "hot");
        Endpoint owner = r.pickEndpoint(c, req, d);
        for (int i = 0; i < 10; i++) {
            owner.requestStarted(); // the hot key's owner is busy
        }
        Endpoint next = r.pickEndpoint(c, req, d);
        assertThat(next).isNotSameAs(owner);
        for (int i = 0; i < 10; i++) {
            owner.requestFinished();
        }
        assertThat(r.pickEndpoint(c, req, d)).isSameAs(owner);
    }

    @Test
    void theCookieNamesAnEndpointOpaquelyAndBringsTheClientBack() {
        RouteTable t = tables.compile("""
                routes:
                  - {name: r, cluster: c, sticky: {cookie: {name: sid, maxAge: 1h}}}
                clusters:
                  - {name: c, endpoints: [127.0.0.1:9001, 127.0.0.1:9002, 127.0.0.1:9003]}
                """);
        Route r = t.routes().get(0);
        Cluster c = t.clusters().get("c");
        RouteDecision d = new RouteDecision();
        Endpoint first = r.pickEndpoint(c, TestRequest.get("/"), d);
        assertThat(d.sticky()).isEqualTo(RouteDecision.StickyOutcome.MISS);
        String cookie = d.setCookie();
        assertThat(cookie).startsWith("sid=").endsWith("; Path=/; HttpOnly; Max-Age=3600").doesNotContain("127.0.0.1").doesNotContain("900");
        String id = cookie.substring(4, cookie.indexOf(';'));
        for (int i = 0; i < 20; i++) {
            d.reset();
            assertThat(r.pickEndpoint(c, TestRequest.get("/").cookie("sid", id), d)).isSameAs(first);
            assertThat(d.sticky()).isEqualTo(RouteDecision.StickyOutcome.HIT);
            assertThat(d.setCookie()).isNull();
        }
        d.reset();
        r.pickEndpoint(c, TestRequest.get("/").cookie("sid", "forged"), d);
        assertThat(d.sticky()).isEqualTo(RouteDecision.StickyOutcome.MISS);
        assertThat(d.setCookie()).isNotNull();
    }

    @Test
    void aRetryGoesToTheKeysNextOwnerWhichIsWhereTheKeyLivesOnceTheOwnerIsOut() {
        RouteTable t = ring(5, "");
        Route r = t.routes().get(0);
        Cluster c = t.clusters().get("c");
        for (int i = 0; i < 200; i++) {
            TestRequest req = TestRequest.get("/").header("x-session", "k" + i);
            RouteDecision d = new RouteDecision();
            Endpoint owner = r.pickEndpoint(c, req, d);
            Endpoint next = r.retryEndpoint(c, req, d, new TriedEndpoints(owner));
            assertThat(next).as("k" + i).isNotSameAs(owner);
            owner.record(TryOutcome.HTTP_5XX, 1, tables.now.get()); // out, as outlier detection would put it
            assertThat(r.pickEndpoint(c, req, new RouteDecision())).as("k" + i + " once its owner is out").isSameAs(next);
            tables.now.addAndGet(2 * 3_600_000_000_000L); // past the ejection, for the next key
        }
    }
}
