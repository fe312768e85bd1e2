package dev.edgegateway.routing;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/** An available endpoint chosen uniformly at random. */
public final class RandomBalancer extends AvailabilityBalancer {
    public RandomBalancer(List<Endpoint> endpoints, ClusterHealth health, LongSupplier nanoClock) {
        super(endpoints, health, nanoClock);
    }

    @Override
    Endpoint choose(long now, boolean panic, int ring, TriedEndpoints avoid) {
        return scanFrom(ThreadLocalRandom.current().nextInt(ring), now, panic, avoid);
    }
}
