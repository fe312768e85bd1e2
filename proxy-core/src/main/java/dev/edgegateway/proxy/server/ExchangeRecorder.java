package dev.edgegateway.proxy.server;

import dev.edgegateway.health.TryOutcome;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.UpstreamError;
import dev.edgegateway.proxy.metrics.RouteMetrics;
import dev.edgegateway.proxy.observe.AccessLog;
import dev.edgegateway.proxy.observe.Tracing;
import dev.edgegateway.proxy.transport.LoopClock;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/**
 * Step 7 of the request path, in one place: each try's outcome goes to its endpoint (outlier
 * detection, breaker, peak EWMA) and the cluster's counters, and each exchange, once, to the
 * route's meters, its span and the access log. Also where an exchange gets its identity (request
 * id, trace) as it begins, so even a request the guard refuses is logged with them.
 * One per client connection; confined to its event loop.
 */
final class ExchangeRecorder {
    private static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> EDGE_ROUTE = AttributeKey.stringKey("edge.route");
    private static final AttributeKey<String> EDGE_CLUSTER = AttributeKey.stringKey("edge.cluster");
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<String> EDGE_RATELIMIT = AttributeKey.stringKey("edge.ratelimit.outcome");
    private static final String TRACEPARENT = "traceparent";

    private final ServerContext server;
    private final GatewayMetrics metrics;
    private final ConnectionInfo connection;

    ExchangeRecorder(ServerContext server, ConnectionInfo connection) {
        this.server = server;
        this.metrics = server.metrics();
        this.connection = connection;
    }

    /**
     * The exchange's request id (the trusted client's, else a new one) and trace: a server span
     * when tracing is on, else just the incoming trace id for the log. Called once the guard and
     * the route table have decided (the route, or none, is what a per-route sampler counts).
     */
    void begin(Exchange x, HttpHeaders h) {
        boolean trusted = x.state.forwarding.isTrusted(connection.clientAddress);
        String incoming = trusted ? h.get(HttpRules.X_REQUEST_ID) : null;
        x.requestId = incoming != null ? incoming : HttpRules.newRequestId();
        Tracing tracing = server.tracing();
        if (tracing == null) {
            x.traceId = Tracing.incomingTraceId(h.get(TRACEPARENT));
            return;
        }
        x.traceParent = tracing.extract(h);
        String name = x.method == null ? "HTTP" : x.method;
        x.span = tracing.start(x.traceParent, name, x.route != null ? x.route.name() : "none");
        if (x.method != null) {
            x.span.setAttribute(HTTP_METHOD, x.method);
        }
        if (x.path != null) {
            x.span.setAttribute(URL_PATH, x.path);
        }
        x.traceId = x.span.getSpanContext().getTraceId();
    }

    /** A try failed before any of its response reached the client: refused, timed out, reset, invalid. */
    void tryFailed(Exchange x, UpstreamError kind) {
        metrics.upstreamError(x.cluster.name(), kind);
        long now = LoopClock.nanoTime();
        x.endpoint.record(TryOutcome.GATEWAY_FAILURE, now - x.tryStartNanos, now);
    }

    /** A try got its response head with {@code status} (101 included). */
    void tryAnswered(Exchange x, int status) {
        long now = LoopClock.nanoTime();
        x.upstreamNanos = now - x.tryStartNanos;
        // The (route, cluster) meters, set with the try's cluster (RouteStage.useCluster), carry the cluster's own.
        x.meters.clusterMeters().upstreamLatency(x.upstreamNanos);
        x.endpoint.record(status >= 500 ? TryOutcome.HTTP_5XX : TryOutcome.SUCCESS, x.upstreamNanos, now);
    }

    /** The exchange is over (its response is written, or the client left): meters, span, log line; once. */
    void record(Exchange x) {
        if (x.recorded) {
            return;
        }
        x.recorded = true;
        long elapsed = LoopClock.nanoTime() - x.startNanos;
        if (x.state.metricsEnabled) {
            RouteMetrics m = x.meters != null ? x.meters : metrics.unrouted();
            m.record(x.status, elapsed);
            m.bytes(x.bodyBytes, x.responseBytes);
        }
        if (x.rollout != null) {
            x.rollout.record(x.decision.clusterSlot(), x.status, elapsed);
        }
        if (x.span != null) {
            endSpan(x);
        }
        AccessLog log = server.accessLog();
        if (log != null && log.sampled(x.status, x.answeredLocally)) {
            log.write(accessLine(x, "request", elapsed));
        }
    }

    /** A tunnel (after a 101, recorded then) closed: its own line, timed from the upgrade request. */
    void tunnelClosed(Exchange x) {
        metrics.tunnelClosed();
        AccessLog log = server.accessLog();
        if (log != null) {
            log.write(accessLine(x, "tunnel", LoopClock.nanoTime() - x.startNanos));
        }
    }

    private static void endSpan(Exchange x) {
        Span s = x.span;
        x.span = null;
        s.setAttribute(HTTP_STATUS, x.status);
        if (x.route != null) {
            s.setAttribute(EDGE_ROUTE, x.route.name());
            s.updateName(x.method + " " + x.route.name());
        }
        if (x.cluster != null) {
            s.setAttribute(EDGE_CLUSTER, x.cluster.name());
        }
        if (x.endpoint != null) {
            s.setAttribute(SERVER_ADDRESS, x.endpoint.address().toString());
        }
        if (x.rateLimitOutcome != null) {
            s.setAttribute(EDGE_RATELIMIT, x.rateLimitOutcome);
        }
        if (x.status >= 500) {
            s.setStatus(StatusCode.ERROR);
        }
        s.end();
    }

    /** One access-log line (JSON). Built only when the line will be written. */
    private String accessLine(Exchange x, String kind, long elapsedNanos) {
        StringBuilder sb = new StringBuilder(320).append('{');
        AccessLog.field(sb, "time", server.accessLog().now());
        AccessLog.field(sb, "kind", kind);
        AccessLog.field(sb, "requestId", x.requestId);
        AccessLog.field(sb, "traceId", x.traceId);
        AccessLog.field(sb, "client", connection.clientIp);
        if (x.clientAddressText != null && !x.clientAddressText.equals(connection.clientText)) {
            AccessLog.field(sb, "forwardedFor", x.clientAddressText); // the client a trusted proxy forwards for
        }
        AccessLog.field(sb, "method", x.method);
        AccessLog.field(sb, "protocol", connection.http2 ? "HTTP/2" : x.http10 ? "HTTP/1.0" : "HTTP/1.1");
        if (connection.tls) {
            AccessLog.field(sb, "tls", connection.tlsVersion);
            AccessLog.field(sb, "cipher", connection.cipher);
            AccessLog.field(sb, "sni", connection.sni);
        }
        AccessLog.field(sb, "host", x.host);
        AccessLog.field(sb, "path", x.path);
        AccessLog.field(sb, "status", x.status);
        AccessLog.field(sb, "bytesIn", x.bodyBytes);
        AccessLog.field(sb, "bytesOut", x.responseBytes);
        AccessLog.field(sb, "durationMicros", elapsedNanos / 1000);
        AccessLog.field(sb, "upstreamMicros", x.upstreamNanos / 1000);
        AccessLog.field(sb, "route", x.route == null ? null : x.route.name());
        AccessLog.field(sb, "cluster", x.cluster == null ? null : x.cluster.name());
        AccessLog.field(sb, "endpoint", x.endpoint == null ? null : x.endpoint.address().toString());
        AccessLog.field(sb, "rateLimit", x.rateLimitOutcome);
        if (x.answeredLocally && x.rejected != null) {
            AccessLog.field(sb, "rejected", x.rejected);
        }
        return sb.append('}').toString();
    }
}
