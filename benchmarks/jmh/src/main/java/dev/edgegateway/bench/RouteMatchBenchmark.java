package dev.edgegateway.bench;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.routing.Route;
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
 * Route match for a table of {@code routes} routes: half on exact hosts, half on any host, each
 * pinning a path prefix (/svc17/...), a few with header conditions; one regex route and a
 * catch-all last. The request hits a route in the middle of the table.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RouteMatchBenchmark {
    @Param({"10", "100", "1000"})
    int routes;

    private RouteTable table;
    private BenchRequest prefixHit;
    private BenchRequest fallThrough;

    @Setup
    public void setup() throws Exception {
        StringBuilder yaml = new StringBuilder("listeners: [{name: l, address: 127.0.0.1:0}]\nroutes:\n");
        for (int i = 0; i < routes; i++) {
            String host = i % 2 == 0 ? "api" + i + ".example.com" : "*";
            String headers = i % 10 == 3 ? ", headers: [{name: x-env, value: prod}]" : "";
            yaml.append("  - {name: r").append(i).append(", match: {host: \"").append(host)
                    .append("\", pathPrefix: /svc").append(i).append('/').append(headers).append("}, cluster: c}\n");
        }
        yaml.append("  - {name: versioned, match: {pathRegex: \"/v[0-9]+/.*\"}, cluster: c}\n");
        yaml.append("  - {name: rest, cluster: c}\n");
        yaml.append("clusters: [{name: c, endpoints: [127.0.0.1:9001]}]\n");
        table = RouteTable.compile(ConfigLoader.parse(yaml.toString(), "bench.yaml", 1).config(), new EndpointRegistry());
        int middle = routes / 2 | 1; // an any-host route
        prefixHit = new BenchRequest("/svc" + middle + "/users/17?page=2");
        fallThrough = new BenchRequest("/static/app.js");
        if (!table.match("www.example.com", prefixHit).name().equals("r" + middle)) {
            throw new IllegalStateException("benchmark table does not route as intended");
        }
    }

    @Benchmark
    public Route prefixInTheMiddle() {
        return table.match("www.example.com", prefixHit);
    }

    @Benchmark
    public Route regexThenCatchAll() {
        return table.match("www.example.com", fallThrough);
    }
}
