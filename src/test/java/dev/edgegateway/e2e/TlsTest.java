package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS termination and HTTP/2 with real clients: curl over TLS (HTTP/2 and HTTP/1.1, two SNI names
 * with their own certificates), h2c with prior knowledge, a TLS 1.1 client, a rapid-reset burst
 * and an oversized header list on raw HTTP/2 frames, a certificate rotated on disk, and TLS (with
 * mutual TLS) to origins.
 */
@Timeout(120)
class TlsTest {
    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void certificates() throws Exception {
        pki = new TestPki(dir);
        pki.write("a", pki.issue("a.test", "first"));
        pki.write("b", pki.issue("b.test", "first"));
    }

    private static String config(String origin, String extra) {
        return """
                listeners:
                  - name: public
                    address: 127.0.0.1:0
                  - name: secure
                    address: 127.0.0.1:0
                    tls:
                      reloadInterval: 200ms
                      certificates:
                        - {certFile: %1$s/a.pem, keyFile: %1$s/a.key}
                        - {certFile: %1$s/b.pem, keyFile: %1$s/b.key}
                admin:
                  address: 127.0.0.1:0
                routes:
                  - name: all
                    cluster: web
                clusters:
                  - {name: web, endpoints: [%2$s]}
                """.formatted(dir, origin) + extra;
    }

    private static int securePort(GatewayFixture gw) {
        return gw.gateway.listenerAddress("secure").getPort();
    }

    /** curl with the test CA, resolving {@code host} to the gateway's TLS port; -v to see the certificate. */
    private static Curl.Result curlTls(GatewayFixture gw, String host, String... args) throws IOException {
        int port = securePort(gw);
        List<String> all = new java.util.ArrayList<>(List.of("-sv", "--cacert", pki.caFile().toString(),
                "--resolve", host + ":" + port + ":127.0.0.1", "-w", "\\n%{http_code} %{http_version}"));
        all.addAll(List.of(args));
        all.add("https://" + host + ":" + port + "/hello");
        return Curl.run(all.toArray(String[]::new));
    }

    @Test
    void curlOverTlsGetsEachNameItsCertificateOnHttp2AndHttp11() throws Exception {
        assumeTrue(Tools.curl(), "curl with HTTP/2 is not installed");
        try (TestOrigin origin = new TestOrigin("o"); TestOrigin bOrigin = new TestOrigin("ob");
             GatewayFixture gw = new GatewayFixture(config(origin.address(), "  - {name: bweb, endpoints: [" + bOrigin.address() + "]}\n")
                     .replace("routes:\n", "accessLog: {enabled: true, path: " + dir.resolve("access.log") + "}\nroutes:\n"
                             + "  - {name: by-sni, match: {sni: b.test}, cluster: bweb}\n"))) {
            for (String host : List.of("a.test", "b.test")) {
                String expected = host.equals("b.test") ? "origin ob /hello" : "origin o /hello"; // b.test is routed by its SNI name
                Curl.Result h2 = curlTls(gw, host, "--http2");
                assertThat(h2.exit()).as(h2.err()).isZero();
                assertThat(h2.out()).endsWith("200 2").contains(expected);
                assertThat(h2.err()).contains("subjectAltName: host \"" + host + "\" matched").contains("ALPN: server accepted h2");
                Curl.Result h1 = curlTls(gw, host, "--http1.1");
                assertThat(h1.exit()).as(h1.err()).isZero();
                assertThat(h1.out()).endsWith("200 1.1").contains(expected);
                assertThat(h1.err()).contains("subjectAltName: host \"" + host + "\" matched").contains("ALPN: server accepted http/1.1");
            }
            // The origins saw plain HTTP/1.1 with the client's scheme forwarded.
            assertThat(origin.seen).hasSize(2);
            assertThat(bOrigin.seen).hasSize(2);
            for (var r : List.of(origin.seen.get(0), origin.seen.get(1), bOrigin.seen.get(0), bOrigin.seen.get(1))) {
                assertThat(r.headers().get("x-forwarded-proto")).isEqualTo("https");
                assertThat(r.protocolVersion().text()).isEqualTo("HTTP/1.1");
            }
            assertThat(gw.metric("edge_tls_handshakes_total{listener=\"secure\",protocol=\"h2\",version=\"TLSv1.3\"}")).isEqualTo(2);
            // The access log says how each request came: protocol, TLS version, cipher, SNI name.
            Path accessLog = dir.resolve("access.log");
            Await.until(() -> lines(accessLog).stream().filter(l -> l.contains("\"tls\":\"TLSv1.3\"")).count() == 4, 5000, "four TLS lines logged");
            assertThat(lines(accessLog)).anySatisfy(l -> assertThat(l).contains("\"protocol\":\"HTTP/2\"").contains("\"sni\":\"b.test\"")
                            .contains("\"route\":\"by-sni\"").contains("\"cipher\":\"TLS_"))
                    .anySatisfy(l -> assertThat(l).contains("\"protocol\":\"HTTP/1.1\"").contains("\"sni\":\"a.test\""));
            assertThat(gw.metric("edge_tls_handshakes_total{listener=\"secure\",protocol=\"http/1.1\",version=\"TLSv1.3\"}")).isEqualTo(2);

            // h2c with prior knowledge on the clear-text listener; HTTP/1.1 still works there.
            Curl.Result h2c = Curl.run("-s", "--http2-prior-knowledge", "-w", "\\n%{http_code} %{http_version}", "http://127.0.0.1:" + gw.port() + "/c");
            assertThat(h2c.out()).endsWith("200 2").contains("origin o /c");
            Curl.Result h1 = Curl.run("-s", "-w", "\\n%{http_code} %{http_version}", "http://127.0.0.1:" + gw.port() + "/c");
            assertThat(h1.out()).endsWith("200 1.1");
            assertThat(origin.seen.get(2).headers().get("x-forwarded-proto")).isEqualTo("http");

            // A request body over HTTP/2 streams through (700 KB, more than a stream window).
            Path body = dir.resolve("body.bin");
            Files.write(body, new byte[700_000]);
            Curl.Result up = curlTls(gw, "a.test", "--http2", "-X", "POST", "--data-binary", "@" + body);
            assertThat(up.out()).as(up.err()).endsWith("200 2");
            assertThat(origin.seen.get(origin.seen.size() - 1).headers().get("transfer-encoding")).isNull(); // curl sends content-length
        }
    }

    @Test
    void aTls11ClientIsRefused() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(config(origin.address(), ""))) {
            // openssl s_client is a client that still speaks TLS 1.1 when told to (security level 0).
            Process p;
            try {
                p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + securePort(gw), "-servername", "a.test",
                        "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0").redirectErrorStream(true).start();
            } catch (IOException e) {
                assumeTrue(Tools.openssl(), "openssl is not installed");
                return;
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            // The server answered the ClientHello with a protocol_version alert (70).
            assertThat(out).contains("alert protocol version");
            Await.until(() -> gw.metricOrMissing("edge_tls_handshake_failures_total{listener=\"secure\"}") == 1, 5000, "the failure counted");

            // And a TLS 1.2 client is served.
            SSLSocket s = tlsSocket(gw, "a.test", "TLSv1.2");
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(get(s, "a.test")).startsWith("HTTP/1.1 200");
            s.close();
        }
    }

    /**
     * Plain HTTP sent to the TLS port (curl http://host:443/, an operator's first mistake) gets a
     * plain-text 400 saying to use https://, as nginx answers it, and is counted as a failed
     * handshake; the port still speaks TLS to the next client. Before, the connection just closed:
     * curl said "Empty reply from server".
     */
    @Test
    void plainHttpOnTheTlsPortIsTold400ToUseHttps() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(config(origin.address(), ""))) {
            String answer = RawHttp.untilClosed(securePort(gw), "GET /hello HTTP/1.1\r\nHost: a.test\r\n\r\nGET /again HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("connection: close\r\n").contains("date: ")
                    .endsWith("\r\n\r\n400 Bad Request: this port speaks TLS; send the request with https://\n");
            if (Tools.curl()) {
                Curl.Result r = Curl.run("-s", "-w", "\n%{http_code}", "http://127.0.0.1:" + securePort(gw) + "/hello");
                assertThat(r.out()).isEqualTo("400 Bad Request: this port speaks TLS; send the request with https://\n\n400");
            }
            Await.until(() -> gw.metricOrMissing("edge_tls_handshake_failures_total{listener=\"secure\"}") == (Tools.curl() ? 2 : 1), 5000,
                    "counted as failed handshakes");
            assertThat(origin.seen).isEmpty();
            SSLSocket s = tlsSocket(gw, "a.test", "TLSv1.3");
            assertThat(get(s, "a.test")).startsWith("HTTP/1.1 200");
            s.close();
        }
    }

    @Test
    void aCertificateRotatedOnDiskIsServedToNewConnectionsWhileOldOnesContinue() throws Exception {
        // The class's CA (the client trusts it); the listener's files in their own directory.
        Path rot = Files.createDirectories(dir.resolve("rot"));
        Files.writeString(rot.resolve("a.pem"), Files.readString(dir.resolve("a.pem")));
        Files.writeString(rot.resolve("a.key"), Files.readString(dir.resolve("a.key")));
        Files.writeString(rot.resolve("b.pem"), Files.readString(dir.resolve("b.pem")));
        Files.writeString(rot.resolve("b.key"), Files.readString(dir.resolve("b.key")));
        String yaml = config("127.0.0.1:1", "").replace(dir.toString(), rot.toString());
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(yaml.replace("127.0.0.1:1", origin.address()))) {
            SSLSocket old = tlsSocket(gw, "a.test", null);
            assertThat(get(old, "a.test")).startsWith("HTTP/1.1 200");
            assertThat(subject(old)).contains("O=first");

            // Rotate: a new key and certificate replace the files (key first, so for a moment they disagree).
            X509Bundle next = pki.issue("a.test", "second");
            TestPki.writeTo(rot, "a", next);
            Await.until(() -> {
                try (SSLSocket fresh = tlsSocket(gw, "a.test", null)) {
                    return subject(fresh).contains("O=second");
                } catch (Exception e) {
                    return false;
                }
            }, 10_000, "new connections get the rotated certificate");

            // curl, a new connection, sees the new certificate too.
            if (Tools.curl()) {
                Curl.Result r = curlTls(gw, "a.test", "--http2");
                assertThat(r.out()).endsWith("200 2");
                assertThat(r.err()).contains("O=second");
            }
            // The connection made before the rotation keeps its session and keeps working.
            assertThat(get(old, "a.test")).startsWith("HTTP/1.1 200");
            assertThat(subject(old)).contains("O=first");
            old.close();
            assertThat(gw.metric("edge_tls_certificate_reloads_total{listener=\"secure\",outcome=\"applied\"}")).isGreaterThanOrEqualTo(1);
        }
    }

    /**
     * Two names on one listener, both rotated on disk; a.test only half (its new certificate with
     * its old key, as a deploy tool that died midway leaves it). b.test rotates anyway, a.test
     * keeps its old certificate and is reported; once a.test's key arrives, it rotates too.
     */
    @Test
    void aHalfRotatedPairKeepsItsOldCertificateWhileTheOtherNamesRotate() throws Exception {
        Path rot = Files.createDirectories(dir.resolve("rot-pairs"));
        for (String f : new String[] {"a.pem", "a.key", "b.pem", "b.key"}) {
            Files.writeString(rot.resolve(f), Files.readString(dir.resolve(f)));
        }
        String yaml = config("127.0.0.1:1", "").replace(dir.toString(), rot.toString());
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(yaml.replace("127.0.0.1:1", origin.address()))) {
            X509Bundle nextA = pki.issue("a.test", "second");
            X509Bundle nextB = pki.issue("b.test", "second");
            Files.writeString(rot.resolve("a.pem"), nextA.getCertificatePEM()); // the key does not follow
            TestPki.writeTo(rot, "b", nextB);
            Await.until(() -> servedSubject(gw, "b.test").contains("O=second"), 10_000, "b.test rotated although a.test is half done");
            Await.until(() -> gw.metricOrMissing("edge_tls_certificate_reloads_total{listener=\"secure\",outcome=\"invalid\"}") >= 1, 10_000,
                    "the half-rotated pair reported");
            assertThat(servedSubject(gw, "a.test")).contains("O=first");
            try (SSLSocket s = tlsSocket(gw, "a.test", null)) {
                assertThat(get(s, "a.test")).startsWith("HTTP/1.1 200");
            }
            // The key arrives: a.test rotates as well.
            Files.writeString(rot.resolve("a.key"), nextA.getPrivateKeyPEM());
            Await.until(() -> servedSubject(gw, "a.test").contains("O=second"), 10_000, "a.test rotated once its key arrived");
            assertThat(servedSubject(gw, "b.test")).contains("O=second");
        }
    }

    private static String servedSubject(GatewayFixture gw, String host) {
        try (SSLSocket s = tlsSocket(gw, host, null)) {
            return subject(s);
        } catch (Exception e) {
            return "";
        }
    }

    @Test
    void tlsToOriginsVerifiesTheOriginAndPresentsAClientCertificate() throws Exception {
        X509Bundle originCert = pki.issue("origin.test", "origin");
        X509Bundle clientCert = pki.issue("gateway.test", "client");
        pki.write("client", clientCert);
        SslContext originTls = SslContextBuilder.forServer(originCert.getKeyPair().getPrivate(), originCert.getCertificatePath())
                .trustManager(pki.ca.getCertificate()).clientAuth(ClientAuth.REQUIRE).build();
        try (TestOrigin origin = new TestOrigin("tls-origin", 0, originTls);
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes:
                       - {name: mtls, match: {pathPrefix: /mtls}, cluster: mtls}
                       - {name: wrongname, match: {pathPrefix: /wrongname}, cluster: wrongname}
                       - {name: nocert, match: {pathPrefix: /nocert}, cluster: nocert}
                     clusters:
                       - name: mtls
                         endpoints: [%1$s]
                         tls: {caFile: %2$s/ca.pem, serverName: origin.test, certFile: %2$s/client.pem, keyFile: %2$s/client.key}
                         healthCheck: {path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 1}
                       - name: wrongname
                         endpoints: [%1$s]
                         tls: {caFile: %2$s/ca.pem, serverName: other.test, certFile: %2$s/client.pem, keyFile: %2$s/client.key}
                       - name: nocert
                         endpoints: [%1$s]
                         tls: {caFile: %2$s/ca.pem, serverName: origin.test}
                     """.formatted(origin.address(), dir)))) {
            try (RawHttp http = new RawHttp(gw.port())) {
                for (int i = 0; i < 3; i++) { // the second and third reuse the pooled TLS connection (health checks open their own)
                    http.send("GET /mtls HTTP/1.1\r\nHost: x\r\n\r\n");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("origin tls-origin /mtls");
                }
            }
            assertThat(gw.metric("edge_upstream_connections_opened_total")).as("one pooled TLS connection for the three").isEqualTo(1);
            // Health checks reach the TLS origin over TLS (with the client certificate) and pass.
            // (the gateway counts a pass when the answer is back: the origin counts the check before that)
            Await.until(() -> gw.metricOrMissing("edge_health_checks_total{cluster=\"mtls\",result=\"pass\"}") >= 2, 5000, "health checks over TLS");
            assertThat(origin.healthChecks.get()).isGreaterThanOrEqualTo(2);
            assertThat(gw.metric("edge_health_checks_total{cluster=\"mtls\",result=\"fail\"}")).isZero();
            // A certificate for another name: the gateway refuses to talk to it.
            try (RawHttp http = new RawHttp(gw.port())) {
                http.send("GET /wrongname HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Response r = http.read();
                assertThat(r.status()).isEqualTo(502);
                assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("TLS handshake");
            }
            assertThat(gw.metric("edge_upstream_errors_total{cluster=\"wrongname\",kind=\"tls_handshake\"}")).isGreaterThanOrEqualTo(1);
            // No client certificate: the origin refuses the gateway.
            try (RawHttp http = new RawHttp(gw.port())) {
                http.send("GET /nocert HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(http.read().status()).isEqualTo(502);
            }
            assertThat(origin.requests.get()).isEqualTo(3);
        }
    }

    @Test
    void anOcspResponseOnDiskIsStapled() throws Exception {
        // A real OCSP response for a.test, signed by the test CA with openssl's responder tool.
        Path ocspDir = Files.createDirectories(dir.resolve("ocsp"));
        X509Bundle leaf = pki.issue("a.test", "stapled");
        TestPki.writeTo(ocspDir, "a", leaf);
        Files.writeString(ocspDir.resolve("ca.key"), "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pki.ca.getKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        String serial = leaf.getCertificate().getSerialNumber().toString(16).toUpperCase();
        String expiry = java.time.format.DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(java.time.ZoneOffset.UTC)
                .format(leaf.getCertificate().getNotAfter().toInstant());
        Files.writeString(ocspDir.resolve("index.txt"), "V\t" + expiry + "\t\t" + (serial.length() % 2 == 1 ? "0" + serial : serial)
                + "\tunknown\t/CN=a.test/O=stapled\n");
        int req = run(ocspDir, "openssl", "ocsp", "-issuer", pki.caFile().toString(), "-cert", "a.pem", "-no_nonce", "-reqout", "req.der");
        assumeTrue(req == 0 || !Tools.present(false, "openssl (to make an OCSP response)", "openssl"), "openssl is not available to make an OCSP response");
        assertThat(run(ocspDir, "openssl", "ocsp", "-index", "index.txt", "-rsigner", pki.caFile().toString(), "-rkey", "ca.key",
                "-CA", pki.caFile().toString(), "-reqin", "req.der", "-respout", "a.ocsp", "-ndays", "1")).isZero();
        String yaml = config("127.0.0.1:1", "").replace("{certFile: " + dir + "/a.pem, keyFile: " + dir + "/a.key}",
                "{certFile: " + ocspDir + "/a.pem, keyFile: " + ocspDir + "/a.key, ocspResponse: " + ocspDir + "/a.ocsp}");
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(yaml.replace("127.0.0.1:1", origin.address()))) {
            assumeTrue(io.netty.handler.ssl.OpenSsl.isOcspSupported(), "BoringSSL did not load: no stapling with the JDK provider");
            Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + securePort(gw), "-servername", "a.test",
                    "-status", "-CAfile", pki.caFile().toString()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            assertThat(out).contains("OCSP Response Status: successful").contains("Cert Status: good");
            // b.test has no response configured: nothing is stapled for it.
            Process q = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + securePort(gw), "-servername", "b.test",
                    "-status", "-CAfile", pki.caFile().toString()).redirectErrorStream(true).start();
            q.getOutputStream().close();
            assertThat(new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("OCSP response: no response sent");
            q.waitFor();
        }
    }

    private static int run(Path cwd, String... cmd) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            if (code != 0) {
                System.out.println(String.join(" ", cmd) + ": " + out);
            }
            return code;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * A client's {@code TE: trailers} reaches the origin (HTTP/2 and HTTP/1.1), its other codings do
     * not: gRPC servers in C++ and Python refuse a call without it, and TE, being hop-by-hop, was
     * dropped whole.
     */
    @Test
    void aClientsTeTrailersReachesTheOriginAndNothingElseOfTe() throws Exception {
        try (H2Origin h2c = new H2Origin("h2c", null); TestOrigin h1 = new TestOrigin("h1");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes:
                       - {name: h1, match: {pathPrefix: /h1}, cluster: h1}
                       - {name: all, cluster: h2c}
                     clusters:
                       - {name: h2c, endpoints: [%s], protocol: h2}
                       - {name: h1, endpoints: [%s]}
                     """.formatted(h2c.address(), h1.address())))) {
            for (String te : new String[] {"trailers", "gzip;q=0.5, Trailers", "gzip", null}) {
                String field = te == null ? "" : "TE: " + te + "\r\nConnection: TE\r\n";
                assertThat(RawHttp.exchange(gw.port(), "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" + field + "\r\n").status()).isEqualTo(200);
                assertThat(RawHttp.exchange(gw.port(), "GET /h1 HTTP/1.1\r\nHost: x\r\n" + field + "\r\n").status()).isEqualTo(200);
            }
            assertThat(h2c.seen).extracting(H2Origin.Seen::te).containsExactly("trailers", "trailers", null, null);
            assertThat(h1.seen).extracting(r -> r.headers().get("te")).containsExactly("trailers", "trailers", null, null);
            if (Tools.curl()) { // an HTTP/2 client, as gRPC's are
                Curl.Result r = Curl.run("-sS", "--http2-prior-knowledge", "-H", "te: trailers", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://127.0.0.1:" + gw.port() + "/grpc");
                assertThat(r.out()).isEqualTo("200");
                assertThat(h2c.seen.get(h2c.seen.size() - 1).te()).isEqualTo("trailers");
            }
        }
    }

    /**
     * A request an HTTP/2 origin did not process (REFUSED_STREAM at its stream limit, or past the
     * last stream of a restart's GOAWAY) goes again at once, POST included, with no retry policy
     * needed: RFC 9113 8.7. Before, it was a reset: a 502 for a POST (and for any method with
     * {@code maxRetries: 0}), counted against the endpoint and the retry budget.
     */
    @Test
    void anHttp2OriginsUnprocessedStreamGoesAgainWhateverItsMethod() throws Exception {
        try (H2Origin h2c = new H2Origin("h2c", null);
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     runtime: {workerThreads: 1}
                     routes: [{name: all, cluster: h2c}]
                     clusters: [{name: h2c, endpoints: [%s], protocol: h2, retry: {maxRetries: 0}}]
                     """.formatted(h2c.address())));
             RawHttp http = new RawHttp(gw.port())) {
            http.send("POST /warm HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
            assertThat(http.read().status()).isEqualTo(200);
            h2c.refuseNext.set(1);
            http.send("POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
            RawHttp.Response refused = http.read();
            assertThat(refused.status()).isEqualTo(200);
            assertThat(new String(refused.body(), StandardCharsets.UTF_8)).startsWith("h2 h2c /refused stream=").endsWith("body=3");
            h2c.goAwayNext.set(1);
            http.send("POST /gone HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
            RawHttp.Response gone = http.read();
            assertThat(gone.status()).isEqualTo(200);
            assertThat(new String(gone.body(), StandardCharsets.UTF_8)).startsWith("h2 h2c /gone stream=").endsWith("body=3");
            assertThat(h2c.refused).containsExactly("/refused", "/gone");
            assertThat(h2c.connections.get()).as("after the GOAWAY, a new connection").isEqualTo(2);
            assertThat(gw.metric("edge_upstream_errors_total{cluster=\"h2c\",kind=\"reset\"}")).isZero();
            assertThat(gw.metric("edge_retries_total{cluster=\"h2c\"}")).isZero();
        }
    }

    @Test
    void http2ToOriginsMultiplexesRequestsOnOneConnectionInClearTextAndOverTls() throws Exception {
        X509Bundle originCert = pki.issue("h2.origin.test", "h2origin");
        SslContext originTls = SslContextBuilder.forServer(originCert.getKeyPair().getPrivate(), originCert.getCertificatePath())
                .applicationProtocolConfig(new io.netty.handler.ssl.ApplicationProtocolConfig(
                        io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2"))
                .build();
        try (H2Origin h2c = new H2Origin("h2c", null); H2Origin h2tls = new H2Origin("h2tls", originTls);
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     runtime: {workerThreads: 1}
                     routes:
                       - {name: tls, match: {pathPrefix: /tls}, cluster: h2tls}
                       - {name: all, cluster: h2c}
                     clusters:
                       - {name: h2c, endpoints: [%1$s], protocol: h2}
                       - name: h2tls
                         endpoints: [%2$s]
                         protocol: h2
                         tls: {caFile: %3$s/ca.pem, serverName: h2.origin.test}
                     """.formatted(h2c.address(), h2tls.address(), dir)))) {
            // Four clients, each with requests in a row, some with bodies: one connection to the origin.
            java.util.List<Thread> clients = new java.util.ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
            for (int c = 0; c < 4; c++) {
                int client = c;
                Thread t = new Thread(() -> {
                    try (RawHttp http = new RawHttp(gw.port())) {
                        for (int i = 0; i < 25; i++) {
                            String body = i % 5 == 0 ? "x".repeat(20_000) : "";
                            http.send((body.isEmpty() ? "GET /r" + client + "-" + i + " HTTP/1.1\r\nHost: x\r\n\r\n"
                                    : "POST /r" + client + "-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body));
                            RawHttp.Response r = http.read();
                            if (r.status() == 200 && new String(r.body(), StandardCharsets.UTF_8)
                                    .startsWith("h2 h2c /r" + client + "-" + i + " stream=") && new String(r.body(), StandardCharsets.UTF_8).endsWith("body=" + body.length())) {
                                ok.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                clients.add(t);
                t.start();
            }
            for (Thread t : clients) {
                t.join(30_000);
            }
            assertThat(ok.get()).isEqualTo(100);
            assertThat(h2c.connections.get()).as("one HTTP/2 connection carries every request").isEqualTo(1);
            assertThat(h2c.seen).hasSize(100).allSatisfy(s -> assertThat(s.forwardedProto()).isEqualTo("http"));
            assertThat(h2c.seen.stream().mapToInt(H2Origin.Seen::streamId).distinct().count()).isEqualTo(100);

            // The origin restarts (its connections drop): the next request opens a new connection.
            h2c.dropConnections();
            Await.until(() -> gw.metricOrMissing("edge_upstream_connections_open") == 0, 5000, "the gateway sees the connection go");
            try (RawHttp http = new RawHttp(gw.port())) {
                http.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(http.read().status()).isEqualTo(200);
            }
            assertThat(h2c.connections.get()).isEqualTo(2);

            // h2 over TLS, negotiated by ALPN, verified against the CA and name.
            try (RawHttp http = new RawHttp(gw.port())) {
                for (int i = 0; i < 3; i++) {
                    http.send("GET /tls/" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(new String(r.body(), StandardCharsets.UTF_8)).startsWith("h2 h2tls /tls/" + i);
                }
            }
            assertThat(h2tls.connections.get()).isEqualTo(1);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static SSLSocket tlsSocket(GatewayFixture gw, String host, String protocol) throws Exception {
        return pki.socket(securePort(gw), host, protocol);
    }

    private static String subject(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    /** One keep-alive GET; returns the status line (the body is read by its Content-Length). */
    private static String get(Socket s, String host) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET /r HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.write(b);
        }
        String h = head.toString(StandardCharsets.US_ASCII);
        int cl = h.toLowerCase().indexOf("content-length: ");
        int len = Integer.parseInt(h.substring(cl + 16, h.indexOf("\r\n", cl)).trim());
        in.readNBytes(len);
        return h;
    }
}
