package dev.edgegateway.proxy.server;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.RetryPolicy;
import dev.edgegateway.health.RetryPolicy.Failure;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.transport.LoopClock;
import dev.edgegateway.routing.Cluster;
import dev.edgegateway.routing.TriedEndpoints;
import io.netty.handler.codec.http.HttpMethod;

/**
 * Whether a failed try goes again, and where. The rules:
 * <ul>
 *   <li>Never once any of the response reached the client, and only for failures the cluster's
 *       {@code retry.retryOn} names.</li>
 *   <li>A connect failure (refused, timed out, TLS handshake failed) sent nothing upstream: it
 *       goes again whatever the method or body (none of the body was read yet), without using
 *       the retry budget or {@code maxRetries} (a refused connect costs the origin nothing), to
 *       each other endpoint at most once, and only within {@code timeouts.responseHeader} of the
 *       request's start. On a geo route it goes to the next region of the client's failover
 *       order, at once, rather than wait seconds for health checks to see the region die.</li>
 *   <li>Any other failure (reset, timeout, a status in {@code retryOn}) needs the request to be
 *       sent again whole: a body within the retry buffer, an idempotent method unless
 *       {@code nonIdempotent}, a try left under {@code maxRetries}, and a retry-budget slot.</li>
 *   <li>Where: on a route sticky by consistent hash, the key's next owner on the ring (where the
 *       key lives once the failed endpoint is ejected); else the balancer's choice avoiding the
 *       failed endpoint.</li>
 * </ul>
 * Stateless; the exchange counts its tries.
 */
final class RetryController {
    private static final int MAX_CONNECT_RETRIES = 10;

    private RetryController() {}

    /**
     * Decides for the exchange whose try on {@code x.endpoint} just failed (the endpoint is no
     * longer counted busy). True: {@code x.endpoint} (and, on a region failover, {@code x.cluster})
     * name the next try, which the caller starts.
     */
    static boolean next(Exchange x, Failure failure, int status, RoutingView view, GatewayMetrics metrics) {
        RetryPolicy policy = x.retryPolicy;
        if (x.responseStarted || !policy.retries(failure, status)) {
            return false;
        }
        boolean connect = failure == Failure.CONNECT_FAILURE;
        if (connect ? !mayRetryConnect(x) : !mayResend(x, metrics)) {
            return false;
        }
        if (x.tried == null) {
            x.tried = new TriedEndpoints(x.endpoint);
        } else {
            x.tried.add(x.endpoint);
        }
        Endpoint next = null;
        if (connect) {
            Cluster other = x.route.failover(x.decision);
            if (other != null && other != x.cluster) {
                metrics.geoFailover(x.route.name(), x.decision.clientRegion(), x.decision.servedRegion());
                if (RouteStage.useCluster(x, other, metrics) != null) {
                    return false; // the next region's cluster is at its request limit
                }
                next = x.route.pickEndpoint(other, view, x.decision);
            }
        }
        if (next == null) {
            next = x.route.retryEndpoint(x.cluster, view, x.decision, x.tried);
        }
        if (next == null || (connect && x.tried.contains(next))) {
            return false; // a connect failure goes to each endpoint once
        }
        if (connect) {
            x.connectRetries++;
        } else {
            x.retries++;
        }
        metrics.retried(x.cluster.name());
        x.endpoint = next;
        return true;
    }

    private static boolean mayRetryConnect(Exchange x) {
        if (LoopClock.nanoTime() - x.startNanos >= x.state.responseHeaderTimeoutNanos) {
            return false;
        }
        int endpoints = 0;
        for (Cluster c : x.route.clusters()) {
            endpoints += c.endpoints().size();
        }
        return x.connectRetries < Math.min(MAX_CONNECT_RETRIES, endpoints - 1);
    }

    private static boolean mayResend(Exchange x, GatewayMetrics metrics) {
        if (x.retries >= x.retryPolicy.maxRetries() || !replayable(x)) {
            return false;
        }
        if (!x.retryPolicy.nonIdempotent() && !idempotent(x.request.method())) {
            return false;
        }
        if (!x.retryBudgetHeld) {
            if (!x.cluster.health().tryStartRetry()) {
                metrics.retryBudgetExhausted(x.cluster.name());
                return false;
            }
            x.retryBudgetHeld = true;
        }
        return true;
    }

    /** The request can be sent again whole: no body, or all of it read so far is in the retry buffer. */
    static boolean replayable(Exchange x) {
        return !x.hasBody || (x.body != null && x.body.intact());
    }

    private static boolean idempotent(HttpMethod m) {
        return HttpMethod.GET.equals(m) || HttpMethod.HEAD.equals(m) || HttpMethod.OPTIONS.equals(m)
                || HttpMethod.PUT.equals(m) || HttpMethod.DELETE.equals(m) || HttpMethod.TRACE.equals(m);
    }
}
