package dev.edgegateway.proxy.reload;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.ConfigError;
import dev.edgegateway.config.ConfigException;
import dev.edgegateway.config.ConfigFieldException;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.ListenerConfig;
import dev.edgegateway.config.RouteConfig;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.server.CompiledConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validate, then swap: a new document is parsed, validated and compiled (route table, splits,
 * balancers, limiter policies) into a complete {@link CompiledConfig} before anything changes; then
 * one volatile write publishes it. Any error leaves the running state untouched and is returned,
 * every one with its file, line, column and field. Requests in flight keep the state they
 * started with; runtime state keyed by cluster and endpoint (health, ejections, breakers,
 * latency, pools, rate-limit buckets) lives outside the state and carries over. One reload at a
 * time: callers are serialised. Runs off the event loops (file watcher thread, admin executor).
 */
public final class ConfigReloader {
    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    /** What a reload did. */
    public record Result(ReloadOutcome outcome, ConfigSnapshot snapshot, List<ConfigError> errors, String changes) {}

    /** {@code VALID}: a validation that found nothing wrong (nothing was applied). */
    public enum ReloadOutcome { APPLIED, UNCHANGED, INVALID, VALID }

    /**
     * One reload attempt, for the console and {@code GET /reloads}: when, via what, its outcome,
     * the generation served after it, the change summary or the errors (with their lines).
     */
    public record Attempt(long epochMillis, String via, String source, ReloadOutcome outcome, long generation, String changes, List<ConfigError> errors) {}

    /** The attempts kept: the most recent, oldest dropped first. */
    static final int HISTORY = 32;
    private final ArrayDeque<Attempt> history = new ArrayDeque<>();

    private final Function<ConfigSnapshot, CompiledConfig.Prepared> preparer;
    private final Supplier<CompiledConfig> current;
    private final Consumer<CompiledConfig> publisher;
    private final GatewayMetrics metrics;
    /** The config the process started with: what its sockets, admin port and tracing were made from. */
    private volatile GatewayConfig startConfig;

    /**
     * @param preparer the first phase: compiles everything a snapshot names (certificates, GeoIP
     *     file, route table, limiter policies) without changing what serves; throws if it cannot
     * @param publisher swaps a committed state in and retires what the old one named alone
     */
    public ConfigReloader(Supplier<CompiledConfig> current, Function<ConfigSnapshot, CompiledConfig.Prepared> preparer,
                          Consumer<CompiledConfig> publisher, GatewayMetrics metrics) {
        this.current = current;
        this.preparer = preparer;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    /**
     * Checks a document without applying it: parsed, validated and prepared (certificates, GeoIP
     * file, route table, limiter policies compiled) exactly as {@link #apply} would, then
     * discarded, so "valid" here means {@code PUT /config} accepts it. Serialised with reloads.
     */
    public synchronized Result validate(String text, String source) {
        ConfigSnapshot s;
        try {
            s = ConfigLoader.parse(text, source, current.get().snapshot().generation() + 1);
        } catch (ConfigException e) {
            return new Result(ReloadOutcome.INVALID, null, e.errors(), "");
        }
        try {
            preparer.apply(s).discard();
        } catch (RuntimeException e) {
            return new Result(ReloadOutcome.INVALID, null, List.of(placed(s, e)), "");
        }
        return new Result(ReloadOutcome.VALID, s, List.of(), describe(current.get().config(), s.config()));
    }

    /** A first-phase failure as an error at its field (a {@link ConfigFieldException}'s path), else at the document. */
    static ConfigError placed(ConfigSnapshot s, RuntimeException e) {
        Throwable t = e;
        while (t != null && !(t instanceof ConfigFieldException)) {
            t = t.getCause();
        }
        return t instanceof ConfigFieldException f ? s.errorAt(f.path(), f.getMessage()) : s.errorAt("", String.valueOf(e.getMessage()));
    }

    /** Validates, compiles and publishes {@code text}; {@code via} is {@code file} or {@code api}. */
    public synchronized Result apply(String text, String source, String via) {
        CompiledConfig running = current.get();
        ConfigSnapshot next;
        try {
            next = ConfigLoader.parse(text, source, running.snapshot().generation() + 1);
        } catch (ConfigException e) {
            metrics.reload(via, "invalid");
            log.warn("config from {} rejected; still serving generation {}:\n  {}", via, running.snapshot().generation(),
                    String.join("\n  ", e.errors().stream().map(ConfigError::toString).toList()));
            return remember(via, source, new Result(ReloadOutcome.INVALID, null, e.errors(), ""), running);
        }
        if (next.sha256().equals(running.snapshot().sha256())) {
            metrics.reload(via, "unchanged");
            log.info("config from {} is the one served (generation {}): nothing to apply", via, running.snapshot().generation());
            return remember(via, source, new Result(ReloadOutcome.UNCHANGED, running.snapshot(), List.of(), "no change"), running);
        }
        CompiledConfig.Prepared prepared;
        try {
            prepared = preparer.apply(next);
        } catch (RuntimeException e) {
            metrics.reload(via, "invalid");
            ConfigError error = placed(next, e);
            log.warn("config from {} could not be compiled; still serving generation {}: {}", via, running.snapshot().generation(), error);
            return remember(via, source, new Result(ReloadOutcome.INVALID, null, List.of(error), ""), running);
        }
        String changes = describe(running.config(), next.config());
        publisher.accept(prepared.commit(metrics));
        metrics.reload(via, "applied");
        log.info("config generation {} from {} applied (sha256 {}): {}", next.generation(), via, next.sha256().substring(0, 12), changes);
        return remember(via, source, new Result(ReloadOutcome.APPLIED, next, List.of(), changes), running);
    }

    /**
     * What the config served now changes that waits for a restart, against the config the gateway
     * started with (listeners, admin, ...): empty when what is served is all it says. For
     * {@code GET /config}, which shows the document, not the sockets bound.
     */
    public List<String> waitingForRestart(GatewayConfig now) {
        GatewayConfig start = startConfig;
        if (start == null) {
            return List.of();
        }
        List<String> atStart = new ArrayList<>();
        restartOnly(start, now, new ArrayList<>(), atStart);
        return atStart;
    }

    /** The config the gateway started with, as the first entry of the history. */
    public synchronized void started(ConfigSnapshot first) {
        startConfig = first.config();
        add(new Attempt(System.currentTimeMillis(), "start", first.source(), ReloadOutcome.APPLIED, first.generation(), "started", List.of()));
    }

    private Result remember(String via, String source, Result r, CompiledConfig before) {
        long generation = r.outcome() == ReloadOutcome.APPLIED ? r.snapshot().generation() : before.snapshot().generation();
        add(new Attempt(System.currentTimeMillis(), via, source, r.outcome(), generation, r.changes(), r.errors()));
        return r;
    }

    private void add(Attempt a) {
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast(a);
    }

    /** The recent attempts, newest last. */
    public synchronized List<Attempt> history() {
        return List.copyOf(history);
    }

    /** A one-line account of what changed: routes, clusters, endpoints, weights; and what needs a restart. */
    static String describe(GatewayConfig before, GatewayConfig after) {
        List<String> out = new ArrayList<>();
        Map<String, RouteConfig> oldRoutes = byName(before.routes(), RouteConfig::name);
        Map<String, RouteConfig> newRoutes = byName(after.routes(), RouteConfig::name);
        diff("route", oldRoutes, newRoutes, out, (a, b) -> {
            if (!a.split().equals(b.split())) {
                out.add("route " + b.name() + " split " + weights(a) + " -> " + weights(b));
            } else if (!a.equals(b)) {
                out.add("route " + b.name() + " changed");
            }
        });
        Map<String, ClusterConfig> oldClusters = byName(before.clusters(), ClusterConfig::name);
        Map<String, ClusterConfig> newClusters = byName(after.clusters(), ClusterConfig::name);
        diff("cluster", oldClusters, newClusters, out, (a, b) -> {
            for (var e : b.endpoints()) {
                if (!a.endpoints().contains(e)) {
                    out.add("cluster " + b.name() + " +endpoint " + e);
                }
            }
            for (var e : a.endpoints()) {
                if (!b.endpoints().contains(e)) {
                    out.add("cluster " + b.name() + " -endpoint " + e);
                }
            }
            if (!Objects.equals(withoutEndpoints(a), withoutEndpoints(b))) {
                out.add("cluster " + b.name() + " settings changed");
            }
        });
        // Sections by name: those read once at start, then those a reload applies. A section missing
        // here would make a real change read "no effective change".
        List<String> atStart = new ArrayList<>();
        restartOnly(before, after, out, atStart);
        if (!atStart.isEmpty()) {
            out.add(String.join(", ", atStart) + " changed: " + (atStart.size() == 1 ? "this takes" : "these take") + " effect on restart");
        }
        List<String> live = changed(before, after, Map.of("timeouts", GatewayConfig::timeouts, "limits", GatewayConfig::limits,
                "forwarding", GatewayConfig::forwarding, "drain", GatewayConfig::drain, "geo", GatewayConfig::geo,
                "redis", GatewayConfig::redis, "metrics", GatewayConfig::metrics));
        if (!live.isEmpty()) {
            out.add(String.join(", ", live) + " changed");
        }
        return out.isEmpty() ? "no effective change" : String.join("; ", out);
    }

    /** The changes that wait for a restart into {@code atStart}; a TLS listener's certificates into {@code live}. */
    private static void restartOnly(GatewayConfig before, GatewayConfig after, List<String> live, List<String> atStart) {
        listeners(before, after, live, atStart);
        atStart.addAll(changed(before, after, Map.of("admin", GatewayConfig::admin,
                "runtime", GatewayConfig::runtime, "tracing", GatewayConfig::tracing, "accessLog", GatewayConfig::accessLog)));
    }

    /**
     * Listeners are bound, and their protocols set, at start: one added, removed or changed waits
     * for a restart. A TLS listener's certificates and settings are the exception, built in the
     * reload's first phase and served to new connections ({@code ListenerCertificates}).
     */
    private static void listeners(GatewayConfig before, GatewayConfig after, List<String> live, List<String> atStart) {
        Map<String, ListenerConfig> old = byName(before.listeners(), ListenerConfig::name);
        Map<String, ListenerConfig> now = byName(after.listeners(), ListenerConfig::name);
        diff("listener", old, now, atStart, (a, b) -> {
            if (a.tls() != null && b.tls() != null && !a.tls().equals(b.tls())) {
                live.add("listener " + b.name() + " tls changed (new connections)");
            }
            if (!a.address().equals(b.address()) || !a.http2().equals(b.http2()) || (a.tls() == null) != (b.tls() == null)) {
                atStart.add("listener " + b.name());
            }
        });
    }

    /** The names of {@code sections} whose value differs, in name order. */
    private static List<String> changed(GatewayConfig before, GatewayConfig after, Map<String, Function<GatewayConfig, Object>> sections) {
        return sections.entrySet().stream().filter(e -> !Objects.equals(e.getValue().apply(before), e.getValue().apply(after)))
                .map(Map.Entry::getKey).sorted().toList();
    }

    private static ClusterConfig withoutEndpoints(ClusterConfig c) {
        return new ClusterConfig(c.name(), List.of(c.endpoints().get(0)), c.maxIdleConnectionsPerEndpoint(), c.healthCheck(),
                c.outlierDetection(), c.circuitBreaker(), c.retry(), c.panicThreshold(), c.balancer(), c.ewmaDecay(), c.tls(), c.protocol());
    }

    private static String weights(RouteConfig r) {
        StringBuilder sb = new StringBuilder();
        for (var w : r.split()) {
            sb.append(sb.length() == 0 ? "" : "/").append(w.cluster()).append(':').append(w.weight());
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }

    private static <T> Map<String, T> byName(List<T> list, Function<T, String> name) {
        Map<String, T> m = new LinkedHashMap<>();
        list.forEach(x -> m.put(name.apply(x), x));
        return m;
    }

    private static <T> void diff(String kind, Map<String, T> before, Map<String, T> after, List<String> out,
                                 BiConsumer<T, T> changed) {
        after.forEach((k, v) -> {
            T old = before.get(k);
            if (old == null) {
                out.add("+" + kind + " " + k);
            } else {
                changed.accept(old, v);
            }
        });
        before.keySet().stream().filter(k -> !after.containsKey(k)).forEach(k -> out.add("-" + kind + " " + k));
    }
}
