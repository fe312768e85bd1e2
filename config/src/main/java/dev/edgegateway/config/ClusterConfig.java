package dev.edgegateway.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A set of interchangeable origin endpoints, and how the gateway protects itself and them.
 *
 * @param maxIdleConnectionsPerEndpoint idle keep-alive connections kept per endpoint on each event loop
 * @param healthCheck active checks; none when absent
 * @param ewmaDecay how fast the latency average forgets (peak-ewma): the weight of an old
 *     observation falls to 1/e over this time
 * @param panicThreshold percent: when fewer of the endpoints than this are available, traffic
 *     spreads over all of them rather than overloading the few (Envoy's panic mode); 0 turns it off
 * @param tls TLS to the endpoints; none: clear text
 * @param protocol {@code http1} (default) or {@code h2}
 */
public record ClusterConfig(String name, List<HostPort> endpoints, Integer maxIdleConnectionsPerEndpoint,
                            HealthCheckConfig healthCheck, OutlierDetectionConfig outlierDetection,
                            CircuitBreakerConfig circuitBreaker, RetryConfig retry, Integer panicThreshold,
                            Balancer balancer, Duration ewmaDecay, UpstreamTlsConfig tls, Protocol protocol) {

    /**
     * How the gateway talks to the endpoints: {@code http1} (keep-alive connections, one request
     * at a time each) or {@code h2} (one HTTP/2 connection per endpoint and event loop, a stream
     * per request; over TLS by ALPN when {@code tls} is set, else h2c with prior knowledge).
     */
    public enum Protocol { HTTP1, H2 }

    /**
     * How an endpoint is chosen for each request: {@code peak-ewma} (default) picks the cheaper of
     * two random endpoints, cost being the peak-sensitive moving average of latency times the
     * requests in flight plus one (Finagle's and Linkerd's balancer); {@code round-robin};
     * {@code random}.
     */
    public enum Balancer { PEAK_EWMA, ROUND_ROBIN, RANDOM }

    /** A cluster with every protection at its default. */
    public ClusterConfig(String name, List<HostPort> endpoints, Integer maxIdleConnectionsPerEndpoint) {
        this(name, endpoints, maxIdleConnectionsPerEndpoint, null, null, null, null, null, null, null, null, null);
    }

    public ClusterConfig {
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        outlierDetection = outlierDetection == null ? OutlierDetectionConfig.DEFAULT : outlierDetection;
        circuitBreaker = circuitBreaker == null ? CircuitBreakerConfig.DEFAULT : circuitBreaker;
        retry = retry == null ? RetryConfig.DEFAULT : retry;
        panicThreshold = panicThreshold == null ? 50 : panicThreshold;
        balancer = balancer == null ? Balancer.PEAK_EWMA : balancer;
        ewmaDecay = ewmaDecay == null ? Duration.ofSeconds(10) : ewmaDecay;
        maxIdleConnectionsPerEndpoint = maxIdleConnectionsPerEndpoint == null ? 256 : maxIdleConnectionsPerEndpoint;
        protocol = protocol == null ? Protocol.HTTP1 : protocol;
        var v = ConfigViolation.collector().require(name, "name");
        v.check(!endpoints.isEmpty(), "endpoints", "at least one endpoint (host:port) is required");
        Set<HostPort> seen = new HashSet<>();
        for (int i = 0; i < endpoints.size(); i++) {
            HostPort e = endpoints.get(i);
            v.check(e.port() > 0, "endpoints[" + i + "]", "an endpoint needs a port from 1 to 65535");
            v.check(seen.add(e), "endpoints[" + i + "]", "duplicate endpoint " + e);
        }
        v.check(healthCheck == null || protocol != Protocol.H2, "healthCheck",
                "active health checks speak HTTP/1.1, which an h2 cluster's origins may not: not supported yet (outlier detection still applies)");
        v.check(maxIdleConnectionsPerEndpoint >= 0, "maxIdleConnectionsPerEndpoint", "must be 0 or more");
        v.check(ewmaDecay.toMillis() >= 1, "ewmaDecay", "must be at least 1ms");
        v.check(panicThreshold >= 0 && panicThreshold <= 100, "panicThreshold", "must be 0 to 100");
        v.throwIfAny();
    }
}
