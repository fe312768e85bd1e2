package dev.edgegateway.config;

/** A route: requests that {@code match} go to {@code cluster}. */
public record RouteConfig(String name, RouteMatch match, String cluster) {
    public RouteConfig {
        match = match == null ? RouteMatch.ANY : match;
        ConfigViolation.collector().require(name, "name").require(cluster, "cluster").throwIfAny();
    }
}
