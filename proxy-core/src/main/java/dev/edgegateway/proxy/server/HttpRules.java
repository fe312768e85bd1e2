package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.FieldNames;
import dev.edgegateway.proxy.http1.FlatHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** HTTP/1.1 message rules a proxy applies: hop-by-hop headers, request targets, hosts, request ids. */
final class HttpRules {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    /** The standard hop-by-hop fields (RFC 9110 7.6.1, and the obsolete Proxy-Connection), besides those Connection names. */
    private static final AsciiString[] HOP_BY_HOP = {HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
        HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHORIZATION,
        HttpHeaderNames.PROXY_AUTHENTICATE};
    private static final FieldNames HOP_BY_HOP_NAMES = FieldNames.of(HOP_BY_HOP);
    private static final FieldNames FORGEABLE = FieldNames.loose(AsciiString.cached("forwarded"), X_FORWARDED_FOR, X_FORWARDED_PROTO,
            X_FORWARDED_HOST, X_REQUEST_ID);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private HttpRules() {}

    /**
     * Removes the headers that belong to one connection, not to the message (RFC 9110 7.6.1):
     * those named in {@code Connection}, and the standard hop-by-hop set. The caller re-adds
     * {@code Transfer-Encoding: chunked} where it re-frames a body.
     */
    static void stripHopByHop(HttpHeaders h) {
        if (!(h instanceof FlatHeaders f)) {
            if (h.contains(HttpHeaderNames.CONNECTION)) {
                for (String line : h.getAll(HttpHeaderNames.CONNECTION)) {
                    removeListed(h, line);
                }
            }
            for (AsciiString name : HOP_BY_HOP) {
                h.remove(name);
            }
            return;
        }
        int c = f.indexOf(HttpHeaderNames.CONNECTION, 0);
        if (c >= 0) {
            if (f.indexOf(HttpHeaderNames.CONNECTION, c + 1) < 0) {
                if (!f.valueIs(c, HttpHeaderValues.KEEP_ALIVE) && !f.valueIs(c, HttpHeaderValues.CLOSE)) {
                    removeListed(f, f.valueAt(c)); // names a field: an object of the value (the usual two need none)
                }
            } else {
                for (String line : f.getAll(HttpHeaderNames.CONNECTION)) {
                    removeListed(f, line); // every Connection line's options, not the first line's only
                }
            }
        }
        // One pass over the fields rather than a scan per name.
        for (int i = f.size() - 1; i >= 0; i--) {
            if (f.nameIn(i, HOP_BY_HOP_NAMES)) {
                f.removeAt(i);
            }
        }
    }

    /**
     * Removes, from the request of a client not trusted to forward, the fields that would speak
     * for the gateway to the origin: those it sets itself ({@code X-Forwarded-For}, {@code -Proto},
     * {@code -Host}, {@code X-Request-Id}) in any spelling with {@code _} for {@code -}, which an
     * origin that maps names to CGI variables reads as the gateway's own (Puma's CVE-2024-45614),
     * and {@code Forwarded} (RFC 7239), which an origin that prefers it (Spring's
     * {@code ForwardedHeaderFilter}) would believe over the gateway's {@code X-Forwarded-*}. The
     * caller then sets its own.
     */
    static void dropForgeable(HttpHeaders h) {
        dropAll(h, FORGEABLE);
    }

    /**
     * Removes every field whose name is one of {@code names}: one pass over a decoded head, however
     * many spellings a client sends (a name with k hyphens has 2^k - 1 of them).
     */
    static void dropAll(HttpHeaders h, FieldNames names) {
        if (h instanceof FlatHeaders f) {
            for (int i = f.size() - 1; i >= 0; i--) {
                if (f.nameIn(i, names)) {
                    f.removeAt(i);
                }
            }
            return;
        }
        for (CharSequence name = nameIn(h, names); name != null; name = nameIn(h, names)) {
            h.remove(name); // that spelling's every line; the usual request has none, and is scanned once
        }
    }

    /** The name of the first field whose name is one of {@code names}, else null. */
    static CharSequence nameIn(HttpHeaders h, FieldNames names) {
        if (h instanceof FlatHeaders f) {
            for (int i = 0; i < f.size(); i++) {
                if (f.nameIn(i, names)) {
                    return f.nameAt(i);
                }
            }
            return null;
        }
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext();) {
            CharSequence name = it.next().getKey();
            if (names.contains(name)) {
                return name;
            }
        }
        return null;
    }

    /**
     * A field's value as one line: its lines' values joined by {@code ","} in order (RFC 9110 5.3),
     * or null when absent. Routing matches on this, as Envoy does since CVE-2020-25017: matching on
     * the first line let {@code x-env: prod} then {@code x-env: test} pass a {@code prod} condition
     * while an origin that reads the last line (or the list) saw {@code test}. Allocates only for a
     * repeated field.
     */
    static String combined(HttpHeaders h, CharSequence name) {
        String first = h.get(name);
        return first == null || !repeated(h, name) ? first : String.join(",", h.getAll(name));
    }

    /** Whether {@code name} is on more than one field line. */
    static boolean repeated(HttpHeaders h, CharSequence name) {
        if (h instanceof FlatHeaders f) {
            int i = f.indexOf(name, 0);
            return i >= 0 && f.indexOf(name, i + 1) >= 0;
        }
        return h.getAll(name).size() > 1;
    }

    /**
     * Removes the fields a Connection value names, but for its {@code close} and {@code keep-alive},
     * and never Host or Content-Length: a message needs them whatever its sender lists (RFC 9110
     * 7.6.1 forbids listing a field meant for every recipient). Obeyed, {@code Connection: content-length}
     * would forward a body without its length, for the origin to read as the next request on a
     * pooled connection, and {@code Connection: host} would forward a request without its site.
     */
    private static void removeListed(HttpHeaders h, CharSequence connection) {
        int start = 0;
        for (int i = 0; i <= connection.length(); i++) {
            if (i == connection.length() || connection.charAt(i) == ',') {
                int from = start;
                int to = i;
                while (from < to && isOws(connection.charAt(from))) {
                    from++;
                }
                while (to > from && isOws(connection.charAt(to - 1))) {
                    to--;
                }
                if (to > from && !isToken(connection, from, to, HttpHeaderValues.CLOSE)
                        && !isToken(connection, from, to, HttpHeaderValues.KEEP_ALIVE)
                        && !isToken(connection, from, to, HttpHeaderNames.HOST)
                        && !isToken(connection, from, to, HttpHeaderNames.CONTENT_LENGTH)) {
                    h.remove(connection.subSequence(from, to));
                }
                start = i + 1;
            }
        }
    }

    private static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isToken(CharSequence s, int from, int to, AsciiString token) {
        return to - from == token.length() && AsciiString.regionMatches(s, true, from, token, 0, token.length());
    }

    /**
     * The routing key of a Host header or URI authority: lower case, without port or a trailing
     * dot; IPv6 literals keep their brackets. Returns null for an authority that is not a plain
     * host[:port], the empty one included ({@code Host:} with no value, {@code http:///x}), which
     * nginx refuses too; routed, it reached the catch-all routes with a Host naming nothing.
     * {@code api.example.com.} is the same name as {@code api.example.com} (nginx's server names
     * drop the dot too): kept, it fell through to the catch-all routes, past the host's own limits.
     */
    static String hostKey(String authority) {
        int end = authority.length();
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                return null;
            }
            end = close + 1;
        } else {
            int colon = authority.indexOf(':');
            if (colon >= 0) {
                end = colon;
            }
        }
        if (end < authority.length() && (authority.charAt(end) != ':' || !digits(authority, end + 1))) {
            return null;
        }
        if (end == 0 || end == 2 && authority.charAt(0) == '[') {
            return null; // no host: an http(s) URI with an empty host is invalid (RFC 9110 4.2.1, 4.2.2)
        }
        for (int i = 0; i < end; i++) {
            char c = authority.charAt(i);
            if (c <= ' ' || c == '@' || c == '/' || c == '\\' || c >= 0x7f) {
                return null;
            }
        }
        if (end > 1 && authority.charAt(end - 1) == '.' && authority.charAt(0) != '[') {
            end--;
        }
        String host = end == authority.length() ? authority : authority.substring(0, end);
        return host.toLowerCase(Locale.ROOT);
    }

    /** Whether {@code s} from {@code from} on is one or more ASCII digits. */
    static boolean digits(String s, int from) {
        if (from >= s.length()) {
            return false;
        }
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Length of the scheme prefix of an absolute-form target ({@code http://}, {@code https://}), else 0. */
    static int absoluteFormPrefix(String uri) {
        if (uri.regionMatches(true, 0, "http://", 0, 7)) {
            return 7;
        }
        if (uri.regionMatches(true, 0, "https://", 0, 8)) {
            return 8;
        }
        return 0;
    }

    /** A new request id: 128 random bits as 32 hex digits. */
    static AsciiString newRequestId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] out = new byte[32];
        long a = r.nextLong();
        long b = r.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xF];
            out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xF];
        }
        return new AsciiString(out, false);
    }

    /**
     * The {@code Upgrade} value if the request asks to upgrade to WebSocket ({@code Upgrade}
     * naming websocket and {@code Connection} naming upgrade, both case-insensitive), else null.
     */
    static String websocketUpgrade(HttpHeaders h) {
        String upgrade = h.get(HttpHeaderNames.UPGRADE);
        if (upgrade == null || !AsciiString.containsIgnoreCase(upgrade, HttpHeaderValues.WEBSOCKET)) {
            return null;
        }
        for (String c : h.getAll(HttpHeaderNames.CONNECTION)) {
            if (AsciiString.containsIgnoreCase(c, HttpHeaderValues.UPGRADE)) {
                return upgrade;
            }
        }
        return null;
    }

    /**
     * Whether an origin's 101 switches to what was asked for, WebSocket: its {@code Upgrade}
     * names websocket, or it has none (the request's is kept). A 101 to another protocol would
     * hand the client a tunnel it cannot speak; it is an invalid answer (RFC 9110 7.8).
     */
    static boolean switchesToWebSocket(HttpHeaders h) {
        String upgrade = h.get(HttpHeaderNames.UPGRADE);
        return upgrade == null || AsciiString.containsIgnoreCase(upgrade, HttpHeaderValues.WEBSOCKET);
    }
}
