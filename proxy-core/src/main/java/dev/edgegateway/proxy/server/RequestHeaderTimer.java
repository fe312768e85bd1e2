package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.transport.LoopClock;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the time from a request's first byte to the end of its headers (slowloris defence).
 * Sits before the HTTP decoder so it sees raw bytes: the first byte that arrives while the
 * connection awaits a request starts the clock, {@link #requestReceived()} stops it. When it runs
 * out, it fires {@link #EXPIRED} down the pipeline; the proxy handler answers 408 and closes.
 * The keep-alive wait before the first byte is the idle timeout's business, not this one's.
 */
final class RequestHeaderTimer extends ChannelInboundHandlerAdapter implements Runnable {
    /** The user event fired when a request's headers took too long. */
    static final Object EXPIRED = new Object() {
        @Override
        public String toString() {
            return "RequestHeaderTimer.EXPIRED";
        }
    };

    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private boolean awaitingRequest = true;
    /** When the current request's headers must be in; 0 while no request is being read. */
    private long deadline;
    /**
     * One timer per connection, not per request: it is armed by the first request and, when it
     * fires, re-armed for the current deadline if there is one. A keep-alive connection with
     * quick requests schedules one task per timeout period, not one (and a cancel) per request.
     */
    private ScheduledFuture<?> timer;

    RequestHeaderTimer(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingRequest && deadline == 0 && msg instanceof ByteBuf b && b.isReadable()) {
            deadline = LoopClock.nanoTime() + timeoutNanos;
            if (timer == null) {
                timer = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * The headers of a request are in: stop the clock. Returns when the request's first byte
     * arrived (a {@link LoopClock#nanoTime()} reading; now, if that is not known), which the
     * exchange takes as its start rather than reading the clock again.
     */
    long requestReceived() {
        long start = deadline != 0 ? deadline - timeoutNanos : LoopClock.nanoTime();
        awaitingRequest = false;
        deadline = 0;
        return start;
    }

    /** The connection waits for its next request: the next byte starts the clock. */
    void awaitRequest() {
        awaitingRequest = true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void run() {
        timer = null;
        if (deadline == 0 || !ctx.channel().isActive()) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            timer = ctx.executor().schedule(this, left, TimeUnit.NANOSECONDS);
            return;
        }
        deadline = 0;
        if (awaitingRequest) {
            // Fired from this handler's position so that the proxy handler, further on, receives it.
            ctx.fireUserEventTriggered(EXPIRED);
        }
    }
}
