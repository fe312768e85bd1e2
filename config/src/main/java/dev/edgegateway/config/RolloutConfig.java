package dev.edgegateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A progressive rollout on a two-cluster split: the {@code canary} cluster's share of the route
 * walks through {@code steps} (percent), each held for {@code interval}, while the gateway
 * compares the canary with the other (stable) cluster of the split on the same route. A gate that
 * fails rolls the canary back to 0 at once; a step whose gates pass for the whole interval moves to
 * the next; passing the last promotes the canary (its last step's weight, normally 100).
 *
 * <p>The split's own weights are what the route serves until the rollout's state is known (a
 * restart with Redis unreachable), so a rollout's split normally gives the canary 0.
 *
 * @param canary the cluster rolled out; one of the split's two; default the split's second
 * @param steps the canary's percent at each step, increasing, each 1 to 100
 * @param interval how long a step holds before it is judged to pass
 * @param coordination {@code redis}: every gateway sharing the config's Redis applies the same
 *     step, the state survives restarts, and the rollout pauses while Redis is unreachable;
 *     {@code local}: this gateway alone, state in memory (a restart begins again at step one)
 */
public record RolloutConfig(String canary, List<Integer> steps, Duration interval, Gates gates, Coordination coordination) {
    public enum Coordination { REDIS, LOCAL }

    public static final List<Integer> DEFAULT_STEPS = List.of(5, 10, 25, 50, 100);

    public RolloutConfig {
        steps = steps == null ? DEFAULT_STEPS : List.copyOf(steps);
        interval = interval == null ? Duration.ofMinutes(1) : interval;
        gates = gates == null ? Gates.DEFAULT : gates;
        coordination = coordination == null ? Coordination.REDIS : coordination;
        var v = ConfigViolation.collector()
                .check(!steps.isEmpty(), "steps", "at least one step")
                .check(interval.compareTo(Duration.ofSeconds(1)) >= 0, "interval", "must be at least 1s, found " + Durations.format(interval));
        int previous = 0;
        for (int i = 0; i < steps.size(); i++) {
            int s = steps.get(i);
            v.check(s >= 1 && s <= 100, "steps[" + i + "]", "must be 1 to 100, found " + s);
            v.check(s > previous, "steps[" + i + "]", "steps must increase, found " + s + " after " + previous);
            previous = s;
        }
        v.throwIfAny();
    }

    /** The coordination's name as written in config ({@code redis}, {@code local}). */
    public String coordinationName() {
        return coordination.name().toLowerCase(Locale.ROOT);
    }

    /**
     * What a step must show before it passes. Each is judged on the requests of the current step
     * only, the canary's against the stable cluster's on the same route (when the stable cluster
     * had fewer than {@code minRequests} in the step, as at 100%, against the stable figures of
     * the last step where it had enough).
     *
     * @param minRequests canary requests in the step before any gate is judged (fewer: the step
     *     waits, however long its interval)
     * @param maxErrorRatioIncrease how far the canary's error ratio (5xx answers, the gateway's
     *     own 502/503/504 included) may exceed the stable's, as a fraction (0.01 = one point)
     * @param maxP99Ratio how many times the stable's p99 latency the canary's may be
     * @param p99Slack added to the allowed p99, so that a 2 ms stable p99 does not fail a 4 ms
     *     canary on noise
     */
    public record Gates(Integer minRequests, Double maxErrorRatioIncrease, Double maxP99Ratio, Duration p99Slack) {
        public static final Gates DEFAULT = new Gates(null, null, null, null);

        public Gates {
            minRequests = minRequests == null ? 100 : minRequests;
            maxErrorRatioIncrease = maxErrorRatioIncrease == null ? 0.01 : maxErrorRatioIncrease;
            maxP99Ratio = maxP99Ratio == null ? 1.5 : maxP99Ratio;
            p99Slack = p99Slack == null ? Duration.ofMillis(10) : p99Slack;
            ConfigViolation.collector()
                    .check(minRequests >= 1, "minRequests", "must be at least 1")
                    .check(maxErrorRatioIncrease >= 0 && maxErrorRatioIncrease <= 1, "maxErrorRatioIncrease",
                            "must be 0 to 1 (a fraction), found " + maxErrorRatioIncrease)
                    .check(maxP99Ratio >= 1, "maxP99Ratio", "must be at least 1, found " + maxP99Ratio)
                    .check(!p99Slack.isNegative(), "p99Slack", "must not be negative")
                    .throwIfAny();
        }
    }
}
