package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.transport.HttpDate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/** Answers the gateway gives itself (404, 502, 504 ...): short, plain text, saying what happened. */
final class LocalResponses {
    private static final AsciiString TEXT = AsciiString.cached("text/plain; charset=utf-8");

    private LocalResponses() {}

    /** Names the cluster limit that refused a request (503 from a circuit breaker). */
    static final AsciiString X_EDGE_REJECTED = AsciiString.cached("x-edge-rejected");

    /** The gateway's {@code 100 Continue}, as it begins to stream a body that a client asked to send with {@code Expect}. */
    static FullHttpResponse continueResponse() {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER);
    }

    static FullHttpResponse of(int status, String reason, ByteBufAllocator alloc) {
        HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        byte[] body = (s.code() + " " + s.reasonPhrase() + ": " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuf content = alloc.buffer(body.length).writeBytes(body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, content);
        r.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, TEXT)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return r;
    }

    /** A 429 from a rate-limit policy: a short JSON body and the headers a client can act on. */
    static FullHttpResponse rateLimited(String policy, long retryAfterSeconds, String policyHeader, ByteBufAllocator alloc) {
        byte[] body = ("{\"error\":\"rate_limited\",\"policy\":\"" + policy + "\",\"retryAfterSeconds\":" + retryAfterSeconds + "}\n")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf content = alloc.buffer(body.length).writeBytes(body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.TOO_MANY_REQUESTS, content);
        r.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set(HttpHeaderNames.RETRY_AFTER, Long.toString(retryAfterSeconds))
                .set(RATELIMIT_POLICY, policyHeader)
                .set(RATELIMIT, "\"" + policy + "\";r=0;t=" + retryAfterSeconds);
        return r;
    }

    static final AsciiString RATELIMIT_POLICY = AsciiString.cached("ratelimit-policy");
    static final AsciiString RATELIMIT = AsciiString.cached("ratelimit");

    /**
     * What every answer of the gateway carries besides its body: its {@code Date} (RFC 9110
     * 6.6.1: a server with a clock must send one, and the gateway is the server of its own
     * answers), why it answered ({@code x-edge-rejected}), the exchange's request id, and the
     * connection's fate.
     */
    static void decorate(FullHttpResponse r, Exchange x, boolean close) {
        HttpHeaders h = r.headers();
        if (!h.contains(HttpHeaderNames.DATE)) {
            h.set(HttpHeaderNames.DATE, HttpDate.now());
        }
        if (x.rejected != null) {
            h.set(X_EDGE_REJECTED, x.rejected);
        }
        if (x.requestId != null) {
            h.set(HttpRules.X_REQUEST_ID, x.requestId);
        }
        if (close) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (x.http10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }
}
