package dev.edgegateway.proxy.transport;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.util.List;

/**
 * HTTP/1 message bodies as HTTP/2 frames, the same for both directions (client streams and
 * origin streams): content becomes DATA (sharing its buffer), the last content ends the stream,
 * with its trailers as a final HEADERS frame.
 */
public final class Http2Messages {
    private Http2Messages() {}

    /** A body part: DATA, unless empty. */
    public static void content(HttpContent content, List<Object> out) {
        if (content.content().isReadable()) {
            out.add(new DefaultHttp2DataFrame(content.content().retain(), false));
        }
    }

    /** The end of a body: DATA with END_STREAM, or DATA and trailers with END_STREAM. */
    public static void last(LastHttpContent last, List<Object> out) {
        if (last.trailingHeaders().isEmpty()) {
            out.add(new DefaultHttp2DataFrame(last.content().retain(), true));
            return;
        }
        if (last.content().isReadable()) {
            out.add(new DefaultHttp2DataFrame(last.content().retain(), false));
        }
        out.add(new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), false), true));
    }
}
