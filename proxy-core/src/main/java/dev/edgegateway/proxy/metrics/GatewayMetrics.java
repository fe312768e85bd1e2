package dev.edgegateway.proxy.metrics;

import dev.edgegateway.config.MetricsConfig;
import dev.edgegateway.config.RouteGeoConfig;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.HealthEvents;
import dev.edgegateway.proxy.transport.LoopClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The gateway's meters, in one Prometheus registry scraped at the admin port's {@code /metrics}.
 * Every label value comes from the config (route and cluster names) or from a fixed set (status
 * class, reason), never from client input, so the number of series is bounded by the config.
 * Thread-safe.
 */
public final class GatewayMetrics implements HealthEvents {
    /** Histogram buckets: {@link dev.edgegateway.config.MetricsConfig#LATENCY_BUCKETS}. */
    static final Duration[] LATENCY_BUCKETS = MetricsConfig.LATENCY_BUCKETS.toArray(new Duration[0]);

    /** Why the gateway itself answered a request without an origin. */
    public enum Rejection {
        BAD_REQUEST, URI_TOO_LONG, HEADERS_TOO_LARGE, BODY_TOO_LARGE, HEADER_TIMEOUT, BODY_TIMEOUT, NO_ROUTE, METHOD_NOT_ALLOWED, VERSION,
        AMBIGUOUS_KEY;

        private final String label = name().toLowerCase(Locale.ROOT);

        /** The metric label, and the {@code rejected} value of the access log and {@code x-edge-rejected}. */
        public String label() {
            return label;
        }
    }

    /** Why an origin connection or exchange failed. */
    public enum UpstreamError { CONNECT_REFUSED, CONNECT_TIMEOUT, TLS_HANDSHAKE, RESET, RESPONSE_TIMEOUT, BAD_RESPONSE }

    // The meters read the event loop's held time: a timer's record reads the clock twice otherwise.
    private final PrometheusMeterRegistry registry = JvmMeters.lintClean(
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), LoopClock.METERS));
    private final GeoMeters geo = new GeoMeters(registry);
    private final TlsMeters tls = new TlsMeters(registry);
    private final AtomicInteger downstreamOpen = new AtomicInteger();
    private final AtomicInteger upstreamOpen = new AtomicInteger();
    private final AtomicInteger tunnelsOpen = new AtomicInteger();
    private final AtomicInteger upstreamIdle = new AtomicInteger();
    private final Counter tunnelsOpened;
    private final AtomicLong configGeneration = new AtomicLong();
    private final Counter upstreamOpened;
    private final Counter downstreamAccepted;
    private final Counter[] rejections = new Counter[Rejection.values().length];
    private final RouteMetrics unrouted;

    public GatewayMetrics() {
        for (String via : new String[] {"file", "api"}) {
            for (String outcome : new String[] {"applied", "unchanged", "invalid"}) {
                reloadCounter(via, outcome); // at zero, so an alert on increase() sees the first failure
            }
        }
        Gauge.builder("edge.downstream.connections.open", downstreamOpen, AtomicInteger::get)
                .description("Client connections open now").register(registry);
        downstreamAccepted = Counter.builder("edge.downstream.connections.accepted")
                .description("Client connections accepted").register(registry);
        Gauge.builder("edge.upstream.connections.open", upstreamOpen, AtomicInteger::get)
                .description("Origin connections open now (in use or idle in a pool)").register(registry);
        upstreamOpened = Counter.builder("edge.upstream.connections.opened")
                .description("Origin connections opened; far fewer than requests when keep-alive works").register(registry);
        Gauge.builder("edge.upstream.connections.idle", upstreamIdle, AtomicInteger::get)
                .description("Origin connections idle in the pools, ready for reuse").register(registry);
        Gauge.builder("edge.tunnels.open", tunnelsOpen, AtomicInteger::get)
                .description("Upgraded connections (WebSocket) tunnelling now").register(registry);
        tunnelsOpened = Counter.builder("edge.tunnels.opened")
                .description("Upgraded connections (WebSocket) opened").register(registry);
        Gauge.builder("edge.config.generation", configGeneration, AtomicLong::get)
                .description("Generation of the config being served").register(registry);
        for (Rejection r : Rejection.values()) {
            rejections[r.ordinal()] = Counter.builder("edge.downstream.rejected")
                    .description("Requests the gateway answered itself, by reason")
                    .tag("reason", r.label()).register(registry);
        }
        unrouted = routeMetricsBeforeCluster("none");
        JvmMeters.bindTo(registry);
    }

    /** Meters for one route and one of its clusters (with the cluster's own); once per config snapshot, not per request. */
    public RouteMetrics routeMetrics(String route, String cluster) {
        return new RouteMetrics(registry, route, cluster, cluster(cluster));
    }

    /** Meters for a route's requests answered before a cluster was chosen (labelled cluster "none"). */
    public RouteMetrics routeMetricsBeforeCluster(String route) {
        return new RouteMetrics(registry, route, "none", null);
    }

    /** Meters for requests that matched no route or were rejected before routing. */
    public RouteMetrics unrouted() {
        return unrouted;
    }

    public void rejected(Rejection reason) {
        rejections[reason.ordinal()].increment();
    }

    public void upstreamError(String cluster, UpstreamError error) {
        cluster(cluster).upstreamErrors[error.ordinal()].increment();
    }

    public void downstreamOpened() {
        downstreamOpen.incrementAndGet();
        downstreamAccepted.increment();
    }

    public void downstreamClosed() {
        downstreamOpen.decrementAndGet();
    }

    public void upstreamConnectionOpened() {
        upstreamOpen.incrementAndGet();
        upstreamOpened.increment();
    }

    public void upstreamConnectionClosed() {
        upstreamOpen.decrementAndGet();
    }

    /** A pooled connection became idle (+1) or left the pool (-1). */
    public void upstreamIdle(int delta) {
        upstreamIdle.addAndGet(delta);
    }

    /** Each event loop's queued tasks: a loop that cannot keep up shows here first. */
    public void eventLoops(Iterable<? extends EventExecutor> loops) {
        int i = 0;
        for (var loop : loops) {
            if (loop instanceof SingleThreadEventExecutor st) {
                Gauge.builder("edge.eventloop.pending.tasks", st, SingleThreadEventExecutor::pendingTasks)
                        .description("Tasks waiting on an event loop").tag("loop", Integer.toString(i)).register(registry);
            }
            i++;
        }
    }

    /** The access log's lines written and dropped (the writer fell behind). */
    public void accessLog(LongSupplier written, LongSupplier dropped) {
        Gauge.builder("edge.access.log.written", written, s -> s.getAsLong()).strongReference(true)
                .description("Access log lines written").register(registry);
        Gauge.builder("edge.access.log.dropped", dropped, s -> s.getAsLong()).strongReference(true)
                .description("Access log lines dropped because the writer fell behind").register(registry);
    }

    public void tunnelOpened() {
        tunnelsOpen.incrementAndGet();
        tunnelsOpened.increment();
    }

    public void tunnelClosed() {
        tunnelsOpen.decrementAndGet();
    }

    /** A geo route served a client from another region than its own. Labels are config names. */
    public void geoFailover(String route, String from, String to) {
        geo.failover(route, from, to);
    }

    /** Registers a geo route's failover series at zero ({@link GeoMeters#route}). */
    public void geoRoute(String route, RouteGeoConfig config) {
        geo.route(route, config);
    }

    /**
     * Removes the meters of what the config being served no longer names: routes (and each
     * route's clusters), clusters, rate-limit policies ({@code route/policy}). Series of a removed
     * route stop being exported instead of staying at their last value forever, so a thousand
     * reloads that churn names leave the series count where it was. Returns how many went.
     */
    public int retain(Set<String> routes, Set<String> routeClusters, Set<String> clusterNames,
                      Set<String> policies) {
        clusters.keySet().retainAll(clusterNames);
        geo.retain(routes);
        return MeterRetirement.retain(registry, routes, routeClusters, clusterNames, policies);
    }

    /** A config reload attempt: via {@code file} or {@code api}; {@code applied}, {@code unchanged} or {@code invalid}. */
    public void reload(String via, String outcome) {
        reloadCounter(via, outcome).increment();
    }

    private Counter reloadCounter(String via, String outcome) {
        return Counter.builder("edge.config.reloads").description("Config reloads by source and outcome")
                .tags("via", via, "outcome", outcome).register(registry);
    }

    /** The TLS listeners' meters. */
    public TlsMeters tls() {
        return tls;
    }

    public void configGeneration(long generation) {
        configGeneration.set(generation);
    }

    public int downstreamConnectionsOpen() {
        return downstreamOpen.get();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    // ---- health: ejections, breakers, checks, retries -------------------------------------------

    private final Map<String, ClusterMetrics> clusters = new ConcurrentHashMap<>();
    private volatile Function<String, List<Endpoint>> endpointLookup = c -> List.of();

    /** Where the cluster gauges find a cluster's endpoints in the config being served. */
    public void endpointLookup(Function<String, List<Endpoint>> lookup) {
        this.endpointLookup = lookup;
    }

    private double endpointsIn(String cluster, String state) {
        long now = System.nanoTime();
        int n = 0;
        for (Endpoint e : endpointLookup.apply(cluster)) {
            boolean in = switch (state) {
                case "available" -> e.isAvailable(now);
                case "unhealthy" -> e.health() == Endpoint.Health.UNHEALTHY;
                case "ejected" -> e.ejectedForNanos(now) > 0;
                default -> e.breaker() == Endpoint.Breaker.OPEN;
            };
            if (in) {
                n++;
            }
        }
        return n;
    }

    /**
     * The meters of one cluster, registered at zero the first time the cluster is seen (the
     * gateway asks when it loads a config), so that every series exists before its first event
     * and a rate() over it is defined. A lookup, no allocation, after that.
     */
    public ClusterMetrics cluster(String name) {
        ClusterMetrics m = clusters.get(name);
        return m != null ? m : clusters.computeIfAbsent(name, ClusterMetrics::new);
    }

    @Override
    public void ejected(Endpoint endpoint, long forNanos) {
        cluster(endpoint.cluster()).ejections.increment();
    }

    @Override
    public void breakerOpened(Endpoint endpoint) {
        cluster(endpoint.cluster()).breakerOpened.increment();
    }

    @Override
    public void checked(Endpoint endpoint, boolean passed) {
        ClusterMetrics m = cluster(endpoint.cluster());
        (passed ? m.checksPassed : m.checksFailed).increment();
    }

    @Override
    public void healthChanged(Endpoint endpoint, Endpoint.Health health) {
        cluster(endpoint.cluster()).transitions[health.ordinal()].increment();
    }

    /** A request refused at once because a cluster limit was reached. */
    public void breakerRejected(String cluster, ClusterHealth.Limit limit) {
        cluster(cluster).rejections[limit.ordinal()].increment();
    }

    public void retried(String cluster) {
        cluster(cluster).retries.increment();
    }

    public void retryBudgetExhausted(String cluster) {
        cluster(cluster).retryBudgetExhausted.increment();
    }

    /** Per-cluster counters: origin errors, ejections, breakers, checks, retries. */
    public final class ClusterMetrics {
        final Counter[] upstreamErrors = new Counter[UpstreamError.values().length];
        final Counter ejections;
        final Counter breakerOpened;
        final Counter checksPassed;
        final Counter checksFailed;
        final Counter[] transitions = new Counter[Endpoint.Health.values().length];
        final Counter[] rejections = new Counter[ClusterHealth.Limit.values().length];
        final Counter retries;
        final Counter retryBudgetExhausted;
        final Timer upstreamLatency;

        /** Origin time of one try: request written to response headers. */
        public void upstreamLatency(long nanos) {
            upstreamLatency.record(nanos, TimeUnit.NANOSECONDS);
        }

        ClusterMetrics(String cluster) {
            upstreamLatency = Timer.builder("edge.upstream.response.duration")
                    .description("Per try: request sent to the origin until its response headers arrived")
                    .tag("cluster", cluster).serviceLevelObjectives(LATENCY_BUCKETS)
                    .minimumExpectedValue(LATENCY_BUCKETS[0]).maximumExpectedValue(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1])
                    .register(registry);
            for (String state : new String[] {"available", "unhealthy", "ejected", "breaker_open"}) {
                Gauge.builder("edge.cluster.endpoints", () -> endpointsIn(cluster, state))
                        .description("Endpoints of a cluster by state (an endpoint may be in several)")
                        .tags("cluster", cluster, "state", state).strongReference(true).register(registry);
            }
            for (UpstreamError e : UpstreamError.values()) {
                upstreamErrors[e.ordinal()] = Counter.builder("edge.upstream.errors")
                        .description("Failed origin connections and exchanges, by cluster and kind")
                        .tags("cluster", cluster, "kind", e.name().toLowerCase()).register(registry);
            }
            ejections = counter("edge.outlier.ejections", "Endpoints ejected by outlier detection", cluster);
            breakerOpened = counter("edge.breaker.opened", "Endpoint breakers opened (including reopened after a failed probe)", cluster);
            checksPassed = counter("edge.health.checks", "Active health checks, by result", cluster, "result", "pass");
            checksFailed = counter("edge.health.checks", "Active health checks, by result", cluster, "result", "fail");
            for (Endpoint.Health h : Endpoint.Health.values()) {
                transitions[h.ordinal()] = counter("edge.health.transitions", "Endpoints changing health, by new state", cluster,
                        "to", h.name().toLowerCase());
            }
            for (ClusterHealth.Limit l : ClusterHealth.Limit.values()) {
                rejections[l.ordinal()] = counter("edge.breaker.rejections", "Requests refused with 503 because a cluster limit was reached",
                        cluster, "limit", l.name().toLowerCase());
            }
            retries = counter("edge.retries", "Retries started", cluster);
            retryBudgetExhausted = counter("edge.retry.budget.exhausted", "Retries not made because the retry budget was spent", cluster);
        }

        private Counter counter(String name, String description, String cluster, String... tags) {
            return Counter.builder(name).description(description).tag("cluster", cluster).tags(tags).register(registry);
        }
    }

    // ---- rate limiting -------------------------------------------------------------------------

    private final Timer redisOk = Timer.builder("edge.ratelimit.redis").description("Redis calls for distributed rate limits, by result")
            .tag("result", "ok").serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    private final Timer redisFailed = Timer.builder("edge.ratelimit.redis").description("Redis calls for distributed rate limits, by result")
            .tag("result", "error").serviceLevelObjectives(LATENCY_BUCKETS).register(registry);

    /** The rate limiter's Redis connection: 1 up, 0 down, -1 not used. */
    public void redisUp(IntSupplier up) {
        Gauge.builder("edge.ratelimit.redis.up", up, s -> s.getAsInt())
                .description("Redis connection for distributed rate limits: 1 up, 0 down (reconnecting), -1 not configured")
                .strongReference(true) // the supplier is a method reference nobody else holds
                .register(registry);
    }

    /** For the rate limiter's Redis client: one call and how it ended. */
    public void redisCall(long nanos, boolean ok) {
        (ok ? redisOk : redisFailed).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Decisions of one policy on one route, by outcome (ordinal of the limiter's outcome enum). */
    public Counter[] rateLimitDecisions(String route, String policy, String[] outcomes) {
        Counter[] c = new Counter[outcomes.length];
        for (int i = 0; i < outcomes.length; i++) {
            c[i] = Counter.builder("edge.ratelimit.decisions").description("Rate-limit decisions by route, policy and outcome")
                    .tags("route", route, "policy", policy, "outcome", outcomes[i]).register(registry);
        }
        return c;
    }

    /** What happened to a route's mirrored copies: {@code sent}, {@code dropped}, {@code failed}, {@code skipped}. */
    public Counter[] mirrorRequests(String route) {
        String[] outcomes = {"sent", "dropped", "failed", "skipped"};
        Counter[] c = new Counter[outcomes.length];
        for (int i = 0; i < outcomes.length; i++) {
            c[i] = Counter.builder("edge.mirror.requests").description("Copies of a route's requests sent to its mirror cluster, by outcome")
                    .tags("route", route, "outcome", outcomes[i]).register(registry);
        }
        return c;
    }

    /** Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }
}
