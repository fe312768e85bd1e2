package dev.edgegateway.proxy.server;

import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.Outcome;
import dev.edgegateway.health.RetryPolicy;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.proxy.metrics.GatewayMetrics.RouteMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.UpstreamError;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import dev.edgegateway.proxy.upstream.UpstreamListener;
import dev.edgegateway.proxy.transport.IdleTimer;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import dev.edgegateway.proxy.tls.UpstreamTls;
import dev.edgegateway.routing.Cluster;
import dev.edgegateway.routing.Route;
import dev.edgegateway.proxy.observe.AccessLog;
import dev.edgegateway.proxy.observe.Tracing;
import dev.edgegateway.ratelimit.Policy;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import dev.edgegateway.ratelimit.Verdict;
import dev.edgegateway.routing.Keys;
import dev.edgegateway.routing.RouteDecision;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection's request path: guard, route, pick, relay, record (DESIGN.md). Handles one
 * exchange at a time; a pipelined request waits in the {@link io.netty.handler.flow.FlowControlHandler}
 * before this handler until the current response is done.
 *
 * <p>Reading is explicit (auto-read is off on both sides): the client is read only while the
 * origin connection can take more, and the origin only while the client can take more, so a body
 * of any size streams through with at most a socket buffer or two in memory. Origin connections
 * come from the pool of this connection's own event loop: everything here runs on one thread.
 *
 * <p>Ownership: a request or response part is either written on (the write owns it) or released
 * here; nothing is retained.
 */
final class ProxyHandler extends ChannelDuplexHandler implements UpstreamListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    private static final long DRAIN_IDLE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private enum State {
        /** Waiting for a request. */
        IDLE,
        /** Request headers read; waiting for an origin connection. The client is not read. */
        CONNECTING,
        /** Relaying the request body and/or the response. */
        STREAMING,
        /** The gateway answered; consuming the (empty) end of the request before the next one. */
        SKIPPING,
        /** Waiting for a rate-limit decision from Redis. The client is not read. */
        LIMITING,
        /** Upgraded (WebSocket): bytes relayed both ways until either side closes. */
        TUNNEL,
        /** The connection is closing; everything that still arrives is dropped. */
        CLOSING
    }

    private final ServerContext server;
    private final GatewayMetrics metrics;
    /** Null on an HTTP/2 stream: its headers arrive as one frame, and the connection has its own limits. */
    private final RequestHeaderTimer headerTimer;
    private final ConnectionInfo connection;
    /** An HTTP/2 stream (one exchange, then the stream ends) rather than an HTTP/1.x connection. */
    private final boolean stream;
    private boolean activated;
    private final io.netty.util.concurrent.GenericFutureListener<io.netty.util.concurrent.Future<UpstreamConnection>> onConnected = this::connected;
    private final Runnable onResponseTimeout = this::responseTimedOut;

    private ChannelHandlerContext ctx;
    private UpstreamPool pool;
    private RoutingView view;
    private final RouteDecision decision = new RouteDecision();

    // The current exchange.
    private State state = State.IDLE;
    private GatewayState snapshot;
    private HttpRequest request;
    private Route route;
    private Cluster cluster;
    private RetryPolicy retryPolicy;
    private RouteMetrics routeMetrics;
    private Endpoint endpoint;
    private boolean endpointBusy;
    private UpstreamConnection upstream;
    private io.netty.util.concurrent.Future<UpstreamConnection> pendingConnect;
    private ScheduledFuture<?> responseTimeout;
    private long startNanos;
    private int status;
    private boolean clientKeepAlive;
    private boolean http10;
    private boolean requestHasBody;
    private boolean requestComplete;
    private long requestBodyBytes;
    private boolean responseStarted;
    private boolean interimResponse;
    private boolean upstreamReusable;
    private boolean closeAfterResponse;
    private boolean staleRetried;
    /** When the request must have its response headers, all tries together; set by its first try. */
    private long responseDeadlineNanos;
    private boolean responseDeadlineSet;
    private int retries;
    private long attemptStartNanos;
    private boolean clusterRequestHeld;
    private boolean pendingHeld;
    private boolean retryBudgetHeld;
    private boolean waitingUpstreamWritable;
    private boolean waitingDownstreamWritable;
    private boolean readPending;
    private String rejectedBy;
    // Observability of the current exchange.
    private Span span;
    private Context traceParent;
    private String traceId;
    private String methodName;
    private String requestHost;
    private String requestPath;
    private CharSequence requestId;
    private long responseBytes;
    private long upstreamNanos;
    private String rateLimitOutcome;
    private boolean answeredLocally;
    private String rejectedByLogged;
    private long tunnelStartNanos;
    /** The request between routing and its rate-limit decisions. */
    private HttpRequest pendingRequest;
    private GatewayState.RoutePolicies limits;
    private int nextPolicy;
    private final Verdict verdict = new Verdict();
    private final Runnable onRateLimitDecided = this::rateLimitDecided;
    /** RateLimit / RateLimit-Policy values for an admitted response, when a policy asks for them. */
    private String rateLimitHeaders;
    private String rateLimitPolicy;
    /** The request asks to upgrade (WebSocket); the protocol it names. */
    private String upgradeProtocol;
    /** A 101 was relayed; the tunnel starts when its (empty) end has been written. */
    private boolean tunnelPending;
    private boolean tunnelOpen;
    private long lastActivityNanos;

    ProxyHandler(ServerContext server, RequestHeaderTimer headerTimer, ConnectionInfo connection) {
        this.server = server;
        this.metrics = server.metrics();
        this.headerTimer = headerTimer;
        this.connection = connection;
        this.stream = connection.http2;
    }

    // ---- client side -------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            activate(); // added after a TLS handshake: the channel was active before this handler
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        activate();
        ctx.fireChannelActive();
    }

    private void activate() {
        if (activated) {
            return;
        }
        activated = true;
        if (!stream) {
            // An HTTP/2 stream's connection is counted by H2Connection; every connection is
            // tracked for drain from accept (DownstreamInitializer).
            metrics.downstreamOpened();
        }
        pool = server.pool(ctx.channel().eventLoop());
        view = new RoutingView(connection);
        lastActivityNanos = System.nanoTime();
        requestRead();
    }

    /**
     * Asks for the next message. The demand stands until a message arrives: a socket read that
     * decodes to nothing (half a header block) is followed by another read, here, rather than
     * relying on the decoder and the flow-control queue to pass the demand along between them.
     */
    private void requestRead() {
        readPending = true;
        ctx.read();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readPending) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readPending = false;
        if (state == State.TUNNEL) {
            relayToOrigin(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            onRequest(req);
        } else if (msg instanceof HttpContent content) {
            onRequestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void relayToOrigin(Object msg) {
        UpstreamConnection u = upstream;
        if (!(msg instanceof ByteBuf buf) || u == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        u.writeRaw(buf);
        if (u.channel().isWritable()) {
            requestRead();
        } else {
            waitingUpstreamWritable = true;
        }
    }

    @Override
    public void onUpstreamBytes(ByteBuf buf) {
        if (state != State.TUNNEL) {
            buf.release();
            return;
        }
        ctx.write(buf, ctx.voidPromise());
    }

    private void onRequest(HttpRequest req) {
        if (state != State.IDLE) {
            // Cannot happen while reads are driven by this handler; refuse to mix two exchanges.
            ReferenceCountUtil.release(req);
            closeNow();
            return;
        }
        if (headerTimer != null) {
            headerTimer.requestReceived();
        }
        beginExchange();
        DecoderResult result = req.decoderResult();
        if (result.isFailure()) {
            ReferenceCountUtil.release(req);
            rejectMalformed(result.cause());
            return;
        }
        HttpHeaders h = req.headers();
        http10 = req.protocolVersion().minorVersion() == 0;
        clientKeepAlive = HttpUtil.isKeepAlive(req);
        String transferEncoding = h.get(HttpHeaderNames.TRANSFER_ENCODING);
        long contentLength = HttpUtil.getContentLength(req, 0L);
        requestHasBody = transferEncoding != null || contentLength > 0;

        if (req.protocolVersion().majorVersion() != 1) {
            reject(505, Rejection.VERSION, "only HTTP/1.0 and HTTP/1.1 are served here", true);
            return;
        }
        if (transferEncoding != null && (http10 || !transferEncoding.trim().equalsIgnoreCase("chunked")
                || h.getAll(HttpHeaderNames.TRANSFER_ENCODING).size() > 1)) {
            reject(400, Rejection.BAD_REQUEST, "unsupported Transfer-Encoding (only a single 'chunked' is accepted)", true);
            return;
        }
        if (snapshot.maxRequestBodyBytes > 0 && contentLength > snapshot.maxRequestBodyBytes) {
            reject(413, Rejection.BODY_TOO_LARGE, "request body larger than " + snapshot.maxRequestBodyBytes + " bytes", true);
            return;
        }
        if (HttpMethod.CONNECT.equals(req.method())) {
            reject(405, Rejection.METHOD_NOT_ALLOWED, "this gateway is not a forward proxy", true);
            return;
        }

        // Request target: origin-form is routed by Host; absolute-form by its own authority
        // (RFC 9112 3.2.2), and only ever to a configured cluster: never an open proxy.
        String uri = req.uri();
        String host;
        String path;
        if (!uri.isEmpty() && uri.charAt(0) == '/') {
            path = uri;
            String hostHeader = h.get(HttpHeaderNames.HOST);
            if (hostHeader == null) {
                if (!http10) {
                    reject(400, Rejection.BAD_REQUEST, "missing Host header", requestHasBody);
                    return;
                }
                host = "";
            } else {
                host = HttpRules.hostKey(hostHeader);
            }
        } else {
            int prefix = HttpRules.absoluteFormPrefix(uri);
            if (prefix == 0) {
                reject(uri.equals("*") ? 404 : 400, uri.equals("*") ? Rejection.NO_ROUTE : Rejection.BAD_REQUEST,
                        uri.equals("*") ? "no route" : "invalid request target", requestHasBody);
                return;
            }
            int slash = prefix;
            while (slash < uri.length() && uri.charAt(slash) != '/' && uri.charAt(slash) != '?') {
                slash++;
            }
            String authority = uri.substring(prefix, slash);
            host = HttpRules.hostKey(authority);
            path = slash == uri.length() ? "/" : uri.charAt(slash) == '?' ? "/" + uri.substring(slash) : uri.substring(slash);
            req.setUri(path);
            h.set(HttpHeaderNames.HOST, authority);
        }
        if (host == null || h.getAll(HttpHeaderNames.HOST).size() > 1) {
            reject(400, Rejection.BAD_REQUEST, "invalid or repeated Host", requestHasBody);
            return;
        }

        methodName = req.method().name();
        requestHost = host;
        requestPath = path;
        Tracing tracing = server.tracing();
        if (tracing != null) {
            traceParent = tracing.extract(h);
            span = tracing.start(traceParent, methodName);
            span.setAttribute(HTTP_METHOD, methodName);
            span.setAttribute(URL_PATH, path);
            traceId = span.getSpanContext().getTraceId();
        }
        view.reset(req, snapshot.forwarding);
        route = snapshot.routes().match(host, view);
        if (route == null) {
            reject(404, Rejection.NO_ROUTE, "no route", requestHasBody);
            return;
        }
        pendingRequest = req;
        routeMetrics = snapshot.metricsBeforeCluster(route);
        limits = snapshot.rateLimits(route);
        nextPolicy = 0;
        rateLimitHeaders = null;
        if (limits.policies().length > 0 && !applyRateLimits()) {
            return; // refused (answered), or waiting for Redis: continues in rateLimitDecided
        }
        routeToCluster();
    }

    /**
     * Runs the route's policies from {@link #nextPolicy} on. Returns true when all admitted the
     * request; false when one refused it (answered with 429) or is asking Redis (the exchange
     * waits in LIMITING, not reading the client, and resumes on this loop).
     */
    private boolean applyRateLimits() {
        GatewayState.RoutePolicies rp = limits;
        while (nextPolicy < rp.policies().length) {
            Policy p = rp.policies()[nextPolicy];
            if (!p.check(rateLimitKey(p), verdict, ctx.executor(), onRateLimitDecided)) {
                state = State.LIMITING;
                return false;
            }
            if (!admitRateLimited(p)) {
                return false;
            }
            nextPolicy++;
        }
        return true;
    }

    private void rateLimitDecided() {
        if (state != State.LIMITING) {
            return; // the client left meanwhile
        }
        state = State.CONNECTING;
        Policy p = limits.policies()[nextPolicy];
        if (!admitRateLimited(p)) {
            return;
        }
        nextPolicy++;
        if (applyRateLimits()) {
            routeToCluster();
        }
    }

    /** Counts the verdict; answers 429 if it refuses. */
    private boolean admitRateLimited(Policy p) {
        limits.decisions()[nextPolicy][verdict.outcome().ordinal()].increment();
        rateLimitOutcome = OUTCOMES[verdict.outcome().ordinal()];
        if (verdict.admitted()) {
            if (p.config().headers() && verdict.remaining() >= 0) {
                rateLimitPolicy = p.policyHeader();
                rateLimitHeaders = "\"" + p.name() + "\";r=" + verdict.remaining() + ";t=" + ceilSeconds(verdict.resetNanos());
            }
            return true;
        }
        long retryAfter = Math.max(1, ceilSeconds(verdict.retryAfterNanos()));
        rejectedBy = "rate_limited";
        respondLocally(LocalResponses.rateLimited(p.name(), retryAfter, p.policyHeader(), ctx.alloc()), requestHasBody);
        return false;
    }

    private static final String[] OUTCOMES = java.util.Arrays.stream(Verdict.Outcome.values())
            .map(o -> o.name().toLowerCase(java.util.Locale.ROOT)).toArray(String[]::new);
    private static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> EDGE_ROUTE = AttributeKey.stringKey("edge.route");
    private static final AttributeKey<String> EDGE_CLUSTER = AttributeKey.stringKey("edge.cluster");
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<String> EDGE_RATELIMIT = AttributeKey.stringKey("edge.ratelimit.outcome");

    private static long ceilSeconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }

    /** The policy's key for this request: its key parts joined, a missing part as "-"; "*" for a route-wide policy. */
    private String rateLimitKey(Policy p) {
        var parts = p.config().key();
        if (parts.isEmpty()) {
            return "*";
        }
        if (parts.size() == 1) {
            String v = Keys.read(parts.get(0), view);
            return v == null ? "-" : v;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            String v = Keys.read(parts.get(i), view);
            sb.append(i == 0 ? "" : "|").append(v == null ? "-" : v);
        }
        return sb.toString();
    }

    /** After the guard, the route and its rate limits: the cluster, the endpoint, the origin. */
    private void routeToCluster() {
        HttpRequest req = pendingRequest;
        pendingRequest = null;
        HttpHeaders h = req.headers();
        cluster = route.selectCluster(view, decision);
        routeMetrics = snapshot.metrics(route, decision.clusterSlot());
        if (decision.failedOver()) {
            metrics.geoFailover(route.name(), decision.clientRegion(), decision.servedRegion());
        }
        retryPolicy = snapshot.retryPolicy(cluster);
        if (!cluster.health().tryStartRequest()) {
            rejectByBreaker(ClusterHealth.Limit.MAX_REQUESTS);
            return;
        }
        clusterRequestHeld = true;
        endpoint = route.pickEndpoint(cluster, view, decision);
        if (decision.sticky() != RouteDecision.StickyOutcome.NONE) {
            routeMetrics.sticky(decision.sticky() == RouteDecision.StickyOutcome.HIT);
        }
        if (endpoint == null) {
            rejectedBy = "no_endpoint";
            respondLocally(503, "no healthy endpoint in cluster " + cluster.name(), false);
            return;
        }

        String incomingHost = h.get(HttpHeaderNames.HOST);
        upgradeProtocol = requestHasBody || !HttpMethod.GET.equals(req.method()) ? null : HttpRules.websocketUpgrade(h);
        boolean chunkedBody = h.contains(HttpHeaderNames.TRANSFER_ENCODING);
        HttpRules.stripHopByHop(h);
        if (upgradeProtocol != null) {
            // Upgrade is hop-by-hop, but a WebSocket handshake must reach the origin.
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            h.set(HttpHeaderNames.UPGRADE, upgradeProtocol);
        }
        if (chunkedBody) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        addForwardingHeaders(h, incomingHost);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        request = req;
        state = State.CONNECTING;
        acquireUpstream();
    }

    private void addForwardingHeaders(HttpHeaders h, String incomingHost) {
        boolean trusted = snapshot.forwarding.isTrusted(connection.clientAddress);
        String xff = trusted ? h.get(HttpRules.X_FORWARDED_FOR) : null;
        if (xff != null) {
            h.set(HttpRules.X_FORWARDED_FOR, xff + ", " + connection.clientIp);
        } else {
            h.set(HttpRules.X_FORWARDED_FOR, connection.clientIp);
        }
        if (!trusted || !h.contains(HttpRules.X_FORWARDED_PROTO)) {
            h.set(HttpRules.X_FORWARDED_PROTO, connection.scheme);
        }
        if (!trusted || !h.contains(HttpRules.X_FORWARDED_HOST)) {
            if (incomingHost != null) {
                h.set(HttpRules.X_FORWARDED_HOST, incomingHost);
            } else {
                h.remove(HttpRules.X_FORWARDED_HOST);
            }
        }
        if (!trusted || !h.contains(HttpRules.X_REQUEST_ID)) {
            h.set(HttpRules.X_REQUEST_ID, HttpRules.newRequestId());
        }
        requestId = h.get(HttpRules.X_REQUEST_ID);
        if (span != null) {
            server.tracing().inject(traceParent, span, h); // the origin's spans become children of ours
        }
    }

    private void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        switch (state) {
            case STREAMING -> {
                requestBodyBytes += content.content().readableBytes();
                if (snapshot.maxRequestBodyBytes > 0 && requestBodyBytes > snapshot.maxRequestBodyBytes) {
                    content.release();
                    metrics.rejected(Rejection.BODY_TOO_LARGE);
                    dropUpstream();
                    if (responseStarted) {
                        closeNow();
                    } else {
                        respondLocally(413, "request body larger than " + snapshot.maxRequestBodyBytes + " bytes", true);
                    }
                    return;
                }
                UpstreamConnection u = upstream;
                if (u == null) {
                    content.release();
                    return;
                }
                u.channel().writeAndFlush(content, u.channel().voidPromise());
                if (last) {
                    requestComplete = true;
                    if (!responseStarted) {
                        startResponseTimer();
                    }
                } else if (u.channel().isWritable()) {
                    requestRead();
                } else {
                    waitingUpstreamWritable = true;
                }
            }
            case SKIPPING -> {
                content.release();
                if (last) {
                    requestComplete = true;
                    awaitNextRequest();
                } else {
                    requestRead();
                }
            }
            default -> content.release();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (waitingDownstreamWritable && ctx.channel().isWritable() && upstream != null) {
            waitingDownstreamWritable = false;
            upstream.channel().read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == RequestHeaderTimer.EXPIRED) {
            if (state == State.IDLE) {
                headerTimer.requestReceived();
                beginExchange();
                reject(408, Rejection.HEADER_TIMEOUT, "request headers not received in time", true);
            }
        } else if (evt instanceof IdleStateEvent) {
            // Idle with nothing in flight is the keep-alive timeout. Waiting on an origin for
            // connect or response headers has its own timers; any other stall ends the connection.
            // In a tunnel this is the tunnel's own idle timeout: nothing either way for that long.
            boolean waitingOnOrigin = state == State.CONNECTING || (state == State.STREAMING && responseTimeout != null);
            if (!waitingOnOrigin) {
                closeNow();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (activated && !stream) {
            metrics.downstreamClosed();
        }
        if (tunnelOpen) {
            tunnelOpen = false;
            metrics.tunnelClosed();
            AccessLog log = server.accessLog();
            if (log != null) {
                log.write(accessLine("tunnel", System.nanoTime() - tunnelStartNanos));
            }
        }
        state = State.CLOSING;
        cancelResponseTimer();
        dropUpstream();
        releaseClusterSlots();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets by clients are routine at the edge: not worth more than a debug line.
        log.debug("client connection {} failed: {}", ctx.channel(), cause.toString());
        closeNow();
    }

    /**
     * Drain: a connection with a request in progress closes after its response (which says
     * {@code Connection: close}); one waiting for a request closes once it has been quiet for
     * {@link #DRAIN_IDLE_GRACE_NANOS}. Closing at once would race a client whose request is
     * already on the wire (typically on a connection accepted just before the listener closed):
     * it would see a reset for a request it had every reason to think was accepted.
     */
    void closeIfIdle() {
        if (state == State.CLOSING || state == State.TUNNEL) {
            return; // a tunnel has no request boundary to close at: the drain timeout ends it
        }
        if (state != State.IDLE) {
            closeAfterResponse = true;
            return;
        }
        long quiet = System.nanoTime() - lastActivityNanos;
        if (quiet >= DRAIN_IDLE_GRACE_NANOS) {
            closeNow();
        } else {
            ctx.executor().schedule(this::closeIfIdle, DRAIN_IDLE_GRACE_NANOS - quiet, TimeUnit.NANOSECONDS);
        }
    }

    // ---- origin side -------------------------------------------------------------------------

    private void acquireUpstream() {
        UpstreamTls tls = snapshot.upstreamTls(cluster);
        boolean h2 = cluster.config().protocol() == dev.edgegateway.config.ClusterConfig.Protocol.H2;
        UpstreamConnection c = staleRetried || h2 ? null : pool.poll(endpoint, tls);
        if (c != null) {
            upstreamReady(c);
            return;
        }
        ClusterHealth h = cluster.health();
        if (!h.mayOpenConnection()) {
            rejectByBreaker(ClusterHealth.Limit.MAX_CONNECTIONS);
            return;
        }
        if (!h.tryStartPending()) {
            rejectByBreaker(ClusterHealth.Limit.MAX_PENDING_REQUESTS);
            return;
        }
        pendingHeld = true;
        io.netty.util.concurrent.Future<UpstreamConnection> f = pool.connect(endpoint, tls, h2, snapshot.connectTimeoutMillis, snapshot.upstreamIdleNanos,
                cluster.config().maxIdleConnectionsPerEndpoint());
        pendingConnect = f;
        f.addListener(onConnected);
    }

    private void connected(io.netty.util.concurrent.Future<UpstreamConnection> f) {
        UpstreamConnection conn = f.isSuccess() ? f.getNow() : null;
        if (f != pendingConnect) {
            // The exchange that asked is gone; the fresh connection is clean, so pool it.
            if (conn != null) {
                conn.release();
            }
            return;
        }
        pendingConnect = null;
        releasePending();
        if (conn == null) {
            boolean timeout = f.cause() instanceof ConnectTimeoutException;
            boolean tlsFailed = f.cause() instanceof UpstreamPool.TlsHandshakeException;
            metrics.upstreamError(cluster.name(), timeout ? UpstreamError.CONNECT_TIMEOUT : tlsFailed ? UpstreamError.TLS_HANDSHAKE : UpstreamError.CONNECT_REFUSED);
            endpoint.record(Outcome.GATEWAY_FAILURE, 0, System.nanoTime());
            if (tryRetry(RetryPolicy.Failure.CONNECT_FAILURE, 0)) {
                return;
            }
            respondLocally(timeout ? 504 : 502, timeout ? "connecting to the origin timed out"
                    : tlsFailed ? "the TLS handshake with the origin failed" : "the origin refused the connection", false);
            return;
        }
        upstreamReady(conn);
    }

    private void upstreamReady(UpstreamConnection conn) {
        upstream = conn;
        conn.bind(this);
        if (!endpointBusy) {
            endpointBusy = true;
            endpoint.requestStarted();
        }
        state = State.STREAMING;
        upstreamReusable = true;
        attemptStartNanos = System.nanoTime();
        if (requestComplete) {
            // A retry of a body-less request after a stale keep-alive connection failed.
            conn.channel().write(request, conn.channel().voidPromise());
            conn.channel().writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, conn.channel().voidPromise());
            startResponseTimer();
        } else {
            conn.channel().write(request, conn.channel().voidPromise());
            requestRead(); // the body, or the empty end of a body-less request
        }
        conn.channel().read(); // watch for the response, or an early close
    }

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        if (state != State.STREAMING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            onResponseHead(r);
        } else if (msg instanceof HttpContent c) {
            onResponseContent(c);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(HttpResponse r) {
        int code = r.status().code();
        // HttpClientCodec sends heads and bodies apart; a head with content is its invalid-message form.
        boolean switching = code == 101 && upgradeProtocol != null && !r.decoderResult().isFailure() && !(r instanceof HttpContent);
        if (switching) {
            switchProtocols(r);
            return;
        }
        if (r.decoderResult().isFailure() || code == 101 || r instanceof HttpContent) {
            ReferenceCountUtil.release(r);
            metrics.upstreamError(cluster.name(), UpstreamError.BAD_RESPONSE);
            endpoint.record(Outcome.GATEWAY_FAILURE, 0, System.nanoTime());
            dropUpstream();
            if (responseStarted) {
                closeNow();
            } else {
                respondLocally(502, "the origin sent an invalid response", false);
            }
            return;
        }
        if (code < 200) {
            interimResponse = true; // 100 Continue and friends: relay, the real response follows
            ctx.write(r, ctx.voidPromise());
            return;
        }
        cancelResponseTimer();
        long now = System.nanoTime();
        upstreamNanos = now - attemptStartNanos;
        metrics.cluster(cluster.name()).upstreamLatency(upstreamNanos);
        endpoint.record(code >= 500 ? Outcome.HTTP_5XX : Outcome.SUCCESS, upstreamNanos, now);
        if (code >= 500 && retryPolicy.retriesStatus(code) && canRetry(RetryPolicy.Failure.STATUS, code)) {
            // Not a byte of this response has reached the client: drop it and try elsewhere.
            Endpoint failed = endpoint;
            ReferenceCountUtil.release(r);
            dropUpstream();
            if (retryOnAnotherEndpoint(failed)) {
                return;
            }
            respondLocally(502, "the origin answered " + code + " and no other endpoint was available", false);
            return;
        }
        status = code;
        responseStarted = true;
        HttpHeaders h = r.headers();
        upstreamReusable = HttpUtil.isKeepAlive(r);
        boolean chunked = HttpUtil.isTransferEncodingChunked(r);
        boolean bodyless = HttpMethod.HEAD.equals(request.method()) || code == 204 || code == 304;
        boolean delimited = chunked || bodyless || h.contains(HttpHeaderNames.CONTENT_LENGTH);
        HttpRules.stripHopByHop(h);
        if (!delimited) {
            // The origin ends this body by closing: re-frame it as chunked for HTTP/1.1 clients;
            // an HTTP/1.0 client gets a body that also ends with the connection.
            upstreamReusable = false;
            if (http10) {
                closeAfterResponse = true;
            } else {
                chunked = true;
            }
        }
        if (chunked && !bodyless) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!clientKeepAlive || !requestComplete || server.draining()) {
            closeAfterResponse = true;
        }
        if (closeAfterResponse) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        if (decision.setCookie() != null) {
            h.add(HttpHeaderNames.SET_COOKIE, decision.setCookie());
        }
        if (rateLimitHeaders != null) {
            h.set(LocalResponses.RATELIMIT_POLICY, rateLimitPolicy);
            h.set(LocalResponses.RATELIMIT, rateLimitHeaders);
        }
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
        ctx.write(r, ctx.voidPromise());
    }

    /**
     * The origin accepted the upgrade: relay its 101, then (once its empty end is through the
     * codec) tunnel bytes both ways. The exchange is recorded now, as a 101, and gives back its
     * cluster request slot (a WebSocket may last for hours; maxRequests bounds requests, and
     * maxConnections still bounds tunnels). The endpoint counts the tunnel as in flight until it
     * closes, so the balancer spreads long-lived sessions too.
     */
    private void switchProtocols(HttpResponse r) {
        cancelResponseTimer();
        long now = System.nanoTime();
        endpoint.record(Outcome.SUCCESS, now - attemptStartNanos, now);
        status = 101;
        responseStarted = true;
        tunnelPending = true;
        HttpHeaders h = r.headers();
        String upgrade = h.get(HttpHeaderNames.UPGRADE);
        HttpRules.stripHopByHop(h);
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        h.set(HttpHeaderNames.UPGRADE, upgrade == null ? upgradeProtocol : upgrade);
        if (decision.setCookie() != null) {
            h.add(HttpHeaderNames.SET_COOKIE, decision.setCookie());
        }
        ctx.write(r, ctx.voidPromise());
    }

    private void startTunnel(LastHttpContent end) {
        tunnelPending = false;
        ctx.writeAndFlush(end, ctx.voidPromise());
        record();
        state = State.TUNNEL;
        tunnelOpen = true;
        tunnelStartNanos = startNanos;
        metrics.tunnelOpened();
        // From here the client's bytes are not HTTP: take the codec and the keep-alive timers
        // out, and time the tunnel by its own idle timeout.
        ChannelPipeline p = ctx.pipeline();
        p.replace(IdleTimer.class, "tunnel-idle", new IdleTimer(snapshot.tunnelIdleNanos));
        if (p.get(RequestHeaderTimer.class) != null) {
            p.remove(RequestHeaderTimer.class);
        }
        p.remove(ServerCodec.class); // passes on any bytes it had buffered, as ByteBufs
        if (ctx.channel().isWritable()) {
            upstream.channel().read();
        } else {
            waitingDownstreamWritable = true;
        }
        requestRead();
    }

    private void onResponseContent(HttpContent c) {
        if (state != State.STREAMING) {
            c.release();
            return;
        }
        if (tunnelPending) {
            if (c instanceof LastHttpContent end) {
                startTunnel(end);
            } else {
                c.release(); // a 101 has no body
            }
            return;
        }
        if (interimResponse) {
            if (c instanceof LastHttpContent) {
                interimResponse = false;
            }
            ctx.write(c, ctx.voidPromise());
            return;
        }
        responseBytes += c.content().readableBytes();
        if (!(c instanceof LastHttpContent)) {
            ctx.write(c, ctx.voidPromise());
            return;
        }
        // The response is complete: settle the origin connection, then the client's.
        boolean close = closeAfterResponse;
        UpstreamConnection u = upstream;
        upstream = null;
        finishEndpoint();
        if (u != null) {
            if (upstreamReusable && requestComplete) {
                u.release();
            } else {
                u.discard();
            }
        }
        record();
        if (close) {
            state = State.CLOSING;
            ctx.writeAndFlush(c).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(c, ctx.voidPromise()); // no promise to allocate per response
            awaitNextRequest();
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if ((state != State.STREAMING && state != State.TUNNEL) || upstream == null) {
            return;
        }
        ctx.flush();
        if (ctx.channel().isWritable()) {
            upstream.channel().read();
        } else {
            waitingDownstreamWritable = true;
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable && waitingUpstreamWritable && (state == State.STREAMING || state == State.TUNNEL)) {
            waitingUpstreamWritable = false;
            requestRead();
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (state == State.TUNNEL) {
            // The origin ended the session: the client gets what was sent, then the close.
            upstream = null;
            finishEndpoint();
            state = State.CLOSING;
            ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (state != State.STREAMING || upstream == null) {
            return;
        }
        UpstreamConnection u = upstream;
        upstream = null;
        cancelResponseTimer();
        if (responseStarted) {
            // Part of the response is already with the client: it can only see the truncation.
            metrics.upstreamError(cluster.name(), UpstreamError.RESET);
            finishEndpoint();
            closeNow();
            return;
        }
        if (u.reused() && requestComplete && !requestHasBody && !staleRetried) {
            // The origin closed a pooled connection just as the request went out: a normal
            // keep-alive race. Nothing was processed, so a body-less request goes again once,
            // on a fresh connection; this does not count as a failure or against the budget.
            staleRetried = true;
            state = State.CONNECTING;
            acquireUpstream();
            return;
        }
        metrics.upstreamError(cluster.name(), UpstreamError.RESET);
        endpoint.record(Outcome.GATEWAY_FAILURE, 0, System.nanoTime());
        finishEndpoint();
        if (tryRetry(RetryPolicy.Failure.RESET, 0)) {
            return;
        }
        respondLocally(502, "the origin closed the connection before responding", false);
    }

    @Override
    public void onUpstreamIdle() {
        if (state == State.STREAMING && responseTimeout == null) {
            // A body stalled mid-stream for the whole idle timeout.
            dropUpstream();
            closeNow();
        }
    }

    /**
     * Arms the response-header timer of this try: the per-try timeout, but never past the
     * request's own deadline (responseHeader from the end of the first try's request), so retries
     * cannot stretch a request beyond what the config promises the client.
     */
    private void startResponseTimer() {
        cancelResponseTimer();
        long now = System.nanoTime();
        if (!responseDeadlineSet) {
            responseDeadlineSet = true;
            responseDeadlineNanos = now + snapshot.responseHeaderTimeoutNanos;
        }
        long timeout = Math.max(0, responseDeadlineNanos - now);
        long perTry = retryPolicy.perTryTimeoutNanos();
        if (perTry > 0 && perTry < timeout) {
            timeout = perTry;
        }
        responseTimeout = ctx.executor().schedule(onResponseTimeout, timeout, TimeUnit.NANOSECONDS);
    }

    private void cancelResponseTimer() {
        if (responseTimeout != null) {
            responseTimeout.cancel(false);
            responseTimeout = null;
        }
    }

    private void responseTimedOut() {
        responseTimeout = null;
        if (state != State.STREAMING || responseStarted) {
            return;
        }
        metrics.upstreamError(cluster.name(), UpstreamError.RESPONSE_TIMEOUT);
        long now = System.nanoTime();
        endpoint.record(Outcome.GATEWAY_FAILURE, 0, now);
        dropUpstream();
        if (responseDeadlineNanos - now > 0 && tryRetry(RetryPolicy.Failure.TIMEOUT, 0)) {
            return;
        }
        respondLocally(504, "the origin did not respond in time", false);
    }

    // ---- shared ------------------------------------------------------------------------------

    private void beginExchange() {
        snapshot = server.state();
        startNanos = System.nanoTime();
        routeMetrics = metrics.unrouted();
        route = null;
        cluster = null;
        retryPolicy = null;
        endpoint = null;
        endpointBusy = false;
        request = null;
        retries = 0;
        status = 0;
        requestHasBody = false;
        requestComplete = false;
        requestBodyBytes = 0;
        responseStarted = false;
        interimResponse = false;
        staleRetried = false;
        responseDeadlineSet = false;
        decision.reset();
        span = null;
        traceParent = null;
        traceId = null;
        methodName = null;
        requestHost = null;
        requestPath = null;
        requestId = null;
        responseBytes = 0;
        upstreamNanos = 0;
        rateLimitOutcome = null;
        answeredLocally = false;
        rejectedByLogged = null;
        pendingRequest = null;
        rateLimitHeaders = null;
        upgradeProtocol = null;
        tunnelPending = false;
        closeAfterResponse = server.draining();
        waitingUpstreamWritable = false;
        waitingDownstreamWritable = false;
    }

    private void rejectMalformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            reject(414, Rejection.URI_TOO_LONG, "request line too long", true);
        } else if (cause instanceof TooLongHttpHeaderException) {
            reject(431, Rejection.HEADERS_TOO_LARGE, "request headers too large", true);
        } else if (cause instanceof ServerCodec.AmbiguousFramingException) {
            reject(400, Rejection.BAD_REQUEST, "both Content-Length and Transfer-Encoding are present", true);
        } else {
            reject(400, Rejection.BAD_REQUEST, "malformed request", true);
        }
    }

    private void reject(int code, Rejection reason, String message, boolean close) {
        metrics.rejected(reason);
        respondLocally(code, message, close);
    }

    /** A cluster limit was reached: 503 at once, naming the limit, without touching an origin. */
    private void rejectByBreaker(ClusterHealth.Limit limit) {
        metrics.breakerRejected(cluster.name(), limit);
        String name = limit.name().toLowerCase();
        rejectedBy = name;
        respondLocally(503, "cluster " + cluster.name() + " is at its " + name + " limit", false);
    }

    // ---- retries -----------------------------------------------------------------------------

    private boolean tryRetry(RetryPolicy.Failure failure, int status) {
        return canRetry(failure, status) && retryOnAnotherEndpoint(endpoint);
    }

    /**
     * Whether this failed try may be retried: the policy names the failure, tries are left, no
     * part of the response went out, the request has no body (nothing is kept to resend) and is
     * idempotent (unless the cluster allows others), and the cluster's retry budget has room.
     */
    private boolean canRetry(RetryPolicy.Failure failure, int status) {
        if (responseStarted || requestHasBody || retries >= retryPolicy.maxRetries() || !retryPolicy.retries(failure, status)) {
            return false;
        }
        if (!retryPolicy.nonIdempotent() && !idempotent(request.method())) {
            return false;
        }
        if (!retryBudgetHeld) {
            if (!cluster.health().tryStartRetry()) {
                metrics.retryBudgetExhausted(cluster.name());
                return false;
            }
            retryBudgetHeld = true;
        }
        return true;
    }

    private boolean retryOnAnotherEndpoint(Endpoint failed) {
        Endpoint next = cluster.balancer().pick(failed);
        if (next == null) {
            return false;
        }
        retries++;
        metrics.retried(cluster.name());
        finishEndpoint();
        endpoint = next;
        state = State.CONNECTING;
        acquireUpstream();
        return true;
    }

    private static boolean idempotent(HttpMethod m) {
        return HttpMethod.GET.equals(m) || HttpMethod.HEAD.equals(m) || HttpMethod.OPTIONS.equals(m)
                || HttpMethod.PUT.equals(m) || HttpMethod.DELETE.equals(m) || HttpMethod.TRACE.equals(m);
    }

    /** Gives back what this exchange holds of its cluster's limits and budget; safe to call twice. */
    private void releaseClusterSlots() {
        if (clusterRequestHeld) {
            clusterRequestHeld = false;
            cluster.health().requestFinished();
        }
        releasePending();
        if (retryBudgetHeld) {
            retryBudgetHeld = false;
            cluster.health().retryFinished();
        }
    }

    private void releasePending() {
        if (pendingHeld) {
            pendingHeld = false;
            cluster.health().pendingFinished();
        }
    }

    /**
     * Answers from the gateway itself. The connection stays open only if the client wants it and
     * no unread request body stands between this response and the next request.
     */
    private void respondLocally(int code, String message, boolean close) {
        respondLocally(LocalResponses.of(code, message, ctx.alloc()), close);
    }

    private void respondLocally(FullHttpResponse r, boolean close) {
        answeredLocally = true;
        rejectedByLogged = rejectedBy;
        cancelResponseTimer();
        dropUpstream();
        status = r.status().code();
        record();
        boolean closing = close || !clientKeepAlive || server.draining() || closeAfterResponse || (requestHasBody && !requestComplete);
        if (rejectedBy != null) {
            r.headers().set(LocalResponses.X_EDGE_REJECTED, rejectedBy);
            rejectedBy = null;
        }
        if (closing) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ChannelFuture written = ctx.writeAndFlush(r);
        if (closing) {
            state = State.CLOSING;
            written.addListener(ChannelFutureListener.CLOSE);
        } else if (requestComplete) {
            awaitNextRequest();
        } else {
            state = State.SKIPPING;
            requestRead();
        }
    }

    private void record() {
        long elapsed = System.nanoTime() - startNanos;
        if (snapshot.metricsEnabled) {
            routeMetrics.record(status, elapsed);
            routeMetrics.bytes(requestBodyBytes, responseBytes);
        }
        releaseClusterSlots();
        if (span != null) {
            endSpan();
        }
        AccessLog log = server.accessLog();
        if (log != null && log.sampled(status, answeredLocally)) {
            log.write(accessLine("request", elapsed));
        }
    }

    private void endSpan() {
        Span s = span;
        span = null;
        s.setAttribute(HTTP_STATUS, status);
        if (route != null) {
            s.setAttribute(EDGE_ROUTE, route.name());
            s.updateName(request != null || pendingRequest != null ? methodName + " " + route.name() : methodName);
        }
        if (cluster != null) {
            s.setAttribute(EDGE_CLUSTER, cluster.name());
        }
        if (endpoint != null) {
            s.setAttribute(SERVER_ADDRESS, endpoint.address().toString());
        }
        if (rateLimitOutcome != null) {
            s.setAttribute(EDGE_RATELIMIT, rateLimitOutcome);
        }
        if (status >= 500) {
            s.setStatus(StatusCode.ERROR);
        }
        s.end();
    }

    /** One access-log line (JSON). Built only when the line will be written. */
    private String accessLine(String kind, long elapsedNanos) {
        StringBuilder sb = new StringBuilder(320).append('{');
        AccessLog.field(sb, "time", server.accessLog().now());
        AccessLog.field(sb, "kind", kind);
        AccessLog.field(sb, "requestId", requestId);
        AccessLog.field(sb, "traceId", traceId);
        AccessLog.field(sb, "client", connection.clientIp);
        AccessLog.field(sb, "method", methodName);
        AccessLog.field(sb, "protocol", stream ? "HTTP/2" : http10 ? "HTTP/1.0" : "HTTP/1.1");
        if (connection.tls) {
            AccessLog.field(sb, "tls", connection.tlsVersion);
            AccessLog.field(sb, "cipher", connection.cipher);
            AccessLog.field(sb, "sni", connection.sni);
        }
        AccessLog.field(sb, "host", requestHost);
        AccessLog.field(sb, "path", requestPath);
        AccessLog.field(sb, "status", status);
        AccessLog.field(sb, "bytesIn", requestBodyBytes);
        AccessLog.field(sb, "bytesOut", responseBytes);
        AccessLog.field(sb, "durationMicros", elapsedNanos / 1000);
        AccessLog.field(sb, "upstreamMicros", upstreamNanos / 1000);
        AccessLog.field(sb, "route", route == null ? null : route.name());
        AccessLog.field(sb, "cluster", cluster == null ? null : cluster.name());
        AccessLog.field(sb, "endpoint", endpoint == null ? null : endpoint.address().toString());
        AccessLog.field(sb, "rateLimit", rateLimitOutcome);
        if (answeredLocally && rejectedByLogged != null) {
            AccessLog.field(sb, "rejected", rejectedByLogged);
        }
        return sb.append('}').toString();
    }

    private void awaitNextRequest() {
        state = State.IDLE;
        request = null;
        route = null;
        endpoint = null;
        lastActivityNanos = System.nanoTime();
        if (headerTimer != null) {
            headerTimer.awaitRequest();
        }
        requestRead();
        if (server.draining() && !stream) {
            // Draining began after this response's head went out without "Connection: close": the
            // client may already be sending its next request. Closing now would reset it; close
            // once the connection has been quiet for the grace (the next request, if any, is
            // answered with "Connection: close").
            closeIfIdle();
        }
    }

    /** Closes the origin connection of the exchange, if any: its state is unknown. */
    private void dropUpstream() {
        pendingConnect = null;
        releasePending();
        UpstreamConnection u = upstream;
        upstream = null;
        if (u != null) {
            u.discard();
        }
        finishEndpoint();
    }

    private void finishEndpoint() {
        if (endpointBusy) {
            endpointBusy = false;
            endpoint.requestFinished();
        }
    }

    private void closeNow() {
        state = State.CLOSING;
        ctx.close();
    }
}
