package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.DuplexCodec;
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
 * Netty's decoder does) and Netty's response encoder.
 *
 * <p>The encoder remembers each request's method so a response to HEAD has no body whatever its
 * headers say. A final response framed by length goes out through {@link UnchunkedWrites}, past
 * Netty's encoder.
 */
public final class ServerCodec extends DuplexCodec {
    public ServerCodec(int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        this(new ArrayDeque<>(), maxRequestLineBytes, maxHeaderBytes, maxChunkBytes);
    }

    private ServerCodec(ArrayDeque<HttpMethod> methods, int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        super(new RequestDecoder(maxRequestLineBytes, maxHeaderBytes, maxChunkBytes, methods::add), new MethodAwareResponseEncoder(methods));
    }

    static final class MethodAwareResponseEncoder extends HttpResponseEncoder {
        private final ArrayDeque<HttpMethod> methods;
        private final EncoderOutput output = new EncoderOutput(this::encode, super::write);
        private final UnchunkedWrites direct = new UnchunkedWrites();

        MethodAwareResponseEncoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

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
        public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
            direct.discard();
            super.handlerRemoved(ctx);
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
