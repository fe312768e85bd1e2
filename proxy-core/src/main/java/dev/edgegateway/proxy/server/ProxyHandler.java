package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.Parts;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.proxy.transport.LingeringClose;
import dev.edgegateway.proxy.transport.LoopClock;
import dev.edgegateway.proxy.transport.LoopFlushes;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of an HTTP/1.x connection (an HTTP/2 stream's is {@link H2Stream}): each request
 * head becomes an {@link Exchange}, which {@link RequestStages} runs through the request path to its
 * {@link UpstreamAttempt}; both answer through the {@link Downstream} methods here, and
 * {@link ExchangeRecorder} records it. One exchange at a time: decoded messages past the one asked
 * for (a GET's empty end, a pipelined request) wait here, one handed on per {@link #readRequest}
 * (Netty's {@code FlowControlHandler} without its hop and queue per message). After a 101 a {@link Tunnel} takes over.
 *
 * <p>Reading is explicit (auto-read is off on both sides): the client is read only while the
 * origin connection can take more, and the origin only while the client can take more, so a body
 * of any size streams through with a socket buffer or two in memory. Everything here runs on the
 * connection's event loop. A request or response part is either written on or released here.
 */
final class ProxyHandler extends ChannelDuplexHandler implements Downstream {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    private static final long DRAIN_IDLE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ServerContext server;
    private final GatewayMetrics metrics;
    private final ServerCodec codec;
    private final ConnectionInfo connection;

    private ChannelHandlerContext ctx;
    private RoutingView view;
    /** Decoded messages not asked for yet (see the class comment); released if the connection ends first. */
    private final ArrayDeque<Object> held = new ArrayDeque<>(4);
    private ExchangeRecorder recorder;
    private UpstreamAttempt upstream;
    private RequestStages stages;
    /** The exchange in progress; null between requests. */
    private Exchange current;
    /** Whether this connection's pipeline has a {@link ResponseCompressor} to tell which route's setting applies. */
    private boolean compressing;
    private boolean activated;
    private boolean closing;
    private boolean readPending;
    /** The next request waits for the client to take what was written: it reads no responses, so it gets no more of them. */
    private boolean readWhenWritable;
    private long lastActivityNanos;

    ProxyHandler(ServerContext server, ServerCodec codec, ConnectionInfo connection) {
        this.server = server;
        this.metrics = server.metrics();
        this.codec = codec;
        this.connection = connection;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.compressing = ctx.pipeline().get(ResponseCompressor.class) != null;
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
        view = new RoutingView(connection);
        recorder = new ExchangeRecorder(server, connection);
        upstream = new UpstreamAttempt(this, server, recorder, view, server.pool(ctx.channel().eventLoop()), ctx.executor(), true);
        stages = new RequestStages(server, connection, this, view, recorder, upstream, ctx.executor(), ctx.alloc());
        lastActivityNanos = LoopClock.nanoTime();
        readRequest();
    }

    // ---- requests ------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (readPending) {
            handle(msg);
        } else {
            held.add(msg);
        }
    }

    private void handle(Object msg) {
        readPending = false;
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (Parts.isRequest(msg)) {
            onRequest((HttpRequest) msg);
        } else if (Parts.isContent(msg)) {
            onRequestContent((HttpContent) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        if (current != null) { // cannot happen while this handler drives reads: never mix two exchanges
            ReferenceCountUtil.release(req);
            closeNow();
            return;
        }
        current = new Exchange(server.state(), codec.requestReceived(), server.draining());
        stages.begin(current, req);
    }

    private void onRequestContent(HttpContent content) {
        Exchange x = current;
        if (x == null) {
            content.release();
            return;
        }
        switch (x.phase) {
            case STREAMING, CONNECTING -> stages.body(x, content); // CONNECTING: a retry's, asked for before it failed
            case SKIPPING -> {
                boolean last = Parts.isLast(content);
                content.release();
                if (last) {
                    x.complete = true;
                    awaitNextRequest();
                } else {
                    readRequest();
                }
            }
            default -> content.release();
        }
    }

    // ---- Downstream: what the upstream attempt calls -------------------------------------------

    @Override
    public void write(HttpObject part) {
        if (compressing && part instanceof HttpResponse r && current != null) {
            ResponseCompressor.use(ctx.channel(), current.http10 ? null : current.compression, current, r);
        }
        ctx.write(part, ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public boolean writable() {
        return ctx.channel().isWritable();
    }

    /**
     * Asks for the next message: a held one at once, else from the socket. The demand stands until a message
     * arrives: a read that decodes to nothing (half a header block) is followed by another, in
     * {@link #channelReadComplete}. None once closing: on io_uring a read asked for after the close began outlives it.
     */
    @Override
    public void readRequest() {
        readPending = true;
        Object next = held.poll();
        if (next != null) {
            handle(next);
        } else if (!closing) {
            ctx.read();
        }
    }

    @Override
    public void sendContinue() {
        Exchange x = current;
        if (x != null && !x.continued) {
            x.continued = true;
            ctx.writeAndFlush(LocalResponses.continueResponse(), ctx.voidPromise());
        }
    }

    @Override
    public void answer(Exchange x, Refusal r) {
        x.rejected = r.label();
        respond(x, LocalResponses.of(r.status(), r.message(), ctx.alloc()), r.close());
    }

    @Override
    public void answer(Exchange x, FullHttpResponse response) {
        respond(x, response, false);
    }

    /**
     * Answers from the gateway itself. The connection stays open only if the client wants it and
     * no unread request body stands between this response and the next request.
     */
    private void respond(Exchange x, FullHttpResponse r, boolean close) {
        upstream.finish();
        RouteStage.releaseSlots(x);
        x.answeredLocally = true;
        x.status = r.status().code();
        x.responseBytes = x.head() ? 0 : r.content().readableBytes(); // a HEAD's answer sends none
        boolean closeAfter = close || !x.clientKeepAlive || server.draining() || x.closeAfterResponse || (x.hasBody && !x.complete);
        LocalResponses.decorate(r, x, closeAfter);
        // The gateway's own answers are compressed only when a route answers by itself (its page).
        if (compressing) {
            ResponseCompressor.use(ctx.channel(), x.http10 || x.route == null || x.rejected != null ? null : x.compression, x, r);
        }
        recorder.record(x);
        ChannelFuture written = ctx.writeAndFlush(r);
        if (closeAfter) {
            closing = true;
            LingeringClose.after(written, x.state.closeLingerNanos); // unread input must not reset the answer
        } else if (x.complete) {
            awaitNextRequest();
        } else {
            x.phase = Exchange.Phase.SKIPPING;
            readRequest();
        }
    }

    @Override
    public void responseDone(Exchange x, LastHttpContent last) {
        upstream.finish();
        RouteStage.releaseSlots(x);
        recorder.record(x);
        if (x.closeAfterResponse) {
            closing = true;
            LingeringClose.after(ctx.writeAndFlush(last), x.state.closeLingerNanos);
        } else {
            ctx.write(last, ctx.voidPromise()); // no promise to allocate per response
            LoopFlushes.later(ctx); // sent with the rest of this turn's sends, from here rather than the pipeline's tail
            awaitNextRequest();
        }
    }

    /**
     * The origin accepted the upgrade: its 101 was relayed; once its (empty) end is through the
     * codec, the exchange is recorded, as a 101, and gives back its cluster request slot (a
     * WebSocket may last for hours; maxRequests bounds requests, and maxConnections still bounds
     * tunnels), and a {@link Tunnel} takes this handler's place.
     */
    @Override
    public void tunnel(Exchange x, LastHttpContent end, UpstreamConnection origin) {
        ctx.writeAndFlush(end, ctx.voidPromise());
        upstream.handOver();
        RouteStage.releaseSlots(x);
        recorder.record(x);
        current = null;
        closing = true; // this handler is done with the connection
        Tunnel.install(ctx, server, recorder, x, origin);
    }

    @Override
    public void abort() {
        closeNow();
    }

    private void awaitNextRequest() {
        current = null;
        lastActivityNanos = LoopClock.nanoTime();
        codec.awaitRequest();
        readWhenWritable = !ctx.channel().isWritable(); // a pipelining client that reads no answers waits here
        if (!readWhenWritable) {
            readRequest();
        }
        if (server.draining()) {
            // Draining began after this response's head went out without "Connection: close": the client may already be
            // sending its next request. Closing now would reset it; close once quiet for the grace (it gets "Connection: close").
            closeIfIdle();
        }
    }

    // ---- connection events ---------------------------------------------------------------------

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readPending && !closing) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            upstream.downstreamWritable();
            if (readWhenWritable && current == null) {
                readWhenWritable = false;
                readRequest();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ServerCodec.HEADER_TIMEOUT) {
            if (current == null && !closing) {
                Exchange x = current = new Exchange(server.state(), codec.requestReceived(), true);
                metrics.rejected(Rejection.HEADER_TIMEOUT);
                answer(x, Refusal.of(408, Rejection.HEADER_TIMEOUT, "request headers not received in time", true));
            }
        } else if (evt instanceof IdleStateEvent) {
            // Idle with nothing in flight is the keep-alive timeout. Waiting on an origin for connect or response
            // headers has its own timers; a request body that stopped coming is answered 408; any other stall ends it.
            Exchange x = current;
            boolean waitingOnOrigin = x != null && (x.phase == Exchange.Phase.CONNECTING
                    || (x.phase == Exchange.Phase.STREAMING && upstream.awaitingResponse()));
            if (!waitingOnOrigin && (x == null || closing || !upstream.bodyTimedOut())) {
                closeNow();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (activated) {
            upstream.close();
        }
        closing = true;
        Exchange x = current;
        current = null;
        if (x != null) {
            // The client left mid-exchange: what it held is given back, and it is recorded as it stands.
            stages.abandon(x);
            upstream.finish();
            RouteStage.releaseSlots(x);
            recorder.record(x);
        }
        releaseHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld(); // a tunnel took over: what was decoded after the upgrade request is not HTTP
    }

    private void releaseHeld() {
        for (Object m = held.poll(); m != null; m = held.poll()) {
            ReferenceCountUtil.release(m);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) { // resets are routine at the edge
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
        if (current != null) {
            current.closeAfterResponse = true;
        }
        if (closing || current != null) {
            return;
        }
        long quiet = LoopClock.nanoTime() - lastActivityNanos;
        if (quiet >= DRAIN_IDLE_GRACE_NANOS) {
            closeNow();
        } else {
            ctx.executor().schedule(this::closeIfIdle, DRAIN_IDLE_GRACE_NANOS - quiet, TimeUnit.NANOSECONDS);
        }
    }

    private void closeNow() {
        closing = true;
        ctx.flush().close(); // what was relayed goes out (a cut-short response shows as one), then the close
    }
}
