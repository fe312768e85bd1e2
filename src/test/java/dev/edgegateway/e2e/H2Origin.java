package dev.edgegateway.e2e;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/2-only origin on loopback: h2c with prior knowledge, or h2 over TLS by ALPN when given
 * a context. Answers {@code h2 NAME PATH stream=ID body=BYTES}; counts connections and records
 * each request's stream id and headers. Can refuse requests unprocessed, as an origin at its
 * stream limit or restarting does.
 */
final class H2Origin implements AutoCloseable {
    record Seen(int streamId, String path, String forwardedProto, int bodyBytes, String te) {}

    final String name;
    final AtomicInteger connections = new AtomicInteger();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** The next this many requests are refused with REFUSED_STREAM (not processed, not in {@link #seen}). */
    final AtomicInteger refuseNext = new AtomicInteger();
    /** The next this many requests get a GOAWAY naming the stream before theirs as the last, and their connection closes. */
    final AtomicInteger goAwayNext = new AtomicInteger();
    /** The paths of requests refused either way. */
    final List<String> refused = new CopyOnWriteArrayList<>();
    private final EventLoopGroup group;
    private final Channel server;
    private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

    H2Origin(String name, SslContext tls) throws InterruptedException {
        this.name = name;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("h2origin-" + name, true), NioIoHandler.newFactory());
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        children.add(ch);
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel stream) {
                                int id = stream.stream().id();
                                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new HttpObjectAggregator(1 << 20),
                                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                                            @Override
                                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                                if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                                    refused.add(req.uri());
                                                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
                                                    return;
                                                }
                                                if (goAwayNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                                    refused.add(req.uri());
                                                    goAwayBefore(ctx.channel().parent(), id);
                                                    return;
                                                }
                                                int body = req.content().readableBytes();
                                                seen.add(new Seen(id, req.uri(), req.headers().get("x-forwarded-proto"), body, req.headers().get("te")));
                                                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                        Unpooled.copiedBuffer("h2 " + name + " " + req.uri() + " stream=" + id + " body=" + body, StandardCharsets.UTF_8));
                                                HttpUtil.setContentLength(r, r.content().readableBytes());
                                                r.headers().set("x-origin", name);
                                                ctx.writeAndFlush(r);
                                            }
                                        });
                            }
                        }));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /**
     * A restart's GOAWAY naming the stream before {@code id} as the last processed, then the
     * connection closed: written below the frame codec, which would name the last stream it saw.
     */
    private static void goAwayBefore(Channel connection, int id) {
        int last = Math.max(0, id - 2);
        byte[] frame = {0, 0, 8, 0x7, 0, 0, 0, 0, 0, (byte) (last >>> 24), (byte) (last >>> 16), (byte) (last >>> 8), (byte) last, 0, 0, 0, 0};
        connection.pipeline().firstContext().writeAndFlush(Unpooled.wrappedBuffer(frame)).addListener(f -> connection.close());
    }

    String address() {
        return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Closes every open connection, as an origin restarting would. */
    void dropConnections() {
        children.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        children.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
