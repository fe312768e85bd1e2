package dev.edgegateway.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import dev.edgegateway.proxy.transport.Http2Messages;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * One stream to an HTTP/2 origin, seen as an HTTP/1.1 exchange by the request path: the request
 * (head, body, end) becomes HEADERS and DATA (the head's connection-specific fields dropped,
 * {@code :scheme} from the connection); the response's HEADERS become an {@link HttpResponse}
 * (with {@code Transfer-Encoding: chunked} when it has a body of unknown length, so it is
 * delimited as an HTTP/1.1 response would be), DATA becomes content, END_STREAM or trailers the
 * last content. An interim (1xx) response is followed by an empty last content, as the HTTP/1.1
 * client codec does. The client-side twin of the server's stream adapter.
 */
final class H2ClientStreamCodec extends MessageToMessageCodec<Http2StreamFrame, HttpObject> {
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private final AsciiString scheme;
    private boolean finalHeadersSeen;

    H2ClientStreamCodec(boolean tls) {
        this.scheme = tls ? HTTPS : HTTP;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) {
        if (msg instanceof HttpRequest req) {
            req.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), scheme);
            Http2Headers headers = HttpConversionUtil.toHttp2Headers(req, false);
            boolean endStream = msg instanceof LastHttpContent last && !last.content().isReadable() && last.trailingHeaders().isEmpty();
            out.add(new DefaultHttp2HeadersFrame(headers, endStream));
            if (msg instanceof LastHttpContent last && !endStream) {
                Http2Messages.last(last, out);
            }
            return;
        }
        if (msg instanceof LastHttpContent last) {
            Http2Messages.last(last, out);
        } else if (msg instanceof HttpContent content) {
            Http2Messages.content(content, out);
        } else {
            out.add(ReferenceCountUtil.retain(msg));
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Http2StreamFrame frame, List<Object> out) throws Exception {
        if (frame instanceof Http2HeadersFrame h) {
            int id = h.stream().id();
            if (finalHeadersSeen) {
                LastHttpContent trailers = new DefaultLastHttpContent();
                HttpConversionUtil.addHttp2ToHttpHeaders(id, h.headers(), trailers.trailingHeaders(), HttpVersion.HTTP_1_1, true, false);
                out.add(trailers);
                return;
            }
            HttpResponse r = HttpConversionUtil.toHttpResponse(id, h.headers(), true);
            r.headers().remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
            r.headers().remove(HttpHeaderNames.CONNECTION);
            if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                out.add(r);
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                return;
            }
            finalHeadersSeen = true;
            if (h.isEndStream()) {
                if (!HttpUtil.isContentLengthSet(r)) {
                    HttpUtil.setContentLength(r, 0);
                }
                out.add(r);
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                if (!HttpUtil.isContentLengthSet(r)) {
                    r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                }
                out.add(r);
            }
        } else if (frame instanceof Http2DataFrame d) {
            ByteBuf content = d.content().retain();
            out.add(d.isEndStream() ? new DefaultLastHttpContent(content) : new DefaultHttpContent(content));
        }
    }
}
