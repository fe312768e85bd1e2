package dev.edgegateway.proxy.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which meters a reload retires: by their tags, since every per-feature meter is tagged with the
 * config names it belongs to. A meter tagged with a {@code route} the config no longer has, a
 * ({@code route}, {@code cluster}) pair no route of it sends to, a {@code cluster} it no longer
 * has, or a {@code route}/{@code policy} it no longer limits with, goes. {@code none} (requests
 * refused before routing, or before a cluster was chosen) is always kept, as are meters with none
 * of these tags (process, listeners, the gateway as a whole).
 */
final class MeterRetirement {
    private MeterRetirement() {}

    static int retain(MeterRegistry registry, Set<String> routes, Set<String> routeClusters, Set<String> clusters, Set<String> policies) {
        List<Meter> gone = new ArrayList<>();
        for (Meter m : registry.getMeters()) {
            Meter.Id id = m.getId();
            String route = id.getTag("route");
            String cluster = id.getTag("cluster");
            String policy = id.getTag("policy");
            boolean stale = (route != null && !route.equals("none") && !routes.contains(route))
                    || (route != null && cluster != null && !cluster.equals("none") && !route.equals("none") && !routeClusters.contains(route + "\0" + cluster))
                    || (route == null && cluster != null && !cluster.equals("none") && !clusters.contains(cluster))
                    || (route != null && policy != null && !policies.contains(route + "/" + policy));
            if (stale) {
                gone.add(m);
            }
        }
        gone.forEach(registry::remove);
        return gone.size();
    }
}
