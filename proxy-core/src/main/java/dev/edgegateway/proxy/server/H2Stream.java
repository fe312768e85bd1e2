package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.transport.LoopClock;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One HTTP/2 stream of a client connection as the client side of one exchange, without a channel
 * or pipeline of its own (as Armeria serves streams): its request runs through the same
 * {@link RequestStages} and {@link UpstreamAttempt} as an HTTP/1 request, and the response comes
 * back here as frames on the connection. Request DATA waits in the stream until the exchange
 * asks for it, and its flow-control window is given back only then, so a client is held back by
 * its stream's window while the origin is slow. A WebSocket over HTTP/2 (RFC 8441) becomes an
 * HTTP/1.1 upgrade to the origin and then an {@link H2Tunnel} of DATA frames.
 * Confined to the connection's event loop.
 */
final class H2Stream implements Downstream {
    private final H2Connection conn;
    final Http2FrameStream stream;
    private final RoutingView view;
    final UpstreamAttempt upstream;
    private final RequestStages stages;
    private final long startNanos = LoopClock.nanoTime();
    /** Request DATA (and trailers) not yet asked for. */
    private ArrayDeque<Object> inbound;
    private HttpRequest request;
    private Exchange x;
    private H2Tunnel tunnel;
    private boolean demand;
    private boolean delivering;
    private boolean interim;
    /** Compressing this stream's response; null when it is sent as it is. */
    private StreamCompressor compressor;
    private boolean extendedConnect;
    private boolean ended;
    private boolean tooLarge;
    /** The client ended its side of the stream (END_STREAM on HEADERS, DATA or trailers). */
    private boolean remoteEnded;
    /** The final response's HEADERS, held until the next part or the turn's flush (so an empty body ends them). */
    private Http2Headers pendingHead;
    /** A frame went either way since the connection's last idle look (set per frame, no clock read). */
    boolean active = true;
    /** No frame either way since then. */
    long quietSince;

    H2Stream(H2Connection conn, Http2FrameStream stream) {
        this.conn = conn;
        this.stream = stream;
        this.view = new RoutingView(conn.info);
        this.upstream = new UpstreamAttempt(this, conn.server, conn.recorder, view, conn.pool, conn.ctx.executor(), false);
        this.stages = new RequestStages(conn.server, conn.info, this, view, conn.recorder, upstream, conn.ctx.executor(), conn.ctx.alloc());
    }

    /**
     * The request's HEADERS: made into the HTTP/1 request the stages speak. Extended CONNECT for
     * WebSocket becomes the origin's upgrade request. False if they cannot be (the stream is reset).
     */
    boolean headers(Http2Headers h, boolean endStream, long maxHeaderListBytes) {
        if (H2Requests.listSize(h) > maxHeaderListBytes) {
            tooLarge = true; // answered 431 when it starts, like any refused request
        }
        try {
            extendedConnect = H2Requests.isWebSocketConnect(h);
            request = H2Requests.of(stream.id(), h, endStream, extendedConnect);
        } catch (Exception malformed) {
            return false;
        }
        remoteEnded = endStream;
        if (endStream || extendedConnect) {
            // An extended CONNECT's request is its HEADERS; the DATA that follows is the tunnel's.
            queue(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        return true;
    }

    /**
     * Whether the stream may be quiet now without being idle: a tunnel (its own, longer timeout
     * applies), or an exchange waiting on the origin's connect or response head, which have
     * timers of their own (as an HTTP/1 connection's idle timer spares them).
     */
    boolean quietAllowed(long quietNanos, long idleNanos, long tunnelIdleNanos) {
        if (tunnel != null) {
            return quietNanos < tunnelIdleNanos;
        }
        Exchange e = x;
        return quietNanos < idleNanos || e != null
                && (e.phase == Exchange.Phase.CONNECTING || e.phase == Exchange.Phase.STREAMING && upstream.awaitingResponse());
    }

    /** At the end of the read batch that brought the HEADERS, unless reset in it: the exchange begins. */
    void start() {
        if (ended) {
            return; // reset (or failed) before it began: it never reaches an origin
        }
        x = new Exchange(conn.server.state(), startNanos, conn.server.draining());
        if (tooLarge) {
            request.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("header list over maxHeaderListBytes")));
        }
        stages.begin(x, request);
    }

    /** DATA from the client (ownership passes); trailers come as a last content. */
    void data(Object part) {
        active = true;
        if (part instanceof LastHttpContent || (part instanceof Http2DataFrame d && d.isEndStream())) {
            remoteEnded = true;
        }
        if (tunnel != null) {
            tunnel.fromClient(part);
        } else {
            queue(part);
        }
    }

    private void queue(Object part) {
        if (inbound == null) {
            inbound = new ArrayDeque<>(4);
        }
        inbound.add(part);
        deliver();
    }

    @Override
    public void readRequest() {
        demand = true;
        deliver();
    }

    /** Hands queued parts to the exchange while it asks; iterative, as the exchange asks again from inside. */
    private void deliver() {
        if (delivering || x == null) {
            return;
        }
        delivering = true;
        boolean windowReturned = false;
        try {
            while (demand && inbound != null && !inbound.isEmpty() && !ended) {
                demand = false;
                Object part = inbound.poll();
                if (part instanceof Http2DataFrame d) {
                    conn.returnWindow(stream, d.initialFlowControlledBytes());
                    windowReturned = true;
                    part = d.isEndStream() ? new DefaultLastHttpContent(d.content()) : new DefaultHttpContent(d.content());
                }
                if (x.phase == Exchange.Phase.STREAMING || x.phase == Exchange.Phase.CONNECTING) {
                    stages.body(x, (HttpContent) part);
                } else {
                    ReferenceCountUtil.release(part);
                }
            }
        } finally {
            delivering = false;
        }
        if (windowReturned) {
            // Asked for from outside a client read too (an origin connect completing, its socket
            // draining): the WINDOW_UPDATE must go now, or the client waits for it forever.
            conn.ctx.flush();
        }
    }

    // ---- Downstream --------------------------------------------------------------------------

    @Override
    public void write(HttpObject part) {
        active = true;
        if (part instanceof HttpResponse r) {
            Http2Headers h;
            if (extendedConnect && r.status().code() == 101) {
                h = new DefaultHttp2Headers().status("200"); // RFC 8441 5: the stream is the tunnel
                H2Requests.copyWebSocketResponseHeaders(r.headers(), h);
            } else {
                interim = r.status().codeClass() == HttpStatusClass.INFORMATIONAL;
                if (!interim && x != null && x.compression != null) {
                    compressor = StreamCompressor.begin(x, r);
                }
                h = HttpConversionUtil.toHttp2Headers(r, false);
                if (!interim) {
                    pendingHead = h; // sent with the next part, or at the flush that ends this turn
                    return;
                }
            }
            conn.ctx.write(new DefaultHttp2HeadersFrame(h, false).stream(stream), conn.ctx.voidPromise());
        } else if (part instanceof LastHttpContent last) {
            if (interim) {
                interim = false; // the end of a 1xx head, not of the stream
                last.release();
            } else {
                writeLast(last);
            }
        } else if (part instanceof HttpContent c) {
            ByteBuf data = compressor != null && !interim ? compressor.encode(c.content(), conn.ctx.alloc()) : c.content();
            if (data.isReadable()) {
                sendPendingHead(false);
                conn.ctx.write(new DefaultHttp2DataFrame(data, false).stream(stream), conn.ctx.voidPromise());
            } else {
                data.release();
            }
        } else {
            ReferenceCountUtil.release(part);
        }
    }

    /**
     * The promise for the frame that ends the response. While the client still sends its body,
     * it is asked to stop once that frame is out (DATA waits for flow control, RST_STREAM would
     * not), without error (RFC 9113 8.1): the stream closes and Netty gives the connection back
     * the window of what was left unread. Kept open, the client waited for stream window forever.
     */
    private ChannelPromise endPromise() {
        if (remoteEnded) {
            return conn.ctx.voidPromise();
        }
        ChannelPromise p = conn.ctx.newPromise();
        p.addListener(f -> conn.ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR).stream(stream), conn.ctx.voidPromise()));
        return p;
    }

    private void writeLast(LastHttpContent last) {
        if (compressor != null) {
            last = last.replace(compressor.finish(last.content(), conn.ctx.alloc()));
            compressor = null;
        }
        if (pendingHead != null && !last.content().isReadable() && last.trailingHeaders().isEmpty()) {
            // Nothing after the head: one HEADERS frame that ends the stream. gRPC answers an
            // error this way (trailers-only); as HEADERS then an empty DATA, clients lost its status.
            last.release();
            sendPendingHead(true);
            return;
        }
        sendPendingHead(false);
        if (last.trailingHeaders().isEmpty()) {
            conn.ctx.write(new DefaultHttp2DataFrame(last.content(), true).stream(stream), endPromise());
            return;
        }
        if (last.content().isReadable()) {
            conn.ctx.write(new DefaultHttp2DataFrame(last.content(), false).stream(stream), conn.ctx.voidPromise());
        } else {
            last.release();
        }
        conn.ctx.write(new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), false), true).stream(stream),
                endPromise());
    }

    /** Sends the final response's HEADERS if they are still held. */
    private void sendPendingHead(boolean endStream) {
        Http2Headers h = pendingHead;
        if (h != null) {
            pendingHead = null;
            conn.ctx.write(new DefaultHttp2HeadersFrame(h, endStream).stream(stream), endStream ? endPromise() : conn.ctx.voidPromise());
        }
    }

    @Override
    public void flush() {
        sendPendingHead(false); // a head whose body comes later is not held past this turn
        conn.ctx.flush();
    }

    @Override
    public boolean writable() {
        return conn.writable(stream);
    }

    /** The connection or this stream's window can take more: the origin is read on. */
    void writabilityChanged() {
        if (writable()) {
            if (tunnel != null) {
                tunnel.clientWritable();
            } else {
                upstream.downstreamWritable();
            }
        }
    }

    @Override
    public void sendContinue() {
        if (x != null && !x.continued) {
            x.continued = true;
            conn.ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("100"), false).stream(stream),
                    conn.ctx.voidPromise());
        }
    }

    @Override
    public void answer(Exchange x, Refusal r) {
        x.rejected = r.label();
        answer(x, LocalResponses.of(r.status(), r.message(), conn.ctx.alloc()));
    }

    @Override
    public void answer(Exchange x, FullHttpResponse r) {
        upstream.finish();
        RouteStage.releaseSlots(x);
        x.answeredLocally = true;
        x.status = r.status().code();
        x.responseBytes = x.head() ? 0 : r.content().readableBytes(); // a HEAD's answer sends none
        LocalResponses.decorate(r, x, false);
        conn.recorder.record(x);
        ByteBuf body = StreamCompressor.localAnswer(x, r, conn.ctx.alloc());
        pendingHead = HttpConversionUtil.toHttp2Headers(r, false);
        writeLast(new DefaultLastHttpContent(body));
        conn.ctx.flush();
        end();
    }

    @Override
    public void responseDone(Exchange x, LastHttpContent last) {
        upstream.finish();
        RouteStage.releaseSlots(x);
        conn.recorder.record(x);
        writeLast(last);
        conn.ctx.flush();
        end();
    }

    @Override
    public void tunnel(Exchange x, LastHttpContent end, UpstreamConnection origin) {
        end.release();
        conn.ctx.flush(); // the 200 that opens the tunnel
        upstream.handOver();
        RouteStage.releaseSlots(x);
        conn.recorder.record(x);
        tunnel = new H2Tunnel(conn, this, x, origin);
        if (inbound != null) {
            while (!inbound.isEmpty()) {
                tunnel.fromClient(inbound.poll());
            }
        }
    }

    @Override
    public void abort() {
        conn.ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR).stream(stream), conn.ctx.voidPromise());
        closed();
    }

    /** The exchange is over for this stream: nothing more is delivered. */
    private void end() {
        ended = true;
        pendingHead = null;
        releaseInbound();
        if (compressor != null) {
            compressor.close();
            compressor = null;
        }
    }

    /** The stream closed (reset by the client, by the codec, or ended): give back what its exchange holds. */
    void closed() {
        end();
        if (tunnel != null) {
            tunnel.close();
            return;
        }
        Exchange e = x;
        if (e != null && !e.recorded) {
            stages.abandon(e);
            upstream.finish();
            RouteStage.releaseSlots(e);
            conn.recorder.record(e);
        }
    }

    private void releaseInbound() {
        for (Object o; inbound != null && (o = inbound.poll()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }
}
