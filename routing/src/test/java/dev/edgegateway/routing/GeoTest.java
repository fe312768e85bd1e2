package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.TryOutcome;
import org.junit.jupiter.api.Test;

class GeoTest {
    private final Tables tables = new Tables();
    private final RouteTable t = tables.compile("""
            forwarding: {trustedProxies: [10.0.0.0/8]}
            geo:
              regionHeader: x-edge-region
              countryHeader: cloudfront-viewer-country
              countries: {de: eu-west, us: us-east}
              cidrs: [{cidr: 203.0.113.0/24, region: eu-west}, {cidr: 203.0.113.128/25, region: ap-south}]
              defaultRegion: us-east
            routes:
              - name: r
                geo:
                  minHealthyPercent: 50
                  regions:
                    us-east: {cluster: use, failover: [eu-west, ap-south]}
                    eu-west: {cluster: euw, failover: [us-east]}
                    ap-south: {cluster: aps, failover: [eu-west, us-east]}
            clusters:
              - {name: use, endpoints: [127.0.0.1:9001, 127.0.0.1:9002], outlierDetection: {consecutive5xx: 1, maxEjectionPercent: 100}, panicThreshold: 0}
              - {name: euw, endpoints: [127.0.0.1:9003, 127.0.0.1:9004], outlierDetection: {consecutive5xx: 1, maxEjectionPercent: 100}, panicThreshold: 0}
              - {name: aps, endpoints: [127.0.0.1:9005]}
            """);
    private final Route route = t.routes().get(0);
    private final RouteDecision d = new RouteDecision();

    private String cluster(TestRequest r) {
        d.reset();
        return route.selectCluster(r, d).name();
    }

    private void eject(Endpoint e) {
        e.record(TryOutcome.HTTP_5XX, 1, tables.now.get());
    }

    @Test
    void theRegionComesFromTrustedHeadersThenCidrsThenTheDefault() {
        TestRequest viaCdn = TestRequest.get("/").from("10.1.2.3").header("x-edge-region", "eu-west");
        viaCdn.trusted = true;
        assertThat(cluster(viaCdn)).isEqualTo("euw");
        TestRequest country = TestRequest.get("/").from("10.1.2.3").header("cloudfront-viewer-country", "DE");
        country.trusted = true;
        assertThat(cluster(country)).isEqualTo("euw");
        // From an untrusted peer the header is ignored: its address decides.
        assertThat(cluster(TestRequest.get("/").from("198.51.100.7").header("x-edge-region", "eu-west"))).isEqualTo("use");
        assertThat(cluster(TestRequest.get("/").from("203.0.113.200"))).as("most specific block").isEqualTo("aps");
        assertThat(cluster(TestRequest.get("/").from("203.0.113.5"))).isEqualTo("euw");
    }

    @Test
    void failsOverInOrderWhileTooFewAreHealthyAndComesBack() {
        TestRequest us = TestRequest.get("/").from("198.51.100.7");
        Cluster use = t.clusters().get("use");
        eject(use.endpoints().get(0));
        assertThat(cluster(us)).as("1 of 2 is still 50%").isEqualTo("use");
        eject(use.endpoints().get(1));
        assertThat(cluster(us)).isEqualTo("euw");
        assertThat(d.failedOver()).isTrue();
        assertThat(d.clientRegion()).isEqualTo("us-east");
        assertThat(d.servedRegion()).isEqualTo("eu-west");
        for (Endpoint e : t.clusters().get("euw").endpoints()) {
            eject(e);
        }
        assertThat(cluster(us)).as("next in the list").isEqualTo("aps");
        tables.now.addAndGet(31_000_000_000L); // ejections (30 s) end
        assertThat(cluster(us)).isEqualTo("use");
        assertThat(d.failedOver()).isFalse();
    }

    @Test
    void latencyModePrefersTheFastestEligibleRegion() {
        RouteTable lt = tables.compile("""
                geo: {defaultRegion: a}
                routes:
                  - name: r
                    geo:
                      mode: latency
                      regions:
                        a: {cluster: ca, failover: [b]}
                        b: {cluster: cb, failover: [a]}
                clusters:
                  - {name: ca, endpoints: [127.0.0.1:9011]}
                  - {name: cb, endpoints: [127.0.0.1:9012]}
                """);
        Route r = lt.routes().get(0);
        long now = tables.now.get();
        lt.clusters().get("ca").endpoints().get(0).record(TryOutcome.SUCCESS, 80_000_000, now);
        lt.clusters().get("cb").endpoints().get(0).record(TryOutcome.SUCCESS, 20_000_000, now);
        d.reset();
        assertThat(r.selectCluster(TestRequest.get("/"), d).name()).isEqualTo("cb");
        assertThat(d.clientRegion()).isEqualTo("a");
        assertThat(d.servedRegion()).isEqualTo("b");
        lt.clusters().get("ca").endpoints().get(0).record(TryOutcome.SUCCESS, 5_000_000, now + 60_000_000_000L);
        d.reset();
        assertThat(r.selectCluster(TestRequest.get("/"), d).name()).isEqualTo("ca");
    }

    @Test
    void aMaxMindDatabaseGivesTheCountryOfTheClientAddress(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path db = new MmdbWriter().add("81.2.69.0/24", "GB").add("175.16.199.0/24", "CN").add("2.125.160.0/19", "DE")
                .write(dir.resolve("test.mmdb"));
        RouteTable mt = tables.compile("""
                geo:
                  maxmindDatabase: %s
                  countries: {GB: eu-west, DE: eu-west, CN: ap-south}
                  defaultRegion: us-east
                routes:
                  - name: r
                    geo:
                      regions:
                        us-east: {cluster: use}
                        eu-west: {cluster: euw}
                        ap-south: {cluster: aps}
                clusters:
                  - {name: use, endpoints: [127.0.0.1:9001]}
                  - {name: euw, endpoints: [127.0.0.1:9003]}
                  - {name: aps, endpoints: [127.0.0.1:9005]}
                """.formatted(db));
        Route r = mt.routes().get(0);
        d.reset();
        assertThat(r.selectCluster(TestRequest.get("/").from("81.2.69.160"), d).name()).isEqualTo("euw");
        assertThat(r.selectCluster(TestRequest.get("/").from("2.125.170.1"), d).name()).isEqualTo("euw");
        assertThat(r.selectCluster(TestRequest.get("/").from("175.16.199.7"), d).name()).isEqualTo("aps");
        assertThat(r.selectCluster(TestRequest.get("/").from("198.51.100.7"), d).name()).as("not in the database").isEqualTo("use");
    }

    @Test
    void aConnectFailureMovesTheRequestToTheNextRegionOfItsFailoverOrder() {
        TestRequest fromUs = TestRequest.get("/").header("x-edge-region", "us-east").from("10.0.0.1");
        d.reset();
        assertThat(route.selectCluster(fromUs, d).name()).isEqualTo("use");
        assertThat(route.failover(d).name()).isEqualTo("euw");
        assertThat(d.servedRegion()).isEqualTo("eu-west");
        assertThat(d.clusterSlot()).isEqualTo(route.clusters().indexOf(t.clusters().get("euw")));
        assertThat(route.failover(d).name()).isEqualTo("aps");
        assertThat(route.failover(d)).as("no region left").isNull();
    }
}
