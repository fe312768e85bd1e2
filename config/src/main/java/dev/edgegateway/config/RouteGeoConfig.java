package dev.edgegateway.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route that sends each client to its own region's cluster while that cluster has at least
 * {@code minHealthyPercent} of its endpoints available, else along the region's failover list.
 * The client's region comes from the top-level {@code geo} section.
 *
 * @param regions region name to its cluster and ordered failover regions
 * @param mode {@code nearest}: the client's region, then its failover list in order;
 *     {@code latency}: among those with enough healthy endpoints, the lowest observed latency
 */
public record RouteGeoConfig(Map<String, Region> regions, Integer minHealthyPercent, Mode mode) {
    public enum Mode { NEAREST, LATENCY }

    /** One region's cluster and, in order, where its clients go when it cannot serve. */
    public record Region(String cluster, List<String> failover) {
        public Region {
            failover = failover == null ? List.of() : List.copyOf(failover);
            ConfigViolation.collector().require(cluster, "cluster").throwIfAny();
        }
    }

    public RouteGeoConfig {
        regions = regions == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(regions));
        minHealthyPercent = minHealthyPercent == null ? 50 : minHealthyPercent;
        mode = mode == null ? Mode.NEAREST : mode;
        var v = ConfigViolation.collector()
                .check(!regions.isEmpty(), "regions", "at least one region is required")
                .check(minHealthyPercent >= 1 && minHealthyPercent <= 100, "minHealthyPercent", "must be 1 to 100");
        for (var e : regions.entrySet()) {
            for (int i = 0; i < e.getValue().failover().size(); i++) {
                String f = e.getValue().failover().get(i);
                v.check(regions.containsKey(f), "regions." + e.getKey() + ".failover[" + i + "]",
                        "unknown region '" + f + "'" + Suggestions.didYouMean(f, regions.keySet()) + " (defined: " + String.join(", ", regions.keySet()) + ")");
            }
        }
        v.throwIfAny();
    }
}
