package dev.edgegateway.proxy.server;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.config.ForwardingConfig;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.health.RetryPolicy;
import dev.edgegateway.proxy.http1.FieldNames;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.RouteMetrics;
import dev.edgegateway.proxy.rollout.RolloutWindow;
import dev.edgegateway.proxy.tls.ServerTls;
import dev.edgegateway.proxy.tls.UpstreamTls;
import dev.edgegateway.ratelimit.Policy;
import dev.edgegateway.ratelimit.RateLimiters;
import dev.edgegateway.ratelimit.Verdict;
import dev.edgegateway.routing.Cluster;
import dev.edgegateway.routing.Route;
import dev.edgegateway.routing.RouteTable;
import io.micrometer.core.instrument.Counter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Everything a request needs from one config snapshot, compiled once: the route table, each
 * route's meters, and the timeouts in the units the event loop uses. Immutable; a request reads
 * the current one once and keeps it to the end, so a reload never changes a request midway.
 */
public final class CompiledConfig {
    private final ConfigSnapshot snapshot;
    private final RouteTable routes;
    private final RouteMetrics[][] routeMetrics;
    private final Map<String, RetryPolicy> retryPolicies;
    private final Map<String, UpstreamTls> upstreamTls;
    /** Certificate sets to install on TLS listeners with this state (by listener name); built in the reload's first phase. */
    private final Map<String, ServerTls.Certs> listenerCerts;
    final long connectTimeoutMillis;
    final long responseHeaderTimeoutNanos;
    final long upstreamIdleNanos;
    final long tunnelIdleNanos;
    final long closeLingerNanos;
    final boolean metricsEnabled;
    final long maxRequestBodyBytes;
    final int retryBufferBytes;
    final ForwardingConfig forwarding;

    /** A route's rate-limit policies and their decision counters, [policy][outcome]. */
    record RoutePolicies(Policy[] policies, Counter[][] decisions, FieldNames keyHeaderAliases) {}

    private final RoutePolicies[] rateLimits;
    /** Each route's own answer and header rules, by route index. */
    private final RouteExtras[] extras;
    /** Where each route's exchanges are counted for its rollout, by route index (null: no rollout); set before publication. */
    private RolloutWindow[] rolloutWindows;

    private CompiledConfig(ConfigSnapshot snapshot, RouteTable routes, RouteMetrics[][] routeMetrics, RoutePolicies[] rateLimits, Counter[][] mirrorCounters,
                         Map<String, ServerTls.Certs> listenerCerts) {
        this.rateLimits = rateLimits;
        this.listenerCerts = Map.copyOf(listenerCerts);
        this.extras = new RouteExtras[routes.routes().size()];
        for (Route r : routes.routes()) {
            extras[r.index()] = RouteExtras.of(snapshot.config().routes().get(r.index()), routes.clusters(), mirrorCounters[r.index()]);
        }
        GatewayConfig c = snapshot.config();
        this.snapshot = snapshot;
        this.routes = routes;
        this.routeMetrics = routeMetrics;
        Map<String, RetryPolicy> policies = new HashMap<>();
        routes.clusters().forEach((name, cluster) -> policies.put(name, new RetryPolicy(cluster.config().retry())));
        this.retryPolicies = Map.copyOf(policies);
        Map<String, UpstreamTls> tls = new HashMap<>();
        routes.clusters().forEach((name, cluster) -> {
            UpstreamTls t = UpstreamTls.of(cluster.config().tls(), cluster.config().protocol() == ClusterConfig.Protocol.H2);
            if (t != null) {
                tls.put(name, t);
            }
        });
        this.upstreamTls = Map.copyOf(tls);
        this.connectTimeoutMillis = c.timeouts().connect().toMillis();
        this.responseHeaderTimeoutNanos = c.timeouts().responseHeader().toNanos();
        this.upstreamIdleNanos = c.timeouts().upstreamIdle().toNanos();
        this.tunnelIdleNanos = c.timeouts().tunnelIdle().toNanos();
        this.closeLingerNanos = c.timeouts().closeLinger().toNanos();
        this.metricsEnabled = c.metrics().enabled();
        this.maxRequestBodyBytes = c.limits().maxRequestBodyBytes();
        this.retryBufferBytes = c.limits().retryBufferBytes();
        this.forwarding = c.forwarding();
    }

    /** Compiles and commits at once: the first config of a process, where there is nothing to reject to. */
    public static CompiledConfig compile(ConfigSnapshot snapshot, EndpointRegistry registry, GatewayMetrics metrics, RateLimiters limiters) {
        return prepare(snapshot, registry, limiters, Map.of()).commit(metrics);
    }

    /**
     * The first phase of a reload: the route table (against a stage of the endpoint registry),
     * the limiter policies and the listeners' certificates, all built, nothing serving changed.
     * Throws if anything the config names cannot be used; what was made so far is released.
     */
    public static Prepared prepare(ConfigSnapshot snapshot, EndpointRegistry registry, RateLimiters limiters, Map<String, ServerTls.Certs> certs) {
        EndpointRegistry.Stage stage = registry.stage();
        RouteTable table = RouteTable.compile(snapshot.config(), stage);
        RateLimiters.Prepared limits;
        try {
            limits = limiters.prepare(snapshot.config());
        } catch (RuntimeException e) {
            table.close();
            throw e;
        }
        return new Prepared(snapshot, stage, table, limiters, limits, certs);
    }

    /** A config compiled and ready to serve; {@link #commit} it, or {@link #discard} it if it is rejected. */
    public static final class Prepared {
        private final ConfigSnapshot snapshot;
        private final EndpointRegistry.Stage stage;
        private final RouteTable table;
        private final RateLimiters limiters;
        private final RateLimiters.Prepared limits;
        private final Map<String, ServerTls.Certs> certs;

        Prepared(ConfigSnapshot snapshot, EndpointRegistry.Stage stage, RouteTable table, RateLimiters limiters, RateLimiters.Prepared limits,
                 Map<String, ServerTls.Certs> certs) {
            this.snapshot = snapshot;
            this.stage = stage;
            this.table = table;
            this.limiters = limiters;
            this.limits = limits;
            this.certs = certs;
        }

        public ConfigSnapshot snapshot() {
            return snapshot;
        }

        /** Releases what the first phase made for this config alone (a GeoIP mapping, a Redis client). */
        public void discard() {
            table.close();
            limits.discard();
        }

        /**
         * The second phase: new endpoints and clusters join the registry and every cluster takes
         * its settings, the limiter policies become the live ones, the meters of the new routes
         * and policies are registered, and the state is built. Cannot fail halfway: nothing here
         * reads a file or parses anything.
         */
        public CompiledConfig commit(GatewayMetrics metrics) {
            stage.commit();
            limiters.commit(limits);
            return build(snapshot, table, limits, certs, metrics);
        }
    }

    private static CompiledConfig build(ConfigSnapshot snapshot, RouteTable table, RateLimiters.Prepared limits, Map<String, ServerTls.Certs> certs,
                                      GatewayMetrics metrics) {
        List<List<Policy>> policies = limits.byRoute();
        String[] outcomes = Arrays.stream(Verdict.Decision.values()).map(o -> o.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);
        RoutePolicies[] byRoute = new RoutePolicies[table.routes().size()];
        for (Route r : table.routes()) {
            List<Policy> list = policies.get(r.index());
            Counter[][] counters = new Counter[list.size()][];
            for (int i = 0; i < list.size(); i++) {
                counters[i] = metrics.rateLimitDecisions(r.name(), list.get(i).name(), outcomes);
            }
            byRoute[r.index()] = new RoutePolicies(list.toArray(new Policy[0]), counters, LimitStage.keyHeaderAliases(list));
        }
        RouteMetrics[][] meters = new RouteMetrics[table.routes().size()][];
        for (Route r : table.routes()) {
            // One per cluster, and a last one for requests answered before a cluster was chosen (429).
            RouteMetrics[] m = new RouteMetrics[r.clusters().size() + 1];
            for (int i = 0; i < r.clusters().size(); i++) {
                m[i] = metrics.routeMetrics(r.name(), r.clusters().get(i).name());
            }
            m[r.clusters().size()] = metrics.routeMetricsBeforeCluster(r.name());
            meters[r.index()] = m;
        }
        table.clusters().keySet().forEach(metrics::cluster);
        for (var rc : snapshot.config().routes()) {
            if (rc.geo() != null) {
                metrics.geoRoute(rc.name(), rc.geo());
            }
        }
        Counter[][] mirrors = new Counter[table.routes().size()][];
        for (Route r : table.routes()) {
            if (snapshot.config().routes().get(r.index()).mirror() != null) {
                mirrors[r.index()] = metrics.mirrorRequests(r.name());
            }
        }
        return new CompiledConfig(snapshot, table, meters, byRoute, mirrors, certs);
    }

    public ConfigSnapshot snapshot() {
        return snapshot;
    }

    public GatewayConfig config() {
        return snapshot.config();
    }

    RouteTable routes() {
        return routes;
    }

    /** The compiled clusters, by name: for the admin port's {@code /clusters}. */
    public Map<String, Cluster> clusters() {
        return routes.clusters();
    }

    RetryPolicy retryPolicy(Cluster cluster) {
        return retryPolicies.get(cluster.name());
    }

    /** The cluster's TLS to its endpoints; null for clear text. */
    UpstreamTls upstreamTls(Cluster cluster) {
        return upstreamTls.get(cluster.name());
    }

    /** The route names of this config (the meters' {@code route} tags that stay). */
    public Set<String> routeNames() {
        Set<String> out = new HashSet<>();
        routes.routes().forEach(r -> out.add(r.name()));
        return out;
    }

    /** Each route with each cluster it sends to, as {@code route + "\0" + cluster}. */
    public Set<String> routeClusterPairs() {
        Set<String> out = new HashSet<>();
        routes.routes().forEach(r -> r.clusters().forEach(c -> out.add(r.name() + "\0" + c.name())));
        return out;
    }

    /** Each rate-limit policy, as {@code route/policy}. */
    public Set<String> policyIds() {
        Set<String> out = new HashSet<>();
        for (Route r : routes.routes()) {
            for (Policy p : rateLimits[r.index()].policies()) {
                out.add(r.name() + "/" + p.name());
            }
        }
        return out;
    }

    /** Whether retiring this state has anything to release (a GeoIP mapping), beyond what the collector takes. */
    public boolean holdsFiles() {
        return routes.holdsFiles();
    }

    /** Releases what this state's route table opened (the GeoIP mapping), once it is retired. */
    public void close() {
        routes.close();
    }

    public Map<String, ServerTls.Certs> listenerCerts() {
        return listenerCerts;
    }

    /** Requests answered and 5xx among them, per route name (config order), summed over the route's clusters: for the console. */
    public Map<String, long[]> routeTotals() {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Route r : routes.routes()) {
            long[] t = new long[2];
            for (RouteMetrics m : routeMetrics[r.index()]) {
                t[0] += m.answered();
                t[1] += m.answered5xx();
            }
            out.put(r.name(), t);
        }
        return out;
    }

    /** One rate-limit policy of a route and its decisions so far, by outcome: for the console. */
    public record PolicyDecisions(String route, String policy, Map<String, Long> byOutcome) {}

    public List<PolicyDecisions> policyDecisions() {
        List<PolicyDecisions> out = new ArrayList<>();
        Verdict.Decision[] outcomes = Verdict.Decision.values();
        for (Route r : routes.routes()) {
            RoutePolicies p = rateLimits[r.index()];
            for (int i = 0; i < p.policies().length; i++) {
                Map<String, Long> by = new LinkedHashMap<>();
                for (int o = 0; o < outcomes.length; o++) {
                    by.put(outcomes[o].name().toLowerCase(Locale.ROOT), (long) p.decisions()[i][o].count());
                }
                out.add(new PolicyDecisions(r.name(), p.policies()[i].name(), by));
            }
        }
        return out;
    }

    /** The compiled routes, in config order (a route's {@link Route#index()} is its place here). */
    public List<Route> routeList() {
        return routes.routes();
    }

    /** Where each route's exchanges are counted for its rollout, by route index: once, before this config is published. */
    public void bindRollouts(RolloutWindow[] windows) {
        if (rolloutWindows != null) {
            throw new IllegalStateException("rollouts are bound once, before the config serves");
        }
        rolloutWindows = windows.clone();
    }

    /** The route's rollout window, or null when it has no rollout. */
    RolloutWindow rolloutWindow(Route route) {
        RolloutWindow[] w = rolloutWindows;
        return w == null ? null : w[route.index()];
    }

    RouteExtras extras(Route route) {
        return extras[route.index()];
    }

    RoutePolicies rateLimits(Route route) {
        return rateLimits[route.index()];
    }

    /** The meters of a route and one of its clusters (by its slot in {@link Route#clusters()}). */
    RouteMetrics metrics(Route route, int clusterSlot) {
        return routeMetrics[route.index()][clusterSlot];
    }

    /** The meters of a route's requests answered before a cluster was chosen. */
    RouteMetrics metricsBeforeCluster(Route route) {
        RouteMetrics[] m = routeMetrics[route.index()];
        return m[m.length - 1];
    }
}
