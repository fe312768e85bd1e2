package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.FlatHeaders;
import dev.edgegateway.proxy.observe.Tracing;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/**
 * The request head as the origin gets it: hop-by-hop fields removed (a WebSocket handshake keeps
 * its {@code Upgrade}, a client that takes trailers its {@code TE: trailers}), the body re-framed
 * as chunked when it came chunked, {@code Expect} taken out (the gateway answers
 * {@code 100 Continue} itself as it starts to stream the body, as Envoy does, so an origin that
 * never sends 100 cannot stall an upload), {@code X-Forwarded-*} and the request id set by the
 * trusted-proxy rule (from anyone else, what could pass for them is dropped first:
 * {@link HttpRules#dropForgeable}), and the trace context of the gateway's span. Stateless.
 */
final class ForwardingHeaders {
    private ForwardingHeaders() {}

    static void apply(Exchange x, ConnectionInfo connection, Tracing tracing) {
        HttpHeaders h = x.request.headers();
        CharSequence incomingHost = host(h);
        // An HTTP/1.0 request's Upgrade is ignored (RFC 9110 7.8): it goes as hop-by-hop.
        x.upgrade = x.http10 || x.hasBody || !HttpMethod.GET.equals(x.request.method()) ? null : HttpRules.websocketUpgrade(h);
        boolean chunkedBody = h.contains(HttpHeaderNames.TRANSFER_ENCODING);
        boolean trailers = h.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        HttpRules.stripHopByHop(h);
        if (trailers) {
            // TE is hop-by-hop, but the gateway relays trailers, so it says so to the origin in
            // turn, as Envoy does: gRPC servers in C++ and Python refuse a call without it, and a
            // servlet sends its trailers only when asked.
            h.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        if (x.upgrade != null) {
            // Upgrade is hop-by-hop, but a WebSocket handshake must reach the origin.
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            h.set(HttpHeaderNames.UPGRADE, x.upgrade);
        }
        if (chunkedBody) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (x.expectContinue) {
            h.remove(HttpHeaderNames.EXPECT);
        }
        boolean trusted = x.state.forwarding.isTrusted(connection.clientAddress);
        if (!trusted) {
            HttpRules.dropForgeable(h);
        }
        String xff = trusted ? HttpRules.combined(h, HttpRules.X_FORWARDED_FOR) : null; // every line, in order, then ours
        if (xff != null) {
            set(h, HttpRules.X_FORWARDED_FOR, xff + ", " + connection.clientIp);
        } else {
            set(h, HttpRules.X_FORWARDED_FOR, connection.clientIp);
        }
        if (!trusted || !h.contains(HttpRules.X_FORWARDED_PROTO)) {
            set(h, HttpRules.X_FORWARDED_PROTO, connection.scheme);
        }
        if (!trusted || !h.contains(HttpRules.X_FORWARDED_HOST)) {
            if (incomingHost != null) {
                set(h, HttpRules.X_FORWARDED_HOST, incomingHost);
            } else {
                h.remove(HttpRules.X_FORWARDED_HOST);
            }
        }
        set(h, HttpRules.X_REQUEST_ID, x.requestId);
        if (x.span != null) {
            tracing.inject(x.traceParent, x.span, h); // the origin's spans become children of ours
        }
        RouteExtras.Rules rules = x.extras().request;
        if (!rules.isEmpty()) {
            rules.apply(h, x);
        }
        x.request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /** The request's Host as it came, a slice of the decoded head where it is one (no String made of it). */
    private static CharSequence host(HttpHeaders h) {
        if (h instanceof FlatHeaders f) {
            int i = f.indexOf(HttpHeaderNames.HOST, 0);
            return i < 0 ? null : f.valueAt(i);
        }
        return h.get(HttpHeaderNames.HOST);
    }

    /**
     * Sets a forwarding field: its name a constant, its value the gateway's own (an address, a
     * scheme, a request id) or built from fields of this request, which {@link FlatHeaders}
     * checked as the decoder added them; so not checked again there.
     */
    private static void set(HttpHeaders h, AsciiString name, CharSequence value) {
        if (h instanceof FlatHeaders f) {
            f.setChecked(name, value);
        } else {
            h.set(name, value);
        }
    }
}
