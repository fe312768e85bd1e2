package dev.edgegateway.proxy.admin;

import dev.edgegateway.proxy.transport.LingeringClose;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * An admin request whose declared body is larger than a config document may be: answered 413 with
 * the limit, at once (before a {@code 100 Continue}, so the client does not send it), and the
 * connection closed after a linger, so the answer is read rather than lost to a reset. Netty's
 * aggregator, with {@code Expect: 100-continue} (curl's way for a body over 1 MB), answered so that
 * curl saw an empty reply. One per connection, after the HTTP codec.
 */
final class OversizedDocuments extends ChannelInboundHandlerAdapter {
    private final int maxBytes;
    private boolean refused;

    OversizedDocuments(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!refused && msg instanceof HttpRequest req && HttpUtil.getContentLength(req, -1L) > maxBytes) {
            refused = true;
            byte[] body = ("{\"error\":\"the body is " + HttpUtil.getContentLength(req, -1L) + " bytes; a config document is at most "
                    + maxBytes + "\"}\n").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            LingeringClose.after(ctx.writeAndFlush(r), TimeUnit.SECONDS.toNanos(2));
        }
        if (refused) {
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}
