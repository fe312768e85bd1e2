package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.metrics.GatewayMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's failures to accept a connection, first in its (server) channel's pipeline. Nearly
 * always the process is out of file descriptors ({@code EMFILE}): every connection, to a client
 * or an origin, holds one. As Netty's own acceptor does, accepting pauses for a second (else the
 * error repeats at once, at full CPU), and the connections waiting meanwhile stay in the listen
 * backlog; but where Netty logged a warning with a stack trace each time, this counts
 * ({@code edge_downstream_accept_errors_total}) and logs one line at most every ten seconds,
 * with what to do. Confined to the listener's event loop.
 */
public final class AcceptErrors extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AcceptErrors.class);
    private static final long PAUSE_MILLIS = 1000;
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String listener;
    private final GatewayMetrics metrics;
    private final Counter errors;
    private final ClientConnectionBudget budget;
    private long lastLog = System.nanoTime() - LOG_EVERY_NANOS;
    private int unlogged;

    public AcceptErrors(String listener, GatewayMetrics metrics, ClientConnectionBudget budget) {
        this.listener = listener;
        this.metrics = metrics;
        this.budget = budget;
        this.errors = Counter.builder("edge.downstream.accept.errors").tag("listener", listener)
                .description("Connections a listener failed to accept (out of file descriptors, mostly)").register(metrics.registry());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errors.increment();
        unlogged++;
        long now = System.nanoTime();
        if (now - lastLog >= LOG_EVERY_NANOS) {
            String message = String.valueOf(cause.getMessage());
            log.warn("listener {}: {} connection(s) not accepted since the last report: {}; {} client connections open.{}", listener, unlogged,
                    message, metrics.downstreamConnectionsOpen(), message.contains("Too many open files")
                            ? " Each client and origin connection holds a file descriptor: raise the process's limit (ulimit -n, LimitNOFILE)." : "");
            lastLog = now;
            unlogged = 0;
        }
        ChannelConfig config = ctx.channel().config();
        if (config.isAutoRead()) {
            config.setAutoRead(false);
            ctx.executor().schedule(() -> config.setAutoRead(budget.mayAccept()), PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
