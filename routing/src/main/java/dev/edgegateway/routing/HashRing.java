package dev.edgegateway.routing;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.Arrays;
import java.util.List;

/**
 * Consistent hashing on a ring (Ketama style): each endpoint owns {@link #POINTS_PER_ENDPOINT}
 * points, a key goes to the owner of the first point at or after its hash, walking on past
 * owners that are unavailable. So when one of N endpoints leaves, only its keys (about 1/N) move,
 * each to the next owner on the ring, and they move back when it returns. With a bounded load
 * factor c, an owner that already has more than c times the average requests in flight is
 * passed over too (consistent hashing with bounded loads, Mirrokni et al.), trading some
 * stickiness for never overloading one endpoint with a hot key. Immutable; built per snapshot.
 */
final class HashRing {
    static final int POINTS_PER_ENDPOINT = 160;

    private final long[] points;
    private final Endpoint[] owners;
    private final Endpoint[] endpoints;

    HashRing(List<Endpoint> endpoints, List<String> ids) {
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        int n = endpoints.size() * POINTS_PER_ENDPOINT;
        long[] raw = new long[n];
        Endpoint[] byIndex = new Endpoint[n];
        int k = 0;
        for (int e = 0; e < endpoints.size(); e++) {
            for (int p = 0; p < POINTS_PER_ENDPOINT; p++) {
                raw[k] = Hashing.hash64(ids.get(e) + "#" + p);
                byIndex[k] = endpoints.get(e);
                k++;
            }
        }
        // Sort points, carrying owners along (index sort over a boxed-free array).
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compareUnsigned(raw[a], raw[b]));
        this.points = new long[n];
        this.owners = new Endpoint[n];
        for (int i = 0; i < n; i++) {
            points[i] = raw[order[i]];
            owners[i] = byIndex[order[i]];
        }
    }

    /**
     * The endpoint for a key hash, claimed ({@link Endpoint#tryUse}), or null if none on the ring
     * is available (the caller falls back to its balancer, which knows panic mode). Endpoints in
     * {@code skip} (or null) are passed over as if unavailable: a retry's way to the key's next owner.
     */
    Endpoint pick(long hash, long now, double boundedLoad, ClusterHealth health, TriedEndpoints skip) {
        int n = points.length;
        if (n == 0) {
            return null;
        }
        int threshold = Integer.MAX_VALUE;
        if (boundedLoad > 0) {
            int available = 0;
            int inFlight = 0;
            for (Endpoint e : endpoints) {
                if (e.isAvailable(now)) {
                    available++;
                    inFlight += e.inFlight();
                }
            }
            if (available == 0) {
                return null;
            }
            threshold = (int) Math.ceil(boundedLoad * (inFlight + 1) / available);
        }
        int i = search(hash);
        for (int step = 0; step < n; step++) {
            Endpoint e = owners[(i + step) % n];
            if ((skip == null || !skip.contains(e)) && e.isAvailable(now) && e.inFlight() + 1 <= threshold && e.tryUse(now)) {
                return e;
            }
        }
        return null;
    }

    /** Index of the first point at or after {@code hash} (unsigned), wrapping to 0. */
    private int search(long hash) {
        int lo = 0;
        int hi = points.length - 1;
        if (Long.compareUnsigned(hash, points[hi]) > 0) {
            return 0;
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(points[mid], hash) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
