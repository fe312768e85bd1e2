package dev.edgegateway.proxy.server;

import dev.edgegateway.config.ForwardingConfig;
import dev.edgegateway.routing.Keys;
import dev.edgegateway.routing.RequestView;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.NetUtil;
import java.util.Iterator;
import java.util.List;

/**
 * A client connection's request, as routing sees it. One per connection, pointed at each request
 * in turn; reads the Netty request in place. The effective client address is the peer's, or,
 * when the peer is a trusted proxy, the right-most {@code X-Forwarded-For} entry that is not a
 * trusted proxy itself (the same rule as the forwarding headers); it is worked out only if a
 * policy asks. Confined to the connection's event loop.
 */
final class RoutingView implements RequestView {
    private HttpRequest request;
    private ForwardingConfig forwarding;
    private boolean trusted;
    private byte[] client;
    private String clientText;

    /** The connection: the peer's address and its TLS details. */
    private final ConnectionInfo connection;

    RoutingView(ConnectionInfo connection) {
        this.connection = connection;
    }

    @Override
    public boolean tls() {
        return connection.tls;
    }

    @Override
    public String sni() {
        return connection.sni;
    }

    void reset(HttpRequest request, ForwardingConfig forwarding) {
        this.request = request;
        this.forwarding = forwarding;
        this.trusted = forwarding.isTrusted(connection.clientAddress);
        this.client = null;
        this.clientText = null;
    }

    @Override
    public String method() {
        return request.method().name();
    }

    @Override
    public String target() {
        return request.uri();
    }

    @Override
    public String header(String lowerCaseName) {
        return HttpRules.combined(request.headers(), lowerCaseName);
    }

    @Override
    public String cookie(String name) {
        HttpHeaders h = request.headers();
        if (!h.contains(HttpHeaderNames.COOKIE)) {
            return null;
        }
        List<String> all = h.getAll(HttpHeaderNames.COOKIE);
        for (String line : all) {
            String v = cookieValue(line, name);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** The value of cookie {@code name} in one {@code Cookie} header line, or null. */
    static String cookieValue(String line, String name) {
        int eq = nextPair(line, name, 0);
        if (eq < 0) {
            return null;
        }
        int end = line.indexOf(';', eq);
        int from = eq + 1;
        int to = end < 0 ? line.length() : end;
        while (to > from && line.charAt(to - 1) == ' ') {
            to--;
        }
        if (to - from >= 2 && line.charAt(from) == '"' && line.charAt(to - 1) == '"') {
            from++;
            to--;
        }
        return line.substring(from, to);
    }

    /**
     * Whether cookie {@code name} is sent more than once (in one {@code Cookie} line or across
     * lines): the gateway keys on the first, and an origin may read another (Django's parser keeps
     * the last), so a rate-limit key cookie sent twice is refused as a key header is.
     */
    static boolean cookieRepeated(HttpHeaders h, String name) {
        if (!h.contains(HttpHeaderNames.COOKIE)) {
            return false;
        }
        int seen = 0;
        for (Iterator<String> lines = h.valueStringIterator(HttpHeaderNames.COOKIE); lines.hasNext(); ) {
            String line = lines.next();
            for (int eq = nextPair(line, name, 0); eq >= 0; eq = nextPair(line, name, eq)) {
                if (++seen > 1) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The index of the {@code =} of the next pair named {@code name} in {@code line} at or after {@code from}, or -1. */
    private static int nextPair(String line, String name, int from) {
        int i = from;
        int n = line.length();
        while (i < n) {
            while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == ';')) {
                i++;
            }
            int end = line.indexOf(';', i);
            if (end < 0) {
                end = n;
            }
            int eq = line.indexOf('=', i);
            if (eq > 0 && eq < end && eq - i == name.length() && line.startsWith(name, i)) {
                return eq;
            }
            i = end + 1;
        }
        return -1;
    }

    @Override
    public byte[] clientAddress() {
        resolveClient();
        return client;
    }

    @Override
    public String clientAddressText() {
        resolveClient();
        return clientText;
    }

    /** The peer's own address's key is the connection's (made once for all its requests and streams). */
    @Override
    public String clientKey(int ipv4Prefix, int ipv6Prefix) {
        resolveClient();
        return client == connection.clientAddress ? connection.peerKey(ipv4Prefix, ipv6Prefix)
                : Keys.network(client, clientText, ipv4Prefix, ipv6Prefix);
    }

    @Override
    public boolean fromTrustedProxy() {
        return trusted;
    }

    private void resolveClient() {
        if (client != null) {
            return;
        }
        client = connection.clientAddress;
        clientText = connection.clientText;
        // Every line, as one list (RFC 9110 5.3): a proxy that adds its own line (HAProxy's
        // forwardfor) puts the client it saw after the line the client sent.
        String xff = trusted ? HttpRules.combined(request.headers(), HttpRules.X_FORWARDED_FOR) : null;
        if (xff == null) {
            return;
        }
        int end = xff.length();
        while (end > 0) {
            int comma = xff.lastIndexOf(',', end - 1);
            String entry = withoutPort(xff.substring(comma + 1, end).trim());
            byte[] address = NetUtil.createByteArrayFromIpAddressString(entry);
            if (address == null) {
                return; // garbage: stop at the last address we could trust
            }
            address = Keys.unmapped(address); // a dual-stack proxy's ::ffff:10.0.0.5 is 10.0.0.5, for trust, geo and keys
            client = address;
            clientText = NetUtil.bytesToIpAddress(address); // one spelling per address (RFC 5952), whatever the proxy wrote
            if (!forwarding.isTrusted(address)) {
                return;
            }
            end = comma;
        }
    }

    /**
     * An {@code X-Forwarded-For} entry's address without the port some proxies add (Azure's
     * Application Gateway writes {@code 203.0.113.7:51234}; {@code [2001:db8::7]:443} is the
     * bracketed IPv6 form): read as garbage, such an entry ended the walk at the proxy, and every
     * client behind it shared one key. Anything else is returned as it is.
     */
    static String withoutPort(String entry) {
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            return close > 0 && (close == entry.length() - 1 || entry.charAt(close + 1) == ':' && HttpRules.digits(entry, close + 2))
                    ? entry.substring(1, close) : entry;
        }
        int colon = entry.indexOf(':');
        return colon > 0 && colon == entry.lastIndexOf(':') && HttpRules.digits(entry, colon + 1) ? entry.substring(0, colon) : entry;
    }
}
