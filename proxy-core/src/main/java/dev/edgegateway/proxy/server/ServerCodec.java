package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.Parts;
import dev.edgegateway.proxy.http1.EncoderOutput;
import dev.edgegateway.proxy.http1.FlatHeaders;
import dev.edgegateway.proxy.http1.UnchunkedWrites;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.List;

/**
 * HTTP/1.1 server codec for the listener: Netty's {@link io.netty.handler.codec.http.HttpServerCodec}
 * with one change, a request that carries both {@code Content-Length} and
 * {@code Transfer-Encoding} is invalid (its decoder result fails and the guard answers 400)
 * instead of being repaired by dropping Content-Length. Ambiguous framing is how request
 * smuggling starts, and an edge proxy should refuse it rather than guess (RFC 9112 6.3 allows
 * either; HAProxy and Envoy refuse by default too).
 *
 * <p>The encoder remembers each request's method so a response to HEAD has no body whatever its
 * headers say. A final response framed by length goes out through {@link UnchunkedWrites}, past
 * Netty's encoder.
 */
public final class ServerCodec extends CombinedChannelDuplexHandler<ServerCodec.StrictRequestDecoder, ServerCodec.MethodAwareResponseEncoder> {
    /** Marks the failure that the guard turns into "400: both Content-Length and Transfer-Encoding". */
    public static final class AmbiguousFramingException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        AmbiguousFramingException() {
            super("both Content-Length and Transfer-Encoding are present", null);
        }
    }

    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>();

    public ServerCodec(int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(maxRequestLineBytes)
                .setMaxHeaderSize(maxHeaderBytes)
                .setMaxChunkSize(maxChunkBytes)
                .setAllowDuplicateContentLengths(false)
                .setHeadersFactory(FlatHeaders.FACTORY); // validating, as the default factory is
        init(new StrictRequestDecoder(config), new MethodAwareResponseEncoder());
    }

    final class StrictRequestDecoder extends HttpRequestDecoder {
        StrictRequestDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                Object o = out.get(i);
                if (Parts.isRequest(o)) {
                    methods.add(((HttpRequest) o).method());
                }
            }
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new AmbiguousFramingException();
        }
    }

    final class MethodAwareResponseEncoder extends HttpResponseEncoder {
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
