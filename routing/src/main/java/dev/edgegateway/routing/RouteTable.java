package dev.edgegateway.routing;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.RouteConfig;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.EndpointRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Host and path matching, compiled once per config snapshot. Immutable and thread-safe.
 *
 * <p>Order: routes for the request's exact host are tried before routes for any host ({@code *});
 * within each, the longest path prefix wins, and among equal prefixes the one listed first.
 * A prefix matches by plain string comparison: {@code /api} matches {@code /api/v1} and
 * {@code /apix}. No regular expression is involved.
 */
public final class RouteTable {
    private static final Route[] NONE = new Route[0];

    private final Map<String, Route[]> byHost;
    private final Route[] anyHost;
    private final List<Route> routes;
    private final Map<String, Cluster> clusters;

    private RouteTable(Map<String, Route[]> byHost, Route[] anyHost, List<Route> routes, Map<String, Cluster> clusters) {
        this.byHost = byHost;
        this.anyHost = anyHost;
        this.routes = routes;
        this.clusters = clusters;
    }

    public static RouteTable compile(GatewayConfig config, EndpointRegistry registry) {
        Map<String, Cluster> clusters = new LinkedHashMap<>();
        for (ClusterConfig c : config.clusters()) {
            List<Endpoint> endpoints = new ArrayList<>();
            for (HostPort address : c.endpoints()) {
                endpoints.add(registry.endpoint(c.name(), address));
            }
            ClusterHealth health = registry.cluster(c.name());
            health.configure(c, endpoints);
            clusters.put(c.name(), new Cluster(c.name(), c, List.copyOf(endpoints), health,
                    new RoundRobinBalancer(endpoints, health, registry::nanoTime)));
        }
        List<Route> routes = new ArrayList<>();
        Map<String, List<Route>> hosts = new HashMap<>();
        List<Route> any = new ArrayList<>();
        for (int i = 0; i < config.routes().size(); i++) {
            RouteConfig rc = config.routes().get(i);
            Route route = new Route(rc.name(), rc.match(), clusters.get(rc.cluster()), i);
            routes.add(route);
            if (rc.match().host().equals("*")) {
                any.add(route);
            } else {
                hosts.computeIfAbsent(rc.match().host(), h -> new ArrayList<>()).add(route);
            }
        }
        // Longest prefix first; the sort is stable, so config order breaks ties.
        Comparator<Route> longestFirst = Comparator.comparingInt((Route r) -> r.match().pathPrefix().length()).reversed();
        Map<String, Route[]> byHost = new HashMap<>();
        hosts.forEach((host, list) -> {
            list.sort(longestFirst);
            byHost.put(host, list.toArray(NONE));
        });
        any.sort(longestFirst);
        return new RouteTable(Map.copyOf(byHost), any.toArray(NONE), List.copyOf(routes), Map.copyOf(clusters));
    }

    /**
     * The route for a request, or null.
     *
     * @param host the request's host, lower case, without port (may be empty)
     * @param path the request path (origin-form, may include a query)
     */
    public Route match(String host, String path) {
        Route[] candidates = byHost.get(host);
        if (candidates != null) {
            Route r = firstPrefix(candidates, path);
            if (r != null) {
                return r;
            }
        }
        return firstPrefix(anyHost, path);
    }

    private static Route firstPrefix(Route[] candidates, String path) {
        for (Route r : candidates) {
            if (path.startsWith(r.match().pathPrefix())) {
                return r;
            }
        }
        return null;
    }

    /** Routes in config order; {@link Route#index()} is the position here. */
    public List<Route> routes() {
        return routes;
    }

    public Map<String, Cluster> clusters() {
        return clusters;
    }
}
