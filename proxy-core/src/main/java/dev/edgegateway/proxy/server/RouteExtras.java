package dev.edgegateway.proxy.server;

import dev.edgegateway.config.CompressionConfig;
import dev.edgegateway.config.DirectResponseConfig;
import dev.edgegateway.config.HeaderRules;
import dev.edgegateway.config.RouteConfig;
import dev.edgegateway.proxy.http1.FieldNames;
import dev.edgegateway.routing.Cluster;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.stream.Stream;

/**
 * What a route does besides routing, compiled once per config: its own answer
 * ({@code directResponse}) and its header rules for the request and the response. Templates are
 * parsed here, so applying a rule is a few header operations and, for a value naming the
 * request, one small string. Immutable.
 */
final class RouteExtras {
    static final RouteExtras NONE = new RouteExtras(null, Rules.NONE, Rules.NONE, null, null);

    final Direct direct;
    /** Null: the route never compresses. */
    final CompressionConfig compression;
    /** Null: the route mirrors nothing. */
    final Mirror.Target mirror;
    final Rules request;
    final Rules response;
    /** Whether a rule names the client's region or address (resolved once, when the route is matched). */
    final boolean needsClient;

    private RouteExtras(Direct direct, Rules request, Rules response, CompressionConfig compression, Mirror.Target mirror) {
        this.compression = compression;
        this.mirror = mirror;
        this.direct = direct;
        this.request = request;
        this.response = response;
        this.needsClient = request.needsClient || response.needsClient;
    }

    static RouteExtras of(RouteConfig r, Map<String, Cluster> clusters, Counter[] mirrorCounters) {
        if (r.directResponse() == null && empty(r.requestHeaders()) && empty(r.responseHeaders()) && r.compression() == null && r.mirror() == null) {
            return NONE;
        }
        Mirror.Target mirror = r.mirror() == null ? null : new Mirror.Target(clusters.get(r.mirror().cluster()), r.mirror(), mirrorCounters);
        return new RouteExtras(r.directResponse() == null ? null : new Direct(r.directResponse()), Rules.of(r.requestHeaders(), true),
                Rules.of(r.responseHeaders(), false), r.compression(), mirror);
    }

    private static boolean empty(HeaderRules h) {
        return h == null || h.isEmpty();
    }

    /** A route's own answer, its body bytes made once. */
    static final class Direct {
        final HttpResponseStatus status;
        final byte[] body;
        final String contentType;
        final Map<String, String> headers;
        final long retryAfterSeconds;

        Direct(DirectResponseConfig c) {
            status = HttpResponseStatus.valueOf(c.status());
            body = c.body().getBytes(StandardCharsets.UTF_8);
            contentType = c.contentType();
            headers = c.headers();
            retryAfterSeconds = c.retryAfter() == null ? -1 : (c.retryAfter().toMillis() + 999) / 1000;
        }

        /** The answer for {@code x}, with the route's response rules applied (no body for HEAD). */
        FullHttpResponse response(Exchange x, Rules rules) {
            boolean head = x.head();
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            HttpHeaders h = r.headers();
            h.set(HttpHeaderNames.CONTENT_TYPE, contentType).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            headers.forEach(h::set);
            if (retryAfterSeconds >= 0) {
                h.set(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
            }
            rules.apply(h, x);
            return r;
        }
    }

    /** Compiled header rules: names as AsciiStrings, values as templates. */
    static final class Rules {
        static final Rules NONE = new Rules(new AsciiString[0], new AsciiString[0], new Template[0], new AsciiString[0], new Template[0], null);

        final AsciiString[] remove;
        final AsciiString[] setNames;
        final Template[] setValues;
        final AsciiString[] addNames;
        final Template[] addValues;
        /**
         * On a request: the names removed or set, spelled with {@code _} for {@code -}, removed
         * too. The rule makes the gateway the only source of such a field, and an origin that maps
         * names to CGI variables (PHP, WSGI, Rack) reads {@code x_user_id} as {@code x-user-id}
         * (the class of Puma's CVE-2024-45614; nginx drops names with {@code _} by default). Null
         * on a response, and where no name has a {@code -}.
         */
        final FieldNames aliases;
        final boolean needsClient;

        private Rules(AsciiString[] remove, AsciiString[] setNames, Template[] setValues, AsciiString[] addNames, Template[] addValues,
                      FieldNames aliases) {
            this.remove = remove;
            this.aliases = aliases;
            this.setNames = setNames;
            this.setValues = setValues;
            this.addNames = addNames;
            this.addValues = addValues;
            boolean client = false;
            for (Template[] ts : new Template[][] {setValues, addValues}) {
                for (Template t : ts) {
                    client |= t.needsClient();
                }
            }
            this.needsClient = client;
        }

        static Rules of(HeaderRules h, boolean request) {
            if (h == null || h.isEmpty()) {
                return NONE;
            }
            AsciiString[] remove = names(h.remove());
            AsciiString[] setNames = names(new ArrayList<>(h.set().keySet()));
            AsciiString[] owned = Stream.concat(Arrays.stream(remove), Arrays.stream(setNames)).filter(n -> n.contains("-"))
                    .toArray(AsciiString[]::new);
            return new Rules(remove, setNames, templates(h.set()), names(new ArrayList<>(h.add().keySet())), templates(h.add()),
                    request && owned.length > 0 ? FieldNames.aliasesOf(owned) : null);
        }

        boolean isEmpty() {
            return remove.length == 0 && setNames.length == 0 && addNames.length == 0;
        }

        /** Removes (on a request, with the {@link #aliases}), then sets, then adds. */
        void apply(HttpHeaders h, Exchange x) {
            if (aliases != null) {
                HttpRules.dropAll(h, aliases);
            }
            for (AsciiString n : remove) {
                h.remove(n);
            }
            for (int i = 0; i < setNames.length; i++) {
                h.set(setNames[i], setValues[i].render(x));
            }
            for (int i = 0; i < addNames.length; i++) {
                h.add(addNames[i], addValues[i].render(x));
            }
        }

        private static AsciiString[] names(List<String> names) {
            return names.stream().map(AsciiString::cached).toArray(AsciiString[]::new);
        }

        private static Template[] templates(Map<String, String> values) {
            return values.values().stream().map(Template::parse).toArray(Template[]::new);
        }
    }

    /** A header value: literal text and the request's values it names, in order. */
    record Template(String constant, String[] literals, String[] variables) {
        static Template parse(String value) {
            Matcher m = HeaderRules.VARIABLE.matcher(value);
            List<String> literals = new ArrayList<>();
            List<String> variables = new ArrayList<>();
            int at = 0;
            while (m.find()) {
                literals.add(value.substring(at, m.start()));
                variables.add(m.group(1));
                at = m.end();
            }
            if (variables.isEmpty()) {
                return new Template(value, null, null);
            }
            literals.add(value.substring(at));
            return new Template(null, literals.toArray(new String[0]), variables.toArray(new String[0]));
        }

        boolean needsClient() {
            if (variables == null) {
                return false;
            }
            for (String v : variables) {
                if (v.startsWith("client.")) {
                    return true;
                }
            }
            return false;
        }

        CharSequence render(Exchange x) {
            if (constant != null) {
                return constant;
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < variables.length; i++) {
                sb.append(literals[i]);
                CharSequence v = switch (variables[i]) {
                    case "client.address" -> x.clientAddressText;
                    case "client.region" -> x.clientRegion;
                    case "route" -> x.route == null ? null : x.route.name();
                    case "request.id" -> x.requestId;
                    case "cluster" -> x.cluster == null ? null : x.cluster.name();
                    default -> null;
                };
                sb.append(v == null ? "" : v);
            }
            return sb.append(literals[variables.length]).toString();
        }
    }
}
