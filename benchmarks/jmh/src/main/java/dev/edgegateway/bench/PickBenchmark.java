package dev.edgegateway.bench;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.routing.Cluster;
import dev.edgegateway.routing.Route;
import dev.edgegateway.routing.RouteDecision;
import dev.edgegateway.routing.RouteTable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Choosing an endpoint among {@code endpoints}: with each balancer, with a consistent-hash sticky
 * route, and a 90/10 split's cluster choice. Endpoints carry a latency estimate, as under traffic.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class PickBenchmark {
    @Param({"3", "10", "100"})
    int endpoints;

    private Cluster ewma;
    private Cluster roundRobin;
    private Cluster random;
    private Route sticky;
    private Route split;
    private final BenchRequest request = new BenchRequest("/");
    private final RouteDecision decision = new RouteDecision();

    @Setup
    public void setup() throws Exception {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < endpoints; i++) {
            list.append(i == 0 ? "" : ", ").append("127.0.0.1:").append(10000 + i);
        }
        String yaml = """
                listeners: [{name: l, address: 127.0.0.1:0}]
                routes:
                  - {name: sticky, match: {pathPrefix: /s}, cluster: ewma, sticky: {hash: {header: x-session}}}
                  - {name: split, split: [{cluster: ewma, weight: 90}, {cluster: rr, weight: 10}]}
                clusters:
                  - {name: ewma, endpoints: [%1$s]}
                  - {name: rr, endpoints: [%1$s], balancer: round-robin}
                  - {name: random, endpoints: [%1$s], balancer: random}
                """.formatted(list);
        RouteTable t = RouteTable.compile(ConfigLoader.parse(yaml, "bench.yaml", 1).config(), new EndpointRegistry());
        ewma = t.clusters().get("ewma");
        roundRobin = t.clusters().get("rr");
        random = t.clusters().get("random");
        sticky = t.routes().get(0);
        split = t.routes().get(1);
        long now = System.nanoTime();
        for (Cluster c : t.clusters().values()) {
            int i = 0;
            for (Endpoint e : c.endpoints()) {
                e.record(dev.edgegateway.health.TryOutcome.SUCCESS, 1_000_000 + 10_000L * (i++ % 7), now);
            }
        }
    }

    @Benchmark
    public Endpoint peakEwmaP2c() {
        return ewma.balancer().pick();
    }

    @Benchmark
    public Endpoint roundRobin() {
        return roundRobin.balancer().pick();
    }

    @Benchmark
    public Endpoint random() {
        return random.balancer().pick();
    }

    @Benchmark
    public Endpoint ringHashSticky() {
        decision.reset();
        return sticky.pickEndpoint(ewma, request, decision);
    }

    @Benchmark
    public Cluster splitChoice() {
        decision.reset();
        return split.selectCluster(request, decision);
    }
}
