package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.List;

/**
 * HTTP/1.1 codec of an origin connection: Netty's {@link io.netty.handler.codec.http.HttpClientCodec}
 * reduced to what the gateway sends (never {@code CONNECT}, never an upgrade through
 * {@code HttpClientUpgradeHandler}), with the response heads kept in {@link FlatHeaders} and the
 * request heads written from them in one copy. A response to {@code HEAD} has no body whatever
 * its headers say; a {@code 101} leaves the decoder passing the origin's bytes through as they
 * are (Netty's decoder does that itself), while the gateway writes the tunnel's bytes from this
 * handler's context, past the encoder.
 */
public final class ClientCodec extends CombinedChannelDuplexHandler<ClientCodec.ResponseDecoder, ClientCodec.RequestEncoder> {
    /** The methods of the requests written and not yet answered, oldest first. */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

    public ClientCodec(int maxInitialLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        init(new ResponseDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineBytes)
                .setMaxHeaderSize(maxHeaderBytes)
                .setMaxChunkSize(maxChunkBytes)
                .setHeadersFactory(FlatHeaders.FACTORY)), new RequestEncoder());
    }

    final class ResponseDecoder extends HttpResponseDecoder {
        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            if (((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg); // an interim response: the final one answers the same request
            }
            return HttpMethod.HEAD.equals(methods.poll()) || super.isContentAlwaysEmpty(msg);
        }
    }

    final class RequestEncoder extends HttpRequestEncoder {
        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                methods.add(request.method());
            }
            super.encode(ctx, msg, out);
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            if (headers instanceof FlatHeaders flat) {
                flat.encode(buf);
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
