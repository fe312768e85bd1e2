package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client connection the gateway closes after answering, while the client still sends (a body
 * that drew a 413 from its head), over clear text and TLS with raw sockets: the write side is shut
 * and what the client sends is dropped until it is done, so it sees its answer and an orderly end,
 * not a reset; a client that never stops is closed after {@code timeouts.closeLinger}. Before,
 * the gateway closed at once, the unread body made the kernel reset the connection, and a client
 * still uploading (curl among them) saw "connection reset" instead of the 413.
 */
@Timeout(90)
class LingeringCloseTest {
    private static final String TOO_LARGE = "POST /up HTTP/1.1\r\nHost: a.test\r\nContent-Length: 200000000\r\n\r\n";

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void certificates() throws Exception {
        pki = new TestPki(dir);
        pki.write("a", pki.issue("a.test", "first"));
    }

    private static String config(String origin, String closeLinger) {
        return """
                listeners:
                  - {name: public, address: 127.0.0.1:0}
                  - name: secure
                    address: 127.0.0.1:0
                    tls:
                      certificates: [{certFile: %1$s/a.pem, keyFile: %1$s/a.key}]
                admin: {address: 127.0.0.1:0}
                timeouts: {closeLinger: %3$s}
                limits: {maxRequestBodyBytes: 1MiB}
                routes: [{name: all, cluster: web}]
                clusters: [{name: web, endpoints: [%2$s]}]
                """.formatted(dir, origin, closeLinger);
    }

    @Test
    void aClientStillSendingItsBodyAfterA413SeesTheAnswerAndAnOrderlyEnd() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(config(origin.address(), "20s"))) {
            for (boolean tls : new boolean[] {false, true}) {
                String listener = tls ? "secure" : "public";
                try (Socket s = connect(gw, tls)) {
                    OutputStream out = s.getOutputStream();
                    out.write(TOO_LARGE.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String head = readResponse(s.getInputStream());
                    assertThat(head).as(listener).startsWith("HTTP/1.1 413").contains("connection: close");
                    Thread.sleep(200); // the gateway is done with the answer: closed at once, it had reset what follows
                    byte[] chunk = new byte[64 * 1024];
                    for (int i = 0; i < 128; i++) { // 8 MiB, past what socket buffers hold
                        out.write(chunk); // an IOException here (reset, broken pipe) fails the test
                    }
                    out.flush();
                    if (!tls) {
                        s.shutdownOutput();
                    }
                    assertThat(s.getInputStream().read()).as(listener + ": an orderly end after the answer").isEqualTo(-1);
                }
            }
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"body_too_large\"}")).isEqualTo(2);
            assertThat(origin.seen).isEmpty();
        }
    }

    @Test
    void aClientThatNeverStopsSendingIsClosedAfterTheLinger() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(config(origin.address(), "1s"));
             Socket s = connect(gw, false)) {
            OutputStream out = s.getOutputStream();
            out.write(TOO_LARGE.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 413");
            long answered = System.nanoTime();
            long deadline = answered + Duration.ofSeconds(30).toNanos();
            IOException closed = null;
            while (closed == null && System.nanoTime() < deadline) {
                try {
                    out.write(new byte[1024]);
                    out.flush();
                    Thread.sleep(20);
                } catch (IOException e) {
                    closed = e;
                }
            }
            assertThat(closed).as("closed while the client still sent").isNotNull();
            assertThat(Duration.ofNanos(System.nanoTime() - answered).toMillis()).as("not before the linger").isGreaterThanOrEqualTo(900);
        }
    }

    private static Socket connect(GatewayFixture gw, boolean tls) throws Exception {
        if (!tls) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", gw.port("public")), 5000);
            s.setSoTimeout(20_000);
            return s;
        }
        SSLSocket s = pki.socket(gw.port("secure"), "a.test", null);
        s.setSoTimeout(20_000);
        return s;
    }

    /** A response's head (lower-cased) and its body, read by its Content-Length. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended in the response head: " + head);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        int at = text.indexOf("content-length:");
        int length = at < 0 ? 0 : Integer.parseInt(text.substring(at + 15, text.indexOf("\r\n", at)).trim());
        in.readNBytes(length);
        return text.replace("http/1.1", "HTTP/1.1");
    }
}
