package dev.edgegateway.routing;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What every balancer shares: the set it chooses from is the available endpoints (not unhealthy,
 * not ejected, breaker not open), unless fewer than the cluster's {@code panicThreshold} percent
 * are available, when it is all of them (Envoy's panic mode: concentrating all load on the few
 * survivors would take them down too). Lock-free; shared by all event loops.
 */
abstract class AvailabilityBalancer implements LoadBalancer {
    final Endpoint[] endpoints;
    final ClusterHealth health;
    final LongSupplier nanoClock;

    AvailabilityBalancer(List<Endpoint> endpoints, ClusterHealth health, LongSupplier nanoClock) {
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.health = health;
        this.nanoClock = nanoClock;
    }

    @Override
    public final Endpoint pick(TriedEndpoints avoid) {
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
        return choose(now, panic, ring, avoid);
    }

    /** Chooses among {@code ring} candidates ({@link #nth}); claims the endpoint it returns. */
    abstract Endpoint choose(long now, boolean panic, int ring, TriedEndpoints avoid);

    /** The k-th candidate (0-based) in endpoint order. */
    final Endpoint nth(int k, long now, boolean panic) {
        for (Endpoint x : endpoints) {
            if ((panic || x.isAvailable(now)) && k-- == 0) {
                return x;
            }
        }
        return null; // availability changed under us; the caller scans
    }

    /**
     * From the {@code skip}-th candidate on, the first that can be claimed and is not in
     * {@code avoid}; one in {@code avoid} if nothing else will do.
     */
    final Endpoint scanFrom(int skip, long now, boolean panic, TriedEndpoints avoid) {
        Endpoint[] e = endpoints;
        int n = e.length;
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
                if (avoid == null || !avoid.contains(candidate) || n == 1) {
                    return candidate;
                }
                fallback = candidate;
            }
        }
        return fallback;
    }
}
