package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollout across reloads, on one gateway running it locally: a reload that leaves its block alone
 * leaves it where it was (an operator's pause included); one that changes the block begins it
 * again at step one, and says so; a rollout on a route that has no two-cluster split is refused
 * with its line and field, and the running config keeps serving.
 */
class RolloutReloadTest {
    static final String TOKEN = "reload-rollout-token";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    String config(TestOrigin stable, TestOrigin canary, String steps, boolean extraRoute) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        return """
                listeners: [{name: public, address: 127.0.0.1:0}]
                admin: {address: 127.0.0.1:0, tokenFile: %s}
                routes:
                %s  - name: app
                    split: [{cluster: stable, weight: 100}, {cluster: canary, weight: 0}]
                    rollout: {steps: %s, interval: 1h, coordination: local}
                clusters:
                  - {name: stable, endpoints: ["%s"]}
                  - {name: canary, endpoints: ["%s"]}
                """.formatted(token, extraRoute ? "  - {name: extra, match: {pathPrefix: /extra}, cluster: stable}\n" : "", steps,
                stable.address(), canary.address());
    }

    static JsonNode rollout(GatewayFixture gw) throws Exception {
        return JSON.readTree(gw.adminGet("/rollouts/app"));
    }

    @Test
    void aReloadKeepsAnUntouchedRolloutAndRestartsAChangedOne() throws Exception {
        try (TestOrigin stable = new TestOrigin("stable"); TestOrigin canary = new TestOrigin("canary");
             GatewayFixture gw = new GatewayFixture(config(stable, canary, "[20, 100]", false))) {
            Await.until(() -> gw.adminGetUnchecked("/rollouts/app").contains("\"state\":\"running\""), 10_000, "running");
            HttpResponse<String> paused = gw.adminSend("POST", "/rollouts/app/pause", "", "Bearer " + TOKEN);
            assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
            assertThat(paused.body()).contains("\"outcome\":\"paused by an operator\"");

            HttpResponse<String> untouched = gw.adminSend("PUT", "/config", config(stable, canary, "[20, 100]", true), "Bearer " + TOKEN);
            assertThat(untouched.statusCode()).as(untouched.body()).isEqualTo(200);
            JsonNode kept = rollout(gw);
            assertThat(kept.path("state").asText()).isEqualTo("paused");
            assertThat(kept.path("percent").asInt()).isEqualTo(20);
            // A rollout begun again would be running at step one, and could not be resumed.
            HttpResponse<String> resumed = gw.adminSend("POST", "/rollouts/app/resume", "", "Bearer " + TOKEN);
            assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
            assertThat(rollout(gw).path("history")).hasSize(3);

            HttpResponse<String> changed = gw.adminSend("PUT", "/config", config(stable, canary, "[30, 100]", true), "Bearer " + TOKEN);
            assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
            Await.until(() -> gw.adminGetUnchecked("/rollouts/app").contains("\"percent\":30"), 10_000, "restarted at its new first step");
            JsonNode restarted = rollout(gw);
            assertThat(restarted.path("state").asText()).isEqualTo("running");
            assertThat(restarted.path("step").asInt()).isEqualTo(1);
            assertThat(restarted.path("reason").asText()).isEqualTo("restarted: its config changed");
        }
    }

    @Test
    void aRolloutWithoutATwoClusterSplitIsRefusedAtItsLine() throws Exception {
        try (TestOrigin stable = new TestOrigin("stable"); TestOrigin canary = new TestOrigin("canary");
             GatewayFixture gw = new GatewayFixture(config(stable, canary, "[20, 100]", false))) {
            Await.until(() -> gw.adminGetUnchecked("/rollouts/app").contains("\"state\":\"running\""), 10_000, "running");
            String bad = config(stable, canary, "[20, 100]", false).replace(
                    "split: [{cluster: stable, weight: 100}, {cluster: canary, weight: 0}]", "cluster: stable");
            HttpResponse<String> r = gw.adminSend("PUT", "/config", bad, "Bearer " + TOKEN);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("\"field\":\"routes[0].rollout\"").contains("\"line\":6")
                    .contains("a rollout moves weight between the two clusters of a split");
            HttpResponse<String> steps = gw.adminSend("POST", "/config/validate", config(stable, canary, "[50, 20]", false), "Bearer " + TOKEN);
            assertThat(steps.body()).contains("routes[0].rollout.steps[1]").contains("steps must increase");
            assertThat(rollout(gw).path("percent").asInt()).as("the old config serves on").isEqualTo(20);
        }
    }
}
