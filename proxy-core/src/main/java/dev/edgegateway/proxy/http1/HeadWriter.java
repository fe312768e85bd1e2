package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

/** Writes {@link FlatHeaders} as an HTTP/1 header block; for the encoders of both sides. */
final class HeadWriter {
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
        String uri = r.uri();
        if (uri.isEmpty() || uri.charAt(0) != '/') {
            return false;
        }
        AsciiString method = r.method().asciiName();
        String version = r.protocolVersion().text();
        int line = method.length() + uri.length() + version.length() + 4;
        byte[] out = scratch(line + fieldBytes(h));
        System.arraycopy(method.array(), method.arrayOffset(), out, 0, method.length());
        int p = method.length();
        out[p++] = ' ';
        for (int k = 0; k < uri.length(); k++) {
            char c = uri.charAt(k);
            if (c >= 0x80) {
                return false;
            }
            out[p++] = (byte) c;
        }
        out[p++] = ' ';
        p = put(version, out, p);
        out[p++] = '\r';
        out[p++] = '\n';
        buf.writeBytes(out, 0, fields(h, out, p));
        return true;
    }

    private static int fieldBytes(FlatHeaders h) {
        int n = 0;
        for (int i = 0; i < h.size(); i++) {
            n += h.nameAt(i).length() + h.valueAt(i).length() + 4;
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
            p = put(h.nameAt(i), out, p);
            out[p++] = ':';
            out[p++] = ' ';
            p = put(h.valueAt(i), out, p);
            out[p++] = '\r';
            out[p++] = '\n';
        }
        return p;
    }

    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[4096];
        }
    };

    private static int put(CharSequence cs, byte[] out, int p) {
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
