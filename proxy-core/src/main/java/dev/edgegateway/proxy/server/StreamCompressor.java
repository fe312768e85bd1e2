package dev.edgegateway.proxy.server;

import dev.edgegateway.config.CompressionConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.BrotliEncoder;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.util.List;
import java.util.Locale;

/**
 * Compression of one HTTP/2 stream's response, part by part as it passes: what
 * {@link ResponseCompressor} does for an HTTP/1 connection, for streams that have no pipeline of
 * their own. The same rules ({@link ResponseCompressor#compressible}); brotli where the native
 * library loads and the client accepts it, else gzip; Netty's encoder in an
 * {@link EmbeddedChannel}, as Netty's {@code CompressorHttp2ConnectionEncoder} does. Confined to
 * the stream's event loop; {@link #close} it if the stream ends early.
 */
final class StreamCompressor {
    private static final boolean BROTLI = Brotli.isAvailable();

    private final EmbeddedChannel encoder;

    private StreamCompressor(EmbeddedChannel encoder) {
        this.encoder = encoder;
    }

    /**
     * A compressor for this response, whose head is changed to say so ({@link #compressedHead});
     * or null when it is sent as it is, or when the request was a HEAD, whose head says what a
     * GET's would and which has no body to compress.
     */
    static StreamCompressor begin(Exchange x, HttpResponse r) {
        String encoding = compressedHead(x.compression, r, acceptEncoding(x.request.headers()));
        if (encoding == null || x.head()) {
            return null;
        }
        return new StreamCompressor(new EmbeddedChannel(encoding.equals("br")
                ? new BrotliEncoder(StandardCompressionOptions.brotli().parameters())
                : ZlibCodecFactory.newZlibEncoder(ZlibWrapper.GZIP, 6)));
    }

    /**
     * The content of the gateway's own answer {@code r} on a stream, its head changed to match:
     * compressed only when a route answers by itself (its page), as over HTTP/1; none for a HEAD,
     * whose head is still the one a GET would get (RFC 9110 9.3.2). Takes over {@code r}'s content.
     */
    static ByteBuf localAnswer(Exchange x, FullHttpResponse r, ByteBufAllocator alloc) {
        StreamCompressor page = x.rejected == null && x.request != null ? begin(x, r) : null;
        ByteBuf body = page != null ? page.finish(r.content(), alloc) : r.content();
        if (x.head()) {
            body.release();
            return Unpooled.EMPTY_BUFFER;
        }
        return body;
    }

    /**
     * The coding this response is compressed with, its head changed to say so
     * ({@code Content-Encoding}, no {@code Content-Length}, {@code Vary}, a weak {@code ETag}); or
     * null when it is sent as it is. Also the head of a HEAD's answer, which RFC 9110 9.3.2 wants
     * the same as a GET's (nginx's gzip makes it so), for a cache that freshens what it holds with one.
     */
    static String compressedHead(CompressionConfig c, HttpResponse r, String acceptEncoding) {
        int code = r.status().code();
        if (c == null || code < 200 || code == 204 || code == 304 || !ResponseCompressor.compressible(c, r)) {
            return null;
        }
        String encoding = choose(acceptEncoding);
        if (encoding != null) {
            r.headers().set(HttpHeaderNames.CONTENT_ENCODING, encoding).remove(HttpHeaderNames.CONTENT_LENGTH);
            ResponseCompressor.weakenEtag(r.headers());
        }
        return encoding;
    }

    /** Every {@code Accept-Encoding} field line of a request as one list (RFC 9110 5.3), or null if it has none. */
    static String acceptEncoding(HttpHeaders h) {
        List<String> all = h.getAll(HttpHeaderNames.ACCEPT_ENCODING);
        return all.isEmpty() ? null : all.size() == 1 ? all.get(0) : String.join(",", all);
    }

    /**
     * {@code br} (where the native library loads) or {@code gzip}, whichever the client weighs
     * higher (RFC 9110 12.5.3), {@code br} on a tie. A {@code *} stands for gzip when the client
     * does not name it, never for brotli, which a client must name. Codings and the {@code q}
     * parameter are case-insensitive; a q of 0, or one that is not a qvalue, refuses. Null when
     * neither is acceptable, or when the client weighs {@code identity} above both.
     */
    static String choose(String acceptEncoding) {
        if (acceptEncoding == null) {
            return null;
        }
        float br = -1;
        float gzip = -1;
        float any = -1;
        float identity = -1;
        for (String part : acceptEncoding.split(",")) {
            int semi = part.indexOf(';');
            String name = (semi < 0 ? part : part.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
            float q = semi < 0 ? 1 : weight(part.substring(semi + 1));
            switch (name) {
                case "br" -> br = Math.max(br, q);
                case "gzip", "x-gzip" -> gzip = Math.max(gzip, q);
                case "*" -> any = Math.max(any, q);
                case "identity" -> identity = Math.max(identity, q);
                default -> { }
            }
        }
        br = BROTLI ? br : -1;
        gzip = gzip < 0 ? any : gzip;
        float best = Math.max(br, gzip);
        if (best <= 0 || identity > best) {
            return null;
        }
        return br >= gzip ? "br" : "gzip";
    }

    /** The weight in one element's parameters: 1 without a {@code q}, else its {@link #qvalue}. */
    static float weight(String params) {
        for (String p : params.split(";")) {
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("q")) {
                return qvalue(p.substring(eq + 1).trim());
            }
        }
        return 1;
    }

    /** A qvalue (RFC 9110 12.4.2: 0 to 1, at most three decimals), or 0 for anything else, which refuses. */
    static float qvalue(String v) {
        int n = v.length();
        if (n == 0 || n > 5 || (v.charAt(0) != '0' && v.charAt(0) != '1') || (n > 1 && v.charAt(1) != '.')) {
            return 0;
        }
        float q = v.charAt(0) - '0';
        float scale = 0.1f;
        for (int i = 2; i < n; i++, scale /= 10) {
            char d = v.charAt(i);
            if (d < '0' || d > '9') {
                return 0;
            }
            q += (d - '0') * scale;
        }
        return q > 1 ? 0 : q;
    }

    /** Compresses a part (its buffer is taken over): what the encoder has ready, possibly nothing. */
    ByteBuf encode(ByteBuf part, ByteBufAllocator alloc) {
        encoder.writeOutbound(part);
        return drain(alloc);
    }

    /** Compresses the last part and ends the encoding: the rest of the compressed body. */
    ByteBuf finish(ByteBuf last, ByteBufAllocator alloc) {
        encoder.writeOutbound(last);
        encoder.finish();
        return drain(alloc);
    }

    /** The stream ended before its response did: drops what the encoder holds. */
    void close() {
        encoder.finishAndReleaseAll();
    }

    private ByteBuf drain(ByteBufAllocator alloc) {
        CompositeByteBuf out = alloc.compositeBuffer();
        for (ByteBuf b; (b = encoder.readOutbound()) != null; ) {
            if (b.isReadable()) {
                out.addComponent(true, b);
            } else {
                b.release();
            }
        }
        return out;
    }
}
