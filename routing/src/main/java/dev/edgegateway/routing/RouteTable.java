package dev.edgegateway.routing;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.RouteConfig;
import dev.edgegateway.config.WeightedCluster;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.EndpointRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Route matching, compiled once per config snapshot. Immutable and thread-safe.
 *
 * <p>Order (documented in docs/config.md): the request's host selects a group of routes, most
 * specific first: routes for exactly that host, then for the longest matching {@code *.suffix},
 * then for any host ({@code *}). Within a group, the first route in config order whose conditions
 * all hold wins; if none does, the next group is tried. Lookups use no regex unless a route asks
 * for one, and allocate nothing: within a group, routes that pin their first path segment
 * ({@code /api/...}) are indexed by it, so only those for the request's segment and those that
 * pin none are tested, still in config order.
 */
public final class RouteTable {
    private final Map<String, Group> exact;
    private final Map<String, Group> suffixes;
    private final Group any;
    private final List<Route> routes;
    private final Map<String, Cluster> clusters;

    private final GeoResolver geo;

    private RouteTable(Map<String, Group> exact, Map<String, Group> suffixes, Group any, List<Route> routes, Map<String, Cluster> clusters,
                       GeoResolver geo) {
        this.geo = geo;
        this.exact = exact;
        this.suffixes = suffixes;
        this.any = any;
        this.routes = routes;
        this.clusters = clusters;
    }

    /**
     * Releases what the table opened (the GeoIP database's mapping): when a reload that built it
     * is rejected, or once the table is retired and no request can route with it any more.
     */
    public void close() {
        geo.close();
    }

    /** The client's region as the {@code geo} section says (header, country, CIDR, default), or null. */
    public String clientRegion(RequestView r) {
        return geo.region(r);
    }

    /** Whether the table has a file open ({@link #close} releases it). */
    public boolean holdsFiles() {
        return geo.holdsFile();
    }

    /** Compiles and commits at once: for callers with no reload to reject (tests, benchmarks). */
    public static RouteTable compile(GatewayConfig config, EndpointRegistry registry) {
        EndpointRegistry.Stage stage = registry.stage();
        RouteTable t = compile(config, stage);
        stage.commit();
        return t;
    }

    /**
     * The first phase of a reload: the table, built against {@code stage} (existing endpoint and
     * cluster state found, new state made but not added, cluster settings recorded). Nothing
     * serving changes until the stage is committed. Throws {@link dev.edgegateway.config.ConfigFieldException}
     * for a file the config names that cannot be used (the GeoIP database).
     */
    public static RouteTable compile(GatewayConfig config, EndpointRegistry.Stage stage) {
        LongSupplier clock = stage::nanoTime;
        Map<String, Cluster> clusters = new LinkedHashMap<>();
        for (ClusterConfig c : config.clusters()) {
            List<Endpoint> endpoints = new ArrayList<>();
            for (HostPort address : c.endpoints()) {
                endpoints.add(stage.endpoint(c.name(), address));
            }
            ClusterHealth health = stage.cluster(c.name());
            stage.configure(health, c, endpoints);
            clusters.put(c.name(), new Cluster(c.name(), c, endpoints, health,
                    LoadBalancer.of(c.balancer(), endpoints, health, clock)));
        }
        GeoResolver geo = new GeoResolver(config.geo());
        List<Route> routes = new ArrayList<>();
        Map<String, List<Route>> exactLists = new LinkedHashMap<>();
        Map<String, List<Route>> suffixLists = new LinkedHashMap<>();
        List<Route> anyList = new ArrayList<>();
        for (int i = 0; i < config.routes().size(); i++) {
            RouteConfig rc = config.routes().get(i);
            List<Cluster> used = new ArrayList<>();
            for (String name : new LinkedHashSet<>(rc.clusterNames())) {
                used.add(clusters.get(name));
            }
            RouteTarget target;
            if (rc.cluster() != null) {
                target = new RouteTarget.Single();
            } else if (!rc.split().isEmpty()) {
                // Weights per distinct cluster, in order of first mention.
                Map<String, Integer> weights = new LinkedHashMap<>();
                for (WeightedCluster w : rc.split()) {
                    weights.merge(w.cluster(), w.weight(), Integer::sum);
                }
                int canarySlot = rc.canary() == null ? -1 : new ArrayList<>(weights.keySet()).indexOf(rc.canary().cluster());
                target = new RouteTarget.Split(new ArrayList<>(weights.values()), rc.splitKey(), rc.canary(), canarySlot);
            } else if (rc.geo() != null) {
                target = new RouteTarget.Geo(rc.geo(), geo, used, clock);
            } else {
                target = new RouteTarget.Single(); // answers by itself: no cluster is ever picked
            }
            Sticky sticky = rc.sticky() == null ? null : new Sticky(rc.sticky(), clock);
            Route route = new Route(rc.name(), i, new RouteMatcher(rc.match()), used, target, sticky);
            routes.add(route);
            String host = rc.match().host();
            if (host.equals("*")) {
                anyList.add(route);
            } else if (host.startsWith("*.")) {
                suffixLists.computeIfAbsent(host.substring(1), h -> new ArrayList<>()).add(route);
            } else {
                exactLists.computeIfAbsent(host, h -> new ArrayList<>()).add(route);
            }
        }
        Map<String, Group> exact = new HashMap<>();
        exactLists.forEach((h, list) -> exact.put(h, new Group(list)));
        Map<String, Group> suffixes = new HashMap<>();
        suffixLists.forEach((h, list) -> suffixes.put(h, new Group(list)));
        return new RouteTable(Map.copyOf(exact), Map.copyOf(suffixes), new Group(anyList), List.copyOf(routes), Map.copyOf(clusters), geo);
    }

    /**
     * The route for a request, or null.
     *
     * @param host the request's host, lower case, without port (may be empty)
     * @param r the request (its target is the origin-form path and query)
     */
    public Route match(String host, RequestView r) {
        String target = r.target();
        int pathEnd = target.indexOf('?');
        if (pathEnd < 0) {
            pathEnd = target.length();
        }
        Group g = exact.get(host);
        if (g != null) {
            Route route = g.match(r, target, pathEnd);
            if (route != null) {
                return route;
            }
        }
        if (!suffixes.isEmpty()) {
            // Longest suffix first: ".b.example.com" before ".example.com".
            for (int dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
                g = suffixes.get(host.substring(dot));
                if (g != null) {
                    Route route = g.match(r, target, pathEnd);
                    if (route != null) {
                        return route;
                    }
                }
            }
        }
        return any.match(r, target, pathEnd);
    }

    /** Routes in config order; {@link Route#index()} is the position here. */
    public List<Route> routes() {
        return routes;
    }

    public Map<String, Cluster> clusters() {
        return clusters;
    }

    /** The routes of one host group, indexed by the first path segment they pin. */
    private static final class Group {
        private static final Route[] NONE = new Route[0];
        private final SegmentIndex bySegment;
        private final Route[] unpinned;

        Group(List<Route> routes) {
            Map<String, List<Route>> pinned = new LinkedHashMap<>();
            List<Route> rest = new ArrayList<>();
            for (Route r : routes) {
                String segment = r.matcher().firstSegment();
                if (segment == null) {
                    rest.add(r);
                } else {
                    pinned.computeIfAbsent(segment, s -> new ArrayList<>()).add(r);
                }
            }
            bySegment = new SegmentIndex(pinned);
            unpinned = rest.toArray(NONE);
        }

        Route match(RequestView r, String target, int pathEnd) {
            int segEnd = 1;
            while (segEnd < pathEnd && target.charAt(segEnd) != '/') {
                segEnd++;
            }
            Route[] a = bySegment.get(target, 1, segEnd);
            Route[] b = unpinned;
            int i = 0;
            int j = 0;
            // Merge the two lists by config order; the first route whose conditions hold wins.
            while (i < a.length || j < b.length) {
                Route next = j >= b.length || (i < a.length && a[i].index() < b[j].index()) ? a[i++] : b[j++];
                if (next.matcher().matches(r, target, pathEnd)) {
                    return next;
                }
            }
            return null;
        }
    }

    /** Open-addressing map from a path segment to routes, looked up by a region of the target without copying it. */
    private static final class SegmentIndex {
        private final String[] keys;
        private final Route[][] values;
        private final int mask;

        SegmentIndex(Map<String, List<Route>> entries) {
            int size = Integer.highestOneBit(Math.max(1, entries.size()) * 4 - 1) << 1;
            keys = new String[size];
            values = new Route[size][];
            mask = size - 1;
            entries.forEach((k, v) -> {
                int slot = hash(k, 0, k.length()) & mask;
                while (keys[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = k;
                values[slot] = v.toArray(Group.NONE);
            });
        }

        private static int hash(String s, int from, int to) {
            int h = 0;
            for (int i = from; i < to; i++) {
                h = 31 * h + s.charAt(i);
            }
            return h ^ (h >>> 16);
        }

        Route[] get(String target, int from, int to) {
            int len = to - from;
            for (int slot = hash(target, from, to) & mask; keys[slot] != null; slot = (slot + 1) & mask) {
                String k = keys[slot];
                if (k.length() == len && target.regionMatches(from, k, 0, len)) {
                    return values[slot];
                }
            }
            return Group.NONE;
        }
    }
}
