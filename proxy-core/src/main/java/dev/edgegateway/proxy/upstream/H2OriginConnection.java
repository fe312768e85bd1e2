package dev.edgegateway.proxy.upstream;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.tls.UpstreamTls;
import dev.edgegateway.proxy.transport.IdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;

/**
 * The one HTTP/2 connection to an endpoint from one event loop, and the last handler of its
 * pipeline. Each exchange gets a stream of its own ({@link #openStream}), seen by the request path
 * as an {@link UpstreamConnection} that is never pooled: the stream ends with its exchange. Streams
 * asked for while the connection is still being made wait for it. After a GOAWAY from the origin
 * (or an error) the connection takes no new streams, the pool opens another for the next
 * exchange, and streams already open finish. Idle with no stream open, it closes.
 * Confined to its event loop.
 */
final class H2OriginConnection extends ChannelInboundHandlerAdapter {
    private final Endpoint endpoint;
    final UpstreamTls tls;
    private final UpstreamPool pool;
    private final ArrayDeque<Promise<UpstreamConnection>> waiting = new ArrayDeque<>();
    private ChannelFuture connected;
    private Channel channel;
    private Http2FrameCodec codec;
    private long idleNanos;
    private boolean goingAway;

    H2OriginConnection(Endpoint endpoint, UpstreamTls tls, UpstreamPool pool) {
        this.endpoint = endpoint;
        this.tls = tls;
        this.pool = pool;
    }

    /** Builds the connection's pipeline (after TLS, if any): frame codec, stream multiplexer, this. */
    void initParent(Channel ch, long idleNanos, int maxResponseHeaderBytes) {
        this.idleNanos = idleNanos;
        codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).maxHeaderListSize(maxResponseHeaderBytes))
                .validateHeaders(true)
                .build();
        ch.config().setAutoRead(true); // control frames flow freely; each stream reads on demand
        ch.pipeline().addLast(new IdleTimer(idleNanos), codec, new Http2MultiplexHandler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg); // no server push (disabled in our settings)
                ctx.close();
            }
        }), this);
    }

    void connecting(ChannelFuture f) {
        connected = f;
        channel = f.channel();
        f.addListener(done -> {
            Promise<UpstreamConnection> p;
            while ((p = waiting.poll()) != null) {
                openStream(p);
            }
            if (!done.isSuccess()) {
                pool.h2Closed(endpoint, this);
            }
        });
    }

    /** Whether new streams may go on this connection. */
    boolean usable() {
        return !goingAway && (!connected.isDone() || (connected.isSuccess() && channel.isActive()));
    }

    void openStream(Promise<UpstreamConnection> p) {
        if (!connected.isDone()) {
            waiting.add(p);
            return;
        }
        if (!connected.isSuccess()) {
            p.tryFailure(connected.cause());
            return;
        }
        new Http2StreamChannelBootstrap(channel).handler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.config().setAutoRead(false);
                stream.pipeline().addLast(new IdleTimer(idleNanos), new H2ClientStreamCodec(tls != null),
                        new UpstreamConnection(endpoint, pool, tls, true));
            }
        }).open().addListener(f -> {
            if (f.isSuccess()) {
                p.trySuccess(((Channel) f.getNow()).pipeline().get(UpstreamConnection.class));
            } else {
                p.tryFailure(f.cause());
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2GoAwayFrame) {
            goingAway = true; // open streams finish; new ones go to a new connection
            pool.h2Closed(endpoint, this);
        }
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (codec.connection().numActiveStreams() == 0) {
                goingAway = true;
                pool.h2Closed(endpoint, this);
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        goingAway = true;
        pool.h2Closed(endpoint, this);
        pool.h2ConnectionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Protocol errors are answered by the codec; anything else ends the connection (its streams see it close).
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) == null) {
            ctx.close();
        }
    }
}
