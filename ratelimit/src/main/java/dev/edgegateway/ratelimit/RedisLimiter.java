package dev.edgegateway.ratelimit;

import dev.edgegateway.config.RedisConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's Redis for distributed limits: the token-bucket script on its own
 * {@link RedisConnection}, and a breaker that stops calls after repeated failures, for a while,
 * so a dead Redis costs no waiting at all. Errors are logged at most once per interval.
 * Thread-safe.
 */
public final class RedisLimiter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisLimiter.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final RedisConnection.Script SCRIPT = new RedisConnection.Script(RedisLimiter.class, "token-buckets.lua");

    /** Calls and their outcome, for metrics. */
    public interface Events {
        Events NONE = (nanos, ok) -> { };

        void redisCall(long nanos, boolean ok);
    }

    private final RedisConfig config;
    private final Events events;
    private final RedisConnection redis;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long openUntilNanos;
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

    public RedisLimiter(RedisConfig config, Events events) {
        this.config = config;
        this.events = events;
        this.redis = new RedisConnection(config, "rate limits", this::failure);
    }

    /** Whether a connection is established (lettuce may still be reconnecting it). */
    public boolean connected() {
        return redis.connected();
    }

    /** True while calls are not worth making: never connected yet, or the breaker is open. */
    boolean unavailable() {
        if (!redis.everConnected()) {
            return true;
        }
        return System.nanoTime() - openUntilNanos < 0;
    }

    /** Runs the script for these bucket keys; completes on a lettuce thread. */
    CompletableFuture<List<Object>> eval(String[] keys, String[] args) {
        long start = System.nanoTime();
        return redis.eval(SCRIPT, keys, args).whenComplete((r, error) -> {
            // Measured here, on the client's I/O thread, not on the event loop that asked: a busy
            // loop does not make Redis look slow.
            long took = System.nanoTime() - start;
            events.redisCall(took, error == null);
            if (error != null) {
                failure(error);
            } else if (took > config.timeout().toNanos()) {
                failure(new TimeoutException("answered in " + took / 1_000_000 + " ms, over the " + config.timeout().toMillis() + " ms budget"));
            } else {
                consecutiveFailures.set(0);
            }
        });
    }

    private void failure(Throwable error) {
        if (consecutiveFailures.incrementAndGet() >= config.breakerFailures()) {
            openUntilNanos = System.nanoTime() + config.breakerOpenTime().toNanos();
            consecutiveFailures.set(0);
        }
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            log.warn("Redis for rate limits failing ({}); policies answer by their fail-open/closed choice; next report in 10 s",
                    RedisConnection.rootCause(error).toString());
        }
    }

    public Duration timeout() {
        return config.timeout();
    }

    @Override
    public void close() {
        redis.close();
    }
}
