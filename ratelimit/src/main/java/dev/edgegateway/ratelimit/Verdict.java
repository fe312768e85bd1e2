package dev.edgegateway.ratelimit;

/**
 * The answer of one policy for one request, written by the policy into an object the exchange
 * owns (made at its first policy, reused for its others). Confined to the connection's event loop.
 */
public final class Verdict {
    /** How the decision was reached. */
    public enum Decision {
        /** A token was taken. */
        ALLOWED,
        /** No token: 429. */
        LIMITED,
        /** Redis could not answer within its budget and the policy admits. */
        FAILED_OPEN,
        /** Redis could not answer within its budget and the policy refuses: 429. */
        FAILED_CLOSED
    }

    Decision outcome;
    long remaining;
    long retryAfterNanos;
    long resetNanos;

    public Decision outcome() {
        return outcome;
    }

    public boolean admitted() {
        return outcome == Decision.ALLOWED || outcome == Decision.FAILED_OPEN;
    }

    /** Tokens left after this request (the smallest over the policy's limits); -1 when unknown. */
    public long remaining() {
        return remaining;
    }

    /** For a refused request: when a token will be there. */
    public long retryAfterNanos() {
        return retryAfterNanos;
    }

    /** When the bucket will be full again (the draft's {@code t}). */
    public long resetNanos() {
        return resetNanos;
    }

    void set(Decision outcome, long remaining, long retryAfterNanos, long resetNanos) {
        this.outcome = outcome;
        this.remaining = remaining;
        this.retryAfterNanos = retryAfterNanos;
        this.resetNanos = resetNanos;
    }
}
