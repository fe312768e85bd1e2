package dev.edgegateway.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What a route matches. Every condition given must hold.
 *
 * @param host a host name (case-insensitive, no port), {@code *.example.com} for any name ending
 *     in {@code .example.com}, or {@code *} for any host
 * @param path the exact path (without query)
 * @param pathPrefix a path prefix starting with {@code /} (plain string comparison); the default
 *     {@code /} matches every path
 * @param pathRegex a regular expression the whole path must match (only where a prefix will not do)
 * @param methods request methods, e.g. {@code [GET, HEAD]}; any when empty
 * @param headers conditions on request headers
 * @param query conditions on query parameters
 * @param sni the TLS server name the client asked for (exact, or {@code *.example.com}); a
 *     clear-text request, or one whose client sent no SNI, does not match
 * @param tls true: only requests that arrived over TLS; false: only clear-text ones; absent: either
 */
public record RouteMatch(String host, String path, String pathPrefix, String pathRegex, List<String> methods,
                         List<HeaderMatch> headers, List<HeaderMatch> query, String sni, Boolean tls) {
    public static final RouteMatch ANY = new RouteMatch(null, null, null, null, null, null, null, null, null);

    public RouteMatch(String host, String pathPrefix) {
        this(host, null, pathPrefix, null, null, null, null, null, null);
    }

    public RouteMatch {
        host = host == null ? "*" : host.toLowerCase(Locale.ROOT);
        int paths = (path != null ? 1 : 0) + (pathPrefix != null ? 1 : 0) + (pathRegex != null ? 1 : 0);
        if (paths == 0) {
            pathPrefix = "/";
        }
        methods = methods == null ? List.of() : methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
        headers = headers == null ? List.of() : headers.stream().map(HeaderMatch::lowerCaseName).toList();
        query = query == null ? List.of() : List.copyOf(query);
        sni = sni == null ? null : sni.toLowerCase(Locale.ROOT);
        var v = ConfigViolation.collector();
        String bareSni = sni != null && sni.startsWith("*.") ? sni.substring(2) : sni;
        v.check(sni == null || bareSni.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?"), "sni",
                "expected a server name (api.example.com) or *.example.com, found '" + sni + "'");
        v.check(sni == null || tls == null || tls, "tls", "sni matches only TLS requests: tls: false contradicts it");
        String bare = host.startsWith("*.") ? host.substring(2) : host;
        v.check(host.equals("*") || bare.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?"), "host",
                "expected a host name without port (e.g. api.example.com), *.example.com or *, found '" + host + "'");
        v.check(paths <= 1, "path", "set at most one of path, pathPrefix and pathRegex");
        v.check(path == null || path.startsWith("/"), "path", "must start with '/', found '" + path + "'");
        v.check(pathPrefix == null || pathPrefix.startsWith("/"), "pathPrefix", "must start with '/', found '" + pathPrefix + "'");
        if (pathRegex != null) {
            try {
                Pattern.compile(pathRegex);
            } catch (PatternSyntaxException e) {
                v.add("pathRegex", "not a valid regular expression: " + e.getDescription());
            }
        }
        for (int i = 0; i < headers.size(); i++) {
            String name = headers.get(i).name();
            v.check(HeaderRules.TOKEN.matcher(name).matches(), "headers[" + i + "].name", "'" + name + "' is not a header name");
        }
        for (int i = 0; i < methods.size(); i++) {
            v.check(methods.get(i).matches("[A-Z]+"), "methods[" + i + "]", "expected a method such as GET, found '" + methods.get(i) + "'");
        }
        v.throwIfAny();
    }

    /**
     * Whether this match, a route's listed before {@code later}'s, holds for every request that
     * {@code later}'s holds for, so that {@code later} is never chosen (the first route whose
     * conditions hold wins within a host). Only what can be told for certain: the same host, no
     * header, query or regex condition here, an SNI or TLS condition only if {@code later} has the
     * same, methods only if they include all of {@code later}'s, and a path prefix that {@code later}'s
     * path or prefix starts with (or the same exact path). Never a false alarm; some shadowing it
     * cannot prove (a regex covering a prefix) goes unreported.
     */
    public boolean covers(RouteMatch later) {
        if (!host.equals(later.host) || !headers.isEmpty() || !query.isEmpty() || pathRegex != null
                || sni != null && !sni.equals(later.sni) || tls != null && !tls.equals(later.tls)
                || !methods.isEmpty() && (later.methods.isEmpty() || !methods.containsAll(later.methods))) {
            return false;
        }
        if (path != null) {
            return path.equals(later.path);
        }
        return pathPrefix.equals("/") || later.path != null && later.path.startsWith(pathPrefix)
                || later.pathPrefix != null && later.pathPrefix.startsWith(pathPrefix);
    }
}
