package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.TryOutcome;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The latency-aware balancer on a simulated clock: one request at a time, 1 ms apart. */
class PeakEwmaBalancerTest {
    private final Tables tables = new Tables();

    private Map<Integer, Integer> run(LoadBalancer lb, int requests, int slowPort, long slowNanos) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            tables.now.addAndGet(1_000_000);
            Endpoint e = lb.pick();
            int port = e.address().port();
            counts.merge(port, 1, Integer::sum);
            e.requestStarted();
            e.requestFinished();
            e.record(TryOutcome.SUCCESS, port == slowPort ? slowNanos : 1_000_000, tables.now.get());
        }
        return counts;
    }

    @Test
    void aSlowEndpointLosesTrafficAndGetsItBackWhenItRecovers() {
        RouteTable t = tables.compile("""
                routes: [{name: r, cluster: c}]
                clusters:
                  - {name: c, endpoints: [127.0.0.1:9001, 127.0.0.1:9002, 127.0.0.1:9003], ewmaDecay: 1s}
                """);
        LoadBalancer lb = t.clusters().get("c").balancer();
        run(lb, 1000, 0, 0); // warm: all at 1 ms
        // 9003 now takes 51 ms. Power of two choices compares it with a 1 ms peer in 2 of every
        // 3 picks and loses; it wins only against itself decaying. Fair share would be 33%.
        Map<Integer, Integer> slow = run(lb, 3000, 9003, 51_000_000);
        int slowShare = slow.getOrDefault(9003, 0);
        assertThat(slowShare).as("requests to the slow endpoint of 3000: %s", slow).isLessThan(150);
        // It recovers. Its average decays to the peers' within a few decay times (ln 51 = 3.9 s
        // at most), then it takes its share again.
        run(lb, 6000, 0, 0);
        Map<Integer, Integer> recovered = run(lb, 3000, 0, 0);
        assertThat(recovered.getOrDefault(9003, 0)).as("after recovery: %s", recovered).isGreaterThan(600);
    }

    @Test
    void requestsInFlightCountAgainstAnEndpoint() {
        RouteTable t = tables.compile("""
                routes: [{name: r, cluster: c}]
                clusters:
                  - {name: c, endpoints: [127.0.0.1:9001, 127.0.0.1:9002]}
                """);
        LoadBalancer lb = t.clusters().get("c").balancer();
        run(lb, 100, 0, 0);
        Endpoint busy = t.clusters().get("c").endpoints().get(0);
        for (int i = 0; i < 5; i++) {
            busy.requestStarted();
        }
        for (int i = 0; i < 50; i++) {
            assertThat(lb.pick()).isNotSameAs(busy); // two endpoints: always compared
        }
    }
}
