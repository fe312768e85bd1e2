package dev.edgegateway.proxy.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closing a client connection after the gateway's last response on it, as Envoy's delayed close and
 * nginx's lingering close do: once the response is written, the connection's write side is shut
 * (TLS sends its close_notify first), and whatever the client still sends is read and dropped
 * until it closes its side, or for at most the linger time. Closed at once, a socket with input
 * not yet read is reset (RFC 9112 9.6), and the reset can reach the client before the response
 * does its work: a client still uploading a body that drew a 413 or a 429, or a request line
 * that drew a 414, saw "connection reset" and never the status.
 *
 * <p>The dropping is done first in the pipeline, before TLS and the HTTP codec: nothing read
 * while lingering is decrypted or decoded. Confined to the channel's event loop.
 */
public final class LingeringClose extends ChannelInboundHandlerAdapter {
    private ScheduledFuture<?> deadline;

    private LingeringClose() {
    }

    /** Once {@code written} is done, lingers for up to {@code lingerNanos} and closes; 0 (or a failed write): closes at once. */
    public static void after(ChannelFuture written, long lingerNanos) {
        written.addListener(f -> begin(written.channel(), f.isSuccess() ? lingerNanos : 0));
    }

    private static void begin(Channel ch, long lingerNanos) {
        if (lingerNanos <= 0 || !ch.isActive() || !(ch instanceof DuplexChannel duplex) || duplex.isInputShutdown()) {
            ch.close();
            return;
        }
        LingeringClose h = new LingeringClose();
        ch.pipeline().addFirst(h);
        h.deadline = ch.eventLoop().schedule((Runnable) ch::close, lingerNanos, TimeUnit.NANOSECONDS);
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            shutOutput(duplex);
        } else {
            tls.closeOutbound().addListener(f -> shutOutput(duplex));
        }
        ch.pipeline().context(h).read();
    }

    private static void shutOutput(DuplexChannel ch) {
        if (ch.isActive()) {
            ch.shutdownOutput().addListener(f -> {
                if (!f.isSuccess()) {
                    ch.close();
                }
            });
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg); // the rest of what the client sent: not wanted
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent || evt == ChannelInputShutdownReadComplete.INSTANCE) {
            ctx.close(); // the client closed its side (with half-closure allowed; else the channel closes by itself)
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset from the client: it is gone
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}
