package dev.edgegateway.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately plain HTTP/1.1 client over one socket, for tests that must send exactly the
 * bytes they mean (malformed requests) or keep a connection and count on it.
 */
final class RawHttp implements AutoCloseable {
    /** A parsed response; {@code status} is -1 when the connection closed before a status line. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port) throws IOException {
        this(port, 10_000);
    }

    RawHttp(int port, int timeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        socket.setTcpNoDelay(true);
        in = new java.io.BufferedInputStream(socket.getInputStream(), 65536);
        out = socket.getOutputStream();
    }

    static Response exchange(int port, String raw) throws IOException {
        try (RawHttp c = new RawHttp(port)) {
            c.send(raw);
            return c.read();
        }
    }

    /** Everything the server sends on a new connection, after {@code raw}, until it closes it (ISO-8859-1, byte for char). */
    static String untilClosed(int port, String raw) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** The client's side of the connection: its port on 127.0.0.1. */
    int localPort() {
        return socket.getLocalPort();
    }

    OutputStream output() {
        return out;
    }

    /** Reads one response. Bodies framed by Content-Length, chunked, or the connection's end. */
    Response read() throws IOException {
        return read(true);
    }

    /** Reads a head that has no body after it (the answer to HEAD). */
    Response readHeadOnly() throws IOException {
        return read(false);
    }

    /** Reads the head, then counts (and drops) the body: for very large bodies. */
    long readCountingBody(Map<String, String> headersOut) throws IOException {
        Response head = readHead();
        if (head.status < 0) {
            return -1;
        }
        headersOut.putAll(head.headers);
        String cl = head.header("content-length");
        long n = Long.parseLong(cl);
        byte[] buf = new byte[65536];
        long total = 0;
        while (total < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - total));
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }

    private Response read(boolean withBody) throws IOException {
        Response head = readHead();
        if (head.status < 0 || !withBody) {
            return head;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String te = head.header("transfer-encoding");
        String cl = head.header("content-length");
        if (te != null && te.equalsIgnoreCase("chunked")) {
            while (true) {
                int size = Integer.parseInt(line().split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                body.write(in.readNBytes(size));
                line();
            }
        } else if (cl != null) {
            body.write(in.readNBytes(Integer.parseInt(cl)));
        } else if (head.status >= 200 && head.status != 204 && head.status != 304) {
            body.write(in.readAllBytes());
        }
        return new Response(head.status, head.headers, body.toByteArray());
    }

    private Response readHead() throws IOException {
        String status = line();
        if (status == null) {
            return new Response(-1, Map.of(), new byte[0]);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String l;
        while ((l = line()) != null && !l.isEmpty()) {
            int colon = l.indexOf(':');
            headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
        return new Response(Integer.parseInt(status.split(" ")[1]), headers, new byte[0]);
    }

    /** One line of what the gateway sent, without its CRLF (for interim responses such as 100 Continue). */
    String readLine() throws IOException {
        return line();
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /** True if the server closed the connection (EOF) within the socket timeout. */
    boolean closedByPeer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
