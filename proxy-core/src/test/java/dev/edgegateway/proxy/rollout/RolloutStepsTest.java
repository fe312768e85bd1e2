package dev.edgegateway.proxy.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.RolloutConfig;
import dev.edgegateway.routing.SplitWeights;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The rollout's rules on plain objects: the gates' figures and verdicts, and one route's rollout
 * walking, failing, pausing and restarting against the in-memory store on a clock the test moves
 * (so no test here waits for time to pass).
 */
class RolloutStepsTest {
    static final RolloutConfig.Gates GATES = new RolloutConfig.Gates(100, 0.01, 1.5, Duration.ofMillis(10));

    static Counts counts(long requests, long errors, long latencyNanos) {
        Counts c = new Counts();
        c.requests = requests;
        c.errors = errors;
        c.histogram[Counts.bucket(latencyNanos)] += requests;
        return c;
    }

    @Test
    void p99IsTheUpperBoundOfTheBucketHoldingThe99thPercentile() {
        Counts c = counts(1000, 0, 1_000_000);
        assertThat(c.p99Nanos()).isBetween(1_000_000L, 1_250_000L);
        c.histogram[Counts.bucket(100_000_000)] += 20; // 20 of 1020 slow: the 99th percentile is among them
        assertThat(c.p99Nanos()).isBetween(100_000_000L, 125_000_000L);
        assertThat(new Counts().p99Nanos()).isEqualTo(-1);
    }

    @Test
    void aStepWaitsForItsMinimumOfCanaryRequests() {
        Gates.Judgement j = Gates.judge(counts(99, 50, 1_000_000), counts(1000, 0, 1_000_000), Gates.Baseline.NONE, GATES);
        assertThat(j.verdict()).isEqualTo(Gates.Verdict.WAIT);
        assertThat(j.reason()).contains("99 so far");
    }

    @Test
    void aCanaryWithTenPercentErrorsAgainstAHealthyStableFails() {
        Gates.Judgement j = Gates.judge(counts(200, 20, 1_000_000), counts(2000, 0, 1_000_000), Gates.Baseline.NONE, GATES);
        assertThat(j.verdict()).isEqualTo(Gates.Verdict.FAIL);
        assertThat(j.reason()).contains("canary error ratio 10.00%").contains("allowed 1.00%");
    }

    @Test
    void errorsAreJudgedAgainstTheStableClustersOwn() {
        // Both clusters at 5%: the origin's dependency fails, not the canary.
        assertThat(Gates.judge(counts(200, 10, 1_000_000), counts(2000, 100, 1_000_000), Gates.Baseline.NONE, GATES).verdict())
                .isEqualTo(Gates.Verdict.PASS);
    }

    @Test
    void aSlowCanaryFailsOnP99WithSlackForTinyLatencies() {
        assertThat(Gates.judge(counts(200, 0, 60_000_000), counts(2000, 0, 5_000_000), Gates.Baseline.NONE, GATES).verdict())
                .isEqualTo(Gates.Verdict.FAIL);
        // 4 ms against 2 ms is twice as slow but within the 10 ms slack.
        assertThat(Gates.judge(counts(200, 0, 4_000_000), counts(2000, 0, 2_000_000), Gates.Baseline.NONE, GATES).verdict())
                .isEqualTo(Gates.Verdict.PASS);
    }

    @Test
    void atOneHundredPercentTheCanaryIsJudgedAgainstTheLastStableBaseline() {
        Gates.Baseline base = new Gates.Baseline(0.0, 5_000_000);
        Gates.Judgement j = Gates.judge(counts(500, 0, 60_000_000), new Counts(), base, GATES);
        assertThat(j.verdict()).isEqualTo(Gates.Verdict.FAIL);
        assertThat(j.stableP99Nanos()).isEqualTo(5_000_000);
    }

    /** One route's rollout on the in-memory store; every call runs at once on the test's thread. */
    static final class Harness {
        final AtomicLong clock = new AtomicLong(1_000_000);
        final LocalRolloutStore store = new LocalRolloutStore(clock::get);
        final SplitWeights weights = new SplitWeights(List.of(100, 0));
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final Rollout rollout;

        Harness(List<Integer> steps) {
            RolloutConfig config = new RolloutConfig(null, steps, Duration.ofSeconds(30), GATES, RolloutConfig.Coordination.LOCAL);
            rollout = new Rollout("app", "id1", config, "canary", "stable", 1, store, Runnable::run, new RolloutMeters(registry));
            rollout.bind(weights);
        }

        void traffic(int canary, int canaryErrors, int stable) {
            for (int i = 0; i < canary; i++) {
                rollout.window().record(1, i < canaryErrors ? 503 : 200, 1_000_000);
            }
            for (int i = 0; i < stable; i++) {
                rollout.window().record(0, 200, 1_000_000);
            }
        }

        int canaryPercent() {
            return weights.current()[1];
        }
    }

    @Test
    void aHealthyCanaryMovesOneStepPerIntervalAndIsPromoted() {
        Harness h = new Harness(List.of(10, 50));
        h.rollout.tick();
        assertThat(h.canaryPercent()).isEqualTo(10);
        h.traffic(150, 0, 1000);
        h.rollout.tick();
        assertThat(h.canaryPercent()).as("gates pass, but the interval is not over").isEqualTo(10);
        h.clock.addAndGet(30_000);
        h.rollout.tick();
        assertThat(h.canaryPercent()).isEqualTo(50);
        assertThat(h.rollout.json()).contains("\"state\":\"running\"").contains("\"step\":2");
        h.clock.addAndGet(30_000);
        h.rollout.tick();
        assertThat(h.canaryPercent()).as("a new step counts afresh: no requests yet").isEqualTo(50);
        h.traffic(150, 0, 150);
        h.rollout.tick();
        assertThat(h.canaryPercent()).isEqualTo(100);
        assertThat(h.rollout.json()).contains("\"state\":\"promoted\"");
        assertThat(h.registry.get("edge.rollout.transitions").tag("to", "promoted").counter().count()).isEqualTo(1);
        assertThat(h.registry.get("edge.rollout.transitions").tag("to", "next_step").counter().count()).isEqualTo(1);
    }

    @Test
    void aFailingGateRollsBackAtOnceWithoutWaitingForTheInterval() {
        Harness h = new Harness(List.of(10, 50));
        h.rollout.tick();
        h.traffic(150, 20, 1000);
        h.rollout.tick();
        assertThat(h.canaryPercent()).isZero();
        assertThat(h.rollout.json()).contains("\"state\":\"rolled_back\"").contains("canary error ratio");
        h.clock.addAndGet(60_000);
        h.traffic(500, 0, 500);
        h.rollout.tick();
        assertThat(h.canaryPercent()).as("a rolled-back rollout stays rolled back").isZero();
    }

    @Test
    void anOperatorPausesResumesAndRestartsIt() {
        Harness h = new Harness(List.of(10, 50));
        h.rollout.tick();
        assertThat(h.rollout.act("pause").join()).isEqualTo("paused by an operator");
        h.traffic(150, 0, 1000);
        h.clock.addAndGet(60_000);
        h.rollout.tick();
        assertThat(h.canaryPercent()).as("paused: not judged").isEqualTo(10);
        assertThat(h.rollout.act("pause")).isCompletedExceptionally();
        h.rollout.act("resume").join();
        h.rollout.act("promote").join();
        assertThat(h.canaryPercent()).isEqualTo(100);
        h.rollout.act("restart").join();
        assertThat(h.canaryPercent()).isEqualTo(10);
        assertThat(h.rollout.act("abort").join()).isEqualTo("aborted by an operator");
        assertThat(h.canaryPercent()).isZero();
    }

    @Test
    void anotherConfigsRolloutAdoptedLaterSupersedesThisOne() {
        Harness h = new Harness(List.of(10, 50));
        h.rollout.tick();
        h.clock.addAndGet(5_000);
        // A second gateway adopts a changed rollout block now, after this one adopted its own.
        h.store.sync("app", "id2", 0, 0, new Counts(), new Counts()).join();
        h.rollout.tick();
        assertThat(h.rollout.json()).contains("superseded");
        assertThat(h.store.sync("app", "id2", 1, 0, new Counts(), new Counts()).join().state().id())
                .as("the older config does not take the state back").isEqualTo("id2");
    }
}
