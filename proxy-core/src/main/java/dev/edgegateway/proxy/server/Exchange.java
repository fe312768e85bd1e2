package dev.edgegateway.proxy.server;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.RetryPolicy;
import dev.edgegateway.proxy.metrics.RouteMetrics;
import dev.edgegateway.proxy.rollout.RolloutWindow;
import dev.edgegateway.ratelimit.Policy;
import dev.edgegateway.ratelimit.Verdict;
import dev.edgegateway.routing.Cluster;
import dev.edgegateway.routing.Route;
import dev.edgegateway.routing.RouteDecision;
import dev.edgegateway.routing.TriedEndpoints;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;

/**
 * One request, from its head to its record (DESIGN.md, "The exchange"): what it has decided so
 * far (route, cluster, endpoint, verdicts), its timers and tries, and what the recorder writes.
 * Made when the head arrives and dropped once recorded, so nothing is carried from one request
 * to the next by forgetting to reset it. The stages read and write its fields directly; it is
 * confined to the client connection's event loop.
 */
final class Exchange {
    /** Where the exchange is; what an event arriving now means depends on it. */
    enum Phase {
        /** Guard, route, and (when its limiter answers at once) limits: synchronous, from the head. */
        HEAD,
        /** Waiting for a rate-limit decision from Redis. The client is not read. */
        LIMITING,
        /** Waiting for an origin connection. The client is not read. */
        CONNECTING,
        /** Relaying the request body and/or the response. */
        STREAMING,
        /** The gateway answered; reading and dropping the rest of the request body. */
        SKIPPING
    }

    final CompiledConfig state;
    final long startNanos;
    final RouteDecision decision = new RouteDecision();
    Phase phase = Phase.HEAD;

    // The request, as the guard read it.
    HttpRequest request;
    /**
     * The client's address and region, resolved when the route is matched, only for header rules
     * that name them; the address also when the peer is a trusted proxy (the access log's {@code forwardedFor}).
     */
    String clientAddressText;
    String clientRegion;
    /** The route's own answer, header rules and compression; none before a route is matched. */
    RouteExtras extras() {
        return state == null || route == null ? RouteExtras.NONE : state.extras(route);
    }

    /** Whether this request is one of the share its route mirrors; cleared once the copy is sent. */
    boolean mirror;

    /** The route's compression, set when the route is matched; null: never. */
    dev.edgegateway.config.CompressionConfig compression;
    String method;
    /** The request is a HEAD: its answer has no content (RFC 9110 9.3.2), though its head is a GET's. */
    boolean head() {
        return "HEAD".equals(method);
    }

    String host;
    String path;
    boolean http10;
    boolean clientKeepAlive;
    boolean hasBody;
    boolean expectContinue;
    boolean complete;
    long bodyBytes;
    /** Upgrade protocol named by the request (WebSocket), or null. */
    String upgrade;

    // What it decided.
    Route route;
    Cluster cluster;
    RetryPolicy retryPolicy;
    RouteMetrics meters;
    /** Where this exchange is counted for its route's rollout; null when the route has none. */
    RolloutWindow rollout;
    Endpoint endpoint;
    /** The endpoint that counts this exchange in flight now (from the moment its connect starts), or null. */
    Endpoint busyEndpoint;
    boolean clusterRequestHeld;
    boolean pendingHeld;
    boolean retryBudgetHeld;

    // Rate limits.
    int nextPolicy;
    /** Made by the limit stage for a policy that may answer later (Redis); one that answers at once writes the connection's. */
    Verdict verdict;
    String rateLimitOutcome;
    String rateLimitPolicy;
    String rateLimitHeader;
    /** The policy that refused the request, and the seconds its 429 says to wait. */
    Policy refusedBy;
    long retryAfterSeconds;

    // Tries.
    int retries;
    int connectRetries;
    /** The endpoints tried so far, once the exchange retries (null before). */
    TriedEndpoints tried;
    boolean staleRetried;
    long tryStartNanos;
    long responseDeadlineNanos;
    boolean responseDeadlineSet;
    /** A copy of the request body for retries (null without a body; not {@code intact()} once it outgrew its limit). */
    RequestBodyBuffer body;

    // The response.
    int status;
    boolean responseStarted;
    boolean interim;
    /** The 1xx being passed over is one the client must not see (the origin's own 100 Continue). */
    boolean interimDropped;
    boolean continued;
    boolean tunnelPending;
    boolean upstreamReusable;
    boolean closeAfterResponse;
    long responseBytes;
    long upstreamNanos;

    // Observability.
    Span span;
    Context traceParent;
    String traceId;
    CharSequence requestId;
    /** The gateway answered by itself; {@code rejected} is the reason it names, or null. */
    boolean answeredLocally;
    String rejected;
    boolean recorded;

    Exchange(CompiledConfig state, long startNanos, boolean closeAfterResponse) {
        this.state = state;
        this.startNanos = startNanos;
        this.closeAfterResponse = closeAfterResponse;
    }
}
