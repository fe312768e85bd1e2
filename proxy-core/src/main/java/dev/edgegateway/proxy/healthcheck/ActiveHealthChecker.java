package dev.edgegateway.proxy.healthcheck;

import dev.edgegateway.config.HealthCheckConfig;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.tls.UpstreamTls;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import dev.edgegateway.routing.Cluster;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.AttributeKey;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks: for every endpoint of every cluster that configures them, a
 * {@code GET path} on a fresh connection each interval (plus jitter), judged by status and
 * timeout; the verdicts feed {@link Endpoint#recordCheck}, whose thresholds damp flapping. Runs on
 * one event loop (the admin loop), never on a traffic loop, and never blocks.
 */
public final class ActiveHealthChecker {
    private static final Logger log = LoggerFactory.getLogger(ActiveHealthChecker.class);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private volatile boolean stopped;

    public ActiveHealthChecker(EventLoop loop, Class<? extends Channel> channelClass, AddressResolverGroup<? extends SocketAddress> resolver) {
        this.loop = loop;
        this.bootstrap = new Bootstrap().group(loop).channel(channelClass).resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // A TLS cluster is checked over TLS, verified as its traffic is.
                        Check c = ch.attr(CHECK).get();
                        if (c != null && c.tls() != null) {
                            ch.pipeline().addLast(c.tls().newHandler(ch.alloc(), c.endpoint().address()));
                        }
                        ch.pipeline().addLast(new HttpClientCodec());
                    }
                });
    }

    /** What checking one endpoint takes: its cluster's settings and TLS. */
    private record Check(Endpoint endpoint, HealthCheckConfig config, UpstreamTls tls) {}

    private static final AttributeKey<Check> CHECK = AttributeKey.valueOf("edge.healthcheck");

    /** Endpoint to check -> its cluster's check settings, for the config being served. */
    private volatile Map<Endpoint, Check> plan = Map.of();
    /** Endpoints with a check scheduled; touched only on {@link #loop}. */
    private final Set<Endpoint> running = new HashSet<>();

    /** Starts checking every endpoint of every cluster with a {@code healthCheck}. */
    public void start(Collection<Cluster> clusters) {
        update(clusters);
    }

    /**
     * Follows a new config: endpoints that gained a check start (their first check spread over
     * one interval), those that lost theirs stop after their current check, and the rest carry on
     * with the new settings from their next check. Health state itself is the endpoint's, kept.
     */
    public void update(Collection<Cluster> clusters) {
        Map<Endpoint, Check> next = new HashMap<>();
        for (Cluster c : clusters) {
            HealthCheckConfig hc = c.config().healthCheck();
            if (hc != null) {
                var tls = UpstreamTls.of(c.config().tls(), false);
                c.endpoints().forEach(e -> next.put(e, new Check(e, hc, tls)));
            }
        }
        plan = Map.copyOf(next);
        loop.execute(() -> {
            for (var entry : next.entrySet()) {
                if (running.add(entry.getKey())) {
                    long first = ThreadLocalRandom.current().nextLong(Math.max(1, entry.getValue().config().interval().toNanos()));
                    Endpoint e = entry.getKey();
                    loop.schedule(() -> check(e), first, TimeUnit.NANOSECONDS);
                }
            }
        });
    }

    public void stop() {
        stopped = true;
    }

    private void check(Endpoint endpoint) {
        Check check = plan.get(endpoint);
        if (stopped || check == null) {
            running.remove(endpoint); // no longer checked in the config being served
            return;
        }
        HealthCheckConfig hc = check.config();
        Probe probe = new Probe(endpoint, hc);
        bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, hc.timeout().toMillis()));
        bootstrap.attr(CHECK, check);
        ChannelFuture f = bootstrap.connect(UpstreamPool.socketAddress(endpoint.address()));
        bootstrap.attr(CHECK, null);
        probe.timeout = loop.schedule(() -> probe.finish(f.channel(), false), hc.timeout().toNanos(), TimeUnit.NANOSECONDS);
        f.addListener(done -> {
            if (!done.isSuccess()) {
                probe.finish(f.channel(), false);
                return;
            }
            f.channel().pipeline().addLast(probe);
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, hc.path());
            req.headers().set(HttpHeaderNames.HOST, endpoint.address().toString())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.USER_AGENT, "edge-gateway-health-check");
            f.channel().writeAndFlush(req);
        });
    }

    private final class Probe extends SimpleChannelInboundHandler<HttpObject> {
        private final Endpoint endpoint;
        private final HealthCheckConfig hc;
        private ScheduledFuture<?> timeout;
        private boolean done;

        Probe(Endpoint endpoint, HealthCheckConfig hc) {
            this.endpoint = endpoint;
            this.hc = hc;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse r) {
                finish(ctx.channel(), r.decoderResult().isSuccess() && hc.expectedStatus().contains(r.status().code()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish(ctx.channel(), false);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(ctx.channel(), false);
        }

        void finish(Channel ch, boolean passed) {
            if (done) {
                return;
            }
            done = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
            ch.close();
            Endpoint.Health before = endpoint.health();
            endpoint.recordCheck(passed, hc.healthyThreshold(), hc.unhealthyThreshold());
            if (endpoint.health() != before) {
                log.info("endpoint {} is now {}", endpoint, endpoint.health().name().toLowerCase());
            }
            if (!stopped) {
                long jitter = hc.jitter().isZero() ? 0 : ThreadLocalRandom.current().nextLong(hc.jitter().toNanos());
                loop.schedule(() -> check(endpoint), hc.interval().toNanos() + jitter, TimeUnit.NANOSECONDS);
            }
        }
    }
}
