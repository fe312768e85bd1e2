package dev.edgegateway.routing;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Each available endpoint in turn, skipping those that are unhealthy, ejected or behind an open
 * breaker. Panic mode (Envoy's): when the available share falls below the cluster's
 * {@code panicThreshold}, every endpoint takes traffic again, because concentrating all load on
 * the few survivors would take them down too. Lock-free; the counter is shared by all event loops.
 */
public final class RoundRobinBalancer implements LoadBalancer {
    private final Endpoint[] endpoints;
    private final ClusterHealth health;
    private final LongSupplier nanoClock;
    private final AtomicInteger next = new AtomicInteger();

    public RoundRobinBalancer(List<Endpoint> endpoints, ClusterHealth health, LongSupplier nanoClock) {
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.health = health;
        this.nanoClock = nanoClock;
    }

    @Override
    public Endpoint pick(Endpoint avoid) {
        Endpoint[] e = endpoints;
        int n = e.length;
        if (n == 0) {
            return null;
        }
        long now = nanoClock.getAsLong();
        int available = 0;
        for (Endpoint x : e) {
            if (x.isAvailable(now)) {
                available++;
            }
        }
        boolean panic = available * 100 < health.config().panicThreshold() * n;
        int ring = panic ? n : available;
        if (ring == 0) {
            return null;
        }
        // The turn counts over the available endpoints only: skipping an unavailable one and
        // taking its neighbour would give that neighbour twice its share.
        int skip = Math.floorMod(next.getAndIncrement(), ring);
        Endpoint fallback = null;
        for (int i = 0, seen = 0; i < 2 * n; i++) {
            Endpoint candidate = e[i % n];
            if (!panic && !candidate.isAvailable(now)) {
                continue;
            }
            if (seen++ < skip) {
                continue;
            }
            if (panic || candidate.tryUse(now)) {
                if (candidate != avoid || n == 1) {
                    return candidate;
                }
                fallback = candidate;
            }
        }
        return fallback;
    }
}
