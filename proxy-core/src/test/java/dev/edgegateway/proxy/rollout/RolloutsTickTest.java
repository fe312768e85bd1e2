package dev.edgegateway.proxy.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.server.CompiledConfig;
import dev.edgegateway.ratelimit.RateLimiters;
import org.junit.jupiter.api.Test;

/**
 * The rollouts' thread ticks only while there is a rollout: a gateway without one is not woken
 * twice a second for nothing, and a reload that adds or removes one starts or stops the tick.
 */
class RolloutsTickTest {
    private static final String WITHOUT = """
            listeners: [{name: public, address: 127.0.0.1:0}]
            routes:
              - name: app
                split: [{cluster: stable, weight: 100}, {cluster: canary, weight: 0}]
            clusters:
              - {name: stable, endpoints: [127.0.0.1:9001]}
              - {name: canary, endpoints: [127.0.0.1:9002]}
            """;
    private static final String WITH = WITHOUT.replace("weight: 0}]\n",
            "weight: 0}]\n    rollout: {steps: [20, 100], interval: 1h, coordination: local}\n");

    private final GatewayMetrics metrics = new GatewayMetrics();

    private void bind(Rollouts rollouts, String yaml, long generation) throws Exception {
        CompiledConfig c = CompiledConfig.compile(ConfigLoader.parse(yaml, "test.yaml", generation), new EndpointRegistry(), metrics,
                new RateLimiters((n, ok) -> { }));
        rollouts.bind(c.config(), c.routeList());
    }

    @Test
    void theTickRunsOnlyWhileThereIsARollout() throws Exception {
        assertThat(WITH).contains("rollout:");
        try (Rollouts rollouts = new Rollouts(metrics.registry())) {
            assertThat(rollouts.ticking()).as("before any config").isFalse();
            bind(rollouts, WITHOUT, 1);
            assertThat(rollouts.ticking()).as("a config without rollouts").isFalse();
            bind(rollouts, WITH, 2);
            assertThat(rollouts.ticking()).as("a reload that adds one").isTrue();
            assertThat(rollouts.json("app")).as("the rollout").isNotNull();
            bind(rollouts, WITH, 3);
            assertThat(rollouts.ticking()).as("a reload that keeps it").isTrue();
            bind(rollouts, WITHOUT, 4);
            assertThat(rollouts.ticking()).as("a reload that removes it").isFalse();
            assertThat(rollouts.json("app")).isNull();
        }
    }
}
