package dev.edgegateway.proxy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * {@link IdleTracking} as a handler of its own, first in a pipeline whose next handler does not see
 * all of the connection's bytes (TLS, the clear-text preface check, HTTP/2, a tunnel). Being first,
 * it also marks each read for {@link LoopClock}.
 */
public final class IdleTimer extends IdleTracking {
    public IdleTimer(long idleNanos) {
        super(idleNanos);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        touch();
        LoopClock.enter(); // first in the pipeline: the read's time is held while it is processed
        try {
            ctx.fireChannelRead(msg);
        } finally {
            LoopClock.exit();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        touch();
        ctx.write(msg, promise);
    }
}
