package dev.edgegateway.routing;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;
import java.util.function.LongSupplier;

/** Chooses an endpoint of one cluster for one try. Implementations are thread-safe. */
public interface LoadBalancer {
    /**
     * The endpoint for a request's first try, claimed ({@link Endpoint#tryUse}), or null when none
     * is available (the proxy answers 503).
     */
    default Endpoint pick() {
        return pick((TriedEndpoints) null);
    }

    /**
     * The endpoint for a retry, claimed, or null when none is available.
     *
     * @param avoid an endpoint not to choose if another will do (the one a retry is leaving), or null
     */
    default Endpoint pick(Endpoint avoid) {
        return pick(avoid == null ? null : new TriedEndpoints(avoid));
    }

    /**
     * As {@link #pick(Endpoint)}, passing over every endpoint in {@code tried} (a request's earlier
     * tries) if another will do.
     */
    Endpoint pick(TriedEndpoints tried);

    /** The balancer a cluster's config asks for. */
    static LoadBalancer of(ClusterConfig.Balancer kind, List<Endpoint> endpoints, ClusterHealth health, LongSupplier nanoClock) {
        return switch (kind) {
            case PEAK_EWMA -> new PeakEwmaBalancer(endpoints, health, nanoClock);
            case ROUND_ROBIN -> new RoundRobinBalancer(endpoints, health, nanoClock);
            case RANDOM -> new RandomBalancer(endpoints, health, nanoClock);
        };
    }
}
