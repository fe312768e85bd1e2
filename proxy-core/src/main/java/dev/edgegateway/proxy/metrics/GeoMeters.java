package dev.edgegateway.proxy.metrics;

import dev.edgegateway.config.RouteGeoConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** {@code edge_geo_failovers_total}: requests a geo route sent away from the client's region, by route and regions. */
final class GeoMeters {
    private final MeterRegistry registry;
    /** route -> from -> to: looked up without building a key, since a failover can last for every request. */
    private final Map<String, Map<String, Map<String, Counter>>> failovers = new ConcurrentHashMap<>();

    GeoMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    void failover(String route, String from, String to) {
        counter(route, from, to).increment();
    }

    /**
     * Registers a geo route's failover series at zero, so the first failover is an increase an
     * alert sees: each region to its failover regions ({@code nearest}), or to every other region
     * ({@code latency}, where any region may serve).
     */
    void route(String route, RouteGeoConfig geo) {
        for (var e : geo.regions().entrySet()) {
            var targets = geo.mode() == RouteGeoConfig.Mode.LATENCY ? geo.regions().keySet() : e.getValue().failover();
            for (String to : targets) {
                if (!to.equals(e.getKey())) {
                    counter(route, e.getKey(), to);
                }
            }
        }
    }

    /** Forgets the counters of routes no longer served (their meters are removed by {@link MeterRetirement}). */
    void retain(Set<String> routes) {
        failovers.keySet().retainAll(routes);
    }

    private Counter counter(String route, String from, String to) {
        return failovers.computeIfAbsent(route, r -> new ConcurrentHashMap<>())
                .computeIfAbsent(from, f -> new ConcurrentHashMap<>())
                .computeIfAbsent(to, t -> Counter.builder("edge.geo.failovers")
                        .description("Requests a geo route sent away from the client's region, by route and regions")
                        .tags("route", route, "from", from, "to", t).register(registry));
    }
}
