package dev.edgegateway.routing;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled cluster: its config, its endpoints and their shared state (stable runtime
 * identities across reloads), its balancer, and what stickiness needs: each endpoint's opaque
 * id (a hash of cluster and address: it names the endpoint without revealing the address, and
 * every gateway of a fleet computes the same one) and a hash ring. Immutable.
 */
public final class Cluster {
    private final String name;
    private final ClusterConfig config;
    private final List<Endpoint> endpoints;
    private final ClusterHealth health;
    private final LoadBalancer balancer;
    private final List<String> stickyIds;
    private final Map<String, Endpoint> byStickyId;
    private final HashRing ring;

    public Cluster(String name, ClusterConfig config, List<Endpoint> endpoints, ClusterHealth health, LoadBalancer balancer) {
        this.name = name;
        this.config = config;
        this.endpoints = List.copyOf(endpoints);
        this.health = health;
        this.balancer = balancer;
        this.stickyIds = endpoints.stream().map(e -> stickyId(name, e)).toList();
        Map<String, Endpoint> ids = new HashMap<>();
        for (int i = 0; i < endpoints.size(); i++) {
            ids.put(stickyIds.get(i), endpoints.get(i));
        }
        this.byStickyId = Map.copyOf(ids);
        this.ring = new HashRing(this.endpoints, stickyIds);
    }

    static String stickyId(String cluster, Endpoint e) {
        return Long.toHexString(Hashing.hash64("edge-sticky|" + cluster + "|" + e.address()));
    }

    public String name() {
        return name;
    }

    public ClusterConfig config() {
        return config;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public ClusterHealth health() {
        return health;
    }

    public LoadBalancer balancer() {
        return balancer;
    }

    /** The sticky id of an endpoint of this cluster. */
    public String stickyIdOf(Endpoint e) {
        int i = endpoints.indexOf(e);
        return i < 0 ? null : stickyIds.get(i);
    }

    Endpoint byStickyId(String id) {
        return byStickyId.get(id);
    }

    HashRing ring() {
        return ring;
    }

    /** Percent of endpoints available at {@code now}. */
    int availablePercent(long now) {
        int available = 0;
        for (Endpoint e : endpoints) {
            if (e.isAvailable(now)) {
                available++;
            }
        }
        return endpoints.isEmpty() ? 0 : available * 100 / endpoints.size();
    }

    /** Mean latency average of the available endpoints that have one; 0 when none has. */
    double meanLatencyNanos(long now) {
        double sum = 0;
        int n = 0;
        for (Endpoint e : endpoints) {
            double m = e.ewmaLatencyMillis();
            if (m > 0 && e.isAvailable(now)) {
                sum += m;
                n++;
            }
        }
        return n == 0 ? 0 : sum / n * 1e6;
    }

    @Override
    public String toString() {
        return "cluster " + name;
    }
}
