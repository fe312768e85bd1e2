package dev.edgegateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.CircuitBreakerConfig;
import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.OutlierDetectionConfig;
import dev.edgegateway.config.RetryConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HealthPolicyTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final List<String> events = new ArrayList<>();
    private final EndpointRegistry registry = new EndpointRegistry(new HealthEvents() {
        @Override
        public void ejected(Endpoint e, long forNanos) {
            events.add("ejected " + e.address().port() + " " + forNanos / SECOND + "s");
        }

        @Override
        public void breakerOpened(Endpoint e) {
            events.add("opened " + e.address().port());
        }
    }, now::get);

    private List<Endpoint> cluster(int size, OutlierDetectionConfig od, CircuitBreakerConfig cb, RetryConfig retry) {
        List<HostPort> addresses = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            addresses.add(new HostPort("127.0.0.1", 9001 + i));
        }
        ClusterConfig config = new ClusterConfig("c", addresses, null, null, od, cb, retry, null, null, null, null, null);
        List<Endpoint> endpoints = addresses.stream().map(a -> registry.endpoint("c", a)).toList();
        registry.cluster("c").configure(config, endpoints);
        return endpoints;
    }

    private static OutlierDetectionConfig outlier(int consecutive5xx, int gatewayFailures, int maxPercent) {
        return new OutlierDetectionConfig(consecutive5xx, gatewayFailures, Duration.ofSeconds(10), Duration.ofSeconds(25), maxPercent);
    }

    @Test
    void ejectsAfterFiveConsecutive5xxForLongerEachTime() {
        Endpoint e = cluster(4, outlier(5, 0, 50), null, null).get(0);
        for (int i = 0; i < 4; i++) {
            e.record(TryOutcome.HTTP_5XX, 1, now.get());
        }
        e.record(TryOutcome.SUCCESS, 1, now.get()); // a success resets the run
        for (int i = 0; i < 4; i++) {
            e.record(TryOutcome.HTTP_5XX, 1, now.get());
        }
        assertThat(e.isAvailable(now.get())).isTrue();
        e.record(TryOutcome.HTTP_5XX, 1, now.get());
        assertThat(e.isAvailable(now.get())).isFalse();
        assertThat(events).containsExactly("ejected 9001 10s");

        now.addAndGet(10 * SECOND);
        assertThat(e.isAvailable(now.get())).isTrue();
        for (int i = 0; i < 5; i++) {
            e.record(TryOutcome.HTTP_5XX, 1, now.get());
        }
        for (int i = 0; i < 5; i++) {
            now.addAndGet(20 * SECOND + 1);
            for (int j = 0; j < 5; j++) {
                e.record(TryOutcome.HTTP_5XX, 1, now.get());
            }
        }
        // 10 s, 20 s, then capped at maxEjectionTime 25 s.
        assertThat(events).startsWith("ejected 9001 10s", "ejected 9001 20s", "ejected 9001 25s");
    }

    @Test
    void theEjectionMultiplierDecaysWhileTheEndpointServes() {
        Endpoint e = cluster(4, outlier(1, 0, 50), null, null).get(0);
        e.record(TryOutcome.HTTP_5XX, 1, now.get());      // 10 s
        now.addAndGet(10 * SECOND);
        e.record(TryOutcome.HTTP_5XX, 1, now.get());      // 20 s: straight back in
        assertThat(e.ejections()).isEqualTo(2);
        now.addAndGet(20 * SECOND + 25 * SECOND);      // 25 s in service: two base times
        e.record(TryOutcome.HTTP_5XX, 1, now.get());      // multiplier 2 - 2 + 1
        assertThat(events).containsExactly("ejected 9001 10s", "ejected 9001 20s", "ejected 9001 10s");
        assertThat(e.ejections()).isEqualTo(1);
    }

    @Test
    void consecutiveGatewayFailuresEjectSooner() {
        Endpoint e = cluster(2, outlier(5, 3, 50), null, null).get(0);
        e.record(TryOutcome.GATEWAY_FAILURE, 0, now.get());
        e.record(TryOutcome.GATEWAY_FAILURE, 0, now.get());
        assertThat(e.isAvailable(now.get())).isTrue();
        e.record(TryOutcome.GATEWAY_FAILURE, 0, now.get());
        assertThat(e.isAvailable(now.get())).isFalse();
    }

    @Test
    void neverEjectsMoreThanMaxEjectionPercent() {
        List<Endpoint> endpoints = cluster(4, outlier(1, 0, 50), null, null);
        for (Endpoint e : endpoints) {
            e.record(TryOutcome.HTTP_5XX, 1, now.get());
        }
        assertThat(endpoints.stream().filter(e -> !e.isAvailable(now.get()))).hasSize(2);
    }

    @Test
    void endpointBreakerOpensThenLetsOneProbeThrough() {
        CircuitBreakerConfig cb = new CircuitBreakerConfig(null, null, null, 3, Duration.ofSeconds(5));
        Endpoint e = cluster(2, outlier(0, 0, 50), cb, null).get(0);
        for (int i = 0; i < 3; i++) {
            e.record(TryOutcome.GATEWAY_FAILURE, 0, now.get());
        }
        assertThat(e.breaker()).isEqualTo(Endpoint.Breaker.OPEN);
        assertThat(e.tryUse(now.get())).isFalse();

        now.addAndGet(5 * SECOND);
        assertThat(e.tryUse(now.get())).as("the probe").isTrue();
        assertThat(e.breaker()).isEqualTo(Endpoint.Breaker.HALF_OPEN);
        assertThat(e.tryUse(now.get())).as("a second request while the probe is out").isFalse();
        e.record(TryOutcome.GATEWAY_FAILURE, 0, now.get());
        assertThat(e.breaker()).as("failed probe reopens").isEqualTo(Endpoint.Breaker.OPEN);

        now.addAndGet(5 * SECOND);
        assertThat(e.tryUse(now.get())).isTrue();
        e.record(TryOutcome.SUCCESS, 1_000_000, now.get());
        assertThat(e.breaker()).isEqualTo(Endpoint.Breaker.CLOSED);
        assertThat(e.tryUse(now.get())).isTrue();
        assertThat(events).containsExactly("opened 9001", "opened 9001");
    }

    @Test
    void checkThresholdsDampFlapping() {
        Endpoint e = cluster(1, null, null, null).get(0);
        for (int i = 0; i < 10; i++) {
            e.recordCheck(i % 2 == 0, 2, 3); // pass, fail, pass, fail ...
        }
        assertThat(e.health()).isEqualTo(Endpoint.Health.HEALTHY);
        for (int i = 0; i < 3; i++) {
            e.recordCheck(false, 2, 3);
        }
        assertThat(e.health()).isEqualTo(Endpoint.Health.UNHEALTHY);
        assertThat(e.isAvailable(now.get())).isFalse();
        e.recordCheck(true, 2, 3);
        assertThat(e.health()).isEqualTo(Endpoint.Health.UNHEALTHY);
        e.recordCheck(true, 2, 3);
        assertThat(e.health()).isEqualTo(Endpoint.Health.HEALTHY);
    }

    @Test
    void retryBudgetIsAShareOfRequestsInFlightWithAFloor() {
        cluster(1, null, null, new RetryConfig(null, 3, null, 20, 2, null));
        ClusterHealth c = registry.cluster("c");
        for (int i = 0; i < 50; i++) {
            assertThat(c.tryStartRequest()).isTrue();
        }
        int retries = 0;
        while (c.tryStartRetry()) {
            retries++;
        }
        assertThat(retries).isEqualTo(10); // 20% of 50
        for (int i = 0; i < 45; i++) {
            c.requestFinished();
        }
        for (int i = 0; i < 10; i++) {
            c.retryFinished();
        }
        retries = 0;
        while (c.tryStartRetry()) {
            retries++;
        }
        assertThat(retries).isEqualTo(2); // 20% of 5 is 1: the floor of 2 applies
    }

    @Test
    void clusterLimitsRefuseBeyondTheirMaximum() {
        cluster(1, null, new CircuitBreakerConfig(2, 1, 3, null, null), null);
        ClusterHealth c = registry.cluster("c");
        assertThat(c.tryStartRequest() && c.tryStartRequest() && c.tryStartRequest()).isTrue();
        assertThat(c.tryStartRequest()).isFalse();
        assertThat(c.tryStartPending()).isTrue();
        assertThat(c.tryStartPending()).isFalse();
        c.connectionOpened();
        c.connectionOpened();
        assertThat(c.mayOpenConnection()).isFalse();
    }

    @Test
    void aPendingConnectToAnEndpointNeverReachedCostsThePenaltyAndOneReachedCostsNextToNothing() {
        List<Endpoint> endpoints = cluster(2, outlier(0, 0, 50), null, null);
        Endpoint unreached = endpoints.get(0);
        Endpoint reached = endpoints.get(1);
        assertThat(unreached.cost(now.get())).as("idle newcomer").isZero();
        unreached.requestStarted(); // its connect is pending
        reached.requestStarted();
        reached.connected();
        assertThat(unreached.cost(now.get())).isGreaterThan(1e14);
        assertThat(reached.cost(now.get())).isLessThan(10);
    }

    @Test
    void aFailedTryFeedsTenTimesItsDurationAndAnEndpointBackFromEjectionIsProbedAfresh() {
        Endpoint e = cluster(2, outlier(0, 1, 50), null, null).get(0);
        e.record(TryOutcome.GATEWAY_FAILURE, SECOND / 2, now.get()); // a connect that timed out after 500 ms; ejected
        now.addAndGet(SECOND);
        assertThat(e.isAvailable(now.get())).isFalse();
        assertThat(e.ewmaLatencyMillis()).as("costlier than a busy peer that answers").isEqualTo(5000.0);
        now.addAndGet(30 * SECOND); // the ejection is over; the estimate is stale
        assertThat(e.isAvailable(now.get())).isTrue();
        assertThat(e.cost(now.get())).isZero();
    }

    @Test
    void anEndpointHealthyAgainAfterFailingItsChecksForgetsItsOldEstimate() {
        Endpoint e = cluster(2, outlier(0, 0, 50), null, null).get(0);
        e.record(TryOutcome.SUCCESS, SECOND, now.get());
        e.recordCheck(false, 1, 1);
        e.recordCheck(true, 1, 1);
        assertThat(e.health()).isEqualTo(Endpoint.Health.HEALTHY);
        assertThat(e.cost(now.get())).isZero();
    }

    /**
     * A balancer on another event loop asks for the cost while a failed try is being recorded:
     * from the moment the try is counted in flight, it must never read zero (the idle newcomer's
     * cost), or a second request goes to an endpoint that never completes a connect. The failure
     * is recorded before the try stops counting; the cost must read them in the other order.
     * A race, so this catches the wrong order only when the reader is held up between its two
     * reads: with the old order it failed in two runs of three on the development host (one and
     * three zero readings), passing the third. A pass does not prove the order; cost()'s comment says it.
     */
    @Test
    void aFailedTryNeverReadsAsAnIdleNewcomerWhileItIsRecorded() throws Exception {
        List<Endpoint> endpoints = cluster(20_000, outlier(0, 0, 50), null, null);
        AtomicInteger turn = new AtomicInteger(-1);
        AtomicInteger done = new AtomicInteger(-1);
        AtomicInteger zeros = new AtomicInteger();
        long t = now.get();
        Thread reader = new Thread(() -> {
            for (int i = 0; i < endpoints.size(); i++) {
                for (int spins = 0; turn.get() < i; spins++) {
                    pause(spins);
                }
                Endpoint e = endpoints.get(i);
                int reads = 0;
                do {
                    if (e.cost(t) < 1) {
                        zeros.incrementAndGet();
                    }
                    if (++reads % 1024 == 0) {
                        Thread.yield(); // reads as fast as they go, and lets a descheduled writer back in
                    }
                } while (done.get() < i);
            }
        });
        reader.start();
        for (int i = 0; i < endpoints.size(); i++) {
            Endpoint e = endpoints.get(i);
            e.requestStarted(); // its connect is pending: from here on it is never an idle newcomer
            turn.set(i);
            for (int spin = 0; spin < 50; spin++) {
                Thread.onSpinWait();
            }
            e.record(TryOutcome.GATEWAY_FAILURE, SECOND / 2, t); // as ExchangeRecorder.tryFailed, then
            e.requestFinished(); // UpstreamAttempt.endTry
            done.set(i);
        }
        reader.join();
        assertThat(zeros.get()).as("costs read as zero while a failure was recorded").isZero();
    }

    /** A spin that yields now and then: where the cores are busy, the other thread still gets its turn. */
    private static void pause(int spins) {
        if (spins % 1024 == 1023) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }
}
