package dev.edgegateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.Rate;
import dev.edgegateway.config.RateLimitConfig.Limit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The cell-rate buckets on a clock the test moves: the token-bucket arithmetic, exactly. */
class LocalBucketTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private static LocalBucket bucket(long now, Limit... limits) {
        return new LocalBucket(new LocalBucket.Shape(List.of(limits)), now);
    }

    @Test
    void aBurstThenTheRate() {
        long t = 1_000 * S;
        LocalBucket b = bucket(t, new Limit(Rate.parse("1/s"), 3L));
        Verdict v = new Verdict();
        for (int i = 0; i < 3; i++) {
            b.take(t, v);
            assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
            assertThat(v.remaining()).isEqualTo(2 - i);
        }
        b.take(t, v);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.LIMITED);
        assertThat(v.retryAfterNanos()).isEqualTo(S);
        b.take(t + S - 1, v);
        assertThat(v.outcome()).as("a nanosecond early").isEqualTo(Verdict.Decision.LIMITED);
        b.take(t + S, v);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
        assertThat(v.remaining()).isZero();
        // Idle for long: full again, never more than the burst.
        b.take(t + 100 * S, v);
        assertThat(v.remaining()).isEqualTo(2);
        assertThat(v.resetNanos()).isEqualTo(S);
    }

    @Test
    void everyLimitMustHaveATokenAndARefusalTakesNone() {
        long t = 5_000 * S;
        LocalBucket b = bucket(t, new Limit(Rate.parse("100/s"), 5L), new Limit(Rate.parse("6/min"), 6L));
        Verdict v = new Verdict();
        for (int i = 0; i < 5; i++) {
            b.take(t, v);
            assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
        }
        assertThat(v.remaining()).isZero();
        b.take(t, v);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.LIMITED);
        assertThat(v.retryAfterNanos()).as("the per-second limit refills first").isEqualTo(10 * MS);
        b.take(t + 10 * MS, v);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
        assertThat(v.remaining()).as("the minute's last token").isZero();
        b.take(t + S, v);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.LIMITED);
        assertThat(v.retryAfterNanos()).as("6 taken of 6/min: one back 10 s after the first").isEqualTo(9 * S);
        // The refusal took nothing from the per-second limit: 5 there still, 1 from the minute's.
        b.take(t + 9 * S + S, v);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
        assertThat(v.remaining()).isZero();
    }

    @Test
    void aSlowRateWithAHugeBurstDoesNotOverflow() {
        LocalBucket b = bucket(0, new Limit(Rate.parse("1/d"), 1L << 40));
        Verdict v = new Verdict();
        b.take(0, v);
        assertThat(v.outcome()).isEqualTo(Verdict.Decision.ALLOWED);
        assertThat(v.remaining()).isPositive();
    }
}
