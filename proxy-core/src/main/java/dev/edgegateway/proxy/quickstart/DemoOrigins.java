package dev.edgegateway.proxy.quickstart;

import dev.edgegateway.proxy.transport.BindFailure;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Small HTTP origins for trying the gateway: each answers every request with its own name, the
 * request line and the request's headers as they arrived (framing aside), so a person can see
 * which origin answered and what the gateway told it (forwarding headers, header rules).
 * {@code /big} pads the answer to {@value #BIG_BYTES} bytes of text, enough for a route's
 * compression to act on. Not for production traffic.
 */
public final class DemoOrigins implements AutoCloseable {
    /** The size of the text {@code /big} answers with. */
    static final int BIG_BYTES = 32 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("demo-origin", true), NioIoHandler.newFactory());
    private final List<Channel> channels = new ArrayList<>();

    /** Starts one origin per port on 127.0.0.1, named {@code origin-<port>}. */
    public static DemoOrigins start(List<Integer> ports) throws InterruptedException {
        DemoOrigins origins = new DemoOrigins();
        try {
            for (int port : ports) {
                origins.channels.add(origins.bind(port));
            }
        } catch (RuntimeException | InterruptedException e) {
            origins.close();
            throw e;
        }
        return origins;
    }

    private Channel bind(int port) throws InterruptedException {
        String name = "origin-" + port;
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(1 << 20),
                                new WebSocketServerProtocolHandler("/ws"), new WebSocketEcho(name),
                                new Echo(name));
                    }
                });
        return BindFailure.bind(b, new InetSocketAddress("127.0.0.1", port), "demo " + name);
    }

    @Override
    public void close() {
        channels.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** WebSocket at /ws: each text message comes back prefixed with the origin's name. */
    private static final class WebSocketEcho extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        private final String name;

        WebSocketEcho(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            ctx.writeAndFlush(new TextWebSocketFrame(name + ": " + frame.text()));
        }
    }

    private static final class Echo extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String name;

        Echo(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            StringBuilder sb = new StringBuilder()
                    .append("hello from ").append(name).append('\n')
                    .append(req.method()).append(' ').append(req.uri()).append('\n');
            for (var h : req.headers()) {
                String header = h.getKey().toLowerCase(Locale.ROOT);
                // Framing aside: the aggregator rewrites it (a content-length: 0 the gateway never
                // sent), and the body's size is the next line.
                if (!header.equals("content-length") && !header.equals("transfer-encoding")) {
                    sb.append(header).append(": ").append(h.getValue()).append('\n');
                }
            }
            sb.append("body bytes: ").append(req.content().readableBytes()).append('\n');
            String path = req.uri().split("\\?", 2)[0];
            if (path.equals("/big")) {
                for (int line = 0; sb.length() < BIG_BYTES; line++) {
                    sb.append("line ").append(line).append(" of a large text answer, for compression to act on\n");
                }
            }
            ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(), sb);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8").set("x-origin", name);
            HttpUtil.setContentLength(r, body.readableBytes());
            ctx.writeAndFlush(r);
        }
    }
}
