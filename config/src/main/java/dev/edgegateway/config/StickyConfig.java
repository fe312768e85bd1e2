package dev.edgegateway.config;

import java.time.Duration;

/**
 * Keeps a client on one endpoint of the chosen cluster while that endpoint is available. Either
 * {@code cookie}: the gateway issues a cookie naming the endpoint (an opaque id, not its
 * address); or {@code hash}: a consistent hash (ring) of a header, cookie or the client address,
 * so that when one of N endpoints leaves only about 1/N of keys move, and they move back when it
 * returns. {@code boundedLoad} (hash only; e.g. 1.25) sends a key past an endpoint that already
 * has more than that factor times the average requests in flight; 0 turns it off.
 */
public record StickyConfig(CookieSpec cookie, KeySource hash, Double boundedLoad) {
    /** The gateway's sticky cookie. */
    public record CookieSpec(String name, Duration maxAge) {
        public CookieSpec {
            name = name == null ? "edge-sticky" : name;
            ConfigViolation.collector()
                    .check(name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+"), "name", "not a valid cookie name: '" + name + "'")
                    .check(maxAge == null || !maxAge.isNegative(), "maxAge", "must not be negative")
                    .throwIfAny();
        }
    }

    public StickyConfig {
        boundedLoad = boundedLoad == null ? 0.0 : boundedLoad;
        ConfigViolation.collector()
                .check((cookie == null) != (hash == null), "cookie", "set exactly one of cookie or hash")
                .check(boundedLoad == 0 || boundedLoad > 1, "boundedLoad", "must be 0 (off) or more than 1, e.g. 1.25")
                .throwIfAny();
    }
}
