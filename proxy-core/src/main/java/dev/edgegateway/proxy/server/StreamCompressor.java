package dev.edgegateway.proxy.server;

import dev.edgegateway.config.CompressionConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.BrotliEncoder;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
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
     * A compressor for this response, whose head is changed to say so ({@code Content-Encoding},
     * no {@code Content-Length}, {@code Vary}, a weak {@code ETag}); or null when it is sent as it is.
     */
    static StreamCompressor begin(CompressionConfig c, HttpResponse r, String method, String acceptEncoding) {
        int code = r.status().code();
        if (c == null || "HEAD".equals(method) || code < 200 || code == 204 || code == 304 || !ResponseCompressor.compressible(c, r)) {
            return null;
        }
        String encoding = choose(acceptEncoding);
        if (encoding == null) {
            return null;
        }
        r.headers().set(HttpHeaderNames.CONTENT_ENCODING, encoding).remove(HttpHeaderNames.CONTENT_LENGTH);
        ResponseCompressor.weakenEtag(r.headers());
        return new StreamCompressor(new EmbeddedChannel(encoding.equals("br")
                ? new BrotliEncoder(StandardCompressionOptions.brotli().parameters())
                : ZlibCodecFactory.newZlibEncoder(ZlibWrapper.GZIP, 6)));
    }

    /** {@code br} or {@code gzip} if the client accepts it (a q of 0 refuses; {@code *} accepts any), else null. */
    static String choose(String acceptEncoding) {
        if (acceptEncoding == null) {
            return null;
        }
        boolean br = false;
        boolean gzip = false;
        boolean any = false;
        for (String part : acceptEncoding.split(",")) {
            String[] p = part.split(";");
            String name = p[0].trim().toLowerCase(Locale.ROOT);
            boolean refused = false;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].trim().toLowerCase(Locale.ROOT);
                if (param.startsWith("q=")) {
                    try {
                        refused = Double.parseDouble(param.substring(2)) <= 0;
                    } catch (NumberFormatException e) {
                        refused = true;
                    }
                }
            }
            if (!refused) {
                br |= name.equals("br");
                gzip |= name.equals("gzip") || name.equals("x-gzip");
                any |= name.equals("*");
            }
        }
        if (BROTLI && br) {
            return "br";
        }
        return gzip || any ? "gzip" : null;
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
