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
        int start = next.getAndIncrement();
        int available = 0;
        for (Endpoint x : e) {
            if (x.isAvailable(now)) {
                available++;
            }
        }
        boolean panic = available * 100 < health.config().panicThreshold() * n;
        Endpoint fallback = null;
        for (int i = 0; i < n; i++) {
            Endpoint candidate = e[Math.floorMod(start + i, n)];
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
