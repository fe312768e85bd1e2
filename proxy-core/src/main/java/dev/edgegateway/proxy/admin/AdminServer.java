package dev.edgegateway.proxy.admin;

import dev.edgegateway.config.ConfigError;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.ConfigRenderer;
import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.proxy.reload.ConfigReloader;
import dev.edgegateway.proxy.rollout.Rollouts;
import dev.edgegateway.proxy.server.ServerContext;
import dev.edgegateway.proxy.transport.BindFailure;
import dev.edgegateway.proxy.transport.HttpDate;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The admin listener: {@code /healthz}, {@code /ready}, {@code /metrics}, {@code /config}, {@code /clusters},
 * {@code /rollouts} (and {@code POST /rollouts/{route}/{action}}, with the token), and the
 * operator console ({@code /ui}, its assets, and {@code /ui/state}, which it polls). Runs on its own event loop so
 * that a scrape or an open console never delays traffic. {@code PUT /config} and
 * {@code POST /config/validate} change or check the config, with the admin bearer token.
 */
public final class AdminServer {
    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    public static AdminServer start(SocketAddress address, EventLoopGroup group, Class<? extends ServerChannel> channelClass,
                                    ServerContext server, BooleanSupplier ready, ConfigReloader reloader, Executor reloads,
                                    Supplier<String> fileStatus,
                                    AdminToken token, IntSupplier redisUp, Rollouts rollouts) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, 60),
                                new HttpServerCodec(),
                                Dated.INSTANCE,
                                new OversizedDocuments(ConfigLoader.MAX_DOCUMENT_BYTES),
                                new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(ConfigLoader.MAX_DOCUMENT_BYTES),
                                new Handler(server, ready, reloader, reloads, token, redisUp, fileStatus, rollouts));
                    }
                });
        return new AdminServer(BindFailure.bind(b, address, "admin"));
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }

    /** Gives each of the admin's responses its {@code Date} (RFC 9110 6.6.1), whichever handler wrote it. */
    @ChannelHandler.Sharable
    private static final class Dated extends ChannelOutboundHandlerAdapter {
        static final Dated INSTANCE = new Dated();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpResponse r && !r.headers().contains(HttpHeaderNames.DATE)) {
                r.headers().set(HttpHeaderNames.DATE, HttpDate.now());
            }
            ctx.write(msg, promise);
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ServerContext server;
        private final BooleanSupplier ready;
        private final ConfigReloader reloader;
        private final Executor reloads;
        private final AdminToken token;
        private final IntSupplier redisUp;
        private final Supplier<String> fileStatus;
        private final Rollouts rollouts;

        Handler(ServerContext server, BooleanSupplier ready, ConfigReloader reloader, Executor reloads, AdminToken token,
                IntSupplier redisUp, Supplier<String> fileStatus, Rollouts rollouts) {
            this.rollouts = rollouts;
            this.redisUp = redisUp;
            this.fileStatus = fileStatus;
            this.server = server;
            this.ready = ready;
            this.reloader = reloader;
            this.reloads = reloads;
            this.token = token;
        }

        /**
         * {@code PUT /config} (apply) and {@code POST /config/validate} (check only), YAML body.
         * Both need the bearer token; the work runs on the reload executor, not this event loop,
         * and the answer is written when it is done.
         */
        private void mutate(ChannelHandlerContext ctx, FullHttpRequest req, boolean apply) {
            if (!authorized(ctx, req)) {
                return;
            }
            String text = req.content().toString(StandardCharsets.UTF_8);
            String source = "admin API (PUT /config)";
            reloads.execute(() -> {
                ConfigReloader.Result result = apply ? reloader.apply(text, source, "api") : reloader.validate(text, source);
                ctx.executor().execute(() -> answer(ctx, result, apply));
            });
        }

        /** Whether the request carries the admin bearer token; if not, the refusal is sent (403 read-only, 401 missing or wrong). */
        private boolean authorized(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (token == null) {
                send(ctx, HttpResponseStatus.FORBIDDEN, "application/json",
                        "{\"error\":\"the admin API is read-only: no admin token is configured (admin.tokenEnv / admin.tokenFile)\"}\n");
                return false;
            }
            if (!token.accepts(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                FullHttpResponse r = response(ctx, HttpResponseStatus.UNAUTHORIZED, "application/json",
                        "{\"error\":\"missing or wrong bearer token\"}\n");
                r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                ctx.writeAndFlush(r);
                return false;
            }
            return true;
        }

        /** {@code POST /rollouts/{route}/{action}}, with the token; answered when the rollout's store has moved. */
        private void rolloutAction(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
            if (!authorized(ctx, req)) {
                return;
            }
            String rest = path.substring("/rollouts/".length());
            int slash = rest.lastIndexOf('/');
            if (slash <= 0) {
                send(ctx, HttpResponseStatus.NOT_FOUND, "application/json", "{\"error\":\"expected POST /rollouts/{route}/{action}\"}\n");
                return;
            }
            String route = QueryStringDecoder.decodeComponent(rest.substring(0, slash));
            rollouts.act(route, rest.substring(slash + 1)).whenComplete((outcome, error) -> ctx.executor().execute(() -> {
                if (error == null) {
                    send(ctx, HttpResponseStatus.OK, "application/json", "{\"outcome\":" + ClustersReport.quote(outcome)
                            + ",\"rollout\":" + rollouts.json(route) + "}\n");
                    return;
                }
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                HttpResponseStatus status = cause instanceof IllegalArgumentException ? HttpResponseStatus.NOT_FOUND
                        : cause.getMessage() != null && cause.getMessage().contains("unreachable") ? HttpResponseStatus.SERVICE_UNAVAILABLE
                        : HttpResponseStatus.CONFLICT;
                send(ctx, status, "application/json", "{\"error\":" + ClustersReport.quote(String.valueOf(cause.getMessage())) + "}\n");
            }));
        }

        private void answer(ChannelHandlerContext ctx, ConfigReloader.Result result, boolean apply) {
            StringBuilder json = new StringBuilder();
            if (result.outcome() == ConfigReloader.ReloadOutcome.INVALID) {
                json.append("{\"outcome\":\"invalid\",\"generation\":").append(server.state().snapshot().generation()).append(",\"errors\":[");
                for (int i = 0; i < result.errors().size(); i++) {
                    ConfigError e = result.errors().get(i);
                    json.append(i == 0 ? "" : ",").append("{\"line\":").append(e.line()).append(",\"column\":").append(e.column())
                            .append(",\"field\":").append(ClustersReport.quote(e.path()))
                            .append(",\"message\":").append(ClustersReport.quote(e.message()))
                            .append(",\"text\":").append(ClustersReport.quote(e.toString())).append('}');
                }
                json.append("]}\n");
                send(ctx, HttpResponseStatus.BAD_REQUEST, "application/json", json.toString());
                return;
            }
            ConfigSnapshot s = result.snapshot();
            json.append("{\"outcome\":\"").append(result.outcome().name().toLowerCase(Locale.ROOT))
                    .append("\",\"generation\":").append(s.generation())
                    .append(",\"sha256\":\"").append(s.sha256()).append("\",\"changes\":").append(ClustersReport.quote(result.changes())).append("}\n");
            send(ctx, HttpResponseStatus.OK, "application/json", json.toString());
        }

        /** The comment line naming what the document changes that waits for a restart, or nothing. */
        private static String waiting(List<String> atStart) {
            return atStart.isEmpty() ? ""
                    : "# waiting for a restart: " + String.join(", ", atStart) + " (served as the config at start has them)\n";
        }

        /** What {@code /ready} says (200 when it starts with "ready"). */
        private String readiness() {
            if (server.draining()) {
                return "draining";
            }
            if (!ready.getAsBoolean()) {
                return "starting";
            }
            // Still serving when Redis is down: each distributed policy answers by its fail-open/closed setting.
            return redisUp.getAsInt() == 0
                    ? "ready (degraded: Redis for rate limits is unreachable; distributed policies fail open or closed as configured)"
                    : "ready";
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).path();
            if (path.equals("/config") && HttpMethod.PUT.equals(req.method())) {
                mutate(ctx, req, true);
                return;
            }
            if (path.equals("/config/validate") && HttpMethod.POST.equals(req.method())) {
                mutate(ctx, req, false);
                return;
            }
            if (path.startsWith("/rollouts/") && HttpMethod.POST.equals(req.method())) {
                rolloutAction(ctx, req, path);
                return;
            }
            boolean read = HttpMethod.GET.equals(req.method()) || HttpMethod.HEAD.equals(req.method());
            String allow = allowed(path);
            if (allow == null && !read) {
                notFound(ctx);
                return;
            }
            if (allow != null && !(read && allow.startsWith("GET"))) {
                FullHttpResponse r = response(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain",
                        req.method() + " is not served at " + path + "; it takes " + allow + "\n");
                r.headers().set(HttpHeaderNames.ALLOW, allow); // a 405 names what is allowed (RFC 9110 15.5.6)
                ctx.writeAndFlush(r);
                return;
            }
            switch (path) {
                case "/healthz" -> send(ctx, HttpResponseStatus.OK, "text/plain", "ok\n");
                case "/ready" -> {
                    String readiness = readiness();
                    send(ctx, readiness.startsWith("ready") ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", readiness + "\n");
                }
                case "/metrics" -> send(ctx, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8", server.metrics().scrape());
                case "/config" -> {
                    ConfigSnapshot s = server.state().snapshot();
                    String file = fileStatus.get();
                    String body = "# source: " + s.source() + "\n# generation: " + s.generation() + "\n# sha256: " + s.sha256() + "\n"
                            + (file == null ? "" : "# watched file: " + file + "\n")
                            + waiting(reloader.waitingForRestart(s.config()))
                            + ConfigRenderer.toYaml(s.config());
                    FullHttpResponse r = response(ctx, HttpResponseStatus.OK, "application/yaml; charset=utf-8", body);
                    r.headers().set("x-config-generation", s.generation()).set("x-config-sha256", s.sha256());
                    ctx.writeAndFlush(r);
                }
                case "/rollouts" -> send(ctx, HttpResponseStatus.OK, "application/json", rollouts.json());
                case "/clusters" -> send(ctx, HttpResponseStatus.OK, "application/json",
                        ClustersReport.json(server.state().clusters().values(), System.nanoTime()));
                case "/ui/state" -> {
                    FullHttpResponse r = response(ctx, HttpResponseStatus.OK, "application/json",
                            ConsoleState.json(server.state(), reloader.history(), redisUp.getAsInt(), readiness(), System.nanoTime(),
                                    rollouts::json));
                    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
                    ctx.writeAndFlush(r);
                }
                case "/ui", "/ui/", "/ui/app.js", "/ui/app.css" -> {
                    Console.Asset a = Console.asset(path);
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(a.bytes()));
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, a.type()).setInt(HttpHeaderNames.CONTENT_LENGTH, a.bytes().length);
                    Console.secure(r.headers());
                    ctx.writeAndFlush(r);
                }
                default -> {
                    String one = path.startsWith("/rollouts/") ? rollouts.json(QueryStringDecoder.decodeComponent(path.substring("/rollouts/".length()))) : null;
                    if (one != null) {
                        send(ctx, HttpResponseStatus.OK, "application/json", one + "\n");
                    } else {
                        notFound(ctx);
                    }
                }
            }
        }

        /**
         * The methods {@code path} takes when a GET or HEAD of it is not what {@link #channelRead0}
         * serves ({@code "POST"}, {@code "GET, HEAD, PUT"}); {@code "GET, HEAD"} for a path only read;
         * null for a path the admin does not have.
         */
        private String allowed(String path) {
            switch (path) {
                case "/config":
                    return "GET, HEAD, PUT";
                case "/config/validate":
                    return "POST";
                case "/healthz", "/ready", "/metrics", "/rollouts", "/clusters", "/ui/state", "/ui", "/ui/", "/ui/app.js", "/ui/app.css":
                    return "GET, HEAD";
                default:
                    if (!path.startsWith("/rollouts/")) {
                        return null;
                    }
                    String rest = path.substring("/rollouts/".length());
                    if (rollouts.json(QueryStringDecoder.decodeComponent(rest)) != null) {
                        return "GET, HEAD";
                    }
                    int slash = rest.lastIndexOf('/');
                    return slash > 0 && Rollouts.ACTIONS.contains(rest.substring(slash + 1)) ? "POST" : null;
            }
        }

        private static void notFound(ChannelHandlerContext ctx) {
            send(ctx, HttpResponseStatus.NOT_FOUND, "text/plain", "not found; try /healthz /ready /metrics /config /clusters /rollouts /ui"
                    + " (PUT /config, POST /config/validate, POST /rollouts/{route}/pause|resume|promote|abort|restart)\n");
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
            // Idle for a minute: closed. Other events pass: the output shutdown that starts the
            // linger after a 413 (OversizedDocuments) closed the connection with the client's body
            // unread, and the reset could reach curl before the 413 did ("Send failure: Broken pipe").
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

}
