package dev.edgegateway.health;

import dev.edgegateway.config.CircuitBreakerConfig;
import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.OutlierDetectionConfig;
import dev.edgegateway.config.RetryConfig;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One cluster's shared runtime state: the counters its circuit breakers limit (requests,
 * pending requests, connections), its retry budget, and the cap on how much of it may be ejected.
 * Keyed by cluster name, it survives reloads; {@link #configure} applies a new snapshot's limits.
 * Thread-safe.
 */
public final class ClusterHealth {
    /** Which cluster limit refused a request. */
    public enum Limit { MAX_REQUESTS, MAX_PENDING_REQUESTS, MAX_CONNECTIONS }

    private final String name;
    private final HealthEvents events;
    private final AtomicInteger activeRequests = new AtomicInteger();
    private final AtomicInteger pendingRequests = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger activeRetries = new AtomicInteger();
    private volatile ClusterConfig config;
    private volatile List<Endpoint> endpoints = List.of();

    ClusterHealth(String name, HealthEvents events) {
        this.name = name;
        this.events = events;
    }

    public String name() {
        return name;
    }

    /** Applies a snapshot's settings and endpoint list. */
    public void configure(ClusterConfig config, List<Endpoint> endpoints) {
        this.config = config;
        this.endpoints = List.copyOf(endpoints);
        this.ewmaDecayNanos = config.ewmaDecay().toNanos();
    }

    /** The latency average's decay time (peak EWMA), in nanoseconds. */
    public double ewmaDecayNanos() {
        return ewmaDecayNanos;
    }

    private volatile double ewmaDecayNanos = 10e9;

    public ClusterConfig config() {
        return config;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    CircuitBreakerConfig breakerConfig() {
        return config.circuitBreaker();
    }

    OutlierDetectionConfig outlierConfig() {
        return config.outlierDetection();
    }

    HealthEvents events() {
        return events;
    }

    /** Admits one request against {@code maxRequests}; the caller must {@link #requestFinished()} if true. */
    public boolean tryStartRequest() {
        if (activeRequests.incrementAndGet() > config.circuitBreaker().maxRequests()) {
            activeRequests.decrementAndGet();
            return false;
        }
        return true;
    }

    public void requestFinished() {
        activeRequests.decrementAndGet();
    }

    /** Admits one wait for a new connection; the caller must {@link #pendingFinished()} if true. */
    public boolean tryStartPending() {
        if (pendingRequests.incrementAndGet() > config.circuitBreaker().maxPendingRequests()) {
            pendingRequests.decrementAndGet();
            return false;
        }
        return true;
    }

    public void pendingFinished() {
        pendingRequests.decrementAndGet();
    }

    /** True if one more connection fits under {@code maxConnections}. */
    public boolean mayOpenConnection() {
        return connections.get() < config.circuitBreaker().maxConnections();
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    /**
     * Starts a retry if the budget allows: retries in flight stay within {@code budgetPercent} of
     * the requests in flight, or {@code minRetryConcurrency}, whichever is more. The caller must
     * {@link #retryFinished()} if true.
     */
    public boolean tryStartRetry() {
        RetryConfig r = config.retry();
        int allowed = Math.max(r.minRetryConcurrency(), activeRequests.get() * r.budgetPercent() / 100);
        if (activeRetries.incrementAndGet() > allowed) {
            activeRetries.decrementAndGet();
            return false;
        }
        return true;
    }

    public void retryFinished() {
        activeRetries.decrementAndGet();
    }

    public int activeRequests() {
        return activeRequests.get();
    }

    public int pendingRequests() {
        return pendingRequests.get();
    }

    public int connections() {
        return connections.get();
    }

    public int activeRetries() {
        return activeRetries.get();
    }

    /** The ejection cap: ejecting {@code candidate} must keep the ejected share within maxEjectionPercent. */
    boolean mayEject(Endpoint candidate, long now) {
        List<Endpoint> all = endpoints;
        int ejectedNow = 0;
        for (Endpoint e : all) {
            if (e != candidate && e.isEjected(now)) {
                ejectedNow++;
            }
        }
        return (ejectedNow + 1) * 100 <= config.outlierDetection().maxEjectionPercent() * Math.max(1, all.size());
    }
}
