package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.EncoderOutput;
import dev.edgegateway.proxy.http1.FlatHeaders;
import dev.edgegateway.proxy.http1.RequestDecoder;
import dev.edgegateway.proxy.http1.UnchunkedWrites;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;

/**
 * HTTP/1.1 server codec for the listener: {@link RequestDecoder} (which refuses a request with both
 * {@code Content-Length} and {@code Transfer-Encoding}, among others, rather than repair it as
 * Netty's decoder does) and, for its writes, Netty's response encoder (not in the pipeline: one
 * handler decodes and encodes, see {@link RequestDecoder}'s base).
 *
 * <p>The encoder remembers each request's method so a response to HEAD has no body whatever its
 * headers say. A final response framed by length goes out through {@link UnchunkedWrites}, past
 * Netty's encoder.
 */
public final class ServerCodec extends RequestDecoder {
    /** Methods of the requests decoded and not yet answered, oldest first. */
    private final ArrayDeque<HttpMethod> methods;
    private final MethodAwareResponseEncoder encoder = new MethodAwareResponseEncoder();

    public ServerCodec(int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        this(maxRequestLineBytes, maxHeaderBytes, maxChunkBytes, new ArrayDeque<>());
    }

    private ServerCodec(int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes, ArrayDeque<HttpMethod> methods) {
        super(maxRequestLineBytes, maxHeaderBytes, maxChunkBytes, methods::add);
        this.methods = methods;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        encoder.write(ctx, msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        encoder.flush(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        encoder.direct.discard();
    }

    private final class MethodAwareResponseEncoder extends HttpResponseEncoder {
        private final EncoderOutput output = new EncoderOutput(this::encode, super::write);
        private final UnchunkedWrites direct = new UnchunkedWrites();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (direct.part(ctx, msg, promise)) {
                return;
            }
            HttpMethod method = methods.peek();
            if (method != null && !HttpMethod.HEAD.equals(method) && direct.response(ctx, msg, promise)) {
                methods.poll(); // as isContentAlwaysEmpty does for the encoder's final responses
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
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            // An interim (1xx) response is followed by the real one for the same request.
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            HttpMethod method = methods.poll();
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            if (headers instanceof FlatHeaders flat) {
                flat.encode(buf); // an origin's response head, as its decoder kept it
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
