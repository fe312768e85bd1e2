package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.transport.HttpDate;
import dev.edgegateway.proxy.transport.LingeringClose;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * First on a TLS listener's connection: when the client's first byte is an upper-case letter, it
 * sent a plain-text request (an HTTP method; no TLS record starts with one: a handshake's starts
 * with 0x16, an SSLv2 hello's with its high bit set), and it gets a plain-text 400 saying to use
 * {@code https://}, then the close after a linger ({@link LingeringClose}). Without it, {@code curl http://host:443/} said "Empty reply
 * from server", which names nothing; nginx answers the same mistake with a 400 as this does.
 * Anything else is left to TLS: the handler removes itself on the first read.
 */
final class PlainHttpOnTlsPort extends ChannelInboundHandlerAdapter {
    private static final String BODY = "400 Bad Request: this port speaks TLS; send the request with https://\n";
    private static final String HEAD = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
            + "content-length: " + BODY.length() + "\r\nconnection: close\r\ncache-control: no-store\r\ndate: ";

    private final Runnable refused;
    private final long lingerNanos;
    private boolean answered;

    /**
     * {@code refused} runs once for a connection answered here (counted as a failed handshake); the
     * connection then lingers up to {@code lingerNanos} ({@code timeouts.closeLinger}) before it
     * closes, so what else the client sent does not reset the answer away.
     */
    PlainHttpOnTlsPort(Runnable refused, long lingerNanos) {
        this.refused = refused;
        this.lingerNanos = lingerNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answered) {
            ReferenceCountUtil.release(msg); // what follows the request: the connection is closing
            return;
        }
        if (msg instanceof ByteBuf in && in.isReadable()) {
            byte first = in.getByte(in.readerIndex());
            if (first >= 'A' && first <= 'Z') {
                in.release();
                answered = true;
                refused.run();
                String answer = HEAD + HttpDate.now() + "\r\n\r\n" + BODY;
                LingeringClose.after(ctx.writeAndFlush(Unpooled.copiedBuffer(answer, StandardCharsets.US_ASCII)), lingerNanos);
                return;
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!answered) { // else the TLS handlers, having read nothing, would ask for more
            ctx.fireChannelReadComplete();
        }
    }
}
