package dev.edgegateway.proxy.admin;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.proxy.observe.Json;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.routing.Cluster;
import java.util.Collection;
import java.util.Locale;

/**
 * {@code GET /clusters}: every cluster's limits in use and every endpoint's health, ejection (and
 * time left), breaker, requests in flight and latency EWMA, as JSON. Addresses only: no secrets.
 */
final class ClustersReport {
    private ClustersReport() {}

    static String json(Collection<Cluster> clusters, long now) {
        StringBuilder sb = new StringBuilder("{\"clusters\":[");
        boolean firstCluster = true;
        for (Cluster c : clusters) {
            ClusterHealth h = c.health();
            var cb = c.config().circuitBreaker();
            sb.append(firstCluster ? "" : ",").append("\n {\"name\":").append(quote(c.name()))
                    .append(",\"requests\":").append(h.activeRequests()).append(",\"maxRequests\":").append(cb.maxRequests())
                    .append(",\"pendingRequests\":").append(h.pendingRequests()).append(",\"maxPendingRequests\":").append(cb.maxPendingRequests())
                    .append(",\"connections\":").append(h.connections()).append(",\"maxConnections\":").append(cb.maxConnections())
                    .append(",\"activeRetries\":").append(h.activeRetries())
                    .append(",\"healthChecked\":").append(c.config().healthCheck() != null)
                    .append(",\"endpoints\":[");
            boolean firstEndpoint = true;
            for (Endpoint e : c.endpoints()) {
                long ejectedFor = e.ejectedForNanos(now);
                sb.append(firstEndpoint ? "" : ",").append("\n  {\"address\":").append(quote(e.address().toString()))
                        .append(",\"health\":").append(quote(e.health().name().toLowerCase(Locale.ROOT)))
                        .append(",\"available\":").append(e.isAvailable(now))
                        .append(",\"ejected\":").append(ejectedFor > 0)
                        .append(",\"ejectedForMillis\":").append(ejectedFor / 1_000_000)
                        .append(",\"ejections\":").append(e.ejections())
                        .append(",\"breaker\":").append(quote(e.breaker().name().toLowerCase(Locale.ROOT)))
                        .append(",\"inFlight\":").append(e.inFlight())
                        .append(",\"ewmaLatencyMillis\":").append(String.format(Locale.ROOT, "%.3f", e.ewmaLatencyMillis()))
                        .append('}');
                firstEndpoint = false;
            }
            sb.append("]}");
            firstCluster = false;
        }
        return sb.append("\n]}\n").toString();
    }

    static String quote(String s) {
        return Json.quote(s);
    }
}
