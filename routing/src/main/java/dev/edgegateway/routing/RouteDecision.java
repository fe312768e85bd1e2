package dev.edgegateway.routing;

/**
 * What routing decided for one request, beyond the endpoint: which of the route's clusters
 * (its slot, for per-cluster meters), whether stickiness held, the cookie to set, and a region
 * failover. One per exchange, made with it and filled by the route's pick, so deciding itself
 * allocates nothing. Confined to the connection's event loop.
 */
public final class RouteDecision {
    int clusterSlot;
    String setCookie;
    StickyOutcome sticky = StickyOutcome.NONE;
    String clientRegion;
    String servedRegion;
    /** Geo: the client's region and the one serving, as indexes into the route's region list; -1 if not geo. */
    int homeRegion = -1;
    int servedRegionIndex = -1;
    /** Ring-hash stickiness: the key's hash, so a retry can go to the key's next owner. */
    boolean ringKeyed;
    long ringHash;

    /** How a sticky route's endpoint was chosen. */
    public enum StickyOutcome {
        /** The route is not sticky. */
        NONE,
        /** The key's endpoint was available and took the request. */
        HIT,
        /** No key yet, or its endpoint was not available: a new endpoint was chosen. */
        MISS
    }

    public void reset() {
        clusterSlot = 0;
        setCookie = null;
        sticky = StickyOutcome.NONE;
        clientRegion = null;
        servedRegion = null;
        homeRegion = -1;
        servedRegionIndex = -1;
        ringKeyed = false;
        ringHash = 0;
    }

    /** The chosen cluster's position in {@link Route#clusters()}. */
    public int clusterSlot() {
        return clusterSlot;
    }

    /** A {@code Set-Cookie} value to add to the response, or null. */
    public String setCookie() {
        return setCookie;
    }

    public StickyOutcome sticky() {
        return sticky;
    }

    /** For a geo route: the client's region, or null if unknown. */
    public String clientRegion() {
        return clientRegion;
    }

    /** For a geo route: the region that serves the request; differs from the client's on failover. */
    public String servedRegion() {
        return servedRegion;
    }

    /** True when a geo route sent the request away from the client's own region. */
    public boolean failedOver() {
        return servedRegion != null && clientRegion != null && !servedRegion.equals(clientRegion);
    }
}
