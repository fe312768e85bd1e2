package dev.edgegateway.config;

import java.util.Locale;

/**
 * What a route matches.
 *
 * @param host a host name (case-insensitive, no port), or {@code *} for any host
 * @param pathPrefix a path prefix starting with {@code /}; {@code /} matches every path
 */
public record RouteMatch(String host, String pathPrefix) {
    public static final RouteMatch ANY = new RouteMatch(null, null);

    public RouteMatch {
        host = host == null ? "*" : host.toLowerCase(Locale.ROOT);
        pathPrefix = pathPrefix == null ? "/" : pathPrefix;
        ConfigViolation.collector()
                .check(host.equals("*") || host.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?"), "host",
                        "expected a host name without port (e.g. api.example.com) or *, found '" + host + "'")
                .check(pathPrefix.startsWith("/"), "pathPrefix", "must start with '/', found '" + pathPrefix + "'")
                .throwIfAny();
    }
}
