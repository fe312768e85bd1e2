package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.proxy.Gateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator console in a real headless Chromium: {@code /ui} on the admin port shows a known
 * route and its split; an origin killed turns its endpoint unhealthy on the page within 5 s; an
 * invalid document pasted into the config box shows its error at its line; a valid one, applied
 * with the token after its change summary is shown, becomes the new generation on the page and in
 * the reload history. Without the token the page can read but not validate or apply, and the token
 * never appears in the page or in what it reads. Screenshots of each view go to
 * {@code target/console/}.
 */
class ConsoleTest {
    static final String TOKEN = "s3cret-console-token-4711";
    static final Path SHOTS = Path.of("target", "console");

    @TempDir
    Path dir;

    static String config(Path tokenFile, TestOrigin a, TestOrigin b, int stable, int canary) {
        return """
                listeners: [{name: public, address: 127.0.0.1:0}]
                admin: {address: 127.0.0.1:0, tokenEnv: EDGE_CONSOLE_TEST_UNSET, tokenFile: %s}
                routes:
                  - name: shop
                    match: {pathPrefix: /shop}
                    split: [{cluster: stable, weight: %d}, {cluster: canary, weight: %d}]
                    splitKey: {cookie: uid}
                    rateLimits: [{name: per-client, key: [{clientAddress: true}], limits: [{rate: 1000/s}]}]
                  - name: checkout
                    match: {pathPrefix: /checkout}
                    split: [{cluster: stable, weight: 100}, {cluster: canary, weight: 0}]
                    rollout: {steps: [5, 50, 100], interval: 1h, coordination: local, gates: {minRequests: 50}}
                  - {name: api, cluster: stable}
                clusters:
                  - name: stable
                    endpoints: ["%s"]
                    healthCheck: {path: /healthz, interval: 200ms, timeout: 200ms, unhealthyThreshold: 1, healthyThreshold: 1}
                  - name: canary
                    endpoints: ["%s"]
                    healthCheck: {path: /healthz, interval: 200ms, timeout: 200ms, unhealthyThreshold: 1, healthyThreshold: 1}
                """.formatted(tokenFile, stable, canary, a.address(), b.address());
    }

    @Test
    void operatorsWatchRoutesAndClustersAndChangeTheConfigInABrowser() throws Exception {
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n");
        TestOrigin a = new TestOrigin("a");
        try (TestOrigin b = new TestOrigin("b");
             Gateway gw = Gateway.start(ConfigLoader.parse(config(tokenFile, a, b, 90, 10), "gateway.yaml", 1));
             Browser browser = new Browser(Files.createDirectories(dir.resolve("chromium")))) {
            String ui = "http://127.0.0.1:" + gw.adminAddress().getPort() + "/ui";
            int port = gw.listenerAddress("public").getPort();
            for (int i = 0; i < 20; i++) {
                RawHttp.exchange(port, "GET /shop/item HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            // Light traffic all along, so the page has rates to show.
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread traffic = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        RawHttp.exchange(port, "GET /shop/item HTTP/1.1\r\nHost: x\r\n\r\n");
                        Thread.sleep(20);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            traffic.start();
            browser.open(ui);

            // Routes: the split route with its weights, and its request rate once two polls are in.
            awaitTrue(() -> browser.text("tr[data-route=shop]").contains("stable 90% / canary 10%"), 10, "the shop route and its split");
            awaitTrue(() -> {
                String perSecond = browser.text("tr[data-route=shop] td:nth-child(6)");
                return perSecond.matches("[0-9]+\\.[0-9]") && Double.parseDouble(perSecond) > 0;
            }, 10, "a request rate for shop");
            assertThat(browser.text("tr[data-route=shop]")).contains("path /shop*").contains("bucket by cookie uid").contains("per-client (local)");
            assertThat(browser.text("tr[data-route=api]")).contains("cluster stable");
            // The rollout column: state, step and the canary's share, and the gates' figures once requests come.
            awaitTrue(() -> browser.text("tr[data-route=checkout] td.rollout").contains("running · step 1/3 · canary 5%")
                    && browser.text("tr[data-route=checkout]").contains("stable 95% / canary 5%"), 10, "the rollout's step");
            assertThat(browser.text("tr[data-route=checkout] td.rollout")).contains("errors").contains("0/50 req");
            assertThat(browser.text("#generation")).isEqualTo("generation 1");
            browser.screenshot(SHOTS.resolve("routes.png"));

            // Clusters: both endpoints healthy; kill the stable origin and watch it turn unhealthy.
            browser.click("nav button[data-view=clusters]");
            String stableRow = "tr[data-endpoint=\"" + a.address() + "\"]";
            awaitTrue(() -> "healthy".equals(attribute(browser, stableRow, "data-health")), 10, "the stable endpoint healthy");
            assertThat(browser.text("div[data-cluster=stable]")).containsPattern("requests [0-9]+ / 10000").contains("connections"); // traffic runs meanwhile
            a.close();
            awaitTrue(() -> "unhealthy".equals(attribute(browser, stableRow, "data-health")), 5, "the killed origin's endpoint unhealthy within 5 s");
            assertThat(browser.text(stableRow)).contains("unhealthy").contains("no");
            browser.screenshot(SHOTS.resolve("clusters.png"));

            // Rate limits: the policy's decisions by outcome.
            browser.click("nav button[data-view=limits]");
            awaitTrue(() -> browser.text("#limits").contains("per-client"), 5, "the rate-limit policy");
            assertThat(browser.text("#limits")).containsPattern("shop\tper-client\tallowed\t[0-9.]+\t[1-9][0-9]*").contains("limited");
            browser.screenshot(SHOTS.resolve("limits.png"));

            // Config: without the token, validate is refused and says why.
            browser.click("nav button[data-view=config]");
            browser.type("#doc", "routes: []\n");
            browser.click("#validate");
            awaitTrue(() -> browser.text("#result").contains("missing or wrong bearer token"), 10, "validate refused without the token");

            // An invalid document: the error at its line (a misspelt field on line 7).
            browser.typeKeys("#token", TOKEN);
            String invalid = config(tokenFile, a, b, 90, 10).replace("    splitKey: {cookie: uid}", "    splitKye: {cookie: uid}");
            int line = lineOf(invalid, "splitKye");
            browser.type("#doc", invalid);
            browser.click("#validate");
            String errorLine = "#annotated li.err[data-line=\"" + line + "\"]";
            awaitTrue(() -> browser.present(errorLine), 10, "the error marked at line " + line);
            assertThat(browser.text(errorLine)).contains("splitKye").contains("routes[0].splitKye").contains("did you mean 'splitKey'");
            assertThat(browser.text("#result")).contains("1 error").contains("line " + line);
            browser.screenshot(SHOTS.resolve("config-invalid.png"));

            // A valid one: the change summary first, then applied as generation 2.
            browser.type("#doc", config(tokenFile, a, b, 80, 20));
            browser.click("#apply");
            awaitTrue(() -> browser.present("#confirm-apply"), 10, "the change summary and the confirm button");
            assertThat(browser.text("#result")).contains("would change: route shop split stable:90/canary:10 -> stable:80/canary:20");
            assertThat(served(gw)).as("nothing applied before the confirmation").isEqualTo(1);
            browser.screenshot(SHOTS.resolve("config-apply.png"));
            browser.click("#confirm-apply");
            awaitTrue(() -> "2".equals(attribute(browser, "#generation", "data-generation")), 10, "generation 2 on the page");
            assertThat(browser.text("#result")).contains("applied: generation 2");
            assertThat(served(gw)).isEqualTo(2);
            browser.click("nav button[data-view=routes]");
            awaitTrue(() -> browser.text("tr[data-route=shop]").contains("stable 80% / canary 20%"), 5, "the new split on the routes view");

            // Reloads: the start, the rejected validate is not a reload, the applied change with its summary.
            browser.click("nav button[data-view=reloads]");
            awaitTrue(() -> browser.present("#reloads tr[data-generation=\"2\"][data-outcome=applied]"), 5, "the applied reload listed");
            assertThat(browser.text("#reloads tr[data-generation=\"2\"]")).contains("api").contains("stable:80/canary:20");

            // No secret in the page or in what it reads.
            assertThat(browser.script("return document.documentElement.outerHTML;").asText()).doesNotContain(TOKEN);
            assertThat(browser.script("return document.body.innerText;").asText()).doesNotContain(TOKEN);
            String state = browser.script("return fetch('/ui/state').then(r => r.text());").asText();
            assertThat(state).contains("\"generation\":2").doesNotContain(TOKEN).doesNotContain(tokenFile.toString());

            // A reload rejected through the API: listed with its errors at their lines.
            var http = java.net.http.HttpClient.newHttpClient();
            int status = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + gw.adminAddress().getPort() + "/config"))
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(invalid)).header("authorization", "Bearer " + TOKEN).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            assertThat(status).isEqualTo(400);
            awaitTrue(() -> browser.present("#reloads tr[data-outcome=invalid]"), 5, "the rejected reload listed");
            assertThat(browser.text("#reloads tr[data-outcome=invalid]")).contains("rejected; still serving generation 2")
                    .contains("line " + line + ", column 5, routes[0].splitKye: unknown field 'splitKye'");
            browser.screenshot(SHOTS.resolve("reloads.png"));
            stop.set(true);
            traffic.join();
        } finally {
            a.close();
        }
    }

    /** The generation being served: the last reload that applied. */
    static long served(Gateway gw) {
        var history = gw.reloader().history();
        return history.stream().filter(h -> h.outcome() == dev.edgegateway.proxy.reload.ConfigReloader.ReloadOutcome.APPLIED)
                .reduce((x, y) -> y).orElseThrow().generation();
    }

    static String attribute(Browser b, String css, String name) throws Exception {
        return b.script("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", css, name).asText(null);
    }

    static int lineOf(String text, String needle) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError(needle + " not in the document");
    }

    /** Waits for {@code condition} with a deadline (the page polls every second). */
    static void awaitTrue(Callable<Boolean> condition, int seconds, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            if (Boolean.TRUE.equals(condition.call())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + seconds + " s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
