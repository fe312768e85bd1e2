package dev.edgegateway.proxy.rollout;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The rollouts' meters, per route: {@code edge_rollout_step} (1-based; 0 once rolled back or
 * aborted), {@code edge_rollout_canary_percent}, {@code edge_rollout_paused} (1 while its Redis is
 * unreachable) and {@code edge_rollout_transitions_total{route,to}}, each as this gateway applies
 * it. A route's meters go when its rollout does. Thread-safe.
 */
final class RolloutMeters {
    private final MeterRegistry registry;
    private final Map<String, AtomicInteger[]> gauges = new ConcurrentHashMap<>();

    RolloutMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    private AtomicInteger[] of(String route) {
        return gauges.computeIfAbsent(route, r -> {
            AtomicInteger[] g = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
            Gauge.builder("edge.rollout.step", g[0], AtomicInteger::get).description("The rollout's step served now (1-based); 0 once rolled back or aborted")
                    .tag("route", r).strongReference(true).register(registry);
            Gauge.builder("edge.rollout.canary.percent", g[1], AtomicInteger::get).description("The canary's share of the route served now, percent")
                    .tag("route", r).strongReference(true).register(registry);
            Gauge.builder("edge.rollout.paused", g[2], AtomicInteger::get)
                    .description("1 while the rollout is paused because its Redis is unreachable")
                    .tag("route", r).strongReference(true).register(registry);
            return g;
        });
    }

    void serving(String route, int step, int percent) {
        AtomicInteger[] g = of(route);
        g[0].set(step);
        g[1].set(percent);
    }

    void paused(String route, boolean paused) {
        of(route)[2].set(paused ? 1 : 0);
    }

    void transition(String route, String to) {
        Counter.builder("edge.rollout.transitions").description("Rollout changes this gateway applied, by what they changed to")
                .tags("route", route, "to", to).register(registry).increment();
    }

    /** Removes a route's rollout meters (its rollout left the config). */
    void remove(String route) {
        if (gauges.remove(route) == null) {
            return;
        }
        for (Meter m : registry.getMeters()) {
            if (m.getId().getName().startsWith("edge.rollout.") && route.equals(m.getId().getTag("route"))) {
                registry.remove(m);
            }
        }
    }
}
