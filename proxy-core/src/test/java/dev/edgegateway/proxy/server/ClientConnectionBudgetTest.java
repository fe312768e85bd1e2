package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.LimitsConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** {@link ClientConnectionBudget}: the limit a config asks for, and a listener that stops and starts accepting as connections cross it. */
class ClientConnectionBudgetTest {
    private static LimitsConfig limit(Integer max) {
        return new LimitsConfig(null, null, null, null, max);
    }

    @Test
    void theDefaultIsThreeQuartersOfWhatTheFileLimitLeaves() {
        assertThat(ClientConnectionBudget.limitFor(LimitsConfig.DEFAULT, 320)).isEqualTo(90);
        assertThat(ClientConnectionBudget.limitFor(LimitsConfig.DEFAULT, 1_048_576)).isEqualTo(786_282);
        assertThat(ClientConnectionBudget.limitFor(LimitsConfig.DEFAULT, 100)).as("never below 16").isEqualTo(16);
        assertThat(ClientConnectionBudget.limitFor(LimitsConfig.DEFAULT, 0)).as("no file limit known: none").isZero();
        assertThat(ClientConnectionBudget.limitFor(limit(0), 320)).isZero();
        assertThat(ClientConnectionBudget.limitFor(limit(5000), 320)).as("the operator's word").isEqualTo(5000);
    }

    @Test
    void aListenerStopsAtTheLimitAndGoesOnBelowIt() {
        EmbeddedChannel listener = new EmbeddedChannel();
        ClientConnectionBudget budget = new ClientConnectionBudget(limit(2), 1000, new SimpleMeterRegistry());
        budget.govern(listener);
        budget.opened();
        listener.runPendingTasks();
        assertThat(listener.config().isAutoRead()).isTrue();
        budget.opened();
        listener.runPendingTasks();
        assertThat(listener.config().isAutoRead()).as("at the limit").isFalse();
        budget.opened(); // one accepted before the pause took effect
        budget.closed();
        listener.runPendingTasks();
        assertThat(listener.config().isAutoRead()).as("still at the limit").isFalse();
        budget.closed();
        listener.runPendingTasks();
        assertThat(listener.config().isAutoRead()).as("below it").isTrue();
        budget.opened();
        listener.runPendingTasks();
        assertThat(listener.config().isAutoRead()).isFalse();
        budget.limit(limit(0)); // a reload that lifts the limit
        listener.runPendingTasks();
        assertThat(listener.config().isAutoRead()).isTrue();
        assertThat(budget.limit()).isZero();
        listener.finishAndReleaseAll();
    }
}
