package dev.edgegateway.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A set of interchangeable origin endpoints.
 *
 * @param maxIdleConnectionsPerEndpoint idle keep-alive connections kept per endpoint on each event loop
 */
public record ClusterConfig(String name, List<HostPort> endpoints, Integer maxIdleConnectionsPerEndpoint) {
    public ClusterConfig {
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        maxIdleConnectionsPerEndpoint = maxIdleConnectionsPerEndpoint == null ? 256 : maxIdleConnectionsPerEndpoint;
        var v = ConfigViolation.collector().require(name, "name");
        v.check(!endpoints.isEmpty(), "endpoints", "at least one endpoint (host:port) is required");
        Set<HostPort> seen = new HashSet<>();
        for (int i = 0; i < endpoints.size(); i++) {
            HostPort e = endpoints.get(i);
            v.check(e.port() > 0, "endpoints[" + i + "]", "an endpoint needs a port from 1 to 65535");
            v.check(seen.add(e), "endpoints[" + i + "]", "duplicate endpoint " + e);
        }
        v.check(maxIdleConnectionsPerEndpoint >= 0, "maxIdleConnectionsPerEndpoint", "must be 0 or more");
        v.throwIfAny();
    }
}
