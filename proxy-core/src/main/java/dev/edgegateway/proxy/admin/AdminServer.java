package dev.edgegateway.proxy.admin;

import dev.edgegateway.config.ConfigRenderer;
import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.proxy.server.ServerContext;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.BooleanSupplier;

/**
 * The admin listener: {@code /healthz}, {@code /ready}, {@code /metrics}, {@code /config}, {@code /clusters}. Runs on
 * its own event loop so that a scrape never delays traffic. Read-only for now.
 */
public final class AdminServer {
    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    public static AdminServer start(SocketAddress address, EventLoopGroup group, Class<? extends io.netty.channel.ServerChannel> channelClass,
                                    ServerContext server, BooleanSupplier ready) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, 60),
                                new HttpServerCodec(),
                                new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(64 * 1024),
                                new Handler(server, ready));
                    }
                });
        return new AdminServer(b.bind(address).sync().channel());
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ServerContext server;
        private final BooleanSupplier ready;

        Handler(ServerContext server, BooleanSupplier ready) {
            this.server = server;
            this.ready = ready;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).path();
            if (!HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
                send(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
                return;
            }
            switch (path) {
                case "/healthz" -> send(ctx, HttpResponseStatus.OK, "text/plain", "ok\n");
                case "/ready" -> {
                    if (server.draining()) {
                        send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", "draining\n");
                    } else if (!ready.getAsBoolean()) {
                        send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", "starting\n");
                    } else {
                        send(ctx, HttpResponseStatus.OK, "text/plain", "ready\n");
                    }
                }
                case "/metrics" -> send(ctx, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8", server.metrics().scrape());
                case "/config" -> {
                    ConfigSnapshot s = server.state().snapshot();
                    String body = "# source: " + s.source() + "\n# generation: " + s.generation() + "\n# sha256: " + s.sha256() + "\n"
                            + ConfigRenderer.toYaml(s.config());
                    FullHttpResponse r = response(ctx, HttpResponseStatus.OK, "application/yaml; charset=utf-8", body);
                    r.headers().set("x-config-generation", s.generation()).set("x-config-sha256", s.sha256());
                    ctx.writeAndFlush(r);
                }
                case "/clusters" -> send(ctx, HttpResponseStatus.OK, "application/json",
                        ClustersReport.json(server.state().clusters().values(), System.nanoTime()));
                default -> send(ctx, HttpResponseStatus.NOT_FOUND, "text/plain", "not found; try /healthz /ready /metrics /config /clusters\n");
            }
        }

        private static void send(ChannelHandlerContext ctx, HttpResponseStatus status, String type, String body) {
            ctx.writeAndFlush(response(ctx, status, type, body));
        }

        private static FullHttpResponse response(ChannelHandlerContext ctx, HttpResponseStatus status, String type, String body) {
            ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            return r;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

}
