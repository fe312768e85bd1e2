package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP/2 on raw frames, against h2c. Abuse: a rapid-reset burst (CVE-2023-44487), a CONTINUATION
 * flood and an oversized header list; each is cut off on its own connection while a client on
 * another connection keeps being served. And drain: GOAWAY, then the open stream finishes.
 */
@Timeout(60)
class Http2Test {
    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int SETTINGS = 0x4;
    private static final int GOAWAY = 0x7;
    private static final int CONTINUATION = 0x9;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int ENHANCE_YOUR_CALM = 0xb;

    private static GatewayFixture gateway(TestOrigin origin) throws Exception {
        return new GatewayFixture("""
                admin:
                  address: 127.0.0.1:0
                drain: {readinessDelay: 0s, timeout: 5s}
                listeners:
                  - name: public
                    address: 127.0.0.1:0
                    http2: {maxResetsPerWindow: 100, resetWindow: 10s}
                routes:
                  - name: all
                    cluster: web
                clusters:
                  - {name: web, endpoints: [%s]}
                """.formatted(origin.address()));
    }

    @Test
    void aRapidResetBurstIsCutOffAndOtherConnectionsCarryOn() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin);
             RawHttp bystander = new RawHttp(gw.port())) {
            bystander.send("GET /before HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(bystander.read().status()).isEqualTo(200);

            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 1000; i++) {
                int stream = 2 * i + 1;
                frame(burst, HEADERS, END_STREAM | END_HEADERS, stream, requestBlock("/reset"));
                frame(burst, RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}); // CANCEL
            }
            Goaway goaway = firstGoaway(abuse(gw.port(), burst));
            assertThat(goaway).as("a GOAWAY before the connection closed").isNotNull();
            assertThat(goaway.error).isEqualTo(ENHANCE_YOUR_CALM);
            System.out.printf("rapid reset: GOAWAY(ENHANCE_YOUR_CALM), last stream %d of 1999; the origin saw %d requests%n",
                    goaway.lastStream, origin.requests.get() - 1);

            // The connection that behaved is still served, and so is a new HTTP/2 client.
            bystander.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(bystander.read().status()).isEqualTo(200);
            if (Curl.available()) {
                Curl.Result r = Curl.run("-s", "--http2-prior-knowledge", "-w", "\\n%{http_code} %{http_version}", "http://127.0.0.1:" + gw.port() + "/h2");
                assertThat(r.out()).endsWith("200 2");
            }
            // Every stream's exchange was cleaned up: only the bystander is open.
            Await.until(() -> gw.metricOrMissing("edge_downstream_connections_open") == 1, 5000, "the abusive connection's state released");
            Await.until(() -> gw.adminGetUnchecked("/clusters").contains("\"requests\":0,")
                    && gw.adminGetUnchecked("/clusters").contains("\"inFlight\":0"), 5000, "no request slot or endpoint in-flight count held");
        }
    }

    @Test
    void aContinuationFloodIsCutOff() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin)) {
            // A header block that never ends: one HEADERS without END_HEADERS, then thousands of
            // CONTINUATION frames, each carrying a little more of a literal header.
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            frame(flood, HEADERS, END_STREAM, 1, requestBlock("/flood"));
            byte[] chunk = new byte[16];
            for (int i = 0; i < 20_000; i++) {
                frame(flood, CONTINUATION, 0, 1, chunk);
            }
            Goaway goaway = firstGoaway(abuse(gw.port(), flood));
            assertThat(goaway).as("GOAWAY, not an endless read").isNotNull();
            assertThat(goaway.error).isEqualTo(ENHANCE_YOUR_CALM);
            assertThat(origin.requests.get()).isZero();
            if (Curl.available()) {
                Curl.Result r = Curl.run("-s", "--http2-prior-knowledge", "-w", "\\n%{http_code} %{http_version}", "http://127.0.0.1:" + gw.port() + "/h2");
                assertThat(r.out()).endsWith("200 2");
            }
        }
    }

    @Test
    void anOversizedHeaderListGets431AndTheConnectionStaysUsable() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin)) {
            String big = "x".repeat(20_000); // limits.maxHeaderBytes is 16 KiB
            if (Curl.available()) {
                // A real client sees 431.
                Curl.Result r = Curl.run("-s", "--http2-prior-knowledge", "-w", "%{http_code} %{http_version}", "-o", "/dev/null",
                        "-H", "x-big: " + big, "http://127.0.0.1:" + gw.port() + "/big");
                assertThat(r.out()).isEqualTo("431 2");
            }
            // On one connection (raw frames: curl 7.88 cannot reuse an h2c connection, with any
            // server): the oversized request on stream 1 (HEADERS and CONTINUATION), then a normal
            // one on stream 3. Stream 1 is answered (headers only, END_STREAM), stream 3 gets its
            // response, and the connection is not closed.
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.writeBytes(requestBlock("/big"));
            block.write(0x00); // literal without indexing, new name
            block.write(5);
            block.writeBytes("x-big".getBytes(StandardCharsets.US_ASCII));
            hpackLength(block, big.length());
            block.writeBytes(big.getBytes(StandardCharsets.US_ASCII));
            byte[] b = block.toByteArray();
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frame(frames, HEADERS, END_STREAM, 1, java.util.Arrays.copyOfRange(b, 0, 16_000));
            frame(frames, CONTINUATION, END_HEADERS, 1, java.util.Arrays.copyOfRange(b, 16_000, b.length));
            frame(frames, HEADERS, END_STREAM | END_HEADERS, 3, requestBlock("/small"));
            try (Socket s = h2c(gw.port())) {
                s.getOutputStream().write(frames.toByteArray());
                s.setSoTimeout(2000); // the connection stays open: read until quiet
                List<Frame> got = readFrames(s);
                assertThat(got).noneMatch(f -> f.type() == GOAWAY);
                assertThat(got).anyMatch(f -> f.stream() == 1 && f.type() == HEADERS && (f.flags() & END_STREAM) != 0);
                assertThat(got).noneMatch(f -> f.stream() == 1 && f.type() == 0x0); // no DATA: the gateway's 431
                assertThat(got).anyMatch(f -> f.stream() == 3 && f.type() == HEADERS);
                assertThat(got).anyMatch(f -> f.stream() == 3 && f.type() == 0x0 && (f.flags() & END_STREAM) != 0);
                assertThat(s.isClosed()).isFalse();
            }
            assertThat(origin.requests.get()).as("only the normal request reached the origin").isEqualTo(1);
            assertThat(origin.seen.get(0).uri()).isEqualTo("/small");
        }
    }

    /** An HPACK string length (7-bit prefix, no Huffman). */
    private static void hpackLength(ByteArrayOutputStream out, int n) {
        if (n < 127) {
            out.write(n);
            return;
        }
        out.write(127);
        n -= 127;
        while (n >= 128) {
            out.write((n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write(n);
    }

    @Test
    void drainSendsGoawayAndLetsTheOpenStreamFinish() throws Exception {
        try (TestOrigin origin = new TestOrigin("o"); GatewayFixture gw = gateway(origin); Socket s = h2c(gw.port())) {
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            frame(req, HEADERS, END_STREAM | END_HEADERS, 1, requestBlock("/slow?ms=800"));
            s.getOutputStream().write(req.toByteArray());
            Await.until(() -> origin.requests.get() == 1, 5000, "the request at the origin");
            Thread drain = new Thread(gw.gateway::drainAndStop, "drain");
            drain.start();
            List<Frame> frames = readFrames(s);
            drain.join(10_000);
            int goaway = indexOf(frames, GOAWAY, 0);
            int headers = indexOf(frames, HEADERS, 1);
            int end = -1;
            for (int i = 0; i < frames.size(); i++) {
                if (frames.get(i).stream() == 1 && (frames.get(i).flags() & END_STREAM) != 0) {
                    end = i;
                }
            }
            assertThat(goaway).as("GOAWAY sent on drain").isNotNegative();
            assertThat(headers).as("the open stream's response after the GOAWAY").isGreaterThan(goaway);
            assertThat(end).as("and its end").isGreaterThanOrEqualTo(headers);
        }
    }

    private static int indexOf(List<Frame> frames, int type, int stream) {
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).type() == type && (type == GOAWAY || frames.get(i).stream() == stream)) {
                return i;
            }
        }
        return -1;
    }

    // ---- raw HTTP/2 --------------------------------------------------------------------------

    private record Frame(int type, int flags, int stream, byte[] payload) {}

    private record Goaway(int lastStream, int error) {}

    /** A connection that has sent the client preface and an empty SETTINGS frame. */
    private static Socket h2c(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        hello.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(hello, SETTINGS, 0, 0, new byte[0]);
        s.getOutputStream().write(hello.toByteArray());
        return s;
    }

    /** HPACK: GET, http, {@code path} as a literal, :authority 127.0.0.1. */
    private static byte[] requestBlock(String path) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x82); // :method GET (static 2)
        b.write(0x86); // :scheme http (static 6)
        b.write(0x04); // :path, literal without indexing, name from static 4
        b.write(path.length());
        b.writeBytes(path.getBytes(StandardCharsets.US_ASCII));
        b.write(0x01); // :authority, literal without indexing, name from static 1
        b.write(9);
        b.writeBytes("127.0.0.1".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        int n = payload.length;
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    /** Sends {@code frames} on a fresh h2c connection and returns what came back until it closed. */
    private static List<Frame> abuse(int port, ByteArrayOutputStream frames) throws IOException {
        try (Socket s = h2c(port)) {
            try {
                OutputStream out = s.getOutputStream();
                out.write(frames.toByteArray());
                out.flush();
            } catch (IOException closedUnderUs) {
                // the gateway may already have cut the connection: that is the point
            }
            return readFrames(s);
        }
    }

    /** Every frame until the connection ends (or 10 s of silence). */
    private static List<Frame> readFrames(Socket s) throws IOException {
        List<Frame> out = new ArrayList<>();
        DataInputStream in = new DataInputStream(s.getInputStream());
        try {
            while (true) {
                int len = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                out.add(new Frame(type, flags, stream, in.readNBytes(len)));
            }
        } catch (EOFException | SocketTimeoutException | java.net.SocketException end) {
            return out;
        }
    }

    /** The first GOAWAY among {@code frames}, or null. */
    private static Goaway firstGoaway(List<Frame> frames) {
        for (Frame f : frames) {
            if (f.type() == GOAWAY) {
                byte[] p = f.payload();
                int last = ((p[0] & 0x7f) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
                int error = ((p[4] & 0xff) << 24) | ((p[5] & 0xff) << 16) | ((p[6] & 0xff) << 8) | (p[7] & 0xff);
                return new Goaway(last, error);
            }
        }
        return null;
    }
}
