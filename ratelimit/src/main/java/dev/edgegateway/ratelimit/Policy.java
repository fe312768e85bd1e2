package dev.edgegateway.ratelimit;

import dev.edgegateway.config.RateLimitConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
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

    /** Keys longer than this are stored as a digest, here and in Redis. */
    static final int MAX_KEY_CHARS = 64;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /**
     * The key as stored: itself up to {@link #MAX_KEY_CHARS} characters, else {@code ~} and the
     * base64url SHA-256 of it (44 characters). A client sending 10 KB keys costs 45 bytes of key
     * per bucket, not 10 KB, in this gateway's memory and in Redis; distinct keys stay distinct.
     */
    static String stored(String key) {
        if (key.length() <= MAX_KEY_CHARS) {
            return key;
        }
        byte[] d = SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8));
        return "~" + Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    }

    /**
     * Whether {@link #check} always writes its verdict before it returns (never later): the
     * caller may then hand it a verdict it reuses from one request to the next.
     */
    public boolean answersAtOnce() {
        return false;
    }

    /**
     * Decides for one request. Returns true if the verdict was written now; false if the answer
     * will come later, when {@code done} runs on {@code loop} (the connection's event loop), with
     * the verdict written, within the Redis timeout budget.
     */
    public abstract boolean check(String key, Verdict verdict, ScheduledExecutorService loop, Runnable done);
}
