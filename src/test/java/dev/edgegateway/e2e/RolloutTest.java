package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollouts across a fleet: two gateway processes sharing one real redis-server, a stable and a
 * canary origin, and clients spread over both gateways. A canary answering 10% 5xx is rolled back
 * by both, and neither sends it anything afterwards; a healthy one walks every step to 100 on
 * both; Redis killed mid rollout pauses it on both (visible, traffic still served at the step's
 * weight); a gateway restarted mid rollout resumes the fleet's step, not step one.
 */
class RolloutTest {
    static final String TOKEN = "rollout-token";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<GatewayProcess> gateways = new ArrayList<>();
    private final int[] ports = new int[2];
    private final int[] admins = new int[2];
    private Thread load;
    private final AtomicBoolean loading = new AtomicBoolean();
    private final AtomicLong answered = new AtomicLong();

    @AfterEach
    void stop() throws InterruptedException {
        stopLoad();
        gateways.forEach(GatewayProcess::close);
    }

    String config(int i, RedisServer redis, TestOrigin stable, TestOrigin canary, String steps, String interval) {
        return """
                listeners: [{name: public, address: 127.0.0.1:%d}]
                admin: {address: 127.0.0.1:%d, tokenFile: %s}
                redis: {nodes: ["127.0.0.1:%d"]}
                routes:
                  - name: app
                    split: [{cluster: stable, weight: 100}, {cluster: canary, weight: 0}]
                    splitKey: {header: x-user}
                    rollout:
                      steps: %s
                      interval: %s
                      # Both origins are the same program, so their p99s differ only by chance, which on busy
                      # cores is tens of milliseconds: a large slack keeps these runs to the error gate and the
                      # fleet (the p99 gate's arithmetic is RolloutStepsTest's).
                      gates: {minRequests: 40, maxErrorRatioIncrease: 0.03, p99Slack: 5s}
                clusters:
                  - {name: stable, endpoints: ["%s"]}
                  - {name: canary, endpoints: ["%s"]}
                """.formatted(ports[i], admins[i], dir.resolve("token"), redis.port, steps, interval, stable.address(), canary.address());
    }

    void startFleet(RedisServer redis, TestOrigin stable, TestOrigin canary, String steps, String interval) throws Exception {
        Files.writeString(dir.resolve("token"), TOKEN);
        for (int i = 0; i < 2; i++) {
            ports[i] = GatewayProcess.freePort();
            admins[i] = GatewayProcess.freePort();
        }
        for (int i = 0; i < 2; i++) {
            gateways.add(startGateway(i, redis, stable, canary, steps, interval));
        }
        for (int i = 0; i < 2; i++) {
            gateways.get(i).awaitReady(admins[i], Duration.ofSeconds(60));
        }
    }

    GatewayProcess startGateway(int i, RedisServer redis, TestOrigin stable, TestOrigin canary, String steps, String interval) throws Exception {
        Path file = dir.resolve("gateway-" + i + ".yaml");
        Files.writeString(file, config(i, redis, stable, canary, steps, interval));
        return GatewayProcess.start("-Xmx128m", "run", "--config", file.toString());
    }

    /** Clients spread over both gateways, each request a user of its own (so the split's buckets spread). */
    void startLoad() {
        loading.set(true);
        load = new Thread(() -> {
            int n = 0;
            while (loading.get()) {
                try {
                    if (get(ports[n++ % 2], "u" + ThreadLocalRandom.current().nextLong()) > 0) {
                        answered.incrementAndGet();
                    }
                } catch (IOException e) {
                    // a gateway restarting: the other still answers
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rollout-load");
        load.start();
    }

    void stopLoad() throws InterruptedException {
        loading.set(false);
        if (load != null) {
            load.join(10_000);
        }
    }

    int get(int port, String user) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).header("x-user", user)
                .timeout(Duration.ofSeconds(5)).build();
        return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    JsonNode rollout(int i) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admins[i] + "/rollouts/app")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return JSON.createObjectNode();
        }
    }

    boolean bothAre(String state) {
        return rollout(0).path("state").asText().equals(state) && rollout(1).path("state").asText().equals(state);
    }

    String metrics(int i) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admins[i] + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    HttpResponse<String> act(int i, String action) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admins[i] + "/rollouts/app/" + action))
                .header("authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aCanaryAnswering10PercentErrorsIsRolledBackByBothGatewaysAndGetsNothingAfterwards() throws Exception {
        try (RedisServer redis = new RedisServer(false); TestOrigin stable = new TestOrigin("stable"); TestOrigin canary = new TestOrigin("canary")) {
            canary.failEvery = 10;
            String interval = "3s";
            startFleet(redis, stable, canary, "[10, 50, 100]", interval);
            Await.until(() -> bothAre("running"), 20_000, () -> "both gateways running the rollout: " + rollout(0) + " " + rollout(1));
            startLoad();
            // The bound: within one step interval plus 5 s of the step starting.
            Await.until(() -> bothAre("rolled_back"), 3_000 + 5_000, () -> "both gateways rolled back: " + rollout(0) + " " + rollout(1));
            stopLoad();
            JsonNode r = rollout(0);
            assertThat(r.path("percent").asInt()).isZero();
            assertThat(r.path("reason").asText()).contains("canary error ratio");
            assertThat(r.path("history").get(0).path("state").asText()).isEqualTo("rolled_back");
            assertThat(rollout(1).path("step").asInt()).isEqualTo(r.path("step").asInt());

            int before = canary.requests.get();
            for (int i = 0; i < 200; i++) {
                assertThat(get(ports[i % 2], "after" + i)).isEqualTo(200);
            }
            assertThat(canary.requests.get()).as("canary requests after the rollback").isEqualTo(before);
            for (int i = 0; i < 2; i++) {
                String m = metrics(i);
                assertThat(m).contains("edge_rollout_step{route=\"app\"} 0.0").contains("edge_rollout_canary_percent{route=\"app\"} 0.0")
                        .contains("edge_rollout_transitions_total{route=\"app\",to=\"rolled_back\"} 1.0");
                assertThat(gateways.get(i).output()).contains("rollout app: canary canary at 0% (step 1/3, rolled_back)");
            }
        }
    }

    @Test
    void aHealthyCanaryWalksEveryStepTo100OnBothGateways() throws Exception {
        try (RedisServer redis = new RedisServer(false); TestOrigin stable = new TestOrigin("stable"); TestOrigin canary = new TestOrigin("canary")) {
            startFleet(redis, stable, canary, "[10, 50, 100]", "2s");
            startLoad();
            Await.until(() -> bothAre("promoted"), 90_000, () -> "both gateways promoted: " + rollout(0) + " " + rollout(1));
            stopLoad();
            JsonNode history = rollout(1).path("history");
            List<String> walked = new ArrayList<>();
            history.forEach(h -> walked.add(0, h.path("state").asText() + " " + h.path("step").asInt()));
            assertThat(walked).containsExactly("running 1", "running 2", "running 3", "promoted 3");
            assertThat(rollout(0).path("percent").asInt()).isEqualTo(100);

            int stableBefore = stable.requests.get();
            int canaryBefore = canary.requests.get();
            for (int i = 0; i < 100; i++) {
                assertThat(get(ports[i % 2], "promoted" + i)).isEqualTo(200);
            }
            assertThat(canary.requests.get() - canaryBefore).isEqualTo(100);
            assertThat(stable.requests.get()).isEqualTo(stableBefore);
            assertThat(metrics(0)).contains("edge_rollout_transitions_total{route=\"app\",to=\"promoted\"} 1.0");
        }
    }

    @Test
    void redisKilledMidRolloutPausesItOnBothGatewaysWhileTrafficIsServed() throws Exception {
        try (RedisServer redis = new RedisServer(false); TestOrigin stable = new TestOrigin("stable"); TestOrigin canary = new TestOrigin("canary")) {
            startFleet(redis, stable, canary, "[50, 100]", "1h");
            startLoad();
            Await.until(() -> bothAre("running"), 20_000, () -> "both gateways running: " + rollout(0) + " " + rollout(1));
            redis.kill();
            Await.until(() -> bothAre("paused"), 20_000, () -> "both gateways paused: " + rollout(0) + " " + rollout(1));
            for (int i = 0; i < 2; i++) {
                JsonNode r = rollout(i);
                assertThat(r.path("note").asText()).contains("Redis is unreachable");
                assertThat(r.path("step").asInt()).isEqualTo(1);
                assertThat(r.path("percent").asInt()).isEqualTo(50);
                assertThat(metrics(i)).contains("edge_rollout_paused{route=\"app\"} 1.0");
            }
            int canaryBefore = canary.requests.get();
            int stableBefore = stable.requests.get();
            long served = answered.get();
            Await.until(() -> answered.get() > served + 200, 30_000, "traffic served while paused");
            assertThat(canary.requests.get()).as("the step's weight still served").isGreaterThan(canaryBefore);
            assertThat(stable.requests.get()).isGreaterThan(stableBefore);

            redis.start();
            Await.until(() -> bothAre("running"), 30_000, () -> "both gateways running again: " + rollout(0) + " " + rollout(1));
        }
    }

    @Test
    void aGatewayRestartedMidRolloutResumesTheFleetsStep() throws Exception {
        try (RedisServer redis = new RedisServer(false); TestOrigin stable = new TestOrigin("stable"); TestOrigin canary = new TestOrigin("canary")) {
            startFleet(redis, stable, canary, "[10, 50, 100]", "4s");
            startLoad();
            Await.until(() -> rollout(0).path("step").asInt() == 2, 60_000, () -> "step 2: " + rollout(0));
            HttpResponse<String> paused = act(0, "pause");
            assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
            Await.until(() -> bothAre("paused"), 10_000, () -> "both paused: " + rollout(0) + " " + rollout(1));
            int step = rollout(0).path("step").asInt();
            int percent = rollout(0).path("percent").asInt();
            assertThat(step).as("paused past step one").isGreaterThan(1);
            assertThat(act(0, "pause").statusCode()).as("pausing a paused rollout").isEqualTo(409);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admins[0] + "/rollouts/app/resume"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as("an action without the token").isEqualTo(401);

            gateways.get(1).close();
            gateways.get(1).process.waitFor();
            gateways.set(1, startGateway(1, redis, stable, canary, "[10, 50, 100]", "4s"));
            gateways.get(1).awaitReady(admins[1], Duration.ofSeconds(60));
            Await.until(() -> rollout(1).path("state").asText().equals("paused") && !rollout(1).has("note"), 20_000,
                    () -> "the restarted gateway read the state: " + rollout(1));
            assertThat(rollout(1).path("step").asInt()).as("resumes the fleet's step, not step one").isEqualTo(step);
            assertThat(rollout(1).path("percent").asInt()).isEqualTo(percent);
            stopLoad();
            int canaryBefore = canary.requests.get();
            for (int i = 0; i < 400; i++) {
                get(ports[1], "restarted" + i);
            }
            // 400 users: the canary's share is binomial, at 50% 200 +- 10 (one sd); +-80 is 8 sd.
            int expected = 400 * percent / 100;
            assertThat(canary.requests.get() - canaryBefore).as("served at the step's weight").isBetween(expected - 80, expected + 80);

            assertThat(act(1, "resume").statusCode()).isEqualTo(200);
            startLoad();
            Await.until(() -> bothAre("promoted"), 60_000, () -> "both promoted after resuming: " + rollout(0) + " " + rollout(1));
        }
    }
}
