package dev.edgegateway.config;

import java.time.Duration;
import java.util.List;

/**
 * Retries of a failed request on another endpoint. A request is retried only if it has no body
 * (the gateway streams bodies and keeps no copy) and its method is idempotent, unless
 * {@code nonIdempotent} is true; only before any of the response reached the client.
 *
 * @param retryOn {@code connect-failure}, {@code reset}, {@code timeout} and/or statuses such as {@code 503} or {@code 502-504}
 * @param maxRetries retries after the first try
 * @param perTryTimeout response-header timeout of each try (the request's own timeout still bounds the whole)
 * @param budgetPercent retries in flight at most this share of the cluster's requests in flight...
 * @param minRetryConcurrency ...but always allow this many, so a quiet cluster can still retry
 */
public record RetryConfig(List<String> retryOn, Integer maxRetries, Duration perTryTimeout, Integer budgetPercent,
                          Integer minRetryConcurrency, Boolean nonIdempotent) {
    public static final RetryConfig DEFAULT = new RetryConfig(null, null, null, null, null, null);

    public RetryConfig {
        retryOn = retryOn == null ? List.of("connect-failure", "reset") : List.copyOf(retryOn);
        maxRetries = maxRetries == null ? 1 : maxRetries;
        perTryTimeout = perTryTimeout == null ? Duration.ZERO : perTryTimeout;
        budgetPercent = budgetPercent == null ? 20 : budgetPercent;
        minRetryConcurrency = minRetryConcurrency == null ? 3 : minRetryConcurrency;
        nonIdempotent = nonIdempotent != null && nonIdempotent;
        var v = ConfigViolation.collector();
        for (int i = 0; i < retryOn.size(); i++) {
            String c = retryOn.get(i);
            boolean known = c.equals("connect-failure") || c.equals("reset") || c.equals("timeout");
            if (!known) {
                try {
                    StatusRange.parse(c);
                } catch (IllegalArgumentException e) {
                    v.add("retryOn[" + i + "]", "expected connect-failure, reset, timeout or statuses such as 503 or 502-504, found '" + c + "'");
                }
            }
        }
        v.check(maxRetries >= 0 && maxRetries <= 10, "maxRetries", "must be 0 to 10")
                .check(!perTryTimeout.isNegative(), "perTryTimeout", "must be 0 (use timeouts.responseHeader) or more")
                .check(budgetPercent >= 0 && budgetPercent <= 100, "budgetPercent", "must be 0 to 100")
                .check(minRetryConcurrency >= 0, "minRetryConcurrency", "must be 0 or more")
                .throwIfAny();
    }
}
