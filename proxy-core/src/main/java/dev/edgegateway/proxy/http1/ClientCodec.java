package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import java.util.List;

/**
 * HTTP/1.1 codec of an origin connection: the gateway's {@link ResponseDecoder} (heads in
 * {@link FlatHeaders}) and Netty's request encoder, the request line and {@link FlatHeaders} written in one copy
 * (a request framed by length past the encoder, by {@link UnchunkedWrites}). What
 * Netty's {@code HttpClientCodec} adds for CONNECT and {@code HttpClientUpgradeHandler} is left
 * out: the gateway sends neither. After a {@code 101} the decoder passes the origin's bytes on as
 * they are, and the gateway writes the tunnel's bytes from this handler's context, past the encoder.
 */
public final class ClientCodec extends DuplexCodec {
    public ClientCodec(int maxInitialLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        this(maxInitialLineBytes, maxHeaderBytes, maxChunkBytes, 0);
    }

    /** With the connection's idle timer ({@code idleNanos} 0: none). */
    public ClientCodec(int maxInitialLineBytes, int maxHeaderBytes, int maxChunkBytes, long idleNanos) {
        this(new ResponseDecoder(maxInitialLineBytes, maxHeaderBytes, maxChunkBytes), idleNanos);
    }

    private ClientCodec(ResponseDecoder decoder, long idleNanos) {
        super(decoder, new RequestEncoder(decoder), idleNanos);
    }

    /** Writes a tunnel's bytes past the encoder, from this handler's context, and flushes: a write, for the idle timer. */
    public void writeRaw(ByteBuf buf) {
        touch();
        context().writeAndFlush(buf, context().voidPromise());
    }

    static final class RequestEncoder extends HttpRequestEncoder {
        private final ResponseDecoder decoder;
        private final EncoderOutput output = new EncoderOutput(this::encode, super::write);
        private final UnchunkedWrites direct = new UnchunkedWrites();
        /** The request being encoded had its fields written with its line. */
        private boolean fieldsWritten;

        RequestEncoder(ResponseDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (direct.part(ctx, msg, promise)) {
                return;
            }
            if (direct.request(ctx, msg, promise)) {
                decoder.requestSent(((HttpRequest) msg).method()); // as encode does for the others
                return;
            }
            output.write(ctx, msg, promise); // without the empty buffer of a body-less end
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            direct.writeHeld(ctx);
            ctx.flush();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
            direct.discard();
            super.handlerRemoved(ctx);
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                decoder.requestSent(request.method()); // a HEAD's response has no body
            }
            super.encode(ctx, msg, out);
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            // The line and the fields in one copy where it can be; the encoder then asks for the fields.
            fieldsWritten = request.headers() instanceof FlatHeaders flat && HeadWriter.writeRequest(request, flat, buf);
            if (!fieldsWritten) {
                super.encodeInitialLine(buf, request);
            }
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            if (fieldsWritten) {
                fieldsWritten = false;
            } else if (headers instanceof FlatHeaders flat) {
                flat.encode(buf);
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
