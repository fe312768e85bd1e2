package dev.edgegateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.RedisConfig;
import dev.edgegateway.e2e.Await;
import dev.edgegateway.e2e.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The second budget a decision gets while Redis is connected and its breaker closed (the lateness
 * may be this machine's): a late answer, timed on the client's own thread, does not take it away,
 * since a starved machine delays that thread too (FleetLimitTest's fail-closed refusal on busy
 * cores came from one); the breaker, opened by {@code breakerFailures} late answers in a row, does.
 * Against a real redis-server; an answer is made late by {@code CLIENT PAUSE} from {@code redis-cli}
 * (300 ms against a 25 ms budget), so it is late on any machine. In the e2e module for its Redis
 * server; in this package for the limiter's own view of its health.
 */
class RedisGraceTest {
    private static final Duration BUDGET = Duration.ofMillis(25);

    @Test
    void aLateAnswerKeepsTheGraceAndTheBreakerEndsIt() throws Exception {
        try (RedisServer server = new RedisServer(false)) {
            RedisConfig config = new RedisConfig(List.of(new HostPort("127.0.0.1", server.port)), false, BUDGET, 3,
                    Duration.ofMinutes(5), null, Duration.ofMillis(100));
            AtomicInteger late = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            try (RedisLimiter redis = new RedisLimiter(config, (nanos, ok) -> {
                if (!ok) {
                    failed.incrementAndGet();
                } else if (nanos > BUDGET.toNanos()) {
                    late.incrementAndGet();
                }
            })) {
                Await.until(redis::connected, 20_000, "connected to Redis");
                // A call of no decisions runs the script and is answered; until one is in time (a cold client's first may not be).
                Await.until(() -> {
                    late.set(0);
                    failed.set(0);
                    return call(redis) && late.get() == 0 && failed.get() == 0;
                }, 20_000, "an answer in time");
                assertThat(redis.healthy()).isTrue();

                Await.until(() -> lateCall(redis, server) && late.get() > 0, 20_000, "an answer after the pause");
                assertThat(failed.get()).as("no call failed").isZero();
                assertThat(redis.healthy()).as("one late answer: connected, the breaker closed, the grace kept").isTrue();
                assertThat(redis.unavailable()).isFalse();

                // Late answers in a row (nothing else calls the script here) open the breaker at the third.
                Await.until(() -> lateCall(redis, server) && redis.unavailable(), 20_000, "the breaker open");
                assertThat(redis.healthy()).as("the breaker open: no grace").isFalse();
            }
        }
    }

    /** One call of no decisions, waited for; true when it completed (in time or late). */
    private static boolean call(RedisLimiter redis) {
        try {
            redis.eval(new String[0], new String[] {redis.refusalChannel(), "0"}).get(10, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Pauses every client of the server for 300 ms ({@code redis-cli} returns once it holds), then calls once behind it. */
    private static boolean lateCall(RedisLimiter redis, RedisServer server) {
        try {
            assertThat(server.cli("client", "pause", "300")).isEqualTo("OK");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return call(redis);
    }
}
