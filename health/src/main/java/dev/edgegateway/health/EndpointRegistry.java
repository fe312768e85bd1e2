package dev.edgegateway.health;

import dev.edgegateway.config.HostPort;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The runtime state of every cluster and endpoint, keyed by cluster name and (cluster, address),
 * living beside the config snapshots rather than inside them so that it survives reloads.
 * Thread-safe.
 */
public final class EndpointRegistry {
    private record Key(String cluster, HostPort address) {}

    private final Map<Key, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Map<String, ClusterHealth> clusters = new ConcurrentHashMap<>();
    private final HealthEvents events;
    private final LongSupplier nanoClock;

    public EndpointRegistry() {
        this(HealthEvents.NONE, System::nanoTime);
    }

    /**
     * @param events told of ejections, breaker openings and check results
     * @param nanoClock the time source for ejection and breaker timing (tests pass their own)
     */
    public EndpointRegistry(HealthEvents events, LongSupplier nanoClock) {
        this.events = events;
        this.nanoClock = nanoClock;
    }

    public ClusterHealth cluster(String name) {
        return clusters.computeIfAbsent(name, n -> new ClusterHealth(n, events));
    }

    /** The endpoint with this identity: the existing one if known, else a new one. */
    public Endpoint endpoint(String cluster, HostPort address) {
        return endpoints.computeIfAbsent(new Key(cluster, address), k -> new Endpoint(k.cluster(), k.address(), cluster(k.cluster())));
    }

    /** Forgets endpoints not in {@code keep} (after a reload removed them and they drained). */
    public void retainAll(Set<Endpoint> keep) {
        endpoints.values().removeIf(e -> !keep.contains(e));
    }

    public Collection<Endpoint> all() {
        return endpoints.values();
    }

    public long nanoTime() {
        return nanoClock.getAsLong();
    }
}
