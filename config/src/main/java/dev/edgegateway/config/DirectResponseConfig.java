package dev.edgegateway.config;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * A route that answers by itself, without an origin: a maintenance page, a moved notice, a
 * {@code robots.txt}. Switched on and off by a config reload like any route.
 *
 * @param status the status (200 to 599)
 * @param body the body, sent as is (UTF-8); empty by default
 * @param contentType its {@code Content-Type}; default {@code text/plain; charset=utf-8}
 * @param headers more response headers (no framing or hop-by-hop ones)
 * @param retryAfter sent as {@code Retry-After} (whole seconds), e.g. with a 503 during maintenance
 */
public record DirectResponseConfig(Integer status, String body, String contentType, Map<String, String> headers, Duration retryAfter) {
    /** Body size kept in memory per route at most. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    public DirectResponseConfig {
        body = body == null ? "" : body;
        contentType = contentType == null ? "text/plain; charset=utf-8" : contentType;
        headers = headers == null ? Map.of() : new TreeMap<>(headers);
        var v = ConfigViolation.collector().require(status, "status");
        v.check(status == null || (status >= 200 && status <= 599), "status", "must be 200 to 599, found " + status);
        v.check(body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_BODY_BYTES, "body",
                "at most " + MAX_BODY_BYTES + " bytes (a page larger than that belongs on an origin)");
        v.check(HeaderRules.validValue(contentType), "contentType", "no control characters");
        v.check(retryAfter == null || !retryAfter.isNegative(), "retryAfter", "must not be negative");
        HeaderRules.checkNames(v, "headers", headers.keySet());
        for (var e : headers.entrySet()) {
            v.check(HeaderRules.validValue(e.getValue()), "headers." + e.getKey(), "no control characters (CR, LF, NUL)");
        }
        v.throwIfAny();
    }
}
