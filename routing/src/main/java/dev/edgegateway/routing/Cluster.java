package dev.edgegateway.routing;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import java.util.List;

/** A compiled cluster: its config, its endpoints and shared state (stable runtime identities) and its balancer. */
public record Cluster(String name, ClusterConfig config, List<Endpoint> endpoints, ClusterHealth health, LoadBalancer balancer) {}
