package dev.edgegateway.proxy.http1;

import dev.edgegateway.proxy.transport.IdleTracking;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * A decoder and an encoder as one pipeline handler, calling both with the handler's own context:
 * what Netty's {@code CombinedChannelDuplexHandler} does, without its cost on every event. That one
 * overrides every inbound and outbound method, so no event skips it (a {@code read()} asked for
 * on the channel, an exception, a writability change all pass through it), and it calls its two
 * handlers through contexts of its own that add a call to each event they pass on. This one
 * overrides only what the two handle: reads and what ends them, which the decoder sees;
 * {@code write} and {@code flush}, which the encoder sees. The rest skip it. At 256 connections,
 * the search for the next handler as each exchange's {@code read()} of its origin connection went
 * through the encoder was 0.7% of the gateway's CPU samples; this handler cost 0.80 us/request
 * less CPU than the combined one at 64 connections and 0.95 at 256, paired over eight rounds
 * each (benchmarks/README.md, issue 24's twentieth step).
 *
 * <p>The two share the context, so the decoder's bytes handed on at removal go to the next
 * inbound handler, and the encoder's writes to the previous outbound one, as before. Confined to
 * the channel's event loop.
 *
 * <p>Given an idle time, it is the connection's idle timer as well ({@link IdleTracking}): where it
 * sees every byte read and every write of the connection, the pipeline has no separate timer for
 * each event to pass.
 */
public abstract class DuplexCodec extends IdleTracking {
    private final ByteToMessageDecoder decoder;
    private final ChannelOutboundHandler encoder;

    /** {@code idleNanos} 0: no idle timer here. */
    protected DuplexCodec(ByteToMessageDecoder decoder, ChannelOutboundHandler encoder, long idleNanos) {
        super(idleNanos);
        this.decoder = decoder;
        this.encoder = encoder;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        touch();
        decoder.channelRead(ctx, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        decoder.channelReadComplete(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stopIdle();
        decoder.channelInactive(ctx); // decodes what is left (a body read until close) and fires on
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        decoder.userEventTriggered(ctx, evt); // the input shut down: as channelInactive
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        touch();
        encoder.write(ctx, msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) throws Exception {
        encoder.flush(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        stopIdle();
        try {
            decoder.handlerRemoved(ctx); // hands on the bytes it holds
        } finally {
            encoder.handlerRemoved(ctx);
        }
    }
}
