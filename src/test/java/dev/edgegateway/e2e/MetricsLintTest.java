package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of a gateway with every feature on (TLS listener, HTTP/2 origin, geo, split,
 * rollout, sticky and retrying routes, health checks, local and distributed limits on a real Redis,
 * tracing, access log) passes {@code promtool check metrics} without a word; every family it
 * exports is in docs/metrics.md; a geo route's failover series exist at zero before the first
 * failover (an {@code increase()} alert would miss it otherwise).
 */
class MetricsLintTest {
    @TempDir
    Path dir;

    static String promtool() {
        for (String p : new String[] {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        if (System.getenv("CI") != null) {
            throw new AssertionError("promtool is missing in CI: .ci/run installs the prometheus package");
        }
        assumeTrue(false, "promtool is not installed (apt-get install prometheus)");
        return null;
    }

    @Test
    void everyFeatureOnLintsCleanAndIsCatalogued() throws Exception {
        String promtool = promtool();
        TestPki pki = new TestPki(dir);
        Path cert = pki.write("edge", pki.issue("edge.test", "v1"));
        Path log = dir.resolve("access.log");
        try (RedisServer redis = new RedisServer(false);
             TestOrigin a = new TestOrigin("a");
             TestOrigin b = new TestOrigin("b");
             H2Origin h2 = new H2Origin("h2", null);
             GatewayFixture gw = new GatewayFixture("""
                     listeners:
                       - {name: public, address: 127.0.0.1:0}
                       - name: secure
                         address: 127.0.0.1:0
                         tls: {certificates: [{certFile: %1$s, keyFile: %2$s}]}
                     admin: {address: 127.0.0.1:0}
                     tracing: {samplingRatio: 0.5}
                     accessLog: {enabled: true, path: %3$s}
                     redis: {nodes: ["127.0.0.1:%4$d"]}
                     geo:
                       regionHeader: x-region
                       defaultRegion: us-east
                     routes:
                       - name: geo
                         match: {path: /geo}
                         geo:
                           regions:
                             us-east: {cluster: a, failover: [eu-west]}
                             eu-west: {cluster: b, failover: [us-east]}
                       - name: sticky
                         match: {path: /sticky}
                         cluster: ab
                         sticky: {hash: {header: x-session}}
                       - name: h2
                         match: {path: /h2}
                         cluster: h2
                       - name: rollout
                         match: {path: /rollout}
                         split: [{cluster: a, weight: 100}, {cluster: b, weight: 0}]
                         rollout: {steps: [50, 100], interval: 1h}
                       - name: split
                         split: [{cluster: a, weight: 90}, {cluster: b, weight: 10}]
                         rateLimits:
                           - {name: local, key: [{clientAddress: true}], limits: [{rate: 1000/s}]}
                           - {name: fleet, mode: distributed, key: [{header: x-key}], limits: [{rate: 1000/s}], failOpen: true}
                     clusters:
                       - {name: a, endpoints: ["%5$s"], healthCheck: {path: /healthz, interval: 1s}}
                       - {name: b, endpoints: ["%6$s"]}
                       - name: ab
                         endpoints: ["%5$s", "%6$s"]
                         outlierDetection: {consecutive5xx: 5}
                         circuitBreaker: {maxRequests: 100}
                         retry: {retryOn: [connect-failure], maxRetries: 1}
                       - {name: h2, protocol: h2, endpoints: ["%7$s"]}
                     """.formatted(cert, cert.resolveSibling("edge.key"), log, redis.port, a.address(), b.address(), h2.address()))) {
            // Some traffic on each route, so the meters made on first use exist too.
            // The rollout's meters exist once it has read its state from Redis.
            Await.until(() -> gw.adminGetUnchecked("/rollouts/rollout").contains("\"state\":\"running\""), 20_000, "the rollout running");
            for (String path : new String[] {"/geo", "/sticky", "/h2", "/split", "/rollout"}) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nx-key: k\r\nx-session: s\r\n\r\n");
                assertThat(r.status()).as(path).isEqualTo(200);
            }
            String metrics = gw.adminGet("/metrics");
            Path file = dir.resolve("metrics.txt");
            Files.writeString(file, metrics);

            Process p = new ProcessBuilder(promtool, "check", "metrics").redirectInput(file.toFile()).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(said).as("promtool check metrics").isEmpty();
            assertThat(p.exitValue()).isZero();

            // Configured failover paths exist at zero before any failover.
            assertThat(gw.metric("edge_geo_failovers_total{from=\"us-east\",route=\"geo\",to=\"eu-west\"}")).isZero();
            assertThat(gw.metric("edge_geo_failovers_total{from=\"eu-west\",route=\"geo\",to=\"us-east\"}")).isZero();

            // Every family of the gateway's own is in the catalogue.
            String catalogue = Files.readString(root().resolve("docs/metrics.md"));
            Set<String> missing = new TreeSet<>();
            for (String line : metrics.split("\n")) {
                if (line.startsWith("# TYPE edge_")) {
                    String name = line.split(" ")[2];
                    String type = line.split(" ")[3];
                    String documented = type.equals("counter") && !name.endsWith("_total") ? name + "_total" : name;
                    if (!catalogue.contains("`" + documented + "`")) {
                        missing.add(documented);
                    }
                }
            }
            assertThat(missing).as("exported but not in docs/metrics.md").isEmpty();
        }
    }

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/metrics.md"))) {
            p = p.getParent();
        }
        return p;
    }
}
