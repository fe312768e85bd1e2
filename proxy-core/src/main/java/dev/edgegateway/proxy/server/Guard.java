package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.AmbiguousFramingException;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * The first stage of the request path: decides whether a request head may go any further, and
 * reads what the rest of the path needs from it (method, routing host and path, framing,
 * keep-alive, {@code Expect: 100-continue}). A refused request never reaches an origin. The
 * target is normalised here: an absolute-form target is routed by its own authority, and only
 * ever to a configured cluster (never an open proxy); the path is put in its normal form
 * ({@link RequestPaths}) before routing, and forwarded so. Stateless.
 */
final class Guard {
    private Guard() {}

    /**
     * Checks {@code req} and fills the exchange's view of it; null when it may go on to routing,
     * else why not. A request that failed to decode has its method and path recorded when its
     * request line was read, so the access log says what was refused.
     */
    static Refusal check(Exchange x, HttpRequest req, long maxRequestBodyBytes) {
        x.request = req;
        DecoderResult result = req.decoderResult();
        if (result.isFailure()) {
            return malformed(x, req, result.cause());
        }
        HttpHeaders h = req.headers();
        x.method = req.method().name();
        x.http10 = req.protocolVersion().minorVersion() == 0;
        x.clientKeepAlive = HttpUtil.isKeepAlive(req);
        String transferEncoding = h.get(HttpHeaderNames.TRANSFER_ENCODING);
        long contentLength = HttpUtil.getContentLength(req, 0L);
        x.hasBody = transferEncoding != null || contentLength > 0;
        x.expectContinue = !x.http10 && h.containsValue(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE, true);

        if (req.protocolVersion().majorVersion() != 1) {
            return Refusal.of(505, Rejection.VERSION, "only HTTP/1.0 and HTTP/1.1 are served here", true);
        }
        if (transferEncoding != null && (x.http10 || !transferEncoding.trim().equalsIgnoreCase("chunked")
                || HttpRules.repeated(h, HttpHeaderNames.TRANSFER_ENCODING))) {
            return Refusal.of(400, Rejection.BAD_REQUEST, "unsupported Transfer-Encoding (only a single 'chunked' is accepted)", true);
        }
        if (maxRequestBodyBytes > 0 && contentLength > maxRequestBodyBytes) {
            return Refusal.of(413, Rejection.BODY_TOO_LARGE, "request body larger than " + maxRequestBodyBytes + " bytes", true);
        }
        if (HttpMethod.CONNECT.equals(req.method())) {
            return Refusal.of(405, Rejection.METHOD_NOT_ALLOWED, "this gateway is not a forward proxy", true);
        }
        return target(x, req, h);
    }

    /** Origin-form is routed by Host; absolute-form by its own authority (RFC 9112 3.2.2). */
    private static Refusal target(Exchange x, HttpRequest req, HttpHeaders h) {
        String uri = req.uri();
        if (!uri.isEmpty() && uri.charAt(0) == '/') {
            x.path = uri;
            String hostHeader = h.get(HttpHeaderNames.HOST);
            if (hostHeader == null) {
                if (!x.http10) {
                    return Refusal.of(400, Rejection.BAD_REQUEST, "missing Host header", x.hasBody);
                }
                x.host = "";
            } else {
                x.host = HttpRules.hostKey(hostHeader);
            }
        } else {
            int prefix = HttpRules.absoluteFormPrefix(uri);
            if (prefix == 0) {
                x.path = uri;
                // The asterisk form is OPTIONS's alone (RFC 9112 3.2.4); no route serves it.
                return uri.equals("*") && HttpMethod.OPTIONS.equals(req.method()) ? Refusal.of(404, Rejection.NO_ROUTE, "no route", x.hasBody)
                        : Refusal.of(400, Rejection.BAD_REQUEST, "invalid request target", x.hasBody);
            }
            int slash = prefix;
            while (slash < uri.length() && uri.charAt(slash) != '/' && uri.charAt(slash) != '?') {
                slash++;
            }
            String authority = uri.substring(prefix, slash);
            x.host = HttpRules.hostKey(authority);
            x.path = slash == uri.length() ? "/" : uri.charAt(slash) == '?' ? "/" + uri.substring(slash) : uri.substring(slash);
            req.setUri(x.path);
            h.set(HttpHeaderNames.HOST, authority);
        }
        if (x.host == null || HttpRules.repeated(h, HttpHeaderNames.HOST)) {
            return Refusal.of(400, Rejection.BAD_REQUEST, "invalid or repeated Host", x.hasBody);
        }
        String normal = RequestPaths.normalize(x.path);
        if (normal == null) {
            return Refusal.of(400, Rejection.BAD_REQUEST,
                    "invalid request target (a '%' not followed by two hex digits, a '#', or a '..;' segment)", x.hasBody);
        }
        if (normal != x.path) { // routed and forwarded as one: the origin serves the path the route was chosen for
            x.path = normal;
            req.setUri(normal);
        }
        return null;
    }

    private static Refusal malformed(Exchange x, HttpRequest req, Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return Refusal.of(414, Rejection.URI_TOO_LONG, "request line too long", true);
        }
        // Netty keeps the parsed request line when a later part fails; when the line itself did not
        // parse it stands in "GET /bad-request HTTP/1.0", which says nothing about the client.
        boolean lineRead = cause instanceof TooLongHttpHeaderException || cause instanceof AmbiguousFramingException
                || !"/bad-request".equals(req.uri());
        if (lineRead) {
            x.method = req.method().name();
            x.path = req.uri();
            x.http10 = req.protocolVersion().minorVersion() == 0;
            String host = req.headers().get(HttpHeaderNames.HOST);
            x.host = host == null ? null : HttpRules.hostKey(host);
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return Refusal.of(431, Rejection.HEADERS_TOO_LARGE, "request headers too large", true);
        }
        if (cause instanceof AmbiguousFramingException) {
            return Refusal.of(400, Rejection.BAD_REQUEST, "both Content-Length and Transfer-Encoding are present", true);
        }
        return Refusal.of(400, Rejection.BAD_REQUEST, "malformed request", true);
    }
}
