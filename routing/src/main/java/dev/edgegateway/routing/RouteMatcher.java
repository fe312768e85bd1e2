package dev.edgegateway.routing;

import dev.edgegateway.config.HeaderMatch;
import dev.edgegateway.config.RouteMatch;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A route's conditions other than its host, compiled: path (exact, prefix or regex), methods,
 * headers and query parameters. Only a configured regex is ever run; exact and prefix paths are
 * plain comparisons on the target without copying it. Immutable.
 */
final class RouteMatcher {
    private enum PathKind { EXACT, PREFIX, REGEX }

    private final PathKind pathKind;
    private final String path;
    private final Pattern pathRegex;
    private final String[] methods;
    private final Condition[] headers;
    private final Condition[] query;
    /** Exact SNI name, or the suffix (".example.com") of a wildcard; null: any. */
    private final String sni;
    private final boolean sniWildcard;
    private final Boolean tls;

    /** One header or query condition. */
    private record Condition(String name, String value, String prefix, Pattern regex, Boolean present) {
        static Condition of(HeaderMatch m) {
            return new Condition(m.name(), m.value(), m.prefix(), m.regex() == null ? null : Pattern.compile(m.regex()), m.present());
        }

        boolean test(String actual) {
            if (present != null) {
                return present == (actual != null);
            }
            if (actual == null) {
                return false;
            }
            if (value != null) {
                return actual.equals(value);
            }
            if (prefix != null) {
                return actual.startsWith(prefix);
            }
            return regex.matcher(actual).matches();
        }
    }

    RouteMatcher(RouteMatch m) {
        if (m.path() != null) {
            pathKind = PathKind.EXACT;
            path = m.path();
            pathRegex = null;
        } else if (m.pathRegex() != null) {
            pathKind = PathKind.REGEX;
            path = null;
            pathRegex = Pattern.compile(m.pathRegex());
        } else {
            pathKind = PathKind.PREFIX;
            path = m.pathPrefix();
            pathRegex = null;
        }
        methods = m.methods().toArray(new String[0]);
        headers = conditions(m.headers());
        query = conditions(m.query());
        sniWildcard = m.sni() != null && m.sni().startsWith("*.");
        sni = m.sni() == null ? null : sniWildcard ? m.sni().substring(1) : m.sni();
        tls = m.sni() != null ? Boolean.TRUE : m.tls();
    }

    private static Condition[] conditions(List<HeaderMatch> list) {
        return list.stream().map(Condition::of).toArray(Condition[]::new);
    }

    /**
     * The first path segment a request must have for this route to match ({@code api} for the
     * prefix {@code /api/} or the path {@code /api}), or null when the route does not pin one.
     */
    String firstSegment() {
        if (pathKind == PathKind.REGEX) {
            return null;
        }
        int end = path.indexOf('/', 1);
        if (end > 1) {
            return path.substring(1, end);
        }
        // "/api" exactly pins its segment; as a prefix it also matches "/apix", so it does not.
        return pathKind == PathKind.EXACT && path.length() > 1 ? path.substring(1) : null;
    }

    /** Whether the request meets every condition; {@code pathEnd} is where the target's query starts (or its length). */
    boolean matches(RequestView r, String target, int pathEnd) {
        switch (pathKind) {
            case EXACT -> {
                if (pathEnd != path.length() || !target.startsWith(path)) {
                    return false;
                }
            }
            case PREFIX -> {
                if (path.length() > pathEnd || !target.startsWith(path)) {
                    return false;
                }
            }
            case REGEX -> {
                if (!pathRegex.matcher(target).region(0, pathEnd).matches()) {
                    return false;
                }
            }
        }
        if (methods.length > 0 && !hasMethod(r.method())) {
            return false;
        }
        if (tls != null && tls != r.tls()) {
            return false;
        }
        if (sni != null) {
            String name = r.sni();
            if (name == null || (sniWildcard ? !name.endsWith(sni) || name.indexOf('.') != name.length() - sni.length() : !name.equals(sni))) {
                return false;
            }
        }
        for (Condition c : headers) {
            if (!c.test(r.header(c.name()))) {
                return false;
            }
        }
        for (Condition c : query) {
            if (!c.test(queryParameter(target, pathEnd, c.name()))) {
                return false;
            }
        }
        return true;
    }

    private boolean hasMethod(String method) {
        for (String m : methods) {
            if (m.equals(method)) {
                return true;
            }
        }
        return false;
    }

    /** The first value of a query parameter, percent-decoded, or null. */
    static String queryParameter(String target, int pathEnd, String name) {
        int i = pathEnd + 1;
        int n = target.length();
        while (i < n) {
            int amp = target.indexOf('&', i);
            int end = amp < 0 ? n : amp;
            int eq = target.indexOf('=', i);
            int nameEnd = eq < 0 || eq > end ? end : eq;
            if (nameEnd - i == name.length() && target.startsWith(name, i)) {
                if (nameEnd == end) {
                    return "";
                }
                try {
                    return URLDecoder.decode(target.substring(nameEnd + 1, end), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return target.substring(nameEnd + 1, end); // malformed escapes: compare as sent
                }
            }
            i = end + 1;
        }
        return null;
    }
}
