package dev.edgegateway.routing;

import dev.edgegateway.health.Endpoint;

/** Chooses an endpoint of one cluster for one request. Implementations are thread-safe. */
public interface LoadBalancer {
    /** The endpoint to use, or null when the cluster has none to offer (the proxy answers 503). */
    Endpoint pick();
}
