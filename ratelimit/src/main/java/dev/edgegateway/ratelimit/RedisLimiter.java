package dev.edgegateway.ratelimit;

import dev.edgegateway.config.RedisConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
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
    static final RedisConnection.Script FLEET = new RedisConnection.Script(RedisLimiter.class, "fleet.lua");
    /** Where the buckets' script publishes a key's refusal ({@code <bucket key>|<wait us>}). */
    static final String REFUSALS = "edge:rl:refused";
    /** How often this gateway says it is alive, and after how long without it another is no longer counted. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);

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

    private final String gatewayId = UUID.randomUUID().toString();
    private volatile int fleetSize = 1;
    private final Map<String, DistributedPolicy> policies = new ConcurrentHashMap<>();
    private final Map<ScheduledExecutorService, DecisionBatch> batches = new ConcurrentHashMap<>();

    public RedisLimiter(RedisConfig config, Events events) {
        this.config = config;
        this.events = events;
        this.redis = new RedisConnection(config, "rate limits", this::failure);
        redis.preload(SCRIPT, FLEET);
        redis.subscribe(REFUSALS, this::refused);
        // The fleet's size (gateways seen in the last three heartbeats) sizes each gateway's leases.
        redis.every(HEARTBEAT, () -> redis.eval(FLEET, new String[] {"edge:rl:fleet"},
                        new String[] {gatewayId, Long.toString(HEARTBEAT.toMillis() * 3)})
                .whenComplete((r, e) -> {
                    if (e == null && r != null && !r.isEmpty()) {
                        fleetSize = Math.max(1, ((Long) r.get(0)).intValue());
                    }
                }));
    }

    /**
     * Asks for a decision with the others {@code loop} asks for in this turn (one call for them
     * all); from the loop's own thread. Without a loop (a caller that is not on one), at once.
     */
    void decide(ScheduledExecutorService loop, DecisionBatch.Decision d) {
        if (loop == null) {
            DecisionBatch.send(this, List.of(d));
            return;
        }
        batches.computeIfAbsent(loop, l -> new DecisionBatch(l, this, config.cluster())).add(d);
    }

    /** Gateways sharing this Redis, as last counted (1 until then). */
    int fleetSize() {
        return fleetSize;
    }

    Duration leaseTime() {
        return config.leaseTime();
    }

    /** The channel a refusal is published on, or '' when refusals are not shared. */
    String refusalChannel() {
        return REFUSALS;
    }

    /** A policy's refusals from other gateways reach it by its scope (route/policy); a reload's new policy replaces the old. */
    void register(String scope, DistributedPolicy policy) {
        policies.put(scope, policy);
    }

    /** Forgets policies a committed config no longer has. */
    void retainScopes(java.util.Set<String> scopes) {
        policies.keySet().retainAll(scopes);
    }

    /** A refusal another gateway (or this one) published: {@code {rl:SCOPE:KEY}:0|WAIT_US}. */
    private void refused(String message) {
        int bar = message.lastIndexOf('|');
        int end = message.lastIndexOf("}:");
        if (bar < 0 || end < 0 || !message.startsWith("{rl:")) {
            return;
        }
        String inner = message.substring(4, end);
        long waitNanos;
        try {
            waitNanos = Long.parseLong(message.substring(bar + 1)) * 1000;
        } catch (NumberFormatException e) {
            return;
        }
        for (DistributedPolicy p : policies.values()) {
            String scope = p.scope();
            if (inner.length() > scope.length() && inner.startsWith(scope) && inner.charAt(scope.length()) == ':') {
                p.refusedElsewhere(inner.substring(scope.length() + 1), waitNanos);
                return;
            }
        }
    }

    /** Whether a connection is established (lettuce may still be reconnecting it). */
    public boolean connected() {
        return redis.connected();
    }

    /**
     * Connected and the breaker closed: a budget that runs out now may be this machine's stall (a
     * starved CPU, a cold start), not Redis's, and the request gets one more. A late answer does not
     * end that: it is timed on the client's own thread, which a starved machine delays as it delays the
     * loops (on two busy cores, FleetLimitTest saw 2 of a gateway's 536 answers over 25 ms, the worst
     * at 38, and one fail-closed refusal: a budget that ran out while the last answer was a late one).
     * Redis slow in earnest is the breaker's to find: {@code breakerFailures} late or failed answers in a row.
     */
    boolean healthy() {
        return redis.connected() && System.nanoTime() - openUntilNanos >= 0;
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
