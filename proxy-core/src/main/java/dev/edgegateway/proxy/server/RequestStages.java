package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.ratelimit.Verdict;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs a new exchange through the stages of the request path up to its first try:
 * {@link Guard}, {@link RouteStage#route}, identity and trace ({@link ExchangeRecorder#begin}:
 * after routing, so a per-route sampler knows the route), {@link LimitStage} (which may wait for Redis and resume here), {@link RouteStage#pick},
 * {@link ForwardingHeaders}, then {@link UpstreamAttempt#start}. A stage that refuses answers
 * through the {@link Downstream}. The same runner serves any client side that turns heads into
 * exchanges. One per client connection; confined to its event loop.
 */
final class RequestStages {
    private final ServerContext server;
    private final GatewayMetrics metrics;
    private final ConnectionInfo connection;
    private final Downstream down;
    private final RoutingView view;
    private final ExchangeRecorder recorder;
    private final UpstreamAttempt upstream;
    private final ScheduledExecutorService loop;
    private final ByteBufAllocator alloc;
    private final Runnable onLimitDecided = this::limitDecided;
    /** What a policy that answers at once writes, read back within the limit stage's call (LimitStage). */
    private final Verdict verdict = new Verdict();
    /** The exchange waiting for a rate-limit decision, or null. */
    private Exchange limiting;

    RequestStages(ServerContext server, ConnectionInfo connection, Downstream down, RoutingView view, ExchangeRecorder recorder,
                  UpstreamAttempt upstream, ScheduledExecutorService loop, ByteBufAllocator alloc) {
        this.server = server;
        this.metrics = server.metrics();
        this.connection = connection;
        this.down = down;
        this.view = view;
        this.recorder = recorder;
        this.upstream = upstream;
        this.loop = loop;
        this.alloc = alloc;
    }

    /** The head of {@code x}'s request arrived: guard, route, limits, pick, first try. */
    void begin(Exchange x, HttpRequest req) {
        Refusal refused = Guard.check(x, req, x.state.maxRequestBodyBytes);
        if (refused == null) {
            refused = RouteStage.route(x, view);
        }
        if (refused == null && x.state.rateLimits(x.route).policies().length > 0) {
            refused = LimitStage.ambiguousKey(x, req.headers());
        }
        recorder.begin(x, req.headers());
        if (refused != null) {
            if (refused.reason() != null) {
                metrics.rejected(refused.reason());
            }
            down.answer(x, refused);
            return;
        }
        RouteExtras extras = x.state.extras(x.route);
        if (extras.direct != null) {
            down.answer(x, extras.direct.response(x, extras.response));
            return;
        }
        if (x.state.rateLimits(x.route).policies().length > 0) {
            limited(x, LimitStage.run(x, view, loop, onLimitDecided, verdict));
        } else {
            proceed(x);
        }
    }

    /**
     * A part of the request body while it streams (ownership passes): counted against
     * {@code limits.maxRequestBodyBytes} (413 before the response starts, else the end of the
     * exchange), then to the origin.
     */
    void body(Exchange x, HttpContent part) {
        if (part.decoderResult().isFailure()) {
            // A chunked body that broke its framing: the decoder's failed end is not an end. The
            // origin connection goes (the origin sees the body cut short, never a clean last chunk).
            refuseBody(x, part, Refusal.of(400, Rejection.BAD_REQUEST, "malformed request body", true));
            return;
        }
        x.bodyBytes += part.content().readableBytes();
        long max = x.state.maxRequestBodyBytes;
        if (max > 0 && x.bodyBytes > max) {
            refuseBody(x, part, Refusal.of(413, Rejection.BODY_TOO_LARGE, "request body larger than " + max + " bytes", true));
            return;
        }
        upstream.sendBody(part);
    }

    private void refuseBody(Exchange x, HttpContent part, Refusal r) {
        part.release();
        metrics.rejected(r.reason());
        if (x.responseStarted) {
            upstream.dropUpstream();
            down.abort();
        } else {
            down.answer(x, r);
        }
    }

    /** The client left: a rate-limit decision still on its way finds nothing to resume. */
    void abandon(Exchange x) {
        if (limiting == x) {
            limiting = null;
        }
    }

    private void limitDecided() {
        Exchange x = limiting;
        limiting = null;
        if (x != null && x.phase == Exchange.Phase.LIMITING) {
            limited(x, LimitStage.resume(x, view, loop, onLimitDecided, verdict));
        }
    }

    private void limited(Exchange x, LimitStage.Result result) {
        switch (result) {
            case ADMITTED -> proceed(x);
            case REFUSED -> {
                x.rejected = "rate_limited";
                down.answer(x, LocalResponses.rateLimited(x.refusedBy.name(), x.retryAfterSeconds, x.refusedBy.policyHeader(), alloc));
            }
            case PENDING -> limiting = x;
        }
    }

    private void proceed(Exchange x) {
        Refusal refused = RouteStage.pick(x, view, metrics);
        if (refused != null) {
            down.answer(x, refused);
            return;
        }
        ForwardingHeaders.apply(x, connection, server.tracing());
        upstream.start(x);
    }
}
