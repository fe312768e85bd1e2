package dev.edgegateway.ratelimit;

import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.RateLimitConfig;
import dev.edgegateway.config.RedisConfig;
import dev.edgegateway.config.RouteConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The gateway's rate-limit policies across config snapshots. A policy whose route, name and
 * settings are unchanged by a reload is the same object afterwards, buckets and all, so a
 * nearly spent limit stays spent. The Redis connection is made when a config first needs one.
 * Thread-safe.
 */
public final class RateLimiters implements AutoCloseable {
    private final Map<String, Policy> policies = new ConcurrentHashMap<>();
    private final RedisLimiter.Events events;
    private final LongSupplier nanoClock;
    private volatile RedisLimiter redis;
    private volatile RedisConfig redisConfig;

    public RateLimiters(RedisLimiter.Events events) {
        this(events, System::nanoTime);
    }

    /** With the clock local buckets read ({@link System#nanoTime()}'s kind; the gateway's event loops hold it per read). */
    public RateLimiters(RedisLimiter.Events events, LongSupplier nanoClock) {
        this.events = events;
        this.nanoClock = nanoClock;
    }

    /** The policies of each route of {@code config}, by route index, prepared and committed at once (tests, tools). */
    public synchronized List<List<Policy>> compile(GatewayConfig config) {
        Prepared p = prepare(config);
        commit(p);
        return p.byRoute();
    }

    /**
     * A reload's limiter state, made by {@link #prepare} and either committed or discarded.
     *
     * @param byRoute each route's policies, by route index
     * @param next every policy of the config, by {@code route/name}: the live set after a commit
     * @param redis the Redis client the config's distributed policies use (null: none does)
     */
    public record Prepared(List<List<Policy>> byRoute, Map<String, Policy> next, RedisLimiter redis, RedisConfig redisConfig, boolean newRedis) {
        /** Drops what {@link #prepare} made for this config alone: a Redis client made for a changed {@code redis} section. */
        public void discard() {
            if (newRedis) {
                redis.close();
            }
        }
    }

    /**
     * The first phase of a reload: the config's policies, with those whose route, name and
     * settings (and Redis) are unchanged reused, buckets and all; a new Redis client only when the
     * {@code redis} section changed. The live policies and client are untouched until
     * {@link #commit}.
     */
    public synchronized Prepared prepare(GatewayConfig config) {
        boolean distributed = config.routes().stream().flatMap(r -> r.rateLimits().stream())
                .anyMatch(rl -> rl.mode() == RateLimitConfig.Mode.DISTRIBUTED);
        RedisLimiter client = null;
        boolean made = false;
        if (distributed) {
            if (redis != null && config.redis().equals(redisConfig)) {
                client = redis;
            } else {
                client = new RedisLimiter(config.redis(), events);
                made = true;
            }
        }
        Map<String, Policy> next = new LinkedHashMap<>();
        List<List<Policy>> byRoute = new ArrayList<>();
        for (RouteConfig route : config.routes()) {
            List<Policy> list = new ArrayList<>();
            for (RateLimitConfig rl : route.rateLimits()) {
                String id = route.name() + "/" + rl.name();
                Policy existing = policies.get(id);
                Policy p;
                if (existing != null && existing.config().equals(rl) && (rl.mode() == RateLimitConfig.Mode.LOCAL || !made)) {
                    p = existing;
                } else {
                    p = rl.mode() == RateLimitConfig.Mode.LOCAL ? new LocalPolicy(rl, nanoClock) : new DistributedPolicy(id, rl, client);
                }
                next.put(id, p);
                list.add(p);
            }
            byRoute.add(List.copyOf(list));
        }
        return new Prepared(byRoute, next, client, distributed ? config.redis() : null, made);
    }

    /**
     * Makes a prepared config's policies the live ones: policies it does not name are dropped
     * (their buckets with them), and a Redis client it no longer uses, or replaced, is closed
     * (its calls in flight fail and answer by their policy's choice). Cannot fail.
     */
    public synchronized void commit(Prepared p) {
        policies.keySet().retainAll(p.next().keySet());
        policies.putAll(p.next());
        RedisLimiter old = redis;
        redis = p.redis();
        if (redis != null) {
            redis.retainScopes(p.next().keySet());
        }
        redisConfig = p.redisConfig();
        if (old != null && old != p.redis()) {
            old.close();
        }
    }

    /** How many policies are live (for the retirement tests). */
    public int policyCount() {
        return policies.size();
    }

    /** 1 when a Redis connection is up, 0 when it is not, -1 when no policy uses Redis. */
    public int redisUp() {
        RedisLimiter r = redis;
        return r == null ? -1 : r.connected() ? 1 : 0;
    }

    @Override
    public void close() {
        if (redis != null) {
            redis.close();
        }
    }
}
