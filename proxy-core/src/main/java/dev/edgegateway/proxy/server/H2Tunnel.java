package dev.edgegateway.proxy.server;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import dev.edgegateway.proxy.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * A WebSocket over one HTTP/2 stream (RFC 8441) after the origin's 101: the client's DATA goes to
 * the origin as bytes, the origin's bytes come back as DATA, each way held back while the other
 * side cannot take more (the stream's window is given back only as its bytes reach the origin).
 * The client's END_STREAM or the origin's close ends it. The endpoint counts it in flight until
 * then, and the access log gets a {@code tunnel} line, as for an HTTP/1 {@link Tunnel}.
 * Confined to the connection's event loop.
 */
final class H2Tunnel implements UpstreamListener {
    private final H2Connection conn;
    private final H2Stream stream;
    private final Exchange upgrade;
    private final UpstreamConnection origin;
    /** Client DATA waiting for the origin to take more. */
    private final ArrayDeque<Http2DataFrame> pending = new ArrayDeque<>(2);
    private Endpoint busy;
    private boolean waitingClient;
    private boolean closed;

    H2Tunnel(H2Connection conn, H2Stream stream, Exchange upgrade, UpstreamConnection origin) {
        this.conn = conn;
        this.stream = stream;
        this.upgrade = upgrade;
        this.origin = origin;
        this.busy = upgrade.busyEndpoint;
        upgrade.busyEndpoint = null;
        conn.server.metrics().tunnelOpened();
        origin.bind(this);
        origin.channel().read();
    }

    /** A DATA frame from the client (ownership passes). */
    void fromClient(Object part) {
        if (closed || !(part instanceof Http2DataFrame d)) {
            ReferenceCountUtil.release(part);
            return;
        }
        pending.add(d);
        drainToOrigin();
    }

    private void drainToOrigin() {
        Http2DataFrame d;
        while (!closed && origin.channel().isWritable() && (d = pending.poll()) != null) {
            conn.returnWindow(stream.stream, d.initialFlowControlledBytes());
            boolean end = d.isEndStream();
            if (d.content().isReadable()) {
                origin.writeRaw(d.content());
            } else {
                d.release();
            }
            if (end) {
                // The client is done: so is the session; the stream ends our way too.
                conn.ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true).stream(stream.stream), conn.ctx.voidPromise());
                close();
                return;
            }
        }
        conn.ctx.flush(); // the window updates
    }

    @Override
    public void onUpstreamBytes(ByteBuf bytes) {
        stream.active = true;
        conn.ctx.write(new DefaultHttp2DataFrame(bytes, false).stream(stream.stream), conn.ctx.voidPromise());
    }

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        ReferenceCountUtil.release(msg); // the codec passes bytes through after a 101
    }

    @Override
    public void onUpstreamReadComplete() {
        conn.ctx.flush();
        if (stream.writable()) {
            origin.channel().read();
        } else {
            waitingClient = true;
        }
    }

    /** The stream (or connection) can take more: read the origin on. */
    void clientWritable() {
        if (waitingClient) {
            waitingClient = false;
            origin.channel().read();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable) {
            drainToOrigin();
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (!closed) {
            // The origin ended the session: the client gets what was sent, then the stream's end.
            conn.ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true).stream(stream.stream), conn.ctx.voidPromise());
            close();
        }
    }

    @Override
    public void onUpstreamIdle() {
        // The connection's idle timer and the client decide; the origin's quiet alone is not the end.
    }

    /** Ends the tunnel once: the origin connection goes, the endpoint stops counting it, one log line. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Http2DataFrame d; (d = pending.poll()) != null; ) {
            d.release();
        }
        origin.discard();
        if (busy != null) {
            busy.requestFinished();
            busy = null;
        }
        conn.recorder.tunnelClosed(upgrade);
    }
}
