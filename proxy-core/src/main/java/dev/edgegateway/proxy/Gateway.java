package dev.edgegateway.proxy;

import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.config.Durations;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.ListenerConfig;
import dev.edgegateway.config.RuntimeConfig;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.proxy.admin.AdminServer;
import dev.edgegateway.proxy.admin.AdminToken;
import dev.edgegateway.proxy.healthcheck.ActiveHealthChecker;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.observe.AccessLog;
import dev.edgegateway.proxy.observe.Tracing;
import dev.edgegateway.proxy.reload.ConfigReloader;
import dev.edgegateway.proxy.rollout.Rollouts;
import dev.edgegateway.proxy.reload.ConfigWatcher;
import dev.edgegateway.proxy.server.AcceptErrors;
import dev.edgegateway.proxy.server.DownstreamInitializer;
import dev.edgegateway.proxy.server.CompiledConfig;
import dev.edgegateway.proxy.server.ServerContext;
import dev.edgegateway.proxy.tls.ListenerCertificates;
import dev.edgegateway.proxy.tls.ServerTls;
import dev.edgegateway.proxy.transport.BindFailure;
import dev.edgegateway.proxy.transport.ListenerSockets;
import dev.edgegateway.proxy.transport.LoopClock;
import dev.edgegateway.proxy.transport.Transport;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import dev.edgegateway.ratelimit.RateLimiters;
import io.micrometer.core.instrument.Gauge;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: its listeners, admin port, event loops and origin pools. {@link #start}
 * returns once every listener is bound and {@code /ready} says so; {@link #drainAndStop()} is
 * what SIGTERM does. Thread-safe.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final Transport transport;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final EventLoopGroup adminLoop;
    private final DnsAddressResolverGroup resolver;
    private final ServerContext server;
    private final EndpointRegistry endpoints;
    private final RateLimiters limiters;
    private final Rollouts rollouts;
    private final ActiveHealthChecker healthChecker;
    private final Map<String, Channel> listeners = new LinkedHashMap<>();
    private final ConfigReloader reloader;
    private final ExecutorService reloads;
    private ConfigWatcher watcher;
    private AdminServer admin;
    private volatile boolean ready;
    private volatile boolean stopped;

    private final Tracing tracing;
    private final AccessLog accessLog;
    /** Each TLS listener's certificates, by listener name. */
    private final Map<String, ServerTls> listenerTls = new LinkedHashMap<>();
    private final ScheduledExecutorService tlsWatch;
    private final ListenerCertificates certificates;
    /** Closes retired route tables after {@link #RETIRE_AFTER_SECONDS}. */
    private final ScheduledExecutorService retirements = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "edge-retire");
        t.setDaemon(true);
        return t;
    });

    private Gateway(ConfigSnapshot snapshot, SpanExporter spanExporter) {
        GatewayConfig config = snapshot.config();
        transport = Transport.select(config.runtime().transport());
        int threads = config.runtime().workerThreads() > 0 ? config.runtime().workerThreads() : Runtime.getRuntime().availableProcessors();
        String reasons = config.runtime().transport() == RuntimeConfig.Transport.AUTO ? Transport.unavailableReasons() : "";
        Duration spin = config.runtime().idleSpinOn(transport.kind()), nap = config.runtime().idleNapOn(transport.kind());
        log.info("transport: {} with {} event loop(s), idle spin {}, idle nap {}{}", transport.name(), threads, Durations.format(spin),
                Durations.format(nap), reasons.isEmpty() ? "" : " (" + reasons + ")");
        acceptor = transport.newGroup(1, "edge-accept");
        workers = transport.newTrafficGroup(threads, "edge-worker", spin.toNanos(), nap.toNanos());
        adminLoop = transport.newGroup(1, "edge-admin");
        resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(transport.datagramChannelClass()));
        GatewayMetrics metrics = new GatewayMetrics();
        // Which transport serves (auto: epoll, else NIO; io_uring only when named): 1, labelled.
        Gauge.builder("edge.transport.info", () -> 1).tag("transport", transport.name())
                .description("The I/O transport the event loops run on (runtime.transport; auto: epoll, else NIO)")
                .register(metrics.registry());
        endpoints = new EndpointRegistry(metrics, LoopClock::nanoTime);
        Map<EventExecutor, UpstreamPool> pools = new HashMap<>();
        for (EventExecutor loop : workers) {
            pools.put(loop, new UpstreamPool((EventLoop) loop, transport, resolver, metrics));
        }
        limiters = new RateLimiters(metrics::redisCall, LoopClock::nanoTime);
        metrics.redisUp(limiters::redisUp);
        rollouts = new Rollouts(metrics.registry());
        CompiledConfig first = CompiledConfig.compile(snapshot, endpoints, metrics, limiters);
        first.bindRollouts(rollouts.bind(first.config(), first.routeList()));
        server = new ServerContext(first, metrics, new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE), pools);
        healthChecker = new ActiveHealthChecker(adminLoop.next(), transport.socketChannelClass(), resolver);
        tracing = Tracing.create(config.tracing(), spanExporter);
        accessLog = AccessLog.create(config.accessLog());
        server.observe(tracing, accessLog);
        if (accessLog != null) {
            metrics.accessLog(accessLog::written, accessLog::dropped);
        }
        metrics.eventLoops(workers);
        metrics.endpointLookup(name -> {
            var c = server.state().clusters().get(name);
            return c == null ? List.of() : c.endpoints();
        });
        for (ListenerConfig l : config.listeners()) {
            if (l.tls() != null) {
                listenerTls.put(l.name(), new ServerTls(l.name(), l.tls(), l.http2().enabled()));
                metrics.tls().listener(l.name());
            }
        }
        certificates = new ListenerCertificates(listenerTls, metrics.tls());
        // Certificates first (they read files), then the rest; nothing live changes until commit.
        reloader = new ConfigReloader(server::state, s -> CompiledConfig.prepare(s, endpoints, limiters, certificates.prepare(s.config())), this::publish, metrics);
        reloader.started(snapshot);
        tlsWatch = listenerTls.isEmpty() ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "edge-tls-watch");
            t.setDaemon(true);
            return t;
        });
        if (tlsWatch != null) {
            long every = config.listeners().stream().filter(l -> l.tls() != null)
                    .mapToLong(l -> l.tls().reloadInterval().toMillis()).min().orElse(10_000);
            tlsWatch.scheduleWithFixedDelay(this::reloadChangedCertificates, every, every, TimeUnit.MILLISECONDS);
        }
        reloads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "edge-reload");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Swaps in a compiled state: one volatile write; then health checks follow the new endpoints
     * and each event loop closes its idle connections to endpoints that left.
     */
    private void publish(CompiledConfig next) {
        CompiledConfig old = server.state();
        certificates.install(next.listenerCerts());
        next.bindRollouts(rollouts.bind(next.config(), next.routeList()));
        server.publish(next);
        healthChecker.update(next.clusters().values());
        retire(old, next);
    }

    /**
     * What the new state no longer names is retired: endpoint and cluster state leaves the
     * registry (requests holding an endpoint finish with it), each event loop closes its pooled
     * and HTTP/2 connections to endpoints that left, the meters of removed routes, clusters and
     * policies go (the limiter policies went at commit), and the old route table's GeoIP mapping
     * is closed once no request can still be routing with it.
     */
    private void retire(CompiledConfig old, CompiledConfig next) {
        Set<Endpoint> live = new HashSet<>();
        next.clusters().values().forEach(c -> live.addAll(c.endpoints()));
        endpoints.retain(next.clusters().keySet(), live);
        server.pools().forEach((loop, pool) -> loop.execute(() -> pool.retainOnly(live)));
        server.metrics().retain(next.routeNames(), next.routeClusterPairs(), next.clusters().keySet(), next.policyIds());
        if (old != next && old.holdsFiles()) {
            retirements.schedule(old::close, RETIRE_AFTER_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Long enough that no request still routes with a table that was replaced (routing is the first microseconds of an exchange). */
    static final long RETIRE_AFTER_SECONDS = 30;

    /** The certificate file watch, serialised with config reloads (it runs under the reloader's lock). */
    private void reloadChangedCertificates() {
        synchronized (reloader) {
            certificates.rotate();
        }
    }

    /** The watched file as {@code GET /config} reports it ({@link ConfigWatcher#status}); null when no file is watched. */
    private String fileStatus() {
        ConfigWatcher w = watcher;
        return w == null ? null : w.status(server.state().snapshot());
    }

    /** Reloads, validates and applies config documents; for the admin API and the file watch. */
    public ConfigReloader reloader() {
        return reloader;
    }

    /** Where reloads run: one at a time, off the event loops. */
    public ExecutorService reloadExecutor() {
        return reloads;
    }

    /** Reloads the config whenever {@code file} changes; the watch is returned for an explicit reload (SIGHUP). */
    public ConfigWatcher watch(Path file) throws IOException {
        watcher = new ConfigWatcher(file, reloader);
        log.info("watching {} for config changes (SIGHUP applies it at once)", file);
        return watcher;
    }

    /** Binds every listener and the admin port; throws if any cannot be bound (and releases the rest). */
    public static Gateway start(ConfigSnapshot snapshot) throws InterruptedException {
        return start(snapshot, null);
    }

    /** As {@link #start(ConfigSnapshot)}, exporting spans to {@code spanExporter} (tests) instead of OTLP. */
    public static Gateway start(ConfigSnapshot snapshot, SpanExporter spanExporter) throws InterruptedException {
        return start(snapshot, spanExporter, () -> {});
    }

    /**
     * As {@link #start(ConfigSnapshot)}, running {@code beforeBind} once everything is built and
     * before any listener is bound ({@link Main} settles the heap there).
     */
    static Gateway start(ConfigSnapshot snapshot, SpanExporter spanExporter, Runnable beforeBind) throws InterruptedException {
        Gateway g = new Gateway(snapshot, spanExporter);
        try {
            beforeBind.run();
            g.bind(snapshot.config());
        } catch (RuntimeException | InterruptedException e) {
            g.close();
            throw e;
        }
        return g;
    }

    private void bind(GatewayConfig config) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false); // TCP_NODELAY: each transport's default (TransportTest)
        for (ListenerConfig l : config.listeners()) {
            ServerTls tls = listenerTls.get(l.name());
            ServerBootstrap listener = b.clone().handler(new AcceptErrors(l.name(), server.metrics(), server.clientConnections()))
                    .childHandler(new DownstreamInitializer(server, l, tls));
            Channel ch = BindFailure.bind(listener, socketAddress(l.address()), "listener " + l.name());
            server.clientConnections().govern(ch);
            listeners.put(l.name(), ch);
            ListenerSockets.delayFirstAcks(ch);
            log.info("listener {} on {} ({}{})", l.name(), ch.localAddress(), tls == null ? "http" : "https, " + tls.providerName(),
                    !l.http2().enabled() ? "; HTTP/1.x only" : tls != null ? "; h2 and http/1.1 by ALPN" : l.http2().cleartext() ? "; h2c by prior knowledge" : "");
        }
        healthChecker.start(server.state().clusters().values());
        admin = AdminServer.start(socketAddress(config.admin().address()), adminLoop, transport.serverChannelClass(), server, () -> ready,
                reloader, reloads, this::fileStatus, AdminToken.load(config.admin()), limiters::redisUp, rollouts);
        log.info("admin on {} (/healthz /ready /metrics /config /clusters /rollouts /ui{})", admin.address(),
                AdminToken.load(config.admin()) == null ? "; read-only: no admin token" : "; PUT /config with the admin token");
        ready = true;
    }

    private static InetSocketAddress socketAddress(HostPort hp) {
        // Listener and admin hosts are literal addresses or names resolved once at start, off the event loops.
        return new InetSocketAddress(hp.host(), hp.port());
    }

    /** Where a listener is bound (its real port when the config said 0). */
    public InetSocketAddress listenerAddress(String name) {
        Channel ch = listeners.get(name);
        if (ch == null) {
            throw new IllegalArgumentException("no listener named " + name);
        }
        return (InetSocketAddress) ch.localAddress();
    }

    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    public GatewayMetrics metrics() {
        return server.metrics();
    }

    public String transportName() {
        return transport.name();
    }

    /** Whether the request path's event loops have stopped (after {@link #close}, which bounds its wait for them). */
    public boolean eventLoopsTerminated() {
        return workers.isTerminated();
    }

    public boolean isReady() {
        return ready && !server.draining();
    }

    /**
     * Graceful stop: readiness goes false at once; after the readiness delay the listeners close;
     * idle client connections close, busy ones after their current response (which says
     * {@code Connection: close}); at the drain timeout whatever is left is closed. Blocks until done.
     */
    public void drainAndStop() {
        GatewayConfig config = server.state().config();
        Duration delay = config.drain().readinessDelay();
        log.info("draining: not ready; listeners close in {} ms", delay.toMillis());
        server.startDraining();
        sleep(delay.toMillis());
        listeners.values().forEach(ch -> ch.close().syncUninterruptibly());
        // A connection accepted just before the close may still be registering on its loop (its
        // registration is a task there): one task through every loop after it, and drain sees it.
        for (EventExecutor loop : workers) {
            loop.submit(() -> { }).syncUninterruptibly();
        }
        server.channels().forEach(DownstreamInitializer::closeIfIdle);
        long deadline = System.nanoTime() + config.drain().timeout().toNanos();
        while (!server.channels().isEmpty() && System.nanoTime() < deadline) {
            sleep(20);
        }
        int left = server.channels().size();
        if (left > 0) {
            log.warn("drain timeout: closing {} connection(s) still busy", left);
        }
        close();
        log.info("stopped");
    }

    /** Immediate stop: closes everything now. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        ready = false;
        if (watcher != null) {
            watcher.close();
        }
        reloads.shutdownNow();
        retirements.shutdownNow();
        if (tlsWatch != null) {
            tlsWatch.shutdownNow();
        }
        healthChecker.stop();
        listeners.values().forEach(Channel::close);
        server.channels().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (admin != null) {
            admin.close();
        }
        resolver.close();
        // A short quiet period lets channels closed just now finish deregistering on their loops. Bounded: an
        // io_uring loop waits in its teardown for every operation still in its ring (a read asked for after a
        // close left one for ever, TransportTest); its thread is a daemon, so the process still exits.
        if (!workers.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS)) {
            log.warn("event loops not terminated 10 s after shutdown began; closing without them ({} transport)", transport.name());
        }
        acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        adminLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        limiters.close();
        rollouts.close();
        if (tracing != null) {
            tracing.close();
        }
        if (accessLog != null) {
            accessLog.close();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
