package dev.edgegateway.deploy;

import dev.edgegateway.config.DeployConfig;
import dev.edgegateway.config.Durations;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRuleBuilder;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;
import io.fabric8.openshift.api.model.monitoring.v1.RuleBuilder;
import io.fabric8.openshift.api.model.monitoring.v1.RuleGroup;
import io.fabric8.openshift.api.model.monitoring.v1.RuleGroupBuilder;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitorBuilder;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Monitoring from the same config: a ServiceMonitor for the admin port, a PrometheusRule with
 * multi-window, multi-burn-rate SLO alerts (the SRE workbook's 1h/5m x14.4, 6h/30m x6 paging,
 * 1d/2h x3, 3d/6h x1 ticketing) for availability and latency, operational alerts, and the same
 * rule groups as a plain Prometheus rules file (for promtool and setups without the operator).
 * Every expression names only metrics the gateway exports (docs/metrics.md).
 */
final class MonitoringGenerator {
    /** The SLO windows: long, short, burn-rate factor, severity. */
    record Window(String longWindow, String shortWindow, String factor, String severity) {}

    static final List<Window> WINDOWS = List.of(
            new Window("1h", "5m", "14.4", "page"),
            new Window("6h", "30m", "6", "page"),
            new Window("1d", "2h", "3", "ticket"),
            new Window("3d", "6h", "1", "ticket"));
    static final List<String> RATE_WINDOWS = List.of("5m", "30m", "1h", "2h", "6h", "1d", "3d");

    private final Facts f;

    MonitoringGenerator(Facts facts) {
        this.f = facts;
    }

    ServiceMonitor serviceMonitor(DeployConfig.Region region) {
        Map<String, String> adminLabels = new TreeMap<>(f.selector());
        adminLabels.put("app.kubernetes.io/component", "admin");
        return new ServiceMonitorBuilder()
                .withNewMetadata().withName(f.name()).withNamespace(f.namespace()).withLabels(monitoringLabels(region)).endMetadata()
                .withNewSpec()
                    .withNewSelector().withMatchLabels(adminLabels).endSelector()
                    .withNewNamespaceSelector().withMatchNames(f.namespace()).endNamespaceSelector()
                    .addNewEndpoint().withPort("admin").withPath("/metrics").withInterval("15s").withScrapeTimeout("10s")
                        // Every series says its region, so one dashboard (and a global view) can tell them apart.
                        .addNewRelabeling().withAction("replace").withTargetLabel("region").withReplacement(region.name()).endRelabeling()
                    .endEndpoint()
                .endSpec().build();
    }

    /** The usual labels plus the configured ones a Prometheus Operator selects by (kube-prometheus-stack: {@code release}). */
    private Map<String, String> monitoringLabels(DeployConfig.Region region) {
        Map<String, String> labels = new TreeMap<>(f.deploy().monitoringLabels());
        labels.putAll(f.labels(region.name()));
        return labels;
    }

    PrometheusRule prometheusRule(DeployConfig.Region region) {
        return new PrometheusRuleBuilder()
                .withNewMetadata().withName(f.name()).withNamespace(f.namespace()).withLabels(monitoringLabels(region)).endMetadata()
                .withNewSpec().withGroups(groups()).endSpec().build();
    }

    /** The rules file: {@code groups:} as Prometheus reads it. */
    Map<String, Object> rulesFile() {
        List<Object> groups = new ArrayList<>();
        for (RuleGroup g : groups()) {
            Map<String, Object> group = new LinkedHashMap<>();
            group.put("name", g.getName());
            if (g.getInterval() != null) {
                group.put("interval", g.getInterval());
            }
            List<Object> rules = new ArrayList<>();
            for (Rule r : g.getRules()) {
                Map<String, Object> m = new LinkedHashMap<>();
                if (r.getRecord() != null) {
                    m.put("record", r.getRecord());
                }
                if (r.getAlert() != null) {
                    m.put("alert", r.getAlert());
                }
                m.put("expr", r.getExpr().getStrVal());
                if (r.getFor() != null) {
                    m.put("for", r.getFor());
                }
                if (r.getLabels() != null && !r.getLabels().isEmpty()) {
                    m.put("labels", r.getLabels());
                }
                if (r.getAnnotations() != null && !r.getAnnotations().isEmpty()) {
                    m.put("annotations", r.getAnnotations());
                }
                rules.add(m);
            }
            group.put("rules", rules);
            groups.add(group);
        }
        return Map.of("groups", groups);
    }

    /** The error budget as a ratio: 99.9 -> 0.001 (decimal arithmetic: no 0.000999...). */
    static String budget(double percent) {
        return new BigDecimal(100).subtract(new BigDecimal(Double.toString(percent))).movePointLeft(2).stripTrailingZeros().toPlainString();
    }

    /**
     * A bucket bound as the gateway's {@code /metrics} writes it in {@code le}: Java's double form
     * ({@code 0.25}, {@code 1.0}, {@code 1.0E-4}). Prometheus 2 matches {@code le} as a string, so
     * {@code le="1"} would find no series for a one-second threshold.
     */
    static String le(Duration d) {
        return Double.toString(d.toNanos() / 1e9);
    }

    List<RuleGroup> groups() {
        DeployConfig.Slo slo = f.deploy().slo();
        String le = le(slo.latencyThreshold());
        List<Rule> recording = new ArrayList<>();
        for (String w : RATE_WINDOWS) {
            // By region (the ServiceMonitor's label): a page from a central Prometheus says which region burns.
            recording.add(record("edge:request_errors:ratio_rate" + w,
                    "sum by (region) (rate(edge_downstream_requests_total{status_class=\"5xx\"}[" + w + "]))\n/\n"
                            + "sum by (region) (rate(edge_downstream_requests_total[" + w + "]))"));
            recording.add(record("edge:request_slow:ratio_rate" + w,
                    "1 - (\n  sum by (region) (rate(edge_downstream_request_duration_seconds_bucket{le=\"" + le + "\"}[" + w + "]))\n  /\n"
                            + "  sum by (region) (rate(edge_downstream_request_duration_seconds_count[" + w + "]))\n)"));
        }
        List<Rule> slos = new ArrayList<>();
        slos.addAll(burnAlerts("EdgeAvailabilityBudgetBurn", "edge:request_errors:ratio_rate", budget(slo.availability()),
                "availability", "more than the error budget of the " + slo.availability() + "% availability SLO is being spent"));
        slos.addAll(burnAlerts("EdgeLatencyBudgetBurn", "edge:request_slow:ratio_rate", budget(slo.latencyTarget()),
                "latency", "too many requests take longer than " + Durations.format(slo.latencyThreshold())
                        + " for the " + slo.latencyTarget() + "% latency SLO"));
        // Every alert keeps the region label (the ServiceMonitor's), so a page from a central Prometheus says where.
        List<Rule> ops = List.of(
                alert("EdgeRateLimitRejectionsHigh",
                        "sum by (region, route) (rate(edge_ratelimit_decisions_total{outcome=~\"limited|failed_closed\"}[5m]))\n/\n"
                                + "sum by (region, route) (rate(edge_ratelimit_decisions_total[5m])) > 0.1",
                        "10m", "warning", "More than 10% of route {{ $labels.route }}'s requests in {{ $labels.region }} are refused by its rate limits"),
                alert("EdgeBreakerOpen", "sum by (region, cluster) (edge_cluster_endpoints{state=\"breaker_open\"}) > 0",
                        "5m", "warning", "Endpoint breakers open in cluster {{ $labels.cluster }} ({{ $labels.region }}) for 5 minutes"),
                alert("EdgeEndpointsEjected",
                        "sum by (region, cluster) (edge_cluster_endpoints{state=\"ejected\"})\n/\n"
                                + "(sum by (region, cluster) (edge_cluster_endpoints{state=\"available\"}) + sum by (region, cluster) (edge_cluster_endpoints{state=\"ejected\"})) > 0.25",
                        "10m", "warning", "More than a quarter of cluster {{ $labels.cluster }}'s endpoints ({{ $labels.region }}) are ejected as outliers"),
                alert("EdgeConfigReloadFailed", "sum by (region, pod) (increase(edge_config_reloads_total{outcome=\"invalid\"}[15m])) > 0",
                        null, "warning", "A config reload was rejected on {{ $labels.pod }} ({{ $labels.region }}); it serves the previous config (see its log or PUT /config's answer)"),
                alert("EdgeRateLimitFailOpen", "sum by (region) (rate(edge_ratelimit_decisions_total{outcome=\"failed_open\"}[5m])) > 0",
                        "5m", "warning", "Redis is failing in {{ $labels.region }}: distributed rate limits are failing open (requests pass unlimited)"),
                alert("EdgeRedisDown", "max by (region) (edge_ratelimit_redis_up) == 0", "2m", "warning",
                        "The gateways in {{ $labels.region }} have no Redis connection for distributed rate limits (/ready says degraded)"));
        return List.of(
                new RuleGroupBuilder().withName("edge-gateway-slo-recording").withInterval("30s").withRules(recording).build(),
                new RuleGroupBuilder().withName("edge-gateway-slo-alerts").withRules(slos).build(),
                new RuleGroupBuilder().withName("edge-gateway-alerts").withRules(ops).build());
    }

    private static List<Rule> burnAlerts(String name, String ratio, String budget, String slo, String summary) {
        List<Rule> out = new ArrayList<>();
        for (String severity : List.of("page", "ticket")) {
            StringBuilder expr = new StringBuilder();
            for (Window w : WINDOWS) {
                if (!w.severity().equals(severity)) {
                    continue;
                }
                if (expr.length() > 0) {
                    expr.append("\nor\n");
                }
                expr.append("(\n  ").append(ratio).append(w.longWindow()).append(" > (").append(w.factor()).append(" * ").append(budget).append(")\n  and\n  ")
                        .append(ratio).append(w.shortWindow()).append(" > (").append(w.factor()).append(" * ").append(budget).append(")\n)");
            }
            Map<String, String> labels = new TreeMap<>(Map.of("severity", severity, "slo", slo));
            out.add(new RuleBuilder().withAlert(name).withExpr(new IntOrString(expr.toString()))
                    .withFor(severity.equals("page") ? "2m" : "15m").withLabels(labels)
                    .withAnnotations(new TreeMap<>(Map.of("summary", "Edge gateway in {{ $labels.region }}: " + summary,
                            "description", severity.equals("page")
                                    ? "Burning the 30-day error budget fast (at this rate, 2% of it within 1 hour or 5% within 6 hours)."
                                    : "Burning the 30-day error budget steadily (10% of it within 3 days at this rate).")))
                    .build());
        }
        return out;
    }

    private static Rule record(String name, String expr) {
        return new RuleBuilder().withRecord(name).withExpr(new IntOrString(expr)).build();
    }

    private static Rule alert(String name, String expr, String forTime, String severity, String summary) {
        return new RuleBuilder().withAlert(name).withExpr(new IntOrString(expr)).withFor(forTime)
                .withLabels(new TreeMap<>(Map.of("severity", severity)))
                .withAnnotations(new TreeMap<>(Map.of("summary", summary))).build();
    }
}
