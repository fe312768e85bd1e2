package dev.edgegateway.proxy.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A pipeline handler that also times its connection's quiet: it fires
 * {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} to the handlers after it when nothing has been read
 * or written for the idle time, like Netty's {@code IdleStateHandler(0, 0, t)} but without its cost
 * on the hot path: that handler turns every void write promise into a real one with a listener, to
 * learn when the write completed; this one notes that a write was issued ({@link #touch()}). The
 * proxy stops issuing writes while a peer's socket is not writable, so a stalled peer still goes
 * idle here.
 *
 * <p>A read or a write only sets a flag (no clock reading: a request passes here five or six
 * times). One timer per connection looks every quarter of the idle time: activity since its last
 * look moves the start of the quiet period to that look, which is no earlier than the activity
 * itself. So the event never comes early, and at most a quarter of the idle time late.
 *
 * <p>{@link IdleTimer} is this alone. An HTTP/1 codec that sees every byte and every write of its
 * connection (first in a clear-text pipeline, or after TLS on an origin connection) is this as
 * well, so that the connection's pipeline has one handler fewer for each event to pass: at 256
 * connections, a request's walk along its pipelines is where the first cache misses on its
 * connection's state land (benchmarks/README.md, issue 24's twenty-eighth and thirty-fifth steps).
 * An idle time of 0 times nothing. Confined to the channel's event loop.
 */
public abstract class IdleTracking extends ChannelDuplexHandler implements Runnable {
    private final long idleNanos;
    private final long stepNanos;
    private ChannelHandlerContext ctx;
    /** No activity since then (a look that saw activity, or the start); the quiet period began no later. */
    private long quietSince;
    private boolean active;
    private ScheduledFuture<?> timer;

    /** {@code idleNanos} 0: no timer. */
    protected IdleTracking(long idleNanos) {
        this.idleNanos = idleNanos;
        this.stepNanos = Math.max(1, idleNanos / 4);
    }

    /** This handler's context, once added. */
    protected final ChannelHandlerContext context() {
        return ctx;
    }

    /** A read or a write of the connection. */
    protected final void touch() {
        active = true;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            startIdle();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startIdle();
        ctx.fireChannelActive();
    }

    private void startIdle() {
        if (timer == null && idleNanos > 0) {
            quietSince = System.nanoTime();
            timer = ctx.executor().schedule(this, stepNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The timer's look. */
    @Override
    public final void run() {
        if (timer == null || !ctx.channel().isOpen()) {
            return;
        }
        long now = System.nanoTime();
        if (active) {
            active = false;
            quietSince = now;
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
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stopIdle();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        stopIdle();
    }

    /** The connection or this handler is gone: no more looks. */
    protected final void stopIdle() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
