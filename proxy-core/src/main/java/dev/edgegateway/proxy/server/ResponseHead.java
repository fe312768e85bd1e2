package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.transport.HttpDate;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * An origin's response head as the client gets it: hop-by-hop fields removed, a body the origin
 * ends by closing re-framed as chunked (for HTTP/1.0, which has no chunks, a body without a length
 * ends with the connection, however the origin framed it), the connection's fate stated
 * ({@code Connection: close} when the client, a drain or an unread request body ends it), and
 * what the request path adds (a sticky cookie, {@code RateLimit} headers, a {@code Date} where the
 * origin sent none: RFC 9110 6.6.1 has a proxy add it). Decides whether the
 * origin connection can be reused. Stateless.
 */
final class ResponseHead {
    private ResponseHead() {}

    static void rewrite(Exchange x, HttpResponse r, boolean draining) {
        int code = r.status().code();
        HttpHeaders h = r.headers();
        x.upstreamReusable = HttpUtil.isKeepAlive(r);
        boolean chunked = HttpUtil.isTransferEncodingChunked(r);
        boolean bodyless = HttpMethod.HEAD.equals(x.request.method()) || code == 204 || code == 304;
        boolean delimited = chunked || bodyless || h.contains(HttpHeaderNames.CONTENT_LENGTH);
        HttpRules.stripHopByHop(h);
        if (!delimited) {
            // The origin ends this body by closing: re-framed as chunked for the client.
            x.upstreamReusable = false;
            chunked = true;
        }
        if (chunked && x.http10 && !bodyless) {
            // HTTP/1.0 knows no chunked coding (RFC 9112 6.1): its body ends with the connection.
            chunked = false;
            x.closeAfterResponse = true;
        }
        if (chunked && !bodyless) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!x.clientKeepAlive || !x.complete || draining) {
            x.closeAfterResponse = true;
        }
        if (x.closeAfterResponse) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (x.http10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        if (!h.contains(HttpHeaderNames.DATE)) {
            h.add(HttpHeaderNames.DATE, HttpDate.now());
        }
        addRouteHeaders(x, h);
        RouteExtras.Rules rules = x.extras().response;
        if (!rules.isEmpty()) {
            rules.apply(h, x);
        }
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /** The origin's 101 for a WebSocket upgrade: hop-by-hop fields removed, the upgrade kept. */
    static void switching(Exchange x, HttpResponse r) {
        HttpHeaders h = r.headers();
        String upgrade = h.get(HttpHeaderNames.UPGRADE);
        HttpRules.stripHopByHop(h);
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        h.set(HttpHeaderNames.UPGRADE, upgrade == null ? x.upgrade : upgrade);
        if (x.decision.setCookie() != null) {
            h.add(HttpHeaderNames.SET_COOKIE, x.decision.setCookie());
        }
    }

    private static void addRouteHeaders(Exchange x, HttpHeaders h) {
        if (x.decision.setCookie() != null) {
            h.add(HttpHeaderNames.SET_COOKIE, x.decision.setCookie());
        }
        if (x.rateLimitHeader != null) {
            h.set(LocalResponses.RATELIMIT_POLICY, x.rateLimitPolicy);
            h.set(LocalResponses.RATELIMIT, x.rateLimitHeader);
        }
    }
}
