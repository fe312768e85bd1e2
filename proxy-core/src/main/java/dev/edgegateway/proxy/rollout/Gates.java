package dev.edgegateway.proxy.rollout;

import dev.edgegateway.config.RolloutConfig;
import java.util.Locale;

/**
 * The judgement of one step from its counts: wait (too few canary requests yet), fail (a gate is
 * broken: roll back now) or pass (the step may move on once its interval is over). The canary is
 * compared with the stable cluster's figures in the same step; when the stable cluster had too few
 * requests to say anything (at 100%, say), with the stable figures of the last step where it had
 * enough ({@code baseline}); with neither, the canary's errors are compared with none and its p99
 * is not judged. Pure.
 */
final class Gates {
    enum Verdict { WAIT, PASS, FAIL }

    /**
     * A judgement and the figures it read, for {@code /rollouts} and the log.
     *
     * @param stableErrorRatio the stable side compared with: this step's or the baseline's; -1 when none
     * @param stableP99Nanos likewise; -1 when none
     */
    record Judgement(Verdict verdict, String reason, long canaryRequests, long stableRequests, double canaryErrorRatio,
                     double stableErrorRatio, long canaryP99Nanos, long stableP99Nanos) {}

    /** The stable cluster's figures from the last step where it had enough requests; -1 where unknown. */
    record Baseline(double errorRatio, long p99Nanos) {
        static final Baseline NONE = new Baseline(-1, -1);
    }

    private Gates() {}

    static Judgement judge(Counts canary, Counts stable, Baseline baseline, RolloutConfig.Gates g) {
        boolean stableEnough = stable.requests >= g.minRequests();
        double stableErr = stableEnough ? stable.errorRatio() : baseline.errorRatio();
        long stableP99 = stableEnough ? stable.p99Nanos() : baseline.p99Nanos();
        double canaryErr = canary.errorRatio();
        long canaryP99 = canary.p99Nanos();
        if (canary.requests < g.minRequests()) {
            return new Judgement(Verdict.WAIT, "waiting for " + g.minRequests() + " canary requests (" + canary.requests + " so far)",
                    canary.requests, stable.requests, canaryErr, stableErr, canaryP99, stableP99);
        }
        double allowedErr = Math.max(stableErr, 0) + g.maxErrorRatioIncrease();
        if (canaryErr > allowedErr) {
            return new Judgement(Verdict.FAIL, String.format(Locale.ROOT, "canary error ratio %.2f%% over the allowed %.2f%% (stable %s)",
                    canaryErr * 100, allowedErr * 100, stableErr < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f%%", stableErr * 100)),
                    canary.requests, stable.requests, canaryErr, stableErr, canaryP99, stableP99);
        }
        if (stableP99 > 0) {
            long allowedP99 = (long) (stableP99 * g.maxP99Ratio()) + g.p99Slack().toNanos();
            if (canaryP99 > allowedP99) {
                return new Judgement(Verdict.FAIL, String.format(Locale.ROOT, "canary p99 %.1f ms over the allowed %.1f ms (stable %.1f ms)",
                        canaryP99 / 1e6, allowedP99 / 1e6, stableP99 / 1e6),
                        canary.requests, stable.requests, canaryErr, stableErr, canaryP99, stableP99);
            }
        }
        return new Judgement(Verdict.PASS, String.format(Locale.ROOT, "gates pass: canary errors %.2f%%, p99 %.1f ms",
                canaryErr * 100, canaryP99 / 1e6), canary.requests, stable.requests, canaryErr, stableErr, canaryP99, stableP99);
    }
}
