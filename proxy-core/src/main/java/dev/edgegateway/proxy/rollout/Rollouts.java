package dev.edgegateway.proxy.rollout;

import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.RolloutConfig;
import dev.edgegateway.config.RouteConfig;
import dev.edgegateway.routing.Route;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The gateway's rollouts, one per route with a {@code rollout} block, driven by one thread of
 * their own (never an event loop): each ticks twice a second, and with none the thread sleeps
 * (no tick wakes it, so a gateway without rollouts spends nothing on them). A rollout is identified by its route,
 * its block and its split's clusters: a reload that leaves those alone keeps it running (it is
 * re-bound to the new route's weights before the new config serves), one that changes them begins
 * it again, explicitly, at its first step. Rollouts that coordinate through Redis share one
 * connection, made when the first needs it. Thread-safe.
 */
public final class Rollouts implements AutoCloseable {
    /** What {@link #act} takes, as {@code POST /rollouts/{route}/{action}}. */
    public static final List<String> ACTIONS = List.of("pause", "resume", "promote", "abort", "restart");
    static final long TICK_MILLIS = 500;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "edge-rollouts");
        t.setDaemon(true);
        return t;
    });
    private final RolloutMeters meters;
    private final LocalRolloutStore local = new LocalRolloutStore(System::currentTimeMillis);
    /** Replaced whole by {@link #bind} on the rollouts' thread; read from any. */
    private volatile Map<String, Rollout> byRoute = Map.of();
    /** Confined to {@link #thread}. */
    private RedisRolloutStore redis;
    /** The rollouts' tick, scheduled while there is one; confined to {@link #thread}. */
    private ScheduledFuture<?> ticks;

    public Rollouts(MeterRegistry registry) {
        this.meters = new RolloutMeters(registry);
    }

    /**
     * Follows a committed config, before it serves: rollouts it keeps are bound to its routes'
     * weights, new ones start, removed ones stop. Returns each route's window (by route index; null
     * for a route without a rollout), where its exchanges are counted.
     */
    public RolloutWindow[] bind(GatewayConfig config, List<Route> routes) {
        return onThread(() -> {
            RedisRolloutStore oldRedis = redis;
            boolean needsRedis = config.routes().stream()
                    .anyMatch(rc -> rc.rollout() != null && rc.rollout().coordination() == RolloutConfig.Coordination.REDIS);
            if (!needsRedis) {
                redis = null;
            } else if (redis == null || !redis.config().equals(config.redis())) {
                redis = new RedisRolloutStore(config.redis());
            }
            RolloutWindow[] windows = new RolloutWindow[routes.size()];
            Map<String, Rollout> next = new LinkedHashMap<>();
            for (Route route : routes) {
                RouteConfig rc = config.routes().get(route.index());
                if (rc.rollout() == null || route.splitWeights() == null) {
                    continue;
                }
                String id = id(rc);
                RolloutStore store = rc.rollout().coordination() == RolloutConfig.Coordination.LOCAL ? local : redis;
                Rollout r = byRoute.get(rc.name());
                if (r == null || !r.id.equals(id) || r.store != store) {
                    r = start(rc, route, id, store);
                }
                r.bind(route.splitWeights());
                next.put(rc.name(), r);
                windows[route.index()] = r.window();
            }
            byRoute.keySet().stream().filter(name -> !next.containsKey(name)).forEach(meters::remove);
            byRoute = Map.copyOf(next);
            if (next.isEmpty() != (ticks == null)) { // the first rollout starts the tick, the last one gone stops it
                ticks = next.isEmpty() ? cancel(ticks) : thread.scheduleWithFixedDelay(
                        () -> byRoute.values().forEach(Rollout::tick), TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
            }
            if (oldRedis != null && oldRedis != redis) {
                oldRedis.close();
            }
            return windows;
        });
    }

    private static ScheduledFuture<?> cancel(ScheduledFuture<?> f) {
        f.cancel(false);
        return null;
    }

    /** Whether the rollouts' tick is scheduled (there is a rollout to drive). */
    boolean ticking() {
        return onThread(() -> ticks != null);
    }

    private Rollout start(RouteConfig rc, Route route, String id, RolloutStore store) {
        String canary = rc.rolloutCanary();
        int canarySlot = route.clusters().get(0).name().equals(canary) ? 0 : 1;
        String stable = route.clusters().get(1 - canarySlot).name();
        return new Rollout(rc.name(), id, rc.rollout(), canary, stable, canarySlot, store, thread, meters);
    }

    /** A rollout's identity: its route, its block and its split's clusters (not their weights, which it sets). */
    static String id(RouteConfig rc) {
        String text = rc.name() + "\n" + rc.rollout() + "\n" + rc.rolloutCanary() + "\n" + rc.split().stream().map(w -> w.cluster()).toList();
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code GET /rollouts}: every rollout's state, gates and history. */
    public String json() {
        StringBuilder sb = new StringBuilder("{\"rollouts\":[");
        boolean first = true;
        for (Rollout r : byRoute.values()) {
            sb.append(first ? "\n " : ",\n ").append(r.json());
            first = false;
        }
        return sb.append("\n]}\n").toString();
    }

    /** The route's rollout as {@code /rollouts} shows it, or null when it has none. */
    public String json(String route) {
        Rollout r = byRoute.get(route);
        return r == null ? null : r.json();
    }

    /**
     * An operator's action on a route's rollout: {@code pause}, {@code resume}, {@code promote},
     * {@code abort} or {@code restart}. Fails with {@link IllegalArgumentException} when there is no
     * such rollout or action, and {@link IllegalStateException} when the state does not allow it.
     */
    public CompletableFuture<String> act(String route, String action) {
        if (!ACTIONS.contains(action)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("unknown action '" + action
                    + "'; one of " + String.join(", ", ACTIONS)));
        }
        return CompletableFuture.supplyAsync(() -> byRoute.get(route), thread).thenCompose(r -> r == null
                ? CompletableFuture.failedFuture(new IllegalArgumentException("route '" + route + "' has no rollout"))
                : r.act(action));
    }

    private <T> T onThread(Callable<T> work) {
        try {
            return thread.submit(work).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the rollouts' thread did not answer", e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        if (redis != null) {
            redis.close();
        }
    }
}
