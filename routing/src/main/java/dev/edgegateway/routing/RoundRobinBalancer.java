package dev.edgegateway.routing;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Each available endpoint in turn. The turn counts over the available endpoints only: skipping
 * an unavailable one and taking its neighbour would give that neighbour twice its share.
 */
public final class RoundRobinBalancer extends AvailabilityBalancer {
    private final AtomicInteger next = new AtomicInteger();

    public RoundRobinBalancer(List<Endpoint> endpoints, ClusterHealth health, LongSupplier nanoClock) {
        super(endpoints, health, nanoClock);
    }

    @Override
    Endpoint choose(long now, boolean panic, int ring, TriedEndpoints avoid) {
        return scanFrom(Math.floorMod(next.getAndIncrement(), ring), now, panic, avoid);
    }
}
