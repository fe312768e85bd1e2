package dev.edgegateway.e2e;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/1.1 origin on 127.0.0.1 for tests, streaming (it never aggregates a body), that
 * counts what reaches it. Behaviour by path:
 * <ul>
 *   <li>{@code /upload}: reads the body, answers with the number of bytes received</li>
 *   <li>{@code /download?bytes=N}: streams N bytes (Content-Length), with backpressure</li>
 *   <li>{@code /stall}: never answers</li>
 *   <li>{@code /slow?ms=N}: answers after N ms</li>
 *   <li>{@code /early}: answers 413 at the head, before the body, and drops the body as it comes</li>
 *   <li>anything else: 200 with {@code origin <name> <path>}</li>
 * </ul>
 */
final class TestOrigin implements AutoCloseable {
    private static final byte[] FILL = new byte[64 * 1024];

    final String name;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicLong bytesReceived = new AtomicLong();
    final List<HttpRequest> seen = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> byPath = new ConcurrentHashMap<>();
    /** When not 0, every request but /healthz is answered with this status. */
    volatile int forceStatus;
    /** When more than 0: every this-many-th request is answered 500 (10: a 10% error rate). */
    volatile int failEvery;
    /** Added to every plain answer (not health checks): a slowed origin. */
    volatile int delayMillis;
    /** When true, every request but /healthz is read and never answered. */
    volatile boolean hang;
    /** When true, every request but /healthz is read whole, then its connection closed unanswered. */
    volatile boolean reset;
    /** The status /healthz answers; -1 alternates 200 and 500 on each check (flapping). */
    volatile int healthStatus = 200;
    final AtomicInteger healthChecks = new AtomicInteger();
    private final EventLoopGroup group;
    private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel server;

    TestOrigin(String name) throws InterruptedException {
        this(name, 0);
    }

    TestOrigin(String name, int port) throws InterruptedException {
        this(name, port, null);
    }

    /** An origin that speaks TLS with {@code tls} (a server context), for TLS-to-origin tests. */
    TestOrigin(String name, int port, io.netty.handler.ssl.SslContext tls) throws InterruptedException {
        this.name = name;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("origin-" + name, true), NioIoHandler.newFactory());
        this.server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        children.add(ch);
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(8192, 65536, 65536), new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections to this origin open now. */
    int openConnections() {
        return children.size();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Like a killed process: the listener and every connection close at once.
        server.close().syncUninterruptibly();
        children.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private HttpRequest request;
        private long uploaded;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest r && r.uri().equals("/healthz")) {
                request = r; // health checks are counted apart, not as traffic
                uploaded = 0;
                inFlight.incrementAndGet();
            } else if (msg instanceof HttpRequest r) {
                request = r;
                uploaded = 0;
                requests.incrementAndGet();
                seen.add(r);
                int now = inFlight.incrementAndGet();
                maxInFlight.accumulateAndGet(now, Math::max);
                byPath.computeIfAbsent(new QueryStringDecoder(r.uri()).path(), p -> new AtomicInteger()).incrementAndGet();
            }
            if (msg instanceof HttpContent c) {
                uploaded += c.content().readableBytes();
                bytesReceived.addAndGet(c.content().readableBytes());
            }
            boolean last = msg instanceof LastHttpContent;
            boolean early = request != null && request.uri().equals("/early");
            ReferenceCountUtil.release(msg);
            if (early && msg instanceof HttpRequest) {
                status(ctx, true, 413); // before the body, as an origin refusing an upload does
            } else if (last && !early) {
                respond(ctx, request, uploaded);
            }
        }

        private void respond(ChannelHandlerContext ctx, HttpRequest r, long uploaded) {
            QueryStringDecoder q = new QueryStringDecoder(r.uri());
            boolean keepAlive = HttpUtil.isKeepAlive(r);
            if (q.path().equals("/healthz")) {
                int n = healthChecks.incrementAndGet();
                int hs = healthStatus;
                int code = hs == -1 ? (n % 2 == 0 ? 500 : 200) : hs;
                send(ctx, keepAlive, HttpResponseStatus.valueOf(code), "health " + code, false);
                return;
            }
            if (hang) {
                return; // reads the request, never answers
            }
            if (reset) {
                inFlight.decrementAndGet();
                ctx.close(); // read it all, then gone: the gateway cannot know whether it was processed
                return;
            }
            int every = failEvery;
            if (every > 0 && requests.get() % every == 0) {
                status(ctx, keepAlive, 500);
                return;
            }
            if (forceStatus != 0) {
                status(ctx, keepAlive, forceStatus);
                return;
            }
            switch (q.path()) {
                case "/stall" -> { /* never answers */ }
                case "/slow" -> {
                    long ms = Long.parseLong(q.parameters().get("ms").get(0));
                    ctx.executor().schedule(() -> text(ctx, keepAlive, "slow " + name), ms, TimeUnit.MILLISECONDS);
                }
                case "/upload" -> text(ctx, keepAlive, Long.toString(uploaded));
                case "/download" -> download(ctx, Long.parseLong(q.parameters().get("bytes").get(0)), keepAlive);
                default -> text(ctx, keepAlive, "origin " + name + " " + q.path());
            }
        }

        private void status(ChannelHandlerContext ctx, boolean keepAlive, int code) {
            send(ctx, keepAlive, HttpResponseStatus.valueOf(code), "status " + code + " from " + name);
        }

        private void text(ChannelHandlerContext ctx, boolean keepAlive, String body) {
            send(ctx, keepAlive, HttpResponseStatus.OK, body);
        }

        private void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String body) {
            send(ctx, keepAlive, status, body, true);
        }

        private void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String body, boolean mayDelay) {
            inFlight.decrementAndGet();
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            resp.headers().set("x-origin", name);
            HttpUtil.setContentLength(resp, resp.content().readableBytes());
            HttpUtil.setKeepAlive(resp, keepAlive);
            int delay = delayMillis;
            if (delay > 0 && mayDelay) {
                ctx.executor().schedule(() -> write(ctx, resp, keepAlive), delay, TimeUnit.MILLISECONDS);
            } else {
                write(ctx, resp, keepAlive);
            }
        }

        private void write(ChannelHandlerContext ctx, FullHttpResponse resp, boolean keepAlive) {
            var f = ctx.writeAndFlush(resp);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private void download(ChannelHandlerContext ctx, long total, boolean keepAlive) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setContentLength(head, total);
            HttpUtil.setKeepAlive(head, keepAlive);
            ctx.write(head);
            new Object() {
                long left = total;

                void pump() {
                    while (left > 0 && ctx.channel().isWritable()) {
                        int n = (int) Math.min(FILL.length, left);
                        left -= n;
                        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(FILL, 0, n)));
                    }
                    if (left == 0) {
                        inFlight.decrementAndGet();
                        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                        return;
                    }
                    ctx.flush();
                    // Resume when the socket drains: backpressure, not buffering.
                    ctx.executor().execute(() -> waitWritable());
                }

                void waitWritable() {
                    if (!ctx.channel().isActive()) {
                        return;
                    }
                    if (ctx.channel().isWritable()) {
                        pump();
                    } else {
                        ctx.executor().schedule(this::waitWritable, 1, TimeUnit.MILLISECONDS);
                    }
                }
            }.pump();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
