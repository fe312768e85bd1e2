package dev.edgegateway.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
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
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * Maps one HTTP/2 stream onto the HTTP/1.x message model the request path speaks, so a stream
 * takes exactly the path of an HTTP/1.1 request: HEADERS becomes an {@link HttpRequest} (pseudo
 * headers to request line and Host, split cookies joined), DATA becomes {@link HttpContent},
 * END_STREAM (or trailers) becomes {@link LastHttpContent}. The way back: an {@link HttpResponse}
 * becomes HEADERS without connection-specific fields, content becomes DATA, and the last content
 * ends the stream. Bodies are never copied: DATA frames and contents share their buffers.
 */
final class H2StreamCodec extends MessageToMessageCodec<Http2StreamFrame, HttpObject> {
    private boolean requestSeen;
    /** A 1xx head was written: its (empty) end must not end the stream. */
    private boolean interim;

    @Override
    protected void decode(ChannelHandlerContext ctx, Http2StreamFrame frame, List<Object> out) throws Exception {
        if (frame instanceof Http2HeadersFrame headers) {
            int id = headers.stream().id();
            if (!requestSeen) {
                requestSeen = true;
                HttpRequest req = HttpConversionUtil.toHttpRequest(id, headers.headers(), true);
                req.headers().remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
                req.headers().remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
                req.headers().remove(HttpHeaderNames.CONNECTION); // set to keep-alive by the conversion
                if (headers.isEndStream()) {
                    out.add(req);
                    out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                } else {
                    if (!HttpUtil.isContentLengthSet(req)) {
                        // A body of unknown length: chunked to an HTTP/1.1 origin.
                        req.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                    }
                    out.add(req);
                }
            } else {
                LastHttpContent trailers = new DefaultLastHttpContent();
                HttpConversionUtil.addHttp2ToHttpHeaders(id, headers.headers(), trailers.trailingHeaders(), HttpVersion.HTTP_1_1, true, true);
                out.add(trailers);
            }
        } else if (frame instanceof Http2DataFrame data) {
            ByteBuf content = data.content().retain();
            out.add(data.isEndStream() ? new DefaultLastHttpContent(content) : new DefaultHttpContent(content));
        }
        // Other stream frames (window updates, priority) need nothing here.
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) {
        if (msg instanceof HttpResponse response) {
            Http2Headers headers = HttpConversionUtil.toHttp2Headers(response, false);
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                interim = !(msg instanceof FullHttpMessage); // a full one (the gateway's 100) has no end to follow
                out.add(new DefaultHttp2HeadersFrame(headers, false));
                return;
            }
            if (msg instanceof FullHttpMessage full) {
                boolean empty = !full.content().isReadable() && full.trailingHeaders().isEmpty();
                out.add(new DefaultHttp2HeadersFrame(headers, empty));
                if (!empty) {
                    Http2Messages.last(full, out);
                }
                return;
            }
            out.add(new DefaultHttp2HeadersFrame(headers, false));
            return;
        }
        if (msg instanceof LastHttpContent last) {
            if (interim) {
                interim = false; // the end of a 1xx head, not of the stream
                return;
            }
            Http2Messages.last(last, out);
        } else if (msg instanceof HttpContent content) {
            Http2Messages.content(content, out);
        } else {
            ReferenceCountUtil.retain(msg);
            out.add(msg);
        }
    }
}
