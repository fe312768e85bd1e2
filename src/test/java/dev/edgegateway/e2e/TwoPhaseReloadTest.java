package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads in two phases, with real processes: a document rejected for a certificate pair that does
 * not match (found while validating) or an unreadable GeoIP file (found while compiling), each with a changed
 * {@code redis} section and changed breaker limits in the same document, is answered with the
 * error at its line and column, by {@code POST /config/validate} exactly as by {@code PUT
 * /config}, and leaves {@code /clusters}, the {@code /metrics} series, the Redis client in use and
 * the served certificate exactly as they were. Then a good document commits, and what it no
 * longer names (a route, a cluster, a policy) leaves {@code /metrics}.
 */
class TwoPhaseReloadTest {
    static final String TOKEN = "two-phase-token";

    @TempDir
    Path dir;

    String config(Path tls, Path key, String redis, int maxRequests, String geo, boolean extraRoute) {
        return """
                listeners:
                  - {name: public, address: 127.0.0.1:0}
                  - name: secure
                    address: 127.0.0.1:0
                    tls:
                      certificates: [{certFile: %s, keyFile: %s}]
                admin: {address: 127.0.0.1:0, tokenEnv: EDGE_TWO_PHASE_UNSET, tokenFile: %s}
                redis: {nodes: ["%s"], timeout: 200ms}
                %s
                routes:
                  - name: limited
                    match: {pathPrefix: /limited}
                    cluster: app
                    rateLimits: [{name: fleet, mode: distributed, key: [{header: x-key}], limits: [{rate: 1000/s}], failOpen: false}]
                %s  - {name: all, cluster: app}
                clusters:
                  - name: app
                    endpoints: ["%s"]
                    circuitBreaker: {maxRequests: %d}
                %s""".formatted(tls, key, dir.resolve("token"), redis, geo, extraRoute
                        ? "  - {name: extra, match: {pathPrefix: /extra}, cluster: side, rateLimits: [{name: local, key: [{clientAddress: true}], limits: [{rate: 5/s}]}]}\n"
                        : "", originAddress, maxRequests,
                extraRoute ? "  - {name: side, endpoints: [\"" + originAddress + "\"]}\n" : "");
    }

    String originAddress;

    @Test
    void aRejectedReloadChangesNothingAndACommittedOneRetiresWhatItNoLongerNames() throws Exception {
        Files.writeString(dir.resolve("token"), TOKEN);
        TestPki pki = new TestPki(dir);
        Path v1 = pki.write("v1", pki.issue("edge.test", "v1"));
        Path key1 = dir.resolve("v1.key");
        Path other = pki.write("other", pki.issue("other.test", "other"));
        try (RedisServer redisA = new RedisServer(false); RedisServer redisB = new RedisServer(false); TestOrigin o = new TestOrigin("o")) {
            originAddress = o.address();
            String good = config(v1, key1, redisA.address(), 100, "", true);
            GatewayFixture gw = new GatewayFixture(good);
            try {
                for (int i = 0; i < 5; i++) {
                    assertThat(RawHttp.exchange(gw.port(), "GET /limited HTTP/1.1\r\nHost: x\r\nx-key: k" + i + "\r\n\r\n").status()).isEqualTo(200);
                }
                assertThat(dbsize(redisA)).isPositive();
                String clustersBefore = withoutVolatile(gw.adminGet("/clusters"));
                Set<String> seriesBefore = gw.edgeSeries();
                assertThat(servedOrganisation(gw)).isEqualTo("v1");

                // 1. A certificate whose key is another's; 2. a GeoIP file that cannot be read. Both with Redis moved to B and maxRequests 5.
                String badCert = config(v1, dir.resolve("other.key"), redisB.address(), 5, "", true);
                String badGeo = config(v1, key1, redisB.address(), 5, "geo: {maxmindDatabase: " + dir.resolve("missing.mmdb") + "}", true);
                for (String[] c : new String[][] {{badCert, "listeners[1].tls.certificates[0].keyFile", "is not the key of the certificate"},
                        {badGeo, "geo.maxmindDatabase", "cannot read"}}) {
                    int line = lineOf(c[0], c[1].startsWith("geo") ? "maxmindDatabase" : "certificates:");
                    for (String[] call : new String[][] {{"POST", "/config/validate"}, {"PUT", "/config"}}) {
                        HttpResponse<String> r = gw.adminSend(call[0], call[1], c[0], "Bearer " + TOKEN);
                        assertThat(r.statusCode()).as(call[1] + " " + c[1] + ": " + r.body()).isEqualTo(400);
                        assertThat(r.body()).contains("\"outcome\":\"invalid\"").contains("\"field\":\"" + c[1] + "\"").contains(c[2])
                                .contains("\"line\":" + line + ",");
                    }
                    // Nothing moved: limits, series, the certificate, and Redis A still decides (B sees nothing).
                    assertThat(withoutVolatile(gw.adminGet("/clusters"))).isEqualTo(clustersBefore);
                    assertThat(gw.adminGet("/clusters")).contains("\"maxRequests\":100");
                    assertThat(gw.edgeSeries()).isEqualTo(seriesBefore);
                    assertThat(servedOrganisation(gw)).isEqualTo("v1");
                    // Counted as script calls, not keys: a bucket's key expires about a second after its
                    // last use, so A's key count can stand still while it decides (seen once in a loop of the suite).
                    long before = FleetLimitTest.scriptCalls(List.of(redisA));
                    assertThat(RawHttp.exchange(gw.port(), "GET /limited HTTP/1.1\r\nHost: x\r\nx-key: fresh-" + c[1] + "\r\n\r\n").status()).isEqualTo(200);
                    assertThat(FleetLimitTest.scriptCalls(List.of(redisA))).as("Redis A decides the fresh key").isGreaterThan(before);
                    assertThat(dbsize(redisB)).isZero();
                    assertThat(gw.adminGet("/ready")).startsWith("ready");
                }

                // A good reload without the extra route, its cluster and policy: their series go, the rest stay.
                RawHttp.exchange(gw.port(), "GET /extra HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(gw.edgeSeries()).anyMatch(s -> s.contains("route=\"extra\"")).anyMatch(s -> s.contains("cluster=\"side\""));
                HttpResponse<String> ok = gw.adminSend("PUT", "/config", config(v1, key1, redisA.address(), 100, "", false), "Bearer " + TOKEN);
                assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
                Set<String> after = gw.edgeSeries();
                assertThat(after).noneMatch(s -> s.contains("route=\"extra\"")).noneMatch(s -> s.contains("cluster=\"side\""))
                        .noneMatch(s -> s.contains("policy=\"local\""));
                assertThat(after).anyMatch(s -> s.contains("route=\"limited\"")).anyMatch(s -> s.contains("cluster=\"app\""));
                assertThat(gw.adminGet("/clusters")).doesNotContain("\"side\"");
                assertThat(RawHttp.exchange(gw.port(), "GET /limited HTTP/1.1\r\nHost: x\r\nx-key: after\r\n\r\n").status()).isEqualTo(200);

                // A new certificate in the config is served at once, and the summary says so (not "on restart").
                Path v2 = pki.write("v2", pki.issue("edge.test", "v2"));
                HttpResponse<String> renewed = gw.adminSend("PUT", "/config", config(v2, dir.resolve("v2.key"), redisA.address(), 100, "", false),
                        "Bearer " + TOKEN);
                assertThat(renewed.statusCode()).as(renewed.body()).isEqualTo(200);
                assertThat(renewed.body()).contains("listener secure tls changed (new connections)").doesNotContain("restart");
                assertThat(servedOrganisation(gw)).isEqualTo("v2");
            } finally {
                gw.close();
            }
        }
    }

    /** /clusters without the figures that move by themselves (EWMA, in flight). */
    static String withoutVolatile(String json) {
        return json.replaceAll("\"ewmaLatencyMillis\":[0-9.]+", "").replaceAll("\"inFlight\":[0-9]+", "").replaceAll("\"connections\":[0-9]+", "");
    }

    static long dbsize(RedisServer r) throws Exception {
        return Long.parseLong(r.cli("DBSIZE"));
    }

    /** The O= of the certificate the secure listener serves for edge.test (trusting anything: only which one is asked). */
    static String servedOrganisation(GatewayFixture gw) throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}

            public void checkServerTrusted(X509Certificate[] c, String a) {}

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gw.gateway.listenerAddress("secure").getPort()), 5000);
            s.setSoTimeout(5000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("edge.test")));
            s.setSSLParameters(p);
            s.startHandshake();
            String subject = ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
            return subject.replaceAll(".*O=([^,]+).*", "$1");
        }
    }

    static int lineOf(String text, String needle) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError(needle);
    }
}
