package dev.edgegateway.routing;

import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Each endpoint in turn. Lock-free; the counter is shared by all event loops. */
public final class RoundRobinBalancer implements LoadBalancer {
    private final Endpoint[] endpoints;
    private final AtomicInteger next = new AtomicInteger();

    public RoundRobinBalancer(List<Endpoint> endpoints) {
        this.endpoints = endpoints.toArray(new Endpoint[0]);
    }

    @Override
    public Endpoint pick() {
        Endpoint[] e = endpoints;
        if (e.length == 0) {
            return null;
        }
        return e[Math.floorMod(next.getAndIncrement(), e.length)];
    }
}
