package dev.edgegateway.routing;

import dev.edgegateway.health.Endpoint;

/** Chooses an endpoint of one cluster for one try. Implementations are thread-safe. */
public interface LoadBalancer {
    /**
     * The endpoint to use, claimed for this try ({@link Endpoint#tryUse}), or null when none is
     * available (the proxy answers 503).
     *
     * @param avoid an endpoint not to choose if another will do (the one a retry is leaving), or null
     */
    Endpoint pick(Endpoint avoid);
}
