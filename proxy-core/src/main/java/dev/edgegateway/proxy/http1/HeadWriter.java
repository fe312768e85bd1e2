package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
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
        int n = 0;
        for (int i = 0; i < h.size(); i++) {
            n += h.nameAt(i).length() + h.valueAt(i).length() + 4;
        }
        byte[] out = SCRATCH.get();
        if (out.length < n) {
            out = new byte[Math.max(n, out.length * 2)];
            SCRATCH.set(out); // as large as the largest head encoded on this thread, which the header limits bound
        }
        int p = 0;
        for (int i = 0; i < h.size(); i++) {
            p = put(h.nameAt(i), out, p);
            out[p++] = ':';
            out[p++] = ' ';
            p = put(h.valueAt(i), out, p);
            out[p++] = '\r';
            out[p++] = '\n';
        }
        buf.writeBytes(out, 0, p);
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
