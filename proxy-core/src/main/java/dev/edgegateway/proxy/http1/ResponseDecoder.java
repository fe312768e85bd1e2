package dev.edgegateway.proxy.http1;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Decodes an origin's HTTP/1.x responses into Netty's message model (a {@link HttpResponse} whose
 * headers are {@link FlatHeaders}, then {@code HttpContent}s ending with a {@code LastHttpContent}).
 * The head is found with one scan for line ends, copied once, and its fields become slices of
 * that copy, validated in the same pass: no line buffer, no {@code String} per field, no second
 * validation pass, which is most of what Netty's {@code HttpResponseDecoder} spends on a head.
 *
 * <p>Framing follows RFC 9112 section 6 as Netty's decoder (in its default, strict configuration)
 * does: {@code Transfer-Encoding} ending in chunked (with no {@code Content-Length}), else one
 * {@code Content-Length}, else the body ends when the origin closes; none for 1xx, 204, 304 and
 * responses to {@code HEAD}. After a {@code 101} to another protocol the origin's bytes pass
 * through as {@code ByteBuf}s. Lines end with CRLF only; obs-fold is joined with a space; spaces
 * before a field's colon are dropped (RFC 9112 5.1). Stricter than Netty's on purpose in a few
 * places: the version must be HTTP/1.0 or HTTP/1.1, the status three digits, the reason free of
 * control characters, a field name may be followed only by whitespace and the colon, and the only
 * transfer coding is chunked (a gzip one would reach the client still coded, its field gone).
 * {@code ResponseDecoderTest} checks it against Netty's decoder as the oracle.
 *
 * The head's scan and the body's framing are {@link MessageDecoder}'s, shared with {@link RequestDecoder}.
 *
 * <p>Errors: a head that cannot be read becomes a response whose decoder result is a failure (the
 * gateway answers 502), and everything after it is discarded, as are bytes (other than line
 * ends) with no request outstanding, which a pooled connection would otherwise hand to the next
 * request as the start of its response; a body that breaks its framing is
 * an exception (the connection closes, the client sees the truncation), never a clean end.
 */
final class ResponseDecoder extends MessageDecoder {
    /** Methods of the requests written and not yet answered, oldest first (a HEAD's answer has no body). */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

    ResponseDecoder(int maxLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        super(false, maxLineBytes, maxHeaderBytes, maxChunkBytes);
    }

    /** A request went out on this connection; its response is decoded after the earlier ones'. */
    void requestSent(HttpMethod method) {
        methods.add(method);
    }

    /** No request is waiting for its final response (interim ones do not take it off the queue). */
    @Override
    boolean unsolicited() {
        return methods.isEmpty();
    }

    @Override
    void head(byte[] b, int[] ends, int lines, List<Object> out) {
        DefaultHttpResponse parsed = HeadParser.response(b, ends, lines);
        frame((FlatHeaders) parsed.headers(), parsed.protocolVersion(), parsed.status().code());
        out.add(parsed);
    }

    /** Sets the framing of the body of the response with these fields (RFC 9112 6.3). */
    private void frame(FlatHeaders h, HttpVersion version, int code) {
        long length = HeadParser.contentLength(h); // checked even where there is no body, as Netty does
        if (code < 200) {
            // Interim: no body, and the request's final answer is still to come. A 101 to another
            // protocol ends HTTP on this connection.
            String upgrade = code == 101 ? h.get(HttpHeaderNames.UPGRADE) : null;
            if (code == 101 && (upgrade == null || !upgrade.contains("HTTP/1.0") && !upgrade.contains("HTTP/1.1"))) {
                upgraded();
            }
            h.removeValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            return;
        }
        boolean head = HttpMethod.HEAD.equals(methods.poll());
        if (head || code == 204 || code == 304) {
            h.removeValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED); // no body, so nothing is chunked
            return;
        }
        int te = h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, 0);
        if (te >= 0) {
            if (version != HttpVersion.HTTP_1_1) {
                throw new IllegalArgumentException("Transfer-Encoding in an HTTP/1.0 response");
            }
            if (h.valueLength(te) != 7 || !FieldRules.regionIs(h, te, 0, "chunked", true)
                    || h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, te + 1) >= 0) {
                // gzip, compress, deflate: the gateway re-frames the body and would pass it on still
                // coded with nothing saying so. An origin sends one only to a TE: request field, which
                // the gateway never forwards (hop-by-hop).
                throw new IllegalArgumentException("a transfer coding other than chunked, which the gateway does not decode");
            }
            if (HeadParser.lastCodingIsChunked(h)) {
                if (length >= 0) {
                    throw new IllegalArgumentException("both Content-Length and Transfer-Encoding: chunked");
                }
                chunked();
                return;
            }
        }
        if (length > 0) {
            fixed(length);
        } else if (length < 0) {
            untilClose();
        }
    }

    /** Netty's invalid-message form (the gateway answers 502). */
    @Override
    HttpMessage invalid(Exception cause, byte[] b, int[] ends, int lines) {
        HttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_0, new HttpResponseStatus(999, "Unknown"), Unpooled.EMPTY_BUFFER);
        r.setDecoderResult(DecoderResult.failure(cause));
        return r;
    }

    /** An exception: the connection closes, and the client sees the truncation. */
    @Override
    void bodyFailed(IllegalArgumentException cause, List<Object> out) {
        throw cause;
    }
}
