package dev.edgegateway.proxy.server;

import dev.edgegateway.config.CompressionConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AttributeKey;
import java.util.Locale;

/**
 * Compresses HTTP/1.1 responses on routes with {@code compression}, by the client's
 * {@code Accept-Encoding}: brotli where the native library loads, else gzip. Netty's encoder
 * streams each part as it passes (a body is never held whole) and re-frames the response as
 * chunked. Left as they are: responses the origin already encoded, {@code Cache-Control:
 * no-transform}, ranges ({@code 206}, {@code Content-Range}), media types the route does not list,
 * and bodies declared smaller than its {@code minBytes}. A compressible response says
 * {@code Vary: Accept-Encoding}, whether this client's copy was compressed or not, so caches keep
 * the two apart; a compressed copy's strong {@code ETag} becomes weak. Which route's setting
 * applies is set on the channel by {@link ProxyHandler} as it writes each response head (one
 * exchange at a time on an HTTP/1 connection).
 */
final class ResponseCompressor extends HttpContentCompressor {
    static final AttributeKey<CompressionConfig> ROUTE = AttributeKey.valueOf("edge.compression");

    private ChannelHandlerContext ctx;

    ResponseCompressor() {
        super(0, StandardCompressionOptions.brotli(), StandardCompressionOptions.gzip());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    protected Result beginEncode(HttpResponse response, String acceptEncoding) throws Exception {
        CompressionConfig c = ctx.channel().attr(ROUTE).get();
        Result r = c != null && compressible(c, response) ? super.beginEncode(response, acceptEncoding) : null;
        if (r != null) {
            weakenEtag(response.headers());
        }
        return r;
    }

    /**
     * The coding by the client's weights, as HTTP/2 streams choose it ({@link StreamCompressor#choose}):
     * Netty's own reads {@code GZIP} or {@code Q=} as no coding and ignores {@code identity}'s weight.
     */
    @Override
    protected String determineEncoding(String acceptEncoding) {
        return StreamCompressor.choose(acceptEncoding);
    }

    /**
     * Tells the encoder which route's setting applies to the response whose head is {@code r},
     * of exchange {@code x} ({@code c}: null for none). Netty's encoder passes a HEAD's answer by
     * as it is; its head is made here what a GET's would be ({@link StreamCompressor#compressedHead}).
     */
    static void use(Channel ch, CompressionConfig c, Exchange x, HttpResponse r) {
        ch.attr(ROUTE).set(c);
        if (c != null && x.head() && x.request != null) {
            StreamCompressor.compressedHead(c, r, StreamCompressor.acceptEncoding(x.request.headers()));
        }
    }

    /**
     * A strong ETag names the bytes of one representation (RFC 9110 8.8.3): on the compressed
     * copy it becomes weak, as nginx makes it, so that a cache's If-Range or byte-wise comparison
     * never mixes the two copies' bytes; If-None-Match, which compares weakly, still works.
     */
    static void weakenEtag(HttpHeaders h) {
        String etag = h.get(HttpHeaderNames.ETAG);
        if (etag != null && !etag.startsWith("W/")) {
            h.set(HttpHeaderNames.ETAG, "W/" + etag);
        }
    }

    /**
     * Whether the route compresses this response (its type, its size, not a range, not
     * {@code no-transform}, not already encoded), whatever the client accepts. A compressible
     * media type gets {@code Vary: Accept-Encoding} here, whether this client's copy is
     * compressed or not. Shared with HTTP/2 streams ({@link StreamCompressor}).
     */
    static boolean compressible(CompressionConfig c, HttpResponse response) {
        HttpHeaders h = response.headers();
        int code = response.status().code();
        if (code == 206 || h.contains(HttpHeaderNames.CONTENT_RANGE) || !c.compresses(h.get(HttpHeaderNames.CONTENT_TYPE))) {
            return false;
        }
        String cacheControl = h.get(HttpHeaderNames.CACHE_CONTROL);
        if (cacheControl != null && cacheControl.toLowerCase(Locale.ROOT).contains("no-transform")) {
            return false;
        }
        if (h.contains(HttpHeaderNames.CONTENT_ENCODING)) {
            return false;
        }
        String vary = h.get(HttpHeaderNames.VARY);
        if (vary == null) {
            h.set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
        } else if (!vary.toLowerCase(Locale.ROOT).contains("accept-encoding") && !vary.trim().equals("*")) {
            h.set(HttpHeaderNames.VARY, vary + ", accept-encoding");
        }
        String length = h.get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            try {
                return Long.parseLong(length.trim()) >= c.minBytes();
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }
}
