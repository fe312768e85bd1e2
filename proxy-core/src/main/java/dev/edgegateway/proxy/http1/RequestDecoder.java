package dev.edgegateway.proxy.http1;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Decodes a client's HTTP/1.x requests into Netty's message model, as {@link ResponseDecoder}
 * does an origin's responses: the head copied once into an array, its line and fields read as
 * slices of it ({@code AsciiString}s, written to the origin in one copy each), validated in the
 * same pass. It replaced Netty's {@code HttpRequestDecoder} (a line buffer, a {@code String} per
 * field, a second validation pass in the header map): the request's decoding went from 2.50% to
 * 1.81% of the event loop's samples (benchmarks/README.md, issue 24's eighth step).
 *
 * <p>Framing (RFC 9112 6.3): {@code Transfer-Encoding} whose last coding is chunked, else one
 * {@code Content-Length}, else no body. Refused, with the message's decoder result failed (the
 * guard answers 400, 414 or 431 and closes): both {@code Content-Length} and
 * {@code Transfer-Encoding} ({@link AmbiguousFramingException}); a {@code Transfer-Encoding} not
 * ending in chunked, or in a request that is not HTTP/1.1; a repeated, listed or non-numeric
 * {@code Content-Length}; whitespace before a field's colon (RFC 9112 5.1); a line ending in a
 * bare LF or holding a bare CR; a control character in a value; a request line over the line
 * limit or a head over the header limit. Stricter than Netty's decoder on purpose: one space
 * between the request line's three parts, no control character in the target, {@code HTTP/} in
 * upper case, one {@code Content-Length} in HTTP/1.0 too. obs-fold is joined with a space.
 * {@code RequestDecoderTest} checks it against Netty's decoder as the oracle.
 *
 * <p>A body that breaks its chunked framing ends with a failed {@link LastHttpContent}, as with
 * Netty's decoder; after any failure the rest of the connection is discarded.
 */
public final class RequestDecoder extends MessageDecoder {
    private final Consumer<HttpMethod> decoded;
    /**
     * The last request's target and Host as strings: the next request's are these same objects
     * when their bytes match (a client asks one site, often the same path, on a connection), so a
     * repeated request makes no string of either. One of each per connection, and only up to
     * {@link #KEEP_MAX} characters: an idle connection holds no more whatever its client sent.
     */
    private String lastTarget;
    private String lastHost;
    static final int KEEP_MAX = 256;

    /** {@code decoded} is told each request's method as its head is decoded (a failed one's too). */
    public RequestDecoder(int maxLineBytes, int maxHeaderBytes, int maxChunkBytes, Consumer<HttpMethod> decoded) {
        super(true, maxLineBytes, maxHeaderBytes, maxChunkBytes);
        this.decoded = decoded;
    }

    @Override
    void head(byte[] b, int[] ends, int lines, List<Object> out) {
        FlatHeaders h = new FlatHeaders(b, lines, 4);
        DefaultHttpRequest r = HeadParser.requestLine(b, ends[0], h, lastTarget);
        HeadParser.fields(b, ends, 1, lines, h, HeadParser.REQUEST); // (their size was checked as the head was found)
        lastTarget = kept(r.uri());
        int host = h.indexOf(HttpHeaderNames.HOST, 0);
        if (host >= 0) {
            lastHost = kept(h.valueAsString(host, lastHost));
        }
        long length = HeadParser.contentLength(h);
        if (h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, 0) >= 0) {
            if (length >= 0) {
                throw new AmbiguousFramingException();
            }
            if (r.protocolVersion() != HttpVersion.HTTP_1_1) {
                throw new IllegalArgumentException("Transfer-Encoding in a request that is not HTTP/1.1");
            }
            if (!HeadParser.lastCodingIsChunked(h)) {
                throw new IllegalArgumentException("a request's last transfer coding is not chunked");
            }
            chunked();
        } else if (length > 0) {
            fixed(length);
        }
        decoded.accept(r.method());
        out.add(r);
    }

    private static String kept(String s) {
        return s.length() <= KEEP_MAX ? s : null;
    }

    /**
     * The request as far as it was read (its line and the fields before the failure, for the
     * access log), or Netty's stand-in {@code GET /bad-request HTTP/1.0} when its line was not read.
     */
    @Override
    HttpMessage invalid(Exception cause, byte[] b, int[] ends, int lines) {
        HttpRequest r = null;
        if (b != null && lines > 0 && !(cause instanceof TooLongHttpLineException)) {
            FlatHeaders h = new FlatHeaders(b, lines, 4);
            try {
                r = HeadParser.requestLine(b, ends[0], h, null);
                HeadParser.fields(b, ends, 1, lines, h, HeadParser.REQUEST);
            } catch (IllegalArgumentException e) {
                // the fields before the bad one are kept
            }
        }
        if (r == null) {
            r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/bad-request", Unpooled.EMPTY_BUFFER,
                    new FlatHeaders(), new FlatHeaders());
        }
        r.setDecoderResult(DecoderResult.failure(cause));
        decoded.accept(r.method());
        return r;
    }

    @Override
    void bodyFailed(IllegalArgumentException cause, List<Object> out) {
        LastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        failed.setDecoderResult(DecoderResult.failure(cause));
        out.add(failed);
    }
}
