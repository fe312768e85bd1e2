package dev.edgegateway.ratelimit;

import dev.edgegateway.config.RateLimitConfig;
import java.util.concurrent.ScheduledExecutorService;

/** One compiled rate-limit policy. Thread-safe. */
public abstract class Policy {
    final RateLimitConfig config;
    private final String policyHeader;

    Policy(RateLimitConfig config) {
        this.config = config;
        RateLimitConfig.Limit first = config.limits().get(0);
        // IETF draft-ietf-httpapi-ratelimit-headers: quota q over window w (seconds). A token
        // bucket's burst is the quota; the window is how long the rate takes to earn it back.
        long window = Math.max(1, (long) Math.ceil(first.burst() / first.rate().perSecond()));
        policyHeader = "\"" + config.name() + "\";q=" + first.burst() + ";w=" + window;
    }

    public RateLimitConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    /** The {@code RateLimit-Policy} header value. */
    public String policyHeader() {
        return policyHeader;
    }

    /**
     * Decides for one request. Returns true if the verdict was written now; false if the answer
     * will come later, when {@code done} runs on {@code loop} (the connection's event loop), with
     * the verdict written, within the Redis timeout budget.
     */
    public abstract boolean check(String key, Verdict verdict, ScheduledExecutorService loop, Runnable done);
}
