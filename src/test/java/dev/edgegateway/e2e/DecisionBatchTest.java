package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.ratelimit.Policy;
import dev.edgegateway.ratelimit.RateLimiters;
import dev.edgegateway.ratelimit.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Decisions due on one event loop in one turn go to Redis together: fifty cold keys asked for in
 * one task cost one script call, against a real redis-server (and a 3-node Redis Cluster, where a
 * call carries only the keys of one hash slot), each key still decided on its own buckets. The
 * budget is set long (1 s): what is tested is the batching, not a busy machine's latency.
 */
class DecisionBatchTest {
    static void fiftyColdKeysInOneTurn(String redisSection, int maxCalls) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        try (RateLimiters limiters = new RateLimiters((nanos, ok) -> calls.incrementAndGet())) {
            GatewayConfig config = ConfigLoader.parse("""
                    listeners: [{name: public, address: 127.0.0.1:0}]
                    %s
                    routes:
                      - name: api
                        cluster: app
                        rateLimits: [{name: per-key, mode: distributed, key: [{header: x-key}], limits: [{rate: 2/min, burst: 2}]}]
                    clusters: [{name: app, endpoints: ["127.0.0.1:1"]}]
                    """.formatted(redisSection), "batch.yaml", 1).config();
            RateLimiters.Prepared prepared = limiters.prepare(config);
            limiters.commit(prepared);
            Policy policy = prepared.byRoute().get(0).get(0);
            Await.until(() -> limiters.redisUp() == 1, 20_000, "connected to Redis");
            // Warm: a cold JVM's first cluster commands take longer than the budget (class loading, the JIT)
            // and open the breaker; fresh batches of 50 are asked until one is answered in time whole.
            AtomicInteger warm = new AtomicInteger();
            Await.until(() -> {
                List<Verdict> vs = fiftyInOneTurn(policy, loop, i -> "warm-" + warm.incrementAndGet());
                return !vs.isEmpty() && vs.stream().allMatch(v -> v.outcome() == Verdict.Decision.ALLOWED);
            }, 30_000, "Redis answering in time");
            for (int round = 0; round < 4; round++) {
                int before = calls.get();
                List<Verdict> verdicts = fiftyInOneTurn(policy, loop, i -> "cold-" + i);
                // Each key's own bucket: two admitted, then refused.
                Verdict.Decision expected = round < 2 ? Verdict.Decision.ALLOWED : Verdict.Decision.LIMITED;
                assertThat(verdicts).extracting(Verdict::outcome).as("round " + round).containsOnly(expected);
                if (round < 3) {
                    assertThat(calls.get() - before).as("script calls for 50 decisions in one turn").isBetween(1, maxCalls);
                } else {
                    assertThat(calls.get() - before).as("keys refused just now are known here: no call").isZero();
                }
            }
        } finally {
            loop.shutdownNow();
        }
    }

    /** Fifty decisions asked for in one task on the loop (one turn); their verdicts once all are in (empty if they were not in time). */
    static List<Verdict> fiftyInOneTurn(Policy policy, ScheduledExecutorService loop, IntFunction<String> key) {
        List<Verdict> verdicts = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(50);
        loop.execute(() -> {
            for (int i = 0; i < 50; i++) {
                Verdict v = new Verdict();
                verdicts.add(v);
                if (policy.check(key.apply(i), v, loop, done::countDown)) {
                    done.countDown();
                }
            }
        });
        try {
            return done.await(10, TimeUnit.SECONDS) ? verdicts : List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    @Test
    void fiftyColdKeysInOneTurnCostOneCall() throws Exception {
        try (RedisServer redis = new RedisServer(false)) {
            fiftyColdKeysInOneTurn("redis: {nodes: [\"" + redis.address() + "\"], timeout: 1s}", 1);
        }
    }

    @Test
    void onARedisClusterOneCallPerSlot() throws Exception {
        List<RedisServer> nodes = RedisServer.cluster3();
        try {
            // 50 keys hash to (nearly always) 50 slots: batching cannot join them, and must not break them.
            fiftyColdKeysInOneTurn("redis: {nodes: [\"" + nodes.get(0).address() + "\"], cluster: true, timeout: 1s}", 50);
        } finally {
            for (RedisServer n : nodes) {
                n.close();
            }
        }
    }
}
