package dev.edgegateway.health;

import dev.edgegateway.config.HostPort;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One origin endpoint of one cluster and its runtime state. Identity is (cluster name, address):
 * the {@link EndpointRegistry} hands out the same instance for the same identity across config
 * reloads, so state kept here (in-flight count now; health, ejection and latency later) survives.
 * Thread-safe.
 */
public final class Endpoint {
    private final String cluster;
    private final HostPort address;
    private final String id;
    private final AtomicInteger inFlight = new AtomicInteger();

    Endpoint(String cluster, HostPort address) {
        this.cluster = cluster;
        this.address = address;
        this.id = cluster + "/" + address;
    }

    public String cluster() {
        return cluster;
    }

    public HostPort address() {
        return address;
    }

    /** {@code cluster/host:port}: stable, safe to log and to use as a metric label. */
    public String id() {
        return id;
    }

    /** Requests sent to this endpoint that have not finished yet. */
    public int inFlight() {
        return inFlight.get();
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    public void requestFinished() {
        inFlight.decrementAndGet();
    }

    @Override
    public String toString() {
        return id;
    }
}
