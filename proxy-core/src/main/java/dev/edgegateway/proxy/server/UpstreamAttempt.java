package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.Parts;
import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.health.ClusterHealth;
import dev.edgegateway.health.RetryPolicy.Failure;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.proxy.metrics.GatewayMetrics.UpstreamError;
import dev.edgegateway.proxy.tls.UpstreamTls;
import dev.edgegateway.proxy.transport.LoopClock;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import dev.edgegateway.proxy.upstream.UpstreamListener;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;

/**
 * Step 6 of the request path, the origin side of one exchange at a time: takes a pooled
 * connection or opens one (the endpoint counts the try in flight from the moment its connect
 * starts, so peak EWMA sees pending connects), sends the request ({@link RequestSender}), relays the
 * response to the {@link Downstream}, and times the response head. A try that fails before any
 * of the response went out is recorded against its endpoint and handed to the
 * {@link RetryController}; the next try starts here, with the buffered body sent again.
 *
 * <p>One per client connection (or HTTP/2 stream), reused by its exchanges; confined to the
 * connection's event loop, as are the origin connections it uses (same loop, same pool).
 */
final class UpstreamAttempt implements UpstreamListener {
    private final Downstream down;
    private final GatewayMetrics metrics;
    private final ExchangeRecorder recorder;
    private final RoutingView view;
    private final UpstreamPool pool;
    private final GenericFutureListener<Future<UpstreamConnection>> onConnected = this::connected;
    private final ResponseTimer responseTimer;
    private final ResponseRelay relay;
    private final RequestSender sender;

    private Exchange x;
    private UpstreamConnection upstream;
    private Future<UpstreamConnection> pendingConnect;
    private boolean waitingDownstreamWritable;

    /** {@code perConnection}: the attempt serves a client connection's exchanges one after another (HTTP/1), not one stream. */
    UpstreamAttempt(Downstream down, ServerContext server, ExchangeRecorder recorder, RoutingView view, UpstreamPool pool, EventExecutor loop,
            boolean perConnection) {
        this.down = down;
        this.metrics = server.metrics();
        this.recorder = recorder;
        this.view = view;
        this.pool = pool;
        this.relay = new ResponseRelay(this, down, server, recorder, view);
        this.responseTimer = new ResponseTimer(loop, this::responseTimedOut, perConnection);
        this.sender = new RequestSender(this, down, pool, loop, perConnection);
    }

    /** Starts the exchange's first try, on the endpoint the pick chose. */
    void start(Exchange exchange) {
        x = exchange;
        sender.reset();
        waitingDownstreamWritable = false;
        if (exchange.hasBody && exchange.state.retryBufferBytes > 0) {
            exchange.body = new RequestBodyBuffer(exchange.state.retryBufferBytes);
        }
        beginTry();
    }

    void beginTry() {
        x.phase = Exchange.Phase.CONNECTING;
        x.tryStartNanos = LoopClock.nanoTime();
        if (x.busyEndpoint != x.endpoint) {
            endTry();
            x.busyEndpoint = x.endpoint;
            x.endpoint.requestStarted();
        }
        UpstreamTls tls = x.state.upstreamTls(x.cluster);
        boolean h2 = x.cluster.config().protocol() == ClusterConfig.Protocol.H2;
        UpstreamConnection c = x.staleRetried || h2 ? null : pool.poll(x.endpoint, tls);
        if (c != null) {
            ready(c);
            return;
        }
        ClusterHealth h = x.cluster.health();
        if (!h.mayOpenConnection()) {
            refuse(RouteStage.limit(x, ClusterHealth.Limit.MAX_CONNECTIONS, metrics));
            return;
        }
        if (!h.tryStartPending()) {
            refuse(RouteStage.limit(x, ClusterHealth.Limit.MAX_PENDING_REQUESTS, metrics));
            return;
        }
        x.pendingHeld = true;
        Future<UpstreamConnection> f = pool.connect(x.endpoint, tls, h2, x.state.connectTimeoutMillis, x.state.upstreamIdleNanos,
                x.cluster.config().maxIdleConnectionsPerEndpoint());
        pendingConnect = f;
        f.addListener(onConnected);
    }

    private void connected(Future<UpstreamConnection> f) {
        UpstreamConnection conn = f.isSuccess() ? f.getNow() : null;
        if (f != pendingConnect) {
            // The exchange that asked is gone; the fresh connection is clean, so pool it.
            if (conn != null) {
                conn.release();
            }
            return;
        }
        pendingConnect = null;
        RouteStage.releasePending(x);
        if (conn == null) {
            boolean timeout = f.cause() instanceof ConnectTimeoutException;
            boolean tlsFailed = f.cause() instanceof UpstreamPool.TlsHandshakeException;
            failed(timeout ? UpstreamError.CONNECT_TIMEOUT : tlsFailed ? UpstreamError.TLS_HANDSHAKE : UpstreamError.CONNECT_REFUSED,
                    Failure.CONNECT_FAILURE, 0, timeout ? 504 : 502, timeout ? "connecting to the origin timed out"
                            : tlsFailed ? "the TLS handshake with the origin failed" : "the origin refused the connection");
            return;
        }
        ready(conn);
    }

    private void ready(UpstreamConnection conn) {
        upstream = conn;
        conn.bind(this);
        x.phase = Exchange.Phase.STREAMING;
        x.upstreamReusable = true;
        x.tryStartNanos = LoopClock.nanoTime();
        // Watch for the response, or an early close, before the head goes: sending it may carry on
        // with the body and end the exchange there (a broken chunk) and close the connection, and
        // a read asked for after that would, on io_uring, leave a poll the close never cancels,
        // holding the socket open (no FIN to the origin) and the loop's shutdown waiting on it.
        conn.context().read();
        sender.head(x, conn);
    }

    /** A part of the request body (ownership passes): on its way to the origin ({@link RequestSender#body}). */
    void sendBody(HttpContent part) {
        sender.body(x, upstream, part);
    }

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        if (x == null || x.phase != Exchange.Phase.STREAMING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (Parts.isResponse(msg)) {
            relay.head(x, (HttpResponse) msg);
        } else if (Parts.isContent(msg)) {
            relay.content(x, (HttpContent) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void onUpstreamBytes(ByteBuf bytes) {
        bytes.release(); // only a tunnel takes raw bytes, and it binds itself
    }

    @Override
    public void onUpstreamReadComplete() {
        if (x == null || x.phase != Exchange.Phase.STREAMING || upstream == null) {
            return;
        }
        down.flush();
        if (down.writable()) {
            upstream.context().read();
        } else {
            waitingDownstreamWritable = true;
        }
    }

    /** The client can take more: read the origin on, if that waited. */
    void downstreamWritable() {
        if (waitingDownstreamWritable && upstream != null) {
            waitingDownstreamWritable = false;
            upstream.context().read();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable && x != null && x.phase == Exchange.Phase.STREAMING) {
            sender.upstreamWritable();
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (x == null || x.phase != Exchange.Phase.STREAMING || upstream == null) {
            return;
        }
        UpstreamConnection u = upstream;
        upstream = null;
        cancelResponseTimer();
        if (x.responseStarted) {
            // Part of the response is already with the client: it can only see the truncation.
            metrics.upstreamError(x.cluster.name(), UpstreamError.RESET);
            endTry();
            down.abort();
            return;
        }
        if ((u.reused() || u.unprocessed()) && !x.staleRetried && RetryController.replayable(x)) {
            // The origin closed a pooled connection just as the request went out (a normal
            // keep-alive race), or refused an HTTP/2 stream or left it past its GOAWAY (a graceful
            // restart). Nothing was processed, so the request goes again once, on a fresh
            // connection or stream to the same endpoint; not a failure, and not against the budget.
            x.staleRetried = true;
            beginTry();
            return;
        }
        failed(UpstreamError.RESET, Failure.RESET, 0, 502, "the origin closed the connection before responding");
    }

    @Override
    public void onUpstreamIdle() {
        if (x != null && x.phase == Exchange.Phase.STREAMING && !awaitingResponse()) {
            // A body stalled mid-stream for the whole idle timeout.
            dropUpstream();
            down.abort();
        }
    }

    /**
     * A try failed with none of its response sent: recorded against its endpoint, then retried
     * if the controller allows it, else answered with {@code status}.
     */
    private void failed(UpstreamError kind, Failure failure, int retryStatus, int status, String message) {
        recorder.tryFailed(x, kind);
        dropUpstream();
        if (RetryController.next(x, failure, retryStatus, view, metrics)) {
            beginTry();
            return;
        }
        refuse(Refusal.of(status, null, message));
    }

    /**
     * The exchange was quiet for the idle timeout. If it waited on the client for the rest of its
     * request body (no response begun, the origin taking all it was sent), it is answered 408 and
     * the origin connection, left with half a request, is dropped (Envoy's stream idle timeout).
     * False otherwise: the caller ends the exchange its own way.
     */
    boolean bodyTimedOut() {
        Exchange e = x;
        if (e == null || e.phase != Exchange.Phase.STREAMING || e.complete || e.responseStarted || sender.waitingOnOrigin()) {
            return false;
        }
        metrics.rejected(Rejection.BODY_TIMEOUT);
        refuse(Refusal.of(408, Rejection.BODY_TIMEOUT, "request body not received in time", true));
        return true;
    }

    void refuse(Refusal r) {
        dropUpstream();
        down.answer(x, r);
    }

    void startResponseTimer(long now) {
        responseTimer.armFor(x, now);
    }

    void cancelResponseTimer() {
        responseTimer.disarm();
    }

    /** Whether the try waits for the origin's response head (its timer is armed). */
    boolean awaitingResponse() {
        return responseTimer.armed();
    }

    private void responseTimedOut() {
        if (x == null || x.phase != Exchange.Phase.STREAMING || x.responseStarted) {
            return;
        }
        if (x.responseDeadlineNanos - LoopClock.nanoTime() > 0) {
            failed(UpstreamError.RESPONSE_TIMEOUT, Failure.TIMEOUT, 0, 504, "the origin did not respond in time");
        } else {
            recorder.tryFailed(x, UpstreamError.RESPONSE_TIMEOUT);
            refuse(Refusal.of(504, null, "the origin did not respond in time"));
        }
    }

    /** Closes the exchange's origin connection, if any (its state is unknown), and ends the try. */
    void dropUpstream() {
        cancelResponseTimer();
        pendingConnect = null;
        if (x != null) {
            RouteStage.releasePending(x);
        }
        UpstreamConnection u = upstream;
        upstream = null;
        if (u != null) {
            u.discard();
        }
        endTry();
    }

    /** The endpoint stops counting the exchange in flight. */
    void endTry() {
        if (x != null && x.busyEndpoint != null) {
            x.busyEndpoint.requestFinished();
            x.busyEndpoint = null;
        }
    }

    /** The exchange's origin connection, which the caller now owns (to pool, close or tunnel). */
    UpstreamConnection takeConnection() {
        UpstreamConnection u = upstream;
        upstream = null;
        return u;
    }

    /**
     * The origin connection now belongs to a tunnel, which keeps the endpoint counted in flight
     * for as long as it lasts: this attempt lets go of the exchange without ending its try.
     */
    void handOver() {
        responseTimer.close();
        upstream = null;
        x = null;
    }

    /** The client connection closed: nothing more will be sent upstream from it. */
    void close() {
        responseTimer.close();
    }

    /** The exchange is over for the origin side: drop what it holds. */
    void finish() {
        if (x == null) {
            return;
        }
        dropUpstream();
        if (x.body != null) {
            x.body.release();
        }
        x = null;
    }
}
