package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Split shares and canary stability. Tolerances: over n = 100,000 independent placements a share
 * p has a standard deviation of sqrt(p(1-p)/n), at most 0.16 percentage points; the issue's
 * 1-point bound is over 6 of those, so these tests fail only when the split is wrong.
 */
class SplitTest {
    private static final int N = 100_000;
    private final Tables tables = new Tables();

    private RouteTable table(String split, String extra) {
        return tables.compile("""
                routes:
                  - name: r
                    split: %s
                %s
                clusters:
                  - {name: v1, endpoints: [127.0.0.1:9001]}
                  - {name: v2, endpoints: [127.0.0.1:9002]}
                  - {name: v3, endpoints: [127.0.0.1:9003]}
                """.formatted(split, extra));
    }

    private static double[] shares(RouteTable t, java.util.function.IntFunction<TestRequest> request) {
        Route route = t.routes().get(0);
        double[] counts = new double[route.clusters().size()];
        RouteDecision d = new RouteDecision();
        for (int i = 0; i < N; i++) {
            d.reset();
            route.selectCluster(request.apply(i), d);
            counts[d.clusterSlot()]++;
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] /= N;
        }
        return counts;
    }

    @Test
    void randomPlacementFollowsTheWeightsWithinOnePoint() {
        double[] s = shares(table("[{cluster: v1, weight: 90}, {cluster: v2, weight: 10}]", ""), i -> TestRequest.get("/"));
        assertThat(s[0]).isCloseTo(0.90, within(0.01));
        assertThat(s[1]).isCloseTo(0.10, within(0.01));
        double[] three = shares(table("[{cluster: v1, weight: 5}, {cluster: v2, weight: 3}, {cluster: v3, weight: 2}]", ""), i -> TestRequest.get("/"));
        assertThat(three).containsExactly(new double[] {0.5, 0.3, 0.2}, within(0.01));
    }

    @Test
    void keyedPlacementFollowsTheWeightsToo() {
        double[] s = shares(table("[{cluster: v1, weight: 90}, {cluster: v2, weight: 10}]", "    splitKey: {cookie: uid}"),
                i -> TestRequest.get("/").cookie("uid", "user-" + i));
        assertThat(s[0]).isCloseTo(0.90, within(0.01));
    }

    @Test
    void aWeightOfZeroDrainsACluster() {
        double[] s = shares(table("[{cluster: v1, weight: 0}, {cluster: v2, weight: 1}]", ""), i -> TestRequest.get("/"));
        assertThat(s[0]).isZero();
    }

    @Test
    void theCanaryFlagOverridesTheBucket() {
        RouteTable t = table("[{cluster: v1, weight: 100}, {cluster: v2, weight: 0}]",
                "    canary: {cluster: v2, header: X-Canary, cookie: canary}");
        Route r = t.routes().get(0);
        RouteDecision d = new RouteDecision();
        assertThat(r.selectCluster(TestRequest.get("/").header("x-canary", "always"), d).name()).isEqualTo("v2");
        assertThat(r.selectCluster(TestRequest.get("/").cookie("canary", "always"), d).name()).isEqualTo("v2");
        assertThat(r.selectCluster(TestRequest.get("/").header("x-canary", "never"), d).name()).isEqualTo("v1");
    }

    @Test
    void aClientStaysInItsBucketAndRaisingTheCanaryMovesOnlyTheDifference() {
        RouteTable at10 = table("[{cluster: stable, weight: 90}, {cluster: canary, weight: 10}]".replace("stable", "v1").replace("canary", "v2"),
                "    splitKey: {header: x-user}");
        RouteTable at20 = table("[{cluster: v1, weight: 80}, {cluster: v2, weight: 20}]", "    splitKey: {header: x-user}");
        Route r10 = at10.routes().get(0);
        Route r20 = at20.routes().get(0);
        RouteDecision d = new RouteDecision();
        int moved = 0;
        int movedAway = 0;
        for (int i = 0; i < N; i++) {
            TestRequest req = TestRequest.get("/").header("x-user", "u" + i);
            String before = r10.selectCluster(req, d).name();
            assertThat(r10.selectCluster(req, d).name()).isEqualTo(before); // stable
            String after = r20.selectCluster(req, d).name();
            if (!before.equals(after)) {
                moved++;
                if (before.equals("v2")) {
                    movedAway++;
                }
            }
        }
        // Exactly the clients between the boundaries at 0.8 and 0.9 move: 10% +- 1 point.
        assertThat(moved / (double) N).isCloseTo(0.10, within(0.01));
        assertThat(movedAway).as("no canary client is sent back to stable").isZero();
    }
}
