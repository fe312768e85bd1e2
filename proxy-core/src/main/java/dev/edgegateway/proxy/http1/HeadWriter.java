package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

/** Writes {@link FlatHeaders} as an HTTP/1 header block; for the encoders of both sides. */
final class HeadWriter {
    private static final short CRLF = ('\r' << 8) | '\n';

    private HeadWriter() {}

    /**
     * Writes the fields as an HTTP/1 header block, each {@code name: value CRLF}, without the blank
     * line that ends it: gathered in the event loop's scratch array and copied into {@code buf} at
     * once, rather than a byte at a time per character. A character past Latin-1 is written as
     * {@code ?}, as Netty's encoder does.
     */
    static void write(FlatHeaders h, ByteBuf buf) {
        byte[] out = scratch(fieldBytes(h));
        buf.writeBytes(out, 0, fields(h, out, 0));
    }

    /**
     * Writes a request's line and fields (without the blank line) in one copy, as {@link #write}
     * does the fields: the request line written piece by piece into the freshly allocated head
     * buffer was the largest single spot of the origin side's encoder. Only for an origin-form
     * target in ASCII (returns false and writes nothing otherwise): Netty's encoder writes any
     * other target (absolute-form gets a path, non-ASCII is UTF-8 encoded), and still does.
     */
    static boolean writeRequest(HttpRequest r, FlatHeaders h, ByteBuf buf) {
        int n = requestLine(r, h);
        if (n < 0) {
            return false;
        }
        byte[] out = SCRATCH.get();
        buf.writeBytes(out, 0, fields(h, out, n));
        return true;
    }

    /**
     * A request's whole head (line, fields, blank line) in a buffer from {@code alloc} ({@link #copy}),
     * or null, having allocated nothing, for a target {@link #writeRequest} leaves to Netty.
     */
    static ByteBuf request(ByteBufAllocator alloc, HttpRequest r, FlatHeaders h) {
        int n = requestLine(r, h);
        return n < 0 ? null : copy(alloc, fields(h, SCRATCH.get(), n)); // requestLine sized the array
    }

    /**
     * A response's whole head in a buffer from {@code alloc} ({@link #copy}): the status line and
     * the fields as Netty's encoder writes them (a character past Latin-1 as {@code ?}), the blank line.
     */
    static ByteBuf response(ByteBufAllocator alloc, HttpResponse r, FlatHeaders h) {
        String version = r.protocolVersion().text();
        AsciiString code = r.status().codeAsText();
        String reason = r.status().reasonPhrase();
        byte[] out = scratch(version.length() + code.length() + reason.length() + 6 + fieldBytes(h));
        int p = put(version, out, 0);
        out[p++] = ' ';
        p = put(code, out, p);
        out[p++] = ' ';
        p = put(reason, out, p);
        out[p++] = '\r';
        out[p++] = '\n';
        return copy(alloc, fields(h, out, p));
    }

    /**
     * The scratch array's first {@code n} bytes and a blank line, in a buffer of at least 256 bytes
     * and a power of two: heads of a connection differ by a few bytes (an origin connection carries
     * several routes' requests), and a buffer asked for at each head's exact size would not fit the
     * one its loop keeps ({@link dev.edgegateway.proxy.transport.HeadBuffers}) whenever the next head
     * is a byte longer, and would be replaced (that churn was 0.7% of the event loop's samples).
     */
    private static ByteBuf copy(ByteBufAllocator alloc, int n) {
        byte[] out = SCRATCH.get();
        ByteBuf buf = alloc.buffer(Math.max(256, Integer.highestOneBit(n + 1) << 1));
        buf.writeBytes(out, 0, n);
        buf.writeShort(CRLF);
        return buf;
    }

    /**
     * Puts the request line in the scratch array (large enough for the fields too) and returns its
     * length; -1 for a target that is not in origin form or not ASCII.
     */
    private static int requestLine(HttpRequest r, FlatHeaders h) {
        String uri = r.uri();
        if (uri.isEmpty() || uri.charAt(0) != '/') {
            return -1;
        }
        AsciiString method = r.method().asciiName();
        String version = r.protocolVersion().text();
        int line = method.length() + uri.length() + version.length() + 4;
        byte[] out = scratch(line + fieldBytes(h) + 2);
        System.arraycopy(method.array(), method.arrayOffset(), out, 0, method.length());
        int p = method.length();
        out[p++] = ' ';
        for (int k = 0; k < uri.length(); k++) {
            char c = uri.charAt(k);
            if (c >= 0x80) {
                return -1;
            }
            out[p++] = (byte) c;
        }
        out[p++] = ' ';
        p = put(version, out, p);
        out[p++] = '\r';
        out[p++] = '\n';
        return p;
    }

    private static int fieldBytes(FlatHeaders h) {
        int n = 0;
        for (int i = 0; i < h.size(); i++) {
            n += h.lineLength(i);
        }
        return n;
    }

    /** The event loop's scratch array, at least {@code n} bytes. */
    private static byte[] scratch(int n) {
        byte[] out = SCRATCH.get();
        if (out.length < n) {
            out = new byte[Math.max(n, out.length * 2)];
            SCRATCH.set(out); // as large as the largest head encoded on this thread, which the header limits bound
        }
        return out;
    }

    private static int fields(FlatHeaders h, byte[] out, int p) {
        for (int i = 0; i < h.size(); i++) {
            p = h.putLine(i, out, p);
        }
        return p;
    }

    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[4096];
        }
    };

    static int put(CharSequence cs, byte[] out, int p) {
        int len = cs.length();
        if (cs instanceof AsciiString a) {
            System.arraycopy(a.array(), a.arrayOffset(), out, p, len);
        } else if (cs instanceof String s) {
            for (int k = 0; k < len; k++) {
                char c = s.charAt(k);
                out[p + k] = c > 0xFF ? (byte) '?' : (byte) c;
            }
        } else {
            for (int k = 0; k < len; k++) {
                char c = cs.charAt(k);
                out[p + k] = c > 0xFF ? (byte) '?' : (byte) c;
            }
        }
        return p + len;
    }
}
