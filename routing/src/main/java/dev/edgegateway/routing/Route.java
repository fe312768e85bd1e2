package dev.edgegateway.routing;

import dev.edgegateway.health.Endpoint;
import java.util.List;

/**
 * A compiled route: its conditions, the clusters it may send to and how it chooses among them,
 * and its stickiness. Immutable and thread-safe.
 *
 * <p>{@link #index()} is the route's position in the config, so per-route data can live in arrays.
 */
public final class Route {
    private final String name;
    private final int index;
    private final RouteMatcher matcher;
    private final List<Cluster> clusters;
    private final RouteTarget target;
    private final Sticky sticky;

    Route(String name, int index, RouteMatcher matcher, List<Cluster> clusters, RouteTarget target, Sticky sticky) {
        this.name = name;
        this.index = index;
        this.matcher = matcher;
        this.clusters = List.copyOf(clusters);
        this.target = target;
        this.sticky = sticky;
    }

    public String name() {
        return name;
    }

    public int index() {
        return index;
    }

    /** Every cluster this route may send to, without repeats; a decision's slot indexes this. */
    public List<Cluster> clusters() {
        return clusters;
    }

    RouteMatcher matcher() {
        return matcher;
    }

    /** A split route's weights, which a rollout moves while the route serves; null for any other route. */
    public SplitWeights splitWeights() {
        return target instanceof RouteTarget.Split s ? s.weights() : null;
    }

    /** Chooses the cluster for a request (split, canary, geo); the slot is in the decision. */
    public Cluster selectCluster(RequestView r, RouteDecision d) {
        int slot = target.pick(r, d);
        d.clusterSlot = slot;
        return clusters.get(slot);
    }

    /**
     * The endpoint for the request's first try, claimed: the sticky one where the route is sticky
     * and it is available, else the cluster balancer's choice. Null when none is available.
     */
    public Endpoint pickEndpoint(Cluster cluster, RequestView r, RouteDecision d) {
        return sticky == null ? cluster.balancer().pick() : sticky.pick(cluster, r, d);
    }

    /**
     * The endpoint for a retry after those {@code tried} did not take the request, claimed: on a
     * route sticky by consistent hash, the key's next owner on the ring (where the key moves once
     * the failed endpoint is ejected, so the client moves once, not twice); else the balancer's
     * choice passing over the tried ones if another will do. Null when none is available.
     */
    public Endpoint retryEndpoint(Cluster cluster, RequestView r, RouteDecision d, TriedEndpoints tried) {
        if (sticky != null && d.ringKeyed) {
            Endpoint next = sticky.nextOwner(cluster, d, tried);
            if (next != null) {
                return next;
            }
        }
        return cluster.balancer().pick(tried);
    }

    /**
     * Geo routes: the cluster of the next region in the client's failover order after the one
     * that just failed to connect, or null (not a geo route, or no region left). The decision then
     * names the new serving region and cluster slot. Health checks take seconds to see a region
     * die; this lets the request that found it dead go on at once.
     */
    public Cluster failover(RouteDecision d) {
        int slot = target.nextRegion(d);
        if (slot < 0) {
            return null;
        }
        d.clusterSlot = slot;
        return clusters.get(slot);
    }

    @Override
    public String toString() {
        return "route " + name;
    }
}
