package dev.edgegateway.proxy.server;

import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.Http2Config;
import dev.edgegateway.proxy.transport.IdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * An HTTP/2 client connection: Netty's frame codec with the listener's limits, one child channel
 * per stream running the same {@link ProxyHandler} as HTTP/1.1 (through {@link H2StreamCodec}),
 * and this handler, which counts the connection, closes it when idle with no stream open, and is
 * what drain closes (the codec then sends GOAWAY and lets open streams finish).
 *
 * <p>Flow control: the connection reads freely (HTTP/2 multiplexes control frames with data);
 * each stream reads only when its exchange asks, so a stream's unread DATA waits in its child
 * channel and the client is held back by that stream's window, not by the connection.
 */
final class H2Connection extends ChannelInboundHandlerAdapter {
    private final ServerContext server;
    private final Http2FrameCodec codec;
    private boolean counted;

    private H2Connection(ServerContext server, Http2FrameCodec codec) {
        this.server = server;
        this.codec = codec;
    }

    /** Turns {@code ch} (its TLS, if any, already in place) into an HTTP/2 server connection. */
    static void configure(Channel ch, ServerContext server, Http2Config h2, ConnectionInfo info) {
        GatewayConfig c = server.state().config();
        int maxHeaderList = h2.maxHeaderListBytes() != null ? h2.maxHeaderListBytes() : c.limits().maxHeaderBytes();
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(h2.maxConcurrentStreams())
                        .maxHeaderListSize(maxHeaderList)
                        .initialWindowSize(h2.initialWindowBytes())
                        .maxFrameSize(h2.maxFrameBytes()))
                .validateHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(h2.maxResetsPerWindow(), (int) Math.max(1, h2.resetWindow().toSeconds()))
                .decoderEnforceMaxConsecutiveEmptyDataFrames(2)
                .gracefulShutdownTimeoutMillis(c.drain().timeout().toMillis())
                .build();
        long idleNanos = c.timeouts().idle().toNanos();
        ChannelInitializer<Http2StreamChannel> streams = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.config().setAutoRead(false);
                stream.pipeline().addLast(
                        new IdleTimer(idleNanos),
                        new H2StreamCodec(),
                        new io.netty.handler.flow.FlowControlHandler(), // one message per read, as on HTTP/1.1
                        new ProxyHandler(server, null, info));
            }
        };
        ChannelPipeline p = ch.pipeline();
        p.addLast(codec, new Http2MultiplexHandler(streams), new H2Connection(server, codec));
        ch.config().setAutoRead(true);
        ch.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            count(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        count(ctx);
        ctx.fireChannelActive();
    }

    private void count(ChannelHandlerContext ctx) {
        if (!counted) {
            counted = true;
            server.metrics().downstreamOpened(); // (tracked for drain since accept: DownstreamInitializer)
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            server.metrics().downstreamClosed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            // Idle with no stream open: the keep-alive timeout (GOAWAY, then close). Streams
            // waiting on an origin are bounded by their own timers.
            if (codec.connection().numActiveStreams() == 0) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Protocol errors are the codec's: it fires them here first, then answers with RST_STREAM
        // or GOAWAY (ENHANCE_YOUR_CALM for a rapid reset); closing now would pre-empt that answer
        // with a plain GOAWAY. Anything else (a reset connection) ends the connection.
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) == null) {
            ctx.close();
        }
    }
}
