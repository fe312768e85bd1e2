package dev.edgegateway.proxy.admin;

import dev.edgegateway.config.ConfigError;
import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.config.HeaderMatch;
import dev.edgegateway.config.RateLimitConfig;
import dev.edgegateway.config.RouteConfig;
import dev.edgegateway.config.RouteMatch;
import dev.edgegateway.proxy.observe.Json;
import dev.edgegateway.proxy.reload.ConfigReloader;
import dev.edgegateway.proxy.server.CompiledConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code GET /ui/state}: everything the operator console shows, in one JSON document the page
 * polls: the config being served (generation, source), each route's match and target (cluster,
 * split weights, canary, geo regions) with its request and 5xx counts, the clusters as
 * {@code /clusters} reports them, each rate-limit policy's decisions by outcome and Redis's
 * state, and the recent reload attempts with their change summaries or errors. Counts are
 * totals; the page turns them into rates from one poll to the next. Names and addresses only:
 * no token, no key, no password is ever in it (the config holds only the names of the
 * environment variables and files that carry them).
 */
final class ConsoleState {
    private ConsoleState() {}

    static String json(CompiledConfig state, List<ConfigReloader.Attempt> reloads, int redisUp, String readiness, long nowNanos,
                       Function<String, String> rolloutJson) {
        ConfigSnapshot s = state.snapshot();
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\"nowMillis\":").append(System.currentTimeMillis())
                .append(",\"generation\":").append(s.generation())
                .append(",\"sha256\":");
        Json.quote(sb, s.sha256());
        sb.append(",\"source\":");
        Json.quote(sb, s.source());
        sb.append(",\"readiness\":");
        Json.quote(sb, readiness);
        sb.append(",\"redis\":");
        Json.quote(sb, redisUp == 1 ? "up" : redisUp == 0 ? "down" : "not used");
        sb.append(",\"routes\":[");
        Map<String, long[]> totals = state.routeTotals();
        boolean first = true;
        for (int ri = 0; ri < s.config().routes().size(); ri++) {
            RouteConfig r = s.config().routes().get(ri);
            var weights = r.rollout() == null ? null : state.routeList().get(ri).splitWeights();
            long[] t = totals.getOrDefault(r.name(), new long[2]);
            sb.append(first ? "" : ",").append("\n {\"name\":");
            Json.quote(sb, r.name());
            sb.append(",\"match\":");
            Json.quote(sb, match(r.match()));
            sb.append(",\"target\":");
            target(sb, r, weights == null ? null : weights.current());
            sb.append(",\"limits\":[");
            for (int i = 0; i < r.rateLimits().size(); i++) {
                RateLimitConfig l = r.rateLimits().get(i);
                sb.append(i == 0 ? "" : ",");
                Json.quote(sb, l.name() + " (" + l.mode().name().toLowerCase(Locale.ROOT) + ")");
            }
            String rollout = r.rollout() == null ? null : rolloutJson.apply(r.name());
            sb.append("],\"rollout\":").append(rollout == null ? "null" : rollout).append(",\"requests\":").append(t[0]).append(",\"errors5xx\":").append(t[1]).append('}');
            first = false;
        }
        sb.append("],\n\"clusters\":").append(ClustersReport.json(state.clusters().values(), nowNanos).trim());
        sb.append(",\n\"rateLimits\":[");
        first = true;
        for (CompiledConfig.PolicyDecisions p : state.policyDecisions()) {
            sb.append(first ? "" : ",").append("\n {\"route\":");
            Json.quote(sb, p.route());
            sb.append(",\"policy\":");
            Json.quote(sb, p.policy());
            sb.append(",\"decisions\":{");
            boolean firstOutcome = true;
            for (var e : p.byOutcome().entrySet()) {
                sb.append(firstOutcome ? "" : ",");
                Json.quote(sb, e.getKey());
                sb.append(':').append(e.getValue());
                firstOutcome = false;
            }
            sb.append("}}");
            first = false;
        }
        sb.append("],\n\"reloads\":[");
        for (int i = 0; i < reloads.size(); i++) {
            ConfigReloader.Attempt a = reloads.get(i);
            sb.append(i == 0 ? "" : ",").append("\n {\"epochMillis\":").append(a.epochMillis()).append(",\"via\":");
            Json.quote(sb, a.via());
            sb.append(",\"source\":");
            Json.quote(sb, a.source());
            sb.append(",\"outcome\":");
            Json.quote(sb, a.outcome().name().toLowerCase(Locale.ROOT));
            sb.append(",\"generation\":").append(a.generation()).append(",\"changes\":");
            Json.quote(sb, a.changes());
            sb.append(",\"errors\":");
            errors(sb, a.errors());
            sb.append('}');
        }
        return sb.append("]}\n").toString();
    }

    /** Errors as the admin API's answers carry them: line, column, field, message. */
    static void errors(StringBuilder sb, List<ConfigError> errors) {
        sb.append('[');
        for (int i = 0; i < errors.size(); i++) {
            ConfigError e = errors.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"line\":").append(e.line()).append(",\"column\":").append(e.column()).append(",\"field\":");
            Json.quote(sb, e.path());
            sb.append(",\"message\":");
            Json.quote(sb, e.message());
            sb.append('}');
        }
        sb.append(']');
    }

    /** @param live the weights served now when a rollout moves them (one per split cluster), else null: the config's */
    private static void target(StringBuilder sb, RouteConfig r, int[] live) {
        if (r.cluster() != null) {
            sb.append("{\"kind\":\"cluster\",\"cluster\":");
            Json.quote(sb, r.cluster());
        } else if (!r.split().isEmpty()) {
            sb.append("{\"kind\":\"split\",\"split\":[");
            int[] weights = live != null && live.length == r.split().size() ? live : r.split().stream().mapToInt(w -> w.weight()).toArray();
            int total = Arrays.stream(weights).sum();
            for (int i = 0; i < r.split().size(); i++) {
                var w = r.split().get(i);
                sb.append(i == 0 ? "" : ",").append("{\"cluster\":");
                Json.quote(sb, w.cluster());
                sb.append(",\"weight\":").append(weights[i]).append(",\"percent\":")
                        .append(total == 0 ? 0 : String.format(Locale.ROOT, "%.1f", 100.0 * weights[i] / total)).append('}');
            }
            sb.append(']');
            if (r.splitKey() != null) {
                sb.append(",\"splitKey\":");
                Json.quote(sb, r.splitKey().toString());
            }
            if (r.canary() != null) {
                sb.append(",\"canary\":");
                Json.quote(sb, r.canary().cluster() + " when " + (r.canary().header() != null ? "header " + r.canary().header() : "cookie " + r.canary().cookie())
                        + " = " + r.canary().value());
            }
        } else if (r.directResponse() != null) {
            sb.append("{\"kind\":\"direct\",\"status\":").append(r.directResponse().status());
        } else {
            sb.append("{\"kind\":\"geo\",\"mode\":");
            Json.quote(sb, r.geo().mode().name().toLowerCase(Locale.ROOT));
            sb.append(",\"minHealthyPercent\":").append(r.geo().minHealthyPercent()).append(",\"regions\":[");
            boolean first = true;
            for (var e : r.geo().regions().entrySet()) {
                sb.append(first ? "" : ",").append("{\"region\":");
                Json.quote(sb, e.getKey());
                sb.append(",\"cluster\":");
                Json.quote(sb, e.getValue().cluster());
                sb.append(",\"failover\":[");
                for (int i = 0; i < e.getValue().failover().size(); i++) {
                    sb.append(i == 0 ? "" : ",");
                    Json.quote(sb, e.getValue().failover().get(i));
                }
                sb.append("]}");
                first = false;
            }
            sb.append(']');
        }
        if (r.mirror() != null) {
            sb.append(",\"mirror\":");
            Json.quote(sb, r.mirror().percent() + "% to " + r.mirror().cluster());
        }
        if (r.sticky() != null) {
            sb.append(",\"sticky\":");
            Json.quote(sb, r.sticky().cookie() != null ? "cookie " + r.sticky().cookie().name() : "hash of " + r.sticky().hash());
        }
        sb.append('}');
    }

    /** A route's match in a line: {@code host api.example.com, path /v1/*, GET HEAD, header x-canary=1}. */
    static String match(RouteMatch m) {
        if (m == null) {
            return "any request";
        }
        List<String> parts = new ArrayList<>();
        if (m.host() != null && !m.host().equals("*")) {
            parts.add("host " + m.host());
        }
        if (m.path() != null) {
            parts.add("path " + m.path());
        }
        if (m.pathPrefix() != null && !m.pathPrefix().equals("/")) {
            parts.add("path " + m.pathPrefix() + "*");
        }
        if (m.pathRegex() != null) {
            parts.add("path ~ " + m.pathRegex());
        }
        if (m.methods() != null && !m.methods().isEmpty()) {
            parts.add(String.join(" ", m.methods()));
        }
        for (HeaderMatch h : m.headers() == null ? List.<HeaderMatch>of() : m.headers()) {
            parts.add("header " + condition(h));
        }
        for (HeaderMatch q : m.query() == null ? List.<HeaderMatch>of() : m.query()) {
            parts.add("query " + condition(q));
        }
        if (m.sni() != null) {
            parts.add("sni " + m.sni());
        }
        if (m.tls() != null) {
            parts.add(m.tls() ? "over TLS" : "clear text");
        }
        return parts.isEmpty() ? "any request" : String.join(", ", parts);
    }

    private static String condition(HeaderMatch h) {
        if (h.value() != null) {
            return h.name() + " = " + h.value();
        }
        if (h.prefix() != null) {
            return h.name() + " starts " + h.prefix();
        }
        if (h.regex() != null) {
            return h.name() + " ~ " + h.regex();
        }
        return h.name() + (Boolean.FALSE.equals(h.present()) ? " absent" : " present");
    }
}
