package dev.edgegateway.deploy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A Grafana dashboard (JSON model, schema 39) over the gateway's own metrics: traffic, errors
 * against the SLO, latency, origins, rate limits, cluster health, connections and config. A
 * datasource variable picks the Prometheus; a region variable (the accelerator's regions) filters
 * by the {@code region} external label Prometheus adds.
 */
final class DashboardGenerator {
    private static final JsonNodeFactory N = JsonNodeFactory.instance;

    /** One query of a panel. */
    record Query(String legend, String expr) {}

    /** One panel: title, unit, queries. */
    record Panel(String title, String unit, List<Query> queries) {}

    private final Facts f;

    DashboardGenerator(Facts facts) {
        this.f = facts;
    }

    static Query q(String legend, String expr) {
        return new Query(legend, expr);
    }

    /**
     * The panels, only those whose metrics the config's gateway exports: no TLS panel without a
     * TLS listener, no rate-limit panel without a rate-limited route (an always-empty panel reads
     * as "nothing happens", not "not configured").
     */
    List<Panel> panels() {
        List<Panel> out = new ArrayList<>();
        for (Panel p : allPanels()) {
            boolean tls = p.title().startsWith("TLS");
            boolean limits = p.title().startsWith("Rate-limit");
            if ((!tls || f.anyTls()) && (!limits || f.rateLimited())) {
                out.add(p);
            }
        }
        return out;
    }

    private List<Panel> allPanels() {
        String sel = "region=~\"$region\"";
        String slo = MonitoringGenerator.le(f.deploy().slo().latencyThreshold());
        return List.of(
                new Panel("Requests by status class", "reqps", List.of(
                        q("{{status_class}}", "sum by (status_class) (rate(edge_downstream_requests_total{" + sel + "}[$__rate_interval]))"))),
                new Panel("Error ratio (5xx) against the availability SLO", "percentunit", List.of(
                        q("5xx ratio", "sum(rate(edge_downstream_requests_total{" + sel + ",status_class=\"5xx\"}[$__rate_interval])) / sum(rate(edge_downstream_requests_total{" + sel + "}[$__rate_interval]))"),
                        q("error budget", "vector(" + MonitoringGenerator.budget(f.deploy().slo().availability()) + ")"))),
                new Panel("Request latency", "s", List.of(
                        q("p50", "histogram_quantile(0.5, sum by (le) (rate(edge_downstream_request_duration_seconds_bucket{" + sel + "}[$__rate_interval])))"),
                        q("p99", "histogram_quantile(0.99, sum by (le) (rate(edge_downstream_request_duration_seconds_bucket{" + sel + "}[$__rate_interval])))"))),
                new Panel("Requests faster than the latency SLO threshold", "percentunit", List.of(
                        q("fast", "sum(rate(edge_downstream_request_duration_seconds_bucket{" + sel + ",le=\"" + slo + "\"}[$__rate_interval])) / sum(rate(edge_downstream_request_duration_seconds_count{" + sel + "}[$__rate_interval]))"))),
                new Panel("Requests by route", "reqps", List.of(
                        q("{{route}} / {{cluster}}", "sum by (route, cluster) (rate(edge_downstream_requests_total{" + sel + "}[$__rate_interval]))"))),
                new Panel("Origin latency p99 by cluster", "s", List.of(
                        q("{{cluster}}", "histogram_quantile(0.99, sum by (le, cluster) (rate(edge_upstream_response_duration_seconds_bucket{" + sel + "}[$__rate_interval])))"))),
                new Panel("Origin errors", "ops", List.of(
                        q("{{cluster}} {{kind}}", "sum by (cluster, kind) (rate(edge_upstream_errors_total{" + sel + "}[$__rate_interval]))"),
                        q("{{cluster}} retries", "sum by (cluster) (rate(edge_retries_total{" + sel + "}[$__rate_interval]))"),
                        q("{{cluster}} retry budget exhausted", "sum by (cluster) (rate(edge_retry_budget_exhausted_total{" + sel + "}[$__rate_interval]))"))),
                new Panel("Endpoints by state", "none", List.of(
                        q("{{cluster}} {{state}}", "sum by (cluster, state) (edge_cluster_endpoints{" + sel + "})"))),
                new Panel("Cluster protection", "ops", List.of(
                        q("{{cluster}} ejections", "sum by (cluster) (rate(edge_outlier_ejections_total{" + sel + "}[$__rate_interval]))"),
                        q("{{cluster}} breakers opened", "sum by (cluster) (rate(edge_breaker_opened_total{" + sel + "}[$__rate_interval]))"),
                        q("{{cluster}} {{limit}} rejections", "sum by (cluster, limit) (rate(edge_breaker_rejections_total{" + sel + "}[$__rate_interval]))"))),
                new Panel("Rate-limit decisions", "ops", List.of(
                        q("{{route}} {{outcome}}", "sum by (route, outcome) (rate(edge_ratelimit_decisions_total{" + sel + "}[$__rate_interval]))"),
                        q("redis up (min)", "min(edge_ratelimit_redis_up{" + sel + "})"))),
                new Panel("Connections", "none", List.of(
                        q("clients open", "sum(edge_downstream_connections_open{" + sel + "})"),
                        q("origin open", "sum(edge_upstream_connections_open{" + sel + "})"),
                        q("origin idle", "sum(edge_upstream_connections_idle{" + sel + "})"),
                        q("tunnels open", "sum(edge_tunnels_open{" + sel + "})"))),
                new Panel("TLS handshakes", "ops", List.of(
                        q("{{version}} {{protocol}}", "sum by (version, protocol) (rate(edge_tls_handshakes_total{" + sel + "}[$__rate_interval]))"),
                        q("failures", "sum(rate(edge_tls_handshake_failures_total{" + sel + "}[$__rate_interval]))"))),
                new Panel("Config", "none", List.of(
                        q("generation (max)", "max(edge_config_generation{" + sel + "})"),
                        q("reloads {{outcome}}", "sum by (outcome) (increase(edge_config_reloads_total{" + sel + "}[$__rate_interval]))"))),
                new Panel("Event loop queue", "none", List.of(
                        q("pending tasks (max)", "max(edge_eventloop_pending_tasks{" + sel + "})"))));
    }

    ObjectNode dashboard() {
        ObjectNode d = N.objectNode();
        d.put("title", "Edge gateway (" + f.name() + ")");
        d.put("uid", ("edge-" + f.name()).length() > 40 ? ("edge-" + f.name()).substring(0, 40) : "edge-" + f.name());
        d.put("schemaVersion", 39);
        d.put("version", 1);
        d.put("editable", true);
        d.put("refresh", "30s");
        d.putArray("tags").add("edge").add("generated");
        ObjectNode time = d.putObject("time");
        time.put("from", "now-6h");
        time.put("to", "now");
        ArrayNode vars = d.putObject("templating").putArray("list");
        ObjectNode ds = vars.addObject();
        ds.put("name", "datasource");
        ds.put("type", "datasource");
        ds.put("query", "prometheus");
        ds.put("label", "Prometheus");
        ObjectNode region = vars.addObject();
        region.put("name", "region");
        region.put("type", "custom");
        region.put("label", "Region");
        region.put("includeAll", true);
        region.put("allValue", ".*");
        region.put("multi", true);
        StringBuilder regions = new StringBuilder();
        ArrayNode options = region.putArray("options");
        for (var r : f.deploy().regions()) {
            regions.append(regions.length() == 0 ? "" : ",").append(r.name());
            ObjectNode o = options.addObject();
            o.put("text", r.name());
            o.put("value", r.name());
            o.put("selected", false);
        }
        region.put("query", regions.toString());
        ObjectNode current = region.putObject("current");
        current.put("text", "All");
        current.put("value", "$__all");
        ArrayNode panels = d.putArray("panels");
        int id = 1;
        int i = 0;
        for (Panel p : panels()) {
            ObjectNode panel = panels.addObject();
            panel.put("id", id++);
            panel.put("type", "timeseries");
            panel.put("title", p.title());
            ObjectNode dsRef = panel.putObject("datasource");
            dsRef.put("type", "prometheus");
            dsRef.put("uid", "${datasource}");
            ObjectNode grid = panel.putObject("gridPos");
            grid.put("h", 8);
            grid.put("w", 12);
            grid.put("x", (i % 2) * 12);
            grid.put("y", (i / 2) * 8);
            panel.putObject("fieldConfig").putObject("defaults").put("unit", p.unit());
            ArrayNode targets = panel.putArray("targets");
            char ref = 'A';
            for (Query query : p.queries()) {
                ObjectNode t = targets.addObject();
                t.put("refId", String.valueOf(ref++));
                t.put("expr", query.expr());
                t.put("legendFormat", query.legend());
                ObjectNode tds = t.putObject("datasource");
                tds.put("type", "prometheus");
                tds.put("uid", "${datasource}");
            }
            i++;
        }
        return d;
    }
}
