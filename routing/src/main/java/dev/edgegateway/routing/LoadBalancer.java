package dev.edgegateway.routing;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.function.LongSupplier;

/** Chooses an endpoint of one cluster for one try. Implementations are thread-safe. */
public interface LoadBalancer {
    /**
     * The endpoint to use, claimed for this try ({@link Endpoint#tryUse}), or null when none is
     * available (the proxy answers 503).
     *
     * @param avoid an endpoint not to choose if another will do (the one a retry is leaving), or null
     */
    Endpoint pick(Endpoint avoid);

    /** The balancer a cluster's config asks for. */
    static LoadBalancer of(ClusterConfig.Balancer kind, List<Endpoint> endpoints, ClusterHealth health, LongSupplier nanoClock) {
        return switch (kind) {
            case PEAK_EWMA -> new PeakEwmaBalancer(endpoints, health, nanoClock);
            case ROUND_ROBIN -> new RoundRobinBalancer(endpoints, health, nanoClock);
            case RANDOM -> new RandomBalancer(endpoints, health, nanoClock);
        };
    }
}
