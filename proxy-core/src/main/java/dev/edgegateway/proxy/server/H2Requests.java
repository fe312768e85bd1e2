package dev.edgegateway.proxy.server;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An HTTP/2 request head in the HTTP/1 model the request path speaks: pseudo-headers to request
 * line and Host, split cookies joined, a body of unknown length marked chunked for an HTTP/1.1
 * origin. A WebSocket over HTTP/2 (RFC 8441: {@code CONNECT} with {@code :protocol websocket})
 * becomes the HTTP/1.1 upgrade an origin expects, with a fresh {@code Sec-WebSocket-Key}; the
 * origin's 101 becomes the stream's 200. Stateless.
 */
final class H2Requests {
    private static final AsciiString PROTOCOL = Http2Headers.PseudoHeaderName.PROTOCOL.value();
    private static final AsciiString WEBSOCKET_KEY = AsciiString.cached("sec-websocket-key");
    private static final AsciiString WEBSOCKET_VERSION = AsciiString.cached("sec-websocket-version");
    private static final AsciiString WEBSOCKET_PROTOCOL = AsciiString.cached("sec-websocket-protocol");
    private static final AsciiString WEBSOCKET_EXTENSIONS = AsciiString.cached("sec-websocket-extensions");

    private H2Requests() {}

    /**
     * The HTTP/1 request for a stream's HEADERS; an extended CONNECT for WebSocket becomes the
     * origin's upgrade request. A :path that is not a path (nor {@code *} for OPTIONS, RFC 9113
     * 8.3.1) fails to decode, a 400 as for any malformed request line: an absolute URI there would
     * be read as HTTP/1's absolute form, its host winning over :authority.
     */
    static HttpRequest of(int streamId, Http2Headers h, boolean endStream, boolean extendedConnect) throws Http2Exception {
        HttpRequest req = extendedConnect ? webSocketUpgrade(h) : toHttp1(streamId, h, endStream);
        if (!originForm(req)) {
            req.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(":path is not a path")));
        }
        return req;
    }

    static HttpRequest toHttp1(int streamId, Http2Headers h, boolean endStream) throws Http2Exception {
        HttpRequest req = HttpConversionUtil.toHttpRequest(streamId, h, true);
        HttpHeaders headers = req.headers();
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
        headers.remove(HttpHeaderNames.CONNECTION); // set to keep-alive by the conversion
        if (!endStream && !HttpUtil.isContentLengthSet(req)) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return req;
    }

    /** Whether the request's target is a path, or {@code *} for OPTIONS: the only forms :path takes (RFC 9113 8.3.1). */
    static boolean originForm(HttpRequest req) {
        String uri = req.uri();
        return uri.startsWith("/") || uri.equals("*") && HttpMethod.OPTIONS.equals(req.method());
    }

    /** The size of a header list as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 6.5.2): names, values, 32 each. */
    static long listSize(Http2Headers h) {
        long size = 0;
        for (Map.Entry<CharSequence, CharSequence> e : h) {
            size += e.getKey().length() + e.getValue().length() + 32;
        }
        return size;
    }

    /** Extended CONNECT asking for a WebSocket (RFC 8441 4). */
    static boolean isWebSocketConnect(Http2Headers h) {
        CharSequence protocol = h.get(PROTOCOL);
        return protocol != null && HttpMethod.CONNECT.asciiName().contentEquals(h.method())
                && AsciiString.contentEqualsIgnoreCase(protocol, HttpHeaderValues.WEBSOCKET);
    }

    /** The HTTP/1.1 upgrade request for an extended CONNECT (RFC 8441 5). */
    static HttpRequest webSocketUpgrade(Http2Headers h) {
        if (h.path() == null || h.authority() == null) {
            throw new IllegalArgumentException("extended CONNECT needs :path and :authority");
        }
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, h.path().toString());
        HttpHeaders out = req.headers();
        out.set(HttpHeaderNames.HOST, h.authority());
        for (Map.Entry<CharSequence, CharSequence> e : h) {
            CharSequence name = e.getKey();
            if (name.length() > 0 && name.charAt(0) != ':') {
                out.add(name, e.getValue());
            }
        }
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        out.set(WEBSOCKET_KEY, Base64.getEncoder().encodeToString(nonce));
        if (!out.contains(WEBSOCKET_VERSION)) {
            out.set(WEBSOCKET_VERSION, "13");
        }
        out.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        return req;
    }

    /** What of an origin's 101 the client's 200 carries: the negotiated subprotocol and extensions. */
    static void copyWebSocketResponseHeaders(HttpHeaders from, Http2Headers to) {
        String protocol = from.get(WEBSOCKET_PROTOCOL);
        if (protocol != null) {
            to.set(WEBSOCKET_PROTOCOL, protocol);
        }
        String extensions = from.get(WEBSOCKET_EXTENSIONS);
        if (extensions != null) {
            to.set(WEBSOCKET_EXTENSIONS, extensions);
        }
    }
}
