package dev.edgegateway.config;

import java.util.List;

/**
 * One rate-limit policy of a route. Each distinct {@code key} value (client address, API key
 * header, ... or their combination; the route as a whole when empty) has its own token buckets,
 * one per limit; a request is admitted only if every limit has a token. A request missing a key
 * header or cookie shares one bucket with all others missing it.
 *
 * @param mode {@code local}: buckets in this gateway's memory; {@code distributed}: in Redis,
 *     shared by every gateway using it
 * @param failOpen when Redis cannot answer within its budget: admit (true, counted) or 429 (false)
 * @param headers also send {@code RateLimit}/{@code RateLimit-Policy} on admitted responses
 * @param maxKeys local mode: buckets kept at most (least recently used go first), so a flood of
 *     distinct keys cannot exhaust memory
 */
public record RateLimitConfig(String name, List<KeySource> key, List<Limit> limits, Mode mode, Boolean failOpen,
                              Boolean headers, Integer maxKeys) {
    public enum Mode { LOCAL, DISTRIBUTED }

    /** A token bucket: refilled at {@code rate}, holding at most {@code burst} (default: the rate's count). */
    public record Limit(Rate rate, Long burst) {
        public Limit {
            ConfigViolation.collector().require(rate, "rate").throwIfAny();
            burst = burst == null ? rate.tokens() : burst;
            ConfigViolation.collector().check(burst >= 1, "burst", "must be at least 1").throwIfAny();
        }
    }

    public RateLimitConfig {
        key = key == null ? List.of() : List.copyOf(key);
        limits = limits == null ? List.of() : List.copyOf(limits);
        mode = mode == null ? Mode.LOCAL : mode;
        failOpen = failOpen == null || failOpen;
        headers = headers != null && headers;
        maxKeys = maxKeys == null ? 100_000 : maxKeys;
        ConfigViolation.collector().require(name, "name")
                .check(!limits.isEmpty(), "limits", "at least one limit, e.g. [{rate: 100/s, burst: 200}]")
                .check(limits.size() <= 8, "limits", "at most 8 limits per policy")
                .check(maxKeys >= 1, "maxKeys", "must be at least 1")
                .check(name == null || name.matches("[A-Za-z0-9_.-]+"), "name", "letters, digits, '_', '.' and '-' only")
                .throwIfAny();
    }
}
