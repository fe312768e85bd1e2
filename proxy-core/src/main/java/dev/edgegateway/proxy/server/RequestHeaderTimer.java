package dev.edgegateway.proxy.server;

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
final class RequestHeaderTimer extends ChannelInboundHandlerAdapter {
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
        if (awaitingRequest && timer == null && msg instanceof ByteBuf b && b.isReadable()) {
            timer = ctx.executor().schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    /** The headers of a request are in: stop the clock. */
    void requestReceived() {
        awaitingRequest = false;
        cancel();
    }

    /** The connection waits for its next request: the next byte starts the clock. */
    void awaitRequest() {
        awaitingRequest = true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire() {
        timer = null;
        if (awaitingRequest && ctx.channel().isActive()) {
            // Fired from this handler's position so that the proxy handler, further on, receives it.
            ctx.fireUserEventTriggered(EXPIRED);
        }
    }
}
