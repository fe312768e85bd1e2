package dev.edgegateway.bench;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.ratelimit.Policy;
import dev.edgegateway.ratelimit.RateLimiters;
import dev.edgegateway.ratelimit.RedisLimiter;
import dev.edgegateway.ratelimit.Verdict;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A local rate-limit decision: one key (a hot client) or keys drawn from {@code keys} distinct
 * ones (cache lookups across a working set); limits high enough that every request is admitted.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class LimiterBenchmark {
    @Param({"1", "10000"})
    int keys;

    private RateLimiters limiters;
    private Policy policy;
    private String[] keyNames;
    private int next;
    private final Verdict verdict = new Verdict();

    @Setup
    public void setup() throws Exception {
        limiters = new RateLimiters(RedisLimiter.Events.NONE);
        policy = limiters.compile(ConfigLoader.parse("""
                listeners: [{name: l, address: 127.0.0.1:0}]
                routes:
                  - name: r
                    cluster: c
                    rateLimits: [{name: ip, key: [{clientAddress: true}], limits: [{rate: 1000000000/s}, {rate: 1000000000/h}]}]
                clusters: [{name: c, endpoints: [127.0.0.1:9001]}]
                """, "bench.yaml", 1).config()).get(0).get(0);
        keyNames = new String[keys];
        for (int i = 0; i < keys; i++) {
            keyNames[i] = "10.0." + (i >> 8) + "." + (i & 255);
        }
    }

    @Benchmark
    public Verdict.Decision localDecision() {
        String key = keyNames[next++ % keys];
        policy.check(key, verdict, null, null);
        return verdict.outcome();
    }

    @TearDown
    public void close() {
        limiters.close();
    }
}
