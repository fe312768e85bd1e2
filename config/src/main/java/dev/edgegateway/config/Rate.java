package dev.edgegateway.config;

import java.time.Duration;
import java.util.Locale;

/** A rate written {@code 100/s}, {@code 600/min}, {@code 10000/h} or {@code 100000/d}: tokens per period. */
public record Rate(long tokens, Duration period) {
    public Rate {
        if (tokens < 1 || period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("a rate needs at least 1 per period");
        }
    }

    public static Rate parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        int slash = t.indexOf('/');
        if (slash < 1) {
            throw new IllegalArgumentException("expected a rate such as 100/s, 600/min or 10000/h, found '" + text + "'");
        }
        long n;
        try {
            n = Long.parseLong(t.substring(0, slash).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a rate such as 100/s, 600/min or 10000/h, found '" + text + "'");
        }
        Duration period = switch (t.substring(slash + 1).trim()) {
            case "s", "sec", "second" -> Duration.ofSeconds(1);
            case "m", "min", "minute" -> Duration.ofMinutes(1);
            case "h", "hour" -> Duration.ofHours(1);
            case "d", "day" -> Duration.ofDays(1);
            default -> throw new IllegalArgumentException("a rate's period is s, min, h or d, found '" + text + "'");
        };
        if (n < 1) {
            throw new IllegalArgumentException("a rate needs at least 1 per period, found '" + text + "'");
        }
        return new Rate(n, period);
    }

    /** Tokens per second. */
    public double perSecond() {
        return tokens * 1e9 / period.toNanos();
    }

    @Override
    public String toString() {
        long s = period.toSeconds();
        return tokens + "/" + (s == 1 ? "s" : s == 60 ? "min" : s == 3600 ? "h" : "d");
    }
}
