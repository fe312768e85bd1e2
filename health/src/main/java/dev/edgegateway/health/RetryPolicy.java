package dev.edgegateway.health;

import dev.edgegateway.config.RetryConfig;
import dev.edgegateway.config.StatusRange;
import java.util.ArrayList;
import java.util.List;

/** A cluster's {@link RetryConfig}, compiled: which failures may be retried. Immutable. */
public final class RetryPolicy {
    /** Why a try failed. */
    public enum Failure { CONNECT_FAILURE, RESET, TIMEOUT, STATUS }

    private final boolean onConnectFailure;
    private final boolean onReset;
    private final boolean onTimeout;
    private final StatusRange[] statuses;
    private final int maxRetries;
    private final boolean nonIdempotent;
    private final long perTryTimeoutNanos;

    public RetryPolicy(RetryConfig config) {
        List<StatusRange> ranges = new ArrayList<>();
        boolean connect = false;
        boolean reset = false;
        boolean timeout = false;
        for (String s : config.retryOn()) {
            switch (s) {
                case "connect-failure" -> connect = true;
                case "reset" -> reset = true;
                case "timeout" -> timeout = true;
                default -> ranges.add(StatusRange.parse(s));
            }
        }
        onConnectFailure = connect;
        onReset = reset;
        onTimeout = timeout;
        statuses = ranges.toArray(new StatusRange[0]);
        maxRetries = config.maxRetries();
        nonIdempotent = config.nonIdempotent();
        perTryTimeoutNanos = config.perTryTimeout().toNanos();
    }

    /** Whether this failure kind (and, for {@code STATUS}, this status) is one to retry. */
    public boolean retries(Failure failure, int status) {
        return switch (failure) {
            case CONNECT_FAILURE -> onConnectFailure;
            case RESET -> onReset;
            case TIMEOUT -> onTimeout;
            case STATUS -> retriesStatus(status);
        };
    }

    public boolean retriesStatus(int status) {
        for (StatusRange r : statuses) {
            if (r.contains(status)) {
                return true;
            }
        }
        return false;
    }

    public int maxRetries() {
        return maxRetries;
    }

    /** True if methods that are not idempotent (POST, PATCH) may be retried too. */
    public boolean nonIdempotent() {
        return nonIdempotent;
    }

    /** Response-header timeout of each try; 0 means the route's own timeout. */
    public long perTryTimeoutNanos() {
        return perTryTimeoutNanos;
    }
}
