package dev.edgegateway.ratelimit;

import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.RateLimitConfig;
import dev.edgegateway.config.RedisConfig;
import dev.edgegateway.config.RouteConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's rate-limit policies across config snapshots. A policy whose route, name and
 * settings are unchanged by a reload is the same object afterwards, buckets and all, so a
 * nearly spent limit stays spent. The Redis connection is made when a config first needs one.
 * Thread-safe.
 */
public final class RateLimiters implements AutoCloseable {
    private final Map<String, Policy> policies = new ConcurrentHashMap<>();
    private final RedisLimiter.Events events;
    private volatile RedisLimiter redis;
    private volatile RedisConfig redisConfig;

    public RateLimiters(RedisLimiter.Events events) {
        this.events = events;
    }

    /** The policies of each route of {@code config}, by route index. */
    public synchronized List<List<Policy>> compile(GatewayConfig config) {
        List<List<Policy>> byRoute = new ArrayList<>();
        for (RouteConfig route : config.routes()) {
            List<Policy> list = new ArrayList<>();
            for (RateLimitConfig rl : route.rateLimits()) {
                String id = route.name() + "/" + rl.name();
                Policy existing = policies.get(id);
                if (existing != null && existing.config().equals(rl)
                        && (rl.mode() == RateLimitConfig.Mode.LOCAL || config.redis().equals(redisConfig))) {
                    list.add(existing);
                    continue;
                }
                Policy p = rl.mode() == RateLimitConfig.Mode.LOCAL ? new LocalPolicy(rl) : new DistributedPolicy(id, rl, redis(config.redis()));
                policies.put(id, p);
                list.add(p);
            }
            byRoute.add(List.copyOf(list));
        }
        return byRoute;
    }

    private RedisLimiter redis(RedisConfig config) {
        if (redis == null || !config.equals(redisConfig)) {
            RedisLimiter old = redis;
            redis = new RedisLimiter(config, events);
            redisConfig = config;
            if (old != null) {
                old.close(); // calls in flight fail and answer by their policy's choice
            }
        }
        return redis;
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
