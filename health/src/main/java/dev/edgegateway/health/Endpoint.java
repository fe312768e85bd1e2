package dev.edgegateway.health;

import dev.edgegateway.config.HostPort;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One origin endpoint of one cluster and its runtime state: active-check health, outlier
 * ejection, its own breaker, requests in flight and an EWMA of its latency. Identity is
 * (cluster name, address): the {@link EndpointRegistry} hands out the same instance for the same
 * identity across config reloads, so this state survives them.
 *
 * <p>Thread-safe: read lock-free on every pick (volatile fields); changed under the instance's
 * monitor, which only outcomes and checks take.
 */
public final class Endpoint {
    /** What active checks last concluded; {@code UNKNOWN} (no verdict yet) counts as healthy. */
    public enum Health { UNKNOWN, HEALTHY, UNHEALTHY }

    /** The endpoint's own breaker. */
    public enum Breaker { CLOSED, OPEN, HALF_OPEN }

    /** The cost of an endpoint with no latency estimate yet but requests in flight (Finagle's). */
    private static final double PENALTY = 1e15;
    /** A gateway failure (refused, reset, timed out) feeds the latency estimate this many times the time it took. */
    static final long FAILURE_COST_FACTOR = 10;
    private final String cluster;
    private final HostPort address;
    private final String id;
    private final ClusterHealth clusterHealth;
    /**
     * Fixed at construction, so a map keyed by endpoint (an event loop's pool of origin
     * connections, looked up twice per request) never asks for the identity hash: the monitor that
     * outcomes take displaces the object header the identity hash lives in, and the JVM then
     * computes it in its slow path ({@code JVM_IHashCode}, 0.4% of the gateway's CPU samples at 64
     * connections; {@code System.identityHashCode} 0.4% at 256). Equality stays identity.
     */
    private final int hash;
    private final AtomicInteger inFlight = new AtomicInteger();

    private volatile Health health = Health.UNKNOWN;
    private volatile long ejectedUntilNanos;
    private volatile Breaker breaker = Breaker.CLOSED;
    private volatile long breakerOpenUntilNanos;
    private volatile double ewmaLatencyNanos;
    private volatile long ewmaStampNanos;
    /** A connection to it was made since its last failed try: pending requests there are not stuck connecting. */
    private volatile boolean reachable;

    // Guarded by this.
    private int checkPasses;
    private int checkFailures;
    private int consecutive5xx;
    private int consecutiveGatewayFailures;
    private int consecutiveFailures;
    private int ejections;
    private boolean ejected;
    private boolean probeInFlight;

    Endpoint(String cluster, HostPort address, ClusterHealth clusterHealth) {
        this.cluster = cluster;
        this.address = address;
        this.id = cluster + "/" + address;
        this.clusterHealth = clusterHealth;
        this.hash = id.hashCode();
    }

    @Override
    public int hashCode() {
        return hash;
    }

    public String cluster() {
        return cluster;
    }

    public HostPort address() {
        return address;
    }

    /** {@code cluster/host:port}: stable, safe to log. */
    public String id() {
        return id;
    }

    public ClusterHealth clusterHealth() {
        return clusterHealth;
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

    /** A connection to this endpoint was established (so it takes connects, whatever it answers). */
    public void connected() {
        reachable = true;
    }

    public Health health() {
        return health;
    }

    public Breaker breaker() {
        return breaker;
    }

    /** Nanoseconds of ejection left at {@code now}, 0 if not ejected. */
    public long ejectedForNanos(long now) {
        long left = ejectedUntilNanos - now;
        return left > 0 ? left : 0;
    }

    public int ejections() {
        synchronized (this) {
            return ejections;
        }
    }

    public double ewmaLatencyMillis() {
        return ewmaLatencyNanos / 1e6;
    }

    /**
     * The peak-EWMA cost of sending one more request here at {@code now}: the latency average,
     * decayed towards zero for the time since it was last fed (so an endpoint nobody picks becomes
     * worth a try again), times requests in flight plus one. An endpoint with no estimate costs
     * nothing while idle; once busy, next to nothing if a connection to it was made (its answers
     * are on their way), else a penalty (a pending connect counts as busy), so an endpoint that
     * never completes a connect is probed with one request at a time, not piled on. A failed try
     * feeds the estimate with ten times the time it took. An endpoint back from an ejection, or healthy again after failing its checks,
     * has its estimate forgotten and is probed like a newcomer.
     */
    public double cost(long now) {
        // Requests in flight first: a try's outcome is recorded before it stops counting, so a
        // count read after its decrement comes with the estimate it fed. Read the other way round
        // (as before), a balancer on another loop could take the estimate from before a failed
        // connect and the count from after it, a zero cost, and send a second request to an
        // endpoint that never completes a connect (RequestPathTest saw a third probe of its black
        // hole once, in a full run of the suite).
        int pending = inFlight.get();
        double ewma = ewmaLatencyNanos;
        long ejectedUntil = ejectedUntilNanos;
        if (ejectedUntil != 0 && ewmaStampNanos - ejectedUntil < 0 && now - ejectedUntil >= 0) {
            ewma = 0; // back from an ejection: what was measured before it is stale, probe afresh
        }
        if (ewma > 0) {
            long age = now - ewmaStampNanos;
            if (age > 0) {
                ewma *= Math.exp(-(double) age / clusterHealth.ewmaDecayNanos());
            }
        }
        if (ewma < 1) {
            return pending == 0 ? 0 : reachable ? pending : PENALTY + pending;
        }
        return ewma * (pending + 1);
    }

    /**
     * Whether a pick may choose this endpoint at {@code now}, without reserving anything:
     * not unhealthy, not ejected, breaker not open (an open breaker whose time is up may take a probe).
     */
    public boolean isAvailable(long now) {
        if (health == Health.UNHEALTHY || now - ejectedUntilNanos < 0) {
            return false;
        }
        Breaker b = breaker;
        return b == Breaker.CLOSED || (b == Breaker.OPEN && now - breakerOpenUntilNanos >= 0);
    }

    /**
     * Claims the endpoint for one request. Fails if it is unavailable, or if its breaker is due a
     * half-open probe that another request has already taken.
     */
    public boolean tryUse(long now) {
        if (!isAvailable(now)) {
            return false;
        }
        if (breaker == Breaker.CLOSED) {
            return true;
        }
        synchronized (this) {
            if (breaker == Breaker.OPEN && now - breakerOpenUntilNanos >= 0 && !probeInFlight) {
                breaker = Breaker.HALF_OPEN;
                probeInFlight = true;
                return true;
            }
            return false;
        }
    }

    /** Records how one try ended; may eject the endpoint or move its breaker. */
    public void record(TryOutcome outcome, long latencyNanos, long now) {
        boolean open = false;
        long ejectFor = 0;
        synchronized (this) {
            if (outcome == TryOutcome.SUCCESS) {
                consecutive5xx = 0;
                consecutiveGatewayFailures = 0;
                consecutiveFailures = 0;
                if (breaker != Breaker.CLOSED) {
                    breaker = Breaker.CLOSED;
                    probeInFlight = false;
                }
            } else {
                consecutive5xx++;
                consecutiveFailures++;
                if (outcome == TryOutcome.GATEWAY_FAILURE) {
                    reachable = false;
                }
                if (outcome == TryOutcome.GATEWAY_FAILURE) {
                    consecutiveGatewayFailures++;
                } else {
                    consecutiveGatewayFailures = 0;
                }
                int threshold = clusterHealth.breakerConfig().endpointConsecutiveFailures();
                if (breaker == Breaker.HALF_OPEN || (breaker == Breaker.CLOSED && threshold > 0 && consecutiveFailures >= threshold)) {
                    breaker = Breaker.OPEN;
                    probeInFlight = false;
                    breakerOpenUntilNanos = now + clusterHealth.breakerConfig().endpointOpenTime().toNanos();
                    open = true;
                }
                var od = clusterHealth.outlierConfig();
                boolean trip = (od.consecutive5xx() > 0 && consecutive5xx >= od.consecutive5xx())
                        || (od.consecutiveGatewayFailures() > 0 && consecutiveGatewayFailures >= od.consecutiveGatewayFailures());
                if (trip && now - ejectedUntilNanos >= 0 && clusterHealth.mayEject(this, now)) {
                    // The multiplier decays by one for each base ejection time spent back in
                    // service (as Envoy's does), so an endpoint that failed once last week does
                    // not start today at five times the base.
                    long base = Math.max(1, od.baseEjectionTime().toNanos());
                    if (ejections > 0) {
                        ejections = (int) Math.max(0, ejections - (now - ejectedUntilNanos) / base);
                    }
                    ejections++;
                    ejectFor = Math.min(od.baseEjectionTime().toNanos() * ejections, od.maxEjectionTime().toNanos());
                    ejectedUntilNanos = now + ejectFor;
                    ejected = true;
                    consecutive5xx = 0;
                    consecutiveGatewayFailures = 0;
                }
            }
            // A failed try feeds ten times the time it took: a connect that waited out its timeout
            // makes the endpoint far costlier than a busy one that answers (a loaded peer's latency
            // times its requests in flight can reach that wait itself), and the decay brings it back
            // for a probe later. A refused connect is quick either way, and left to outlier
            // detection and retries.
            if (outcome == TryOutcome.GATEWAY_FAILURE) {
                latencyNanos = latencyNanos > Long.MAX_VALUE / FAILURE_COST_FACTOR ? Long.MAX_VALUE : latencyNanos * FAILURE_COST_FACTOR;
            }
            if (latencyNanos > 0) {
                // Peak-sensitive: a slower sample is taken at once; a faster one is blended in
                // with a weight that grows with the time since the last sample.
                double e = ewmaLatencyNanos;
                long age = Math.max(0, now - ewmaStampNanos);
                ewmaStampNanos = now;
                if (latencyNanos > e) {
                    ewmaLatencyNanos = latencyNanos;
                } else {
                    double w = Math.exp(-(double) age / clusterHealth.ewmaDecayNanos());
                    ewmaLatencyNanos = e * w + latencyNanos * (1 - w);
                }
            }
        }
        if (open) {
            clusterHealth.events().breakerOpened(this);
        }
        if (ejectFor > 0) {
            clusterHealth.events().ejected(this, ejectFor);
        }
    }

    /** True while ejected at {@code now}; used for the cluster's ejection cap. */
    boolean isEjected(long now) {
        return ejected && now - ejectedUntilNanos < 0;
    }

    /** Records one active health check; thresholds decide when the verdict changes. */
    public void recordCheck(boolean passed, int healthyThreshold, int unhealthyThreshold) {
        Health changedTo = null;
        synchronized (this) {
            if (passed) {
                checkFailures = 0;
                checkPasses++;
                if (health != Health.HEALTHY && (health == Health.UNKNOWN || checkPasses >= healthyThreshold)) {
                    changedTo = Health.HEALTHY;
                }
            } else {
                checkPasses = 0;
                checkFailures++;
                if (health != Health.UNHEALTHY && checkFailures >= unhealthyThreshold) {
                    changedTo = Health.UNHEALTHY;
                }
            }
            if (changedTo != null) {
                if (changedTo == Health.HEALTHY && health == Health.UNHEALTHY) {
                    ewmaLatencyNanos = 0; // recovered: probe it afresh rather than wait for the old estimate to decay
                }
                health = changedTo;
            }
        }
        clusterHealth.events().checked(this, passed);
        if (changedTo != null) {
            clusterHealth.events().healthChanged(this, changedTo);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
