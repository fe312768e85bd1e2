package dev.edgegateway.health;

import dev.edgegateway.config.HostPort;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runtime state of every endpoint, keyed by (cluster, address), living beside the config
 * snapshots rather than inside them. Thread-safe.
 */
public final class EndpointRegistry {
    private record Key(String cluster, HostPort address) {}

    private final Map<Key, Endpoint> endpoints = new ConcurrentHashMap<>();

    /** The endpoint with this identity: the existing one if known, else a new one. */
    public Endpoint endpoint(String cluster, HostPort address) {
        return endpoints.computeIfAbsent(new Key(cluster, address), k -> new Endpoint(k.cluster(), k.address()));
    }

    /** Forgets endpoints not in {@code keep} (after a reload removed them and they drained). */
    public void retainAll(Set<Endpoint> keep) {
        endpoints.values().removeIf(e -> !keep.contains(e));
    }

    public Collection<Endpoint> all() {
        return endpoints.values();
    }
}
