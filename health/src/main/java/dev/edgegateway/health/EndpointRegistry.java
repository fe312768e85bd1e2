package dev.edgegateway.health;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.HostPort;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
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

    /**
     * Forgets the clusters and endpoints a committed config no longer names. Requests still
     * holding one finish with it (it is an object they reference, not a registry entry); a later
     * config that names the address again starts it afresh.
     */
    public void retain(Set<String> liveClusters, Set<Endpoint> liveEndpoints) {
        endpoints.values().removeIf(e -> !liveEndpoints.contains(e));
        clusters.keySet().removeIf(name -> !liveClusters.contains(name));
    }

    /** The clusters known now (state kept across reloads), by name. */
    public Set<String> clusterNames() {
        return Set.copyOf(clusters.keySet());
    }

    /** A reload's view of the registry; nothing it does is seen by traffic before {@link Stage#commit()}. */
    public Stage stage() {
        return new Stage();
    }

    /**
     * The first phase of a reload: existing clusters and endpoints are found (their state carries
     * over), new ones are made but not added, and cluster settings are recorded, not applied.
     * {@link #commit()} adds and applies them; a stage that is dropped leaves the registry as it was.
     */
    public final class Stage {
        private final Map<Key, Endpoint> newEndpoints = new LinkedHashMap<>();
        private final Map<String, ClusterHealth> newClusters = new LinkedHashMap<>();
        private final List<Runnable> settings = new ArrayList<>();

        public ClusterHealth cluster(String name) {
            ClusterHealth live = clusters.get(name);
            return live != null ? live : newClusters.computeIfAbsent(name, n -> new ClusterHealth(n, events));
        }

        public Endpoint endpoint(String cluster, HostPort address) {
            Key key = new Key(cluster, address);
            Endpoint live = endpoints.get(key);
            return live != null ? live : newEndpoints.computeIfAbsent(key, k -> new Endpoint(k.cluster(), k.address(), cluster(k.cluster())));
        }

        /** Records a cluster's settings and endpoints, applied at {@link #commit()}. */
        public void configure(ClusterHealth health, ClusterConfig config, List<Endpoint> members) {
            settings.add(() -> health.configure(config, members));
        }

        /** Adds the new clusters and endpoints and applies every cluster's settings. Cannot fail. */
        public void commit() {
            newClusters.forEach(clusters::putIfAbsent);
            newEndpoints.forEach(endpoints::putIfAbsent);
            settings.forEach(Runnable::run);
        }

        public long nanoTime() {
            return nanoClock.getAsLong();
        }
    }

    public Collection<Endpoint> all() {
        return endpoints.values();
    }

    public long nanoTime() {
        return nanoClock.getAsLong();
    }
}
