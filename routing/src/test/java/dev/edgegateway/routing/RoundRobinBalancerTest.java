package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.OutlierDetectionConfig;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.health.HealthEvents;
import dev.edgegateway.health.TryOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RoundRobinBalancerTest {
    private final AtomicLong now = new AtomicLong(1);
    private final EndpointRegistry registry = new EndpointRegistry(HealthEvents.NONE, now::get);

    private RoundRobinBalancer balancer(int size, int panicThreshold) {
        List<HostPort> addresses = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            addresses.add(new HostPort("127.0.0.1", 9001 + i));
        }
        // One 5xx ejects; any share may be ejected, so panic mode is what keeps traffic flowing.
        ClusterConfig config = new ClusterConfig("c", addresses, null, null,
                new OutlierDetectionConfig(1, 0, Duration.ofSeconds(30), null, 100), null, null, panicThreshold, ClusterConfig.Balancer.ROUND_ROBIN, null, null, null);
        List<Endpoint> endpoints = addresses.stream().map(a -> registry.endpoint("c", a)).toList();
        registry.cluster("c").configure(config, endpoints);
        return new RoundRobinBalancer(endpoints, registry.cluster("c"), now::get);
    }

    private Set<Integer> ports(RoundRobinBalancer lb, int picks) {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < picks; i++) {
            Endpoint e = lb.pick();
            seen.add(e == null ? -1 : e.address().port());
        }
        return seen;
    }

    @Test
    void skipsEjectedEndpoints() {
        RoundRobinBalancer lb = balancer(4, 50);
        registry.endpoint("c", new HostPort("127.0.0.1", 9002)).record(TryOutcome.HTTP_5XX, 1, now.get());
        assertThat(ports(lb, 30)).containsExactlyInAnyOrder(9001, 9003, 9004);
    }

    @Test
    void survivorsShareAnEjectedEndpointsTurnEvenly() {
        RoundRobinBalancer lb = balancer(4, 50);
        registry.endpoint("c", new HostPort("127.0.0.1", 9002)).record(TryOutcome.HTTP_5XX, 1, now.get());
        java.util.Map<Integer, Integer> counts = new java.util.TreeMap<>();
        for (int i = 0; i < 300; i++) {
            counts.merge(lb.pick().address().port(), 1, Integer::sum);
        }
        // Not 75/150/75, as taking the next in line after a skipped endpoint would give.
        assertThat(counts).containsExactly(
                java.util.Map.entry(9001, 100), java.util.Map.entry(9003, 100), java.util.Map.entry(9004, 100));
    }

    @Test
    void panicModeSpreadsOverAllWhenTooFewAreAvailable() {
        RoundRobinBalancer lb = balancer(4, 50);
        for (int port : new int[] {9001, 9002, 9003}) {
            registry.endpoint("c", new HostPort("127.0.0.1", port)).record(TryOutcome.HTTP_5XX, 1, now.get());
        }
        // 1 of 4 available is below 50%: all four take traffic again.
        assertThat(ports(lb, 30)).containsExactlyInAnyOrder(9001, 9002, 9003, 9004);
    }

    @Test
    void withoutPanicModeNothingAvailableMeansNoEndpoint() {
        RoundRobinBalancer lb = balancer(2, 0);
        for (int port : new int[] {9001, 9002}) {
            registry.endpoint("c", new HostPort("127.0.0.1", port)).record(TryOutcome.HTTP_5XX, 1, now.get());
        }
        assertThat(lb.pick()).isNull();
    }

    @Test
    void avoidsTheEndpointARetryIsLeaving() {
        RoundRobinBalancer lb = balancer(2, 50);
        Endpoint first = registry.endpoint("c", new HostPort("127.0.0.1", 9001));
        for (int i = 0; i < 10; i++) {
            assertThat(lb.pick(first)).isNotSameAs(first);
        }
    }
}
