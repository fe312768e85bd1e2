package dev.edgegateway.routing;

import dev.edgegateway.config.RouteMatch;

/**
 * A compiled route.
 *
 * @param index the route's position in the config, so per-route data can live in arrays
 */
public record Route(String name, RouteMatch match, Cluster cluster, int index) {}
