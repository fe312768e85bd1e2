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
 * write completed; this one notes that a write was issued. The proxy stops issuing writes while a
 * peer's socket is not writable, so a stalled peer still goes idle here.
 *
 * <p>A read or a write only sets a flag (no clock reading: a request passes here five or six
 * times). One timer per connection looks every quarter of the idle time: activity since its last
 * look moves the start of the quiet period to that look, which is no earlier than the activity
 * itself. So the event never comes early, and at most a quarter of the idle time late. A look
 * that finds the connection quiet since the last one trims its kept head buffer ({@link HeadBuffers}).
 * First in every pipeline, it also marks each read for {@link LoopClock}. Confined to the
 * channel's event loop.
 */
public final class IdleTimer extends ChannelDuplexHandler implements Runnable {
    private final long idleNanos;
    private final long stepNanos;
    private ChannelHandlerContext ctx;
    /** No activity since then (a look that saw activity, or the start); the quiet period began no later. */
    private long quietSince;
    private boolean active;
    private ScheduledFuture<?> timer;

    public IdleTimer(long idleNanos) {
        this.idleNanos = idleNanos;
        this.stepNanos = Math.max(1, idleNanos / 4);
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
            quietSince = System.nanoTime();
            timer = ctx.executor().schedule(this, stepNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        active = true;
        LoopClock.enter(); // first in every pipeline: the read's time is held while it is processed
        try {
            ctx.fireChannelRead(msg);
        } finally {
            LoopClock.exit();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        active = true;
        ctx.write(msg, promise);
    }

    @Override
    public void run() {
        if (!ctx.channel().isOpen()) {
            return;
        }
        long now = System.nanoTime();
        if (active) {
            active = false;
            quietSince = now;
        } else if (ctx.channel().config().getAllocator() instanceof HeadBuffers kept) {
            kept.trim(); // quiet since the last look: no head buffer held for it
        }
        long quiet = now - quietSince;
        if (quiet >= idleNanos) {
            quietSince = now; // the next event, if still quiet, one idle time later
            timer = ctx.executor().schedule(this, stepNanos, TimeUnit.NANOSECONDS);
            ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        } else {
            timer = ctx.executor().schedule(this, Math.min(stepNanos, idleNanos - quiet), TimeUnit.NANOSECONDS);
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
