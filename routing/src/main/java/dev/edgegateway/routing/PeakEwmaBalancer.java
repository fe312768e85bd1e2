package dev.edgegateway.routing;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Power of two choices over peak EWMA cost, as Finagle's and Linkerd's balancers do: two distinct
 * available endpoints at random, and the one with the lower {@link Endpoint#cost} (latency
 * average times requests in flight plus one). A slow or overloaded endpoint loses most
 * comparisons at once; as its average decays while it is passed over, it is tried again, so it
 * gets traffic back when it recovers. Two random choices rather than the global minimum keep
 * gateways (and event loops) that share a stale view from all herding onto the same endpoint.
 */
public final class PeakEwmaBalancer extends AvailabilityBalancer {
    public PeakEwmaBalancer(List<Endpoint> endpoints, ClusterHealth health, LongSupplier nanoClock) {
        super(endpoints, health, nanoClock);
    }

    @Override
    Endpoint choose(long now, boolean panic, int ring, TriedEndpoints avoid) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (ring >= 2) {
            int a = random.nextInt(ring);
            int b = random.nextInt(ring - 1);
            if (b >= a) {
                b++;
            }
            Endpoint ea = nth(a, now, panic);
            Endpoint eb = nth(b, now, panic);
            if (ea != null && eb != null) {
                if (avoid != null && avoid.contains(ea)) {
                    ea = eb;
                } else if (avoid != null && avoid.contains(eb)) {
                    eb = ea;
                }
                if (avoid != null && avoid.contains(ea)) {
                    return scanFrom(random.nextInt(ring), now, panic, avoid); // both tried: look further
                }
                Endpoint first = ea.cost(now) <= eb.cost(now) ? ea : eb;
                Endpoint second = first == ea ? eb : ea;
                if (panic || first.tryUse(now)) {
                    return first;
                }
                if (second != first && second.tryUse(now)) {
                    return second;
                }
            }
        }
        return scanFrom(random.nextInt(ring), now, panic, avoid);
    }
}
