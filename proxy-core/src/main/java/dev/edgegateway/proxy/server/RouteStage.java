package dev.edgegateway.proxy.server;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.routing.Cluster;
import dev.edgegateway.routing.RouteDecision;
import java.util.Locale;

/**
 * Steps 3 and 5 of the request path: the route (host, then the first route whose conditions
 * hold, in the snapshot's compiled table), and after the limits the pick: split, region and
 * endpoint, with the cluster's request slot taken (its breaker's {@code maxRequests}).
 * Stateless; the exchange holds what was decided.
 */
final class RouteStage {
    private RouteStage() {}

    /** Matches the exchange's route; a 404 when none matches (never an open proxy). */
    static Refusal route(Exchange x, RoutingView view) {
        view.reset(x.request, x.state.forwarding);
        if (view.fromTrustedProxy()) {
            x.clientAddressText = view.clientAddressText(); // the client it forwards for, for the access log too
        }
        x.route = x.state.routes().match(x.host, view);
        if (x.route == null) {
            return Refusal.of(404, Rejection.NO_ROUTE, "no route", x.hasBody);
        }
        x.meters = x.state.metricsBeforeCluster(x.route);
        RouteExtras extras = x.state.extras(x.route);
        x.compression = extras.compression;
        x.mirror = extras.mirror != null && extras.mirror.chosen();
        if (extras.needsClient) {
            x.clientAddressText = view.clientAddressText();
            x.clientRegion = x.state.routes().clientRegion(view);
        }
        return null;
    }

    /** Chooses the cluster and the endpoint of the first try; a 503 when a limit or health refuses. */
    static Refusal pick(Exchange x, RoutingView view, GatewayMetrics metrics) {
        RouteDecision d = x.decision;
        Cluster cluster = x.route.selectCluster(view, d);
        if (d.failedOver()) {
            metrics.geoFailover(x.route.name(), d.clientRegion(), d.servedRegion());
        }
        Refusal refused = useCluster(x, cluster, metrics);
        if (refused != null) {
            return refused;
        }
        x.endpoint = x.route.pickEndpoint(cluster, view, d);
        if (d.sticky() != RouteDecision.StickyOutcome.NONE) {
            x.meters.sticky(d.sticky() == RouteDecision.StickyOutcome.HIT);
        }
        if (x.endpoint == null) {
            return Refusal.of(503, "no_endpoint", "no healthy endpoint in cluster " + cluster.name());
        }
        return null;
    }

    /**
     * Moves the exchange to {@code cluster} (its first pick, or a region failover): its meters and
     * retry policy, and its request slot, giving back the one of the cluster it leaves.
     */
    static Refusal useCluster(Exchange x, Cluster cluster, GatewayMetrics metrics) {
        if (x.clusterRequestHeld) {
            x.clusterRequestHeld = false;
            x.cluster.health().requestFinished();
        }
        if (x.retryBudgetHeld) {
            x.retryBudgetHeld = false;
            x.cluster.health().retryFinished();
        }
        x.cluster = cluster;
        x.meters = x.state.metrics(x.route, x.decision.clusterSlot());
        x.rollout = x.state.rolloutWindow(x.route);
        x.retryPolicy = x.state.retryPolicy(cluster);
        if (!cluster.health().tryStartRequest()) {
            return limit(x, ClusterHealth.Limit.MAX_REQUESTS, metrics);
        }
        x.clusterRequestHeld = true;
        return null;
    }

    /** A cluster limit was reached: 503 at once, naming the limit, without touching an origin. */
    static Refusal limit(Exchange x, ClusterHealth.Limit limit, GatewayMetrics metrics) {
        metrics.breakerRejected(x.cluster.name(), limit);
        String name = limit.name().toLowerCase(Locale.ROOT);
        return Refusal.of(503, name, "cluster " + x.cluster.name() + " is at its " + name + " limit");
    }

    /** Gives back what the exchange holds of its cluster's limits and budget; safe to call twice. */
    static void releaseSlots(Exchange x) {
        if (x.clusterRequestHeld) {
            x.clusterRequestHeld = false;
            x.cluster.health().requestFinished();
        }
        releasePending(x);
        if (x.retryBudgetHeld) {
            x.retryBudgetHeld = false;
            x.cluster.health().retryFinished();
        }
    }

    static void releasePending(Exchange x) {
        if (x.pendingHeld) {
            x.pendingHeld = false;
            x.cluster.health().pendingFinished();
        }
    }
}
