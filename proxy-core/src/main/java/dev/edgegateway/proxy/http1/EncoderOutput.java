package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.HttpObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The write side of the two HTTP/1 encoders: an HTTP message written without a promise is encoded
 * and its output written, except for empty buffers. Netty's encoder writes one for the empty end
 * of a message without a body (every GET the gateway forwards, every 204), only so that the
 * write's promise has something to complete; with no promise to complete, it would still pass
 * down the pipeline and take an entry in the channel's outbound buffer, to write nothing. A write
 * with a promise, or of anything but an HTTP message, goes to the encoder's own {@code write}.
 * Confined to the channel's event loop.
 */
public final class EncoderOutput {
    /** An encoder's {@code encode}. */
    public interface Encoder {
        void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception;
    }

    /** An encoder's superclass {@code write}: encodes and writes every part. */
    public interface Writer {
        void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception;
    }

    private final Encoder encoder;
    private final Writer plain;
    private final List<Object> out = new ArrayList<>(4);

    public EncoderOutput(Encoder encoder, Writer plain) {
        this.encoder = encoder;
        this.plain = plain;
    }

    /** The encoder's {@code write}. */
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (!promise.isVoid() || !(msg instanceof HttpObject)) {
            plain.write(ctx, msg, promise);
            return;
        }
        try {
            encoder.encode(ctx, msg, out);
        } catch (EncoderException e) {
            throw e;
        } catch (Exception e) {
            throw new EncoderException(e);
        } finally {
            // What was encoded before a failure goes out, as Netty's encoder does.
            try {
                for (int i = 0; i < out.size(); i++) {
                    Object o = out.get(i);
                    if (o instanceof ByteBuf b && !b.isReadable()) {
                        b.release();
                    } else {
                        ctx.write(o, promise);
                    }
                }
            } finally {
                out.clear();
            }
        }
    }
}
