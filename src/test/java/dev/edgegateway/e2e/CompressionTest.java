package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Response compression on a route, with a real origin and real clients: brotli or gzip by
 * {@code Accept-Encoding}, streamed (the first compressed part reaches the client while the origin
 * still holds the rest back), {@code Vary: Accept-Encoding}; left alone: small bodies, other media
 * types, {@code no-transform}, already-encoded bodies, ranges, HTTP/1.0 clients and routes without
 * {@code compression}.
 */
class CompressionTest {
    static final String PAGE = "<p>edge gateway compression</p>\n".repeat(2000); // 64 KB of text

    /** An origin answering PAGE (or a variant by path); {@code /stream} sends half, then the rest once {@code release} opens. */
    static HttpServer origin(CountDownLatch release) throws java.io.IOException {
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        origin.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
            String type = "text/html; charset=utf-8";
            int status = 200;
            if (path.endsWith("/small")) {
                body = "tiny".getBytes(StandardCharsets.UTF_8);
            } else if (path.endsWith("/image")) {
                type = "image/png";
            } else if (path.endsWith("/no-transform")) {
                ex.getResponseHeaders().set("cache-control", "public, no-transform");
            } else if (path.endsWith("/encoded")) {
                ex.getResponseHeaders().set("content-encoding", "identity-ish");
            } else if (path.endsWith("/range")) {
                status = 206;
                ex.getResponseHeaders().set("content-range", "bytes 0-" + (body.length - 1) + "/" + (body.length * 2));
            }
            ex.getResponseHeaders().set("content-type", type);
            ex.getResponseHeaders().set("etag", path.endsWith("/weak") ? "W/\"w\"" : "\"v1\"");
            if (path.endsWith("/stream")) {
                ex.sendResponseHeaders(200, 0); // chunked
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(PAGE.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    release.await(30, TimeUnit.SECONDS); // the rest only once the client has the first part
                    out.write(PAGE.getBytes(StandardCharsets.UTF_8));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        origin.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        origin.start();
        return origin;
    }

    /** A route that does not compress (/plain), {@code extraRoutes}, and one that does (the rest). */
    static String config(String origin, String extraRoutes) {
        return GatewayFixture.config("""
                routes:
                  - {name: plain, match: {pathPrefix: /plain}, cluster: app}
                %s  - {name: web, cluster: app, compression: {minBytes: 1024}}
                clusters: [{name: app, endpoints: ["%s"]}]
                """.formatted(extraRoutes, origin));
    }

    @Test
    void compressesWhatItShouldStreamsAndLeavesTheRestAlone() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer origin = origin(release);
        String address = "127.0.0.1:" + origin.getAddress().getPort();
        try (GatewayFixture gw = new GatewayFixture(config(address, ""))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + gw.port();

            HttpResponse<byte[]> gz = get(http, base + "/page", "gzip");
            assertThat(gz.headers().firstValue("content-encoding")).hasValue("gzip");
            assertThat(gz.headers().firstValue("vary")).hasValue("accept-encoding");
            assertThat(gz.headers().firstValue("content-length")).isEmpty();
            assertThat(gunzip(gz.body())).isEqualTo(PAGE);
            assertThat(gz.body().length).isLessThan(PAGE.length() / 10);
            assertThat(gz.headers().firstValue("etag")).as("the compressed copy's bytes are not the origin's").hasValue("W/\"v1\"");
            assertThat(get(http, base + "/weak", "gzip").headers().firstValue("etag")).hasValue("W/\"w\"");

            Brotli4jLoader.ensureAvailability();
            HttpResponse<byte[]> br = get(http, base + "/page", "gzip, deflate, br");
            assertThat(br.headers().firstValue("content-encoding")).as("brotli preferred when offered").hasValue("br");
            DecoderJNI.Status status = Decoder.decompress(br.body()).getResultStatus();
            assertThat(status).isEqualTo(DecoderJNI.Status.DONE);
            assertThat(new String(Decoder.decompress(br.body()).getDecompressedData(), StandardCharsets.UTF_8)).isEqualTo(PAGE);

            HttpResponse<byte[]> none = get(http, base + "/page", null);
            assertThat(none.headers().firstValue("content-encoding")).isEmpty();
            assertThat(none.headers().firstValue("vary")).as("caches must keep the two copies apart").hasValue("accept-encoding");
            assertThat(none.headers().firstValue("etag")).as("the origin's bytes: its strong ETag").hasValue("\"v1\"");
            assertThat(new String(none.body(), StandardCharsets.UTF_8)).isEqualTo(PAGE);

            for (String path : new String[] {"/small", "/image", "/no-transform", "/encoded", "/range", "/plain/page"}) {
                HttpResponse<byte[]> r = get(http, base + path, "gzip, br");
                assertThat(r.headers().firstValue("content-encoding")).as(path).isNotIn(java.util.Optional.of("gzip"), java.util.Optional.of("br"));
            }
            assertThat(get(http, base + "/image", "gzip").headers().firstValue("vary")).as("not a listed type: no Vary").isEmpty();

            // HTTP/1.0: left as it is (a 1.0 client cannot take the chunked framing compression needs).
            RawHttp.Response old = RawHttp.exchange(gw.port(), "GET /page HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
            assertThat(old.header("content-encoding")).isNull();
            assertThat(old.text()).isEqualTo(PAGE);

            // Streamed: the first compressed part arrives while the origin holds the rest back.
            try (Socket s = new Socket("127.0.0.1", gw.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                // Headers, then at least one compressed chunk of the first half.
                while (!(seen.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n") && seen.size() > seen.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n") + 200)) {
                    int n = in.read(buf);
                    assertThat(n).as("the first part before the origin sent the rest").isPositive();
                    seen.write(buf, 0, n);
                }
                assertThat(seen.toString(StandardCharsets.ISO_8859_1)).contains("content-encoding: gzip").contains("transfer-encoding: chunked");
                release.countDown();
                while (!seen.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n0\r\n\r\n")) {
                    int n = in.read(buf);
                    assertThat(n).isPositive();
                    seen.write(buf, 0, n);
                }
            }
        } finally {
            release.countDown();
            origin.stop(0);
        }
    }

    @Test
    void compressesHttp2StreamsByTheSameRules() throws Exception {
        Brotli4jLoader.ensureAvailability();
        CountDownLatch release = new CountDownLatch(1);
        HttpServer origin = origin(release);
        String address = "127.0.0.1:" + origin.getAddress().getPort();
        try (GatewayFixture gw = new GatewayFixture(config(address, "  - {name: maintenance, match: {pathPrefix: /down}, directResponse: {status: 503, body: \""
                + "<p>down for maintenance</p>".repeat(100) + "\", contentType: text/html}, compression: {}}\n"))) {
            String base = "http://127.0.0.1:" + gw.port();
            H2Get gz = h2(base + "/page", "gzip");
            assertThat(gz.headers).contains("HTTP/2 200").contains("content-encoding: gzip").contains("vary: accept-encoding")
                    .doesNotContain("content-length");
            assertThat(gunzip(gz.body)).isEqualTo(PAGE);
            assertThat(gz.body.length).isLessThan(PAGE.length() / 10);
            assertThat(gz.headers).contains("etag: w/\"v1\""); // the helper lower-cases the head

            H2Get br = h2(base + "/page", "gzip, br;q=1.0");
            assertThat(br.headers).contains("content-encoding: br");
            assertThat(new String(Decoder.decompress(br.body).getDecompressedData(), StandardCharsets.UTF_8)).isEqualTo(PAGE);

            H2Get refused = h2(base + "/page", "br;q=0, gzip;q=0");
            assertThat(refused.headers).doesNotContain("content-encoding").contains("vary: accept-encoding").contains("etag: \"v1\"");
            assertThat(new String(refused.body, StandardCharsets.UTF_8)).isEqualTo(PAGE);

            for (String path : new String[] {"/small", "/image", "/no-transform", "/range", "/plain/page"}) {
                assertThat(h2(base + path, "gzip, br").headers).as(path).doesNotContain("content-encoding: gzip").doesNotContain("content-encoding: br");
            }
            H2Get page = h2(base + "/down", "gzip");
            assertThat(page.headers).contains("HTTP/2 503").contains("content-encoding: gzip");
            assertThat(gunzip(page.body)).contains("down for maintenance");

            // Streamed: curl prints the first compressed bytes while the origin still holds the rest back.
            Process curl = new ProcessBuilder("curl", "-s", "-N", "--http2-prior-knowledge", "-H", "accept-encoding: gzip", base + "/stream")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                InputStream in = curl.getInputStream();
                byte[] first = new byte[64];
                int n = in.readNBytes(first, 0, first.length);
                assertThat(n).as("compressed bytes before the origin sent the rest").isEqualTo(64);
                assertThat(first[0] & 0xff).as("a gzip stream").isEqualTo(0x1f);
                release.countDown();
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                all.write(first);
                in.transferTo(all);
                assertThat(gunzip(all.toByteArray())).isEqualTo(PAGE + PAGE);
            } finally {
                curl.destroyForcibly();
            }
        } finally {
            release.countDown();
            origin.stop(0);
        }
    }

    /**
     * The coding is the one the client weighs highest, read case-insensitively and with
     * {@code identity}'s weight, the same over HTTP/1.1 and HTTP/2; and a HEAD's head is what the
     * GET's would be (RFC 9110 9.3.2), as nginx's gzip makes it, with the connection kept for the next request.
     */
    @Test
    void weighsCodingsAsTheClientDoesAndAnswersHeadAsGetWould() throws Exception {
        Brotli4jLoader.ensureAvailability();
        HttpServer origin = origin(new CountDownLatch(0));
        String address = "127.0.0.1:" + origin.getAddress().getPort();
        try (GatewayFixture gw = new GatewayFixture(config(address, ""))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + gw.port();
            String[][] cases = {
                {"GZIP;Q=0.5", "gzip"}, {"Gzip", "gzip"}, {"br;q=0.5, gzip", "gzip"}, {"gzip;q=0.2, br;q=0.9", "br"},
                {"gzip;q=0.5, identity", null}, {"*", "gzip"}, {"gzip;q=1.5", null}, {"identity", null}, {"x-gzip", "gzip"},
            };
            for (String[] c : cases) {
                HttpResponse<byte[]> r = get(http, base + "/page", c[0]);
                assertThat(r.headers().firstValue("content-encoding")).as("HTTP/1.1, Accept-Encoding: " + c[0]).isEqualTo(java.util.Optional.ofNullable(c[1]));
                assertThat(h2(base + "/page", c[0]).headers).as("HTTP/2, Accept-Encoding: " + c[0])
                        .contains(c[1] == null ? "vary: accept-encoding" : "content-encoding: " + c[1])
                        .doesNotContain(c[1] == null ? "content-encoding" : "content-length");
            }
            assertThat(gunzip(get(http, base + "/page", "GZIP").body())).isEqualTo(PAGE);

            // HEAD, then GET on the same connection.
            try (Socket s = new Socket("127.0.0.1", gw.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("HEAD /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
                        + "GET /small HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                while (!seen.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\ntiny")) {
                    int n = in.read(buf);
                    assertThat(n).as("both answers on one connection: " + seen).isPositive();
                    seen.write(buf, 0, n);
                }
                String head = seen.toString(StandardCharsets.ISO_8859_1).split("\r\n\r\n", 2)[0].toLowerCase(java.util.Locale.ROOT);
                assertThat(head).startsWith("http/1.1 200").contains("content-encoding: gzip", "vary: accept-encoding", "etag: w/\"v1\"")
                        .doesNotContain("content-length", "transfer-encoding");
                assertThat(seen.toString(StandardCharsets.ISO_8859_1)).contains("\r\n\r\nHTTP/1.1 200 OK\r\n");
            }
            H2Get head = h2(base + "/page", "GZIP", "-I");
            assertThat(head.headers).contains("HTTP/2 200").contains("content-encoding: gzip", "vary: accept-encoding", "etag: w/\"v1\"")
                    .doesNotContain("content-length");
        } finally {
            origin.stop(0);
        }
    }

    record H2Get(String headers, byte[] body) {}

    /** One GET (or what {@code curlOptions} make it) over h2c (prior knowledge) with curl, the body as sent (not decoded). */
    static H2Get h2(String url, String acceptEncoding, String... curlOptions) throws Exception {
        java.nio.file.Path headers = java.nio.file.Files.createTempFile("h2", ".headers");
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("curl", "-s", "--http2-prior-knowledge", "-D", headers.toString(),
                "-H", "accept-encoding: " + acceptEncoding));
        command.addAll(java.util.List.of(curlOptions));
        command.add(url);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] body = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as(url).isZero();
        String h = java.nio.file.Files.readString(headers).toLowerCase(java.util.Locale.ROOT).replace("http/2", "HTTP/2");
        java.nio.file.Files.delete(headers);
        return new H2Get(h, body);
    }

    static HttpResponse<byte[]> get(HttpClient http, String url, String acceptEncoding) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (acceptEncoding != null) {
            b.header("accept-encoding", acceptEncoding);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(url).isIn(200, 206);
        return r;
    }

    static String gunzip(byte[] b) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(b))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
