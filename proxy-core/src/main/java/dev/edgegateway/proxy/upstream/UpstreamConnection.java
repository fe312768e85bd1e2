package dev.edgegateway.proxy.upstream;

import dev.edgegateway.proxy.http1.Parts;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.http1.ClientCodec;
import dev.edgegateway.proxy.tls.UpstreamTls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;

/**
 * One keep-alive connection to one endpoint, the last handler of its pipeline. Held by at most
 * one exchange at a time; between exchanges it waits in its event loop's {@link UpstreamPool}
 * with a read pending, so that an origin closing it (or, wrongly, sending bytes) is noticed
 * there and the connection is dropped rather than handed to the next request.
 * Confined to one event loop; not thread-safe.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final ClosedChannelException CLOSED = new ClosedChannelException();

    private final Endpoint endpoint;
    private final UpstreamPool pool;
    /** The TLS setup this connection was made with; null: clear text. */
    final UpstreamTls tls;
    /** An HTTP/2 stream rather than a connection: never pooled, closed when its exchange ends. */
    final boolean stream;
    private Channel channel;
    private ChannelHandlerContext ctx;
    private UpstreamListener listener;
    private int uses;
    private boolean counted;
    /** An HTTP/2 stream the origin said it did not process (REFUSED_STREAM, or past a GOAWAY's last stream). */
    private boolean unprocessed;

    UpstreamConnection(Endpoint endpoint, UpstreamPool pool, UpstreamTls tls) {
        this(endpoint, pool, tls, false);
    }

    UpstreamConnection(Endpoint endpoint, UpstreamPool pool, UpstreamTls tls, boolean stream) {
        this.endpoint = endpoint;
        this.pool = pool;
        this.tls = tls;
        this.stream = stream;
    }

    public Channel channel() {
        return channel;
    }

    /**
     * This handler's context, the pipeline's last: an exchange's reads, writes and flushes start
     * here rather than at the pipeline's tail. The same handlers see them (this one is inbound
     * only), with one context fewer to pass and the pipeline's own object not touched: at 256
     * connections an exchange's first touch of its origin connection's pipeline is a cache miss
     * (benchmarks/README.md, issue 24's thirty-fifth step).
     */
    public ChannelHandlerContext context() {
        return ctx;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** True if an earlier exchange used this connection: a failure may be a stale keep-alive. */
    public boolean reused() {
        return uses > 1;
    }

    /**
     * True if the origin said it did not process this HTTP/2 stream: it reset it with
     * REFUSED_STREAM, or its GOAWAY named an earlier last stream (RFC 9113 8.7). Such a request
     * may go again, whatever its method, as a stale keep-alive's may.
     */
    public boolean unprocessed() {
        return unprocessed;
    }

    /** Gives the connection to an exchange. */
    public void bind(UpstreamListener l) {
        listener = l;
        uses++;
    }

    /** Returns the connection to the pool (the exchange is done and the connection is clean). */
    public void release() {
        listener = null;
        pool.release(this);
    }

    /**
     * Writes bytes past the HTTP codec (for a tunnel after a 101) and flushes. Never pooled
     * afterwards: the exchange {@link #discard discards} the connection when the tunnel ends.
     */
    public void writeRaw(ByteBuf buf) {
        ClientCodec codec = channel.pipeline().get(ClientCodec.class);
        if (codec == null) {
            buf.release();
            return;
        }
        codec.writeRaw(buf);
    }

    /** Closes the connection (its state is unknown or it is not reusable). */
    public void discard() {
        listener = null;
        channel.close();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counted = true;
        endpoint.connected();
        endpoint.clusterHealth().connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener l = listener;
        if (l != null && Parts.isHttp(msg)) {
            l.onUpstreamMessage((HttpObject) msg);
        } else if (l != null && msg instanceof ByteBuf b) {
            l.onUpstreamBytes(b); // after a 101 the codec passes the origin's bytes through as they are
        } else {
            // Bytes from an origin while no request is outstanding: the connection is unusable.
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            endpoint.clusterHealth().connectionClosed();
            pool.onClosed(this);
        }
        UpstreamListener l = listener;
        listener = null;
        if (l != null) {
            l.onUpstreamClosed(CLOSED);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamListener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onUpstreamClosed(cause);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // Netty's multiplexer passes a stream's RST_STREAM, and a GOAWAY to each stream past its
        // last stream id, as events, before the stream closes.
        if (evt instanceof Http2ResetFrame r) {
            unprocessed |= r.errorCode() == Http2Error.REFUSED_STREAM.code();
            return;
        }
        if (evt instanceof Http2GoAwayFrame g) {
            unprocessed = true;
            g.release();
            return;
        }
        if (evt instanceof IdleStateEvent) {
            UpstreamListener l = listener;
            if (l != null) {
                l.onUpstreamIdle();
            } else {
                ctx.close(); // idle in the pool past upstreamIdle
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }
}
