package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.observe.AccessLog;
import dev.edgegateway.proxy.observe.Tracing;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.Map;

/**
 * What every client connection shares: the current {@link CompiledConfig} (swapped atomically on
 * reload), the drain flag, the meters, the open connections (and how many may be), and each
 * event loop's origin pool.
 */
public final class ServerContext {
    private volatile CompiledConfig state;
    private volatile boolean draining;
    private final GatewayMetrics metrics;
    private final ChannelGroup channels;
    private final Map<EventExecutor, UpstreamPool> pools;
    private final ClientConnectionBudget clientConnections;

    public ServerContext(CompiledConfig state, GatewayMetrics metrics, ChannelGroup channels, Map<EventExecutor, UpstreamPool> pools) {
        this.state = state;
        this.metrics = metrics;
        this.channels = channels;
        this.pools = Map.copyOf(pools);
        this.clientConnections = new ClientConnectionBudget(state.config().limits(), metrics.registry());
        metrics.configGeneration(state.snapshot().generation());
    }

    public CompiledConfig state() {
        return state;
    }

    /** Publishes a new state; requests already running keep the one they started with. */
    public void publish(CompiledConfig next) {
        state = next;
        clientConnections.limit(next.config().limits());
        metrics.configGeneration(next.snapshot().generation());
    }

    private volatile Tracing tracing;
    private volatile AccessLog accessLog;

    /** Tracing and the access log, each null when off; set once at start. */
    public void observe(Tracing tracing, AccessLog accessLog) {
        this.tracing = tracing;
        this.accessLog = accessLog;
    }

    public Tracing tracing() {
        return tracing;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    public Map<EventExecutor, UpstreamPool> pools() {
        return pools;
    }

    public boolean draining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public ChannelGroup channels() {
        return channels;
    }

    public ClientConnectionBudget clientConnections() {
        return clientConnections;
    }

    UpstreamPool pool(EventExecutor loop) {
        UpstreamPool p = pools.get(loop);
        if (p == null) {
            throw new IllegalStateException("no origin pool for " + loop);
        }
        return p;
    }
}
