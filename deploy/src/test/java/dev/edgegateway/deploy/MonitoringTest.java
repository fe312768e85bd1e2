package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules with Prometheus's own tool: {@code promtool check rules} accepts the groups,
 * and {@code promtool test rules} shows the fast-burn availability alert firing on a series with
 * 10% errors and staying quiet on a healthy one. Skipped, saying why, where promtool is absent
 * outside CI ({@code .ci/run} installs Debian's prometheus package).
 */
class MonitoringTest {
    @TempDir
    Path dir;

    static String promtool() {
        for (String p : List.of("/usr/bin/promtool", "/usr/local/bin/promtool")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        boolean ci = System.getenv("CI") != null;
        if (ci) {
            throw new AssertionError("promtool is missing in CI: .ci/run installs the prometheus package");
        }
        assumeTrue(false, "promtool is not installed (apt-get install prometheus); skipping the rule checks");
        return null;
    }

    static String run(Path cwd, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }

    @Test
    void theRulesPassPromtoolAndTheFastBurnAlertFiresOnTenPercentErrors() throws Exception {
        String promtool = promtool();
        Inputs.Input input = Inputs.threeRegions();
        SortedMap<String, String> files = Generator.generate(input.config(), input.text());
        Files.writeString(dir.resolve("rules.yml"), files.get("monitoring/rules.yml"));
        // The PrometheusRule carries exactly the same groups.
        JsonNode rule = Serialization.yamlMapper().readTree(files.get("kubernetes/eu-west-1/10-prometheusrule.yaml"));
        JsonNode plain = Serialization.yamlMapper().readTree(files.get("monitoring/rules.yml"));
        assertThat((Object) rule.get("spec").get("groups")).isEqualTo(plain.get("groups"));
        Files.writeString(dir.resolve("operator-groups.yml"), Serialization.yaml(java.util.Map.of("groups", rule.get("spec").get("groups"))));
        run(dir, promtool, "check", "rules", "rules.yml", "operator-groups.yml");

        // 10% of requests fail: 1000 a minute, 100 of them 5xx. Healthy: none fail.
        List<String> test = new ArrayList<>();
        test.add("rule_files: [rules.yml]");
        test.add("evaluation_interval: 30s");
        test.add("tests:");
        test.add("  - interval: 1m");
        test.add("    input_series:");
        test.add("      - series: 'edge_downstream_requests_total{route=\"api\",cluster=\"api-eu\",region=\"eu-west-1\",status_class=\"2xx\"}'");
        test.add("        values: '0+900x120'");
        test.add("      - series: 'edge_downstream_requests_total{route=\"api\",cluster=\"api-eu\",region=\"eu-west-1\",status_class=\"5xx\"}'");
        test.add("        values: '0+100x120'");
        test.add("    alert_rule_test:");
        test.add("      - eval_time: 90m");
        test.add("        alertname: EdgeAvailabilityBudgetBurn");
        test.add("        exp_alerts:");
        // At 10% errors every window burns: both the page (1h/5m, 6h/30m) and the ticket (1d/2h, 3d/6h) alert fire.
        int burn = 0;
        for (JsonNode g : plain.get("groups")) {
            for (JsonNode r : g.get("rules")) {
                if (!"EdgeAvailabilityBudgetBurn".equals(r.path("alert").asText())) {
                    continue;
                }
                burn++;
                expectAlert(test, r, "availability");
            }
        }
        assertThat(burn).isEqualTo(2);
        test.add("  - interval: 1m");
        test.add("    input_series:");
        test.add("      - series: 'edge_downstream_requests_total{route=\"api\",cluster=\"api-eu\",region=\"eu-west-1\",status_class=\"2xx\"}'");
        test.add("        values: '0+1000x120'");
        test.add("      - series: 'edge_downstream_requests_total{route=\"api\",cluster=\"api-eu\",region=\"eu-west-1\",status_class=\"5xx\"}'");
        test.add("        values: '0+0x120'");
        test.add("    alert_rule_test:");
        test.add("      - eval_time: 90m");
        test.add("        alertname: EdgeAvailabilityBudgetBurn");
        test.add("        exp_alerts: []");
        // 0.5% errors: too slow for a page (over 1.44% needed), enough for a ticket (over 0.3%).
        test.add("  - interval: 1m");
        test.add("    input_series:");
        test.add("      - series: 'edge_downstream_requests_total{route=\"api\",cluster=\"api-eu\",region=\"eu-west-1\",status_class=\"2xx\"}'");
        test.add("        values: '0+995x120'");
        test.add("      - series: 'edge_downstream_requests_total{route=\"api\",cluster=\"api-eu\",region=\"eu-west-1\",status_class=\"5xx\"}'");
        test.add("        values: '0+5x120'");
        test.add("    alert_rule_test:");
        for (JsonNode g : plain.get("groups")) {
            for (JsonNode r : g.get("rules")) {
                if ("EdgeAvailabilityBudgetBurn".equals(r.path("alert").asText()) && "ticket".equals(r.get("labels").get("severity").asText())) {
                    test.add("      - eval_time: 90m");
                    test.add("        alertname: EdgeAvailabilityBudgetBurn");
                    test.add("        exp_alerts:");
                    expectAlert(test, r, "availability");
                }
            }
        }
        Files.write(dir.resolve("rules_test.yml"), test);
        String out = run(dir, promtool, "test", "rules", "rules_test.yml");
        assertThat(out).contains("SUCCESS");
    }

    /**
     * A whole-second latency threshold: the rules must ask for the bucket the gateway exports
     * ({@code le="1.0"}, not {@code le="1"}, which Prometheus 2 matches as a different string).
     * Every request in eu-west-1 slower than that pages, and the page names eu-west-1; us-east-1,
     * all fast, stays quiet.
     */
    @Test
    void aWholeSecondThresholdPagesOnAllSlowTrafficAndThePageNamesItsRegion() throws Exception {
        String promtool = promtool();
        Inputs.Input three = Inputs.threeRegions();
        String text = three.text().replace("latencyThreshold: 250ms", "latencyThreshold: 1s");
        assertThat(text).isNotEqualTo(three.text());
        var config = dev.edgegateway.config.ConfigLoader.parse(text, "three-regions.yaml", 1).config();
        SortedMap<String, String> files = Generator.generate(config, text);
        Files.writeString(dir.resolve("rules.yml"), files.get("monitoring/rules.yml"));
        JsonNode plain = Serialization.yamlMapper().readTree(files.get("monitoring/rules.yml"));
        JsonNode page = null;
        for (JsonNode g : plain.get("groups")) {
            for (JsonNode r : g.get("rules")) {
                if ("EdgeLatencyBudgetBurn".equals(r.path("alert").asText()) && "page".equals(r.get("labels").get("severity").asText())) {
                    page = r;
                }
            }
        }
        assertThat(page).isNotNull();
        List<String> test = new ArrayList<>();
        test.add("rule_files: [rules.yml]");
        test.add("evaluation_interval: 30s");
        test.add("tests:");
        test.add("  - interval: 1m");
        test.add("    input_series:");
        // eu-west-1: 1000 requests a minute, none within a second. us-east-1: all within a second.
        for (String[] region : new String[][] {{"eu-west-1", "0"}, {"us-east-1", "1000"}}) {
            String labels = "route=\"api\",cluster=\"api\",region=\"" + region[0] + "\"";
            test.add("      - series: 'edge_downstream_request_duration_seconds_bucket{" + labels + ",le=\"1.0\"}'");
            test.add("        values: '0+" + region[1] + "x120'");
            test.add("      - series: 'edge_downstream_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"}'");
            test.add("        values: '0+1000x120'");
            test.add("      - series: 'edge_downstream_request_duration_seconds_count{" + labels + "}'");
            test.add("        values: '0+1000x120'");
        }
        test.add("    alert_rule_test:");
        test.add("      - eval_time: 90m");
        test.add("        alertname: EdgeLatencyBudgetBurn");
        test.add("        exp_alerts:");
        // The page and the ticket both fire, for eu-west-1 only.
        for (JsonNode g : plain.get("groups")) {
            for (JsonNode r : g.get("rules")) {
                if (!"EdgeLatencyBudgetBurn".equals(r.path("alert").asText())) {
                    continue;
                }
                expectAlert(test, r, "latency");
            }
        }
        Files.write(dir.resolve("latency_test.yml"), test);
        String out = run(dir, promtool, "test", "rules", "latency_test.yml");
        assertThat(out).contains("SUCCESS");
        assertThat(page.get("annotations").get("summary").asText()).contains("{{ $labels.region }}");
    }

    /** One expected alert of a promtool test: the rule's severity, the SLO, eu-west-1, its annotations with the region filled in. */
    static void expectAlert(List<String> test, JsonNode rule, String slo) throws Exception {
        test.add("          - exp_labels: {severity: " + rule.get("labels").get("severity").asText() + ", slo: " + slo + ", region: eu-west-1}");
        test.add("            exp_annotations:");
        test.add("              summary: " + Serialization.jsonMapper().writeValueAsString(
                rule.get("annotations").get("summary").asText().replace("{{ $labels.region }}", "eu-west-1")));
        test.add("              description: " + Serialization.jsonMapper().writeValueAsString(rule.get("annotations").get("description").asText()));
    }
}
