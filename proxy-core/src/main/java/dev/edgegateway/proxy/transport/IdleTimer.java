package dev.edgegateway.proxy.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} when nothing has been read or written for the
 * idle time, like Netty's {@code IdleStateHandler(0, 0, t)} but without its cost on the hot path:
 * that handler turns every void write promise into a real one with a listener, to learn when the
 * write completed; this one stamps the time a write is issued. The proxy stops issuing writes
 * while a peer's socket is not writable, so a stalled peer still goes idle here. One timer per
 * connection, re-armed for the time remaining. Confined to the channel's event loop.
 */
public final class IdleTimer extends ChannelDuplexHandler implements Runnable {
    private final long idleNanos;
    private ChannelHandlerContext ctx;
    private long lastActivity;
    private ScheduledFuture<?> timer;

    public IdleTimer(long idleNanos) {
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (timer == null && idleNanos > 0) {
            lastActivity = System.nanoTime();
            timer = ctx.executor().schedule(this, idleNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActivity = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastActivity = System.nanoTime();
        ctx.write(msg, promise);
    }

    @Override
    public void run() {
        if (!ctx.channel().isOpen()) {
            return;
        }
        long quiet = System.nanoTime() - lastActivity;
        if (quiet >= idleNanos) {
            timer = ctx.executor().schedule(this, idleNanos, TimeUnit.NANOSECONDS);
            ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        } else {
            timer = ctx.executor().schedule(this, idleNanos - quiet, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
